//! `stockade remove`: flags only; the work is `ops::remove`.
use super::connect::ConnectArgs;
use crate::ops::remove::RemoveOptions;
use crate::ui::Ui;
use anyhow::Result;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Do not ask for confirmation
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub progress: super::Progress,
}

pub async fn run(cli: &super::Cli, args: &Args, ui: &Ui) -> Result<()> {
    let opts = RemoveOptions { config_path: cli.config_path(), connect: args.connect.settings(), force: args.force };
    crate::ops::remove::run(&opts, ui).await
}
