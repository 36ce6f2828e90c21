//! `stockade validate`: reads cluster.yml with RKE1's reading rules and the state file next to
//! it, contacts nothing. The verdict is here; `cli::validate` only prints it.
use crate::config::{self, InputError};
use std::path::Path;

/// A file that validated: what the user should still hear about.
#[derive(Debug)]
pub struct Verdict {
    pub warnings: Vec<String>,
    pub not_applied: Vec<String>,
    pub nodes: usize,
    pub state_found: bool,
}

/// Why the input is invalid: one line, `file:line:column: ...` where there is a position.
pub use crate::exit::Invalid;

/// What cluster.yml asks for that `up` refuses before contacting any host, from the file alone:
/// `validate` and `up` call this one list, so they agree.
pub fn refusals(cfg: &config::ClusterConfig) -> Vec<String> {
    let mut out = config::refused_until_applied(cfg);
    out.extend(crate::apply::kubernetes::drain::DrainSettings::from_config(cfg).err());
    out.extend(crate::ops::snapshot::restore::declared(cfg, None).err().map(|e| format!("{e:#}")));
    out
}

pub fn run(config_path: &Path, strict: bool) -> Result<Verdict, Invalid> {
    let loaded = config::load_with(config_path, strict).map_err(|e: InputError| Invalid(e.to_string()))?;
    // what `up` refuses before contacting any host, so `validate` and `up` agree
    let cfg = &loaded.config;
    let at = loaded.path.display();
    let refused = refusals(cfg);
    if !refused.is_empty() {
        return Err(Invalid(format!("{at}: {}", refused.join("; "))));
    }
    let missing = crate::plan::build(cfg, &crate::plan::Inputs::default()).missing_images();
    // a version older than stockade's table is valid as RKE1 read the file: the loader warned
    // (`config::validate::version_warning`), and `up` refuses it before contacting any host
    let unknown_version = !crate::versions::is_known(cfg.kubernetes_version.as_deref().unwrap_or_default());
    if !missing.is_empty() && !unknown_version {
        return Err(Invalid(format!(
            "{at}: no image known for {} with kubernetes_version {}: set them under system_images, or pick a version from `stockade config --list-version`",
            missing.join(", "),
            cfg.kubernetes_version.as_deref().unwrap_or("(default)")
        )));
    }
    let state_path = loaded.state_path();
    let state = crate::state::load(&state_path).map_err(|e| Invalid(format!("{e:#}")))?;
    Ok(Verdict {
        warnings: loaded.warnings,
        not_applied: loaded.not_applied,
        nodes: loaded.config.nodes.len(),
        state_found: state.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn strict_turns_an_ignored_key_into_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "cluster.yml",
            "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane]\nsome_tool_setting: 3\n",
        );
        let v = run(&p, false).unwrap();
        assert_eq!(v.warnings.len(), 1, "{:?}", v.warnings);
        assert!(v.warnings[0].contains("cluster.yml:5:1: unknown key `some_tool_setting` ignored"), "{:?}", v.warnings);
        assert!(!v.state_found);
        let e = run(&p, true).unwrap_err();
        assert!(e.0.contains("cluster.yml:5:1: unknown key `some_tool_setting`") && e.0.contains("--strict"), "{}", e.0);
    }

    #[test]
    fn drain_input_and_a_declared_restore_are_checked_as_up_checks_them() {
        let dir = tempfile::tempdir().unwrap();
        let nodes = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane]\n";
        let p = write(dir.path(), "c.yml", &format!("{nodes}upgrade_strategy:\n  node_drain_input:\n    timeout: 0\n"));
        assert!(run(&p, false).unwrap_err().0.contains("node_drain_input.timeout must be at least 1 second"));
        let p = write(dir.path(), "c.yml", &format!("{nodes}restore:\n  restore: true\n"));
        assert!(run(&p, false).unwrap_err().0.contains("restore.snapshot_name is empty"));
        let p = write(dir.path(), "c.yml", &format!("{nodes}restore:\n  restore: true\n  snapshot_name: ../x\n"));
        assert!(run(&p, false).unwrap_err().0.contains("restore.snapshot_name"));
        let p = write(dir.path(), "c.yml", &format!("{nodes}restore:\n  restore: true\n  snapshot_name: nightly\n"));
        assert!(run(&p, false).is_ok());
    }

    #[test]
    fn a_corrupt_state_file_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "c.yml", "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane]\n");
        write(dir.path(), "c.rkestate", "{not json");
        assert!(run(&p, false).unwrap_err().0.contains("c.rkestate"));
    }
}
