//! RKE1's reading rules, applied to the parsed YAML tree before it is mapped onto the schema.
//! RKE1 read cluster.yml with yaml.v2 (YAML 1.1, non-strict: unknown keys ignored) and then
//! filled in defaults for every empty value; stockade accepts the same files, but says what
//! RKE1 silently ignored and refuses what is almost certainly a typo.
use serde_yaml::{Mapping, Value};
use std::collections::HashMap;

/// Keys whose values are free-form maps or Kubernetes objects: an empty string in them is a
/// value the user meant (e.g. an extra_args flag without a value), not "use the default".
const FREE_FORM: &[&str] = &[
    "extra_args", "extra_args_array", "win_extra_args", "win_extra_args_array", "labels", "annotations",
    "options", "node_selector", "cloud_provider", "webhook", "audit_log", "admission_configuration",
    "secrets_encryption_config", "event_rate_limit", "tolerations", "update_strategy", "extra_env",
    "extra_binds", "win_extra_env", "win_extra_binds", "custom_config", "policy", "configuration",
];

/// Numbers RKE1 replaced with its default when they were 0 (cluster/defaults.go).
const ZERO_MEANS_DEFAULT: &[&str] = &["addon_job_timeout", "interval_hours", "retention"];

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
    "enforce_docker_version",
    "authentication.options",
    "system_images.wave_node",
    "system_images.wave_cni",
    "system_images.service_sidekick_image",
    "system_images.kubedns_image",
    "system_images.dnsmasq_image",
    "system_images.kubedns_sidecar_image",
    "system_images.kubedns_autoscaler_image",
];

/// A position in the file: 1-based line and column.
pub type Loc = (usize, usize);

/// Warnings, each with its position when it has one.
pub type Warnings = Vec<(Option<Loc>, String)>;

/// Applies merge keys, drops values RKE1 treated as "not set" (null, empty string, a bastion
/// without an address), turns YAML 1.1 booleans into booleans, and maps obsolete keys.
/// Returns the warnings (one line each, without the file name, with the position when there is
/// one), or the error for a quoted string given to a boolean key (yaml.v2 refused those).
/// `text` is the file as written: the tree no longer says whether a scalar was quoted.
pub fn normalize(root: &mut Value, text: &str) -> Result<Warnings, (Loc, String)> {
    let mut warnings = Vec::new();
    let mut reader = Reader { text, seen: HashMap::new() };
    reader.drop_empty(root, "")?;
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
        // one warning, at the first of them; each named with its own line:column
        let located: Warnings = obsolete.into_iter().map(|k| (locate_path(text, &k), k)).collect();
        let names: Vec<String> = located
            .iter()
            .map(|(loc, k)| match loc {
                Some((l, c)) => format!("{k} ({l}:{c})"),
                None => k.clone(),
            })
            .collect();
        let first = located.iter().filter_map(|(l, _)| *l).min();
        warnings.push((first, format!("obsolete keys from RKE before v0.1, ignored as RKE1 ignored them: {}", names.join(", "))));
    }
    Ok(warnings)
}

/// Walks the tree with the file's text at hand.
struct Reader<'a> {
    text: &'a str,
    /// how many `key: value` pairs were already looked up in the text, per pair
    seen: HashMap<(String, String), usize>,
}

impl Reader<'_> {
    fn drop_empty(&mut self, v: &mut Value, key: &str) -> Result<(), (Loc, String)> {
        if FREE_FORM.contains(&key) {
            return Ok(());
        }
        match v {
            Value::Mapping(m) => {
                m.retain(|k, v| {
                    let zero = v.as_u64() == Some(0) && k.as_str().is_some_and(|k| ZERO_MEANS_DEFAULT.contains(&k));
                    !matches!(v, Value::Null) && v.as_str() != Some("") && !zero
                });
                for (k, v) in m.iter_mut() {
                    let k = k.as_str().unwrap_or("");
                    if BOOLEAN_KEYS.contains(&k) {
                        self.boolean(k, v)?;
                    }
                    self.drop_empty(v, k)?;
                }
            }
            Value::Sequence(s) => {
                for v in s {
                    self.drop_empty(v, "")?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// yaml.v2's YAML 1.1 booleans: plain `yes`/`no`/`on`/`off` (and `y`/`n`) are booleans; a
    /// quoted one, like a quoted `'true'`, is a string, which yaml.v2 refused for a boolean.
    fn boolean(&mut self, key: &str, v: &mut Value) -> Result<(), (Loc, String)> {
        let Some(word) = v.as_str() else { return Ok(()) };
        let b = match word {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => true,
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => false,
            // a string `true` can only have been quoted (plain `true` is already a boolean)
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => {
                let loc = self.find(key, word).map(|(loc, _)| loc).unwrap_or((1, 1));
                return Err(quoted_boolean(loc, key, word));
            }
            _ => return Ok(()),
        };
        match self.find(key, word) {
            Some((loc, true)) => Err(quoted_boolean(loc, key, word)),
            _ => {
                *v = Value::Bool(b);
                Ok(())
            }
        }
    }

    /// The next not yet seen `key: word` in the text: its position and whether it is quoted.
    fn find(&mut self, key: &str, word: &str) -> Option<(Loc, bool)> {
        let n = self.seen.entry((key.to_string(), word.to_string())).or_default();
        let found = scalar_at(self.text, key, word, *n);
        *n += 1;
        found
    }
}

fn quoted_boolean(loc: Loc, key: &str, word: &str) -> (Loc, String) {
    (loc, format!("`{key}` takes a boolean, but '{word}' is quoted, which makes it a string (RKE1's YAML reader refused it too): write {word} without quotes"))
}

/// The `nth` (0-based) place where `key` is given the scalar `word`, quoted or not, in block
/// (`key: word`) or flow (`{key: word}`) style: its 1-based position and whether it is quoted.
/// Comments and the text of block scalars (`addons: |`, a manifest inside cluster.yml) are
/// skipped.
fn scalar_at(text: &str, key: &str, word: &str, nth: usize) -> Option<(Loc, bool)> {
    let mut seen = 0;
    // the indentation of the key whose block scalar the following lines belong to
    let mut in_block: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(b) = in_block {
            if line.trim().is_empty() || indent > b {
                continue;
            }
            in_block = None;
        }
        let value = line.split(" #").next().unwrap_or(line).trim_end();
        if value.rsplit(':').next().is_some_and(|v| {
            let v = v.trim();
            v.starts_with(['|', '>']) && v[1..].chars().all(|c| matches!(c, '-' | '+' | '0'..='9'))
        }) {
            in_block = Some(indent);
        }
        let code = match line.find(" #") {
            Some(c) => &line[..c],
            None if line.trim_start().starts_with('#') => continue,
            None => line,
        };
        let mut from = 0;
        while let Some(off) = code[from..].find(key) {
            let at = from + off;
            from = at + key.len();
            let before = code[..at].chars().next_back();
            if !matches!(before, None | Some(' ' | '\t' | '{' | ',' | '-' | '"' | '\'')) {
                continue;
            }
            let rest = code[from..].trim_start_matches(['"', '\'']).trim_start();
            let Some(value) = rest.strip_prefix(':') else { continue };
            let value = value.trim_start();
            let value = value.split([',', '}']).next().unwrap_or(value).trim_end();
            let (quoted, bare) = match value.as_bytes().first() {
                Some(q @ (b'"' | b'\'')) => (true, value[1..].strip_suffix(*q as char).unwrap_or(&value[1..])),
                _ => (false, value),
            };
            if bare == word {
                if seen == nth {
                    return Some(((i + 1, at + 1), quoted));
                }
                seen += 1;
            }
        }
    }
    None
}

/// Where the key at a dotted `path` (`system_images.kubedns_image`) is written: each segment
/// searched inside the block of the one before (the lines indented deeper than it).
pub fn locate_path(text: &str, path: &str) -> Option<Loc> {
    let lines: Vec<&str> = text.lines().collect();
    let (mut start, mut end, mut parent_indent) = (0, lines.len(), None::<usize>);
    let mut found = None;
    for seg in path.split('.') {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().take(end).skip(start) {
            let body = line.trim_start();
            let indent = line.len() - body.len();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            if parent_indent.is_some_and(|p| indent <= p) && i > start {
                break;
            }
            let key = body.trim_start_matches("- ");
            if key.strip_prefix(seg).is_some_and(|r| r.trim_start().starts_with(':')) && hit.is_none() {
                hit = Some((i, indent + (body.len() - key.len())));
            }
        }
        let (i, col) = hit?;
        found = Some((i + 1, col + 1));
        parent_indent = Some(col);
        start = i + 1;
        end = lines.len();
    }
    found
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

/// One test per numbered rule of issue 11, through the whole reading pipeline.
#[cfg(test)]
mod tests {
    use crate::config::{defaults, load, schema::ClusterConfig, validate};
    use std::path::Path;

    const NODES: &str = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\n";

    fn read(text: &str, strict: bool) -> Result<(ClusterConfig, Vec<String>), String> {
        let p = Path::new("cluster.yml");
        let (mut c, w) = load::parse_with(p, text, strict).map_err(|e| e.to_string())?;
        defaults::apply(&mut c);
        validate::validate(&c, p, text).map_err(|e| e.to_string())?;
        Ok((c, w))
    }

    #[test]
    fn rule1_empty_and_null_mean_default() {
        let t = format!(
            "{NODES}kubernetes_version: \"\"\nservices:\n  kube-api:\n    service_node_port_range: \"\"\n    service_cluster_ip_range: \"\"\n  kube-controller:\n    cluster_cidr: \"\"\n  kubelet:\n    cluster_dns_server: \"\"\n    extra_args:\n      v: \"\"\n  scheduler:\naddons_include:\nssh_key_path: ''\n"
        );
        let (c, w) = read(&format!("{t}addon_job_timeout: 0\n"), false).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.addon_job_timeout, Some(45));
        assert_eq!(c.services.kube_api.service_node_port_range.as_deref(), Some("30000-32767"));
        assert_eq!(c.services.kube_api.service_cluster_ip_range.as_deref(), Some("10.43.0.0/16"));
        assert_eq!(c.services.kube_controller.cluster_cidr.as_deref(), Some("10.42.0.0/16"));
        assert_eq!(c.services.kubelet.cluster_dns_server.as_deref(), Some("10.43.0.10"));
        assert_eq!(c.kubernetes_version.as_deref(), Some(crate::versions::DEFAULT_KUBERNETES_VERSION));
        assert_eq!(c.ssh_key_path.as_deref(), Some("~/.ssh/id_rsa"));
        // an empty extra_args value is a flag the user meant, not "default"
        assert_eq!(c.services.kubelet.extra_args.get("v").map(String::as_str), Some(""));
        // services: with nothing under it
        read(&format!("{NODES}services:\n"), false).unwrap();
    }

    #[test]
    fn rule2_bastion_without_address_is_no_bastion() {
        assert!(read(&format!("{NODES}bastion_host: {{}}\n"), false).unwrap().0.bastion_host.is_none());
        let t = format!("{NODES}bastion_host:\n  address: \"\"\n  user: \"\"\n  port: \"\"\n  ssh_key_path: \"\"\n");
        assert!(read(&t, false).unwrap().0.bastion_host.is_none());
    }

    #[test]
    fn rule3_obsolete_keys_are_named_in_one_warning() {
        let t = format!(
            "{NODES}auth:\n  strategy: x509\nauthentication:\n  strategy: x509\n  options: []\nsystem_images:\n  kubedns_image: a/b:1\n  dnsmasq_image: a/c:1\n  wave_node: w:1\n"
        );
        let (_, w) = read(&t, false).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        // one warning at the first obsolete key, each key with its own line:column
        assert_eq!(
            w[0],
            "cluster.yml:5:1: obsolete keys from RKE before v0.1, ignored as RKE1 ignored them: auth (5:1), authentication.options (9:3), system_images.kubedns_image (11:3), system_images.dnsmasq_image (12:3), system_images.wave_node (13:3)"
        );
        let e = read(&t, true).unwrap_err();
        assert!(e.starts_with("cluster.yml:5:1: obsolete keys") && e.ends_with("(--strict)"), "{e}");
        // `options` elsewhere (ingress) does not take the place of authentication.options
        let t = format!("{NODES}ingress:\n  options:\n    a: b\nauthentication:\n  strategy: x509\n  options: []\n");
        let (_, w) = read(&t, false).unwrap();
        assert!(w[0].starts_with("cluster.yml:10:3: ") && w[0].ends_with("authentication.options (10:3)"), "{w:?}");
    }

    #[test]
    fn rule4_near_typo_is_an_error_other_unknown_keys_warn() {
        let e = read(&format!("{NODES}kubernetes_verison: v1.30.10-rancher1-1\n"), false).unwrap_err();
        assert_eq!(e, "cluster.yml:5:1: unknown key `kubernetes_verison` (did you mean `kubernetes_version`?)");
        let e = read(&format!("{NODES}services:\n  kube-api:\n    service_node_port_rang: 30000-32000\n"), false).unwrap_err();
        assert!(e.starts_with("cluster.yml:7:5: services.kube-api: unknown key `service_node_port_rang` (did you mean"), "{e}");
        let t = format!("{NODES}    my_inventory_group: db\nterraform_managed: true\n");
        let (_, w) = read(&t, false).unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w.iter().any(|w| w.starts_with("cluster.yml:5:5: unknown key `nodes[0].my_inventory_group` ignored")), "{w:?}");
        assert!(w.iter().any(|w| w.starts_with("cluster.yml:6:1: unknown key `terraform_managed` ignored")), "{w:?}");
        assert!(read(&t, true).unwrap_err().contains("--strict refuses unknown keys"));
    }

    #[test]
    fn rule5_duplicates_merge_as_yaml_v2_and_strict_refuses() {
        let t = format!(
            "{NODES}cluster_name: a\nservices:\n  kube-api:\n    service_node_port_range: 30000-31000\ncluster_name: b\nservices:\n  kubelet:\n    cluster_domain: example.local\n"
        );
        let (c, w) = read(&t, false).unwrap();
        assert_eq!(c.cluster_name.as_deref(), Some("b"));
        assert_eq!(c.services.kube_api.service_node_port_range.as_deref(), Some("30000-31000"));
        assert_eq!(c.services.kubelet.cluster_domain.as_deref(), Some("example.local"));
        assert!(w.iter().any(|w| w.starts_with("cluster.yml:9:1: duplicate key `cluster_name` (first set at line 5, again at line 9)")), "{w:?}");
        assert!(w.iter().any(|w| w.contains("duplicate key `services` (first set at line 6, again at line 10)")), "{w:?}");
        let e = read(&t, true).unwrap_err();
        assert!(e.starts_with("cluster.yml:9:1: duplicate key `cluster_name`") && e.contains("--strict"), "{e}");
    }

    #[test]
    fn rule6_roles_as_rke1_validates_them() {
        read("nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane]\n", false).unwrap();
        let e = read("nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [controlplane, worker]\n", false).unwrap_err();
        assert!(e.contains("no host has the `etcd` role"), "{e}");
        let e = read("nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, worker]\n", false).unwrap_err();
        assert!(e.contains("no host has the `controlplane` role"), "{e}");
    }

    #[test]
    fn rule7_yaml_1_1_as_yaml_v2_reads_it() {
        let t = "common: &user\n  user: root\n  port: 22\nnodes:\n  - address: 10.0.0.1\n    <<: *user\n    role: [etcd, controlplane, worker]\nignore_docker_version: yes\nssh_agent_auth: off\n---\n";
        // `common` is unknown (an anchor holder): ignored with a warning, as RKE1 did
        let (c, w) = read(t, false).unwrap();
        assert_eq!(c.nodes[0].user, "root");
        assert_eq!(c.ignore_docker_version, Some(true));
        assert_eq!(c.ssh_agent_auth, Some(false));
        assert_eq!(w.len(), 1, "{w:?}");
        // quoted, `yes` or `true` is a string: yaml.v2 refused it for a boolean, so does stockade
        for quoted in ["'true'", "\"yes\"", "'off'", "\"False\""] {
            let e = read(&format!("{NODES}ignore_docker_version: {quoted}\n"), false).unwrap_err();
            let word = quoted.trim_matches(['\'', '"']);
            assert_eq!(
                e,
                format!("cluster.yml:5:1: `ignore_docker_version` takes a boolean, but '{word}' is quoted, which makes it a string (RKE1's YAML reader refused it too): write {word} without quotes")
            );
        }
        // located in a node's mapping and in flow style, and told apart from the same word unquoted
        let t = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\n    ssh_agent_auth: yes\n  - {address: 10.0.0.2, user: root, role: [worker], ssh_agent_auth: 'yes'}\n";
        let e = read(t, false).unwrap_err();
        assert!(e.starts_with("cluster.yml:6:53: `ssh_agent_auth` takes a boolean, but 'yes' is quoted"), "{e}");
        let (c, _) = read(&t.replace("'yes'", "on"), false).unwrap();
        assert_eq!((c.nodes[0].ssh_agent_auth, c.nodes[1].ssh_agent_auth), (Some(true), Some(true)));
        // nor a manifest in a block scalar that sets the same key
        let t = format!("addons: |-\n  kind: X\n  ssh_agent_auth: 'yes'\n{NODES}ssh_agent_auth: yes\n");
        assert_eq!(read(&t, false).unwrap().0.ssh_agent_auth, Some(true));
        let e = read(&format!("addons: |\n  a: 'yes'\n\n  b: c\n{NODES}ssh_agent_auth: 'yes'\n"), false).unwrap_err();
        assert!(e.starts_with("cluster.yml:9:1: `ssh_agent_auth` takes a boolean"), "{e}");
        // a comment saying `'yes'` is not the value
        let (c, _) = read(&format!("{NODES}# ignore_docker_version: 'yes'\nignore_docker_version: no # not 'yes'\n"), false).unwrap();
        assert_eq!(c.ignore_docker_version, Some(false));
        // a string value is fine where the key is not a boolean (an extra_args flag)
        read(&format!("{NODES}services:\n  kubelet:\n    extra_args:\n      enabled: 'true'\n"), false).unwrap();
    }

    #[test]
    fn rule8_authorization_at_default_is_not_warned() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cluster.yml");
        std::fs::write(&p, format!("{NODES}authorization:\n  mode: rbac\n")).unwrap();
        assert!(crate::config::load_with(&p, false).unwrap().not_applied.is_empty());
        std::fs::write(&p, format!("{NODES}authorization:\n  mode: none\n")).unwrap();
        assert!(crate::config::load_with(&p, false).unwrap().not_applied.contains(&"authorization.mode".to_string()));
    }
}
