//! The certificate bundle as RKE1 stores it in `cluster.rkestate` (`certificatesBundle`):
//! a map from certificate name to PEM strings plus the names RKE derives from it.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type Bundle = BTreeMap<String, CertificatePki>;

/// One entry of `certificatesBundle`. Field names are RKE's JSON names.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CertificatePki {
    #[serde(rename = "certificatePEM", default)]
    pub certificate_pem: String,
    #[serde(rename = "keyPEM", default)]
    pub key_pem: String,
    #[serde(default)]
    pub config: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub common_name: String,
    #[serde(default)]
    pub ou_name: String,
    #[serde(default)]
    pub env_name: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub key_env_name: String,
    #[serde(default)]
    pub key_path: String,
    #[serde(default)]
    pub config_env_name: String,
    #[serde(default)]
    pub config_path: String,
}

impl std::fmt::Debug for CertificatePki {
    // the key is a secret: never print it
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificatePki").field("name", &self.name).field("common_name", &self.common_name).finish_non_exhaustive()
    }
}

pub const SSL_DIR: &str = "/etc/kubernetes/ssl";

impl CertificatePki {
    /// Fills the derived names the way RKE does (`KUBE_APISERVER`, `/etc/kubernetes/ssl/...`).
    pub fn named(name: &str, common_name: &str, ou: &str, cert: String, key: String) -> Self {
        let env = name.to_uppercase().replace(['-', '.'], "_");
        CertificatePki {
            certificate_pem: cert,
            key_pem: key,
            config: String::new(),
            name: name.into(),
            common_name: common_name.into(),
            ou_name: ou.into(),
            key_env_name: format!("{env}_KEY"),
            config_env_name: format!("KUBECFG_{env}"),
            env_name: env,
            path: format!("{SSL_DIR}/{name}.pem"),
            key_path: format!("{SSL_DIR}/{name}-key.pem"),
            config_path: format!("{SSL_DIR}/kubecfg-{name}.yaml"),
        }
    }
}
