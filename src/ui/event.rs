//! The events of `--output json`: one JSON object per line on stdout, `event` (its kind) first,
//! `elapsed_ms` (milliseconds since the command started) last. A field that holds text holds
//! what the text output would say, which never includes a secret (messages name variables and
//! files, never values). Multi-line errors stay on one line (JSON escapes the newlines).
use super::timings::Report;
use serde_json::Value;
use std::time::Duration;

pub enum Event<'a> {
    /// a phase began (`Connect`, `Etcd plane`, `Snapshot`, ...)
    PhaseStart { phase: &'a str },
    /// it ended: `ok` false when the command failed in it
    PhaseEnd { phase: &'a str, ok: bool, duration: Duration },
    /// one thing that happened on one host
    Step { phase: Option<&'a str>, host: &'a str, message: &'a str },
    /// a host's part of a phase failed (the outcome carries the command's whole error)
    Error { phase: Option<&'a str>, host: &'a str, error: &'a str },
    Warning { phase: Option<&'a str>, message: &'a str },
    Info { phase: Option<&'a str>, message: &'a str },
    /// a command's result (a plan, a report, a snapshot list): an object's fields are the
    /// event's fields; anything else is the field named like the event
    Document { kind: &'a str, document: &'a Value },
    /// `--timings`: where the time went
    Timings(&'a Report),
    /// always the last line
    Outcome { command: &'a str, ok: bool, exit_code: i32, error: Option<&'a str>, phase: Option<&'a str>, duration: Duration },
}

/// Milliseconds, as the events carry durations.
pub fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Event<'_> {
    pub fn kind(&self) -> &str {
        match self {
            Event::PhaseStart { .. } => "phase_start",
            Event::PhaseEnd { .. } => "phase_end",
            Event::Step { .. } => "step",
            Event::Error { .. } => "error",
            Event::Warning { .. } => "warning",
            Event::Info { .. } => "info",
            Event::Document { kind, .. } => kind,
            Event::Timings(_) => "timings",
            Event::Outcome { .. } => "outcome",
        }
    }

    /// The fields after `event`, in the order they are written.
    fn fields(&self) -> Vec<(String, Value)> {
        let s = |v: &str| Value::from(v);
        let opt = |v: Option<&str>| v.map(Value::from).unwrap_or(Value::Null);
        let f = |k: &str, v: Value| (k.to_string(), v);
        match self {
            Event::PhaseStart { phase } => vec![f("phase", s(phase))],
            Event::PhaseEnd { phase, ok, duration } => vec![f("phase", s(phase)), f("ok", (*ok).into()), f("duration_ms", ms(*duration).into())],
            Event::Step { phase, host, message } => vec![f("phase", opt(*phase)), f("host", s(host)), f("message", s(message))],
            Event::Error { phase, host, error } => vec![f("phase", opt(*phase)), f("host", s(host)), f("error", s(error))],
            Event::Warning { phase, message } | Event::Info { phase, message } => vec![f("phase", opt(*phase)), f("message", s(message))],
            Event::Document { kind, document } => match document {
                Value::Object(m) => m.iter().filter(|(k, _)| *k != "event" && *k != "elapsed_ms").map(|(k, v)| (k.clone(), v.clone())).collect(),
                other => vec![f(kind, (*other).clone())],
            },
            Event::Timings(report) => report.fields(),
            Event::Outcome { command, ok, exit_code, error, phase, duration } => vec![
                f("command", s(command)),
                f("ok", (*ok).into()),
                f("exit_code", (*exit_code).into()),
                f("error", opt(*error)),
                f("phase", opt(*phase)),
                f("duration_ms", ms(*duration).into()),
            ],
        }
    }

    /// The event as one line of JSON, without the newline.
    pub fn render(&self, elapsed: Duration) -> String {
        let key = |k: &str| Value::from(k).to_string();
        let mut line = format!("{{{}:{}", key("event"), key(self.kind()));
        for (k, v) in self.fields() {
            line.push_str(&format!(",{}:{v}", key(&k)));
        }
        line.push_str(&format!(",{}:{}}}", key("elapsed_ms"), ms(elapsed)));
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(e: Event) -> Value {
        let line = e.render(Duration::from_millis(1500));
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with(&format!("{{\"event\":\"{}\",", e.kind())), "the kind comes first: {line}");
        serde_json::from_str(&line).unwrap()
    }

    #[test]
    fn every_event_is_one_line_of_json_with_its_fields() {
        let d = Duration::from_millis(2345);
        assert_eq!(parsed(Event::PhaseStart { phase: "Connect" }), json!({"event": "phase_start", "phase": "Connect", "elapsed_ms": 1500}));
        assert_eq!(
            parsed(Event::PhaseEnd { phase: "Connect", ok: false, duration: d }),
            json!({"event": "phase_end", "phase": "Connect", "ok": false, "duration_ms": 2345, "elapsed_ms": 1500})
        );
        assert_eq!(
            parsed(Event::Step { phase: Some("Files"), host: "10.0.0.1", message: "wrote \"a\"\nb" }),
            json!({"event": "step", "phase": "Files", "host": "10.0.0.1", "message": "wrote \"a\"\nb", "elapsed_ms": 1500})
        );
        assert_eq!(
            parsed(Event::Error { phase: None, host: "h1", error: "host h1: etcd exited\nlast log lines: x" }),
            json!({"event": "error", "phase": null, "host": "h1", "error": "host h1: etcd exited\nlast log lines: x", "elapsed_ms": 1500})
        );
        assert_eq!(parsed(Event::Warning { phase: None, message: "w" }), json!({"event": "warning", "phase": null, "message": "w", "elapsed_ms": 1500}));
        assert_eq!(parsed(Event::Info { phase: Some("P"), message: "i" }), json!({"event": "info", "phase": "P", "message": "i", "elapsed_ms": 1500}));
        assert_eq!(
            parsed(Event::Outcome { command: "etcd snapshot-save", ok: false, exit_code: 3, error: Some("refused"), phase: Some("Snapshot"), duration: d }),
            json!({"event": "outcome", "command": "etcd snapshot-save", "ok": false, "exit_code": 3, "error": "refused", "phase": "Snapshot", "duration_ms": 2345, "elapsed_ms": 1500})
        );
        assert_eq!(
            parsed(Event::Outcome { command: "up", ok: true, exit_code: 0, error: None, phase: None, duration: d })["error"],
            Value::Null
        );
    }

    /// A command's document keeps its shape: its fields become the event's.
    #[test]
    fn a_document_is_one_event_with_its_own_fields() {
        let plan = json!({"dry_run": true, "hosts": [{"address": "h1"}], "event": "not mine"});
        assert_eq!(
            parsed(Event::Document { kind: "plan", document: &plan }),
            json!({"event": "plan", "dry_run": true, "hosts": [{"address": "h1"}], "elapsed_ms": 1500})
        );
        let list = json!([{"name": "s1"}]);
        assert_eq!(parsed(Event::Document { kind: "snapshots", document: &list }), json!({"event": "snapshots", "snapshots": [{"name": "s1"}], "elapsed_ms": 1500}));
    }
}
