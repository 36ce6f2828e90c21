#!/usr/bin/env bash
# images.sh — build the testbed's image archive once: $TB_DIR/images/stockade-testbed-images.tar
# (docker save format). No registry is reachable here, so images are made from local files:
#   stockade-testbed/etcd:v3.4.23  Debian's etcd + etcdctl with their shared libraries, plus a
#                                  static busybox (sh, rm, ...); CMD /usr/local/bin/etcd
#   stockade-testbed/tools:v1      static busybox, plus the rke-tools stand-ins from tests/standin
#                                  (entrypoint.sh as a volume, nginx-proxy): the image of RKE's
#                                  alpine / rke-tools slots, helper containers included
#   stockade-testbed/kubernetes-standin:v1.31.1
#                                  tests/standin's stand-in for the Kubernetes components (NOT
#                                  Kubernetes: it checks its flags and files and serves /healthz)
# The archive is not loaded into the hosts: `stockade up --image-archive` does that, the way an
# air-gapped operator would.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
. "$HERE/lib.sh"
OUT=$TB_DIR/images/stockade-testbed-images.tar
# the archive is rebuilt when this script or the stand-in sources change
SUM=$(cat "$0" "$ROOT"/tests/standin/* | sha256sum | cut -c1-16)
[ -s "$OUT" ] && [ "$(cat "$OUT.sum" 2>/dev/null)" = "$SUM" ] && exit 0
first=$(tb_hosts | head -1); [ -n "$first" ] || tb_die "no hosts: run up.sh first"
for c in busybox etcd etcdctl ldd; do command -v "$c" >/dev/null || tb_die "missing $c: run install-deps.sh"; done
W=$(mktemp -d "$TB_DIR/images/build.XXXX"); trap 'rm -rf "$W"' EXIT
rootfs() {
  local r=$1
  mkdir -p "$r"/{bin,etc,root,tmp,usr/local/bin}; chmod 1777 "$r/tmp"
  cp "$(command -v busybox)" "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
}
rootfs "$W/etcd"; mkdir -p "$W/etcd/var/lib/etcd"
cp "$(command -v etcd)" "$(command -v etcdctl)" "$W/etcd/usr/local/bin/"
# the Debian binaries are dynamically linked: copy their libraries and loader
ldd "$(command -v etcd)" "$(command -v etcdctl)" | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' |
  sort -u | while read -r f; do cp --parents -L "$f" "$W/etcd"; done
rootfs "$W/tools"
"$ROOT/tests/standin/rootfs.sh" tools "$W/tools"
rootfs "$W/kubernetes"
"$ROOT/tests/standin/rootfs.sh" kubernetes "$W/kubernetes"
ENVPATH='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
tar --numeric-owner -C "$W/etcd" -c . | tb_docker "$first" import -c "$ENVPATH" -c 'CMD ["/usr/local/bin/etcd"]' - "$TB_ETCD_IMAGE" >/dev/null
tar --numeric-owner -C "$W/tools" -c . | tb_docker "$first" import -c "$ENVPATH" -c 'VOLUME /opt/rke-tools' -c 'CMD ["sh"]' - "$TB_TOOLS_IMAGE" >/dev/null
tar --numeric-owner -C "$W/kubernetes" -c . | tb_docker "$first" import -c "$ENVPATH" - "$TB_K8S_IMAGE" >/dev/null
tb_docker "$first" save -o "$OUT.tmp" "$TB_ETCD_IMAGE" "$TB_TOOLS_IMAGE" "$TB_K8S_IMAGE"
tb_docker "$first" rmi "$TB_ETCD_IMAGE" "$TB_TOOLS_IMAGE" "$TB_K8S_IMAGE" >/dev/null
mv "$OUT.tmp" "$OUT"
echo "$SUM" > "$OUT.sum"
tb_log "built $OUT"
