//! Command-line interface: global flags here, one file per subcommand.
mod agent;
mod completions;
mod config_cmd;
mod connect;
mod etcd;
mod remove;
mod up;
mod util;
mod validate;
mod version;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "stockade", version, about = "Build and run Kubernetes clusters the way RKE1 did: cluster.yml, SSH, Docker", long_about = None)]
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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Bring the cluster to what cluster.yml describes
    Up(up::Args),
    /// Remove the cluster's containers and data from every host
    Remove(remove::Args),
    /// Check cluster.yml and the state file; no host is contacted (exit 0 valid, 2 invalid)
    Validate,
    /// Print stockade's version and the default Kubernetes version
    Version,
    /// Default system images per Kubernetes version
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

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let ui = crate::ui::Ui::new(cli.quiet);
    crate::config::set_strict(cli.strict);
    match &cli.command {
        Command::Up(a) => up::run(&cli, a, &ui).await,
        Command::Remove(a) => remove::run(&cli, a, &ui).await,
        Command::Validate => validate::run(&cli, &ui),
        Command::Version => version::run(),
        Command::Config(a) => config_cmd::run(a),
        Command::Util(u) => util::run(&cli, u, &ui),
        Command::Etcd(e) => etcd::run(&cli, e, &ui).await,
        Command::Agent(a) => agent::run(a).await,
        Command::Completions(a) => completions::run(a),
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

    /// The shipped completion scripts must match the CLI (`UPDATE_GOLDEN=1` rewrites them).
    #[test]
    fn completion_scripts_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for (shell, file) in [
            (clap_complete::Shell::Bash, "stockade.bash"),
            (clap_complete::Shell::Zsh, "_stockade"),
            (clap_complete::Shell::Fish, "stockade.fish"),
        ] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "stockade", &mut buf);
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::write(dir.join(file), &buf).unwrap();
            }
            let shipped = std::fs::read(dir.join(file)).unwrap_or_default();
            assert!(shipped == buf, "completions/{file} is out of date: run UPDATE_GOLDEN=1 cargo test");
        }
    }

    #[test]
    fn config_path_prefers_flag_then_env() {
        let cli = Cli::parse_from(["stockade", "--config", "a.yml", "version"]);
        assert_eq!(cli.config_path(), PathBuf::from("a.yml"));
    }
}
