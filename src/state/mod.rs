//! `cluster.rkestate`: RKE1's JSON shape (`desiredState` / `currentState`, each with
//! `rkeConfig`, `certificatesBundle`, `encryptionConfig`), so a file written by RKE1 is read
//! and its CA and keys reused, and a file written by stockade is still readable by RKE1.
//! Unknown fields are kept as they were. Writes are atomic (temp file, fsync, rename), mode
//! 0600, and the previous version is kept as `<name>.rkestate.bak`.
pub mod lock;

use crate::config::{ClusterConfig, Node};
use std::collections::BTreeSet;
use crate::pki::Bundle;
use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FullState {
    #[serde(rename = "desiredState", default)]
    pub desired: ClusterState,
    #[serde(rename = "currentState", default)]
    pub current: ClusterState,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClusterState {
    #[serde(rename = "rkeConfig", default, skip_serializing_if = "Option::is_none")]
    pub rke_config: Option<Value>,
    #[serde(rename = "certificatesBundle", default, skip_serializing_if = "Bundle::is_empty")]
    pub certificates: Bundle,
    #[serde(rename = "encryptionConfig", default)]
    pub encryption_config: String,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// Where stockade keeps what RKE's format has no field for (RKE ignores unknown fields).
const JOINED_KEY: &str = "stockadeEtcdJoined";
const ROTATION_KEY: &str = "stockadeCertRotation";

/// A certificate rotation whose new certificates are in `desiredState` but not yet on every host
/// (`stockade cert rotate` was interrupted): a rerun deploys these same certificates instead of
/// issuing others, so hosts that already got them keep working with the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRotation {
    pub request: crate::pki::rotate::Request,
    /// the bundle entries the rotation re-issued
    pub certificates: Vec<String>,
    /// the kube-ca certificate (public) the hosts trusted before a CA rotation: their containers
    /// carry its fingerprint, and the rerun must still recognise them as this cluster's
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub previous_ca: String,
}

impl ClusterState {
    /// The hosts this state records (`rkeConfig.nodes`, RKE's camelCase), as cluster.yml nodes.
    ///
    /// Every recorded node or an error: the list feeds the etcd quorum checks and the list of
    /// departed hosts, so a node silently skipped would be a member nobody accounts for.
    pub fn nodes(&self) -> Result<Vec<Node>> {
        let Some(config) = self.rke_config.as_ref().filter(|c| !c.is_null()) else { return Ok(Vec::new()) };
        let nodes = match config.get("nodes") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(other) => return Err(anyhow!("rkeConfig.nodes is not a list but {other}")),
        };
        nodes
            .iter()
            .enumerate()
            .map(|(i, n)| serde_json::from_value(snake_node(n)).map_err(|e| anyhow!("rkeConfig.nodes[{i}] cannot be read: {e}")))
            .collect()
    }

    /// etcd hosts that joined an existing cluster (their etcd runs with state "existing").
    pub fn joined_etcd(&self) -> BTreeSet<String> {
        self.other.get(JOINED_KEY).and_then(Value::as_array).into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect()
    }

    pub fn pending_rotation(&self) -> Option<PendingRotation> {
        self.other.get(ROTATION_KEY).and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub fn set_pending_rotation(&mut self, pending: Option<&PendingRotation>) {
        match pending.map(serde_json::to_value) {
            Some(Ok(v)) => {
                self.other.insert(ROTATION_KEY.into(), v);
            }
            _ => {
                self.other.remove(ROTATION_KEY);
            }
        }
    }

    pub fn set_joined_etcd(&mut self, joined: &BTreeSet<String>) {
        if joined.is_empty() {
            self.other.remove(JOINED_KEY);
        } else {
            self.other.insert(JOINED_KEY.into(), Value::from(joined.iter().cloned().collect::<Vec<_>>()));
        }
    }
}

/// A recorded node's keys back to cluster.yml's names; keys stockade does not know are dropped.
fn snake_node(n: &Value) -> Value {
    const KEYS: [&str; 15] = [
        "address", "port", "internal_address", "role", "hostname_override", "user", "docker_socket", "ssh_agent_auth", "ssh_key",
        "ssh_key_path", "ssh_cert", "ssh_cert_path", "labels", "taints", "nodeName",
    ];
    let mut out = serde_json::Map::new();
    for (k, v) in n.as_object().into_iter().flatten() {
        let snake = if k == "nodeName" { k.clone() } else { k.chars().flat_map(|c| if c.is_ascii_uppercase() { vec!['_', c.to_ascii_lowercase()] } else { vec![c] }).collect() };
        if KEYS.contains(&snake.as_str()) && !v.is_null() {
            out.insert(snake, v.clone());
        }
    }
    Value::Object(out)
}

impl FullState {
    /// The rotation recorded in `desiredState` whose certificates the last successful run did
    /// not deploy yet (some re-issued entry differs between desired and current), if any.
    pub fn unfinished_rotation(&self) -> Option<PendingRotation> {
        let p = self.desired.pending_rotation()?;
        let differs = |n: &String| self.desired.certificates.get(n).map(|c| &c.certificate_pem) != self.current.certificates.get(n).map(|c| &c.certificate_pem);
        p.certificates.iter().any(differs).then_some(p)
    }

    /// The certificates to build on: the desired set (the newest, possibly partly deployed
    /// by an interrupted run), else the current one.
    pub fn certificates(&self) -> Bundle {
        if !self.desired.certificates.is_empty() {
            self.desired.certificates.clone()
        } else {
            self.current.certificates.clone()
        }
    }
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

/// Reads the state file; `None` when there is none yet.
pub fn load(path: &Path) -> Result<Option<FullState>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow!("cannot read state file {}: {e}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&text).map(Some).map_err(|e| {
        // bad input, not a failure: exit code 2
        anyhow::Error::from(crate::exit::Invalid(format!(
            "{}:{}:{}: the state file is not valid JSON ({e}); the previous version is {}",
            path.display(),
            e.line(),
            e.column(),
            backup_path(path).display()
        )))
    })
}

/// Writes `state` atomically with mode 0600, keeping the previous file as `.bak`.
pub fn save(path: &Path, state: &FullState) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(state)?;
    json.push(b'\n');
    if path.exists() {
        let old = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if old == json {
            return Ok(());
        }
        write_atomic(&backup_path(path), &old)?;
    }
    write_atomic(path, &json)
}

/// temp file in the same directory (so rename is atomic), fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".stockade-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| anyhow!("writing {}: {}", path.display(), e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The configuration as RKE stores it in `rkeConfig`: the same keys in camelCase (RKE's JSON
/// tags), except inside maps whose keys are user data (extra_args, labels, ...).
///
/// Never `null`: the recorded configuration is what the next run's decisions start from.
pub fn rke_config_json(cfg: &ClusterConfig) -> Result<Value> {
    let v = serde_json::to_value(cfg).map_err(|e| anyhow!("recording the cluster configuration in the state: {e}"))?;
    Ok(camel(v, false))
}

/// Fields whose values are maps keyed by user data, or free-form Kubernetes objects.
const VERBATIM: [&str; 14] = [
    "extra_args", "extra_args_array", "win_extra_args", "win_extra_args_array", "labels", "options", "node_selector",
    "cloud_provider", "secrets_encryption_config", "audit_log", "admission_configuration", "event_rate_limit", "tolerations",
    "update_strategy",
];

fn camel(v: Value, verbatim: bool) -> Value {
    match v {
        Value::Object(m) if !verbatim => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let keep = VERBATIM.contains(&k.as_str());
                    (camel_key(&k), camel(v, keep))
                })
                .collect(),
        ),
        Value::Array(a) if !verbatim => Value::Array(a.into_iter().map(|v| camel(v, false)).collect()),
        other => other,
    }
}

fn camel_key(k: &str) -> String {
    match k {
        "s3backupconfig" => return "s3BackupConfig".into(),
        "nodeName" | "timeAdded" => return k.into(),
        _ => {}
    }
    let mut out = String::new();
    let mut upper = false;
    for c in k.chars() {
        if c == '_' || c == '-' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keeps_user_keys() {
        let mut c = ClusterConfig::default();
        c.ssh_key_path = Some("~/.ssh/id".into());
        c.services.kube_api.extra_args.insert("audit_log_path".into(), "x".into());
        let v = rke_config_json(&c).unwrap();
        assert_eq!(v["sshKeyPath"], "~/.ssh/id");
        assert_eq!(v["services"]["kubeApi"]["extraArgs"]["audit_log_path"], "x");
    }

    #[test]
    fn save_is_atomic_0600_with_backup() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("cluster.rkestate");
        let mut s = FullState::default();
        save(&p, &s).unwrap();
        s.other.insert("x".into(), Value::from(1));
        save(&p, &s).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(backup_path(&p)).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load(&p).unwrap().unwrap().other["x"], 1);
        assert!(load(&backup_path(&p)).unwrap().unwrap().other.is_empty());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 2, "no temp files left");
    }

    #[test]
    fn reads_rke1_shape_and_keeps_unknown_fields() {
        let t = r#"{"desiredState":{"rkeConfig":{"nodes":[{"address":"1.1.1.1","role":["etcd"],"hostnameOverride":"a"}]},"certificatesBundle":{"kube-ca":{"certificatePEM":"C","keyPEM":"K","name":"kube-ca"}},"somethingNew":1},"currentState":{}}"#;
        let s: FullState = serde_json::from_str(t).unwrap();
        assert_eq!(s.certificates()["kube-ca"].key_pem, "K");
        let nodes = s.desired.nodes().unwrap();
        assert_eq!((nodes[0].address.as_str(), nodes[0].hostname_override.as_deref()), ("1.1.1.1", Some("a")));
        assert_eq!(nodes[0].role, vec!["etcd"]);
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["desiredState"]["somethingNew"], 1);
    }

    #[test]
    fn a_pending_rotation_is_unfinished_until_current_has_its_certificates() {
        use crate::pki::CertificatePki;
        let mut s = FullState::default();
        assert!(s.unfinished_rotation().is_none());
        let cert = |pem: &str| CertificatePki::named("kube-etcd-1", "kube-etcd", "", pem.into(), "K".into());
        s.current.certificates.insert("kube-etcd-1".into(), cert("OLD"));
        s.desired.certificates.insert("kube-etcd-1".into(), cert("NEW"));
        let p = PendingRotation {
            request: crate::pki::rotate::Request { services: [crate::pki::rotate::Service::Etcd].into(), rotate_ca: false },
            certificates: vec!["kube-etcd-1".into()],
            previous_ca: String::new(),
        };
        s.desired.set_pending_rotation(Some(&p));
        // through the file: the section survives a save and a load
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("cluster.rkestate");
        save(&path, &s).unwrap();
        let mut s = load(&path).unwrap().unwrap();
        assert_eq!(s.unfinished_rotation(), Some(p.clone()));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"stockadeCertRotation\"") && text.contains("\"etcd\""), "{text}");
        // the run that deployed them made current equal to desired: finished
        s.current = s.desired.clone();
        assert!(s.unfinished_rotation().is_none());
        s.desired.set_pending_rotation(None);
        assert!(s.desired.pending_rotation().is_none());
    }

    #[test]
    fn a_recorded_node_that_cannot_be_read_is_an_error_not_a_gap() {
        let t = r#"{"desiredState":{},"currentState":{"rkeConfig":{"nodes":[{"address":"1.1.1.1","role":["etcd"]},{"address":7,"role":"etcd"}]}}}"#;
        let s: FullState = serde_json::from_str(t).unwrap();
        let err = s.current.nodes().unwrap_err().to_string();
        assert!(err.contains("nodes[1]"), "{err}");
        let none: FullState = serde_json::from_str(r#"{"desiredState":{},"currentState":{"rkeConfig":null}}"#).unwrap();
        assert!(none.current.nodes().unwrap().is_empty());
    }
}
