//! A cluster's containers and configuration files made the way RKE1 v1.7/v1.8 makes them, on
//! the testbed, for the adoption tests. Written from rancher/rke's code as the reference for
//! the facts (never from stockade's plan): what `rke up` would run for the testbed's cluster.yml
//! (every host etcd + controlplane + worker, the testbed's images, RKE1's defaults). The
//! per-version default flags are RKE1's metadata table (kontainer-driver-metadata), which
//! stockade carries as data: the generator reads that table, nothing else of stockade's.
//!
//! RKE1's shapes, and where they come from (rancher/rke):
//! - every container is labelled `io.rancher.rke.container.name=<name>` and nothing else;
//!   restart policy `always`, host network (cluster/plan.go `Build*Process`, `Labels`);
//! - Kubernetes components run `/opt/rke-tools/entrypoint.sh <component>` followed by all
//!   their flags as the container's *entrypoint* (`Command`), with an empty command; only
//!   kube-controller-manager's `--use-service-account-credentials=true` is the command (`Args`)
//!   (cluster/plan.go `getRKEToolsEntryPoint`, `BuildKubeControllerProcess`;
//!   services/services.go `GetProcessConfig`: Entrypoint = Command, Cmd = Args);
//! - flags are `--key=value` from a map (`appendArgs`): defaults in code, then the metadata's
//!   service options (an empty value deletes), then extra_args; etcd's are its *command*,
//!   after `/usr/local/bin/etcd` (`BuildEtcdProcess`);
//! - etcd's environment: ETCDCTL_API, ETCDCTL_CACERT/CERT/KEY, ETCDCTL_ENDPOINTS (127.0.0.1 when
//!   it listens on 0.0.0.0), ETCD_UNSUPPORTED_ARCH (`BuildEtcdProcess`);
//! - kube-apiserver's environment carries RKE_ADMISSION_CONFIG_CHECKSUM and
//!   RKE_AUDITLOG_CONFIG_CHECKSUM (sha256 of the files' YAML) (`BuildKubeAPIProcess`);
//! - the kubelet with cri-dockerd (1.24+): RKE_KUBELET_CRIDOCKERD=true and the cri-dockerd
//!   socket (`BuildKubeletProcess`); privileged, host pid, RKE1's bind list with the Docker root
//!   as `docker info` reports it;
//! - from Kubernetes 1.22 RKE1 strips SELinux's `z` from its binds (util/util.go `RemoveZFromBinds`);
//! - service-sidekick: entrypoint `/bin/bash`, network `none`, no restart policy, created and
//!   never started (`BuildSidecarProcess`);
//! - configuration files are written by `echo -e "$FILE_DEPLOY"` (cluster/file-deployer.go),
//!   so each ends with one more newline than its YAML; the component kubeconfigs by rke-tools'
//!   cert-deployer with `echo "$value"` (pki/kubeconfig.go's template, plus a newline);
//! - the admission file is the marshalled AdmissionConfiguration with RKE1's default
//!   EventRateLimit plugin (cluster/defaults.go `newDefaultEventRateLimitConfig`), the audit
//!   policy the marshalled default Policy (`newDefaultAuditPolicy`, with the
//!   `metadata.creationTimestamp: null` every marshalled object carries).
use super::*;
use sha2::Digest;

const SSL: &str = "/etc/kubernetes/ssl";

/// RKE1's admission file for a 1.20–1.22 cluster (no PodSecurity plugin) and every version's
/// EventRateLimit default, as written to the host.
const ADMISSION_YAML: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- configuration:\n    apiVersion: eventratelimit.admission.k8s.io/v1alpha1\n    kind: Configuration\n    limits:\n    - burst: 20000\n      qps: 5000\n      type: Server\n  name: EventRateLimit\n  path: \"\"\n";
/// RKE1's PodSecurity plugin for 1.25+ at its default level.
const POD_SECURITY_V1: &str = "- configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    defaults:\n      enforce: privileged\n      enforce-version: latest\n    exemptions: {}\n    kind: PodSecurityConfiguration\n  name: PodSecurity\n  path: \"\"\n";
const AUDIT_POLICY_YAML: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata:\n  creationTimestamp: null\nrules:\n- level: Metadata\n";

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A container as RKE1 creates it.
struct Rke1Container {
    name: &'static str,
    image: String,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    env: Vec<String>,
    binds: Vec<String>,
    network: &'static str,
    restart: Option<&'static str>,
    privileged_host_pid: bool,
    sidekick_volumes: bool,
    start: bool,
}

fn flags(defaults: Vec<(&str, String)>, options: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    let mut map: std::collections::BTreeMap<String, String> = defaults.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for (k, v) in options {
        if v.is_empty() {
            map.remove(k);
        } else {
            map.insert(k.clone(), v.clone());
        }
    }
    map.into_iter().map(|(k, v)| format!("--{k}={v}")).collect()
}

/// RKE1's default extra_args (cluster/defaults.go: etcd's election timeout and heartbeat) over
/// the service options: extra_args win.
fn with_extra_args(mut options: std::collections::BTreeMap<String, String>, extra: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    for (k, v) in extra {
        options.insert(k.to_string(), v.to_string());
    }
    options
}

fn without_z(binds: Vec<String>, minor: (u32, u32)) -> Vec<String> {
    if minor < (1, 22) {
        return binds;
    }
    binds
        .into_iter()
        .map(|b| {
            let (head, opts) = b.rsplit_once(':').unwrap();
            let kept: Vec<&str> = opts.split(',').filter(|o| !o.eq_ignore_ascii_case("z")).collect();
            if kept.is_empty() { head.to_string() } else { format!("{head}:{}", kept.join(",")) }
        })
        .collect()
}

/// The files RKE1 writes on a controlplane host besides the certificates (path under the
/// host's /etc/kubernetes → bytes), and the checksums its kube-apiserver carries.
fn config_files(minor: (u32, u32)) -> (Vec<(String, String)>, String, String) {
    let mut admission = ADMISSION_YAML.to_string();
    if minor >= (1, 25) {
        admission.push_str(POD_SECURITY_V1);
    }
    let kubeconfig = |c: &str| {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    api-version: v1\n    certificate-authority: {SSL}/kube-ca.pem\n    server: \"https://127.0.0.1:6443\"\n  name: \"local\"\ncontexts:\n- context:\n    cluster: \"local\"\n    user: \"{c}-local\"\n  name: \"local\"\ncurrent-context: \"local\"\nusers:\n- name: \"{c}-local\"\n  user:\n    client-certificate: {SSL}/{c}.pem\n    client-key: {SSL}/{c}-key.pem\n"
        )
    };
    let mut files = vec![("admission.yaml".to_string(), format!("{admission}\n")), ("audit-policy.yaml".to_string(), format!("{AUDIT_POLICY_YAML}\n"))];
    for c in ["kube-node", "kube-proxy", "kube-controller-manager", "kube-scheduler"] {
        files.push((format!("ssl/kubecfg-{c}.yaml"), kubeconfig(c)));
    }
    (files, sha256_hex(&admission), sha256_hex(AUDIT_POLICY_YAML))
}

/// What RKE1 runs on testbed host `h` of a cluster of `hosts` (all roles) for `cfg`.
fn containers(tb: &Testbed, cfg: &stockade::config::ClusterConfig, hosts: &[&TbHost], h: &TbHost) -> Vec<Rke1Container> {
    let version = cfg.kubernetes_version.clone().unwrap();
    let minor = stockade::versions::minor_of(&version);
    let options = |s: &str| stockade::versions::cluster_service_options(cfg, s);
    let images = &cfg.system_images;
    let k8s = images.kubernetes.clone().unwrap();
    let entry = |component: &str, f: Vec<String>| -> Vec<String> { ["/opt/rke-tools/entrypoint.sh".to_string(), component.to_string()].into_iter().chain(f).collect() };
    let cert = |n: &str| format!("{SSL}/{n}.pem");
    let key = |n: &str| format!("{SSL}/{n}-key.pem");
    let kubecfg = |n: &str| format!("{SSL}/kubecfg-{n}.yaml");
    let etc_k8s = "/etc/kubernetes:/etc/kubernetes:z".to_string();
    let etcd_name = format!("kube-etcd-{}", h.ip.replace('.', "-"));
    let (_, admission_sum, audit_sum) = config_files(minor);
    let mut out = Vec::new();

    // etcd: the testbed's address is its internal address, so it listens on 0.0.0.0
    let initial = hosts.iter().map(|m| format!("etcd-{}=https://{}:2380", m.name, m.ip)).collect::<Vec<_>>().join(",");
    let mut etcd_cmd = vec!["/usr/local/bin/etcd".to_string()];
    let etcd_flags = flags(
        vec![
            ("name", format!("etcd-{}", h.name)),
            ("data-dir", "/var/lib/rancher/etcd/".into()),
            ("listen-client-urls", "https://0.0.0.0:2379".into()),
            ("initial-advertise-peer-urls", format!("https://{}:2380", h.ip)),
            ("listen-peer-urls", "https://0.0.0.0:2380".into()),
            ("initial-cluster-token", "etcd-cluster-1".into()),
            ("initial-cluster", initial),
            ("initial-cluster-state", "new".into()),
            ("trusted-ca-file", cert("kube-ca")),
            ("peer-trusted-ca-file", cert("kube-ca")),
            ("cert-file", cert(&etcd_name)),
            ("key-file", key(&etcd_name)),
            ("peer-cert-file", cert(&etcd_name)),
            ("peer-key-file", key(&etcd_name)),
            ("advertise-client-urls", format!("https://{}:2379", h.ip)),
            // the testbed's etcd is 3.4.23: RKE1's stricter ciphers from 3.4.15
            ("cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".into()),
        ],
        &with_extra_args(options("etcd"), &[("election-timeout", "5000"), ("heartbeat-interval", "500")]),
    );
    let etcd_options = options("etcd");
    for bare in ["client-cert-auth", "peer-client-cert-auth"] {
        if !etcd_options.contains_key(bare) {
            etcd_cmd.push(format!("--{bare}"));
        }
    }
    etcd_cmd.extend(etcd_flags);
    let arch = tb.docker_out(h, &["info", "-f", "{{.Architecture}}"]);
    out.push(Rke1Container {
        name: "etcd",
        image: images.etcd.clone().unwrap(),
        entrypoint: vec![],
        cmd: etcd_cmd,
        env: vec![
            "ETCDCTL_API=3".into(),
            format!("ETCDCTL_CACERT={}", cert("kube-ca")),
            format!("ETCDCTL_CERT={}", cert(&etcd_name)),
            format!("ETCDCTL_KEY={}", key(&etcd_name)),
            "ETCDCTL_ENDPOINTS=https://127.0.0.1:2379".into(),
            format!("ETCD_UNSUPPORTED_ARCH={}", if arch == "aarch64" { "arm64" } else { arch.as_str() }),
        ],
        binds: without_z(vec!["/var/lib/etcd:/var/lib/rancher/etcd/:z".into(), etc_k8s.clone()], minor),
        network: "host",
        restart: Some("always"),
        privileged_host_pid: false,
        sidekick_volumes: false,
        start: true,
    });

    out.push(Rke1Container {
        name: "service-sidekick",
        image: images.kubernetes_services_sidecar.clone().unwrap(),
        entrypoint: vec!["/bin/bash".into()],
        cmd: vec![],
        env: vec![],
        binds: vec![],
        network: "none",
        restart: None,
        privileged_host_pid: false,
        sidekick_volumes: false,
        start: false,
    });

    let etcd_servers = std::iter::once(*hosts.iter().find(|m| m.ip == h.ip).unwrap()).chain(hosts.iter().copied().filter(|m| m.ip != h.ip)).map(|m| format!("https://{}:2379", m.ip)).collect::<Vec<_>>().join(",");
    let mut api_defaults = vec![
        ("admission-control-config-file", "/etc/kubernetes/admission.yaml".to_string()),
        ("client-ca-file", cert("kube-ca")),
        ("cloud-provider", String::new()),
        ("etcd-cafile", cert("kube-ca")),
        ("etcd-certfile", cert("kube-node")),
        ("etcd-keyfile", key("kube-node")),
        ("etcd-prefix", "/registry".into()),
        ("etcd-servers", etcd_servers),
        ("kubelet-client-certificate", cert("kube-apiserver")),
        ("kubelet-client-key", key("kube-apiserver")),
        ("proxy-client-cert-file", cert("kube-apiserver-proxy-client")),
        ("proxy-client-key-file", key("kube-apiserver-proxy-client")),
        ("requestheader-allowed-names", "kube-apiserver-proxy-client".into()),
        ("requestheader-client-ca-file", cert("kube-apiserver-requestheader-ca")),
        ("service-account-key-file", key("kube-service-account-token")),
        ("service-cluster-ip-range", "10.43.0.0/16".into()),
        ("service-node-port-range", "30000-32767".into()),
        ("tls-cert-file", cert("kube-apiserver")),
        ("tls-private-key-file", key("kube-apiserver")),
    ];
    let mut api_options = options("kube-api");
    // code after the options: RBAC mode, the advertised IP, RKE1's default audit log
    let after = [
        ("authorization-mode", "Node,RBAC".to_string()),
        ("advertise-address", h.ip.clone()),
        ("audit-log-path", "/var/log/kube-audit/audit-log.json".into()),
        ("audit-log-maxage", "30".into()),
        ("audit-log-maxbackup", "10".into()),
        ("audit-log-maxsize", "100".into()),
        ("audit-log-format", "json".into()),
        ("audit-policy-file", "/etc/kubernetes/audit-policy.yaml".into()),
    ];
    for (k, v) in after {
        api_options.insert(k.to_string(), v);
    }
    api_defaults.retain(|(k, _)| !api_options.get(*k).is_some_and(|v| v.is_empty()));
    out.push(Rke1Container {
        name: "kube-apiserver",
        image: k8s.clone(),
        entrypoint: entry("kube-apiserver", flags(api_defaults, &api_options)),
        cmd: vec![],
        env: vec![format!("RKE_ADMISSION_CONFIG_CHECKSUM={admission_sum}"), format!("RKE_AUDITLOG_CONFIG_CHECKSUM={audit_sum}")],
        binds: without_z(vec![etc_k8s.clone(), "/var/log/kube-audit:/var/log/kube-audit".into()], minor),
        network: "host",
        restart: Some("always"),
        privileged_host_pid: false,
        sidekick_volumes: true,
        start: true,
    });

    let mut cm_options = options("kube-controller");
    let mut sched_options = options("scheduler");
    if minor >= (1, 22) {
        for (o, c) in [(&mut cm_options, "kube-controller-manager"), (&mut sched_options, "kube-scheduler")] {
            o.insert("authentication-kubeconfig".into(), kubecfg(c));
            o.insert("authorization-kubeconfig".into(), kubecfg(c));
        }
    }
    out.push(Rke1Container {
        name: "kube-controller-manager",
        image: k8s.clone(),
        entrypoint: entry(
            "kube-controller-manager",
            flags(
                vec![
                    ("cloud-provider", String::new()),
                    ("cluster-cidr", "10.42.0.0/16".into()),
                    ("kubeconfig", kubecfg("kube-controller-manager")),
                    ("root-ca-file", cert("kube-ca")),
                    ("service-account-private-key-file", key("kube-service-account-token")),
                    ("service-cluster-ip-range", "10.43.0.0/16".into()),
                ],
                &cm_options,
            ),
        ),
        cmd: vec!["--use-service-account-credentials=true".into()],
        env: vec![],
        binds: without_z(vec![etc_k8s.clone()], minor),
        network: "host",
        restart: Some("always"),
        privileged_host_pid: false,
        sidekick_volumes: true,
        start: true,
    });
    out.push(Rke1Container {
        name: "kube-scheduler",
        image: k8s.clone(),
        entrypoint: entry("kube-scheduler", flags(vec![("kubeconfig", kubecfg("kube-scheduler"))], &sched_options)),
        cmd: vec![],
        env: vec![],
        binds: without_z(vec![etc_k8s.clone()], minor),
        network: "host",
        restart: Some("always"),
        privileged_host_pid: false,
        sidekick_volumes: true,
        start: true,
    });

    let docker_root = tb.docker_out(h, &["info", "-f", "{{.DockerRootDir}}"]);
    let mut kubelet_defaults = vec![
        ("client-ca-file", cert("kube-ca")),
        ("cloud-provider", String::new()),
        ("cluster-dns", "10.43.0.10".into()),
        ("cluster-domain", "cluster.local".into()),
        ("fail-swap-on", "false".into()),
        ("hostname-override", h.name.clone()),
        ("kubeconfig", kubecfg("kube-node")),
        ("pod-infra-container-image", images.pod_infra_container.clone().unwrap()),
        ("root-dir", "/var/lib/kubelet".into()),
    ];
    let mut kubelet_binds = Vec::new();
    let mut kubelet_env = Vec::new();
    if minor >= (1, 24) {
        if minor < (1, 27) {
            kubelet_defaults.push(("container-runtime", "remote".into()));
        }
        kubelet_defaults.push(("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock".into()));
        kubelet_binds.push("/var/lib/cri-dockerd:/var/lib/cri-dockerd:z".to_string());
        kubelet_env.push("RKE_KUBELET_CRIDOCKERD=true".to_string());
    }
    kubelet_binds.extend(
        [
            "/etc/kubernetes:/etc/kubernetes:z",
            "/etc/cni:/etc/cni:rw,z",
            "/opt/cni:/opt/cni:rw,z",
            "/var/lib/cni:/var/lib/cni:z",
            "/var/lib/calico:/var/lib/calico:z",
            "/etc/resolv.conf:/etc/resolv.conf",
            "/sys:/sys:rprivate",
            &format!("{docker_root}:{docker_root}:rw,rslave,z"),
            "/var/lib/kubelet:/var/lib/kubelet:shared,z",
            "/var/lib/rancher:/var/lib/rancher:shared,z",
            "/var/run:/var/run:rw,rprivate",
            "/run:/run:rprivate",
            "/etc/ceph:/etc/ceph",
            "/dev:/host/dev:rprivate",
            "/var/log/containers:/var/log/containers:z",
            "/var/log/pods:/var/log/pods:z",
            "/usr:/host/usr:ro",
            "/etc:/host/etc:ro",
        ]
        .map(String::from),
    );
    out.push(Rke1Container {
        name: "kubelet",
        image: k8s.clone(),
        entrypoint: entry("kubelet", flags(kubelet_defaults, &options("kubelet"))),
        cmd: vec![],
        env: kubelet_env,
        binds: without_z(kubelet_binds, minor),
        network: "host",
        restart: Some("always"),
        privileged_host_pid: true,
        sidekick_volumes: true,
        start: true,
    });
    out.push(Rke1Container {
        name: "kube-proxy",
        image: k8s,
        entrypoint: entry(
            "kube-proxy",
            flags(vec![("cluster-cidr", "10.42.0.0/16".into()), ("hostname-override", h.name.clone()), ("kubeconfig", kubecfg("kube-proxy"))], &options("kubeproxy")),
        ),
        cmd: vec![],
        env: vec![],
        binds: without_z(vec![etc_k8s, "/run:/run".into(), "/lib/modules:/lib/modules:ro".into()], minor),
        network: "host",
        restart: Some("always"),
        privileged_host_pid: true,
        sidekick_volumes: true,
        start: true,
    });
    out
}

/// Creates `c` through Docker's API as RKE1 does (the CLI cannot give an entrypoint of more
/// than one word): a POST to /containers/create over the host's socket, from python3's
/// standard library.
fn create_via_api(h: &TbHost, c: &Rke1Container) {
    let mut host_config = serde_json::json!({ "Binds": c.binds, "NetworkMode": c.network });
    if let Some(r) = c.restart {
        host_config["RestartPolicy"] = serde_json::json!({ "Name": r });
    }
    if c.privileged_host_pid {
        host_config["Privileged"] = true.into();
        host_config["PidMode"] = "host".into();
    }
    if c.sidekick_volumes {
        host_config["VolumesFrom"] = serde_json::json!(["service-sidekick"]);
    }
    let body = serde_json::json!({
        "Image": c.image,
        "Entrypoint": if c.entrypoint.is_empty() { serde_json::Value::Null } else { c.entrypoint.clone().into() },
        "Cmd": if c.cmd.is_empty() { serde_json::Value::Null } else { c.cmd.clone().into() },
        "Env": c.env,
        "Labels": { "io.rancher.rke.container.name": c.name },
        "HostConfig": host_config,
    });
    let script = r#"
import http.client, socket, sys
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sys.argv[1])
c = C("localhost", timeout=60)
c.request("POST", "/containers/create?name=" + sys.argv[2], sys.stdin.buffer.read(), {"Content-Type": "application/json"})
r = c.getresponse()
body = r.read()
if r.status != 201:
    sys.exit("%d %s" % (r.status, body.decode()))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, &h.socket, c.name])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), body.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}: creating {}: {}", h.name, c.name, String::from_utf8_lossy(&out.stderr));
}

/// Replaces stockade's containers and configuration files on `hosts` (indices into the
/// testbed; every host has every role) by RKE1's for the cluster.yml `config`, and returns
/// `(host, container, id)` of what it made. The certificates stay (they come from the state).
pub fn make_rke1_cluster(tb: &Testbed, config: &std::path::Path, hosts: &[usize]) -> Vec<(TbHost, String, String)> {
    let cfg = stockade::config::load(config).unwrap_or_else(|e| panic!("{e}")).config;
    let members: Vec<&TbHost> = hosts.iter().map(|i| &tb.hosts[*i]).collect();
    let minor = stockade::versions::minor_of(cfg.kubernetes_version.as_deref().unwrap());
    let (files, _, _) = config_files(minor);
    let mut made = Vec::new();
    for h in &members {
        let list = containers(tb, &cfg, &members, h);
        for c in list.iter().rev() {
            tb.docker(h, &["rm", "-f", c.name]);
        }
        // the components start again once their files are in place
        let etc = tb.host_path(h, "etc-kubernetes");
        for (path, content) in &files {
            std::fs::write(etc.join(path), content).unwrap();
            std::fs::set_permissions(etc.join(path), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        }
        for c in &list {
            create_via_api(h, c);
            if c.start {
                let out = tb.docker(h, &["start", c.name]);
                assert!(out.status.success(), "{}: docker start {}: {}", h.name, c.name, String::from_utf8_lossy(&out.stderr));
            }
            made.push(((*h).clone(), c.name.to_string(), tb.container_id(h, c.name)));
        }
    }
    made
}
