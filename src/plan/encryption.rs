//! Secrets encryption at rest (`services.kube-api.secrets_encryption_config`): the
//! EncryptionConfiguration kube-apiserver reads from `/etc/kubernetes/ssl/encryption.yaml`.
//! The key lives in the state file (`encryptionConfig`, as in RKE) and is reused on every run;
//! a user's `custom_config` is written as given.
use crate::config::ClusterConfig;

pub const FILE: &str = "ssl/encryption.yaml";
pub const CONTAINER_PATH: &str = "/etc/kubernetes/ssl/encryption.yaml";

pub fn enabled(cfg: &ClusterConfig) -> bool {
    cfg.services.kube_api.secrets_encryption_config.as_ref().and_then(|v| v.get("enabled")).and_then(|v| v.as_bool()).unwrap_or(false)
}

/// The configuration to deploy: the user's custom one, else the recorded one, else a new one
/// around `new_key` (32 random bytes, base64), as RKE generates it (aescbc, then identity).
pub fn config(cfg: &ClusterConfig, recorded: &str, new_key: impl FnOnce() -> String) -> Option<String> {
    if !enabled(cfg) {
        return None;
    }
    if let Some(custom) = cfg.services.kube_api.secrets_encryption_config.as_ref().and_then(|v| v.get("custom_config")) {
        return serde_yaml::to_string(custom).ok();
    }
    if !recorded.trim().is_empty() {
        return Some(recorded.to_string());
    }
    Some(format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources:\n  - secrets\n  providers:\n  - aescbc:\n      keys:\n      - name: stockade-key-1\n        secret: {}\n  - identity: {{}}\n",
        new_key()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn cfg(yaml: &str) -> ClusterConfig {
        crate::config::load::parse(std::path::Path::new("c.yml"), yaml).unwrap()
    }
    #[test]
    fn disabled_enabled_recorded_and_custom() {
        assert_eq!(config(&cfg("nodes: []\n"), "", || "K".into()), None);
        let on = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n");
        let fresh = config(&on, "", || "S2VZ".into()).unwrap();
        assert!(fresh.contains("secret: S2VZ") && fresh.contains("aescbc"), "{fresh}");
        assert_eq!(config(&on, "recorded", || unreachable!()).unwrap(), "recorded");
        let custom = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n      custom_config:\n        kind: EncryptionConfiguration\n");
        assert!(config(&custom, "recorded", || unreachable!()).unwrap().contains("kind: EncryptionConfiguration"));
    }
}
