//! Progress output: a spinner per phase on a terminal, plain lines otherwise (CI, pipes).
//! `--quiet` keeps only warnings and errors. No colours are used, so NO_COLOR holds trivially.
//! A command's own output (plans, reports, scripts) goes to stdout through `print`.
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Ui {
    quiet: bool,
    tty: bool,
    bar: Mutex<Option<ProgressBar>>,
    started: Instant,
}

impl Ui {
    pub fn new(quiet: bool) -> Self {
        Ui { quiet, tty: std::io::stderr().is_terminal(), bar: Mutex::new(None), started: Instant::now() }
    }

    /// Starts a phase: its title stays on screen; host steps show under it.
    pub fn phase(&self, title: &str) {
        self.finish_bar();
        if self.quiet {
            return;
        }
        if self.tty {
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::with_template("{spinner} {prefix} {wide_msg}").unwrap());
            pb.set_prefix(title.to_string());
            pb.enable_steady_tick(Duration::from_millis(120));
            *self.bar.lock().unwrap() = Some(pb);
        } else {
            eprintln!("==> {title}");
        }
    }

    /// One thing that happened on one host.
    pub fn step(&self, host: &str, msg: &str) {
        if self.quiet {
            return;
        }
        match &*self.bar.lock().unwrap() {
            Some(pb) => pb.println(format!("    {host}: {msg}")),
            None => eprintln!("    {host}: {msg}"),
        }
    }

    /// Transient status for the spinner; not printed without a terminal.
    pub fn status(&self, msg: &str) {
        if let Some(pb) = &*self.bar.lock().unwrap() {
            pb.set_message(msg.to_string());
        }
    }

    pub fn info(&self, msg: &str) {
        if !self.quiet {
            self.println(msg.to_string());
        }
    }

    pub fn warn(&self, msg: &str) {
        self.println(format!("WARNING: {msg}"));
    }

    fn println(&self, line: String) {
        match &*self.bar.lock().unwrap() {
            Some(pb) => pb.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish_bar(&self) {
        if let Some(pb) = self.bar.lock().unwrap().take() {
            pb.finish_and_clear();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Writes a command's output to stdout. A reader that went away (`| head -1`: a closed pipe)
/// ends the output quietly instead of the panic `print!` gives; every command prints through
/// this, so none panics on a closed stdout.
pub fn print(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}
