//! RKE1's reading rules, applied to the parsed YAML tree before it is mapped onto the schema.
//! RKE1 read cluster.yml with yaml.v2 (YAML 1.1, non-strict: unknown keys ignored) and then
//! filled in defaults for every empty value; stockade accepts the same files, but says what
//! RKE1 silently ignored and refuses what is almost certainly a typo.
use serde_yaml::{Mapping, Value};

/// Keys whose values are free-form maps or Kubernetes objects: an empty string in them is a
/// value the user meant (e.g. an extra_args flag without a value), not "use the default".
const FREE_FORM: &[&str] = &[
    "extra_args", "extra_args_array", "win_extra_args", "win_extra_args_array", "labels", "annotations",
    "options", "node_selector", "cloud_provider", "webhook", "audit_log", "admission_configuration",
    "secrets_encryption_config", "event_rate_limit", "tolerations", "update_strategy", "extra_env",
    "extra_binds", "win_extra_env", "win_extra_binds", "custom_config", "policy", "configuration",
];

/// Keys that hold a boolean somewhere in the schema: yaml.v2 read YAML 1.1's `yes`/`no`/`on`/`off`
/// as booleans there.
const BOOLEAN_KEYS: &[&str] = &[
    "ssh_agent_auth", "ignore_docker_version", "enable_cri_dockerd", "rotate_encryption_key", "enabled",
    "safe_timestamp", "default_backend", "default_ingress_class", "drain", "ignore_proxy_env_vars",
    "pod_security_policy", "always_pull_images", "fail_swap_on", "generate_serving_certificate", "snapshot",
    "insecure_skip_verify", "ignore_daemonsets", "delete_local_data", "force", "caroot", "is_default",
    "ca_certificates", "nodelocal",
];

/// Keys from RKE releases before v0.1 (`rke config` wrote them; files using them still exist).
/// RKE1 later read none of them (yaml.v2 skipped them) and neither does stockade: one warning
/// names them all.
pub const OBSOLETE: &[&str] = &[
    "auth",
    "authentication.options",
    "system_images.wave_node",
    "system_images.wave_cni",
    "system_images.service_sidekick_image",
    "system_images.kubedns_image",
    "system_images.dnsmasq_image",
    "system_images.kubedns_sidecar_image",
    "system_images.kubedns_autoscaler_image",
];

/// Applies merge keys, drops values RKE1 treated as "not set" (null, empty string, a bastion
/// without an address), turns YAML 1.1 booleans into booleans, and maps obsolete keys.
/// Returns the warnings (one line each, without the file name).
pub fn normalize(root: &mut Value) -> Vec<String> {
    let mut warnings = Vec::new();
    drop_empty(root, "");
    if let Some(m) = root.as_mapping_mut() {
        let no_bastion = match m.get("bastion_host") {
            Some(Value::Mapping(b)) => b.get("address").and_then(Value::as_str).unwrap_or("").is_empty(),
            Some(_) => false,
            None => false,
        };
        if no_bastion {
            m.remove("bastion_host");
        }
    }
    let mut obsolete = Vec::new();
    map_obsolete(root, "", &mut obsolete);
    if !obsolete.is_empty() {
        warnings.push(format!(
            "obsolete keys from RKE before v0.1, ignored as RKE1 ignored them: {}",
            obsolete.join(", ")
        ));
    }
    warnings
}

fn drop_empty(v: &mut Value, key: &str) {
    if FREE_FORM.contains(&key) {
        return;
    }
    match v {
        Value::Mapping(m) => {
            m.retain(|_, v| !matches!(v, Value::Null) && v.as_str() != Some(""));
            for (k, v) in m.iter_mut() {
                let k = k.as_str().unwrap_or("");
                if BOOLEAN_KEYS.contains(&k) {
                    yaml11_bool(v);
                }
                drop_empty(v, k);
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(|v| drop_empty(v, "")),
        _ => {}
    }
}

/// yaml.v2's YAML 1.1 booleans. (A quoted 'true' is a string to yaml.v2 and to serde alike.)
fn yaml11_bool(v: &mut Value) {
    let b = match v.as_str() {
        Some("y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON") => true,
        Some("n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF") => false,
        _ => return,
    };
    *v = Value::Bool(b);
}

fn map_obsolete(v: &mut Value, path: &str, found: &mut Vec<String>) {
    match v {
        Value::Mapping(m) => {
            let keys: Vec<String> = m.keys().filter_map(|k| k.as_str().map(str::to_string)).collect();
            for k in keys {
                let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                if OBSOLETE.contains(&here.as_str()) {
                    m.remove(k.as_str());
                    found.push(here);
                } else if let Some(child) = m.get_mut(k.as_str()) {
                    map_obsolete(child, &here, found);
                }
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(|c| map_obsolete(c, path, found)),
        _ => {}
    }
}

/// Removes the key at `path` (serde_yaml's error path, e.g. `nodes[0]` or `services.kube-api`)
/// from the tree. Returns false when the path cannot be followed.
pub fn remove_at(root: &mut Value, path: &str, key: &str) -> bool {
    let mut cur = root;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let (name, index) = match seg.find('[') {
            Some(i) => (&seg[..i], seg[i + 1..].trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        let next = if name.is_empty() { Some(cur) } else { cur.as_mapping_mut().and_then(|m| m.get_mut(name)) };
        let Some(next) = next else { return false };
        cur = match index {
            Some(i) => match next.as_sequence_mut().and_then(|s| s.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            None => next,
        };
    }
    cur.as_mapping_mut().and_then(|m: &mut Mapping| m.remove(key)).is_some()
}
