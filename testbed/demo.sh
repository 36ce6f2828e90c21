#!/usr/bin/env bash
# testbed/demo.sh — the quick start: install what is needed, build stockade, bring up a 3-host
# local testbed and run `stockade up` on it. Leaves the cluster running; the work directory
# (cluster.yml, cluster.rkestate, kube_config_cluster.yml) is printed at the end.
# Tear down with testbed/down.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/testbed/lib.sh"
[ "$(id -u)" = 0 ] || tb_die "run as root"
"$ROOT/testbed/install-deps.sh"
(cd "$ROOT" && cargo build --locked)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/stockade
"$ROOT/testbed/up.sh" 3
WORK=$TB_DIR/demo; mkdir -p "$WORK"
"$ROOT/testbed/cluster-yml.sh" 3 > "$WORK/cluster.yml"
cd "$WORK"
"$BIN" up --known-hosts "$TB_DIR/known_hosts" --image-archive "$TB_DIR/images/stockade-testbed-images.tar"
echo
echo "cluster files in $WORK; etcd answers with the state's certificates, e.g.:"
echo "  $BIN up --config $WORK/cluster.yml --known-hosts $TB_DIR/known_hosts   # a second run changes nothing"
