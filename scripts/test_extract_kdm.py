#!/usr/bin/env python3
"""Tests of scripts/extract-kdm.py on small inputs written in KDM's own shapes (data.json, the Go
sources data.json is generated from, rancher/rke's RKESystemImages struct, the 1.32 metadata).
Run: python3 scripts/test_extract_kdm.py  (cargo test runs it too: versions::tests)."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "extract-kdm.py")
spec = importlib.util.spec_from_file_location("extract_kdm", SCRIPT)
kdm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kdm)

RKE_TYPES = """package types

type RKESystemImages struct {
	// etcd image
	Etcd string `yaml:"etcd" json:"etcd,omitempty"`
	Alpine string `yaml:"alpine" json:"alpine,omitempty"`
	NginxProxy string `yaml:"nginx_proxy" json:"nginxProxy,omitempty"`
	Kubernetes string `yaml:"kubernetes" json:"kubernetes,omitempty"`
	CalicoFlexVol string `yaml:"calico_flexvol" json:"calicoFlexVol,omitempty"`
	AciHostContainer string `yaml:"aci_host_container" json:"aciHostContainer,omitempty"`
}
"""

SERVICE_OPTIONS_GO = """package rke

const (
	tlsCipherSuites        = "TLS_A,TLS_B"
	enableAdmissionPlugins = "NamespaceLifecycle,NodeRestriction"
)

func loadK8sVersionServiceOptions() map[string]v3.KubernetesServicesOptions {
	return map[string]v3.KubernetesServicesOptions{
		"v1.25": {
			Etcd:    getETCDOptions(),
			KubeAPI: getKubeAPIOptions124(),
			Kubelet: getKubeletOptions124(),
		},
		"v1.24": {
			Etcd: getETCDOptions(),
		},
		"v1.19": {
			Etcd: getETCDOptions(),
		},
	}
}

func getKubeAPIOptions() map[string]string {
	data := map[string]string{
		"tls-cipher-suites":        tlsCipherSuites,
		"enable-admission-plugins": enableAdmissionPlugins, // order doesn't matter
		"insecure-port":            "0",
	}
	return data
}

func getKubeAPIOptions116() map[string]string {
	kubeAPIOptions := getKubeAPIOptions()
	kubeAPIOptions["enable-admission-plugins"] = fmt.Sprintf("%s,%s", kubeAPIOptions["enable-admission-plugins"], "Priority,TaintNodesByCondition")
	return kubeAPIOptions
}

func getKubeAPIOptions124() map[string]string {
	kubeAPIOptions := getKubeAPIOptions116()
	kubeAPIOptions["service-account-issuer"] = "rke"
	delete(kubeAPIOptions, "insecure-port")
	return kubeAPIOptions
}

func getKubeletOptions124() map[string]string {
	return map[string]string{
		"v":                        "2",
		"enforce-node-allocatable": "",
	}
}

func getETCDOptions() map[string]string {
	return map[string]string{
		"client-cert-auth": "true",
	}
}
"""

SYSTEM_IMAGES_GO = """package rke

func loadK8sRKESystemImages() map[string]v3.RKESystemImages {
	return map[string]v3.RKESystemImages{
		"v1.19.16-rancher1-1": {
			Etcd:       m("rancher/etcd:v3.4.13"),
			Kubernetes: m("rancher/hyperkube:v1.19.16-rancher1"),
		},
		// Enabled in Rancher v2.7.0
		"v1.24.9-rancher1-1": {
			Etcd:             "rancher/etcd:v3.5.6",
			Alpine:           "rancher/rke-tools:v0.1.88",
			Kubernetes:       "rancher/hyperkube:v1.24.9-rancher1",
			AciHostContainer: "noiro/aci-containers-host:5.2",
		},
		"v1.25.6-rancher2-1": {
			Etcd:          "rancher/etcd:v3.5.6",
			Alpine:        "rancher/rke-tools:v0.1.90",
			NginxProxy:    "rancher/rke-tools:v0.1.90",
			Kubernetes:    "rancher/hyperkube:v1.25.6-rancher2",
			CalicoFlexVol: "rancher/calico-flexvol:v3.24",
		},
	}
}
"""

DOCKER_GO = """package rke

func loadK8sVersionDockerInfo() map[string][]string {
	return map[string][]string{
		"1.19": {"19.03.x"},
		"1.24": {"20.10.x", "23.0.x"},
		"1.25": {"20.10.x", "23.0.x", "24.0.x"},
	}
}
"""

VERSION_INFO_GO = """package rke

func loadRKEDefaultK8sVersions() map[string]string {
	return map[string]string{
		"0.3": "v1.16.3-rancher1-1",
		// rke will use default if its version is absent
		"default": "v1.25.6-rancher2-1",
	}
}
"""

DATA_JSON = {
    "K8sVersionRKESystemImages": {
        "v1.19.16-rancher1-1": {"etcd": "rancher/etcd:v3.4.13", "kubernetes": "rancher/hyperkube:v1.19.16-rancher1"},
        "v1.20.15-rancher1-1": {"etcd": "rancher/etcd:v3.4.15", "alpine": "rancher/rke-tools:v0.1.80",
                                "nginxProxy": "rancher/rke-tools:v0.1.80", "kubernetes": "rancher/hyperkube:v1.20.15-rancher1"},
        "v1.24.9-rancher1-1": {"etcd": "rancher/etcd:v3.5.4", "kubernetes": "rancher/hyperkube:v1.24.9-rancher1"},
    },
    "K8sVersionServiceOptions": {
        "v1.20": {"etcd": {"client-cert-auth": "true", "enable-v2": "true"}, "kubeapi": {"insecure-port": "0"}, "kubelet": None},
        "v1.25": {"etcd": {"client-cert-auth": "true"},
                  "kubeapi": {"tls-cipher-suites": "TLS_A,TLS_B",
                              "enable-admission-plugins": "NamespaceLifecycle,NodeRestriction,Priority,TaintNodesByCondition",
                              "service-account-issuer": "rke"},
                  "kubelet": {"v": "2", "enforce-node-allocatable": ""}},
    },
    "K8sVersionDockerInfo": {"1.19": ["19.03.x"], "1.20": ["19.03.x", "20.10.x"]},
    "RKEDefaultK8sVersions": {"default": "v1.20.15-rancher1-1"},
}

KDM_132 = {
    "rke_default_k8s_versions": {"default": "v1.32.7-rancher1-1"},
    "system_images": {"v1.32.7-rancher1-1": {"etcd": "rancher/etcd:v3.5.16", "alpine": "rancher/rke-tools:v0.1.114",
                                             "kubernetes": "rke-extended-life/hyperkube:v1.32.7-rancher1"}},
    "service_options": {"v1.32": {"etcd": {"client-cert-auth": "true"}, "kubelet": {"v": "2"}}},
    "docker_versions": {"1.32": ["28.3.x"]},
}


class ExtractKdm(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.go = os.path.join(self.dir, "pkg", "rke")
        os.makedirs(self.go)
        for name, text in [("k8s_service_options.go", SERVICE_OPTIONS_GO), ("k8s_rke_system_images.go", SYSTEM_IMAGES_GO),
                           ("k8s_docker_info.go", DOCKER_GO), ("k8s_version_info.go", VERSION_INFO_GO)]:
            self.write(os.path.join(self.go, name), text)
        self.types = self.write(os.path.join(self.dir, "rke_types.go"), RKE_TYPES)
        self.data = self.write(os.path.join(self.dir, "data.json"), json.dumps(DATA_JSON))
        self.k132 = self.write(os.path.join(self.dir, "kdm-1.32.json"), json.dumps(KDM_132))
        self.out = os.path.join(self.dir, "kdm.json")

    def write(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_script(self):
        r = subprocess.run([sys.executable, SCRIPT, "--data-json", self.data, "--go-source", self.go, "--rke-types", self.types,
                            "--kdm-132", self.k132, "--out", self.out], capture_output=True, text=True)
        return r

    def images(self, table, version):
        refs = table["versions"][version]
        return {k: table["images"][r] for k, r in zip(table["image_keys"], refs) if r is not None}

    def options(self, table, key):
        return table["service_option_sets"][table["service_options"][key]]

    def test_go_helpers_evaluate_like_kdm(self):
        ev = kdm.GoOptions(SERVICE_OPTIONS_GO)
        self.assertEqual(ev.call("getKubeAPIOptions124"), {
            "tls-cipher-suites": "TLS_A,TLS_B",
            "enable-admission-plugins": "NamespaceLifecycle,NodeRestriction,Priority,TaintNodesByCondition",
            "service-account-issuer": "rke"})
        self.assertEqual(ev.call("getKubeletOptions124"), {"v": "2", "enforce-node-allocatable": ""})

    def test_unknown_go_statement_is_an_error(self):
        ev = kdm.GoOptions(SERVICE_OPTIONS_GO.replace('delete(kubeAPIOptions, "insecure-port")', 'for k := range x {}'))
        with self.assertRaises(SystemExit):
            ev.call("getKubeAPIOptions124")

    def test_table(self):
        r = self.run_script()
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.out) as f:
            t = json.load(f)
        # below 1.20 is left out; the Go source wins over data.json; ACI images are dropped
        self.assertEqual(list(t["versions"]), ["v1.20.15-rancher1-1", "v1.24.9-rancher1-1", "v1.25.6-rancher2-1", "v1.32.7-rancher1-1"])
        self.assertEqual(self.images(t, "v1.24.9-rancher1-1"), {
            "etcd": "rancher/etcd:v3.5.6", "alpine": "rancher/rke-tools:v0.1.88", "kubernetes": "rancher/hyperkube:v1.24.9-rancher1"})
        self.assertEqual(self.images(t, "v1.25.6-rancher2-1")["calico_flexvol"], "rancher/calico-flexvol:v3.24")
        self.assertEqual(self.images(t, "v1.20.15-rancher1-1")["nginx_proxy"], "rancher/rke-tools:v0.1.80")
        self.assertEqual(self.images(t, "v1.32.7-rancher1-1")["kubernetes"], "rke-extended-life/hyperkube:v1.32.7-rancher1")
        # identical strings and flag sets are stored once
        self.assertEqual(len(t["images"]), len(set(t["images"])))
        self.assertEqual(self.options(t, "v1.20")["kube-api"], {"insecure-port": "0"})
        self.assertNotIn("kubelet", self.options(t, "v1.20"), "a null service in data.json has no flags")
        self.assertEqual(self.options(t, "v1.25")["kube-api"]["service-account-issuer"], "rke")
        self.assertEqual(self.options(t, "v1.32")["kubelet"], {"v": "2"})
        self.assertEqual(t["docker_versions"], {"1.20": ["19.03.x", "20.10.x"], "1.24": ["20.10.x", "23.0.x"],
                                                "1.25": ["20.10.x", "23.0.x", "24.0.x"], "1.32": ["28.3.x"]})
        self.assertEqual(t["default"], "v1.32.7-rancher1-1", "the 1.32 metadata's default is RKE1's last")

    def test_go_and_data_json_must_agree(self):
        bad = json.loads(json.dumps(DATA_JSON))
        bad["K8sVersionServiceOptions"]["v1.25"]["etcd"]["client-cert-auth"] = "false"
        self.write(self.data, json.dumps(bad))
        r = self.run_script()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("differ from data.json for v1.25", r.stderr)

    def test_a_version_without_service_options_is_an_error(self):
        k = json.loads(json.dumps(KDM_132))
        k["service_options"] = {}
        self.write(self.k132, json.dumps(k))
        r = self.run_script()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("v1.32.7-rancher1-1: no service options", r.stderr)


if __name__ == "__main__":
    unittest.main()
