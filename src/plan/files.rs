//! The files each host gets under `<prefix>/etc/kubernetes/ssl` (rke.md §4): the CA
//! certificate everywhere, the CA key only on controlplane hosts, every etcd certificate on
//! every etcd host, and the component certificates and kubeconfigs of the host's roles.
use crate::config::{ClusterConfig, Node};
use crate::pki::{names, Bundle};

pub struct FileSpec {
    /// host directory the file lives under (bind-mounted into the helper container)
    pub dir: String,
    /// path relative to `dir`
    pub name: String,
    pub content: Vec<u8>,
    pub mode: u32,
    /// `(uid, gid)` when not root's: etcd's certificates for an etcd that runs as
    /// `services.etcd.uid`/`gid` (it must read its key)
    pub owner: Option<(u32, u32)>,
}

impl std::fmt::Debug for FileSpec {
    // contents include private keys: show only a digest
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileSpec({} {:o} sha256:{})", self.path(), self.mode, self.digest())
    }
}

impl FileSpec {
    pub fn path(&self) -> String {
        format!("{}/{}", self.dir.trim_end_matches('/'), self.name)
    }
    pub fn digest(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(&self.content).iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

pub const FILE_MODE: u32 = 0o600;
pub const ADMISSION_CONFIG: &str = "admission.yaml";
pub const AUDIT_POLICY: &str = "audit-policy.yaml";

pub use super::apiserver::{admission_config, audit_policy};

/// The user etcd runs as (`services.etcd.uid`/`gid`, both set and not root), who must own its
/// certificates and data directory (RKE1 chowns both).
pub fn etcd_owner(cfg: &ClusterConfig) -> Option<(u32, u32)> {
    let e = &cfg.services.etcd;
    match (e.uid, e.gid) {
        (Some(u), Some(g)) if u != 0 && g != 0 => Some((u32::try_from(u).ok()?, u32::try_from(g).ok()?)),
        _ => None,
    }
}

pub fn for_host(cfg: &ClusterConfig, node: &Node, bundle: &Bundle) -> Vec<FileSpec> {
    let has = |r: &str| node.has_role(r);
    let dir = super::prefixed(cfg, "/etc/kubernetes");
    let mut files = Vec::new();
    let etcd_owner = etcd_owner(cfg);
    let mut add = |name: &str, cert: bool, key: bool, config: bool| {
        let Some(c) = bundle.get(name) else { return };
        // a non-root etcd owns its certificates and keys and reads the CA certificate, which
        // RKE1's cert-deployer then makes world-readable (0644, still root's)
        let etcd_user = has("etcd") && etcd_owner.is_some();
        let owner = if etcd_user && name.starts_with(names::ETCD_PREFIX) { etcd_owner } else { None };
        let cert_mode = if etcd_user && name == names::CA { 0o644 } else { FILE_MODE };
        let mut push = |file: String, content: &str, mode: u32| {
            if !content.is_empty() {
                files.push(FileSpec { dir: dir.clone(), name: format!("ssl/{file}"), content: content.as_bytes().to_vec(), mode, owner });
            }
        };
        if cert {
            push(format!("{name}.pem"), &c.certificate_pem, cert_mode);
        }
        if key {
            push(format!("{name}-key.pem"), &c.key_pem, FILE_MODE);
        }
        if config {
            push(format!("kubecfg-{name}.yaml"), &c.config, FILE_MODE);
        }
    };
    let cp = has("controlplane");
    add(names::CA, true, cp, false);
    add(names::NODE, true, true, true);
    add(names::PROXY, true, true, true);
    if cp {
        add(names::REQUESTHEADER_CA, true, true, false);
        add(names::APISERVER, true, true, false);
        add(names::SERVICE_ACCOUNT, true, true, false);
        add(names::CONTROLLER, true, true, true);
        add(names::SCHEDULER, true, true, true);
        add(names::PROXY_CLIENT, true, true, false);
    }
    if has("etcd") {
        for name in bundle.keys().filter(|k| k.starts_with(names::ETCD_PREFIX)) {
            add(name, true, true, false);
        }
    }
    // its own serving certificate only: RKE1 gave every node every node's key
    if crate::pki::serving_certificates(cfg) {
        add(&names::kubelet_cert(node), true, true, false);
    }
    // RKE1 writes these only when no extra_args flag points kube-apiserver at the user's own
    let api_args = &cfg.services.kube_api.extra_args;
    let mut config_file = |name: &str, content: String| files.push(FileSpec { dir: dir.clone(), name: name.into(), content: content.into_bytes(), mode: FILE_MODE, owner: None });
    if cp && !api_args.contains_key("admission-control-config-file") {
        config_file(ADMISSION_CONFIG, admission_config(cfg));
    }
    if cp && super::apiserver::enabled(cfg) && !api_args.contains_key("audit-policy-file") {
        config_file(AUDIT_POLICY, audit_policy(cfg));
    }
    if let Some(w) = super::apiserver::authn_webhook(cfg) {
        let name = super::controlplane::WEBHOOK_CONFIG.trim_start_matches("/etc/kubernetes/");
        config_file(name, w.config_file);
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}
