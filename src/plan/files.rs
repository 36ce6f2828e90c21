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

/// `/etc/kubernetes/admission.yaml`: the user's `admission_configuration`, else RKE's default:
/// PodSecurity admission at the `privileged` level from Kubernetes 1.23 on (its configuration
/// API is `v1beta1` in 1.23 and 1.24, `v1` from 1.25), no plugin configuration below 1.23.
pub fn admission_config(cfg: &ClusterConfig) -> String {
    if let Some(v) = &cfg.services.kube_api.admission_configuration {
        return serde_yaml::to_string(v).unwrap_or_default();
    }
    let head = "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\n";
    let Some(api) = super::versioned::pod_security_api(cfg) else { return format!("{head}plugins: []\n") };
    let level = cfg.services.kube_api.pod_security_configuration.clone().unwrap_or_else(|| "privileged".into());
    // RKE's restricted level also audits and warns, and exempts the system namespaces
    let (extra, namespaces) = if level == "restricted" {
        ("      audit: restricted\n      audit-version: latest\n      warn: restricted\n      warn-version: latest\n", "[ingress-nginx, kube-system]")
    } else {
        ("", "[]")
    };
    format!(
        "{head}plugins:\n- name: PodSecurity\n  configuration:\n    apiVersion: {api}\n    kind: PodSecurityConfiguration\n    defaults:\n      enforce: {level}\n      enforce-version: latest\n{extra}    exemptions:\n      usernames: []\n      runtimeClasses: []\n      namespaces: {namespaces}\n"
    )
}

/// `/etc/kubernetes/audit-policy.yaml`: `audit_log.configuration.policy`, else RKE's default.
pub fn audit_policy(cfg: &ClusterConfig) -> String {
    let policy = cfg.services.kube_api.audit_log.as_ref().and_then(|a| a.get("configuration")).and_then(|c| c.get("policy"));
    match policy {
        Some(p) => serde_yaml::to_string(p).unwrap_or_default(),
        None => "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n".into(),
    }
}

pub fn for_host(cfg: &ClusterConfig, node: &Node, bundle: &Bundle) -> Vec<FileSpec> {
    let has = |r: &str| node.has_role(r);
    let dir = super::prefixed(cfg, "/etc/kubernetes");
    let mut files = Vec::new();
    let mut add = |name: &str, cert: bool, key: bool, config: bool| {
        let Some(c) = bundle.get(name) else { return };
        let mut push = |file: String, content: &str| {
            if !content.is_empty() {
                files.push(FileSpec { dir: dir.clone(), name: format!("ssl/{file}"), content: content.as_bytes().to_vec(), mode: FILE_MODE });
            }
        };
        if cert {
            push(format!("{name}.pem"), &c.certificate_pem);
        }
        if key {
            push(format!("{name}-key.pem"), &c.key_pem);
        }
        if config {
            push(format!("kubecfg-{name}.yaml"), &c.config);
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
    if cp {
        for (name, content) in [(ADMISSION_CONFIG, admission_config(cfg)), (AUDIT_POLICY, audit_policy(cfg))] {
            files.push(FileSpec { dir: dir.clone(), name: name.into(), content: content.into_bytes(), mode: FILE_MODE });
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    fn at(v: &str) -> ClusterConfig {
        ClusterConfig { kubernetes_version: Some(v.into()), ..Default::default() }
    }
    #[test]
    fn pod_security_configuration_follows_the_minor() {
        assert!(admission_config(&at("v1.22.17-rancher1-2")).ends_with("plugins: []\n"));
        assert!(admission_config(&at("v1.24.17-rancher1-1")).contains("apiVersion: pod-security.admission.config.k8s.io/v1beta1\n"));
        let v1 = admission_config(&at("v1.25.16-rancher2-3"));
        assert!(v1.contains("apiVersion: pod-security.admission.config.k8s.io/v1\n") && v1.contains("enforce: privileged\n"), "{v1}");
        let mut c = at("v1.30.5-rancher1-1");
        c.services.kube_api.pod_security_configuration = Some("restricted".into());
        let r = admission_config(&c);
        assert!(r.contains("warn: restricted\n") && r.contains("namespaces: [ingress-nginx, kube-system]\n"), "{r}");
    }
}
