//! Scripted upgrades on the REAL Kubernetes v1.20 cluster of real_kubernetes.rs (same images,
//! same bridge CNI, 3 hosts: h1 every role, h2 etcd + controlplane, h3 worker only).
//!
//! A Deployment of 2 replicas (busybox httpd) with a PodDisruptionBudget (minAvailable 1) is
//! exposed by a NodePort Service while a kubelet and kube-apiserver flag change recreates every
//! node's kubelet and both apiservers with `drain: true` and `max_unavailable_worker: 1`. From
//! outside the cluster (this test process, in the machine's network namespace) a poller sends
//! HTTP requests through the Service to the nodes' NodePort, round robin, every 200 ms during the
//! whole `up` — real kube-proxy iptables rules, pods on other nodes reached over the routes a
//! host-gw network plugin would set (see PodNetwork) — and every request must be answered. A second poller
//! records through the API which nodes are unschedulable. Before it, `--dry-run` must show the
//! batches with the drain decisions of the run, and refuse as the run refuses (a pod nothing
//! recreates; a controlplane node already NotReady). Then a budget of minAvailable 2 blocks the
//! drain: the run stops naming the pods, nothing else changes, and the next `up` after the
//! budget is relaxed finishes.
use crate::common::*;
use crate::real_kubernetes::{cluster_yml, env_path, install_bridge_cni, ready_nodes, Kubectl, SysctlGuard};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `timeout`: the whole drain of one node (its pods' terminations included, which a loaded
/// testbed machine can take tens of seconds for); short where the drain is meant to fail.
/// `verbosity` goes to the kubelet and the kube-apiserver: changing it replaces both on the
/// controlplane hosts, inside their cordon (RKE1's upgradeControlHost).
fn config(tb: &Testbed, verbosity: u32, timeout: u32) -> String {
    // the kubelet's extra_args end cluster_yml(): its own follow them
    let base = cluster_yml(tb).replacen("services:\n", &format!("services:\n  kube-api:\n    extra_args:\n      v: \"{verbosity}\"\n"), 1);
    format!("{base}      v: \"{verbosity}\"\nupgrade_strategy:\n  max_unavailable_worker: 1\n  drain: true\n  node_drain_input:\n    timeout: {timeout}\n",)
}

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

const NODE_PORT: u16 = 30080;

/// busybox httpd answering its pod's name; Ready only once it answers. On deletion it keeps
/// serving for 3 s (preStop) while kube-proxy drops it from the Service on every node, then
/// exits on SIGTERM — how a workload that wants no failed request during drains is written.
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
      terminationGracePeriodSeconds: 10
      containers:
      - name: main
        image: {TOOLS_IMAGE}
        imagePullPolicy: Never
        command: [\"sh\", \"-c\", \"mkdir -p /tmp/www && hostname > /tmp/www/index.html && httpd -f -p 8080 -h /tmp/www & trap 'exit 0' TERM; wait\"]
        ports: [{{containerPort: 8080}}]
        readinessProbe:
          httpGet: {{path: /index.html, port: 8080}}
          periodSeconds: 1
        lifecycle:
          preStop:
            exec: {{command: [\"sleep\", \"3\"]}}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080, nodePort: {NODE_PORT}}}]
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

/// What a host-gw network plugin (flannel's host-gw) sets on each node: a route to every other
/// node's pod subnet (10.42.N.0/24 of install_bridge_cni) via that node, and FORWARD accept
/// rules for the pod network (dockerd sets the FORWARD policy to DROP; kube-proxy accepts only
/// the packets it marked itself, so a Service's packet forwarded to a pod on another node would
/// be dropped there). Removed when dropped.
struct PodNetwork<'a>(&'a Testbed, usize);

const FORWARD_RULES: [[&str; 4]; 2] = [["-s", "10.42.0.0/16", "-j", "ACCEPT"], ["-d", "10.42.0.0/16", "-j", "ACCEPT"]];

impl<'a> PodNetwork<'a> {
    fn add(tb: &'a Testbed, hosts: usize) -> Self {
        let net = PodNetwork(tb, hosts);
        for i in 0..hosts {
            for j in (0..hosts).filter(|j| *j != i) {
                let o = tb.in_netns(tb.h(i), &["ip", "route", "replace", &format!("10.42.{}.0/24", j + 1), "via", &tb.h(j).ip]);
                assert!(o.status.success(), "route on {}: {}", tb.h(i).name, String::from_utf8_lossy(&o.stderr));
            }
            for rule in FORWARD_RULES {
                let o = tb.in_netns(tb.h(i), &[&["iptables", "-w", "-I", "FORWARD", "1"][..], &rule[..]].concat());
                assert!(o.status.success(), "iptables on {}: {}", tb.h(i).name, String::from_utf8_lossy(&o.stderr));
            }
        }
        net
    }
}

impl Drop for PodNetwork<'_> {
    fn drop(&mut self) {
        for i in 0..self.1 {
            for j in (0..self.1).filter(|j| *j != i) {
                let _ = self.0.in_netns(self.0.h(i), &["ip", "route", "del", &format!("10.42.{}.0/24", j + 1)]);
            }
            for rule in FORWARD_RULES {
                let _ = self.0.in_netns(self.0.h(i), &[&["iptables", "-w", "-D", "FORWARD"][..], &rule[..]].concat());
            }
        }
    }
}

/// One HTTP request through the Service at `addr` (a node's NodePort): the answering pod's name.
fn get(addr: SocketAddr) -> Result<String, String> {
    let mut c = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| format!("connect: {e}"))?;
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    c.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    c.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").map_err(|e| format!("send: {e}"))?;
    let mut body = String::new();
    c.read_to_string(&mut body).map_err(|e| format!("read: {e}"))?;
    if !body.starts_with("HTTP/1.") || !body.contains(" 200 ") {
        return Err(format!("answer: {:?}", body.lines().next()));
    }
    Ok(body.rsplit("\r\n\r\n").next().unwrap_or("").trim().to_string())
}

fn json_of(k: &Kubectl, args: &[&str]) -> Option<serde_json::Value> {
    let o = Command::new(&k.bin).arg(format!("--kubeconfig={}", k.kubeconfig.display())).arg("--request-timeout=10s").args(args).args(["-o", "json"]).output().ok()?;
    if !o.status.success() {
        return None;
    }
    serde_json::from_slice(&o.stdout).ok()
}

/// The unschedulable nodes, through the API.
fn cordoned(k: &Kubectl) -> Option<Vec<String>> {
    let nodes = json_of(k, &["get", "nodes"])?;
    Some(nodes["items"].as_array()?.iter().filter(|n| n["spec"]["unschedulable"] == true).map(|n| n["metadata"]["name"].as_str().unwrap_or("").to_string()).collect())
}

/// The workload's pods (not being deleted) on each node: (node, pod names).
fn web_pods_by_node(k: &Kubectl) -> Vec<(String, Vec<String>)> {
    let pods = json_of(k, &["get", "pods", "-l", "app=web"]).expect("list pods");
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for p in pods["items"].as_array().unwrap().iter().filter(|p| p["metadata"]["deletionTimestamp"].is_null()) {
        let (node, name) = (p["spec"]["nodeName"].as_str().unwrap_or("").to_string(), p["metadata"]["name"].as_str().unwrap().to_string());
        match out.iter_mut().find(|(n, _)| *n == node) {
            Some((_, v)) => v.push(name),
            None => out.push((node, vec![name])),
        }
    }
    out
}

/// Two pollers until stopped: HTTP through the Service every 200 ms (round robin over the
/// nodes' NodePorts), and the unschedulable nodes through the API.
struct Poller {
    stop: Arc<AtomicBool>,
    http: Arc<Mutex<Vec<(SocketAddr, Result<String, String>)>>>,
    api: Arc<Mutex<Vec<Vec<String>>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Poller {
    fn start(k: &Kubectl, targets: Vec<SocketAddr>) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let (http, api) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
        let (s1, h1) = (stop.clone(), http.clone());
        let t1 = std::thread::spawn(move || {
            for addr in targets.iter().cycle() {
                if s1.load(Ordering::Relaxed) {
                    break;
                }
                h1.lock().unwrap().push((*addr, get(*addr)));
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let (s2, a2, k) = (stop.clone(), api.clone(), k.clone());
        let t2 = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                if let Some(c) = cordoned(&k) {
                    a2.lock().unwrap().push(c);
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        Poller { stop, http, api, threads: vec![t1, t2] }
    }
    fn finish(mut self) -> (Vec<(SocketAddr, Result<String, String>)>, Vec<Vec<String>>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            t.join().unwrap();
        }
        let (h, a) = (self.http.lock().unwrap().clone(), self.api.lock().unwrap().clone());
        (h, a)
    }
}

fn args_of(tb: &Testbed, i: usize, container: &str) -> String {
    tb.docker_out(tb.h(i), &["inspect", "-f", "{{json .Args}}", container])
}

fn kubelet_args(tb: &Testbed, i: usize) -> String {
    args_of(tb, i, "kubelet")
}

fn all_ready_and_schedulable(tb: &Testbed, k: &Kubectl) {
    let want: Vec<(String, String, String)> = (0..3).map(|i| (tb.h(i).name.clone(), "True".into(), tb.h(i).ip.clone())).collect();
    assert_eq!(ready_nodes(k), want, "nodes (name, Ready, InternalIP)");
    let c = cordoned(k).expect("nodes");
    assert!(c.is_empty(), "nodes left cordoned: {c:?}");
}

/// Marks node `name` NotReady as the API sees it: its kubelet stopped (so nothing posts
/// Ready again), its Ready condition set False through the status subresource (the node
/// controller would only after its 40 s grace period).
fn make_not_ready(tb: &Testbed, k: &Kubectl, i: usize) {
    tb.docker_out(tb.h(i), &["stop", "kubelet"]);
    let name = &tb.h(i).name;
    let mut node = k.json(&["get", "node", name]);
    for c in node["status"]["conditions"].as_array_mut().unwrap() {
        if c["type"] == "Ready" {
            c["status"] = "False".into();
            c["reason"] = "TestStoppedKubelet".into();
            c["message"] = "the test stopped this kubelet".into();
        }
    }
    let f = tb.work.path().join("node-status.json");
    std::fs::write(&f, node.to_string()).unwrap();
    k.ok(&["replace", "--raw", &format!("/api/v1/nodes/{name}/status"), "-f", f.to_str().unwrap()]);
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
    let _network = PodNetwork::add(&tb, 3);
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
    let targets: Vec<SocketAddr> = (0..3).map(|i| format!("{}:{NODE_PORT}", tb.h(i).ip).parse().unwrap()).collect();
    // the Service answers from outside the cluster on every node before anything changes
    let deadline = Instant::now() + Duration::from_secs(60);
    for t in &targets {
        while let Err(e) = get(*t) {
            assert!(Instant::now() < deadline, "the Service does not answer on {t}: {e}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    // --dry-run: the batches in RKE1's order (controlplane hosts one at a time, their
    // apiserver and kubelet inside the cordon, then the worker), with the drain decisions the
    // run makes: each node evicts exactly the workload's pods the API places on it
    tb.write_config(&config(&tb, 2, 300));
    let dry = tb.stockade(&["up", "--dry-run", "--image-archive", archive]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    let placed = web_pods_by_node(&k);
    let batch_lines: Vec<&str> = dry.stdout.lines().filter(|l| l.contains(" batch ") && l.contains(" unavailable): ")).collect();
    assert_eq!(batch_lines.len(), 3, "{}", dry.stdout);
    let expect = [("controlplane batch 1/2", "max_unavailable_controlplane"), ("controlplane batch 2/2", "max_unavailable_controlplane"), ("worker plane batch 1/1", "max_unavailable_worker")];
    for (i, (line, (label, key))) in batch_lines.iter().zip(expect).enumerate() {
        let (host, node) = (&tb.h(i).ip, &tb.h(i).name);
        assert!(line.contains(label) && line.contains(key) && line.ends_with("then uncordon once Ready"), "{line}");
        assert!(line.contains(&format!(": {host}: cordon node {node}, drain it (evict: ")), "batch {} should be {host}: {line}", i + 1);
        let mut on_node = placed.iter().find(|(n, _)| n == node).map(|(_, p)| p.clone()).unwrap_or_default();
        on_node.sort();
        let evict = line.split("evict: ").nth(1).unwrap().split(';').next().unwrap();
        let mut listed: Vec<String> = if evict == "none" { Vec::new() } else { evict.split(", ").map(|p| p.trim_start_matches("default/").to_string()).collect() };
        listed.retain(|p| p.starts_with("web-"));
        listed.sort();
        assert_eq!(listed, on_node, "the dry run's evictions for {node} are the workload's pods on it: {line}");
    }
    assert!(dry.stdout.contains("kube-apiserver"), "the apiservers change too: {}", dry.stdout);
    assert!(kubelet_args(&tb, 2).contains("--v=1"), "the dry run changed nothing");

    // the dry run refuses where the run would: a pod nothing recreates on the worker
    let bare = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  nodeName: {}\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: main\n    image: {TOOLS_IMAGE}\n    imagePullPolicy: Never\n    command: [\"sleep\", \"3600\"]\n", names[2]);
    let bare_file = tb.work.path().join("bare.yaml");
    std::fs::write(&bare_file, bare).unwrap();
    k.ok(&["apply", "-f", bare_file.to_str().unwrap()]);
    let refused = tb.stockade(&["up", "--dry-run", "--image-archive", archive]);
    assert_ne!(refused.code, 0, "{}", refused.all());
    let e = refused.all();
    assert!(e.contains(&format!("cannot drain node {}: 1 pod(s) block it", names[2])) && e.contains("pod default/bare: not managed by") && e.contains("the run would stop here"), "{e}");
    k.ok(&["delete", "pod", "bare", "--grace-period=1", "--wait=true", "--timeout=60s"]);
    // ... and a controlplane node already NotReady: with max_unavailable_controlplane 1 the
    // first batch may not start, in the dry run as in the run (which stops before any change)
    make_not_ready(&tb, &k, 1);
    let gate = format!("health gate before {}: 1 node(s) already unavailable ({}: Ready=False (TestStoppedKubelet", names[0], names[1]);
    let refused = tb.stockade(&["up", "--dry-run", "--image-archive", archive]);
    assert_ne!(refused.code, 0, "{}", refused.all());
    assert!(refused.all().contains(&gate) && refused.all().contains("max_unavailable_controlplane=1"), "{}", refused.all());
    let run = tb.stockade(&["up", "--image-archive", archive]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.all().contains(&gate), "the run refuses with the same gate: {}", run.all());
    assert!(args_of(&tb, 0, "kube-apiserver").contains("--v=1") && kubelet_args(&tb, 0).contains("--v=1"), "the refused run changed h1");
    tb.docker_out(tb.h(1), &["start", "kubelet"]);
    k.ok(&["wait", "--for=condition=Ready", &format!("node/{}", names[1]), "--timeout=120s"]);

    // the rolling change, watched through the Service and the API
    let poller = Poller::start(&k, targets.clone());
    let r = tb.stockade(&["up", "--image-archive", archive]);
    let (http, api) = poller.finish();
    assert_eq!(r.code, 0, "rolling up failed:\n{}", r.all());
    let out = r.all();
    for i in 0..3 {
        assert!(kubelet_args(&tb, i).contains("--v=2"), "kubelet of {} not recreated", tb.h(i).name);
    }
    for i in 0..2 {
        assert!(args_of(&tb, i, "kube-apiserver").contains("--v=2"), "kube-apiserver of {} not recreated", tb.h(i).name);
    }
    // stockade says it cordoned and drained each node, in RKE1's order, and uncordoned it; a
    // controlplane host's apiserver and kubelet were replaced inside its cordon
    let at = |what: String| out.find(&what).unwrap_or_else(|| panic!("no `{what}` in:\n{out}"));
    let order: Vec<usize> = names.iter().map(|n| at(format!("cordoned node {n}"))).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "nodes not taken one after the other in order h1, h2, h3:\n{out}");
    for (i, n) in names.iter().enumerate() {
        let (drained, uncordoned) = (at(format!("drained node {n}")), at(format!("uncordoned node {n}")));
        assert!(order[i] < drained && drained < uncordoned, "{out}");
        let replaced: Vec<usize> = out
            .match_indices("recreated container ")
            .filter(|(p, _)| out[..*p].rsplit('\n').next().unwrap_or("").contains(&tb.h(i).ip))
            .map(|(p, _)| p)
            .collect();
        assert!(!replaced.is_empty() && replaced.iter().all(|p| drained < *p && *p < uncordoned), "{n}: components replaced outside its cordon:\n{out}");
    }
    // the API saw it: every node unschedulable at some sample, never two at once
    assert!(api.len() >= 10, "too few API samples: {api:?}");
    for n in &names {
        assert!(api.iter().any(|s| s.contains(n)), "node {n} was never seen cordoned: {api:?}");
    }
    assert!(api.iter().all(|s| s.len() <= 1), "two nodes cordoned at once: {api:?}");
    // the Service answered every request, on every node, while the pods moved
    let failed: Vec<&(SocketAddr, Result<String, String>)> = http.iter().filter(|(_, r)| r.is_err()).collect();
    assert!(http.len() >= 100, "too few requests: {}", http.len());
    assert!(failed.is_empty(), "{} of {} requests through the Service failed: {failed:?}", failed.len(), http.len());
    let mut pods: Vec<&String> = http.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
    pods.sort();
    pods.dedup();
    assert!(pods.len() >= 3, "the drains moved the pods (old and new ones answered): {pods:?}");
    all_ready_and_schedulable(&tb, &k);
    k.ok(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    eprintln!("rolling up done at {:.0}s ({} requests, all answered, by {} pods; {} API samples)", started.elapsed().as_secs_f64(), http.len(), pods.len(), api.len());

    // a budget that allows no disruption blocks the first node's drain: the run stops naming
    // the pods and the budget, that node is uncordoned, no kubelet or apiserver is replaced
    std::fs::write(&manifest, workload(2)).unwrap();
    k.ok(&["apply", "-f", manifest.to_str().unwrap()]);
    tb.write_config(&config(&tb, 3, 20));
    let blocked = tb.stockade(&["up", "--image-archive", archive]);
    assert_ne!(blocked.code, 0, "a drain blocked by the budget must stop the run:\n{}", blocked.all());
    let err = blocked.all();
    assert!(err.contains("cannot drain node") && err.contains("pod default/web-") && err.contains("disruption budget"), "{err}");
    assert!(err.contains("web needs 2 healthy pods"), "the budget is named: {err}");
    assert!(err.contains(&format!("not changed yet: {}, the worker plane ({})", tb.h(1).ip, tb.h(2).ip)), "the hosts not touched are named: {err}");
    for i in 0..3 {
        assert!(kubelet_args(&tb, i).contains("--v=2"), "kubelet of {} changed although the drain failed", tb.h(i).name);
    }
    assert!(args_of(&tb, 0, "kube-apiserver").contains("--v=2"), "h1's apiserver changed although its drain failed");
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
