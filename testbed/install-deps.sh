#!/usr/bin/env bash
# install-deps.sh — install every system package the build and the testbed need (Debian 12, root).
# Quiet and quick when everything is already there.
# The build needs only cargo plus a C compiler and libc headers (the linker, aws-lc-sys) and TLS
# roots for crates.io; no protoc: etcd's API code is generated in the repository (src/etcd/api).
# Everything else is for the testbed.
set -euo pipefail
pkgs="ca-certificates gcc libc6-dev docker.io openssh-server openssh-client etcd-server etcd-client busybox-static iproute2 iptables
util-linux procps openssl python3 python3-venv make file
golang-go rsync conntrack socat ethtool ipset containernetworking-plugins"
# golang-go, rsync: testbed/k8s-binaries.sh builds the real Kubernetes binaries from Debian's source
# package; conntrack, socat, ethtool, ipset: testbed/k8s-images.sh copies what kubelet/kube-proxy
# run into the hyperkube image (gcc builds its pause image); containernetworking-plugins: the bridge
# CNI the real-Kubernetes test gives its kubelets (RKE1 runs v1.20 kubelets with --network-plugin=cni).
# python3-venv: testbed/s3.sh installs moto (the TLS S3 server) from PyPI into a venv; Garage, the
# main S3 server, is built with cargo; make: its bundled libsodium builds with configure + make.
missing=
for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
# k8s-binaries.sh needs bookworm's deb-src (apt-get source): a fresh machine has only `deb` entries.
src_list=/etc/apt/sources.list.d/stockade-bookworm-src.sources
need_update=
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ ||
   ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version: 1.20.5+really1.20.2'; then
  if [ ! -f "$src_list" ]; then
    cat > "$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  need_update=1
fi
if [ -n "$missing" ] || [ -n "$need_update" ]; then
  [ -z "$missing" ] || echo "installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  [ -z "$missing" ] || apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
