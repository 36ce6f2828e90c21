//! `stockade cert ...`: flags only; the verdict is `ops::cert`.
use super::Output;
use crate::exit::Code;
use crate::ops::cert;
use crate::ui::Ui;
use anyhow::Result;

#[derive(clap::Subcommand, Debug)]
pub enum Cert {
    /// When each certificate in the state file expires (no host is contacted). Exit 2 when any
    /// expires within --warn-days days (or has expired, or cannot be read)
    CheckExpiration(CheckArgs),
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Format of the report
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Days: a certificate that expires within this many days is reported (exit 2)
    #[arg(long, value_name = "DAYS", default_value_t = cert::WARN_DAYS)]
    pub warn_days: i64,
}

pub fn run(cli: &super::Cli, c: &Cert, ui: &Ui) -> Result<Code> {
    match c {
        Cert::CheckExpiration(a) => {
            let report = cert::check_expiration(&cli.config_path(), a.warn_days)?;
            match a.output {
                Output::Json => crate::ui::print(&(serde_json::to_string_pretty(&report)? + "\n"))?,
                Output::Text => crate::ui::print(&cert::render_text(&report))?,
            }
            if let Some(w) = report.warning() {
                ui.warn(&w);
            }
            Ok(report.code())
        }
    }
}
