//! `stockade util ...`: small commands on the local files.
use crate::{config, kubeconfig, state};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// `util get-kubeconfig`: rebuilds `kube_config_<name>.yml` from the state file (the previous
/// one is kept as .bak). Returns the path written.
pub fn get_kubeconfig(config_path: &Path) -> Result<PathBuf> {
    let loaded = config::load(config_path)?;
    let full = state::load(&loaded.state_path())?
        .ok_or_else(|| crate::exit::Invalid(format!("{} does not exist: run `stockade up` first", loaded.state_path().display())))?;
    let bundle = if full.current.certificates.is_empty() { full.desired.certificates } else { full.current.certificates };
    let text = kubeconfig::render(&loaded.config, &bundle)?;
    let path = loaded.kubeconfig_path();
    if let Ok(old) = std::fs::read(&path)
        && old != text.as_bytes()
    {
        state::write_atomic(&state::backup_path(&path), &old)?;
    }
    state::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
