//! cluster.yml: schema (`schema`), reading with located errors (`load`), RKE's defaults
//! (`defaults`) and whole-file checks (`validate`).
pub mod coverage;
pub mod defaults;
pub mod load;
pub mod rke_reading;
pub mod schema;
pub mod secret;
pub mod validate;
pub mod yaml_v2;

pub use load::InputError;
pub use schema::{ClusterConfig, Node};
pub use secret::Secret;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// A cluster.yml that parsed, got its defaults and passed validation.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: ClusterConfig,
    /// The keys the user set that stockade parses and keeps but does not act on yet.
    pub not_applied: Vec<String>,
    /// What RKE1 silently ignored (unknown or obsolete keys), each `file:line:column: ...`.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// `<dir>/<name>.rkestate` for `<dir>/<name>.yml`, as RKE names it.
    pub fn state_path(&self) -> PathBuf {
        sibling(&self.path, "", ".rkestate")
    }
    /// `<dir>/kube_config_<name>.yml`, as RKE names it.
    pub fn kubeconfig_path(&self) -> PathBuf {
        sibling(&self.path, "kube_config_", ".yml")
    }
}

/// The state file that belongs to a cluster file (`cluster.yml` → `cluster.rkestate`), without
/// reading the cluster file.
pub fn state_path_for(config: &Path) -> PathBuf {
    sibling(config, "", ".rkestate")
}

fn sibling(config: &Path, prefix: &str, ext: &str) -> PathBuf {
    let stem = config.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "cluster".into());
    config.with_file_name(format!("{prefix}{stem}{ext}"))
}

/// `--strict` given on the command line: every unknown key and every duplicate is an error.
/// A process-wide switch so every command that loads the file honours the global flag.
static STRICT: AtomicBool = AtomicBool::new(false);

pub fn set_strict(strict: bool) {
    STRICT.store(strict, Ordering::Relaxed);
}

/// Loads with the command line's strictness and logs the warnings (before any host is touched).
pub fn load(path: &Path) -> Result<Loaded, InputError> {
    let loaded = load_with(path, STRICT.load(Ordering::Relaxed))?;
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    Ok(loaded)
}

/// Reads, fills RKE1's defaults and validates; nothing is contacted.
pub fn load_with(path: &Path, strict: bool) -> Result<Loaded, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError::at(path, None, format!("cannot read the cluster file: {e} (pass --config FILE)"))
    })?;
    let (mut config, warnings) = load::parse_with(path, &text, strict)?;
    let not_applied = not_applied_keys(&config);
    defaults::apply(&mut config);
    validate::validate(&config, path, &text)?;
    let mut warnings = warnings;
    warnings.extend(validate::version_warning(&config, path, &text));
    Ok(Loaded { path: path.to_path_buf(), config, not_applied, warnings })
}

/// Settings that change what a cluster *is*: ignoring them would build something else than the
/// file says on a running cluster (an internal etcd next to the user's external one, a kubelet
/// without its cloud provider). Refused before any host is contacted until stockade
/// applies them. Returns the key and why, one per line of the error.
pub fn refused_until_applied(c: &ClusterConfig) -> Vec<String> {
    let mut out = Vec::new();
    if c.services.etcd.external_urls.as_ref().is_some_and(|u| !u.is_empty()) {
        out.push("services.etcd.external_urls: an external etcd is not supported yet (stockade would run its own etcd instead of using yours)".to_string());
    }
    let provider = c.cloud_provider.as_ref().and_then(|p| p.get("name")).and_then(|n| n.as_str()).unwrap_or_default();
    if !provider.is_empty() {
        out.push(format!("cloud_provider ({provider}): not applied yet (the kubelet and control plane would run without it, which breaks a cluster that has it)"));
    }
    out
}

/// Keys stockade accepts for compatibility but does not act on yet; `up` names them once.
fn not_applied_keys(c: &ClusterConfig) -> Vec<String> {
    coverage::not_applied(c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_that_change_what_a_cluster_is_are_refused_until_applied() {
        let parse = |y: &str| {
            let mut c = super::load::parse(std::path::Path::new("c.yml"), &format!("nodes: []\n{y}")).unwrap();
            super::defaults::apply(&mut c);
            super::refused_until_applied(&c)
        };
        assert!(parse("").is_empty());
        assert!(parse("services:\n  etcd:\n    external_urls: [https://e:2379]\n")[0].contains("external etcd"));
        assert!(parse("cloud_provider:\n  name: aws\n")[0].contains("aws"));
        // `up` applies it (ops::snapshot::restore::declared)
        assert!(parse("restore:\n  restore: true\n  snapshot_name: s\n").is_empty());
    }

    /// Every example shipped with the project is a valid cluster file.
    #[test]
    fn shipped_examples_are_valid() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![root.join("cluster.yml.example")];
        files.extend(std::fs::read_dir(root.join("examples")).unwrap().flatten().map(|e| e.path()));
        for f in &files {
            let loaded = super::load(f).unwrap_or_else(|e| panic!("{e}"));
            assert!(!loaded.config.nodes.is_empty(), "{}", f.display());
        }
        assert!(files.len() >= 4);
    }

    #[test]
    fn state_and_kubeconfig_names_follow_rke() {
        let l = super::Loaded { path: "/x/prod.yml".into(), config: Default::default(), not_applied: vec![], warnings: vec![] };
        assert_eq!(l.state_path(), std::path::PathBuf::from("/x/prod.rkestate"));
        assert_eq!(l.kubeconfig_path(), std::path::PathBuf::from("/x/kube_config_prod.yml"));
    }
}
