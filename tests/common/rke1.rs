//! A cluster made the way RKE1 v1.7/v1.8 makes it, on the testbed, for the adoption tests: its
//! PKI, its state file, the certificate and configuration files on the hosts and its
//! containers. Written from rancher/rke's code as the reference for the facts (never from
//! stockade's plan or its `pki` module): what `rke up` leaves for the testbed's cluster.yml
//! (every host etcd + controlplane + worker, the testbed's images, RKE1's defaults). The
//! per-version default flags are RKE1's metadata table (kontainer-driver-metadata), which
//! stockade carries as data: the generator reads that table and the cluster.yml through
//! stockade's config loader, nothing else of stockade's. The certificates are made by the
//! `openssl` CLI.
//!
//! RKE1's shapes, and where they come from (rancher/rke):
//! - PKI (pki/services.go `GenerateRKEServicesCerts`, pki/util.go `GenerateSignedCertAndKey`,
//!   `newSignedCert`, `GetAltNames`, pki/cert/cert.go `NewSelfSignedCACert`): RSA-2048 keys in
//!   PKCS#1 PEM ("RSA PRIVATE KEY", `EncodePrivateKeyPEM`); two self-signed CAs, `kube-ca` and
//!   `kube-apiserver-requestheader-ca` (CN = the name, serial 0, CA:TRUE, keyUsage
//!   digitalSignature+keyEncipherment+keyCertSign, 10 years); leaves with keyUsage
//!   digitalSignature+keyEncipherment, extKeyUsage clientAuth (+serverAuth for kube-apiserver,
//!   kube-etcd-*, kube-apiserver-proxy-client), 10 years. CNs: kube-apiserver, kube-etcd,
//!   kube-apiserver-proxy-client (signed by the requestheader CA), `system:<name>` for
//!   kube-controller-manager/kube-scheduler/kube-proxy, system:node (O=system:nodes),
//!   kube-admin (O=system:masters). SANs (kube-apiserver over the controlplane hosts, every
//!   kube-etcd-<ip> over the etcd hosts): each host's address (IP or DNS), its internal address
//!   when different, its hostname_override when different from the address, then 127.0.0.1,
//!   the first IP of service_cluster_ip_range, and localhost, kubernetes, kubernetes.default,
//!   kubernetes.default.svc, kubernetes.default.svc.<cluster_domain>;
//! - a new cluster's `kube-service-account-token` *is* kube-apiserver's certificate and key
//!   (`GenerateKubeAPICertificate` fills the missing token with them, so the later
//!   `GenerateServiceTokenKey` finds a certificate and keeps it);
//! - the state file (cluster/state.go `FullState`/`State`, pki/pki.go `CertificatePKI`,
//!   pki/util.go `ToCertObject`): `desiredState` and `currentState` alike after a finished up,
//!   each `rkeConfig` (types/rke_types.go camelCase, with cluster/defaults.go's defaults) and
//!   `certificatesBundle`; no `encryptionConfig` without secrets encryption (omitempty). Each
//!   entry: certificatePEM, keyPEM, config, name, commonName (`system:<name>` when the
//!   generator passes none — so kube-ca's says `system:kube-ca` although its certificate's CN
//!   is `kube-ca`), ouName, envName (upper-case, `-` → `_`), path, keyEnvName (`<ENV>_KEY`),
//!   keyPath, configEnvName (`KUBECFG_<ENV>`) and configPath; config/configEnvName/configPath
//!   only for names other than kube-ca, kube-apiserver, kube-etcd*, kube-kubelet* and
//!   kube-service-account-token (so kube-apiserver-requestheader-ca gets a kubeconfig too);
//!   kube-admin's config is the local kubeconfig with embedded data (server
//!   `https://<first controlplane address>:6443`, cluster name = cluster_name) and its
//!   configPath `./kube_config_cluster.yml` (`GetKubeConfigX509WithData`, `GetLocalKubeConfig`);
//! - the certificate files (pki/deploy.go `DeployCertificatesOnPlaneHost`, pki/util.go
//!   `getCertKeys`, rke-tools' `cert-deployer`): every host gets kube-ca, kube-proxy and
//!   kube-node; etcd hosts every kube-etcd-*; controlplane hosts kube-apiserver,
//!   kube-service-account-token, kube-controller-manager, kube-scheduler,
//!   kube-apiserver-requestheader-ca and kube-apiserver-proxy-client (the CA key only on
//!   controlplane hosts). Under `<prefix>/etc/kubernetes/ssl` (0755): `<name>.pem`,
//!   `<name>-key.pem` and `kubecfg-<name>.yaml`, each written by `echo "$value"` (so one
//!   trailing newline) with mode 0600; with etcd's uid/gid the kube-etcd-* files are chowned to
//!   them and kube-ca.pem made 0644 (its ACL edits are not reproduced);
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
//!   it listens on 0.0.0.0), ETCD_UNSUPPORTED_ARCH (`BuildEtcdProcess`); with
//!   `services.etcd.uid`/`gid` it runs as user `<uid>:<uid>` (RKE1 writes the uid twice), its
//!   data dir made 0700 and chowned to uid:gid (services/etcd.go `etcd-fix-perm`);
//! - `prefix_path` (cluster/plan.go, hosts/hosts.go `SetPrefixPath`): the host side of
//!   /etc/kubernetes, /var/lib/etcd, /var/log/kube-audit, the kubelet's /var/lib/cni,
//!   /etc/ceph, /var/lib/cri-dockerd and /var/lib/kubelet (both sides, and `--root-dir`), plus
//!   the `/var/lib/kubelet/volumeplugins` bind when the prefix moves the kubelet's directory;
//!   the flags naming /etc/kubernetes/ssl files stay container paths;
//! - kube-apiserver's environment carries RKE_ADMISSION_CONFIG_CHECKSUM and, with the audit log
//!   enabled, RKE_AUDITLOG_CONFIG_CHECKSUM (sha256 of the files' YAML) (`BuildKubeAPIProcess`);
//!   `audit_log: {enabled: false}` leaves no audit flag, bind, variable or policy file
//!   (cluster/defaults.go fills the configuration only when enabled);
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
//!
//! Not reproduced: RKE1's leaf certificates start when their CA does (`NotBefore` = the CA's;
//! here: when signed), and RKE1 also keeps the state in the cluster (a Secret), which the
//! testbed's stand-in has no API server for.
use super::*;
use sha2::Digest;

const SSL: &str = "/etc/kubernetes/ssl";
const CONFIG_YAML_NAME: &str = "cluster.yml";

/// RKE1's admission file for a 1.20–1.22 cluster (no PodSecurity plugin) and every version's
/// EventRateLimit default, as written to the host.
const ADMISSION_YAML: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- configuration:\n    apiVersion: eventratelimit.admission.k8s.io/v1alpha1\n    kind: Configuration\n    limits:\n    - burst: 20000\n      qps: 5000\n      type: Server\n  name: EventRateLimit\n  path: \"\"\n";
/// RKE1's PodSecurity plugin for 1.25+ at its default level.
const POD_SECURITY_V1: &str = "- configuration:\n    apiVersion: pod-security.admission.config.k8s.io/v1\n    defaults:\n      enforce: privileged\n      enforce-version: latest\n    exemptions: {}\n    kind: PodSecurityConfiguration\n  name: PodSecurity\n  path: \"\"\n";
const AUDIT_POLICY_YAML: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata:\n  creationTimestamp: null\nrules:\n- level: Metadata\n";

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What of the cluster.yml changes RKE1's shapes here.
struct Shape {
    /// `prefix_path`, "" when unset or "/" (RKE1's unset)
    prefix: String,
    /// `services.etcd.uid`/`gid` when both are set and not 0 (RKE1's condition)
    etcd_owner: Option<(i64, i64)>,
    /// the audit log: on unless `audit_log` is given without `enabled: true`
    audit: bool,
    minor: (u32, u32),
}

impl Shape {
    fn of(cfg: &stockade::config::ClusterConfig) -> Shape {
        let prefix = cfg.prefix_path.clone().filter(|p| p != "/").unwrap_or_default().trim_end_matches('/').to_string();
        let e = &cfg.services.etcd;
        let etcd_owner = match (e.uid, e.gid) {
            (Some(u), Some(g)) if u != 0 && g != 0 => Some((u, g)),
            _ => None,
        };
        let audit = match &cfg.services.kube_api.audit_log {
            None => true,
            Some(v) if v.is_null() => true,
            Some(v) => v.get("enabled").and_then(|e| e.as_bool()).unwrap_or(false),
        };
        Shape { prefix, etcd_owner, audit, minor: stockade::versions::minor_of(cfg.kubernetes_version.as_deref().unwrap()) }
    }
    /// `path.Join(host.PrefixPath, p)`
    fn host(&self, p: &str) -> String {
        format!("{}{p}", self.prefix)
    }
}

/// One entry of RKE1's certificate bundle (pki/pki.go `CertificatePKI`).
struct Rke1Cert {
    name: String,
    cert_pem: String,
    key_pem: String,
    /// the state's `commonName` when the generator passes one (else `system:<name>`)
    common_name: Option<&'static str>,
    ou_name: &'static str,
}

fn run_openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl").current_dir(dir).args(args).output().expect("openssl CLI");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// RKE1's PKI for `cfg`'s hosts, made by openssl in `dir`.
fn make_pki(cfg: &stockade::config::ClusterConfig, dir: &std::path::Path) -> Vec<Rke1Cert> {
    std::fs::create_dir_all(dir).unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let genkey = |name: &str| run_openssl(dir, &["genrsa", "-traditional", "-out", &format!("{name}-key.pem"), "2048"]);
    let ca = |name: &str| {
        genkey(name);
        std::fs::write(
            dir.join(format!("{name}.cnf")),
            format!("[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN={name}\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\nsubjectKeyIdentifier=hash\n"),
        )
        .unwrap();
        run_openssl(dir, &["req", "-x509", "-new", "-key", &format!("{name}-key.pem"), "-config", &format!("{name}.cnf"), "-extensions", "v3", "-days", "3650", "-set_serial", "0", "-out", &format!("{name}.pem")]);
    };
    let serial = std::sync::atomic::AtomicU64::new(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 >> 2);
    // Go's pkix.Name puts O before CN
    let leaf = |name: &str, cn: &str, org: Option<&str>, server: bool, sans: &[String], ca: &str, key_of: Option<&str>| {
        let key = key_of.unwrap_or(name);
        if key_of.is_none() {
            genkey(name);
        }
        let subj = match org {
            Some(o) => format!("/O={o}/CN={cn}"),
            None => format!("/CN={cn}"),
        };
        run_openssl(dir, &["req", "-new", "-key", &format!("{key}-key.pem"), "-subj", &subj, "-out", &format!("{name}.csr")]);
        let mut ext = format!("keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth{}\nauthorityKeyIdentifier=keyid\n", if server { ",serverAuth" } else { "" });
        if !sans.is_empty() {
            ext.push_str(&format!("subjectAltName={}\n", sans.join(",")));
        }
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        let n = serial.fetch_add(1, std::sync::atomic::Ordering::SeqCst).to_string();
        run_openssl(
            dir,
            &["x509", "-req", "-in", &format!("{name}.csr"), "-CA", &format!("{ca}.pem"), "-CAkey", &format!("{ca}-key.pem"), "-set_serial", &n, "-days", "3650", "-extfile", &format!("{name}.ext"), "-out", &format!("{name}.pem")],
        );
    };
    // pki/util.go GetAltNames: DNS names, then IPs (Go writes them in that order)
    let alt_names = |hosts: &[&stockade::config::Node]| -> Vec<String> {
        let (mut dns, mut ips) = (Vec::new(), Vec::new());
        let add = |a: &str, dns: &mut Vec<String>, ips: &mut Vec<String>| {
            if a.parse::<std::net::IpAddr>().is_ok() {
                ips.push(format!("IP:{a}"))
            } else {
                dns.push(format!("DNS:{a}"))
            }
        };
        for h in hosts {
            add(&h.address, &mut dns, &mut ips);
            if let Some(i) = h.internal_address.as_deref().filter(|i| !i.is_empty() && *i != h.address) {
                add(i, &mut dns, &mut ips);
            }
            if let Some(o) = h.hostname_override.as_deref().filter(|o| !o.is_empty() && *o != h.address) {
                dns.push(format!("DNS:{o}"));
            }
        }
        ips.push("IP:127.0.0.1".into());
        ips.push("IP:10.43.0.1".into());
        for d in ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"] {
            dns.push(format!("DNS:{d}"));
        }
        dns.into_iter().chain(ips).collect()
    };
    let with_role = |r: &str| cfg.nodes.iter().filter(|n| n.role.iter().any(|x| x == r)).collect::<Vec<_>>();

    ca("kube-ca");
    ca("kube-apiserver-requestheader-ca");
    leaf("kube-apiserver", "kube-apiserver", None, true, &alt_names(&with_role("controlplane")), "kube-ca", None);
    leaf("kube-controller-manager", "system:kube-controller-manager", None, false, &[], "kube-ca", None);
    leaf("kube-scheduler", "system:kube-scheduler", None, false, &[], "kube-ca", None);
    leaf("kube-proxy", "system:kube-proxy", None, false, &[], "kube-ca", None);
    leaf("kube-node", "system:node", Some("system:nodes"), false, &[], "kube-ca", None);
    leaf("kube-admin", "kube-admin", Some("system:masters"), false, &[], "kube-ca", None);
    leaf("kube-apiserver-proxy-client", "kube-apiserver-proxy-client", None, true, &[], "kube-apiserver-requestheader-ca", None);
    let etcd_sans = alt_names(&with_role("etcd"));
    let etcd_names: Vec<String> = with_role("etcd").iter().map(|n| etcd_cert_name(n)).collect();
    for name in &etcd_names {
        leaf(name, "kube-etcd", None, true, &etcd_sans, "kube-ca", None);
    }
    let cert = |name: &str, file: &str, cn: Option<&'static str>, ou: &'static str| Rke1Cert { name: name.into(), cert_pem: read(&format!("{file}.pem")), key_pem: read(&format!("{file}-key.pem")), common_name: cn, ou_name: ou };
    let mut out = vec![
        cert("kube-ca", "kube-ca", None, ""),
        cert("kube-apiserver-requestheader-ca", "kube-apiserver-requestheader-ca", None, ""),
        cert("kube-apiserver", "kube-apiserver", None, ""),
        // a new cluster's token key is the apiserver's certificate and key
        cert("kube-service-account-token", "kube-apiserver", Some("kube-service-account-token"), ""),
        cert("kube-controller-manager", "kube-controller-manager", None, ""),
        cert("kube-scheduler", "kube-scheduler", None, ""),
        cert("kube-proxy", "kube-proxy", None, ""),
        cert("kube-node", "kube-node", Some("system:node"), "system:nodes"),
        cert("kube-admin", "kube-admin", Some("kube-admin"), "system:masters"),
        cert("kube-apiserver-proxy-client", "kube-apiserver-proxy-client", None, ""),
    ];
    for name in &etcd_names {
        out.push(cert(name, name, None, ""));
    }
    out
}

/// `kube-etcd-<internal address, else address, dots as dashes>` (pki/util.go `GetCrtNameForHost`).
fn etcd_cert_name(n: &stockade::config::Node) -> String {
    let a = n.internal_address.as_deref().filter(|i| !i.is_empty()).unwrap_or(&n.address);
    format!("kube-etcd-{}", a.replace('.', "-"))
}

/// pki/kubeconfig.go `getKubeConfigX509` for a component, as `ToCertObject` calls it.
fn component_kubeconfig(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    api-version: v1\n    certificate-authority: {SSL}/kube-ca.pem\n    server: \"https://127.0.0.1:6443\"\n  name: \"local\"\ncontexts:\n- context:\n    cluster: \"local\"\n    user: \"{name}-local\"\n  name: \"local\"\ncurrent-context: \"local\"\nusers:\n- name: \"{name}-local\"\n  user:\n    client-certificate: {SSL}/{name}.pem\n    client-key: {SSL}/{name}-key.pem"
    )
}

/// pki/kubeconfig.go `GetKubeConfigX509WithData`: the admin's local kubeconfig.
fn admin_kubeconfig(server: &str, cluster: &str, ca: &str, cert: &str, key: &str) -> String {
    use base64::Engine;
    let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    api-version: v1\n    certificate-authority-data: {}\n    server: \"{server}\"\n  name: \"{cluster}\"\ncontexts:\n- context:\n    cluster: \"{cluster}\"\n    user: \"kube-admin-{cluster}\"\n  name: \"{cluster}\"\ncurrent-context: \"{cluster}\"\nusers:\n- name: \"kube-admin-{cluster}\"\n  user:\n    client-certificate-data: {}\n    client-key-data: {}",
        b(ca),
        b(cert),
        b(key)
    )
}

/// Whether `ToCertObject` gives the entry a component kubeconfig.
fn has_kubeconfig(name: &str) -> bool {
    !(name == "kube-ca" || name == "kube-apiserver" || name.contains("kube-etcd") || name.contains("kube-kubelet") || name == "kube-service-account-token")
}

/// The `certificatesBundle` entry RKE1 writes for `c` (`ToCertObject`).
fn bundle_entry(c: &Rke1Cert, cfg: &stockade::config::ClusterConfig, ca_pem: &str) -> serde_json::Value {
    let env = c.name.to_uppercase().replace('-', "_");
    let (mut config, mut config_env, mut config_path) = (String::new(), String::new(), String::new());
    if has_kubeconfig(&c.name) {
        config = component_kubeconfig(&c.name);
        config_env = format!("KUBECFG_{env}");
        config_path = format!("{SSL}/kubecfg-{}.yaml", c.name);
    }
    if c.name == "kube-admin" {
        let cp = cfg.nodes.iter().find(|n| n.role.iter().any(|r| r == "controlplane")).unwrap();
        let cluster = cfg.cluster_name.clone().unwrap_or_else(|| "local".into());
        config = admin_kubeconfig(&format!("https://{}:6443", cp.address), &cluster, ca_pem, &c.cert_pem, &c.key_pem);
        config_path = format!("./kube_config_{CONFIG_YAML_NAME}");
    }
    serde_json::json!({
        "certificatePEM": c.cert_pem,
        "keyPEM": c.key_pem,
        "config": config,
        "name": c.name,
        "commonName": c.common_name.map(String::from).unwrap_or_else(|| format!("system:{}", c.name)),
        "ouName": c.ou_name,
        "envName": env,
        "path": format!("{SSL}/{}.pem", c.name),
        "keyEnvName": format!("{env}_KEY"),
        "keyPath": format!("{SSL}/{}-key.pem", c.name),
        "configEnvName": config_env,
        "configPath": config_path,
    })
}

/// RKE1's `rkeConfig` for `cfg` after its defaults (types/rke_types.go's JSON names,
/// cluster/defaults.go's values) — the keys stockade and RKE1 read back, not every default.
fn rke_config(cfg: &stockade::config::ClusterConfig, shape: &Shape) -> serde_json::Value {
    let nodes: Vec<serde_json::Value> = cfg
        .nodes
        .iter()
        .map(|n| {
            serde_json::json!({
                "address": n.address,
                "port": "22",
                "internalAddress": n.internal_address.clone().unwrap_or_else(|| n.address.clone()),
                "role": n.role,
                "hostnameOverride": n.hostname_override.clone().unwrap_or_else(|| n.address.clone()),
                "user": n.user,
                "dockerSocket": "/var/run/docker.sock",
                "sshKeyPath": cfg.ssh_key_path.clone().unwrap_or_else(|| "~/.ssh/id_rsa".into()),
            })
        })
        .collect();
    let i = &cfg.system_images;
    let mut etcd = serde_json::json!({ "extraArgs": { "election-timeout": "5000", "heartbeat-interval": "500" }, "retention": "72h", "creation": "12h" });
    if let Some((u, g)) = shape.etcd_owner {
        etcd["uid"] = u.into();
        etcd["gid"] = g.into();
    }
    let mut kube_api = serde_json::json!({ "serviceClusterIpRange": "10.43.0.0/16", "serviceNodePortRange": "30000-32767" });
    kube_api["auditLog"] = if shape.audit {
        serde_json::json!({ "enabled": true, "configuration": { "maxAge": 30, "maxBackup": 10, "maxSize": 100, "path": "/var/log/kube-audit/audit-log.json", "format": "json", "policy": { "kind": "Policy", "apiVersion": "audit.k8s.io/v1", "metadata": { "creationTimestamp": null }, "rules": [{ "level": "Metadata" }] } } })
    } else {
        serde_json::json!({})
    };
    let mut c = serde_json::json!({
        "nodes": nodes,
        "services": {
            "etcd": etcd,
            "kubeApi": kube_api,
            "kubeController": { "clusterCidr": "10.42.0.0/16", "serviceClusterIpRange": "10.43.0.0/16" },
            "scheduler": {},
            "kubelet": { "clusterDomain": "cluster.local", "infraContainerImage": i.pod_infra_container, "clusterDnsServer": "10.43.0.10" },
            "kubeproxy": {},
        },
        "network": { "plugin": "canal" },
        "authentication": { "strategy": "x509" },
        "systemImages": {
            "etcd": i.etcd, "alpine": i.alpine, "nginxProxy": i.nginx_proxy, "certDownloader": i.cert_downloader,
            "kubernetesServicesSidecar": i.kubernetes_services_sidecar, "kubernetes": i.kubernetes, "podInfraContainer": i.pod_infra_container,
        },
        "sshKeyPath": cfg.ssh_key_path.clone().unwrap_or_else(|| "~/.ssh/id_rsa".into()),
        "sshAgentAuth": false,
        "authorization": { "mode": "rbac" },
        "ignoreDockerVersion": true,
        "enableCriDockerd": shape.minor >= (1, 24),
        "kubernetesVersion": cfg.kubernetes_version,
        "ingress": { "provider": "nginx" },
        "clusterName": cfg.cluster_name.clone().unwrap_or_else(|| "local".into()),
        "prefixPath": if shape.prefix.is_empty() { "/".to_string() } else { shape.prefix.clone() },
        "addonJobTimeout": 45,
        "rotateEncryptionKey": false,
        "dns": { "provider": "coredns" },
        "upgradeStrategy": { "maxUnavailableWorker": "10%", "maxUnavailableControlplane": "1" },
    });
    for (service, key) in [("etcd", "etcd"), ("kube-api", "kubeApi"), ("kube-controller", "kubeController"), ("scheduler", "scheduler"), ("kubelet", "kubelet"), ("kubeproxy", "kubeproxy")] {
        let extra = extra_args_of(cfg, service);
        for (k, v) in extra {
            c["services"][key]["extraArgs"][k] = v.into();
        }
    }
    c
}

fn extra_args_of(cfg: &stockade::config::ClusterConfig, service: &str) -> Vec<(String, String)> {
    let s = &cfg.services;
    let m = match service {
        "etcd" => &s.etcd.extra_args,
        "kube-api" => &s.kube_api.extra_args,
        "kube-controller" => &s.kube_controller.extra_args,
        "scheduler" => &s.scheduler.extra_args,
        "kubelet" => &s.kubelet.extra_args,
        _ => &s.kubeproxy.extra_args,
    };
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The certificate names RKE1 deploys to a host (pki/util.go `getCertKeys` over its roles).
fn certs_for(n: &stockade::config::Node, cfg: &stockade::config::ClusterConfig) -> Vec<String> {
    let mut names: Vec<String> = ["kube-ca", "kube-proxy", "kube-node"].map(String::from).to_vec();
    let has = |r: &str| n.role.iter().any(|x| x == r);
    if has("etcd") {
        names.extend(cfg.nodes.iter().filter(|m| m.role.iter().any(|r| r == "etcd")).map(etcd_cert_name));
    }
    if has("controlplane") {
        names.extend(["kube-apiserver", "kube-service-account-token", "kube-controller-manager", "kube-scheduler", "kube-apiserver-requestheader-ca", "kube-apiserver-proxy-client"].map(String::from));
    }
    names.dedup();
    names
}

/// A container as RKE1 creates it.
struct Rke1Container {
    name: &'static str,
    image: String,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    /// `User`: etcd's with services.etcd.uid/gid
    user: Option<String>,
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

/// The files RKE1's file-deployer writes on a controlplane host (path under the host's
/// /etc/kubernetes → bytes), and the checksums its kube-apiserver carries (the audit one only
/// with the audit log on).
fn config_files(shape: &Shape) -> (Vec<(String, String)>, String, Option<String>) {
    let mut admission = ADMISSION_YAML.to_string();
    if shape.minor >= (1, 25) {
        admission.push_str(POD_SECURITY_V1);
    }
    let mut files = vec![("admission.yaml".to_string(), format!("{admission}\n"))];
    let mut audit_sum = None;
    if shape.audit {
        files.push(("audit-policy.yaml".to_string(), format!("{AUDIT_POLICY_YAML}\n")));
        audit_sum = Some(sha256_hex(AUDIT_POLICY_YAML));
    }
    (files, sha256_hex(&admission), audit_sum)
}

/// What RKE1 runs on testbed host `h` of a cluster of `hosts` (all roles) for `cfg`.
fn containers(tb: &Testbed, cfg: &stockade::config::ClusterConfig, shape: &Shape, hosts: &[&TbHost], h: &TbHost) -> Vec<Rke1Container> {
    let minor = shape.minor;
    let options = |s: &str| stockade::versions::cluster_service_options(cfg, s);
    let images = &cfg.system_images;
    let k8s = images.kubernetes.clone().unwrap();
    let entry = |component: &str, f: Vec<String>| -> Vec<String> { ["/opt/rke-tools/entrypoint.sh".to_string(), component.to_string()].into_iter().chain(f).collect() };
    let cert = |n: &str| format!("{SSL}/{n}.pem");
    let key = |n: &str| format!("{SSL}/{n}-key.pem");
    let kubecfg = |n: &str| format!("{SSL}/kubecfg-{n}.yaml");
    let etc_k8s = format!("{}:/etc/kubernetes:z", shape.host("/etc/kubernetes"));
    let etcd_name = format!("kube-etcd-{}", h.ip.replace('.', "-"));
    let (_, admission_sum, audit_sum) = config_files(shape);
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
        user: shape.etcd_owner.map(|(uid, _)| format!("{uid}:{uid}")),
        env: vec![
            "ETCDCTL_API=3".into(),
            format!("ETCDCTL_CACERT={}", cert("kube-ca")),
            format!("ETCDCTL_CERT={}", cert(&etcd_name)),
            format!("ETCDCTL_KEY={}", key(&etcd_name)),
            "ETCDCTL_ENDPOINTS=https://127.0.0.1:2379".into(),
            format!("ETCD_UNSUPPORTED_ARCH={}", if arch == "aarch64" { "arm64" } else { arch.as_str() }),
        ],
        binds: without_z(vec![format!("{}:/var/lib/rancher/etcd/:z", shape.host("/var/lib/etcd")), etc_k8s.clone()], minor),
        network: "host",
        restart: Some("always"),
        privileged_host_pid: false,
        sidekick_volumes: false,
        start: true,
    });

    out.push(Rke1Container {
        name: "service-sidekick",
        user: None,
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
    // code after the options: RBAC mode, the advertised IP, RKE1's default audit log (when on)
    let mut after = vec![("authorization-mode", "Node,RBAC".to_string()), ("advertise-address", h.ip.clone())];
    if shape.audit {
        after.extend([
            ("audit-log-path", "/var/log/kube-audit/audit-log.json".into()),
            ("audit-log-maxage", "30".into()),
            ("audit-log-maxbackup", "10".into()),
            ("audit-log-maxsize", "100".into()),
            ("audit-log-format", "json".into()),
            ("audit-policy-file", "/etc/kubernetes/audit-policy.yaml".into()),
        ]);
    }
    for (k, v) in after {
        api_options.insert(k.to_string(), v);
    }
    api_defaults.retain(|(k, _)| !api_options.get(*k).is_some_and(|v| v.is_empty()));
    out.push(Rke1Container {
        name: "kube-apiserver",
        user: None,
        image: k8s.clone(),
        entrypoint: entry("kube-apiserver", flags(api_defaults, &api_options)),
        cmd: vec![],
        env: std::iter::once(format!("RKE_ADMISSION_CONFIG_CHECKSUM={admission_sum}")).chain(audit_sum.map(|s| format!("RKE_AUDITLOG_CONFIG_CHECKSUM={s}"))).collect(),
        binds: without_z(std::iter::once(etc_k8s.clone()).chain(shape.audit.then(|| format!("{}:/var/log/kube-audit", shape.host("/var/log/kube-audit")))).collect(), minor),
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
        user: None,
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
        user: None,
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
        ("root-dir", shape.host("/var/lib/kubelet")),
    ];
    let mut kubelet_binds = Vec::new();
    let mut kubelet_env = Vec::new();
    if minor >= (1, 24) {
        if minor < (1, 27) {
            kubelet_defaults.push(("container-runtime", "remote".into()));
        }
        kubelet_defaults.push(("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock".into()));
        kubelet_binds.push(format!("{}:/var/lib/cri-dockerd:z", shape.host("/var/lib/cri-dockerd")));
        kubelet_env.push("RKE_KUBELET_CRIDOCKERD=true".to_string());
    }
    let kubelet_dir = shape.host("/var/lib/kubelet");
    kubelet_binds.extend(
        [
            &etc_k8s,
            "/etc/cni:/etc/cni:rw,z",
            "/opt/cni:/opt/cni:rw,z",
            &format!("{}:/var/lib/cni:z", shape.host("/var/lib/cni")),
            "/var/lib/calico:/var/lib/calico:z",
            "/etc/resolv.conf:/etc/resolv.conf",
            "/sys:/sys:rprivate",
            &format!("{docker_root}:{docker_root}:rw,rslave,z"),
            &format!("{kubelet_dir}:{kubelet_dir}:shared,z"),
            "/var/lib/rancher:/var/lib/rancher:shared,z",
            "/var/run:/var/run:rw,rprivate",
            "/run:/run:rprivate",
            &format!("{}:/etc/ceph", shape.host("/etc/ceph")),
            "/dev:/host/dev:rprivate",
            "/var/log/containers:/var/log/containers:z",
            "/var/log/pods:/var/log/pods:z",
            "/usr:/host/usr:ro",
            "/etc:/host/etc:ro",
        ]
        .map(String::from),
    );
    // flex volumes where the kubelet expects them when the prefix moves its directory
    if kubelet_dir != "/var/lib/kubelet" {
        kubelet_binds.push("/var/lib/kubelet/volumeplugins:/var/lib/kubelet/volumeplugins:shared,z".into());
    }
    out.push(Rke1Container {
        name: "kubelet",
        user: None,
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
        user: None,
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
        "User": c.user.clone().unwrap_or_default(),
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

/// Laptop-side path of an absolute path on host `h` (under one of its private directories).
fn on_laptop(tb: &Testbed, h: &TbHost, host_path: &str) -> std::path::PathBuf {
    for (root, mangled) in [("/etc/kubernetes", "etc-kubernetes"), ("/var/lib/etcd", "var-lib-etcd"), ("/opt/rke", "opt-rke"), ("/var/lib/kubelet", "var-lib-kubelet")] {
        if let Some(rest) = host_path.strip_prefix(root).filter(|r| r.is_empty() || r.starts_with('/')) {
            return tb.host_path(h, mangled).join(rest.trim_start_matches('/'));
        }
    }
    panic!("{host_path} is not in a testbed host's private directories")
}

fn write_mode(p: &std::path::Path, content: &str, mode: u32) {
    std::fs::write(p, content).unwrap();
    std::fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
}

fn chown_tree(p: &std::path::Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            chown_tree(&e.path(), uid, gid);
        }
    }
}

/// Makes on `hosts` (indices into the testbed; every host has every role) the cluster RKE1 makes
/// for the cluster.yml `config` (which is `cluster.yml` in the work directory): its PKI, its
/// state file next to the cluster.yml and its local kubeconfig, the certificate and
/// configuration files on every host, etcd's data directory, and its containers, started.
/// Nothing of stockade's runs. Returns `(host, container, id)` of the containers.
pub fn make_rke1_cluster(tb: &Testbed, config: &std::path::Path, hosts: &[usize]) -> Vec<(TbHost, String, String)> {
    assert_eq!(config.file_name().unwrap(), CONFIG_YAML_NAME);
    let cfg = stockade::config::load(config).unwrap_or_else(|e| panic!("{e}")).config;
    let shape = Shape::of(&cfg);
    let members: Vec<&TbHost> = hosts.iter().map(|i| &tb.hosts[*i]).collect();

    // the PKI and the state file, as `rke up` leaves them after a finished run
    let pki = make_pki(&cfg, &tb.work.path().join("rke1-pki"));
    let ca_pem = pki.iter().find(|c| c.name == "kube-ca").unwrap().cert_pem.clone();
    let bundle: serde_json::Map<String, serde_json::Value> = pki.iter().map(|c| (c.name.clone(), bundle_entry(c, &cfg, &ca_pem))).collect();
    let state = serde_json::json!({ "rkeConfig": rke_config(&cfg, &shape), "certificatesBundle": bundle });
    let full = serde_json::json!({ "desiredState": state.clone(), "currentState": state });
    write_mode(&tb.state_path(), &serde_json::to_string_pretty(&full).unwrap(), 0o600);
    let admin = bundle["kube-admin"]["config"].as_str().unwrap();
    write_mode(&tb.work.path().join(format!("kube_config_{CONFIG_YAML_NAME}")), admin, 0o600);

    let (files, _, _) = config_files(&shape);
    let mut made = Vec::new();
    for h in &members {
        let node = cfg.nodes.iter().find(|n| n.address == h.ip).unwrap_or_else(|| panic!("{} is not in {}", h.ip, config.display()));
        let list = containers(tb, &cfg, &shape, &members, h);
        // RKE1 pulls its images; the testbed's come from its archive (no registry)
        if list.iter().any(|c| !tb.has_image(h, &c.image)) {
            let out = tb.docker(h, &["load", "-i", tb.archive().to_str().unwrap()]);
            assert!(out.status.success(), "{}: docker load: {}", h.name, String::from_utf8_lossy(&out.stderr));
        }
        for c in list.iter().rev() {
            tb.docker(h, &["rm", "-f", c.name]);
        }
        // cert-deployer: each certificate, key and kubeconfig by `echo "$value"`, 0600
        let ssl = on_laptop(tb, h, &shape.host(SSL));
        std::fs::create_dir_all(&ssl).unwrap();
        std::fs::set_permissions(&ssl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let controlplane = node.role.iter().any(|r| r == "controlplane");
        for name in certs_for(node, &cfg) {
            let c = pki.iter().find(|c| c.name == name).unwrap();
            let entry = &bundle[&name];
            write_mode(&ssl.join(format!("{name}.pem")), &format!("{}\n", c.cert_pem.trim_end_matches('\n')), 0o600);
            // the CA key only where the controlplane runs
            if name != "kube-ca" || controlplane {
                write_mode(&ssl.join(format!("{name}-key.pem")), &format!("{}\n", c.key_pem.trim_end_matches('\n')), 0o600);
            }
            let kubeconfig = entry["config"].as_str().unwrap();
            if !kubeconfig.is_empty() {
                write_mode(&ssl.join(format!("kubecfg-{name}.yaml")), &format!("{kubeconfig}\n"), 0o600);
            }
        }
        let is_etcd = node.role.iter().any(|r| r == "etcd");
        if let (Some((uid, gid)), true) = (shape.etcd_owner, is_etcd) {
            for e in std::fs::read_dir(&ssl).unwrap().flatten() {
                let n = e.file_name().to_string_lossy().to_string();
                if n.contains("kube-etcd") && n.ends_with(".pem") {
                    std::os::unix::fs::chown(e.path(), Some(uid as u32), Some(gid as u32)).unwrap();
                }
            }
            std::fs::set_permissions(ssl.join("kube-ca.pem"), std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        }
        // file-deployer: admission (and audit policy) on the controlplane
        let etc = on_laptop(tb, h, &shape.host("/etc/kubernetes"));
        if controlplane {
            for (path, content) in &files {
                write_mode(&etc.join(path), content, 0o600);
            }
        }
        // etcd-fix-perm: the data directory 0700, and owned by etcd's uid/gid
        if is_etcd {
            let data = on_laptop(tb, h, &shape.host("/var/lib/etcd"));
            std::fs::create_dir_all(&data).unwrap();
            std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
            if let Some((uid, gid)) = shape.etcd_owner {
                chown_tree(&data, uid as u32, gid as u32);
            }
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
