#!/usr/bin/env bash
# k8s-binaries.sh — build the REAL Kubernetes binaries the testbed's real-cluster test runs
# (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl) from
# Debian bookworm's `kubernetes` SOURCE package, and print the directory that holds them.
#
# Why this way: no registry or release download is reachable from the test machines, but Debian's
# source package is. Its orig tarball is upstream v1.20.2 with the whole vendor/ tree, so it builds
# offline with Debian's golang-go (`hack/lib/version.sh` is pre-filled: the binaries report v1.20.2).
#
# The result is cached OUTSIDE the clone, keyed by the Debian package version:
#   /var/cache/stockade/kubernetes-<debian version>/bin/<the 6 binaries>
# and the script returns at once when that directory is complete. A fresh machine builds it
# (12–25 min on 2 cores; run it with `nice`). Concurrent callers wait on a lock instead of building twice.
#
# Needs (testbed/install-deps.sh installs them and adds bookworm's deb-src entry): golang-go,
# rsync (Kubernetes' code generators call it), and apt deb-src for bookworm.
# Env: STOCKADE_CACHE (default /var/cache/stockade), K8S_DEB_VERSION (default below).
set -euo pipefail
VERSION=${K8S_DEB_VERSION:-1.20.5+really1.20.2-1.1+deb12u1}
CACHE=${STOCKADE_CACHE:-/var/cache/stockade}
OUT=$CACHE/kubernetes-$VERSION
BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl"

complete() { [ -f "$OUT/.complete" ] && for b in $BINS; do [ -x "$OUT/bin/$b" ] || return 1; done; }
if complete; then echo "$OUT/bin"; exit 0; fi

mkdir -p "$CACHE"
exec 9>"$OUT.lock"
flock 9
if complete; then echo "$OUT/bin"; exit 0; fi   # another caller built it while we waited

command -v go >/dev/null && command -v rsync >/dev/null ||
  { echo "k8s-binaries.sh: golang-go and rsync are missing: run testbed/install-deps.sh first" >&2; exit 1; }
WORK=$OUT.build
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK"
cd "$WORK"
t0=$(date +%s)
echo "k8s-binaries.sh: fetching Debian source kubernetes=$VERSION" >&2
# apt verifies the .dsc and tarballs against the signed Sources index. The version is pinned: with
# newer suites in deb-src, a bare `apt-get source kubernetes` would pick another release.
apt-get source --download-only -qq "kubernetes=$VERSION" >&2
upstream=${VERSION%-*}                       # 1.20.5+really1.20.2
tar -xzf "kubernetes_${upstream}.orig.tar.gz"
src=$(find . -maxdepth 1 -type d -name 'kubernetes-*' | head -1)
[ -n "$src" ] || { echo "k8s-binaries.sh: no kubernetes-* directory in the orig tarball" >&2; exit 1; }
cd "$src"
# `make`, not `go build`: the tarball lacks generated files (zz_generated.openapi.go, ...) that the
# Makefile's generator step writes first. Go's caches stay in the work dir, removed afterwards.
export GOCACHE=$WORK/gocache
targets=""; for b in $BINS; do targets="$targets cmd/$b"; done
echo "k8s-binaries.sh: make all WHAT=\"${targets# }\" (this takes a while)" >&2
make all WHAT="${targets# }" >"$WORK/make.log" 2>&1 ||
  { tail -40 "$WORK/make.log" >&2; echo "k8s-binaries.sh: make failed; full log: $WORK/make.log" >&2; exit 1; }
mkdir -p "$OUT.tmp/bin"
for b in $BINS; do install -m 0755 "_output/bin/$b" "$OUT.tmp/bin/$b"; done
echo "$VERSION built in $(( $(date +%s) - t0 )) s on $(nproc) cores, $(date -u +%FT%TZ)" > "$OUT.tmp/BUILD-INFO"
touch "$OUT.tmp/.complete"
mv "$OUT.tmp" "$OUT"
cd /
chmod -R u+w "$WORK" 2>/dev/null || true       # Go's module cache is read-only
rm -rf "$WORK"
cat "$OUT/BUILD-INFO" >&2
echo "$OUT/bin"
