#!/usr/bin/env bash
# s3.sh — a real S3 server for this testbed instance: one Garage node (crates.io `garage`, a
# production S3 store) listening on the testbed bridge address $TB_NET.1, so both the laptop and
# every host inside the network namespaces reach it. Run after up.sh (the bridge must exist).
# Idempotent: a second run leaves a running node alone and repairs what is missing.
#
# Garage is built once per version into /var/cache/stockade/garage-<version> (outside the clone,
# like the project's target dir; a fresh machine builds it from scratch: 1702 s (28 min) cold on
# the 2 cores here while other builds shared them (load ~10), with the trimmed features and
# opt-level below: 265 crates). Set STOCKADE_GARAGE_BIN to use a garage binary from elsewhere.
#
# Outputs under $TB_DIR: s3/ (config, metadata, data, log), s3.pid, and s3.env (mode 0600):
#   S3_ENDPOINT=http://$TB_NET.1:3900  S3_REGION  S3_BUCKET  S3_ACCESS_KEY  S3_SECRET_KEY
# Garage has no TLS listener of its own (its documentation puts a reverse proxy in front), so for
# the custom-CA path a second server, moto with TLS, runs beside it (see below):
#   S3_TLS_ENDPOINT=https://$TB_NET.1:3943  S3_TLS_CA (PEM of the CA that signed its certificate)
# down.sh stops the node; its data stays in $TB_DIR/s3 until `down.sh --purge`.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || tb_die "must run as root"
GARAGE_VERSION=2.5.0
CACHE=/var/cache/stockade
GARAGE_ROOT=$CACHE/garage-$GARAGE_VERSION
S3_DIR=$TB_DIR/s3
CFG=$S3_DIR/garage.toml
ENV_FILE=$TB_DIR/s3.env
PIDF=$TB_DIR/s3.pid
ADDR=$TB_NET.1
S3_PORT=3900 RPC_PORT=3901
REGION=us-east-1
BUCKET=stockade-snapshots
KEY_NAME=stockade-testbed

# ---- the binary: built once per version, outside the clone --------------------------------------
build_garage() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/garage-$GARAGE_VERSION.lock"
  flock 9  # another testbed instance may be building the same version
  if [ ! -x "$GARAGE_ROOT/bin/garage" ]; then
    command -v cargo >/dev/null || tb_die "cargo is needed to build garage $GARAGE_VERSION"
    tb_log "building garage $GARAGE_VERSION from crates.io into $GARAGE_ROOT (once per machine; ~30 min on 2 cores)"
    local t0; t0=$(date +%s)
    rm -rf "$GARAGE_ROOT.partial" "$CACHE/garage-build"
    # Only what a single S3 node needs: LMDB metadata, bundled C libraries (no pkg-config
    # packages); no K2V, no metrics, no SQLite. opt-level 1 halves the build and is ample for
    # tests; the target dir is private so a caller's CARGO_TARGET_DIR is not filled with it.
    if ! CARGO_TARGET_DIR=$CACHE/garage-build CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
      CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_INCREMENTAL=false \
      nice -n 10 cargo install --locked --quiet garage --version "=$GARAGE_VERSION" \
        --root "$GARAGE_ROOT.partial" --no-default-features --features bundled-libs,lmdb; then
      tb_die "building garage $GARAGE_VERSION failed (see the cargo output above)"
    fi
    mv "$GARAGE_ROOT.partial" "$GARAGE_ROOT"
    rm -rf "$CACHE/garage-build"
    tb_log "garage $GARAGE_VERSION built in $(( $(date +%s) - t0 )) s"
  fi
  exec 9>&-
}
if [ -n "${STOCKADE_GARAGE_BIN:-}" ]; then
  GARAGE=$STOCKADE_GARAGE_BIN
else
  build_garage
  GARAGE=$GARAGE_ROOT/bin/garage
fi
[ -x "$GARAGE" ] || tb_die "no garage binary at $GARAGE"
g() { "$GARAGE" -c "$CFG" "$@"; }

grep -q "inet $ADDR/" <<<"$(ip -4 addr show dev "$TB_BRIDGE" 2>/dev/null)" ||
  tb_die "bridge $TB_BRIDGE with $ADDR is not up: run testbed/up.sh first"

# ---- configuration (secrets generated once, kept with the data) ----------------------------------
mkdir -p "$S3_DIR/meta" "$S3_DIR/data"; chmod 700 "$S3_DIR"
rand_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
if [ ! -s "$S3_DIR/secrets" ]; then
  ( umask 077; {
    echo "RPC_SECRET=$(rand_hex 32)"
    echo "KEY_ID=GK$(rand_hex 12)"      # Garage's key id format: GK + 24 hex digits
    echo "KEY_SECRET=$(rand_hex 32)"
  } > "$S3_DIR/secrets" )
fi
. "$S3_DIR/secrets"
( umask 077; cat > "$CFG.new" <<EOF
metadata_dir = "$S3_DIR/meta"
data_dir = "$S3_DIR/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "$ADDR:$RPC_PORT"
rpc_public_addr = "$ADDR:$RPC_PORT"
rpc_secret = "$RPC_SECRET"

[s3_api]
s3_region = "$REGION"
api_bind_addr = "$ADDR:$S3_PORT"
EOF
)
if ! cmp -s "$CFG.new" "$CFG"; then mv "$CFG.new" "$CFG"; CHANGED=1; else rm -f "$CFG.new"; CHANGED=; fi

# ---- the node ------------------------------------------------------------------------------------
# Ours = the pid file names a live process whose command line holds this instance's config path.
running() {
  [ -s "$PIDF" ] || return 1
  local pid; pid=$(cat "$PIDF")
  grep -qF -- "$CFG" <<<"$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
}
if running && [ -n "$CHANGED" ]; then
  pid=$(cat "$PIDF"); kill -TERM "$pid"
  for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
fi
if ! running; then
  tb_log "starting garage on $ADDR:$S3_PORT (data in $S3_DIR)"
  RUST_LOG=${STOCKADE_GARAGE_LOG:-garage=info} setsid "$GARAGE" -c "$CFG" server \
    >>"$S3_DIR/garage.log" 2>&1 </dev/null &
  echo $! > "$PIDF"
fi
ok=
for _ in $(seq 100); do
  if g status >/dev/null 2>&1; then ok=1; break; fi
  running || break
  sleep 0.3
done
[ -n "$ok" ] || { tail -n 20 "$S3_DIR/garage.log" >&2; tb_die "garage did not come up (log: $S3_DIR/garage.log)"; }

# single-node layout, applied once
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
layout_version=$(g json-api GetClusterLayout | json 'd["version"]')
if [ "$layout_version" = 0 ]; then
  node=$(g json-api GetClusterStatus | json 'd["nodes"][0]["id"]')
  g layout assign -z dc1 -c 1G "$node" >/dev/null
  g layout apply --version 1 >/dev/null
  tb_log "garage layout applied (node ${node:0:16})"
fi
# the key (secret through stdin, never on a command line) and the bucket
if ! g json-api GetKeyInfo "{\"id\": \"$KEY_ID\"}" >/dev/null 2>&1; then
  printf '{"accessKeyId": "%s", "secretAccessKey": "%s", "name": "%s"}' "$KEY_ID" "$KEY_SECRET" "$KEY_NAME" |
    g json-api ImportKey - >/dev/null
fi
g bucket info "$BUCKET" >/dev/null 2>&1 || g bucket create "$BUCKET" >/dev/null
g bucket allow --read --write --owner "$BUCKET" --key "$KEY_ID" >/dev/null

# ---- TLS: a second S3 server, for the custom-CA path (--s3-endpoint-ca / custom_ca) -----------
# Garage serves plain HTTP only, so the TLS endpoint is moto's S3 server (PyPI `moto[server]`,
# installed once per version into /var/cache/stockade/moto-<version>) with a certificate for
# $ADDR signed by a CA made here. moto accepts any credentials; it is for the TLS path only.
MOTO_VERSION=5.2.1
MOTO_ROOT=$CACHE/moto-$MOTO_VERSION
TLS_DIR=$S3_DIR/tls TLS_PORT=3943 TLS_PIDF=$TB_DIR/s3-tls.pid
if [ ! -e "$MOTO_ROOT/.complete" ]; then
  tb_log "installing moto $MOTO_VERSION into $MOTO_ROOT (once per machine)"
  rm -rf "$MOTO_ROOT"
  python3 -m venv "$MOTO_ROOT" || tb_die "python3 -m venv failed (python3-venv missing?)"
  "$MOTO_ROOT/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" ||
    tb_die "installing moto $MOTO_VERSION from PyPI failed"
  touch "$MOTO_ROOT/.complete"
fi
mkdir -p "$TLS_DIR"; chmod 700 "$TLS_DIR"
if [ ! -s "$TLS_DIR/server.pem" ]; then
  ( cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=stockade testbed S3 CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=$ADDR" 2>/dev/null
    printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
      "$ADDR" > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 3650 \
      -extfile server.ext 2>/dev/null
    rm -f server.csr server.ext ) || tb_die "making the TLS certificates failed"
fi
tls_running() {
  [ -s "$TLS_PIDF" ] || return 1
  grep -qF -- "$TLS_DIR/" <<<"$(tr '\0' ' ' < "/proc/$(cat "$TLS_PIDF")/cmdline" 2>/dev/null)"
}
if ! tls_running; then
  tb_log "starting moto (TLS) on $ADDR:$TLS_PORT"
  setsid "$MOTO_ROOT/bin/moto_server" -H "$ADDR" -p "$TLS_PORT" -c "$TLS_DIR/server.pem" -k "$TLS_DIR/server.key" \
    >>"$TLS_DIR/moto.log" 2>&1 </dev/null &
  echo $! > "$TLS_PIDF"
fi
# S3_TOOLS_PYTHON (in s3.env): moto's Python, which has boto3, for checks the client under test
# does not offer (ListMultipartUploads: no parts left behind by an aborted upload)
# moto keeps buckets in memory: (re)create ours every time (creating it again is harmless)
ok=
for _ in $(seq 100); do
  if "$MOTO_ROOT/bin/python" - "https://$ADDR:$TLS_PORT/$BUCKET" "$TLS_DIR/ca.pem" <<'PY' 2>/dev/null
import ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile=sys.argv[2])
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="PUT"), context=ctx, timeout=5)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 409 else 1)
PY
  then ok=1; break; fi
  tls_running || break
  sleep 0.3
done
[ -n "$ok" ] || { tail -n 20 "$TLS_DIR/moto.log" >&2; tb_die "moto (TLS) did not come up (log: $TLS_DIR/moto.log)"; }

( umask 077; cat > "$ENV_FILE.new" <<EOF
S3_ENDPOINT=http://$ADDR:$S3_PORT
S3_REGION=$REGION
S3_BUCKET=$BUCKET
S3_ACCESS_KEY=$KEY_ID
S3_SECRET_KEY=$KEY_SECRET
S3_SERVER=garage-$GARAGE_VERSION
S3_TLS_ENDPOINT=https://$ADDR:$TLS_PORT
S3_TLS_CA=$TLS_DIR/ca.pem
S3_TLS_SERVER=moto-$MOTO_VERSION
S3_TOOLS_PYTHON=$MOTO_ROOT/bin/python
EOF
)
chmod 600 "$ENV_FILE.new"; mv "$ENV_FILE.new" "$ENV_FILE"
tb_log "S3 ready: http://$ADDR:$S3_PORT (garage), https://$ADDR:$TLS_PORT (moto), bucket $BUCKET ($ENV_FILE)"
