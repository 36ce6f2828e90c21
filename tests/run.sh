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
export STOCKADE_TESTBED_NAME=${STOCKADE_TESTBED_NAME:-stk}
export STOCKADE_TESTBED_NET=${STOCKADE_TESTBED_NET:-10.78.0}
# The testbed suite runs in two groups at the same time, each on its own 5-host testbed instance:
# most of a testbed test's time is spent waiting on the hosts (containers starting, etcd, health
# checks), not on the 2 cores. Group B: the real-Kubernetes, upgrade, snapshot and RKE1-takeover
# tests (the longest); group A: every other test, the unit, golden and CLI tests included.
# STOCKADE_TESTBED_GROUPS=1: one testbed, every test one after the other.
GROUPS_N=${STOCKADE_TESTBED_GROUPS:-2}
GROUP_B=(real_kubernetes:: upgrade:: snapshot:: s3_store:: state::)
B_DIR=$STOCKADE_TESTBED_DIR-b B_NAME=${STOCKADE_TESTBED_NAME}b
B_NET=${STOCKADE_TESTBED_NET%.*}.$(( ${STOCKADE_TESTBED_NET##*.} + 1 ))
testbed/install-deps.sh
cargo build --locked --tests
# the test targets: the testbed binary is run directly (both groups; one cargo at a time in the
# target directory), every other test target through cargo
TARGETS=$(cargo test --locked --no-run --tests --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["profile"]["test"] and m["target"]["kind"] == ["test"]:
        print(m["target"]["name"], m["executable"])')
TESTBED_BIN=$(awk '$1 == "testbed" {print $2}' <<<"$TARGETS")
[ -x "$TESTBED_BIN" ] || { echo "tests/run.sh: the testbed test binary was not found" >&2; exit 1; }
others=(); for t in $(awk '$1 != "testbed" {print $1}' <<<"$TARGETS"); do others+=(--test "$t"); done
on_b() { STOCKADE_TESTBED_DIR=$B_DIR STOCKADE_TESTBED_NAME=$B_NAME STOCKADE_TESTBED_NET=$B_NET "$@"; }
started= started_b=
if [ ! -s "$STOCKADE_TESTBED_DIR/hosts.txt" ]; then started=1; fi
if [ "$GROUPS_N" = 2 ] && [ ! -s "$B_DIR/hosts.txt" ]; then started_b=1; fi
b_pid=
stop() {
  # group B first (its own process group), so that its testbed is not taken from under it
  if [ -n "$b_pid" ] && kill -0 "$b_pid" 2>/dev/null; then kill -TERM -- "-$b_pid" 2>/dev/null || true; wait "$b_pid" 2>/dev/null || true; fi
  [ "${STOCKADE_KEEP_TESTBED:-0}" = 1 ] && return
  if [ -n "$started_b" ]; then on_b testbed/down.sh || true; fi
  if [ -n "$started" ]; then testbed/down.sh || true; fi
}
trap stop EXIT
# a cancelled run (TERM, INT) stops the testbeds too: exit runs the EXIT trap
trap 'exit 143' TERM
trap 'exit 130' INT
testbed/up.sh 5
# the real S3 server for the snapshot tests (tests/testbed/s3_store.rs): one Garage node on the
# testbed bridge; built once per version into /var/cache/stockade (a fresh machine: ~30 min) plus
# moto from PyPI for its HTTPS endpoint (2–3 min)
testbed/s3.sh
if [ "$GROUPS_N" = 2 ]; then on_b testbed/up.sh 5; on_b testbed/s3.sh; fi
# the real Kubernetes test (tests/testbed/real_kubernetes.rs): binaries from Debian's source package
# (cached in /var/cache/stockade; a fresh machine builds them, 12–25 min on 2 cores) and the images
# made from them (cached too; seconds)
STOCKADE_K8S_BIN=$(nice -n 10 testbed/k8s-binaries.sh)
STOCKADE_K8S_ARCHIVE=$(testbed/k8s-images.sh "$STOCKADE_K8S_BIN" | tail -1)
export STOCKADE_K8S_BIN STOCKADE_K8S_ARCHIVE
# the tests of one testbed share its hosts: one at a time
if [ "$GROUPS_N" != 2 ]; then
  # (not exec: the EXIT trap stops the testbed afterwards)
  cargo test --locked -- --test-threads=1
  exit
fi
skips=(); for m in "${GROUP_B[@]}"; do skips+=(--skip "$m"); done
# group B in its own process group (set -m), so that stop() can end it as a whole
set -m
( on_b "$TESTBED_BIN" --test-threads=1 "${GROUP_B[@]}" 2>&1 | sed -u 's/^/[testbed B] /' ) &
b_pid=$!
set +m
# group A: the library's tests (unit, golden, doc), every other test target, then the rest of
# the testbed
# (each step runs whatever failed before it: one run reports every failure)
a_rc=0
cargo test --locked --lib --bins -- --test-threads=1 || a_rc=$?
cargo test --locked --doc || a_rc=$?
if [ "${#others[@]}" -gt 0 ]; then cargo test --locked --no-fail-fast "${others[@]}" -- --test-threads=1 || a_rc=$?; fi
"$TESTBED_BIN" --test-threads=1 "${skips[@]}" || a_rc=$?
b_rc=0; wait "$b_pid" || b_rc=$?
b_pid=
echo "tests/run.sh: group A exit $a_rc, group B exit $b_rc"
[ "$a_rc" = 0 ] && [ "$b_rc" = 0 ]
