//! What stockade does with each key of cluster.yml: applied, accepted but not applied yet
//! (named in a warning), or refused until applied. One table, checked against the schema by a
//! test, so a key can never be ignored without a word.

use Use::{Applied, NotApplied};

/// What stockade does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Applied,
    /// parsed and kept, named in `up`'s warning
    NotApplied,
}

/// Every key path of the schema (`nodes[].address`; a prefix covers everything under it), and
/// what stockade does with it. The most specific entry wins.
pub const KEYS: &[(&str, Use)] = &[
    ("addon_job_timeout", NotApplied),
    ("addons", NotApplied),
    ("addons_include", NotApplied),
    ("authentication.sans", Applied),
    // x509 certificates always; `webhook` adds kube-apiserver's token webhook as RKE1 does
    ("authentication.strategy", Applied),
    ("authentication.webhook", Applied),
    ("authorization.mode", NotApplied),
    ("authorization.options", NotApplied),
    ("bastion_host", Applied),
    ("cloud_provider", NotApplied),
    ("cluster_name", Applied),
    ("cri_dockerd_stream_server_address", Applied),
    ("cri_dockerd_stream_server_port", Applied),
    ("dns", NotApplied),
    ("enable_cri_dockerd", Applied),
    ("ignore_docker_version", Applied),
    ("ingress", NotApplied),
    ("kubernetes_version", Applied),
    ("monitoring", NotApplied),
    ("network", NotApplied),
    ("nodes", Applied),
    ("nodes[].labels", NotApplied),
    ("nodes[].taints", NotApplied),
    ("prefix_path", Applied),
    ("private_registries", Applied),
    // RKE1 prefixes every system image with the default registry's address
    ("private_registries[].is_default", NotApplied),
    ("private_registries[].ecr_credential_plugin", NotApplied),
    // RKE1's declarative restore: `up` restores the snapshot first, once
    ("restore", Applied),
    ("rotate_certificates", NotApplied),
    ("rotate_encryption_key", NotApplied),
    ("services", Applied),
    // recurring snapshots (`stockade-etcd-snapshots`), snapshot-save/restore's timeout and S3;
    // stockade extension: STOCKADE_SNAPSHOT_INTERVAL_SECONDS in `up`'s environment overrides
    // interval_hours (for tests)
    ("services.etcd.backup_config", Applied),
    // stockade extension: recurring snapshots encrypted with age to these public keys
    ("services.etcd.backup_config.age_recipients", Applied),
    // RKE1 names recurring snapshots with `:` or, with it, `-`: stockade always uses `-`
    ("services.etcd.backup_config.safe_timestamp", NotApplied),
    ("services.etcd.snapshot", Applied),
    ("services.etcd.creation", NotApplied),
    ("services.etcd.retention", NotApplied),
    // an external etcd's settings (external_urls is refused)
    ("services.etcd.external_urls", NotApplied),
    ("services.etcd.ca_cert", NotApplied),
    ("services.etcd.cert", NotApplied),
    ("services.etcd.key", NotApplied),
    ("services.etcd.path", NotApplied),
    ("services.kube-api.always_pull_images", Applied),
    ("services.kube-api.event_rate_limit", Applied),
    ("services.kube-api.pod_security_policy", NotApplied),
    ("services.kubelet.generate_serving_certificate", Applied),
    ("services.etcd.win_extra_args", NotApplied),
    ("services.etcd.win_extra_args_array", NotApplied),
    ("services.etcd.win_extra_binds", NotApplied),
    ("services.etcd.win_extra_env", NotApplied),
    ("services.kube-api.win_extra_args", NotApplied),
    ("services.kube-api.win_extra_args_array", NotApplied),
    ("services.kube-api.win_extra_binds", NotApplied),
    ("services.kube-api.win_extra_env", NotApplied),
    ("services.kube-controller.win_extra_args", NotApplied),
    ("services.kube-controller.win_extra_args_array", NotApplied),
    ("services.kube-controller.win_extra_binds", NotApplied),
    ("services.kube-controller.win_extra_env", NotApplied),
    ("services.kubelet.win_extra_args", NotApplied),
    ("services.kubelet.win_extra_args_array", NotApplied),
    ("services.kubelet.win_extra_binds", NotApplied),
    ("services.kubelet.win_extra_env", NotApplied),
    ("services.kubeproxy.win_extra_args", NotApplied),
    ("services.kubeproxy.win_extra_args_array", NotApplied),
    ("services.kubeproxy.win_extra_binds", NotApplied),
    ("services.kubeproxy.win_extra_env", NotApplied),
    ("services.scheduler.win_extra_args", NotApplied),
    ("services.scheduler.win_extra_args_array", NotApplied),
    ("services.scheduler.win_extra_binds", NotApplied),
    ("services.scheduler.win_extra_env", NotApplied),
    ("ssh_agent_auth", Applied),
    ("ssh_cert_path", Applied),
    ("ssh_key_path", Applied),
    // the images of features not applied yet are named under those features' keys
    ("system_images", Applied),
    ("upgrade_strategy.max_unavailable_worker", Applied),
    ("upgrade_strategy.max_unavailable_controlplane", Applied),
    ("upgrade_strategy.drain", Applied),
    ("upgrade_strategy.node_drain_input", Applied),
    ("win_prefix_path", NotApplied),
];

/// Values that ask for nothing (`false`, empty) or for what stockade does anyway.
fn asks_for_nothing(path: &str, v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty() || (path == "authorization.mode" && s == "rbac") || (path == "authentication.strategy" && s == "x509"),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The table entries of the keys `config` sets that stockade does not apply, in key order.
/// A key the table does not know counts as not applied (fail loud, never silent).
pub fn not_applied(config: &crate::config::ClusterConfig) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let Ok(doc) = serde_json::to_value(config) else { return found };
    let mut leaves = Vec::new();
    walk(&doc, String::new(), &mut leaves);
    for (path, value) in leaves {
        if asks_for_nothing(&path, value) {
            continue;
        }
        let entry = KEYS
            .iter()
            .filter(|(k, _)| covers(k, &path))
            .max_by_key(|(k, _)| k.len());
        let name = match entry {
            Some((_, Use::Applied)) => continue,
            Some((k, Use::NotApplied)) => k.to_string(),
            None => path.clone(),
        };
        if !found.contains(&name) {
            found.push(name);
        }
    }
    found
}

fn covers(key: &str, path: &str) -> bool {
    path == key || path.strip_prefix(key).is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]"))
}

/// Leaf values with their key paths; list items of mappings become `key[].field`, free-form
/// maps are walked too (their entries are covered by their key's prefix).
fn walk<'v>(v: &'v serde_json::Value, path: String, out: &mut Vec<(String, &'v serde_json::Value)>) {
    use serde_json::Value;
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                walk(child, if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, out);
            }
        }
        Value::Array(a) if a.iter().any(Value::is_object) => {
            for item in a {
                walk(item, format!("{path}[]"), out);
            }
        }
        _ => out.push((path, v)),
    }
}

/// The table's verdict for a key path (`services.etcd.snapshot`, `nodes[].labels.x`).
pub fn lookup(path: &str) -> Option<Use> {
    KEYS.iter().filter(|(k, _)| covers(k, path)).max_by_key(|(k, _)| k.len()).map(|(_, u)| *u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClusterConfig;

    /// Nested YAML setting `path` (dotted, `[]` for a list item) to `leaf`.
    fn yaml_at(path: &str, leaf: &str) -> String {
        let mut out = leaf.to_string();
        for part in path.rsplit('.') {
            out = match part.strip_suffix("[]") {
                Some(k) => format!("{{\"{k}\": [{out}]}}"),
                None => format!("{{\"{part}\": {out}}}"),
            };
        }
        out
    }

    /// The fields serde expects where `path` is, when `path` is a struct (from the error serde
    /// gives for an unknown field: the schema lists itself).
    fn fields(path: &str) -> Option<Vec<String>> {
        let probe = if path.is_empty() { "{\"zz_probe\": 1}".to_string() } else { yaml_at(path, "{\"zz_probe\": 1}") };
        let err = serde_yaml::from_str::<ClusterConfig>(&probe).err()?.to_string();
        let rest = err.split("unknown field `zz_probe`, expected ").nth(1)?;
        Some(rest.split('`').skip(1).step_by(2).map(String::from).collect())
    }

    /// Every leaf key path of the schema.
    pub fn schema_paths() -> Vec<String> {
        let mut out = Vec::new();
        let mut todo = vec![String::new()];
        while let Some(p) = todo.pop() {
            let Some(fs) = fields(&p) else { continue };
            for f in fs {
                let child = if p.is_empty() { f.clone() } else { format!("{p}.{f}") };
                if fields(&child).is_some() {
                    todo.push(child);
                } else if fields(&format!("{child}[]")).is_some() {
                    todo.push(format!("{child}[]"));
                } else {
                    out.push(child);
                }
            }
        }
        out.sort();
        out
    }

    /// The table is complete: every key of the schema has a verdict, and every entry names a
    /// key of the schema (a renamed or removed field fails here, not in a user's cluster).
    #[test]
    fn every_schema_key_is_applied_or_listed() {
        let paths = schema_paths();
        assert!(paths.len() > 200, "schema discovery found only {} keys", paths.len());
        let unknown: Vec<&String> = paths.iter().filter(|p| lookup(p).is_none()).collect();
        assert!(unknown.is_empty(), "keys with no verdict in config::coverage::KEYS: {unknown:?}");
        for (k, _) in KEYS {
            assert!(paths.iter().any(|p| covers(k, p)), "KEYS names `{k}`, which the schema does not have");
        }
    }

    #[test]
    fn set_keys_that_are_not_applied_are_named() {
        let load = |y: &str| crate::config::load::parse(std::path::Path::new("c.yml"), &format!("nodes: []\n{y}")).unwrap();
        assert!(not_applied(&load("")).is_empty());
        let c = load("services:\n  etcd:\n    snapshot: true\n    retention: 24h\n  kube-api:\n    pod_security_policy: true\n    always_pull_images: true\n    service_node_port_range: 30000-32767\nauthorization:\n  mode: rbac\n");
        assert_eq!(not_applied(&c), ["services.etcd.retention", "services.kube-api.pod_security_policy"]);
        assert!(not_applied(&load("services:\n  etcd:\n    snapshot: false\n")).is_empty(), "off asks for nothing");
        let c = load("nodes:\n  - address: a\n    user: u\n    role: [worker]\n    labels: {a: b}\n");
        assert_eq!(not_applied(&c), ["nodes[].labels"]);
    }
}
