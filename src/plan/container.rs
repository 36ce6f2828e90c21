//! What a container should look like, independent of Docker's API types, and its spec hash.
use serde::Serialize;
use std::collections::BTreeMap;

/// Label RKE puts on its containers; kept so RKE tooling still recognises them.
pub const RKE_NAME_LABEL: &str = "io.rancher.rke.container.name";
/// Label with the hash of the full spec: equal hash means nothing to change.
pub const HASH_LABEL: &str = "io.stockade.spec-hash";
/// Label with the spec itself (JSON, environment values left out: see `ContainerSpec::redacted`),
/// so a plan can say which fields differ.
pub const SPEC_LABEL: &str = "io.stockade.spec";
/// Marks every container stockade manages (what `remove` looks for).
pub const MANAGED_LABEL: &str = "io.stockade.managed";
/// Digest of the files (certificates) a container reads at start: part of the spec, so a
/// re-issued certificate restarts exactly the containers that use it.
pub const INPUTS_LABEL: &str = "io.stockade.inputs";

/// Fingerprint of the cluster CA a container trusts: tells this cluster's containers from
/// another cluster's on the same host.
pub const CA_LABEL: &str = "io.stockade.ca";

/// A short digest over the given contents, in order.
pub fn inputs_digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Serialize, PartialEq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub binds: Vec<String>,
    pub network_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<String>,
    pub privileged: bool,
    pub restart: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// Docker security options: RKE1's SELinux labels on hosts whose Docker runs with SELinux
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    /// created but never started (RKE's `service-sidekick` only lends its volume)
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create_only: bool,
    pub labels: BTreeMap<String, String>,
}

impl ContainerSpec {
    /// A long-running container on the host network with RKE's labels: the common case, which
    /// callers adjust (privileges, pid mode, mounts, ...).
    pub fn new(name: &str, image: impl Into<String>, cmd: Vec<String>) -> Self {
        ContainerSpec {
            name: name.into(),
            image: image.into(),
            entrypoint: None,
            cmd,
            env: vec![],
            binds: vec![],
            network_mode: "host".into(),
            pid_mode: None,
            privileged: false,
            restart: "always".into(),
            user: None,
            volumes_from: vec![],
            security_opt: vec![],
            create_only: false,
            labels: base_labels(name),
        }
    }

    /// sha256 over the canonical JSON of everything that defines the container.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(self).expect("spec serialises");
        let digest = sha2::Sha256::digest(&json);
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The labels to set on the created container: the spec's own plus its hash and JSON.
    pub fn labels_with_hash(&self) -> BTreeMap<String, String> {
        let mut l = self.labels.clone();
        l.insert(HASH_LABEL.into(), self.hash());
        l.insert(SPEC_LABEL.into(), self.redacted().to_string());
        l
    }

    /// The spec as JSON with every environment variable reduced to its name. `extra_env` is
    /// where RKE1 users put proxy credentials and cloud keys: values never go into a label, a
    /// diff, a plan or a debug line. (A changed value still changes `hash`, which is over the
    /// full spec, so the container is still replaced.)
    pub fn redacted(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("spec serialises");
        if let Some(env) = v.get_mut("env") {
            *env = serde_json::Value::Array(env_names(Some(env)).into_iter().map(serde_json::Value::String).collect());
        }
        v
    }

    /// Human-readable differences from `old` (a spec read back from a container's label):
    /// flags compared one by one, other fields as a whole.
    /// Environment variables are compared by name only, never shown with values (the label of
    /// a container made by an older version may still hold values: they are not printed).
    pub fn differences(&self, old: &serde_json::Value) -> Vec<String> {
        let new = self.redacted();
        let mut out = Vec::new();
        let empty = serde_json::Map::new();
        let (n, o) = (new.as_object().unwrap_or(&empty), old.as_object().unwrap_or(&empty));
        let keys: std::collections::BTreeSet<&String> = n.keys().chain(o.keys()).collect();
        for k in keys {
            let (a, b) = (o.get(k), n.get(k));
            if a == b {
                continue;
            }
            if k == "cmd" {
                out.extend(flag_differences(a, b));
            } else if k == "env" {
                let (was, now) = (env_names(a), env_names(b));
                out.extend(now.iter().filter(|n| !was.contains(n)).map(|n| format!("env: {n} added")));
                out.extend(was.iter().filter(|n| !now.contains(n)).map(|n| format!("env: {n} removed")));
            } else {
                let show = |v: Option<&serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into());
                out.push(format!("{k}: {} -> {}", show(a), show(b)));
            }
        }
        if out.is_empty() {
            // differences() is asked only when the hash differs: what is left is a value
            out.push("env: a variable's value changed (values are not shown)".into());
        }
        out
    }
}

/// `Debug` shows the redacted spec: `--debug` must never print an environment value.
impl std::fmt::Debug for ContainerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ContainerSpec({})", self.redacted())
    }
}

/// The variable names of an `env` JSON array (`NAME=value` entries).
fn env_names(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|e| e.as_str()).map(|e| e.split_once('=').map_or(e, |(n, _)| n).to_string()).collect())
        .unwrap_or_default()
}

/// Containers RKE1 runs without its name label (rancher/rke services/services.go, pki/,
/// hosts/, cluster/): its recurring and one-off snapshot containers and its short-lived helpers,
/// which an interrupted RKE1 run can leave behind.
pub const RKE1_UNLABELLED: &[&str] = &[
    "etcd-rolling-snapshots",
    "etcd-snapshot-once",
    "etcd-remove-snapshot",
    "etcd-restore",
    "etcd-download-backup",
    "etcd-Serve-backup",
    "etcd-checksum-checker",
    "etcd-extract-statefile",
    "extract-statefile-configmap",
    "etcd-fix-perm",
    "cert-deployer",
    "cert-fetcher",
    "cluster-state-deployer",
    "file-deployer",
    "kube-cleaner",
    "rke-log-linker",
    "rke-log-cleaner",
    "rke-port-checker",
    "rke-etcd-port-listener",
    "rke-cp-port-listener",
    "rke-worker-port-listener",
    "rke-selinux-checker",
    "rke-bundle-cert",
];

/// The containers RKE1 replaces by renaming the running one to `old-<name>` until its
/// successor runs (`DoRollingUpdateContainer`).
const RKE1_RENAMED: &[&str] = &["etcd", "etcd-rolling-snapshots", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "nginx-proxy", "service-sidekick"];

/// A container RKE1 left that carries no label to find it by: `remove` takes it off with the
/// labelled ones. Names only RKE1 uses, so an owner's own containers are never matched.
pub fn is_rke1_leftover(name: &str) -> bool {
    RKE1_UNLABELLED.contains(&name) || name.strip_prefix("old-").is_some_and(|n| RKE1_RENAMED.contains(&n))
}

pub fn base_labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(RKE_NAME_LABEL.to_string(), name.to_string()), (MANAGED_LABEL.to_string(), "true".to_string())])
}

/// `--flag` level differences between two command lines.
fn flag_differences(old: Option<&serde_json::Value>, new: Option<&serde_json::Value>) -> Vec<String> {
    let list = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
    };
    let (old, new) = (list(old), list(new));
    let split = |a: &str| a.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap_or((a.to_string(), String::new()));
    let old_map: BTreeMap<String, String> = old.iter().map(|a| split(a)).collect();
    let new_map: BTreeMap<String, String> = new.iter().map(|a| split(a)).collect();
    let mut out = Vec::new();
    for (k, v) in &new_map {
        match old_map.get(k) {
            None => out.push(format!("{k}: (unset) -> {v}")),
            Some(o) if o != v => out.push(format!("{k}: {o} -> {v}")),
            _ => {}
        }
    }
    for (k, o) in &old_map {
        if !new_map.contains_key(k) {
            out.push(format!("{k}: {o} -> (unset)"));
        }
    }
    if out.is_empty() && old != new {
        out.push("cmd: order of repeated flags changed".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn only_names_rke1_uses_are_its_leftovers() {
        for n in ["etcd-rolling-snapshots", "rke-port-checker", "old-kubelet", "old-etcd", "cert-deployer"] {
            assert!(is_rke1_leftover(n), "{n}");
        }
        for n in ["old-myapp", "kubelet", "myapp", "old-", "rke-something-else"] {
            assert!(!is_rke1_leftover(n), "{n}");
        }
    }

    #[test]
    fn differences_name_the_changed_flag() {
        let spec = |args: &[&str]| ContainerSpec::new("x", "i", args.iter().map(|s| s.to_string()).collect());
        let old = serde_json::to_value(spec(&["a", "--x=1", "--y=2"])).unwrap();
        let mut new = spec(&["a", "--x=3", "--z=4"]);
        new.image = "j".into();
        assert_eq!(new.differences(&old), vec!["--x: 1 -> 3", "--z: (unset) -> 4", "--y: 2 -> (unset)", "image: \"i\" -> \"j\""]);
    }

    #[test]
    fn environment_values_never_leave_the_spec() {
        let mut old = ContainerSpec::new("x", "i", vec![]);
        old.env = vec!["HTTP_PROXY=http://user:hunter2@proxy:3128".into(), "AWS_SECRET_ACCESS_KEY=s3cr3t-old".into()];
        let mut new = old.clone();
        new.env = vec!["HTTP_PROXY=http://user:hunter2@proxy:3128".into(), "AWS_SECRET_ACCESS_KEY=s3cr3t-new".into(), "TOKEN=t0k3n".into()];
        let everything = format!(
            "{:?} {:?} {:?} {:?}",
            new,
            new.labels_with_hash(),
            new.differences(&old.redacted()),
            // a label written by an older version held the values: still not printed
            new.differences(&serde_json::to_value(&old).unwrap())
        );
        for secret in ["hunter2", "s3cr3t", "t0k3n"] {
            assert!(!everything.contains(secret), "{secret} leaked: {everything}");
        }
        assert_eq!(new.differences(&old.redacted()), vec!["env: TOKEN added"]);
        let mut changed = old.clone();
        changed.env[1] = "AWS_SECRET_ACCESS_KEY=rotated".into();
        assert_ne!(changed.hash(), old.hash(), "a changed value must still replace the container");
        assert_eq!(changed.differences(&old.redacted()), vec!["env: a variable's value changed (values are not shown)"]);
    }
}
