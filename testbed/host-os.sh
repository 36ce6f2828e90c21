#!/usr/bin/env bash
# host-os.sh I "PRETTY NAME" | host-os.sh I --reset — make testbed host I's Docker report another
# operating system (`docker info`'s OperatingSystem, which dockerd reads from /etc/os-release
# when it starts), or its own again. Each host has its own mount namespace: a file is bind-mounted
# over /etc/os-release there (nothing changes outside the host), and the host's dockerd is
# restarted through its pid file. Meant for a host without containers (its containers stop with
# dockerd). For tests of what depends on the host's system (RKE1's prefix_path default).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || tb_die "must run as root"
[ $# = 2 ] || tb_die "usage: host-os.sh I \"PRETTY NAME\" | host-os.sh I --reset"
i=$1; H=$(tb_hdir "$i")
[ -d "$H" ] || tb_die "no host h$i in $TB_DIR"
tb_alive_in_host "$H/run/docker.pid" "$i" || tb_die "dockerd of h$i is not running"
kill "$(cat "$H/run/docker.pid")"
for _ in $(seq 1 60); do tb_alive_in_host "$H/run/docker.pid" "$i" || break; sleep 0.5; done
tb_alive_in_host "$H/run/docker.pid" "$i" && tb_die "dockerd of h$i did not stop within 30s"
# whatever was mounted before goes (the symlink /etc/os-release resolves to the same file)
while tb_enter "$i" umount /etc/os-release 2>/dev/null; do :; done
if [ "$2" != --reset ]; then
  printf 'NAME="%s"\nPRETTY_NAME="%s"\nID=testbed\n' "$2" "$2" > "$H/os-release"
  tb_enter "$i" mount --bind "$H/os-release" /etc/os-release
fi
rm -f "$H/run/docker.pid" "$H/run/docker.sock"
tb_enter "$i" setsid "$(command -v dockerd)" --config-file "$H/daemon.json" >>"$H/log/dockerd.log" 2>&1 </dev/null &
for _ in $(seq 1 120); do tb_docker "$i" version >/dev/null 2>&1 && break; sleep 0.5; done
tb_docker "$i" version >/dev/null 2>&1 || { tail -20 "$H/log/dockerd.log" >&2; tb_die "dockerd of h$i did not come back"; }
tb_log "h$i: docker info says OperatingSystem=$(tb_docker "$i" info -f '{{.OperatingSystem}}')"
