#!/usr/bin/env bash
# benches/noop-up.sh [RUNS] — wall time of a no-op `stockade up` against the 3 testbed hosts,
# next to the plain loop `for h in ...; do ssh h docker ps; done` over the same hosts, and their
# ratio. A benchmark, not a test: it prints numbers and asserts nothing. Needs a running testbed
# (testbed/up.sh 3) and a built binary (cargo build --release). It takes the testbed hosts over:
# whatever cluster ran there is removed first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/testbed/lib.sh"
RUNS=${1:-5}
BIN=${STOCKADE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/stockade}
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set STOCKADE_BIN)" >&2; exit 1; }
[ -s "$TB_DIR/hosts.txt" ] || { echo "no testbed: run testbed/up.sh 3" >&2; exit 1; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
"$ROOT/testbed/cluster-yml.sh" 3 > "$WORK/cluster.yml"
up() { (cd "$WORK" && "$BIN" -q up --known-hosts "$TB_DIR/known_hosts" --image-archive "$TB_DIR/images/stockade-testbed-images.tar"); }
(cd "$WORK" && "$BIN" -q remove --force --known-hosts "$TB_DIR/known_hosts" --image-archive "$TB_DIR/images/stockade-testbed-images.tar")
up   # reach the steady state; the timed runs below change nothing
hosts=$(awk '{print $1}' "$TB_DIR/hosts.txt" | head -3)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
total_up=0; total_ssh=0
for _ in $(seq 1 "$RUNS"); do
  t=$(date +%s%N); up; total_up=$((total_up + $(ms "$t")))
  t=$(date +%s%N); for h in $hosts; do ssh -F "$TB_DIR/ssh_config" "$h" docker ps >/dev/null; done; total_ssh=$((total_ssh + $(ms "$t")))
done
awk -v u="$total_up" -v s="$total_ssh" -v n="$RUNS" 'BEGIN {
  printf "no-op stockade up (3 hosts):        %7.0f ms (mean of %d)\n", u/n, n
  printf "for h in h1 h2 h3; ssh h docker ps: %7.0f ms (mean of %d)\n", s/n, n
  printf "ratio stockade / ssh loop:          %7.2f\n", u/s }'
