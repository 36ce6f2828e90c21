#!/usr/bin/env bash
# k8s-images.sh BIN_DIR — the images a REAL Kubernetes v1.20 cluster needs on the testbed, where no
# registry is reachable, built locally from the binaries of k8s-binaries.sh (BIN_DIR) and this
# Debian 12 machine's tools:
#   stockade-testbed/hyperkube:v1.20.2  like rancher/hyperkube: the 6 binaries in /usr/local/bin, plus
#                                       what kubelet and kube-proxy exec at run time, copied with their
#                                       shared libraries: iptables/ip6tables/ebtables (nft backend, as
#                                       the hosts' dockerd; legacy too) with the dlopen'd xtables
#                                       modules, ip, nsenter, mount/umount/findmnt/losetup/blkid,
#                                       conntrack, socat (port-forward), ethtool, ipset, GNU du/find,
#                                       glibc for kubelet (cgo); static busybox for /bin/sh
#   stockade-testbed/pause:3.2          kubelet's --pod-infra-container-image (k8s/pause.c, static)
#   stockade-testbed/k8s-sidekick:v1    system_images.kubernetes_services_sidecar: VOLUME /opt/rke-tools
#                                       with k8s/entrypoint.sh (rke-tools' kubelet preparation) and the
#                                       docker CLI it calls
# Outputs (paths printed on stdout, one per line):
#   1. /var/cache/stockade/k8s-images-<key>/k8s-images.tar — the 3 images (`docker save`), cached
#      outside the clone; <key> covers the binaries' build, this script, pause.c and entrypoint.sh.
#   2. $TB_DIR/images/real-kubernetes-images.tar — those 3 plus the testbed's etcd and tools images:
#      the one archive the test passes to `stockade up --image-archive` (the air-gapped way).
# Images are built in the first testbed host's dockerd (testbed/up.sh must have run) and removed
# from it again, so that stockade itself loads them. Needs what install-deps.sh installs.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
BIN=$(cd "${1:?usage: k8s-images.sh BIN_DIR}" && pwd)
CACHE=${STOCKADE_CACHE:-/var/cache/stockade}
K8S_IMAGE=stockade-testbed/hyperkube:v1.20.2
PAUSE_IMAGE=stockade-testbed/pause:3.2
SIDEKICK_IMAGE=stockade-testbed/k8s-sidekick:v1
BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl"
for b in $BINS; do [ -x "$BIN/$b" ] || tb_die "missing $BIN/$b: run testbed/k8s-binaries.sh"; done
first=$(tb_hosts | head -1); [ -n "$first" ] || tb_die "no hosts: run testbed/up.sh first"
TB_ARCHIVE=$TB_DIR/images/stockade-testbed-images.tar
[ -s "$TB_ARCHIVE" ] || tb_die "no $TB_ARCHIVE: run testbed/up.sh first"

KEY=$( { for b in $BINS; do sha256sum "$BIN/$b" | cut -c1-64; done; cat "$0" "$HERE/k8s/pause.c" "$HERE/k8s/entrypoint.sh"; } | sha256sum | cut -c1-16)
OUT_DIR=$CACHE/k8s-images-$KEY
OUT=$OUT_DIR/k8s-images.tar
mkdir -p "$CACHE"
exec 9>"$OUT_DIR.lock"
flock 9
if [ ! -s "$OUT" ]; then
  t0=$(date +%s)
  W=$(mktemp -d "$TB_DIR/images/k8s-build.XXXX"); trap 'rm -rf "$W"' EXIT
  # executables (resolved through symlinks) and every shared library they load
  libs() { ldd "$@" 2>/dev/null | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u; }
  copy_with_libs() {
    local r=$1 f; shift
    for f in "$@"; do cp --parents -L "$f" "$r"; done
    libs "$@" | while read -r f; do cp --parents -L "$f" "$r"; done
  }
  base_rootfs() {
    local r=$1 a
    mkdir -p "$r"/{bin,etc,root,tmp,usr/local/bin,usr/sbin,var/run,run}; chmod 1777 "$r/tmp"
    cp "$(command -v busybox)" "$r/bin/busybox"
    for a in $("$r/bin/busybox" --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
    printf 'hosts: files dns\n' > "$r/etc/nsswitch.conf"
    cp /etc/protocols /etc/services "$r/etc/"
  }
  # --- hyperkube ---
  R=$W/hyperkube; base_rootfs "$R"
  for b in $BINS; do install -m 0755 "$BIN/$b" "$R/usr/local/bin/$b"; done
  libs "$BIN/kubelet" | while read -r f; do cp --parents -L "$f" "$R"; done   # kubelet is cgo (glibc)
  tools=""
  for c in ip nsenter mount umount findmnt losetup blkid conntrack socat ethtool ipset du find \
           xtables-nft-multi xtables-legacy-multi; do
    p=$(command -v "$c") || tb_die "missing $c on this machine: run testbed/install-deps.sh"
    tools="$tools $(readlink -f "$p")"
  done
  # shellcheck disable=SC2086
  copy_with_libs "$R" $tools
  for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore ebtables; do
    ln -sf /usr/sbin/xtables-nft-multi "$R/usr/sbin/$n"
  done
  for n in iptables-legacy iptables-legacy-save iptables-legacy-restore; do ln -sf /usr/sbin/xtables-legacy-multi "$R/usr/sbin/$n"; done
  xt=/usr/lib/x86_64-linux-gnu/xtables                    # match/target extensions are dlopen()ed
  mkdir -p "$R$xt"; cp -L "$xt"/*.so "$R$xt/"
  libs "$xt"/*.so | while read -r f; do cp --parents -L "$f" "$R"; done
  [ -e /etc/ethertypes ] && cp /etc/ethertypes "$R/etc/"
  [ -e /etc/os-release ] && cp -L /etc/os-release "$R/etc/os-release"   # the node's OS-IMAGE
  # PATH puts /usr/bin (GNU du/find, util-linux mount) before busybox's /bin: kubelet's exec lookups
  # must find the real tools (volume metrics use `find -printf`)
  ENVPATH='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  tar --numeric-owner -C "$R" -c . | tb_docker "$first" import -c "$ENVPATH" - "$K8S_IMAGE" >/dev/null
  # --- pause ---
  P=$W/pause; mkdir -p "$P"
  gcc -static -Os -s -o "$P/pause" "$HERE/k8s/pause.c"
  tar --numeric-owner -C "$P" -c . | tb_docker "$first" import -c 'ENTRYPOINT ["/pause"]' - "$PAUSE_IMAGE" >/dev/null
  # --- sidekick: entrypoint.sh + the docker CLI (it runs inside the hyperkube container, same glibc) ---
  S=$W/sidekick; base_rootfs "$S"
  mkdir -p "$S/opt/rke-tools/bin"
  install -m 0755 "$HERE/k8s/entrypoint.sh" "$S/opt/rke-tools/entrypoint.sh"
  install -m 0755 "$(command -v docker)" "$S/opt/rke-tools/bin/docker"
  tar --numeric-owner -C "$S" -c . | tb_docker "$first" import -c "$ENVPATH" -c 'VOLUME /opt/rke-tools' -c 'CMD ["sh"]' - "$SIDEKICK_IMAGE" >/dev/null
  mkdir -p "$OUT_DIR"
  tb_docker "$first" save -o "$OUT.tmp" "$K8S_IMAGE" "$PAUSE_IMAGE" "$SIDEKICK_IMAGE"
  mv "$OUT.tmp" "$OUT"
  echo "built in $(( $(date +%s) - t0 )) s, $(date -u +%FT%TZ), from $BIN" > "$OUT_DIR/BUILD-INFO"
  tb_log "k8s images: $(cat "$OUT_DIR/BUILD-INFO")"
fi

# the archive for `stockade up --image-archive`: the testbed's etcd/tools images plus the 3 above
COMBINED=$TB_DIR/images/real-kubernetes-images.tar
SUM=$( { cat "$TB_ARCHIVE.sum" 2>/dev/null; echo "$KEY"; } | sha256sum | cut -c1-16)
if [ ! -s "$COMBINED" ] || [ "$(cat "$COMBINED.sum" 2>/dev/null)" != "$SUM" ]; then
  tb_docker "$first" load -q -i "$TB_ARCHIVE" >/dev/null
  tb_docker "$first" load -q -i "$OUT" >/dev/null
  tb_docker "$first" save -o "$COMBINED.tmp" "$TB_ETCD_IMAGE" "$TB_TOOLS_IMAGE" "$K8S_IMAGE" "$PAUSE_IMAGE" "$SIDEKICK_IMAGE"
  mv "$COMBINED.tmp" "$COMBINED"
  echo "$SUM" > "$COMBINED.sum"
fi
# leave the host as stockade should find it: without these images (tests reset containers, not images)
tb_docker "$first" rmi "$K8S_IMAGE" "$PAUSE_IMAGE" "$SIDEKICK_IMAGE" "$TB_ETCD_IMAGE" "$TB_TOOLS_IMAGE" >/dev/null 2>&1 || true
echo "$OUT"
echo "$COMBINED"
