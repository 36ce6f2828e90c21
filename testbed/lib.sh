# shellcheck shell=bash
# Settings and helpers shared by the testbed scripts. Every knob is an environment variable:
#   STOCKADE_TESTBED_DIR  working directory (default /tmp/stockade-testbed)
#   STOCKADE_TESTBED_NET  first three octets of the host /24 (default 10.78.0): laptop .1, host i .(10+i)
#   STOCKADE_TESTBED_NAME prefix of netns, veth, bridge and cgroup names (default stk)
TB_DIR=${STOCKADE_TESTBED_DIR:-/tmp/stockade-testbed}
TB_NET=${STOCKADE_TESTBED_NET:-10.78.0}
TB_NAME=${STOCKADE_TESTBED_NAME:-stk}
TB_BRIDGE=${TB_NAME}br0
# Paths every host gets a private copy of. /run is always private too: it holds the docker
# socket, dockerd's managed containerd and sshd's privsep dir, which must never be shared.
# /root is private so that the laptop's shell start-up files do not slow every ssh command.
TB_HOST_DIRS="/etc/kubernetes /etc/docker /etc/cni /opt/cni /opt/rke /var/lib/etcd /var/lib/docker \
/var/lib/containerd /var/lib/kubelet /var/lib/rancher /var/lib/cni /var/lib/calico /var/log/containers \
/var/log/pods /var/log/kube-audit /var/lib/cri-dockerd /etc/ceph /root"
# mount points testbeds had to create on the real root fs. Shared by every testbed instance on
# the machine: the hosts of *every* running instance have mounts on them (deleting a mount point
# detaches the mounts on it in all namespaces), so only the last instance to go down removes them.
TB_SHARED=/run/stockade-testbeds
TB_CREATED="$TB_SHARED/created-dirs"
TB_ETCD_IMAGE=stockade-testbed/etcd:v3.4.23
TB_TOOLS_IMAGE=stockade-testbed/tools:v1
TB_K8S_IMAGE=stockade-testbed/kubernetes-standin:v1.31.1
# the sysctls a real kubelet changes for the whole machine (kubelet setupKernelTunables)
TB_KUBELET_SYSCTLS="vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes"

tb_log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tb_die() { tb_log "ERROR: $*"; exit 1; }
tb_ip() { echo "$TB_NET.$((10 + $1))"; }
tb_netns() { echo "$TB_NAME$1"; }
tb_hdir() { echo "$TB_DIR/hosts/h$1"; }
tb_sock() { echo "$TB_DIR/hosts/h$1/run/docker.sock"; }
tb_mntns() { echo "$TB_DIR/ns/h$1.mnt"; }
tb_utsns() { echo "$TB_DIR/ns/h$1.uts"; }
tb_mangle() { local p=${1#/}; echo "${p//\//-}"; }
tb_docker() { local i=$1; shift; docker -H "unix://$(tb_sock "$i")" "$@"; }
# run a command with host i's view of the world (network, mounts, hostname)
tb_enter() {
  local i=$1; shift
  nsenter --net="/run/netns/$(tb_netns "$i")" --mount="$(tb_mntns "$i")" --uts="$(tb_utsns "$i")" -- "$@"
}
# true when pid file $1 names a live process inside host i's mount namespace (guards pid reuse)
tb_alive_in_host() {
  local pidf=$1 i=$2 pid ino
  [ -s "$pidf" ] || return 1
  pid=$(cat "$pidf"); [ -d "/proc/$pid" ] || return 1
  ino=$(stat -L -c %i "$(tb_mntns "$i")" 2>/dev/null) || return 1
  [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "mnt:[$ino]" ]
}
tb_hosts() { local d; for d in "$TB_DIR"/hosts/h*; do [ -d "$d" ] && echo "${d##*/h}"; done | sort -n; }
