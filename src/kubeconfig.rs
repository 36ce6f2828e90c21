//! The operator's kubeconfig, `kube_config_<name>.yml` (RKE's naming): cluster and context
//! named `cluster_name`, server the first controlplane host, the kube-admin certificate
//! embedded. Written atomically with mode 0600.
use crate::config::ClusterConfig;
use crate::pki::{names, Bundle};
use anyhow::{anyhow, Result};
use base64::Engine;

pub fn render(cfg: &ClusterConfig, bundle: &Bundle) -> Result<String> {
    let cp = cfg
        .nodes
        .iter()
        .find(|n| n.has_role("controlplane"))
        .ok_or_else(|| anyhow!("no controlplane host"))?;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let get = |n: &str| bundle.get(n).ok_or_else(|| anyhow!("certificate {n} missing"));
    let (ca, admin) = (get(names::CA)?, get(names::ADMIN)?);
    let name = cfg.cluster_name.as_deref().unwrap_or("local");
    let user = format!("kube-admin-{name}");
    Ok(format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    api-version: v1\n    certificate-authority-data: {ca}\n    server: \"https://{server}:6443\"\n  name: \"{name}\"\ncontexts:\n- context:\n    cluster: \"{name}\"\n    user: \"{user}\"\n  name: \"{name}\"\ncurrent-context: \"{name}\"\nusers:\n- name: \"{user}\"\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
        ca = b64(&ca.certificate_pem),
        server = cp.address,
        cert = b64(&admin.certificate_pem),
        key = b64(&admin.key_pem),
    ))
}
