#!/usr/bin/env bash
# tests/run.sh — every test: unit and golden tests, then the testbed suite against real sshd,
# dockerd and etcd on a local 5-host testbed. Run as root on Debian 12. Installs what it needs,
# starts the testbed if it is not running, and stops it again at the end if it started it
# (STOCKADE_KEEP_TESTBED=1 keeps it), with its S3 server (testbed/s3.sh). If the testbed cannot
# start, this fails: it never skips.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ "$(id -u)" = 0 ] || { echo "tests/run.sh must run as root (it creates network namespaces and daemons)" >&2; exit 1; }
export STOCKADE_TESTBED_DIR=${STOCKADE_TESTBED_DIR:-/tmp/stockade-testbed}
testbed/install-deps.sh
cargo build --locked --tests
started=
if [ ! -s "$STOCKADE_TESTBED_DIR/hosts.txt" ]; then started=1; fi
stop() { if [ -n "$started" ] && [ "${STOCKADE_KEEP_TESTBED:-0}" != 1 ]; then testbed/down.sh || true; fi; }
trap stop EXIT
testbed/up.sh 5
# the real S3 server for the snapshot tests (tests/testbed/s3_store.rs): one Garage node on the
# testbed bridge; built once per version into /var/cache/stockade (a fresh machine: ~30 min) plus
# moto from PyPI for its HTTPS endpoint (2–3 min)
testbed/s3.sh
# the real Kubernetes test (tests/testbed/real_kubernetes.rs): binaries from Debian's source package
# (cached in /var/cache/stockade; a fresh machine builds them, 12–25 min on 2 cores) and the images
# made from them (cached too; seconds)
STOCKADE_K8S_BIN=$(nice -n 10 testbed/k8s-binaries.sh)
STOCKADE_K8S_ARCHIVE=$(testbed/k8s-images.sh "$STOCKADE_K8S_BIN" | tail -1)
export STOCKADE_K8S_BIN STOCKADE_K8S_ARCHIVE
# the testbed tests share the hosts: one at a time
cargo test --locked -- --test-threads=1
