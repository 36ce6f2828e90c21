#!/usr/bin/env bash
# images.sh — build the testbed's image archive once: $TB_DIR/images/stockade-testbed-images.tar
# (docker save format). No registry is reachable here, so images are made from local files:
#   stockade-testbed/etcd:v3.4.23  Debian's etcd + etcdctl with their shared libraries, plus a
#                                  static busybox (sh, rm, ...); CMD /usr/local/bin/etcd
#   stockade-testbed/tools:v1      static busybox only; the helper image (RKE's "alpine"/rke-tools
#                                  slot) stockade uses to write and clean host directories
# The archive is not loaded into the hosts: `stockade up --image-archive` does that, the way an
# air-gapped operator would.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
OUT=$TB_DIR/images/stockade-testbed-images.tar
[ -s "$OUT" ] && exit 0
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
ENVPATH='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
tar --numeric-owner -C "$W/etcd" -c . | tb_docker "$first" import -c "$ENVPATH" -c 'CMD ["/usr/local/bin/etcd"]' - "$TB_ETCD_IMAGE" >/dev/null
tar --numeric-owner -C "$W/tools" -c . | tb_docker "$first" import -c "$ENVPATH" -c 'CMD ["sh"]' - "$TB_TOOLS_IMAGE" >/dev/null
tb_docker "$first" save -o "$OUT.tmp" "$TB_ETCD_IMAGE" "$TB_TOOLS_IMAGE"
tb_docker "$first" rmi "$TB_ETCD_IMAGE" "$TB_TOOLS_IMAGE" >/dev/null
mv "$OUT.tmp" "$OUT"
tb_log "built $OUT"
