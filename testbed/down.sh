#!/usr/bin/env bash
# down.sh [--purge] — stop exactly what up.sh started and remove its namespaces, links, bridge,
# iptables rule, cgroups, host directories and the mount-point dirs it created. Daemons are
# found through their pid files and checked to live in the host's own mount namespace; then
# whatever still runs inside that namespace (containerd, shims, containers, ssh sessions; only
# the testbed ever puts processes there) is stopped. No process is matched by name.
# Keeps $TB_DIR/keys and $TB_DIR/images (caches) unless --purge.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
PURGE=; [ "${1:-}" = --purge ] && PURGE=1
[ "$(id -u)" = 0 ] || tb_die "must run as root"
case $TB_DIR in /|/tmp|/root|/var|/etc|/usr|/home|'') tb_die "refusing STOCKADE_TESTBED_DIR=$TB_DIR";; esac
pids_in_ns() { local want="$1:[$2]" d; for d in /proc/[0-9]*; do [ "$(readlink "$d/ns/$1" 2>/dev/null)" = "$want" ] && echo "${d#/proc/}"; done; }
wait_gone() { local n=0; while [ -d "/proc/$1" ] && [ $n -lt "$2" ]; do sleep 0.1; n=$((n+1)); done; [ ! -d "/proc/$1" ]; }
stop_host() {
  local i=$1 H mnt uts ino pid pids ns
  H=$(tb_hdir "$i"); mnt=$(tb_mntns "$i"); uts=$(tb_utsns "$i"); ns=$(tb_netns "$i")
  if mountpoint -q "$mnt" 2>/dev/null; then
    ino=$(stat -L -c %i "$mnt")
    if tb_docker "$i" info >/dev/null 2>&1; then
      ids=$(tb_docker "$i" ps -aq); [ -n "$ids" ] && tb_docker "$i" rm -f $ids >/dev/null 2>&1
    fi
    for f in sshd.pid docker.pid; do
      if tb_alive_in_host "$H/run/$f" "$i"; then
        pid=$(cat "$H/run/$f"); kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" 300 || kill -KILL "$pid" 2>/dev/null
      fi
    done
    pids=$(pids_in_ns mnt "$ino")
    if [ -n "$pids" ]; then
      kill -TERM $pids 2>/dev/null; sleep 1
      pids=$(pids_in_ns mnt "$ino"); [ -n "$pids" ] && kill -KILL $pids 2>/dev/null; sleep 0.2
    fi
  fi
  umount "$mnt" 2>/dev/null; umount "$uts" 2>/dev/null; rm -f "$mnt" "$uts"
  if [ -e "/run/netns/$ns" ]; then
    left=$(pids_in_ns net "$(stat -L -c %i "/run/netns/$ns")")
    [ -n "$left" ] && tb_log "h$i: processes not started by the testbed remain in netns $ns: $(echo $left) (left alone)"
    ip netns del "$ns"
  fi
  ip link del "$ns-v" 2>/dev/null
  for c in /sys/fs/cgroup/*/"$TB_NAME-h$i" /sys/fs/cgroup/"$TB_NAME-h$i"; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$H"
}
jobs_=()
for i in $(tb_hosts); do stop_host "$i" & jobs_+=($!); done
for j in "${jobs_[@]}"; do wait "$j"; done
# the S3 servers started by s3.sh, if any: only when the pid file names a live process whose command
# line holds this instance's config path (guards pid reuse). Its data stays unless --purge.
for pidf in "$TB_DIR/s3.pid" "$TB_DIR/s3-tls.pid"; do
  [ -s "$pidf" ] || continue
  pid=$(cat "$pidf")
  if grep -qF -- "$TB_DIR/s3/" <<<"$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"; then
    kill -TERM "$pid"; wait_gone "$pid" 100 || kill -KILL "$pid"
  fi
  rm -f "$pidf" "$TB_DIR/s3.env"
done
# machine-wide sysctls a real kubelet changed (recorded by up.sh)
if [ -s "$TB_DIR/sysctl.orig" ]; then
  while read -r k v; do [ -n "$v" ] && echo "$v" > "/proc/sys/$k"; done < "$TB_DIR/sysctl.orig"
  rm -f "$TB_DIR/sysctl.orig"
fi
# pod cgroups a kubelet made outside its host's subtree (one started without --cgroup-root)
for d in /sys/fs/cgroup/*/kubepods; do [ -d "$d" ] && { find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; }; done
iptables -D FORWARD -i "$TB_BRIDGE" -o "$TB_BRIDGE" -m comment --comment "$TB_BRIDGE" -j ACCEPT 2>/dev/null
ip link del "$TB_BRIDGE" 2>/dev/null
# the mount points testbeds created, only when no other instance still runs (their hosts have
# mounts on those directories: removing one would detach them)
rm -f "$TB_SHARED/instances/$TB_NAME"
if [ -f "$TB_CREATED" ] && [ -z "$(ls -A "$TB_SHARED/instances" 2>/dev/null)" ]; then
  tac "$TB_CREATED" | while read -r d; do [ -n "$d" ] && rmdir "$d" 2>/dev/null; done
  rm -f "$TB_CREATED"
elif [ -f "$TB_CREATED" ]; then
  tb_log "other testbed instances run ($(ls "$TB_SHARED/instances" | tr '\n' ' ')): the mount-point dirs stay for them"
fi
mountpoint -q "$TB_DIR/ns" && umount "$TB_DIR/ns"
rm -rf "$TB_DIR/ns" "$TB_DIR/hosts" "$TB_DIR/bin" "$TB_DIR/ssh_config" "$TB_DIR/known_hosts" "$TB_DIR/hosts.txt"
[ -n "$PURGE" ] && rm -rf "$TB_DIR"
tb_log "down"
