//! `stockade util get-kubeconfig`: rebuild `kube_config_<name>.yml` from the state file.
use crate::{config, kubeconfig, state};
use anyhow::Result;

#[derive(clap::Subcommand, Debug)]
pub enum Util {
    /// Rebuild the kubeconfig from the state file (the previous one is kept as .bak)
    GetKubeconfig,
}

pub fn run(cli: &super::Cli, u: &Util, ui: &crate::ui::Ui) -> Result<()> {
    match u {
        Util::GetKubeconfig => {
            let loaded = config::load(&cli.config_path())?;
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
            ui.info(&format!("wrote {}", path.display()));
            Ok(())
        }
    }
}
