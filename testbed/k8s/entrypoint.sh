#!/bin/sh
# entrypoint.sh — /opt/rke-tools/entrypoint.sh in the sidekick image testbed/k8s-images.sh builds for
# the REAL Kubernetes test (tests/testbed/real_kubernetes.rs). stockade, like RKE1, starts every
# Kubernetes component as `/opt/rke-tools/entrypoint.sh <component> <flags...>` from the
# `service-sidekick` container's volume, inside the `kubernetes` (hyperkube) image. Real kubelet
# needs what rke-tools' entrypoint.sh does in its kubelet branch on an RKE1 host:
#   1. inside this container, unmount the submounts that came in with the recursive binds of the
#      docker root dir, /run and /var/run (other containers' overlay and netns mounts);
#   2. bind the host's /dev (stockade binds it at /host/dev) over the container's /dev;
#   3. make /sys/fs/cgroup writable and create kubepods in every cgroup hierarchy;
#   4. append --cgroup-driver=<docker's cgroup driver> (from `docker info`).
# Testbed-only addition, OFF unless the kubelet container's env has KUBELET_CGROUP_ROOT=auto (the
# test sets it with services.kubelet.extra_env): the testbed's hosts share one kernel and one cgroup
# tree, so two kubelets with the default cgroup root "/" would both own /kubepods and remove each
# other's pod cgroups (killing their processes) as orphans. "auto" appends --cgroup-root=<parent
# cgroup of this container>, which is the host dockerd's cgroup-parent (/<name>-h1, ...): one
# subtree per host, removed by testbed/down.sh. Any other non-empty value is used as it is.
if [ "$1" = kubelet ]; then
  DOCKER=/opt/rke-tools/bin/docker
  root=$("$DOCKER" info --format '{{.DockerRootDir}}' 2>/dev/null)
  for i in $root /var/lib/docker /run /var/run; do
    for m in $(tac /proc/mounts | awk '{print $2}' | grep "^$i/"); do
      case $m in /var/run/nscd|/run/nscd) ;; *) umount "$m" 2>/dev/null || true ;; esac
    done
  done
  [ -d /host/dev ] && mount --rbind /host/dev /dev
  mount -o rw,remount /sys/fs/cgroup 2>/dev/null || true
  cgroot=
  case ${KUBELET_CGROUP_ROOT:-} in
    '') ;;
    auto)
      # this container's own cgroup (cgroup v1: the cpu line; cgroup v2: the 0:: line), minus its id
      self=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ {print $3; exit}' /proc/self/cgroup)
      [ -n "$self" ] || self=$(awk -F: '$1 == "0" {print $3; exit}' /proc/self/cgroup)
      cgroot=${self%/*}
      [ -n "$cgroot" ] || cgroot=/ ;;
    *) cgroot=$KUBELET_CGROUP_ROOT ;;
  esac
  for i in /sys/fs/cgroup/*; do
    [ -d "$i" ] && mkdir -p "$i${cgroot%/}/kubepods" 2>/dev/null
  done
  driver=$("$DOCKER" info --format '{{.CgroupDriver}}' 2>/dev/null)
  set -- "$@" --cgroup-driver="${driver:-cgroupfs}"
  [ -n "$cgroot" ] && set -- "$@" --cgroup-root="$cgroot"
  echo "entrypoint: exec $*" >&2
  exec "$@"
fi
exec "$@"
