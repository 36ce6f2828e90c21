#!/bin/sh
# STAND-IN FOR TESTS ONLY — this is not Kubernetes. Kubernetes server binaries cannot be
# obtained on the test machines, so stockade's tests run this script under the names
# kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kube-proxy. It checks
# what stockade gave the component and then serves /healthz as the real one would:
#   1. every flag that names an input file must name a file present in the container, and a
#      kubeconfig's certificate and key paths must exist too;
#   2. the flags the component cannot start without must be set;
#   3. kube-apiserver proves its etcd client certificate against etcd; kubelet proves its
#      kubeconfig against the API endpoint https://127.0.0.1:6443 (local apiserver, or
#      nginx-proxy on hosts without the controlplane role);
#   4. /healthz: TLS with the deployed certificates where the real component uses TLS, and the
#      real component's answer (kube-proxy: 200 with a JSON body, the others: "ok");
#   5. kube-apiserver serves the part of the API stockade uses (apiserver.py: server-side apply,
#      nodes; objects kept in etcd; RBAC decides for the shared kubelet certificate), and kubelet
#      registers its Node as soon as the API lets it.
# Any failure is printed as "standin <component>: FATAL: ..." and exits non-zero.
set -u
C=$(basename "$0")
ARGS="$*"
log() { echo "standin $C: $*" >&2; }
die() { log "FATAL: $*"; exit 1; }
flag() { for a in $ARGS; do case "$a" in "--$1="*) echo "${a#*=}"; return 0;; esac; done; return 1; }
need() { for f in "$@"; do flag "$f" >/dev/null || die "required flag --$f is missing"; done; }

for a in "$@"; do
  case "$a" in --*=*) ;; *) continue;; esac
  k=${a%%=*}; k=${k#--}; v=${a#*=}
  case "$k" in
    *-file|*-cafile|*-certfile|*-keyfile|*kubeconfig|kubelet-client-certificate|kubelet-client-key|encryption-provider-config)
      [ -f "$v" ] || die "--$k=$v: no such file in the container";;
  esac
  case "$k" in
    *kubeconfig)
      for ref in $(sed -n 's/^ *\(client-certificate\|client-key\|certificate-authority\): *//p' "$v"); do
        [ -f "$ref" ] || die "--$k=$v refers to $ref, which does not exist"
      done;;
  esac
done

mkdir -p /tmp/www && echo ok > /tmp/www/healthz && cd /tmp/www || die "no /tmp"
# run the server as a child so SIGTERM (docker stop) ends it at once, as with the real ones
serve() { "$@" & pid=$!; trap 'kill $pid 2>/dev/null; exit 0' TERM INT; wait $pid; }
kc_get() { sed -n "s/^ *$2: *//p" "$1" | head -1 | tr -d '"'; }
selfsigned() {
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 -keyout /tmp/serving.key -out /tmp/serving.crt >/dev/null 2>&1 ||
    die "cannot make a serving certificate"
}
# retry a TLS handshake for up to $1 seconds: proves certificates and reachability
handshake() {
  t=$1; shift
  while [ "$t" -gt 0 ]; do
    openssl s_client -brief -verify_return_error "$@" </dev/null >/tmp/handshake.log 2>&1 && return 0
    t=$((t - 1)); sleep 1
  done
  cat /tmp/handshake.log >&2
  return 1
}

# kubelet: create this host's Node, Ready, as the real kubelet does once RBAC lets it (the API
# answers 403 until the system:node ClusterRoleBinding exists); retried every 2 s
register_node() {
  server=$1 kc=$2
  name=$(flag hostname-override | tr 'A-Z' 'a-z')
  body=$(printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s","labels":{"kubernetes.io/hostname":"%s"}},"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"standin kubelet is posting ready status"}]}}' "$name" "$name")
  while true; do
    code=$(printf 'POST /api/v1/nodes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#body}" "$body" |
      timeout 10 openssl s_client -quiet -connect "$server" -CAfile "$(kc_get "$kc" certificate-authority)" \
        -cert "$(kc_get "$kc" client-certificate)" -key "$(kc_get "$kc" client-key)" 2>/dev/null | head -1 | awk '{print $2}')
    case $code in 201|409) log "registered node $name (HTTP $code)"; return 0 ;; esac
    log "registering node $name: HTTP ${code:-no answer}; retrying"
    sleep 2
  done
}

case "$C" in
  kube-apiserver)
    need etcd-servers etcd-cafile etcd-certfile etcd-keyfile tls-cert-file tls-private-key-file client-ca-file \
      service-cluster-ip-range service-account-key-file secure-port advertise-address
    first=$(flag etcd-servers | cut -d, -f1); first=${first#https://}
    handshake 60 -connect "$first" -CAfile "$(flag etcd-cafile)" -cert "$(flag etcd-certfile)" -key "$(flag etcd-keyfile)" ||
      die "cannot reach etcd at $first with --etcd-certfile"
    log "etcd at $first accepted the client certificate"
    # the API stockade uses (server-side apply, nodes), objects kept in etcd: apiserver.py
    serve python3 /usr/local/lib/standin/apiserver.py "$@" ;;
  kube-controller-manager)
    need kubeconfig cluster-cidr service-account-private-key-file root-ca-file service-cluster-ip-range
    selfsigned; log "serving https://127.0.0.1:10257/healthz"
    serve openssl s_server -quiet -WWW -accept 10257 -cert /tmp/serving.crt -key /tmp/serving.key ;;
  kube-scheduler)
    need kubeconfig
    selfsigned; log "serving https://127.0.0.1:10259/healthz"
    serve openssl s_server -quiet -WWW -accept 10259 -cert /tmp/serving.crt -key /tmp/serving.key ;;
  kubelet)
    need kubeconfig hostname-override root-dir client-ca-file pod-infra-container-image
    kc=$(flag kubeconfig); server=$(kc_get "$kc" server); server=${server#https://}
    handshake 90 -connect "$server" -CAfile "$(kc_get "$kc" certificate-authority)" \
      -cert "$(kc_get "$kc" client-certificate)" -key "$(kc_get "$kc" client-key)" ||
      die "cannot reach the API at $server with $kc"
    log "API at $server accepted $kc; serving http://127.0.0.1:10248/healthz"
    register_node "$server" "$kc" &
    serve httpd -f -p 127.0.0.1:10248 -h /tmp/www ;;
  kube-proxy)
    need kubeconfig hostname-override cluster-cidr
    # the real kube-proxy answers 200 with a JSON body, not "ok" (a health check must not insist on "ok")
    now=$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)
    mkdir -p /tmp/proxy-www && printf '{"lastUpdated": "%s","currentTime": "%s"}' "$now" "$now" > /tmp/proxy-www/healthz
    log "serving http://127.0.0.1:10256/healthz"
    serve httpd -f -p 127.0.0.1:10256 -h /tmp/proxy-www ;;
  *) die "unknown component (called as $C)" ;;
esac
