#!/usr/bin/env bash
# install-deps.sh — install every system package the build and the testbed need (Debian 12, root).
# Quiet and quick when everything is already there.
# The build needs only cargo plus a C compiler and libc headers (the linker, aws-lc-sys) and TLS
# roots for crates.io; no protoc: etcd's API code is generated in the repository (src/etcd/api).
# Everything else is for the testbed.
set -euo pipefail
pkgs="ca-certificates gcc libc6-dev docker.io openssh-server openssh-client etcd-server etcd-client busybox-static iproute2 iptables
util-linux procps openssl python3 file"
missing=
for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
