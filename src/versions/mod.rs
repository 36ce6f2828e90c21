//! Which images a Kubernetes version runs with: RKE1's version metadata (KDM) as data.
//! `system_images.json` holds the newest RKE1 release of each minor; a user's `system_images`
//! entries always win over it.
use crate::config::schema::ClusterConfig;
use serde_json::{Map, Value};
use std::sync::OnceLock;

pub const DEFAULT_KUBERNETES_VERSION: &str = "v1.31.1-rancher1-1";

fn table() -> &'static Map<String, Value> {
    static T: OnceLock<Map<String, Value>> = OnceLock::new();
    T.get_or_init(|| {
        let v: Value = serde_json::from_str(include_str!("system_images.json")).expect("embedded table is JSON");
        v["system_images"].as_object().cloned().unwrap_or_default()
    })
}

/// The Kubernetes versions stockade has a default image set for.
pub fn known_versions() -> Vec<String> {
    table().keys().cloned().collect()
}

pub fn is_known(version: &str) -> bool {
    table().contains_key(version)
}

/// Fills every `system_images` key the user left empty from the table for the configured
/// version, prefixed with the default private registry as RKE does.
pub fn fill_system_images(cfg: &mut ClusterConfig) {
    let version = cfg.kubernetes_version.clone().unwrap_or_default();
    let Some(Value::Object(defaults)) = table().get(&version) else { return };
    let registry = cfg.private_registries.iter().find(|r| r.is_default).map(|r| r.url.trim_end_matches('/').to_string());
    let mut current = match serde_json::to_value(&cfg.system_images) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (key, image) in defaults {
        if current.get(key).is_none_or(|v| v.as_str().unwrap_or("").is_empty()) {
            let image = image.as_str().unwrap_or_default();
            let image = match &registry {
                Some(r) if !r.is_empty() && r != "docker.io" => format!("{r}/{image}"),
                _ => image.to_string(),
            };
            current.insert(key.clone(), Value::String(image));
        }
    }
    if let Ok(images) = serde_json::from_value(Value::Object(current)) {
        cfg.system_images = images;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn default_version_is_in_the_table() {
        assert!(is_known(DEFAULT_KUBERNETES_VERSION), "{:?}", known_versions());
    }
    #[test]
    fn user_images_win_and_registry_prefixes_the_rest() {
        let mut c = ClusterConfig::default();
        c.kubernetes_version = Some(DEFAULT_KUBERNETES_VERSION.into());
        c.system_images.etcd = Some("mine/etcd:1".into());
        c.private_registries.push(crate::config::schema::PrivateRegistry {
            url: "reg.example:5000".into(),
            is_default: true,
            ..Default::default()
        });
        fill_system_images(&mut c);
        assert_eq!(c.system_images.etcd.as_deref(), Some("mine/etcd:1"));
        assert_eq!(c.system_images.alpine.as_deref(), Some("reg.example:5000/rancher/rke-tools:v0.1.100"));
    }
}
