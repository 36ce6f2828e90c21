//! `stockade completions <shell>`
use clap::CommandFactory;
use clap_complete::Shell;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

/// Every shell clap_complete knows, with the file its script is shipped as under completions/.
#[cfg_attr(not(test), allow(dead_code))] // the test that keeps completions/ current
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "stockade.bash"),
    (Shell::Zsh, "_stockade"),
    (Shell::Fish, "stockade.fish"),
    (Shell::PowerShell, "_stockade.ps1"),
    (Shell::Elvish, "stockade.elv"),
];

/// The script, generated from the CLI definition.
pub fn script(shell: Shell) -> Vec<u8> {
    // into a buffer: clap_complete panics on a write error such as a closed pipe (`| head`)
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut super::Cli::command(), "stockade", &mut buf);
    buf
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    crate::ui::print(&String::from_utf8_lossy(&script(a.shell)))?;
    Ok(())
}
