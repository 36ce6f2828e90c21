//! `stockade completions <shell>`
use clap::CommandFactory;
use std::io::Write;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    // generate into a buffer: clap_complete panics on a closed pipe (`| head`)
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut super::Cli::command(), "stockade", &mut buf);
    match std::io::stdout().write_all(&buf) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
