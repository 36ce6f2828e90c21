//! Scripted upgrades on the REAL Kubernetes v1.20 cluster of real_kubernetes.rs (same images,
//! same bridge CNI, 3 hosts: h1 every role, h2 etcd + controlplane, h3 worker only).
//!
//! A Deployment of 2 replicas with a PodDisruptionBudget (minAvailable 1) runs while a kubelet
//! flag change recreates every node's kubelet with `drain: true` and `max_unavailable_worker: 1`:
//! a background poller records, once a second, which nodes are unschedulable and how many of
//! the workload's pods are Ready (through the API: the testbed has no Service path from the test
//! process to the pod network, so availability is "at least one replica Ready" at every sample).
//! Then a budget of minAvailable 2 blocks the drain: the run stops naming the pods, nothing else
//! changes, and the next `up` after the budget is relaxed finishes.
use crate::common::*;
use crate::real_kubernetes::{cluster_yml, env_path, install_bridge_cni, ready_nodes, Kubectl, SysctlGuard};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `timeout`: the whole drain of one node (its pods' terminations included, which a loaded
/// testbed machine can take tens of seconds for); short where the drain is meant to fail.
fn config(tb: &Testbed, verbosity: u32, timeout: u32) -> String {
    // the kubelet section ends cluster_yml(): its extra_args follow its extra_env
    format!(
        "{}    extra_args:\n      v: \"{verbosity}\"\n{KUBELET_TESTBED_ARGS}upgrade_strategy:\n  max_unavailable_worker: 1\n  drain: true\n  node_drain_input:\n    grace_period: 1\n    timeout: {timeout}\n",
        cluster_yml(tb)
    )
}

/// testbed: the hosts' /var/lib/docker share the machine's disk, which other work fills and
/// empties; a kubelet that sees it nearly full deletes images (the workload's, which cannot be
/// pulled here) and evicts pods. Thresholds no shared disk reaches.
const KUBELET_TESTBED_ARGS: &str = "      image-gc-high-threshold: \"100\"\n      image-gc-low-threshold: \"99\"\n      eviction-hard: \"memory.available<1Mi,nodefs.available<1%,imagefs.available<1%\"\n";

/// Deletes the workload however the test ends: its pods' volumes stay mounted on the hosts
/// otherwise, and the next test's reset cannot clean them.
struct DeleteWorkload(Kubectl, std::path::PathBuf);

impl Drop for DeleteWorkload {
    fn drop(&mut self) {
        if self.1.exists() {
            let _ = self.0.run(&["delete", "-f", self.1.to_str().unwrap(), "--ignore-not-found", "--wait=true", "--timeout=90s"]);
            let _ = self.0.run(&["wait", "--for=delete", "pod", "-l", "app=web", "--timeout=90s"]);
        }
    }
}

fn workload(min_available: u32) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: {TOOLS_IMAGE}
        imagePullPolicy: Never
        command: [\"sh\", \"-c\", \"while true; do sleep 1; done\"]
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: {min_available}
  selector:
    matchLabels: {{app: web}}
"
    )
}

/// One sample of the poller: unschedulable nodes, and Ready pods of the workload.
#[derive(Debug, Clone)]
struct Sample {
    cordoned: Vec<String>,
    ready: usize,
}

fn json_of(k: &Kubectl, args: &[&str]) -> Option<serde_json::Value> {
    let o = Command::new(&k.bin).arg(format!("--kubeconfig={}", k.kubeconfig.display())).arg("--request-timeout=10s").args(args).args(["-o", "json"]).output().ok()?;
    if !o.status.success() {
        return None;
    }
    serde_json::from_slice(&o.stdout).ok()
}

fn sample(k: &Kubectl) -> Option<Sample> {
    let nodes = json_of(k, &["get", "nodes"])?;
    let cordoned = nodes["items"].as_array()?.iter().filter(|n| n["spec"]["unschedulable"] == true).map(|n| n["metadata"]["name"].as_str().unwrap_or("").to_string()).collect();
    let pods = json_of(k, &["get", "pods", "-l", "app=web"])?;
    let ready = pods["items"]
        .as_array()?
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .filter(|p| p["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True")))
        .count();
    Some(Sample { cordoned, ready })
}

/// Samples every second until stopped.
struct Poller {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<Sample>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Poller {
    fn start(k: &Kubectl) -> Poller {
        let (stop, samples) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
        let (s2, v2, k) = (stop.clone(), samples.clone(), k.clone());
        let thread = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                if let Some(s) = sample(&k) {
                    v2.lock().unwrap().push(s);
                }
                std::thread::sleep(Duration::from_millis(700));
            }
        });
        Poller { stop, samples, thread: Some(thread) }
    }
    fn finish(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.samples.lock().unwrap().clone()
    }
}

fn kubelet_args(tb: &Testbed, i: usize) -> String {
    tb.docker_out(tb.h(i), &["inspect", "-f", "{{json .Args}}", "kubelet"])
}

fn all_ready_and_schedulable(tb: &Testbed, k: &Kubectl) {
    let want: Vec<(String, String, String)> = (0..3).map(|i| (tb.h(i).name.clone(), "True".into(), tb.h(i).ip.clone())).collect();
    assert_eq!(ready_nodes(k), want, "nodes (name, Ready, InternalIP)");
    let s = sample(k).expect("sample");
    assert!(s.cordoned.is_empty(), "nodes left cordoned: {:?}", s.cordoned);
}

#[test]
fn real_kubernetes_rolling_kubelet_change_drains_each_node_in_turn_and_a_pdb_blocks_the_drain() {
    let tb = Testbed::get();
    let bin = env_path("STOCKADE_K8S_BIN");
    let archive = env_path("STOCKADE_K8S_ARCHIVE");
    let archive = archive.to_str().unwrap();
    let _sysctls = SysctlGuard::record();
    let started = Instant::now();
    tb.write_config(&config(&tb, 1, 300));
    install_bridge_cni(&tb, 3);
    let r = tb.stockade(&["up", "--image-archive", archive]);
    assert_eq!(r.code, 0, "first up failed:\n{}", r.all());
    eprintln!("first up: {:.0}s", started.elapsed().as_secs_f64());
    let k = Kubectl { bin: bin.join("kubectl"), kubeconfig: tb.work.path().join("kube_config_cluster.yml") };
    let manifest = tb.work.path().join("web.yaml");
    std::fs::write(&manifest, workload(1)).unwrap();
    let _cleanup = DeleteWorkload(k.clone(), manifest.clone());
    k.eventually(&["apply", "-f", manifest.to_str().unwrap()], Duration::from_secs(60));
    k.ok(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    let names: Vec<String> = (0..3).map(|i| tb.h(i).name.clone()).collect();

    // --dry-run: the batches in RKE1's order (controlplane hosts one at a time, then the worker)
    tb.write_config(&config(&tb, 2, 300));
    let dry = tb.stockade(&["up", "--dry-run", "--image-archive", archive]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    let batch_lines: Vec<&str> = dry.stdout.lines().filter(|l| l.contains("worker plane batch")).collect();
    assert_eq!(batch_lines.len(), 3, "{}", dry.stdout);
    for (i, (line, host)) in batch_lines.iter().zip([&tb.h(0).ip, &tb.h(1).ip, &tb.h(2).ip]).enumerate() {
        assert!(line.contains(&format!("batch {}/3", i + 1)) && line.ends_with("then uncordon once Ready") && line.contains("drain"), "{line}");
        assert!(line.contains(&format!(": {host}:")), "batch {} should be {host}: {line}", i + 1);
    }
    assert!(batch_lines[0].contains("max_unavailable_controlplane") && batch_lines[2].contains("max_unavailable_worker"), "{batch_lines:?}");
    assert!(kubelet_args(&tb, 2).contains("--v=1"), "the dry run changed nothing");

    // the rolling change, watched
    let poller = Poller::start(&k);
    let r = tb.stockade(&["up", "--image-archive", archive]);
    let samples = poller.finish();
    assert_eq!(r.code, 0, "rolling up failed:\n{}", r.all());
    let out = r.all();
    for i in 0..3 {
        assert!(kubelet_args(&tb, i).contains("--v=2"), "kubelet of {} not recreated", tb.h(i).name);
    }
    // stockade says it cordoned and drained each node, in RKE1's order, and uncordoned it
    let at = |what: String| out.find(&what).unwrap_or_else(|| panic!("no `{what}` in:\n{out}"));
    let order: Vec<usize> = names.iter().map(|n| at(format!("cordoned node {n}"))).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "nodes not taken one after the other in order h1, h2, h3:\n{out}");
    for n in &names {
        assert!(at(format!("drained node {n}")) < at(format!("uncordoned node {n}")), "{out}");
    }
    // the API saw it: every node unschedulable at some sample, never two at once, and the
    // workload had a Ready replica at every sample
    assert!(samples.len() >= 10, "too few samples: {samples:?}");
    for n in &names {
        assert!(samples.iter().any(|s| s.cordoned.contains(n)), "node {n} was never seen cordoned: {samples:?}");
    }
    assert!(samples.iter().all(|s| s.cordoned.len() <= 1), "two nodes cordoned at once: {samples:?}");
    let min_ready = samples.iter().map(|s| s.ready).min().unwrap();
    assert!(min_ready >= 1, "the workload had no Ready replica at some sample: {samples:?}");
    all_ready_and_schedulable(&tb, &k);
    k.ok(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    eprintln!("rolling up done at {:.0}s ({} samples, fewest Ready replicas {min_ready})", started.elapsed().as_secs_f64(), samples.len());

    // a budget that allows no disruption blocks the first node's drain: the run stops naming
    // the pods and the budget, that node is uncordoned, no kubelet is replaced
    std::fs::write(&manifest, workload(2)).unwrap();
    k.ok(&["apply", "-f", manifest.to_str().unwrap()]);
    tb.write_config(&config(&tb, 3, 20));
    let blocked = tb.stockade(&["up", "--image-archive", archive]);
    assert_ne!(blocked.code, 0, "a drain blocked by the budget must stop the run:\n{}", blocked.all());
    let err = blocked.all();
    assert!(err.contains("cannot drain node") && err.contains("pod default/web-") && err.contains("disruption budget"), "{err}");
    assert!(err.contains("web needs 2 healthy pods"), "the budget is named: {err}");
    assert!(err.contains("not changed yet"), "the hosts not touched are named: {err}");
    for i in 0..3 {
        assert!(kubelet_args(&tb, i).contains("--v=2"), "kubelet of {} changed although the drain failed", tb.h(i).name);
    }
    all_ready_and_schedulable(&tb, &k);

    // relaxed, the next up finishes
    tb.write_config(&config(&tb, 3, 300));
    std::fs::write(&manifest, workload(1)).unwrap();
    k.ok(&["apply", "-f", manifest.to_str().unwrap()]);
    let r = tb.stockade(&["up", "--image-archive", archive]);
    assert_eq!(r.code, 0, "up after relaxing the budget failed:\n{}", r.all());
    for i in 0..3 {
        assert!(kubelet_args(&tb, i).contains("--v=3"), "kubelet of {} not recreated", tb.h(i).name);
    }
    all_ready_and_schedulable(&tb, &k);
    k.ok(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    eprintln!("upgrade test: {:.0}s", started.elapsed().as_secs_f64());

    k.ok(&["delete", "-f", manifest.to_str().unwrap(), "--wait=true", "--timeout=90s"]);
    let _ = k.run(&["wait", "--for=delete", "pod", "-l", "app=web", "--timeout=90s"]);
    std::fs::remove_file(&manifest).unwrap();
    let removed = tb.stockade(&["remove", "--force"]);
    assert_eq!(removed.code, 0, "remove failed:\n{}", removed.all());
    tb.reset();
}

/// RKE1 versions of two consecutive minors (the stand-ins ignore the flags that differ).
const OLD: &str = "v1.31.6-rancher1-1";
const NEW: &str = "v1.32.13-rancher1-1";

fn etcd_get(tb: &Testbed, key: &str) -> String {
    let o = tb.etcdctl(tb.h(0), &["get", key, "--print-value-only"]);
    assert!(o.status.success(), "etcdctl get {key}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn etcd_put(tb: &Testbed, key: &str, value: &str) {
    let o = tb.etcdctl(tb.h(1), &["put", key, value]);
    assert!(o.status.success(), "etcdctl put {key}: {}", String::from_utf8_lossy(&o.stderr));
}

/// Stand-in cluster (etcd is real): version steps Kubernetes does not support are refused before
/// anything changes; an upgrade takes an etcd snapshot before its first change (the dry run says
/// it would), prints the restore command, and that snapshot restores the data of before.
#[test]
fn an_upgrade_takes_an_etcd_snapshot_first_and_refuses_skips_and_downgrades() {
    let tb = Testbed::get();
    let cfg = |v: &str| tb.cluster_yml(3, &format!("kubernetes_version: {v}\n"));
    tb.write_config(&cfg(OLD));
    tb.up_ok(&[]);
    etcd_put(&tb, "before-upgrade", "kept");
    let apiserver = tb.container_id(tb.h(0), "kube-apiserver");

    // refused before any host is contacted: exit 3, the path named
    for (wanted, says) in [("v1.30.10-rancher1-1", "cannot be downgraded"), ("v1.33.1-rancher1-1", "one minor version at a time")] {
        tb.write_config(&cfg(wanted));
        let r = tb.stockade(&["up", "--image-archive", tb.archive().to_str().unwrap()]);
        assert_eq!(r.code, 3, "{wanted}: {}", r.all());
        assert!(r.error_line().contains(says) && r.error_line().contains(OLD) && r.error_line().contains("Nothing was changed"), "{}", r.all());
        assert!(!r.all().contains("==> Connect"), "no host contacted: {}", r.all());
    }
    assert_eq!(tb.container_id(tb.h(0), "kube-apiserver"), apiserver);

    // the new version's components, as an upgrade changes them (the stand-ins run the same
    // flags for both versions): a flag of the apiserver differs too
    let cfg_new = || cfg(&format!("{NEW}\nservices:\n  kube-api:\n    extra_args:\n      v: \"2\"\n"));
    tb.write_config(&cfg_new());
    let dry = tb.stockade(&["up", "--dry-run", "--image-archive", tb.archive().to_str().unwrap()]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert!(dry.stdout.contains(&format!("upgrade (kubernetes_version {OLD} → {NEW}): an etcd snapshot would be taken first")), "{}", dry.stdout);
    let snapshots = || std::fs::read_dir(tb.host_path(tb.h(0), "opt-rke").join("etcd-snapshots")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(snapshots(), 0, "the dry run took a snapshot");

    let r = tb.up_ok(&[]);
    let out = r.all();
    let taken = out.find("taking an etcd snapshot first").unwrap_or_else(|| panic!("{out}"));
    let first_change = out.find("recreated container").unwrap_or_else(|| panic!("{out}"));
    assert!(taken < first_change, "the snapshot comes before the first change:\n{out}");
    let line = out.lines().find(|l| l.contains("taken before the upgrade")).unwrap_or_else(|| panic!("{out}"));
    let name = line.split("etcd snapshot ").nth(1).unwrap().split(' ').next().unwrap().to_string();
    assert!(line.contains(&format!("stockade etcd snapshot-restore --name {name}")), "{line}");
    for h in &tb.hosts[..3] {
        let zip = tb.host_path(h, "opt-rke").join("etcd-snapshots").join(format!("{name}.zip"));
        assert!(zip.exists(), "{} has no {}", h.name, zip.display());
    }
    // the snapshot's file was written before the kube-apiserver was replaced
    assert_ne!(tb.container_id(tb.h(0), "kube-apiserver"), apiserver, "the upgrade recreated the kube-apiserver");
    let created = tb.docker_out(tb.h(0), &["inspect", "-f", "{{.Created}}", "kube-apiserver"]);
    let d = Command::new("date").args(["-d", created.trim(), "+%s.%N"]).output().unwrap();
    let created: f64 = String::from_utf8_lossy(&d.stdout).trim().parse().unwrap_or_else(|_| panic!("date -d {created}"));
    let written = std::fs::metadata(tb.host_path(tb.h(0), "opt-rke").join("etcd-snapshots").join(format!("{name}.zip"))).unwrap().modified().unwrap();
    let written = written.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(written < created, "snapshot written at {written}, kube-apiserver created at {created}");
    // an up with nothing to upgrade takes none
    let again = tb.up_ok(&[]);
    assert!(!again.all().contains("taking an etcd snapshot"), "{}", again.all());

    // the snapshot restores the data of before the upgrade
    etcd_put(&tb, "after-upgrade", "gone");
    tb.write_config(&cfg(OLD));
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", &name]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(etcd_get(&tb, "before-upgrade"), "kept");
    assert_eq!(etcd_get(&tb, "after-upgrade"), "");
    tb.reset();
}
