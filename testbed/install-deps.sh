#!/usr/bin/env bash
# install-deps.sh — install every system package the build and the testbed need (Debian 12, root).
# Quiet and quick when everything is already there.
set -euo pipefail
pkgs="docker.io openssh-server openssh-client etcd-server etcd-client busybox-static iproute2 iptables
util-linux procps openssl protobuf-compiler python3 file"
missing=
for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
