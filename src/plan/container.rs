//! What a container should look like, independent of Docker's API types, and its spec hash.
use serde::Serialize;
use std::collections::BTreeMap;

/// Label RKE puts on its containers; kept so RKE tooling still recognises them.
pub const RKE_NAME_LABEL: &str = "io.rancher.rke.container.name";
/// Label with the hash of the full spec: equal hash means nothing to change.
pub const HASH_LABEL: &str = "io.stockade.spec-hash";
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

#[derive(Debug, Clone, Serialize, PartialEq)]
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
    /// created but never started (RKE's `service-sidekick` only lends its volume)
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create_only: bool,
    pub labels: BTreeMap<String, String>,
}

impl ContainerSpec {
    /// sha256 over the canonical JSON of everything that defines the container.
    pub fn hash(&self) -> String {
        use sha2::Digest;
        let json = serde_json::to_vec(self).expect("spec serialises");
        let digest = sha2::Sha256::digest(&json);
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The labels to set on the created container: the spec's own plus the hash.
    pub fn labels_with_hash(&self) -> BTreeMap<String, String> {
        let mut l = self.labels.clone();
        l.insert(HASH_LABEL.into(), self.hash());
        l
    }
}

pub fn base_labels(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(RKE_NAME_LABEL.to_string(), name.to_string()), (MANAGED_LABEL.to_string(), "true".to_string())])
}
