//! `stockade agent run [--job FILE]` (hidden): what runs in the helper containers on the etcd
//! hosts. The job comes from a file or stdin, never from flags; the work is `agent::run`.
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum Agent {
    /// Run one job (JSON) and print its result line
    Run {
        /// Job file (default: read the job from stdin)
        #[arg(long, value_name = "FILE")]
        job: Option<PathBuf>,
    },
}

pub async fn run(cmd: &Agent) -> Result<()> {
    match cmd {
        Agent::Run { job } => crate::agent::run(job.as_deref()).await,
    }
}
