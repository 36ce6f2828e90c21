//! kube-apiserver's optional features as RKE1 configures them (rancher/rke `cluster/defaults.go`,
//! `cluster/plan.go`, `cluster/hosts.go`, read for facts): the audit log, the admission
//! configuration file and the token-authentication webhook.
//!
//! - Audit log: on by default (RKE1 enables it for every version it still supports); a user's
//!   `audit_log:` block decides with its `enabled` (absent means false, as RKE1 reads it). The
//!   flags come from `configuration` whenever there is one — RKE1's default configuration when
//!   the log is enabled without one — and the bind mount and the policy file only when enabled.
//!   A configuration that leaves a field out gets what RKE1 gives it (0, or an empty path):
//!   the same flags, so a cluster RKE1 made keeps its kube-apiserver.
//! - Admission configuration: RKE1's consolidated file — EventRateLimit's configuration always
//!   (the user's when enabled with one, else RKE1's default limits), PodSecurity's from 1.23 —
//!   rendered the way RKE1's YAML library writes it (keys sorted, `""` for an empty string), so
//!   the file on the host has the same bytes as RKE1's.
use crate::config::ClusterConfig;
use serde_json::{json, Value};

/// RKE1's audit log configuration when nothing else is given.
const DEFAULT_AUDIT: (i64, i64, i64, &str, &str) = (30, 10, 100, "/var/log/kube-audit/audit-log.json", "json");

fn audit_block(cfg: &ClusterConfig) -> Option<&serde_yaml::Value> {
    cfg.services.kube_api.audit_log.as_ref()
}

/// Whether the audit log is written (bind mount, policy file, checksum).
pub fn enabled(cfg: &ClusterConfig) -> bool {
    match audit_block(cfg) {
        None => true,
        Some(b) => b.get("enabled").and_then(|e| e.as_bool()).unwrap_or(false),
    }
}

/// kube-apiserver's audit flags, or None when there are none.
pub fn flags(cfg: &ClusterConfig) -> Option<Vec<(&'static str, String)>> {
    let configuration = audit_block(cfg).and_then(|b| b.get("configuration")).filter(|c| !c.is_null());
    let (age, backup, size, path, format) = match configuration {
        Some(c) => {
            let int = |k: &str| c.get(k).and_then(|v| v.as_i64()).unwrap_or(0);
            let text = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            (int("max_age"), int("max_backup"), int("max_size"), text("path"), text("format"))
        }
        None if enabled(cfg) => (DEFAULT_AUDIT.0, DEFAULT_AUDIT.1, DEFAULT_AUDIT.2, DEFAULT_AUDIT.3.to_string(), DEFAULT_AUDIT.4.to_string()),
        None => return None,
    };
    Some(vec![
        ("audit-log-path", path),
        ("audit-log-maxage", age.to_string()),
        ("audit-log-maxbackup", backup.to_string()),
        ("audit-log-maxsize", size.to_string()),
        ("audit-log-format", format),
        ("audit-policy-file", format!("/etc/kubernetes/{}", super::files::AUDIT_POLICY)),
    ])
}

/// `services.kube-api.event_rate_limit.enabled`.
pub fn event_rate_limit_enabled(cfg: &ClusterConfig) -> bool {
    cfg.services.kube_api.event_rate_limit.as_ref().and_then(|e| e.get("enabled")).and_then(|e| e.as_bool()).unwrap_or(false)
}

pub struct AuthnWebhook {
    pub config_file: String,
    pub cache_timeout: String,
}

/// The token-authentication webhook: `authentication.webhook`, or the `webhook` strategy, with
/// RKE1's defaults (a kubeconfig for Rancher's local authenticator, a 5 s cache).
pub fn authn_webhook(cfg: &ClusterConfig) -> Option<AuthnWebhook> {
    let authn = cfg.authentication.as_ref();
    let by_strategy = authn.and_then(|a| a.strategy.as_deref()).is_some_and(|s| s.split('|').any(|p| p.trim() == "webhook"));
    let w = authn.and_then(|a| a.webhook.as_ref());
    if w.is_none() && !by_strategy {
        return None;
    }
    let text = |k: &str| w.and_then(|w| w.get(k)).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(String::from);
    Some(AuthnWebhook {
        config_file: deployed(text("config_file").unwrap_or_else(|| DEFAULT_WEBHOOK_CONFIG.to_string())),
        cache_timeout: text("cache_timeout").unwrap_or_else(|| "5s".to_string()),
    })
}

/// RKE1's default webhook kubeconfig: Rancher's authenticator on the host.
const DEFAULT_WEBHOOK_CONFIG: &str = "
apiVersion: v1
kind: Config
clusters:
- name: Default
  cluster:
    insecure-skip-tls-verify: true
    server: http://127.0.0.1:6440/v1/authenticate
users:
- name: Default
  user:
    insecure-skip-tls-verify: true
current-context: webhook
contexts:
- name: webhook
  context:
    user: Default
    cluster: Default
";

/// `/etc/kubernetes/admission.yaml`. The user's own plugins under `admission_configuration`
/// are kept; their EventRateLimit or PodSecurity entry replaces RKE1's.
pub fn admission_config(cfg: &ClusterConfig) -> String {
    let user: Vec<Value> = cfg
        .services
        .kube_api
        .admission_configuration
        .as_ref()
        .and_then(|a| a.get("plugins"))
        .and_then(|p| serde_json::to_value(p).ok())
        .and_then(|p| p.as_array().cloned())
        .unwrap_or_default();
    let named = |name: &str| user.iter().find(|p| p.get("name").and_then(|n| n.as_str()) == Some(name)).cloned();
    let mut plugins: Vec<Value> = user.iter().filter(|p| !matches!(p.get("name").and_then(|n| n.as_str()), Some("EventRateLimit" | "PodSecurity"))).cloned().collect();
    plugins.push(named("EventRateLimit").unwrap_or_else(|| plugin("EventRateLimit", event_rate_limit(cfg))));
    if let Some(api) = super::versioned::pod_security_api(cfg) {
        plugins.push(named("PodSecurity").unwrap_or_else(|| plugin("PodSecurity", pod_security(cfg, api))));
    }
    let doc = json!({ "apiVersion": "apiserver.config.k8s.io/v1", "kind": "AdmissionConfiguration", "plugins": plugins });
    deployed(go_yaml(&doc))
}

/// A configuration file's bytes as RKE1's file-deployer leaves them on the host: it writes the
/// content with `echo -e "$FILE_DEPLOY"`, which adds a newline. The same bytes as RKE1's file
/// mean an adopted kube-apiserver that reads it is not restarted for a rewrite.
pub fn deployed(content: String) -> String {
    content + "\n"
}

/// `/etc/kubernetes/audit-policy.yaml`: `audit_log.configuration.policy`, else RKE1's default
/// (every request at the Metadata level), as RKE1 writes its audit Policy object (with the
/// empty `metadata.creationTimestamp` its object type always carries).
pub fn audit_policy(cfg: &ClusterConfig) -> String {
    let user = audit_block(cfg).and_then(|b| b.get("configuration")).and_then(|c| c.get("policy")).and_then(|p| serde_json::to_value(p).ok());
    let mut policy = user.unwrap_or_else(|| json!({ "apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{ "level": "Metadata" }] }));
    if let Some(m) = policy.as_object_mut() {
        let meta = m.entry("metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.entry("creationTimestamp").or_insert(Value::Null);
        }
    }
    deployed(go_yaml(&policy))
}

fn plugin(name: &str, configuration: Value) -> Value {
    json!({ "name": name, "path": "", "configuration": configuration })
}

fn event_rate_limit(cfg: &ClusterConfig) -> Value {
    let user = cfg.services.kube_api.event_rate_limit.as_ref().filter(|_| event_rate_limit_enabled(cfg)).and_then(|e| e.get("configuration")).filter(|c| !c.is_null());
    match user.and_then(|c| serde_json::to_value(c).ok()) {
        Some(c) => c,
        None => json!({
            "apiVersion": "eventratelimit.admission.k8s.io/v1alpha1",
            "kind": "Configuration",
            "limits": [{ "type": "Server", "qps": 5000, "burst": 20000 }],
        }),
    }
}

/// RKE1's PodSecurity defaults: `privileged`, or `restricted` (also audited and warned) with
/// the system namespaces exempt.
fn pod_security(cfg: &ClusterConfig, api: &str) -> Value {
    let restricted = cfg.services.kube_api.pod_security_configuration.as_deref() == Some("restricted");
    if restricted {
        json!({
            "apiVersion": api, "kind": "PodSecurityConfiguration",
            "defaults": { "enforce": "restricted", "enforce-version": "latest", "audit": "restricted", "audit-version": "latest", "warn": "restricted", "warn-version": "latest" },
            "exemptions": { "namespaces": ["ingress-nginx", "kube-system"] },
        })
    } else {
        json!({
            "apiVersion": api, "kind": "PodSecurityConfiguration",
            "defaults": { "enforce": "privileged", "enforce-version": "latest" },
            "exemptions": {},
        })
    }
}

/// YAML as RKE1's library writes it (JSON → YAML, map keys sorted, block style): the same
/// bytes for the same document. serde_json's map is sorted; only the empty-string spelling differs.
fn go_yaml(doc: &Value) -> String {
    let text = serde_yaml::to_string(doc).unwrap_or_default();
    text.lines().map(|l| l.strip_suffix(": ''").map(|k| format!("{k}: \"\"")).unwrap_or_else(|| l.to_string())).collect::<Vec<_>>().join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    fn at(v: &str) -> ClusterConfig {
        ClusterConfig { kubernetes_version: Some(v.into()), ..Default::default() }
    }

    #[test]
    fn admission_file_is_rke1s_for_1_20() {
        assert_eq!(
            admission_config(&at("v1.20.15-rancher2-2")),
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- configuration:\n    apiVersion: eventratelimit.admission.k8s.io/v1alpha1\n    kind: Configuration\n    limits:\n    - burst: 20000\n      qps: 5000\n      type: Server\n  name: EventRateLimit\n  path: \"\"\n\n"
        );
        let c = at("v1.20.15-rancher2-2");
        assert_eq!(audit_policy(&c), "apiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata:\n  creationTimestamp: null\nrules:\n- level: Metadata\n\n");
    }

    #[test]
    fn pod_security_follows_the_minor_and_level() {
        let v1 = admission_config(&at("v1.25.16-rancher2-3"));
        assert!(v1.contains("apiVersion: pod-security.admission.config.k8s.io/v1\n") && v1.contains("enforce: privileged\n") && v1.contains("exemptions: {}\n"), "{v1}");
        assert!(admission_config(&at("v1.24.17-rancher1-1")).contains("apiVersion: pod-security.admission.config.k8s.io/v1beta1\n"));
        assert!(!admission_config(&at("v1.22.17-rancher1-2")).contains("PodSecurity"));
        let mut c = at("v1.30.5-rancher1-1");
        c.services.kube_api.pod_security_configuration = Some("restricted".into());
        let r = admission_config(&c);
        assert!(r.contains("warn: restricted\n") && r.contains("namespaces:\n      - ingress-nginx\n      - kube-system\n"), "{r}");
    }

    #[test]
    fn audit_log_as_rke1_reads_it() {
        let mut c = at("v1.20.15-rancher2-2");
        assert!(enabled(&c));
        assert_eq!(flags(&c).unwrap()[0], ("audit-log-path", "/var/log/kube-audit/audit-log.json".to_string()));
        c.services.kube_api.audit_log = Some(serde_yaml::from_str("enabled: false").unwrap());
        assert!(!enabled(&c) && flags(&c).is_none());
        c.services.kube_api.audit_log = Some(serde_yaml::from_str("enabled: true\nconfiguration:\n  max_age: 5\n  path: /x/a.log\n  format: legacy").unwrap());
        let f = flags(&c).unwrap();
        assert!(f.contains(&("audit-log-maxage", "5".into())) && f.contains(&("audit-log-maxbackup", "0".into())) && f.contains(&("audit-log-path", "/x/a.log".into())), "{f:?}");
    }

    #[test]
    fn webhook_by_block_or_strategy_with_rke1_defaults() {
        let mut c = at("v1.20.15-rancher2-2");
        assert!(authn_webhook(&c).is_none());
        c.authentication = Some(crate::config::schema::Authentication { strategy: Some("x509|webhook".into()), ..Default::default() });
        let w = authn_webhook(&c).unwrap();
        assert_eq!(w.cache_timeout, "5s");
        assert!(w.config_file.contains("http://127.0.0.1:6440/v1/authenticate"));
    }
}
