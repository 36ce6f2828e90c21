#!/usr/bin/env bash
# up.sh [N] — bring up N (default 3) local test hosts h1..hN. Idempotent: a second run repairs
# what is missing and leaves running pieces alone. Needs root and the packages from
# install-deps.sh. Each host is a network namespace with its own address, a persisted mount and
# UTS namespace (private /run, /etc/kubernetes, /var/lib/etcd, /opt/rke, ...), its own dockerd and
# its own OpenSSH sshd. The laptop (this machine's root namespace) is $TB_NET.1.
#
# Outputs under $TB_DIR: keys/id_ed25519 (laptop key), known_hosts, ssh_config, hosts.txt
# ("name ip docker-socket-on-laptop"), images/stockade-testbed-images.tar (see images.sh).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
N=${1:-3}
[ "$(id -u)" = 0 ] || tb_die "must run as root"
case $N in ''|*[!0-9]*) tb_die "N must be a number";; esac
for c in ip nsenter unshare dockerd docker containerd runc sshd ssh-keygen iptables mountpoint; do
  command -v "$c" >/dev/null || tb_die "missing command $c: run tests/testbed/install-deps.sh"
done
SSHD=$(command -v sshd); DOCKERD=$(command -v dockerd)
T0=$(date +%s.%N)
mkdir -p "$TB_DIR"/{keys,ns,hosts,images,log}
# A real kubelet (tests/testbed/real_kubernetes.rs) sets machine-wide sysctls (not namespaced:
# vm.overcommit_memory, kernel.panic, kernel.panic_on_oops, ...); remember them so down.sh puts
# them back
[ -s "$TB_DIR/sysctl.orig" ] || for k in $TB_KUBELET_SYSCTLS; do echo "$k $(cat "/proc/sys/$k")"; done > "$TB_DIR/sysctl.orig"
chmod 700 "$TB_DIR/keys"
[ -s "$TB_DIR/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C stockade-testbed -f "$TB_DIR/keys/id_ed25519"
# authorized_keys holds the testbed key plus any key a test adds (tests append, never replace)
touch "$TB_DIR/keys/authorized_keys"
grep -qxF "$(cat "$TB_DIR/keys/id_ed25519.pub")" "$TB_DIR/keys/authorized_keys" ||
  cat "$TB_DIR/keys/id_ed25519.pub" >> "$TB_DIR/keys/authorized_keys"

# `unshare --mount=FILE` refuses a FILE whose parent mount propagates: make ns/ a private mount
if ! mountpoint -q "$TB_DIR/ns"; then mount --bind "$TB_DIR/ns" "$TB_DIR/ns"; mount --make-private "$TB_DIR/ns"; fi

ip link show "$TB_BRIDGE" >/dev/null 2>&1 || ip link add "$TB_BRIDGE" type bridge
grep -q "inet $TB_NET.1/24" <<<"$(ip addr show dev "$TB_BRIDGE")" || ip addr add "$TB_NET.1/24" dev "$TB_BRIDGE"
ip link set "$TB_BRIDGE" up
# With br_netfilter loaded and a FORWARD policy of DROP (left by docker), frames between two
# hosts on the bridge would be dropped. Accept exactly bridge-to-bridge traffic.
if [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo 0)" = 1 ]; then
  iptables -C FORWARD -i "$TB_BRIDGE" -o "$TB_BRIDGE" -m comment --comment "$TB_BRIDGE" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD 1 -i "$TB_BRIDGE" -o "$TB_BRIDGE" -m comment --comment "$TB_BRIDGE" -j ACCEPT
fi

# bind-mount targets must exist on the real fs; remember the ones we create (in the registry
# every instance shares: see lib.sh)
mkdir -p "$TB_SHARED/instances"
echo "$TB_DIR" > "$TB_SHARED/instances/$TB_NAME"
touch "$TB_CREATED"
for p in $TB_HOST_DIRS; do
  acc=
  for part in ${p//\// }; do
    acc="$acc/$part"
    if [ ! -d "$acc" ]; then mkdir "$acc"; echo "$acc" >> "$TB_CREATED"; fi
  done
done

# Runs inside the new mount+UTS namespace (network namespace already entered).
NS_SETUP='
set -e
hostname "$H_NAME"
cg=$(awk '\''$3=="cgroup"||$3=="cgroup2"{print $2" "$3" "$4}'\'' /proc/mounts)
cgtmp=$(awk '\''$2=="/sys/fs/cgroup" && $3=="tmpfs"{print 1}'\'' /proc/mounts)
# a fresh sysfs shows this netns in /sys/class/net but hides the cgroup mounts: re-attach them
mount -t sysfs sysfs /sys
[ -n "$cgtmp" ] && mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
echo "$cg" | while read -r mp type opts; do
  [ -n "$mp" ] || continue
  mkdir -p "$mp"; mount -t "$type" -o "$opts" "$type" "$mp"
done
for p in $H_DIRS; do m=${p#/}; mount --bind "$H_HDIR/fs/${m//\//-}" "$p"; done
mount --bind "$H_HDIR/run" /run
# like a systemd host: mounts propagate (kubelet binds /var/lib/kubelet with "shared"); this
# namespace was made private first, so nothing propagates back to the machine
mount --make-rshared /
'
for i in $(seq 1 "$N"); do
  ns=$(tb_netns "$i"); veth="$ns-v"; ip=$(tb_ip "$i"); H=$(tb_hdir "$i")
  mkdir -p "$H"/{fs,run/sshd,ssh,log}
  chmod 755 "$H/run/sshd"
  for p in $TB_HOST_DIRS; do mkdir -p "$H/fs/$(tb_mangle "$p")"; done
  [ -e "/run/netns/$ns" ] || ip netns add "$ns"
  ip link show "$veth" >/dev/null 2>&1 || ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$TB_BRIDGE" up
  ip -n "$ns" link set lo up
  grep -q "inet $ip/24" <<<"$(ip -n "$ns" addr show dev eth0)" || ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  # a default route (no gateway: the hosts stay offline). A real kubelet without --node-ip takes
  # the node's InternalIP from the default-route interface; without one the Node gets no address
  # and exec/logs cannot reach it. It also routes ClusterIPs (DNAT'ed by kube-proxy) from the host.
  ip -n "$ns" route replace default dev eth0
  mnt=$(tb_mntns "$i"); uts=$(tb_utsns "$i")
  if ! mountpoint -q "$mnt" || ! mountpoint -q "$uts"; then
    umount "$mnt" 2>/dev/null || true; umount "$uts" 2>/dev/null || true
    touch "$mnt" "$uts"
    # unshare must run in the root mount namespace, or the persisted ns lands in a temporary one
    H_NAME="h$i" H_HDIR="$H" H_DIRS="$TB_HOST_DIRS" nsenter --net="/run/netns/$ns" -- \
      unshare --mount="$mnt" --uts="$uts" --propagation private -- /bin/bash -c "$NS_SETUP"
  fi
done

# If this machine's capability bounding set lacks capabilities (sandboxes often drop
# CAP_SYS_RESOURCE), runc fails every --privileged container. Then the hosts' dockerd use a
# wrapper runtime that removes the missing capabilities from the OCI spec.
RUNTIME=
missing=$(python3 - <<'PY'
names = "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE".split()
bnd = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd")][0], 16)
last = int(open("/proc/sys/kernel/cap_last_cap").read())
print(" ".join("CAP_" + n for b, n in enumerate(names) if b <= last and not (bnd >> b) & 1))
PY
)
# Without CAP_SYS_RESOURCE no process may lower its oom_score_adj, and runc fails containers that
# ask for a negative one ("can't get final child's PID from pipe: EOF"): a real kubelet (dockershim)
# creates every pod sandbox with OomScoreAdj -998. The wrapper then turns negative values into 0.
OOM_CLAMP=
case " $missing " in *" CAP_SYS_RESOURCE "*)
  OOM_CLAMP='sed -i -e "s/\"oomScoreAdj\":-[0-9]*/\"oomScoreAdj\":0/g" "$1"; ' ;;
esac
if [ -n "$missing" ]; then
  mkdir -p "$TB_DIR/bin"
  cat > "$TB_DIR/bin/testbed-runc" <<W
#!/bin/sh
# generated by tests/testbed/up.sh: drop capabilities this machine cannot grant ($missing)
fix() { for c in $missing; do sed -i -e "s/\"\$c\",//g; s/,\"\$c\"//g; s/\"\$c\"//g" "\$1"; done; $OOM_CLAMP}
prev=; bundle=
for a in "\$@"; do
  case \$prev in --bundle|-b) bundle=\$a;; --process|-p) [ -f "\$a" ] && fix "\$a";; esac
  case \$a in --bundle=*) bundle=\${a#--bundle=};; --process=*) fix "\${a#--process=}";; esac
  prev=\$a
done
[ -n "\$bundle" ] && [ -f "\$bundle/config.json" ] && fix "\$bundle/config.json"
exec $(command -v runc) "\$@"
W
  chmod 755 "$TB_DIR/bin/testbed-runc"
  RUNTIME=",\"runtimes\":{\"testbed-runc\":{\"path\":\"$TB_DIR/bin/testbed-runc\"}},\"default-runtime\":\"testbed-runc\""
fi

for i in $(seq 1 "$N"); do
  ip=$(tb_ip "$i"); H=$(tb_hdir "$i")
  printf '{"cgroup-parent":"/%s","storage-driver":"overlay2","log-driver":"json-file","log-opts":{"max-size":"10m","max-file":"2"}%s}\n' \
    "$TB_NAME-h$i" "$RUNTIME" > "$H/daemon.json"
  # a daemon that is alive but not answering may be shutting down: let it finish first
  for _ in $(seq 1 60); do
    tb_alive_in_host "$H/run/docker.pid" "$i" || break
    tb_docker "$i" version >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! tb_alive_in_host "$H/run/docker.pid" "$i"; then
    rm -f "$H/run/docker.pid" "$H/run/docker.sock"
    tb_enter "$i" setsid "$DOCKERD" --config-file "$H/daemon.json" >>"$H/log/dockerd.log" 2>&1 </dev/null &
  fi
  [ -s "$H/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "h$i" -f "$H/ssh/ssh_host_ed25519_key"
  # a second host key of another type: known_hosts checks across key types are tested with it
  [ -s "$H/ssh/ssh_host_rsa_key" ] || ssh-keygen -q -t rsa -b 2048 -N '' -C "h$i" -f "$H/ssh/ssh_host_rsa_key"
  cat > "$H/ssh/sshd_config" <<C
ListenAddress $ip
Port 22
HostKey $H/ssh/ssh_host_ed25519_key
HostKey $H/ssh/ssh_host_rsa_key
PidFile /run/sshd.pid
AuthorizedKeysFile $TB_DIR/keys/authorized_keys
TrustedUserCAKeys $TB_DIR/keys/user_ca.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
MaxSessions 200
MaxStartups 200:30:400
Subsystem sftp internal-sftp
C
  [ -f "$TB_DIR/keys/user_ca.pub" ] || touch "$TB_DIR/keys/user_ca.pub"
  if ! tb_alive_in_host "$H/run/sshd.pid" "$i"; then
    rm -f "$H/run/sshd.pid"
    tb_enter "$i" "$SSHD" -t -f "$H/ssh/sshd_config"
    tb_enter "$i" setsid "$SSHD" -D -f "$H/ssh/sshd_config" -E "$H/log/sshd.log" </dev/null >/dev/null 2>&1 &
  fi
done

ALL=$(tb_hosts)
{
  for i in $ALL; do printf 'Host h%s\n  HostName %s\n' "$i" "$(tb_ip "$i")"; done
  printf 'Host *\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  ConnectTimeout 5\n  LogLevel ERROR\n' \
    "$TB_DIR/keys/id_ed25519" "$TB_DIR/known_hosts"
} > "$TB_DIR/ssh_config"
: > "$TB_DIR/known_hosts.tmp"; : > "$TB_DIR/hosts.txt.tmp"
for i in $ALL; do
  echo "$(tb_ip "$i") $(cut -d' ' -f1,2 "$(tb_hdir "$i")/ssh/ssh_host_ed25519_key.pub")" >> "$TB_DIR/known_hosts.tmp"
  echo "h$i $(tb_ip "$i") $(tb_sock "$i")" >> "$TB_DIR/hosts.txt.tmp"
done
mv "$TB_DIR/known_hosts.tmp" "$TB_DIR/known_hosts"; mv "$TB_DIR/hosts.txt.tmp" "$TB_DIR/hosts.txt"

for i in $(seq 1 "$N"); do
  ok=; for _ in $(seq 1 120); do tb_docker "$i" version >/dev/null 2>&1 && { ok=1; break; }; sleep 0.5; done
  [ -n "$ok" ] || { tail -20 "$(tb_hdir "$i")/log/dockerd.log" >&2; tb_die "dockerd on h$i did not become ready"; }
  ok=; for _ in $(seq 1 60); do ssh -F "$TB_DIR/ssh_config" -o BatchMode=yes "h$i" true 2>/dev/null && { ok=1; break; }; sleep 0.5; done
  [ -n "$ok" ] || { tail -20 "$(tb_hdir "$i")/log/sshd.log" >&2; tb_die "sshd on h$i did not become ready"; }
done
"$HERE/images.sh"
awk -v n="$N" -v a="$T0" -v b="$(date +%s.%N)" -v d="$TB_DIR" 'BEGIN{printf "testbed: %d hosts ready in %.1fs (ssh -F %s/ssh_config h1)\n", n, b-a, d}'
