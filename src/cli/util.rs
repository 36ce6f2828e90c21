//! `stockade util get-kubeconfig`: flags only; the work is `ops::util`.
use anyhow::Result;

#[derive(clap::Subcommand, Debug)]
pub enum Util {
    /// Rebuild the kubeconfig from the state file (the previous one is kept as .bak)
    GetKubeconfig,
}

pub fn run(cli: &super::Cli, u: &Util, ui: &crate::ui::Ui) -> Result<()> {
    match u {
        Util::GetKubeconfig => {
            let path = crate::ops::util::get_kubeconfig(&cli.config_path())?;
            ui.info(&format!("wrote {}", path.display()));
            Ok(())
        }
    }
}
