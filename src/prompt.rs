//! Whether stockade may ask the operator a question (an SSH key's passphrase, `remove`'s
//! confirmation). Only on a terminal, and never after `--yes`: from a pipeline a question that
//! would be asked is an error naming the flag or environment variable that answers it.
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static NEVER: AtomicBool = AtomicBool::new(false);

/// `--yes`: no question is asked for the rest of the process.
pub fn never() {
    NEVER.store(true, Ordering::Relaxed);
}

/// Whether `--yes` was given.
pub fn answered_yes() -> bool {
    NEVER.load(Ordering::Relaxed)
}

/// A question may be asked: someone is at a terminal (stdin and stderr) and `--yes` was not given.
pub fn allowed() -> bool {
    !answered_yes() && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}
