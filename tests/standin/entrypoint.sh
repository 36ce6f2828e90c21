#!/bin/sh
# STAND-IN FOR TESTS ONLY: rke-tools' /opt/rke-tools/entrypoint.sh, which the Kubernetes
# containers run from the service-sidekick volume. The real one prepares the host (and starts
# cri-dockerd for kubelet); this one only runs the component.
exec "$@"
