//! A REAL Kubernetes cluster, not the stand-ins: v1.20.2 binaries built from Debian bookworm's
//! source package (testbed/k8s-binaries.sh) in locally built images (testbed/k8s-images.sh).
//! tests/run.sh builds both when missing and exports where they are:
//!   STOCKADE_K8S_BIN      directory with kubectl (and the other binaries)
//!   STOCKADE_K8S_ARCHIVE  `docker save` archive with every image the cluster.yml below names
//! Without them this test fails; it never skips.
//!
//! `stockade up` runs its normal code path with a v1.20 RKE1 version and those images under
//! `system_images`; the only test-specific settings are the testbed's (see the cluster.yml).
//! Then the real kubectl, with the kubeconfig stockade wrote, checks the cluster.
use crate::common::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A Kubernetes version RKE1 shipped (its last v1.20); the binaries are v1.20.2 of the same minor.
pub(crate) const KUBERNETES_VERSION: &str = "v1.20.15-rancher2-2";
const HYPERKUBE: &str = "stockade-testbed/hyperkube:v1.20.2";
const PAUSE: &str = "stockade-testbed/pause:3.2";
const SIDEKICK: &str = "stockade-testbed/k8s-sidekick:v1";

pub(crate) fn env_path(var: &str) -> PathBuf {
    let p = std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: tests/run.sh builds the real Kubernetes binaries and images and sets it (testbed/k8s-binaries.sh, testbed/k8s-images.sh)")
    });
    let p = PathBuf::from(p);
    assert!(p.exists(), "{var}={} does not exist", p.display());
    p
}

/// Machine-wide sysctls a real kubelet changes (not namespaced); put back when the test ends.
pub(crate) struct SysctlGuard(Vec<(String, String)>);

impl SysctlGuard {
    const KEYS: [&'static str; 6] =
        ["vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"];
    pub(crate) fn record() -> Self {
        SysctlGuard(Self::KEYS.iter().map(|k| (k.to_string(), std::fs::read_to_string(format!("/proc/sys/{k}")).unwrap().trim().to_string())).collect())
    }
}

impl Drop for SysctlGuard {
    fn drop(&mut self) {
        for (k, v) in &self.0 {
            let _ = std::fs::write(format!("/proc/sys/{k}"), v);
        }
    }
}

#[derive(Clone)]
pub(crate) struct Kubectl {
    pub(crate) bin: PathBuf,
    pub(crate) kubeconfig: PathBuf,
}

impl Kubectl {
    pub(crate) fn run(&self, args: &[&str]) -> (bool, String) {
        let o = Command::new(&self.bin)
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .arg("--request-timeout=30s")
            .args(args)
            .output()
            .expect("run kubectl");
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        eprintln!("$ kubectl {}\n{text}", args.join(" "));
        (o.status.success(), text)
    }
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let (ok, text) = self.run(args);
        assert!(ok, "kubectl {} failed:\n{text}", args.join(" "));
        text
    }
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        let o = Command::new(&self.bin).arg(format!("--kubeconfig={}", self.kubeconfig.display())).arg("--request-timeout=30s").args(&a).output().unwrap();
        assert!(o.status.success(), "kubectl {}: {}", a.join(" "), String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    }
    /// Retries `args` until it succeeds (the API may still be creating defaults such as the
    /// `default` ServiceAccount a pod needs).
    pub(crate) fn eventually(&self, args: &[&str], within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let (ok, text) = self.run(args);
            if ok {
                return text;
            }
            assert!(Instant::now() < deadline, "kubectl {} kept failing for {}s:\n{text}", args.join(" "), within.as_secs());
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

pub(crate) fn cluster_yml(tb: &Testbed) -> String {
    let mut s = format!("cluster_name: testbed\nssh_key_path: {}\nkubernetes_version: {KUBERNETES_VERSION}\nnodes:\n", tb.key().display());
    // h1 everything, h2 etcd + controlplane (a tainted node), h3 worker only (reaches the API
    // through nginx-proxy)
    for (i, roles) in [(0, "[etcd, controlplane, worker]"), (1, "[etcd, controlplane]"), (2, "[worker]")] {
        let h = tb.h(i);
        s.push_str(&format!("  - address: {}\n    user: root\n    role: {roles}\n    hostname_override: {}\n", h.ip, h.name));
    }
    s.push_str(&format!(
        "system_images:
  etcd: {ETCD_IMAGE}
  alpine: {TOOLS_IMAGE}
  nginx_proxy: {TOOLS_IMAGE}
  cert_downloader: {TOOLS_IMAGE}
  kubernetes_services_sidecar: {SIDEKICK}
  kubernetes: {HYPERKUBE}
  pod_infra_container: {PAUSE}
services:
  kubeproxy:
    extra_args:
      # testbed: nf_conntrack_max is read-only outside the initial network namespace and
      # kube-proxy exits when it cannot raise it; 0 leaves it alone
      conntrack-max-per-core: \"0\"
  kubelet:
    extra_env:
      # testbed (testbed/k8s/entrypoint.sh): the hosts share one cgroup tree, so each kubelet
      # gets its own cgroup root, or they remove each other's pods as orphans
      - KUBELET_CGROUP_ROOT=auto
    extra_args:
{KUBELET_TESTBED_ARGS}"
    ));
    s
}

/// testbed: the hosts' /var/lib/docker share the machine's disk, which other work fills and
/// empties; a kubelet that sees it nearly full (imagefs below 15% free by default) reports disk
/// pressure, admits no pod and deletes images (which cannot be pulled here). Thresholds no shared
/// disk reaches. `cluster_yml`'s last lines: callers add their own kubelet extra_args after them.
pub(crate) const KUBELET_TESTBED_ARGS: &str = "      image-gc-high-threshold: \"100\"\n      image-gc-low-threshold: \"99\"\n      eviction-hard: \"memory.available<1Mi,nodefs.available<1%,imagefs.available<1%\"\n";

/// The network plugin an operator with `network.plugin: none` provides: Debian's reference CNI
/// plugins (containernetworking-plugins) and a bridge + host-local config, one subnet per host,
/// in each host's private /opt/cni and /etc/cni. Without a CNI config a kubelet run with
/// --network-plugin=cni stays NotReady ("cni config uninitialized").
pub(crate) fn install_bridge_cni(tb: &Testbed, hosts: usize) {
    for i in 0..hosts {
        let h = tb.h(i);
        let bin = tb.host_path(h, "opt-cni").join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        for p in ["bridge", "host-local", "loopback", "portmap"] {
            let src = PathBuf::from("/usr/lib/cni").join(p);
            assert!(src.exists(), "{} missing: run testbed/install-deps.sh (containernetworking-plugins)", src.display());
            std::fs::copy(&src, bin.join(p)).unwrap();
        }
        let conf = tb.host_path(h, "etc-cni").join("net.d");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::write(
            conf.join("10-testbed.conflist"),
            format!(
                r#"{{"cniVersion": "0.3.1", "name": "testbed", "plugins": [
  {{"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {{"type": "host-local", "ranges": [[{{"subnet": "10.42.{}.0/24"}}]], "routes": [{{"dst": "0.0.0.0/0"}}]}}}},
  {{"type": "portmap", "capabilities": {{"portMappings": true}}}}]}}
"#,
                i + 1
            ),
        )
        .unwrap();
    }
}

pub(crate) fn ready_nodes(k: &Kubectl) -> Vec<(String, String, String)> {
    let nodes = k.json(&["get", "nodes"]);
    let mut out: Vec<(String, String, String)> = nodes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let name = n["metadata"]["name"].as_str().unwrap().to_string();
            let conds = n["status"]["conditions"].as_array().cloned().unwrap_or_default();
            let ready = conds.iter().find(|c| c["type"] == "Ready").map(|c| c["status"].as_str().unwrap_or("").to_string()).unwrap_or_default();
            let addrs = n["status"]["addresses"].as_array().cloned().unwrap_or_default();
            let ip = addrs.iter().find(|a| a["type"] == "InternalIP").and_then(|a| a["address"].as_str()).unwrap_or("").to_string();
            (name, ready, ip)
        })
        .collect();
    out.sort();
    out
}

fn pod_manifest(name: &str, node: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  nodeSelector:
    kubernetes.io/hostname: {node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {TOOLS_IMAGE}
    imagePullPolicy: Never
    command: [\"sh\", \"-c\", \"i=0; while true; do echo tick $i; i=$((i+1)); sleep 2; done\"]
"
    )
}

#[test]
fn real_kubernetes_v1_20_nodes_ready_pod_on_worker_logs_exec_and_noop_second_up() {
    let tb = Testbed::get();
    let bin = env_path("STOCKADE_K8S_BIN");
    let archive = env_path("STOCKADE_K8S_ARCHIVE");
    let _sysctls = SysctlGuard::record();
    let started = Instant::now();
    // kubelets serve with certificates of the cluster CA, which kube-apiserver verifies (logs and
    // exec below go through that verification)
    let yml = cluster_yml(&tb).replace("  kubelet:\n    extra_env:", "  kubelet:\n    generate_serving_certificate: true\n    extra_env:");
    assert!(yml.contains("generate_serving_certificate: true"));
    tb.write_config(&yml);
    install_bridge_cni(&tb, 3);

    // stockade's normal path: images loaded from the archive (pause included), RKE1's authz,
    // every node Ready before it reports success
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(r.code, 0, "stockade up failed against real Kubernetes:\n{}", r.all());
    eprintln!("first up: {:.0}s", started.elapsed().as_secs_f64());
    for i in 0..3 {
        assert!(tb.has_image(tb.h(i), PAUSE), "stockade did not load the pod infra image on {}", tb.h(i).name);
    }
    // RKE1's v1.20 kubelet options from stockade's version table: CNI networking (the pods get
    // their addresses from the bridge CNI installed above)
    let kubelet_args = tb.docker_out(tb.h(2), &["inspect", "-f", "{{json .Args}}", "kubelet"]);
    assert!(kubelet_args.contains("--network-plugin=cni"), "{kubelet_args}");
    let k = Kubectl { bin: bin.join("kubectl"), kubeconfig: tb.work.path().join("kube_config_cluster.yml") };
    assert!(k.kubeconfig.exists(), "up wrote no kubeconfig");
    assert_eq!(k.ok(&["get", "--raw", "/healthz"]).trim(), "ok");
    let version = k.json(&["version"]);
    assert_eq!(version["serverVersion"]["gitVersion"], "v1.20.2", "not the real apiserver: {version}");

    // every node Ready, with its address (exec/logs reach kubelets through it)
    let nodes = ready_nodes(&k);
    let want: Vec<(String, String, String)> = (0..3).map(|i| (tb.h(i).name.clone(), "True".into(), tb.h(i).ip.clone())).collect();
    assert_eq!(nodes, want, "nodes (name, Ready, InternalIP)");
    // controlplane-only h2 keeps workloads off, as RKE1
    let h2 = k.json(&["get", "node", &tb.h(1).name]);
    assert!(h2["spec"]["taints"].to_string().contains("node-role.kubernetes.io/controlplane"), "{}", h2["spec"]);

    // component statuses: scheduler, controller-manager, every etcd member
    let cs = k.json(&["get", "componentstatuses"]);
    let items = cs["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "scheduler, controller-manager, etcd-0, etcd-1: {cs}");
    for c in items {
        let healthy = c["conditions"].as_array().unwrap().iter().any(|x| x["type"] == "Healthy" && x["status"] == "True");
        assert!(healthy, "component {} not healthy: {}", c["metadata"]["name"], c["conditions"]);
    }

    // RKE1's authz objects were applied server-side by stockade (kubectl 1.20 shows managedFields in -o json)
    let binding = k.json(&["get", "clusterrolebinding", "system:node"]);
    assert_eq!(binding["subjects"][0]["name"], "system:nodes", "{binding}");
    let managers = binding["metadata"]["managedFields"].to_string();
    assert!(managers.contains("\"manager\":\"stockade\"") && managers.contains("\"operation\":\"Apply\""), "{managers}");

    // a pod on the worker-only host: Running, logs and exec through the kubelet certificates
    let worker = tb.h(2).name.clone();
    let manifest = tb.work.path().join("pod.yaml");
    std::fs::write(&manifest, pod_manifest("ticker", &worker)).unwrap();
    k.eventually(&["apply", "-f", manifest.to_str().unwrap()], Duration::from_secs(60));
    k.ok(&["wait", "--for=condition=Ready", "pod/ticker", "--timeout=120s"]);
    let pod = k.json(&["get", "pod", "ticker"]);
    assert_eq!(pod["spec"]["nodeName"], worker.as_str());
    assert_eq!(pod["status"]["phase"], "Running");
    let pod_ip = pod["status"]["podIP"].as_str().unwrap_or("");
    assert!(pod_ip.starts_with("10.42.3."), "the pod got its address from the worker's CNI bridge: {}", pod["status"]);
    let logs = k.eventually(&["logs", "ticker", "--tail=5"], Duration::from_secs(30));
    assert!(logs.contains("tick "), "{logs}");
    let exec = k.ok(&["exec", "ticker", "--", "sh", "-c", "echo exec-ok-in-$(hostname); ls /var/run/secrets/kubernetes.io/serviceaccount"]);
    assert!(exec.contains("exec-ok-in-ticker") && exec.contains("token"), "{exec}");
    // the worker's kubelet serves its own certificate of the cluster CA (read with openssl)
    let h3 = tb.h(2);
    let script = format!("timeout 10 openssl s_client -connect {}:10250 </dev/null 2>/dev/null | openssl x509 -noout -subject -issuer", h3.ip);
    let served = String::from_utf8_lossy(&tb.in_netns(h3, &["sh", "-c", &script]).stdout).to_string();
    assert!(served.contains(&format!("CN = kube-kubelet-{}", h3.ip.replace('.', "-"))) && served.contains("issuer=CN = kube-ca"), "{served}");
    let apiserver_args = tb.docker_out(tb.h(0), &["inspect", "-f", "{{json .Args}}", "kube-apiserver"]);
    assert!(apiserver_args.contains("--kubelet-certificate-authority=/etc/kubernetes/ssl/kube-ca.pem"), "{apiserver_args}");

    // a label someone else put on a stockade-applied object survives the next up (merged, never replaced)
    k.ok(&["label", "clusterrole", "proxy-clusterrole-kubeapiserver", "example.com/owner=platform-team"]);
    let again = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(again.code, 0, "second up failed:\n{}", again.all());
    assert!(again.all().contains("Nothing changed"), "second up changed something:\n{}", again.all());
    let role = k.json(&["get", "clusterrole", "proxy-clusterrole-kubeapiserver"]);
    assert_eq!(role["metadata"]["labels"]["example.com/owner"], "platform-team", "{role}");
    assert_eq!(ready_nodes(&k), want);
    assert_eq!(k.json(&["get", "pod", "ticker"])["status"]["phase"], "Running", "the pod survived the second up");
    eprintln!("real Kubernetes test: {:.0}s", started.elapsed().as_secs_f64());

    // leave no pod volumes mounted under /var/lib/kubelet for the next test's reset
    k.ok(&["delete", "pod", "ticker", "--grace-period=1", "--wait=true", "--timeout=60s"]);
    // `remove` takes the real cluster down (and no real kubelet stays on the shared machine)
    let removed = tb.stockade(&["remove", "--force"]);
    assert_eq!(removed.code, 0, "remove failed on the real cluster:\n{}", removed.all());
    for i in 0..3 {
        assert!(tb.managed_containers(tb.h(i)).is_empty(), "{} keeps stockade containers", tb.h(i).name);
    }
    tb.reset();
}
