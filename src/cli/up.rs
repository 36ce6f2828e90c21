//! `stockade up`: flags only; the work is `ops::up`.
use super::connect::ConnectArgs;
use super::{Output, Progress};
use crate::ops::up::{Output as PlanOutput, UpOptions};
use crate::ui::Ui;
use anyhow::Result;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Print what `up` would change on each host, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: the plan from cluster.yml and the state file alone, for review; no host is
    /// contacted (so it shows every container, file and image, not only what would change)
    #[arg(long, requires = "dry_run")]
    pub offline: bool,
    #[command(flatten)]
    pub progress: Progress,
    /// Use the certificates in --cert-dir (signed by your own CA; RKE1's file names, see `cert
    /// generate-csr`) instead of issuing any; every missing or wrong file is named before any
    /// host is contacted
    #[arg(long)]
    pub custom_certs: bool,
    /// The certificate directory for --custom-certs (default: <cluster.yml's name>_certs next to it)
    #[arg(long, value_name = "DIR", requires = "custom_certs")]
    pub cert_dir: Option<std::path::PathBuf>,
    /// Seconds etcd members get to report healthy
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub etcd_health_timeout: u64,
    /// Seconds each Kubernetes component gets to answer /healthz
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub health_timeout: u64,
    /// Upgrade (a kubernetes_version or etcd image change) without taking an etcd snapshot first
    #[arg(long)]
    pub no_snapshot: bool,
}

pub async fn run(cli: &super::Cli, args: &Args, ui: &Ui) -> Result<()> {
    let opts = UpOptions {
        config_path: cli.config_path(),
        connect: args.connect.settings(),
        dry_run: args.dry_run,
        offline: args.offline,
        output: match args.progress.output {
            Output::Text => PlanOutput::Text,
            Output::Json => PlanOutput::Json,
        },
        etcd_health_timeout: Duration::from_secs(args.etcd_health_timeout),
        rotation: None,
        custom_certs: args.custom_certs.then(|| args.cert_dir.clone().unwrap_or_else(|| crate::ops::cert::custom::default_dir(&cli.config_path()))),
        health_timeout: Duration::from_secs(args.health_timeout),
        no_snapshot: args.no_snapshot,
        restored: false,
    };
    crate::ops::up::run(&opts, ui).await
}
