#!/usr/bin/env python3
"""Tests of the node image's entrypoint.sh with recording stand-ins for curl (the Docker API),
cri-dockerd and kubelet on PATH: the arguments each gets, the wait for cri-dockerd's socket, and
that the container ends when either process does. The real binaries are exercised when the image
runs on the testbed (a later step). Run: python3 images/kubelet/test_entrypoint.py (cargo test
runs it: versions::upstream::tests)."""
import os
import subprocess
import tempfile
import textwrap
import unittest

ENTRYPOINT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "entrypoint.sh")

# curl stand-in: answers /info like the Docker API, with the cgroup driver the test chooses
CURL = """#!/bin/sh
echo "$@" > "$REC/curl.args"
[ -n "${DOCKER_DOWN:-}" ] && exit 7
printf '{"ID":"x","CgroupDriver":"%s","Driver":"overlay2"}' "$DRIVER"
"""
# cri-dockerd stand-in: records its flags, creates its unix socket, lives until killed
CRI = """#!/bin/sh
echo "$@" > "$REC/cri.args"
[ -n "${CRI_FAILS:-}" ] && exit 3
for a in "$@"; do case "$a" in --container-runtime-endpoint=unix://*) sock=${a#*unix://};; esac; done
exec python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(60)' "$sock"
"""
# kubelet stand-in: records its flags, then runs for KUBELET_SECONDS
KUBELET = """#!/bin/sh
echo "$@" > "$REC/kubelet.args"
sleep "${KUBELET_SECONDS:-0}"
"""


class Entrypoint(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.bin = os.path.join(self.dir, "bin")
        os.makedirs(self.bin)
        for name, body in [("curl", CURL), ("cri-dockerd", CRI), ("kubelet", KUBELET)]:
            path = os.path.join(self.bin, name)
            with open(path, "w") as f:
                f.write(body)
            os.chmod(path, 0o755)
        self.sock = os.path.join(self.dir, "cri-dockerd.sock")

    def run_entrypoint(self, args, **env):
        e = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"], REC=self.dir, DRIVER="systemd")
        e.update(env)
        return subprocess.run(["bash", ENTRYPOINT] + args, env=e, capture_output=True, text=True, timeout=60)

    def recorded(self, name):
        path = os.path.join(self.dir, name + ".args")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return f.read().split()

    def kubelet_args(self):
        return ["kubelet", f"--container-runtime-endpoint=unix://{self.sock}", "--pod-infra-container-image=registry.k8s.io/pause:3.10", "--v=2"]

    def test_dockershim_free_kubelet_gets_docker_cgroup_driver(self):
        r = self.run_entrypoint(["kubelet", "--v=2"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded("kubelet"), ["--v=2", "--cgroup-driver=systemd"])
        self.assertIn("--unix-socket /var/run/docker.sock", " ".join(self.recorded("curl")))
        self.assertIsNone(self.recorded("cri"), "no cri-dockerd without RKE_KUBELET_CRIDOCKERD")

    def test_a_given_cgroup_driver_is_kept(self):
        r = self.run_entrypoint(["kubelet", "--cgroup-driver=cgroupfs"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.recorded("kubelet"), ["--cgroup-driver=cgroupfs"])

    def test_cri_dockerd_first_then_kubelet_and_both_end_together(self):
        r = self.run_entrypoint(self.kubelet_args(), RKE_KUBELET_CRIDOCKERD="true", KUBELET_SECONDS="1")
        # kubelet ended: the container ends, non-zero, so Docker restarts it
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(self.recorded("cri"), [
            f"--container-runtime-endpoint=unix://{self.sock}", "--network-plugin=cni", "--cni-bin-dir=/opt/cni/bin",
            "--cni-conf-dir=/etc/cni/net.d", "--cri-dockerd-root-directory=/var/lib/cri-dockerd",
            "--pod-infra-container-image=registry.k8s.io/pause:3.10"])
        self.assertEqual(self.recorded("kubelet"), self.kubelet_args()[1:] + ["--cgroup-driver=systemd"])

    def test_cri_dockerd_failing_stops_before_kubelet(self):
        r = self.run_entrypoint(self.kubelet_args(), RKE_KUBELET_CRIDOCKERD="true", CRI_FAILS="1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cri-dockerd exited before creating", r.stderr)
        self.assertIsNone(self.recorded("kubelet"))

    def test_docker_api_unreachable_is_named(self):
        r = self.run_entrypoint(["kubelet"], DOCKER_DOWN="1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read the Docker API at /var/run/docker.sock", r.stderr)

    def test_other_components_run_as_given(self):
        r = self.run_entrypoint(["sh", "-c", "echo ran $0", "x"])
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "ran x"))


if __name__ == "__main__":
    unittest.main()
