#!/usr/bin/env bash
# tests/fresh-machine.sh — prove the README's quick start on a clean Debian 12 root, the way a new
# user meets it: a machine with nothing but the Rust toolchain.
#
#   1. debootstrap a fresh Debian 12 (bookworm, minbase) root — new every run, never cached;
#   2. clone this repository's HEAD into it (a clean clone: uncommitted changes are NOT tested);
#   3. inside it (chroot), run the install-and-build steps of the README's two commands:
#      `testbed/install-deps.sh`, `cargo build --locked` (testbed/demo.sh) and
#      `cargo build --locked --tests` (tests/run.sh), with an EMPTY cargo home and target dir.
# It prints what install-deps.sh installed and how long each step took. The testbed itself stays
# on the outer machine (it needs network namespaces and daemons; nothing about it is installed
# differently inside).
#
# What the chroot gets from the outer machine, and why — this is the machine, not the project:
#   - the Rust toolchain (read-only bind of $RUSTUP_HOME's active toolchain): the one thing the
#     README assumes; no toolchain can be installed from a package registry;
#   - this workplace's TLS roots (/usr/local/share/ca-certificates): every machine here has them
#     and cargo cannot reach crates.io without them;
#   - /etc/resolv.conf and the apt sources' mirror.
# Run as root. Takes ~3 min for debootstrap plus a cold build (~5–10 min on 2 cores).
#   STOCKADE_FRESH_DIR     where the root is made (default /var/tmp/stockade-fresh); wiped first
#   STOCKADE_FRESH_MIRROR  Debian mirror (default: the first one in the outer apt sources)
#   STOCKADE_FRESH_KEEP=1  keep the root afterwards (to look around)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "fresh-machine.sh must run as root (debootstrap, chroot)" >&2; exit 1; }
WORK=${STOCKADE_FRESH_DIR:-/var/tmp/stockade-fresh}
R=$WORK/root
MIRROR=${STOCKADE_FRESH_MIRROR:-$(grep -hoE '^URIs: *http[^ ]*/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | sed 's/^URIs: *//')}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
RUSTUP=${RUSTUP_HOME:-$HOME/.rustup}
TOOLCHAIN=$(rustc --print sysroot)
case "$TOOLCHAIN" in "$RUSTUP"/toolchains/*) ;; *) echo "the active Rust toolchain ($TOOLCHAIN) is not under $RUSTUP/toolchains" >&2; exit 1 ;; esac

declare -a TIMES=()
step() { # step NAME CMD...: run, time, remember
  local name=$1 t0 t1; shift
  echo "== $name" >&2
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  TIMES+=("$(awk -v a="$t0" -v b="$t1" -v n="$name" 'BEGIN{printf "%-44s %7.1fs", n, b-a}')")
}
mounted=()
cleanup() {
  local i
  for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  if [ "${STOCKADE_FRESH_KEEP:-0}" != 1 ]; then rm -rf "$R"; fi
}
trap cleanup EXIT
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; mounted+=("$2"); [ "${3:-}" = ro ] && mount -o remount,bind,ro "$2" || true; }

command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
  echo "note: $ROOT has uncommitted changes; they are not part of the clean clone tested here" >&2
fi
rm -rf "$R"; mkdir -p "$WORK"
step "debootstrap bookworm (minbase)" debootstrap --variant=minbase bookworm "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
cp /etc/resolv.conf "$R/etc/resolv.conf"
# as in any chroot: package scripts must not start daemons (there is no init here)
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
# the same apt sources as the outer machine (bookworm, bookworm-updates, security)
cp /etc/apt/sources.list.d/debian.sources "$R/etc/apt/sources.list.d/" 2>/dev/null && rm -f "$R/etc/apt/sources.list" || true
cp /etc/apt/apt.conf.d/99artifact-registry "$R/etc/apt/apt.conf.d/" 2>/dev/null || true
mkdir -p "$R/usr/local/share/ca-certificates" "$R/etc/ssl/certs"
cp /usr/local/share/ca-certificates/* "$R/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
bind /proc "$R/proc"; bind /sys "$R/sys"; bind /dev "$R/dev"; bind /dev/pts "$R/dev/pts"
bind "$TOOLCHAIN" "$R/opt/rust" ro
step "clean clone of HEAD" git clone -q --no-local "$ROOT" "$R/src/stockade"
echo "packages in the fresh root: $(chroot "$R" dpkg-query -W | wc -l)" >&2
# a login shell's environment on a machine with the toolchain: PATH has cargo, nothing else set
IN=(chroot "$R" env -i HOME=/root PATH=/opt/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  LANG=C.UTF-8 CARGO_HOME=/root/.cargo CARGO_TARGET_DIR=/var/tmp/target CARGO_TERM_COLOR=never)
before=$(chroot "$R" dpkg-query -W -f='${Package}\n' | sort)
step "testbed/install-deps.sh" "${IN[@]}" bash -c 'cd /src/stockade && testbed/install-deps.sh'
after=$(chroot "$R" dpkg-query -W -f='${Package}\n' | sort)
installed=$(comm -13 <(echo "$before") <(echo "$after") | wc -l)
step "cargo build --locked (demo.sh)" "${IN[@]}" bash -c 'cd /src/stockade && cargo build --locked 2>&1 | tail -3'
step "cargo build --locked --tests (tests/run.sh)" "${IN[@]}" bash -c 'cd /src/stockade && cargo build --locked --tests 2>&1 | tail -3'
step "stockade version" "${IN[@]}" /var/tmp/target/debug/stockade version
echo
echo "fresh-machine: PASSED on a clean Debian $(cat "$R/etc/debian_version") root"
echo "install-deps.sh installed $installed packages (with their dependencies) into a minbase root"
printf '%s\n' "${TIMES[@]}"
