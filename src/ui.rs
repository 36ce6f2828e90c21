//! Progress output. Text (the default): a spinner per phase on a terminal, plain lines otherwise
//! (CI, pipes), all on stderr; `--quiet` keeps only warnings and errors. No colours are used, so
//! NO_COLOR holds trivially. JSON (`--output json`): every phase start and end, host step, host
//! error, warning and note is one JSON line on stdout (`event`), a command's result is one line
//! too (`Ui::document`), and the last line is the outcome (`Ui::finish`); nothing else is
//! written to stdout, nothing human to stderr but the final `error:` line.
//! A command's own text output (plans, reports, scripts) goes to stdout through `print`.
//! Phases are timed always, and hosts within them (`Ui::time_host`), for `--timings`.
pub mod event;
pub mod timings;

use event::Event;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use timings::PhaseTime;

pub struct Ui {
    quiet: bool,
    tty: bool,
    json: bool,
    timings: bool,
    bar: Mutex<Option<ProgressBar>>,
    phases: Mutex<Phases>,
    started: Instant,
    /// events go to stdout, or here (unit tests)
    captured: Option<Mutex<Vec<String>>>,
}

/// The phase under way and those that ended.
#[derive(Default)]
struct Phases {
    open: Option<(PhaseTime, Instant)>,
    ended: Vec<PhaseTime>,
    /// the phase the command failed in
    failed: Option<String>,
}

impl Ui {
    /// Text output, no timings summary.
    pub fn new(quiet: bool) -> Self {
        Ui::with_output(quiet, false, false)
    }

    /// `json`: events on stdout instead of text on stderr (`--quiet` then changes nothing: a
    /// script wants every event). `timings`: `finish` says where the time went.
    pub fn with_output(quiet: bool, json: bool, timings: bool) -> Self {
        let tty = !json && std::io::stderr().is_terminal();
        Ui { quiet, tty, json, timings, bar: Mutex::new(None), phases: Mutex::default(), started: Instant::now(), captured: None }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    fn emit(&self, e: Event) {
        let line = e.render(self.started.elapsed());
        if let Some(lines) = &self.captured {
            return lines.lock().unwrap().push(line);
        }
        // a reader that went away loses the events, not the command
        let _ = print(&(line + "\n"));
    }

    fn current(&self) -> Option<String> {
        self.phases.lock().unwrap().open.as_ref().map(|(p, _)| p.phase.clone())
    }

    /// Starts a phase (ending the one under way): its title stays on screen; host steps show
    /// under it.
    pub fn phase(&self, title: &str) {
        self.finish_bar();
        self.phases.lock().unwrap().open = Some((PhaseTime { phase: title.to_string(), ..Default::default() }, Instant::now()));
        if self.json {
            return self.emit(Event::PhaseStart { phase: title });
        }
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

    /// Ends the phase under way, if any (`ok` false: the command failed in it).
    pub fn end_phase(&self, ok: bool) {
        if let Some(pb) = self.bar.lock().unwrap().take() {
            pb.finish_and_clear();
        }
        let ended = {
            let mut phases = self.phases.lock().unwrap();
            let Some((mut p, started)) = phases.open.take() else { return };
            p.duration = started.elapsed();
            if !ok {
                phases.failed = Some(p.phase.clone());
            }
            phases.ended.push(p.clone());
            p
        };
        if self.json {
            self.emit(Event::PhaseEnd { phase: &ended.phase, ok, duration: ended.duration });
        }
    }

    /// One thing that happened on one host.
    pub fn step(&self, host: &str, msg: &str) {
        if self.json {
            return self.emit(Event::Step { phase: self.current().as_deref(), host, message: msg });
        }
        if self.quiet {
            return;
        }
        match &*self.bar.lock().unwrap() {
            Some(pb) => pb.println(format!("    {host}: {msg}")),
            None => eprintln!("    {host}: {msg}"),
        }
    }

    /// Runs one host's part of the phase under way: its time counts for `--timings`, and its
    /// error is an `error` event naming the host (the text output shows the command's error,
    /// which holds every host's, at the end).
    pub async fn time_host<T>(&self, host: &str, work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        let started = Instant::now();
        let r = work.await;
        let took = started.elapsed();
        let phase = {
            let mut phases = self.phases.lock().unwrap();
            phases.open.as_mut().map(|(p, _)| {
                *p.hosts.entry(host.to_string()).or_default() += took;
                p.phase.clone()
            })
        };
        if let (Err(e), true) = (&r, self.json) {
            self.emit(Event::Error { phase: phase.as_deref(), host, error: &format!("{e:#}") });
        }
        r
    }

    /// Transient status for the spinner; not printed without a terminal, nor as an event.
    pub fn status(&self, msg: &str) {
        if let Some(pb) = &*self.bar.lock().unwrap() {
            pb.set_message(msg.to_string());
        }
    }

    pub fn info(&self, msg: &str) {
        if self.json {
            self.emit(Event::Info { phase: self.current().as_deref(), message: msg });
        } else if !self.quiet {
            self.println(msg.to_string());
        }
    }

    pub fn warn(&self, msg: &str) {
        if self.json {
            return self.emit(Event::Warning { phase: self.current().as_deref(), message: msg });
        }
        self.println(format!("WARNING: {msg}"));
    }

    fn println(&self, line: String) {
        match &*self.bar.lock().unwrap() {
            Some(pb) => pb.println(line),
            None => eprintln!("{line}"),
        }
    }

    /// Ends the phase under way (and its spinner).
    pub fn finish_bar(&self) {
        self.end_phase(true);
    }

    /// A command's result document (a plan, a report): one event of this kind in JSON mode,
    /// else indented JSON on stdout.
    pub fn document(&self, kind: &str, doc: &serde_json::Value) -> std::io::Result<()> {
        if self.json {
            self.emit(Event::Document { kind, document: doc });
            return Ok(());
        }
        print(&(serde_json::to_string_pretty(doc).map_err(std::io::Error::other)? + "\n"))
    }

    /// The end of a command: ends the phase under way (failed when the command did), prints
    /// `--timings`, and in JSON mode writes the outcome, the last line. Exit codes are
    /// `crate::exit`'s: the outcome says the code the process exits with.
    pub fn finish(&self, command: &str, result: &anyhow::Result<crate::exit::Code>) {
        self.end_phase(result.is_ok());
        if self.timings {
            let report = {
                let phases = self.phases.lock().unwrap();
                timings::Report::new(self.started.elapsed(), &phases.ended)
            };
            if self.json {
                self.emit(Event::Timings(&report));
            } else {
                eprint!("{}", report.render_text());
            }
        }
        if !self.json {
            return;
        }
        let code = match result {
            Ok(c) => *c,
            Err(e) => crate::exit::code_of(e),
        };
        let error = result.as_ref().err().map(|e| format!("{e:#}"));
        let failed = self.phases.lock().unwrap().failed.clone();
        self.emit(Event::Outcome {
            command,
            ok: code == crate::exit::Code::Ok,
            exit_code: code.as_i32(),
            error: error.as_deref(),
            phase: failed.as_deref(),
            duration: self.started.elapsed(),
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;
    use serde_json::Value;

    fn capturing(timings: bool) -> Ui {
        Ui { captured: Some(Mutex::default()), ..Ui::with_output(true, true, timings) }
    }

    fn events(ui: &Ui) -> Vec<Value> {
        ui.captured.as_ref().unwrap().lock().unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    fn kinds(events: &[Value]) -> Vec<&str> {
        events.iter().map(|e| e["event"].as_str().unwrap()).collect()
    }

    /// A run as `up` makes one: phases pair up, steps and host errors name their phase, the
    /// timings name every host, the outcome is last.
    #[tokio::test]
    async fn a_failing_run_ends_its_phase_failed_and_the_outcome_last() {
        let ui = capturing(true);
        ui.phase("Connect");
        ui.step("h1", "connected");
        ui.warn("Docker 1.2 is not tested");
        ui.status("not an event");
        ui.finish_bar();
        ui.phase("Files");
        ui.time_host("h1", async { Ok(()) }).await.unwrap();
        let e = ui.time_host("h2", async { Err::<(), _>(anyhow::anyhow!("host h2: writing /etc/x: disk full")) }).await.unwrap_err();
        ui.end_phase(false);
        ui.phase("Left open");
        let result: anyhow::Result<Code> = Err(e.context("deploying files"));
        ui.finish("up", &result);
        let ev = events(&ui);
        assert_eq!(
            kinds(&ev),
            ["phase_start", "step", "warning", "phase_end", "phase_start", "error", "phase_end", "phase_start", "phase_end", "timings", "outcome"]
        );
        assert_eq!((ev[1]["phase"].as_str(), ev[1]["host"].as_str(), ev[1]["message"].as_str()), (Some("Connect"), Some("h1"), Some("connected")));
        assert_eq!(ev[3]["ok"], true);
        assert_eq!((ev[5]["phase"].as_str(), ev[5]["host"].as_str()), (Some("Files"), Some("h2")));
        assert_eq!(ev[5]["error"], "host h2: writing /etc/x: disk full");
        assert_eq!((ev[6]["phase"].as_str(), ev[6]["ok"].as_bool()), (Some("Files"), Some(false)));
        assert_eq!((ev[8]["phase"].as_str(), ev[8]["ok"].as_bool()), (Some("Left open"), Some(false)), "the phase under way ends with the command");
        let files = ev[9]["phases"].as_array().unwrap().iter().find(|p| p["phase"] == "Files").unwrap();
        let hosts: Vec<&str> = files["hosts"].as_array().unwrap().iter().map(|h| h["host"].as_str().unwrap()).collect();
        assert_eq!(hosts.len(), 2);
        assert!(hosts.contains(&"h1") && hosts.contains(&"h2"), "{hosts:?}");
        let out = &ev[10];
        assert_eq!((out["command"].as_str(), out["ok"].as_bool(), out["exit_code"].as_i64()), (Some("up"), Some(false), Some(1)));
        assert_eq!(out["error"], "deploying files: host h2: writing /etc/x: disk full");
        assert_eq!(out["phase"], "Left open", "the last phase that failed");
    }

    /// A check that finds something succeeds with a non-zero code; a refusal keeps exit 3.
    #[test]
    fn the_outcome_carries_the_exit_code() {
        let ui = capturing(false);
        ui.document("report", &serde_json::json!({"certificates": []})).unwrap();
        ui.info("note");
        ui.finish("cert check-expiration", &Ok(Code::Invalid));
        let ev = events(&ui);
        assert_eq!(kinds(&ev), ["report", "info", "outcome"], "no timings unless asked");
        assert_eq!(ev[2]["ok"], false);
        assert_eq!(ev[2]["exit_code"], 2);
        assert_eq!(ev[2]["error"], Value::Null);
        let ui = capturing(false);
        ui.finish("remove", &Err(crate::exit::Refused("mounted".into()).into()));
        let ev = events(&ui);
        assert_eq!((ev[0]["exit_code"].as_i64(), ev[0]["error"].as_str(), ev[0]["phase"].as_str()), (Some(3), Some("mounted"), None));
        let ui = capturing(false);
        ui.finish("up", &Ok(Code::Ok));
        assert_eq!(events(&ui)[0]["ok"], true);
    }
}
