#!/usr/bin/env bash
# benches/snapshot-save.sh [SIZE_MB] — `stockade etcd snapshot-save --s3` of an etcd database of
# about SIZE_MB MiB (default 512) on the 3 testbed hosts, next to the baseline done by hand the
# way RKE1's tooling does it: `etcdctl snapshot save` to disk on the first etcd host, `scp` of that
# file to the two other etcd hosts, then a separate upload of it to the same S3 bucket (boto3's
# upload_file, multipart, from the laptop reading h1's file). Prints both wall times, their ratio, the peak memory of the stockade CLI
# (GNU time's max RSS) and of its agent containers (the largest `docker stats` sample seen, polled:
# an approximation from below).
#
# Then the restore of that snapshot from S3: `stockade etcd snapshot-restore --s3` with no local
# copy left (each etcd host downloads and verifies it, the preflight checks every copy, etcd and
# the control plane are stopped, every member restored, etcd started and checked, `up` brings the
# rest back), next to the baseline by hand: on each of the 3 etcd hosts at once, a boto3
# download of the archive, the etcd snapshot taken out of the zip, and `etcdctl snapshot restore`
# into a scratch data directory (no stop, no start, no health check: the least a restore needs).
# A benchmark, not a test: it asserts nothing.
#
# Measured 2026-12-07 (release build, 3-host testbed, Garage S3 on the bridge, the 2 cores
# otherwise idle; the baseline alone varies 17–23 s from run to run), `benches/snapshot-save.sh 512`:
#   random values (540–544 MiB, archive 407–412 MiB), two runs:
#     stockade etcd snapshot-save --s3 (3 hosts)    15.5, 15.6 s  vs baseline 23.4, 23.6 s: 0.67, 0.66
#     stockade etcd snapshot-restore --s3           48.1, 45.0 s  vs baseline 23.1, 26.0 s: 2.08, 1.73
#   BENCH_VALUES=objects (553 MiB, archive 129 MiB):
#     stockade etcd snapshot-save --s3 (3 hosts)    10.0 s  vs baseline 21.3 s: 0.47
#     stockade etcd snapshot-restore --s3           40.7 s  vs baseline 16.4 s: 2.48
#   peak memory: CLI 64 MiB (save), 72 MiB (restore); agents 18–36 MiB sampled
# History (random values): save 39.8 s (1.90) when the copies went through the CLI one after the
# other; 14.7–16.9 s (0.77–0.92) with one pass on the saving host; then each host reads its own
# copy back from the disk inside its agent instead of a separate read-back job afterwards.
# Restore 67.2 s (3.16); 41–57 s (1.9–2.9) with the downloads at once and `up` starting the
# control plane at once; then etcd's followers stopped together and the leader last (2.2 s for
# the stop phase instead of 4.1). The save is CPU-bound here (etcd, the three hosts' agents and
# Garage share the 2 cores; Deflate of random base64 runs at ~130 MB/s and saves only 25 %);
# stockade's restore also stops, restarts and health-checks etcd and the control plane and runs
# the `up` that follows, which the baseline does not (the real kube-apiserver takes ~7 s).
# Set BENCH_LOG_DIR=DIR to keep stockade's steps, each with the milliseconds since it started.
#
# Needs a running testbed with its S3 server (testbed/up.sh 3 && testbed/s3.sh) and a built binary
# (cargo build --release, or STOCKADE_BIN; a debug build's unoptimized deflate and sha256 make
# stockade's numbers meaningless). It takes the testbed hosts over: whatever cluster ran
# there is removed first. The database grows by SIZE_MB of values (etcd's default quota is
# 2 GiB: keep SIZE_MB below ~1500): BENCH_VALUES=random (the default) base64 of random bytes, the
# worst case for the archive's Deflate (it saves ~25 % at its slowest); BENCH_VALUES=objects
# Pod-like JSON objects, which compress about 4x (Kubernetes keeps custom resources as JSON; its
# built-in kinds are protobuf, which compresses less).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/testbed/lib.sh"
SIZE_MB=${1:-512}
VALUES=${BENCH_VALUES:-random}
BIN=${STOCKADE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/stockade}
[ -x "$BIN" ] || { echo "build first: cargo build --release (or set STOCKADE_BIN)" >&2; exit 1; }
[ -s "$TB_DIR/hosts.txt" ] || { echo "no testbed: run testbed/up.sh 3" >&2; exit 1; }
[ -s "$TB_DIR/s3.env" ] || { echo "no S3 server: run testbed/s3.sh" >&2; exit 1; }
. "$TB_DIR/s3.env"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
"$ROOT/testbed/cluster-yml.sh" 3 > "$WORK/cluster.yml"
ARCHIVE="$TB_DIR/images/stockade-testbed-images.tar"
sk() { (cd "$WORK" && "$BIN" -q "$@" --known-hosts "$TB_DIR/known_hosts"); }
sk remove --force --image-archive "$ARCHIVE"
sk up --image-archive "$ARCHIVE"

# client certificates from the state, for etcdctl on the laptop (filling) and on h1 (baseline)
python3 - "$WORK/cluster.rkestate" "$WORK" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["currentState"]["certificatesBundle"]
for f, v in [("ca.pem", b["kube-ca"]["certificatePEM"]), ("node.pem", b["kube-node"]["certificatePEM"]), ("node-key.pem", b["kube-node"]["keyPEM"])]:
    open(f"{sys.argv[2]}/{f}", "w").write(v)
PY
IP1=$(tb_ip 1)
etcdctl_laptop() { ETCDCTL_API=3 etcdctl --endpoints="https://$IP1:2379" --cacert="$WORK/ca.pem" --cert="$WORK/node.pem" --key="$WORK/node-key.pem" "$@"; }

# warm-up, untimed: the first snapshot-save loads the helper image onto the hosts
( cd "$WORK" && "$BIN" -q etcd snapshot-save --known-hosts "$TB_DIR/known_hosts" --name bench-warmup >/dev/null )
sk etcd snapshot delete bench-warmup >/dev/null

echo "filling etcd with ${SIZE_MB} MiB of $VALUES values ..." >&2
case "$VALUES" in
  random)   # base64 of random bytes: no repeats deflate can find, only its Huffman coding (~0.75)
    head -c $((700 * 1024)) /dev/urandom | base64 -w0 > "$WORK/value.0" ;;
  objects)  # Pod-like JSON objects, each with its own names, ids and a random env value
    python3 - "$WORK" <<'PY'
import base64, json, os, random, string, sys
rnd = lambda k, a=string.ascii_lowercase + string.digits: "".join(random.choices(a, k=k))
for v in range(8):
    out, size = [], 0
    while size < 933 * 1024:
        o = {"kind": "Pod", "apiVersion": "v1",
             "metadata": {"name": "web-" + rnd(10), "namespace": random.choice(["default", "prod", "staging"]), "uid": "%032x" % random.getrandbits(128),
                          "resourceVersion": str(random.randint(1, 10**7)), "labels": {"app": random.choice(["web", "db", "cache"]), "pod-template-hash": rnd(10)},
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-" + rnd(10), "uid": "%032x" % random.getrandbits(128)}]},
             "spec": {"containers": [{"name": "main", "image": "registry.example.com/app:%d" % random.randint(1, 100), "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                                      "env": [{"name": "TOKEN", "value": base64.b64encode(os.urandom(24)).decode()}]}], "nodeName": "node-%d" % random.randint(1, 1000)},
             "status": {"phase": "Running", "podIP": "10.42.%d.%d" % (random.randint(0, 255), random.randint(0, 255))}}
        b = json.dumps(o); out.append(b); size += len(b)
    open(f"{sys.argv[1]}/value.{v}", "w").write("".join(out))
PY
    ;;
  *) echo "BENCH_VALUES must be random or objects" >&2; exit 2 ;;
esac
n=$(( SIZE_MB * 1024 / 933 + 1 ))
values=("$WORK"/value.*)
for i in $(seq 1 "$n"); do etcdctl_laptop put "bench/$i" < "${values[$(( i % ${#values[@]} ))]}" >/dev/null; done
db=$(etcdctl_laptop endpoint status -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["dbSize"])')
echo "etcd database: $((db / 1048576)) MiB" >&2

# ---- stockade: one snapshot on h1, copied to h2/h3 and verified there, uploaded from h1 ---------
FOLDER="bench-$(date +%s)"
# start_poller FILE: samples the agent containers' memory into FILE until stop_poller
start_poller() {
  local peak_file=$1; echo 0 > "$peak_file"
  ( while :; do
    for i in 1 2 3; do
      tb_docker "$i" stats --no-stream --format '{{.Name}} {{.MemUsage}}' 2>/dev/null | awk '$1 ~ /^stockade-agent/ {print $2}'
    done | python3 -c '
import re, sys
units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "kB": 1000, "MB": 10**6, "GB": 10**9}
best = int(open(sys.argv[1]).read())
for l in sys.stdin:
    m = re.match(r"([0-9.]+)([A-Za-z]+)", l.strip())
    if m: best = max(best, int(float(m.group(1)) * units.get(m.group(2), 1)))
open(sys.argv[1], "w").write(str(best))' "$peak_file"
    done ) &
  poller=$!
}
stop_poller() { kill "$poller" 2>/dev/null || true; wait "$poller" 2>/dev/null || true; }
# stamped NAME: with BENCH_LOG_DIR set, stockade's steps with the milliseconds since it started go
# to BENCH_LOG_DIR/NAME.log (where the time goes); else nothing is kept
stamped() {
  if [ -z "${BENCH_LOG_DIR:-}" ]; then cat >/dev/null; return; fi
  local t0; t0=$(date +%s%N); mkdir -p "$BENCH_LOG_DIR"
  while IFS= read -r l; do echo "$(( ($(date +%s%N) - t0) / 1000000 )) $l"; done > "$BENCH_LOG_DIR/$1.log"
}
# timed_stockade PEAK_FILE RSS_FILE COMMAND: one stockade etcd command against the bucket, its wall
# time in ms in $t_ms, the CLI's peak RSS in RSS_FILE, the agents' sampled peak in PEAK_FILE
timed_stockade() {
  local peak=$1 rss=$2 cmd=$3
  start_poller "$peak"
  local t0; t0=$(date +%s%N)
  ( cd "$WORK" && STOCKADE_S3_ACCESS_KEY=$S3_ACCESS_KEY STOCKADE_S3_SECRET_KEY=$S3_SECRET_KEY /usr/bin/time -f '%M' -o "$rss" \
      "$BIN" $([ -n "${BENCH_LOG_DIR:-}" ] || echo -q) etcd "$cmd" --known-hosts "$TB_DIR/known_hosts" --name "bench-$FOLDER" \
      --s3 --s3-endpoint "$S3_ENDPOINT" --bucket-name "$S3_BUCKET" --region "$S3_REGION" --folder "$FOLDER" 2>&1 | stamped "$cmd" )
  t_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  stop_poller
}
peak_file="$WORK/agent-peak"
timed_stockade "$peak_file" "$WORK/cli-rss" snapshot-save
t_stockade=$t_ms
# every etcd host holds a copy: h1's size is the archive's
archive_size=$(stat -c %s "$(tb_hdir 1)/fs/$(tb_mangle /opt/rke)/etcd-snapshots/bench-$FOLDER.zip")

# ---- baseline: etcdctl snapshot save on h1, scp to h2 and h3, upload with boto3 ----------------
key="$TB_DIR/keys/id_ed25519"
ssh_h1() { ssh -F "$TB_DIR/ssh_config" h1 "$@"; }
ssh_h1 "mkdir -p /opt/rke/bench && rm -f /opt/rke/bench/base.db"
for i in 2 3; do ssh -F "$TB_DIR/ssh_config" "h$i" "mkdir -p /opt/rke/bench && rm -f /opt/rke/bench/base.db"; done
t0=$(date +%s%N)
ssh_h1 "ETCDCTL_API=3 etcdctl --endpoints=https://$IP1:2379 --cacert=/etc/kubernetes/ssl/kube-ca.pem --cert=/etc/kubernetes/ssl/kube-node.pem --key=/etc/kubernetes/ssl/kube-node-key.pem snapshot save /opt/rke/bench/base.db >/dev/null 2>&1"
for i in 2 3; do
  ssh_h1 "scp -q -i $key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null /opt/rke/bench/base.db root@$(tb_ip "$i"):/opt/rke/bench/base.db"
done
# the upload reads h1's file through the testbed's host directory (the hosts' mount namespaces do
# not hold the Python with boto3); same machine, same bridge to the S3 server
"$S3_TOOLS_PYTHON" -c "import boto3; boto3.client('s3', endpoint_url='$S3_ENDPOINT', region_name='$S3_REGION', aws_access_key_id='$S3_ACCESS_KEY', aws_secret_access_key='$S3_SECRET_KEY').upload_file('$(tb_hdir 1)/fs/$(tb_mangle /opt/rke)/bench/base.db', '$S3_BUCKET', '$FOLDER/base.db')"
t_base=$(( ($(date +%s%N) - t0) / 1000000 ))

# ---- restore baseline: on each etcd host at once, download + unzip + etcdctl snapshot restore ----
S3PY="import boto3; c = boto3.client('s3', endpoint_url='$S3_ENDPOINT', region_name='$S3_REGION', aws_access_key_id='$S3_ACCESS_KEY', aws_secret_access_key='$S3_SECRET_KEY')"
initial=$(for i in 1 2 3; do printf 'etcd-h%s=https://%s:2380,' "$i" "$(tb_ip "$i")"; done); initial=${initial%,}
for i in 1 2 3; do ssh -F "$TB_DIR/ssh_config" "h$i" "mkdir -p /opt/rke/bench && rm -rf /opt/rke/bench/restore-data /opt/rke/bench/restore.*"; done
restore_by_hand() {
  local i=$1 d; d="$(tb_hdir "$i")/fs/$(tb_mangle /opt/rke)/bench"
  "$S3_TOOLS_PYTHON" -c "$S3PY; c.download_file('$S3_BUCKET', '$FOLDER/bench-$FOLDER.zip', '$d/restore.zip')"
  python3 -c "import shutil, sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); shutil.copyfileobj(z.open('/backup/bench-$FOLDER'), open(sys.argv[2], 'wb'), 1 << 20)" "$d/restore.zip" "$d/restore.db"
  ssh -F "$TB_DIR/ssh_config" "h$i" "ETCDCTL_API=3 etcdctl snapshot restore /opt/rke/bench/restore.db --data-dir=/opt/rke/bench/restore-data --name=etcd-h$i --initial-cluster=$initial --initial-cluster-token=etcd-cluster-1 --initial-advertise-peer-urls=https://$(tb_ip "$i"):2380 >/dev/null 2>&1"
}
t0=$(date +%s%N)
pids=(); for i in 1 2 3; do restore_by_hand "$i" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
t_base_restore=$(( ($(date +%s%N) - t0) / 1000000 ))

# ---- stockade restore from S3: no local copy left, every host downloads and verifies ------------
sk etcd snapshot delete "bench-$FOLDER" >/dev/null
restore_peak="$WORK/agent-peak-restore"
timed_stockade "$restore_peak" "$WORK/cli-rss-restore" snapshot-restore
t_restore=$t_ms

# ---- clean up: the snapshots, the baseline files, the objects ------------------------------------
sk etcd snapshot delete "bench-$FOLDER" >/dev/null 2>&1 || true
for i in 1 2 3; do ssh -F "$TB_DIR/ssh_config" "h$i" "rm -rf /opt/rke/bench"; done
"$S3_TOOLS_PYTHON" -c "
import boto3
c = boto3.client('s3', endpoint_url='$S3_ENDPOINT', region_name='$S3_REGION', aws_access_key_id='$S3_ACCESS_KEY', aws_secret_access_key='$S3_SECRET_KEY')
for o in c.list_objects_v2(Bucket='$S3_BUCKET', Prefix='$FOLDER/').get('Contents', []): c.delete_object(Bucket='$S3_BUCKET', Key=o['Key'])
" || true

awk -v s="$t_stockade" -v b="$t_base" -v cli="$(cat "$WORK/cli-rss")" -v agent="$(cat "$peak_file")" -v db="$db" -v zip="$archive_size" -v values="$VALUES" 'BEGIN {
  printf "etcd database:                                   %7.0f MiB of %s values, archive %.0f MiB\n", db/1048576, values, zip/1048576
  printf "stockade etcd snapshot-save --s3 (3 hosts):      %7.0f ms\n", s
  printf "etcdctl snapshot save + 2 x scp + S3 upload:     %7.0f ms\n", b
  printf "ratio stockade / baseline:                       %7.2f   (target <= 0.6)\n", s/b
  printf "peak memory, stockade CLI (max RSS):             %7.1f MiB\n", cli/1024
  printf "peak memory, agent containers (docker stats):    %7.1f MiB   (target <= 64; sampled)\n", agent/1048576 }'
awk -v s="$t_restore" -v b="$t_base_restore" -v cli="$(cat "$WORK/cli-rss-restore")" -v agent="$(cat "$restore_peak")" 'BEGIN {
  printf "stockade etcd snapshot-restore --s3 (3 hosts):   %7.0f ms\n", s
  printf "3 x (S3 download + unzip + etcdctl restore):     %7.0f ms   (hosts at once)\n", b
  printf "ratio stockade / baseline:                       %7.2f   (target <= 1.5)\n", s/b
  printf "peak memory, stockade CLI (max RSS):             %7.1f MiB\n", cli/1024
  printf "peak memory, agent containers (docker stats):    %7.1f MiB   (sampled)\n", agent/1048576 }'
