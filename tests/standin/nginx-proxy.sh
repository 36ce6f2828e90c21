#!/bin/sh
# STAND-IN FOR TESTS ONLY: rke-tools' nginx-proxy. Listens on 6443 and forwards each TCP
# connection to the first controlplane host in CP_HOSTS (the real one balances over all of
# them with nginx's stream module).
set -u
for a in "$@"; do case "$a" in CP_HOSTS=*) CP_HOSTS=${a#CP_HOSTS=};; esac; done
[ -n "${CP_HOSTS:-}" ] || { echo "standin nginx-proxy: FATAL: CP_HOSTS is empty" >&2; exit 1; }
first=${CP_HOSTS%%,*}
echo "standin nginx-proxy: 0.0.0.0:6443 -> $first:6443" >&2
nc -ll -p 6443 -e nc "$first" 6443 & pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
