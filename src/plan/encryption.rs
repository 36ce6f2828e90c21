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
///
/// A recorded key is never dropped: the cluster's Secrets are encrypted with it, and an
/// apiserver without it can read none of them. So turning encryption off once a key is
/// recorded, or a `custom_config` that leaves a recorded key out, is refused (until stockade
/// can rewrite every Secret first), and a `custom_config` that cannot be written is an error,
/// never a silently unencrypted cluster.
pub fn config(cfg: &ClusterConfig, recorded: &str, new_key: impl FnOnce() -> String) -> Result<Option<String>, String> {
    let recorded_keys = secrets(recorded).map_err(|e| format!("the state file's encryptionConfig: {e}"))?;
    if !enabled(cfg) {
        if recorded_keys.is_empty() {
            return Ok(None);
        }
        return Err("services.kube-api.secrets_encryption_config is off, but the cluster's Secrets are encrypted with the key recorded in the state file: turning encryption off would make every Secret unreadable. Set `enabled: true` again (disabling needs every Secret rewritten first, which stockade does not do yet)".into());
    }
    if let Some(custom) = cfg.services.kube_api.secrets_encryption_config.as_ref().and_then(|v| v.get("custom_config")) {
        let text = serde_yaml::to_string(custom).map_err(|e| format!("services.kube-api.secrets_encryption_config.custom_config cannot be written as YAML: {e}"))?;
        let custom_keys = secrets(&text).map_err(|e| format!("services.kube-api.secrets_encryption_config.custom_config: {e}"))?;
        if recorded_keys.iter().any(|k| !custom_keys.contains(k)) {
            return Err("services.kube-api.secrets_encryption_config.custom_config leaves out the key the cluster's Secrets are encrypted with (recorded in the state file): keep that key in the provider's `keys` list (after your new one) so the apiserver can still read them".into());
        }
        return Ok(Some(text));
    }
    if !recorded.trim().is_empty() {
        return Ok(Some(recorded.to_string()));
    }
    Ok(Some(format!(
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources:\n  - secrets\n  providers:\n  - aescbc:\n      keys:\n      - name: stockade-key-1\n        secret: {}\n  - identity: {{}}\n",
        new_key()
    )))
}

/// The keys of an EncryptionConfiguration that data may be encrypted with, as
/// `provider:secret` (`kms:name` for a KMS plugin), read from its YAML. A configuration that
/// cannot be read, or names an encrypting provider whose keys cannot be found, is an error: a
/// key that is not seen could be dropped.
fn secrets(config: &str) -> Result<Vec<String>, String> {
    if config.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc: serde_yaml::Value = serde_yaml::from_str(config).map_err(|e| format!("the encryption configuration cannot be read as YAML: {e}"))?;
    let (mut keys, mut encrypting) = (Vec::new(), Vec::new());
    let seq = |v: Option<&serde_yaml::Value>| v.and_then(|v| v.as_sequence()).cloned().unwrap_or_default();
    for resource in seq(doc.get("resources")) {
        for provider in seq(resource.get("providers")) {
            for (kind, body) in provider.as_mapping().into_iter().flatten() {
                let Some(kind) = kind.as_str() else { continue };
                match kind {
                    "identity" => {}
                    "kms" => keys.push(format!("kms:{}", body.get("name").and_then(|n| n.as_str()).unwrap_or_default())),
                    _ => {
                        encrypting.push(kind.to_string());
                        for key in seq(body.get("keys")) {
                            if let Some(secret) = key.get("secret").and_then(|s| s.as_str()).filter(|s| !s.is_empty()) {
                                keys.push(format!("{kind}:{secret}"));
                            }
                        }
                    }
                }
            }
        }
    }
    if keys.is_empty() && !encrypting.is_empty() {
        return Err(format!("the encryption configuration names the provider(s) {} but no key stockade can read", encrypting.join(", ")));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn cfg(yaml: &str) -> ClusterConfig {
        crate::config::load::parse(std::path::Path::new("c.yml"), yaml).unwrap()
    }
    #[test]
    fn disabled_enabled_recorded_and_custom() {
        assert_eq!(config(&cfg("nodes: []\n"), "", || "K".into()), Ok(None));
        let on = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n");
        let fresh = config(&on, "", || "S2VZ".into()).unwrap().unwrap();
        assert!(fresh.contains("secret: S2VZ") && fresh.contains("aescbc"), "{fresh}");
        assert_eq!(config(&on, "recorded", || unreachable!()).unwrap().unwrap(), "recorded");
        let custom = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n      custom_config:\n        kind: EncryptionConfiguration\n");
        assert!(config(&custom, "", || unreachable!()).unwrap().unwrap().contains("kind: EncryptionConfiguration"));
    }

    #[test]
    fn a_recorded_key_is_never_dropped() {
        let recorded = config(&cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n"), "", || "OLDKEY".into()).unwrap().unwrap();
        // turned off after a key was recorded: refused
        let off = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: false\n");
        assert!(config(&off, &recorded, || unreachable!()).unwrap_err().contains("unreadable"));
        assert!(config(&cfg("nodes: []\n"), &recorded, || unreachable!()).is_err(), "removing the section is turning it off");
        // a custom config without the recorded key: refused; with it: fine
        let without = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n      custom_config:\n        resources:\n        - providers:\n          - aescbc:\n              keys:\n              - name: k2\n                secret: NEWKEY\n");
        assert!(config(&without, &recorded, || unreachable!()).unwrap_err().contains("leaves out"));
        let with = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n      custom_config:\n        resources:\n        - providers:\n          - aescbc:\n              keys:\n              - name: k2\n                secret: NEWKEY\n              - name: k1\n                secret: OLDKEY\n");
        assert!(config(&with, &recorded, || unreachable!()).unwrap().unwrap().contains("NEWKEY"));
        // the same secret under another provider cannot decrypt the data: refused
        let moved = cfg("nodes: []\nservices:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n      custom_config:\n        resources:\n        - providers:\n          - aesgcm:\n              keys:\n              - name: k1\n                secret: OLDKEY\n");
        assert!(config(&moved, &recorded, || unreachable!()).unwrap_err().contains("leaves out"));
    }

    #[test]
    fn keys_are_read_from_the_yaml_not_from_lines() {
        // a key written as a flow mapping, and a comment that looks like a key
        let flow = "resources:\n- providers:\n  - aescbc: {keys: [{name: k1, secret: FLOWKEY}]}\n# secret: NOTAKEY\n";
        assert_eq!(secrets(flow).unwrap(), vec!["aescbc:FLOWKEY".to_string()]);
        assert!(secrets("resources: [").is_err(), "unreadable YAML is an error");
        let keyless = "resources:\n- providers:\n  - secretbox:\n      keys:\n      - name: k1\n        secretRef: elsewhere\n";
        assert!(secrets(keyless).unwrap_err().contains("secretbox"), "an encrypting provider whose keys cannot be read");
        assert!(secrets("resources:\n- providers:\n  - identity: {}\n").unwrap().is_empty());
    }
}
