//! `stockade cert ...`: flags only; the verdict is `ops::cert`.
use super::connect::ConnectArgs;
use super::{Output, Progress};
use crate::exit::Code;
use crate::ops::cert;
use crate::pki::rotate::{Request, Service};
use crate::ui::Ui;
use anyhow::Result;
use std::time::Duration;

#[derive(clap::Subcommand, Debug)]
pub enum Cert {
    /// When each certificate in the state file expires (no host is contacted, unless --live).
    /// Exit 2 when any expires within --warn-days days (or has expired, or cannot be read)
    CheckExpiration(CheckArgs),
    /// New keys and certificates for every service (or the --service ones; --rotate-ca: new CAs
    /// and everything under them), then exactly the containers that read them restart, as `up`
    /// does (etcd one member at a time; with --rotate-ca all at once). The service-account token
    /// key is kept. Works with expired certificates; an interrupted rotation is finished by
    /// running the same command again
    Rotate(RotateArgs),
    /// A certificate signing request and key for every certificate the cluster needs, for your
    /// own CA to sign (then `up --custom-certs`); keys the state already holds are reused
    GenerateCsr(CsrArgs),
}

#[derive(clap::Args, Debug)]
pub struct CsrArgs {
    /// Where to write `<name>-csr.pem` and `<name>-key.pem` (default: <cluster.yml's name>_certs next to it)
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<std::path::PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Format of the report: text, or JSON events one per line (the report is one `report` event)
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Days: a certificate that expires within this many days is reported (exit 2)
    #[arg(long, value_name = "DAYS", default_value_t = cert::WARN_DAYS)]
    pub warn_days: i64,
    /// Also read what every host serves (kube-apiserver :6443, etcd :2379, kubelet :10250, over
    /// SSH) and the certificate files under its ssl directory, next to the state's
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(clap::Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    pub progress: Progress,
    /// Rotate only this service's certificates (repeatable)
    #[arg(long = "service", value_enum, value_name = "SERVICE")]
    pub services: Vec<Service>,
    /// New CAs, and new certificates for everything under them (every component restarts)
    #[arg(long)]
    pub rotate_ca: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Seconds etcd members get to report healthy
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub etcd_health_timeout: u64,
    /// Seconds each Kubernetes component gets to answer /healthz
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub health_timeout: u64,
}

pub fn name(c: &Cert) -> &'static str {
    match c {
        Cert::CheckExpiration(_) => "cert check-expiration",
        Cert::Rotate(_) => "cert rotate",
        Cert::GenerateCsr(_) => "cert generate-csr",
    }
}

pub fn progress(c: &Cert) -> Progress {
    match c {
        Cert::CheckExpiration(a) => Progress::output(a.output),
        Cert::Rotate(a) => a.progress,
        Cert::GenerateCsr(_) => Progress::output(Output::Text),
    }
}

pub async fn run(cli: &super::Cli, c: &Cert, ui: &Ui) -> Result<Code> {
    match c {
        Cert::CheckExpiration(a) => {
            let opts = cert::CheckOptions { config_path: cli.config_path(), warn_days: a.warn_days, live: a.live.then(|| a.connect.settings()) };
            let report = cert::check(&opts, ui).await?;
            match a.output {
                Output::Json => ui.document("report", &serde_json::to_value(&report)?)?,
                Output::Text => crate::ui::print(&cert::render_text(&report))?,
            }
            if let Some(w) = report.warning() {
                ui.warn(&w);
            }
            Ok(report.code())
        }
        Cert::GenerateCsr(a) => {
            cert::custom::generate_csr(&cert::custom::CsrOptions { config_path: cli.config_path(), cert_dir: a.cert_dir.clone() }, ui)?;
            Ok(Code::Ok)
        }
        Cert::Rotate(a) => {
            let opts = cert::RotateOptions {
                config_path: cli.config_path(),
                connect: a.connect.settings(),
                request: Request { services: a.services.iter().copied().collect(), rotate_ca: a.rotate_ca },
                etcd_health_timeout: Duration::from_secs(a.etcd_health_timeout),
                health_timeout: Duration::from_secs(a.health_timeout),
            };
            cert::rotate(&opts, ui).await?;
            Ok(Code::Ok)
        }
    }
}
