//! Which images a Kubernetes version runs with: RKE1's version metadata (KDM) as data.
//! `system_images.json` holds the newest RKE1 release of each minor; a user's `system_images`
//! entries always win over it.
use crate::config::schema::ClusterConfig;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub const DEFAULT_KUBERNETES_VERSION: &str = "v1.31.1-rancher1-1";

fn table() -> &'static Map<String, Value> {
    static T: OnceLock<Map<String, Value>> = OnceLock::new();
    T.get_or_init(|| {
        let v: Value = serde_json::from_str(include_str!("system_images.json")).expect("embedded table is JSON");
        v["system_images"].as_object().cloned().unwrap_or_default()
    })
}

/// RKE1's default flags per component for a version (`service_options` in its metadata),
/// looked up by exact version, then by minor (`v1.31`), as RKE does. Keys are RKE's service
/// names: etcd, kube-api, kube-controller, scheduler, kubelet, kubeproxy.
pub fn service_options(version: &str, service: &str) -> BTreeMap<String, String> {
    static T: OnceLock<Map<String, Value>> = OnceLock::new();
    let t = T.get_or_init(|| serde_json::from_str(include_str!("service_options.json")).expect("embedded table is JSON"));
    let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let entry = t.get(version).or_else(|| t.get(&minor)).or_else(|| t.keys().next_back().and_then(|k| t.get(k)));
    entry
        .and_then(|e| e.get(service))
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default()
}

/// `(major, minor)` of a version string such as `v1.31.1-rancher1-1`.
pub fn minor_of(version: &str) -> (u32, u32) {
    let mut it = version.trim_start_matches('v').split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(1), it.next().unwrap_or(0))
}

/// The Kubernetes versions stockade has a default image set for.
pub fn known_versions() -> Vec<String> {
    table().keys().cloned().collect()
}

pub fn is_known(version: &str) -> bool {
    table().contains_key(version)
}

/// The default images of a version, by system_images key.
pub fn system_images(version: &str) -> Option<BTreeMap<String, String>> {
    let Some(Value::Object(m)) = table().get(version) else { return None };
    Some(m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
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
    fn service_options_fall_back_to_the_minor() {
        let o = service_options("v1.31.9-rancher1-1", "kube-api");
        assert_eq!(o.get("secure-port").map(String::as_str), Some("6443"));
        assert_eq!(service_options("v1.30.5-rancher1-1", "kubelet").get("enforce-node-allocatable").map(String::as_str), Some(""));
        assert_eq!(minor_of("v1.31.1-rancher1-1"), (1, 31));
    }

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
