#!/usr/bin/env bash
# rootfs.sh KIND DIR — lay out the root filesystem of a stand-in image (tests only):
#   kubernetes  busybox + openssl (with its libraries) + kubernetes-standin.sh installed as
#               kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy;
#               python3 + apiserver.py (the API part of the kube-apiserver stand-in)
#   tools       additions to the tools image: /opt/rke-tools/entrypoint.sh and nginx-proxy
# The testbed's images.sh imports the results; the images' names say "standin".
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KIND=$1 R=$2
case $KIND in
  kubernetes)
    mkdir -p "$R/usr/local/bin" "$R/etc/ssl"
    cp "$(command -v openssl)" "$R/usr/local/bin/openssl"
    ldd "$(command -v openssl)" | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' |
      sort -u | while read -r f; do cp --parents -L "$f" "$R"; done
    mkdir -p "$R/usr/lib/ssl"
    cp -L /etc/ssl/openssl.cnf "$R/usr/lib/ssl/openssl.cnf"
    # python3 (Debian's, with the standard library minus what a server never imports) for the
    # API part of the kube-apiserver stand-in
    py=$(readlink -f /usr/bin/python3); pylib=/usr/lib/$(basename "$py")
    cp --parents -L "$py" "$R"; ln -sf "$py" "$R/usr/bin/python3"
    mkdir -p "$R$pylib"
    tar -C "$pylib" --exclude=test --exclude=idlelib --exclude=tkinter --exclude=lib2to3 --exclude=ensurepip \
      --exclude=pydoc_data --exclude=distutils --exclude='config-*' --exclude=__pycache__ -c . | tar -C "$R$pylib" -x
    { ldd "$py"; ldd "$pylib"/lib-dynload/*.so; } 2>/dev/null | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' |
      sort -u | while read -r f; do cp --parents -L "$f" "$R"; done
    mkdir -p "$R/usr/local/lib/standin"
    install -m 0644 "$HERE/apiserver.py" "$R/usr/local/lib/standin/apiserver.py"
    install -m 0755 "$HERE/kubernetes-standin.sh" "$R/usr/local/bin/kubernetes-standin"
    for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
      ln -sf kubernetes-standin "$R/usr/local/bin/$c"
    done ;;
  tools)
    mkdir -p "$R/opt/rke-tools" "$R/usr/bin"
    install -m 0755 "$HERE/entrypoint.sh" "$R/opt/rke-tools/entrypoint.sh"
    install -m 0755 "$HERE/nginx-proxy.sh" "$R/usr/bin/nginx-proxy" ;;
  *) echo "usage: rootfs.sh kubernetes|tools DIR" >&2; exit 2 ;;
esac
