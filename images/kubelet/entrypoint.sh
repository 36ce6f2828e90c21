#!/bin/bash
# Entrypoint of stockade's node image: `kubelet <flags>` as stockade's plan writes it.
# - the kubelet gets Docker's cgroup driver (kubelet and runtime must agree), read from the Docker
#   API on the host's socket;
# - with RKE_KUBELET_CRIDOCKERD=true, cri-dockerd is started first on the socket the kubelet's
#   --container-runtime-endpoint names, with the CNI directories and the pause image the kubelet
#   was given; if either process exits, the container exits and Docker restarts it.
set -euo pipefail

component="${1:-}"
shift || true
if [ "$component" != kubelet ]; then
  exec "$component" "$@"
fi

flag() { # value of --$1=... among the kubelet's arguments
  local a
  for a in "${ARGS[@]}"; do
    case "$a" in --"$1"=*) printf '%s' "${a#*=}"; return 0 ;; esac
  done
}
ARGS=("$@")

docker_info=$(curl -fsS --max-time 10 --unix-socket /var/run/docker.sock http://localhost/info) || {
  echo "entrypoint: cannot read the Docker API at /var/run/docker.sock (is it mounted?)" >&2
  exit 1
}
driver=$(printf '%s' "$docker_info" | sed -n 's/.*"CgroupDriver":"\([a-z]*\)".*/\1/p')
if [ -z "$(flag cgroup-driver)" ]; then
  ARGS+=("--cgroup-driver=${driver:-cgroupfs}")
fi

if [ "${RKE_KUBELET_CRIDOCKERD:-}" != true ]; then
  exec kubelet "${ARGS[@]}"
fi

endpoint=$(flag container-runtime-endpoint)
endpoint=${endpoint:-unix:///var/run/cri-dockerd.sock}
socket=${endpoint#unix://}
rm -f "$socket"
cri_args=(
  "--container-runtime-endpoint=${endpoint}"
  --network-plugin=cni
  --cni-bin-dir=/opt/cni/bin
  --cni-conf-dir=/etc/cni/net.d
  --cri-dockerd-root-directory=/var/lib/cri-dockerd
)
pause=$(flag pod-infra-container-image)
[ -n "$pause" ] && cri_args+=("--pod-infra-container-image=${pause}")
[ -n "${CRIDOCKERD_STREAM_SERVER_ADDRESS:-}" ] && cri_args+=("--streaming-bind-addr=${CRIDOCKERD_STREAM_SERVER_ADDRESS}:${CRIDOCKERD_STREAM_SERVER_PORT:-10010}")
[ "${RKE_KUBELET_CRIDOCKERD_DUALSTACK:-}" = true ] && cri_args+=(--ipv6-dual-stack)

cri-dockerd "${cri_args[@]}" &
cri=$!
for _ in $(seq 1 60); do
  [ -S "$socket" ] && break
  kill -0 "$cri" 2>/dev/null || { echo "entrypoint: cri-dockerd exited before creating $socket" >&2; exit 1; }
  sleep 1
done
[ -S "$socket" ] || { echo "entrypoint: cri-dockerd did not create $socket within 60s" >&2; exit 1; }

kubelet "${ARGS[@]}" &
kub=$!
# whichever stops first takes the container down with it
wait -n "$cri" "$kub" || true
kill "$cri" "$kub" 2>/dev/null || true
exit 1
