//! Command-line interface: global flags here, one file per subcommand.
mod agent;
mod cert;
mod completions;
mod config_cmd;
mod connect;
mod etcd;
mod man;
mod remove;
mod up;
mod util;
mod validate;
mod version;

use crate::exit::Code;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "stockade", version, about = "Build and run Kubernetes clusters the way RKE1 did: cluster.yml, SSH, Docker", long_about = None, after_help = crate::exit::help())]
pub struct Cli {
    /// Cluster file [env: STOCKADE_CONFIG, RKE_CONFIG] [default: cluster.yml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Debug logging (secrets are never logged)
    #[arg(long, short = 'd', global = true)]
    pub debug: bool,
    /// Only warnings and errors
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// Refuse what RKE1 silently ignored: unknown keys, obsolete keys, duplicate keys
    #[arg(long, global = true)]
    pub strict: bool,
    /// Never ask: for pipelines. A question stockade would ask (an SSH key's passphrase, remove's
    /// confirmation) is answered by a flag or variable, or the command stops (exit 2) naming it;
    /// remove's confirmation counts as given
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// `--output`: text for people, JSON for scripts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// progress for people on stderr, the command's result on stdout
    Text,
    /// one JSON event per line on stdout: phases, host steps and errors, warnings, the command's
    /// result (a plan, a report) as one event, and last the outcome (README: "JSON events")
    Json,
}

/// `--output` and `--timings`, for the commands that run phases on hosts.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct Progress {
    /// Output format: text, or JSON events one per line on stdout, the outcome last
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// At the end, print where the time went: per phase and per host, slowest first (stderr; a
    /// `timings` event with --output json)
    #[arg(long)]
    pub timings: bool,
}

impl Progress {
    /// For commands without --timings.
    pub fn output(output: Output) -> Self {
        Progress { output, timings: false }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Bring the cluster to what cluster.yml describes
    Up(up::Args),
    /// Remove the cluster's containers and data from every host
    Remove(remove::Args),
    /// Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)
    Validate,
    /// Certificates of the cluster
    #[command(subcommand)]
    Cert(cert::Cert),
    /// Print stockade's version and the default Kubernetes version
    Version,
    /// Write a commented cluster.yml by asking questions (like `rke config`; --empty, --print), or print the default system images per Kubernetes version
    Config(config_cmd::Args),
    /// etcd snapshots: save, restore, list, delete, prune
    #[command(subcommand)]
    Etcd(etcd::Etcd),
    /// Utilities
    #[command(subcommand)]
    Util(util::Util),
    /// Runs on the etcd hosts inside stockade's helper containers
    #[command(subcommand, hide = true)]
    Agent(agent::Agent),
    /// Print a shell completion script
    Completions(completions::Args),
    /// Print the manual page (roff; `stockade man | man -l -`)
    Man,
}

impl Command {
    /// The command's name as typed (`etcd snapshot-save`), for the outcome event.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Up(_) => "up",
            Command::Remove(_) => "remove",
            Command::Validate => "validate",
            Command::Cert(c) => cert::name(c),
            Command::Version => "version",
            Command::Config(_) => "config",
            Command::Etcd(e) => etcd::name(e),
            Command::Util(_) => "util get-kubeconfig",
            Command::Agent(_) => "agent run",
            Command::Completions(_) => "completions",
            Command::Man => "man",
        }
    }

    /// `--output` and `--timings` of the commands that have them; text for the others.
    pub fn progress(&self) -> Progress {
        match self {
            Command::Up(a) => a.progress,
            Command::Remove(a) => a.progress,
            Command::Cert(c) => cert::progress(c),
            Command::Etcd(e) => etcd::progress(e),
            _ => Progress::output(Output::Text),
        }
    }
}

impl Cli {
    /// `--config`, else $STOCKADE_CONFIG, else $RKE_CONFIG (RKE's variable), else cluster.yml.
    pub fn config_path(&self) -> PathBuf {
        self.config
            .clone()
            .or_else(|| std::env::var_os("STOCKADE_CONFIG").map(PathBuf::from))
            .or_else(|| std::env::var_os("RKE_CONFIG").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("cluster.yml"))
    }
}

/// Runs the command. An error's exit code is `crate::exit::code_of`; a command that succeeds
/// can still ask for a non-zero code (a check that found something: `cert check-expiration`).
/// Every command ends through `Ui::finish`: `--timings`, and with `--output json` the outcome
/// line, whether the command succeeded or not.
pub async fn run(cli: Cli) -> anyhow::Result<Code> {
    let progress = cli.command.progress();
    let ui = crate::ui::Ui::with_output(cli.quiet, progress.output == Output::Json, progress.timings);
    crate::config::set_strict(cli.strict);
    if cli.yes {
        crate::prompt::never();
    }
    let result = run_command(&cli, &ui).await;
    ui.finish(cli.command.name(), &result);
    result
}

async fn run_command(cli: &Cli, ui: &crate::ui::Ui) -> anyhow::Result<Code> {
    let done = |r: anyhow::Result<()>| r.map(|()| Code::Ok);
    match &cli.command {
        Command::Up(a) => done(up::run(cli, a, ui).await),
        Command::Remove(a) => done(remove::run(cli, a, ui).await),
        Command::Validate => done(validate::run(cli, ui)),
        Command::Cert(c) => cert::run(cli, c, ui).await,
        Command::Version => done(version::run()),
        Command::Config(a) => done(config_cmd::run(a, ui)),
        Command::Util(u) => done(util::run(cli, u, ui)),
        Command::Etcd(e) => done(etcd::run(cli, e, ui).await),
        Command::Agent(a) => done(agent::run(a).await),
        Command::Completions(a) => done(completions::run(a)),
        Command::Man => done(man::run()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The shipped completion scripts and man page must match the CLI (`UPDATE_GOLDEN=1`
    /// rewrites them; review the diff).
    #[test]
    fn completion_scripts_and_man_page_are_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<(String, Vec<u8>)> = completions::SHELLS
            .iter()
            .map(|(shell, file)| (format!("completions/{file}"), completions::script(*shell)))
            .collect();
        files.push(("stockade.1".into(), man::page().unwrap()));
        for (file, want) in files {
            let path = root.join(&file);
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            let shipped = std::fs::read(&path).unwrap_or_default();
            assert!(!want.is_empty());
            assert!(shipped == want, "{file} is out of date with the CLI: run UPDATE_GOLDEN=1 cargo test --lib completion_scripts");
        }
    }

    #[test]
    fn help_lists_the_exit_codes() {
        let help = Cli::command().render_help().to_string();
        for line in ["0  success", "1  an operation failed", "2  bad input", "3  refused as unsafe"] {
            assert!(help.contains(line), "{help}");
        }
    }

    #[test]
    fn s3_keys_from_flags_are_never_debug_printed() {
        let cli = Cli::parse_from(["stockade", "etcd", "snapshot-save", "--s3", "--access-key", "AKFLAG123", "--secret-key", "SKFLAG456", "--bucket-name", "b"]);
        let debug = format!("{cli:?}");
        assert!(!debug.contains("AKFLAG123") && !debug.contains("SKFLAG456") && debug.contains("<redacted>"), "{debug}");
        let Command::Etcd(etcd::Etcd::SnapshotSave(a)) = &cli.command else { panic!("{debug}") };
        assert_eq!(a.s3.secret_key.as_ref().map(|k| k.expose()), Some("SKFLAG456"));
    }

    #[test]
    fn config_path_prefers_flag_then_env() {
        let cli = Cli::parse_from(["stockade", "--config", "a.yml", "version"]);
        assert_eq!(cli.config_path(), PathBuf::from("a.yml"));
    }
}
