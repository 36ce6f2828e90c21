//! `--timings`: where a command's time went, per phase and per host within the phases that run
//! on each host, slowest first. Phases of the same title (a command that connects twice) are
//! added up; a host's time in a phase is the sum of its runs there.
use super::event::ms;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// One phase as it ran.
#[derive(Clone, Debug, Default)]
pub struct PhaseTime {
    pub phase: String,
    pub duration: Duration,
    /// time each host spent in the phase's per-host work (`Ctx::on_each_host`)
    pub hosts: BTreeMap<String, Duration>,
}

/// One phase in the summary: its time, and each host's.
#[derive(Debug, PartialEq)]
pub struct Spent {
    pub phase: String,
    pub duration: Duration,
    pub hosts: Vec<(String, Duration)>,
}

/// The summary printed at the end.
#[derive(Debug, PartialEq)]
pub struct Report {
    pub total: Duration,
    /// slowest first; hosts within each slowest first
    pub phases: Vec<Spent>,
    /// time outside every phase (reading files, issuing certificates, writing the state)
    pub outside: Duration,
}

impl Report {
    pub fn new(total: Duration, ran: &[PhaseTime]) -> Report {
        let mut merged: Vec<PhaseTime> = Vec::new();
        for p in ran {
            match merged.iter_mut().find(|m| m.phase == p.phase) {
                Some(m) => {
                    m.duration += p.duration;
                    for (h, d) in &p.hosts {
                        *m.hosts.entry(h.clone()).or_default() += *d;
                    }
                }
                None => merged.push(p.clone()),
            }
        }
        let in_phases: Duration = merged.iter().map(|p| p.duration).sum();
        // slowest first; equal durations keep the order they ran in (stable sort)
        merged.sort_by_key(|p| std::cmp::Reverse(p.duration));
        let phases = merged
            .into_iter()
            .map(|p| {
                let mut hosts: Vec<(String, Duration)> = p.hosts.into_iter().collect();
                hosts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                Spent { phase: p.phase, duration: p.duration, hosts }
            })
            .collect();
        Report { total, phases, outside: total.saturating_sub(in_phases) }
    }

    /// The fields of the `timings` event.
    pub fn fields(&self) -> Vec<(String, Value)> {
        let phases: Vec<Value> = self
            .phases
            .iter()
            .map(|p| {
                let hosts: Vec<Value> = p.hosts.iter().map(|(h, d)| json!({"host": h, "duration_ms": ms(*d)})).collect();
                json!({"phase": p.phase, "duration_ms": ms(p.duration), "hosts": hosts})
            })
            .collect();
        vec![("total_ms".into(), ms(self.total).into()), ("phases".into(), phases.into()), ("outside_phases_ms".into(), ms(self.outside).into())]
    }

    /// For stderr: one line per phase with its share of the total, its hosts indented below.
    pub fn render_text(&self) -> String {
        let secs = |d: &Duration| format!("{:>7.1}s", d.as_secs_f64());
        let share = |d: &Duration| if self.total.is_zero() { 0.0 } else { 100.0 * d.as_secs_f64() / self.total.as_secs_f64() };
        let mut out = format!("Timings (total {:.1}s):\n", self.total.as_secs_f64());
        for p in &self.phases {
            out.push_str(&format!("  {} {:>3.0}%  {}\n", secs(&p.duration), share(&p.duration), p.phase));
            for (h, d) in &p.hosts {
                out.push_str(&format!("  {}        {h}\n", secs(d)));
            }
        }
        out.push_str(&format!("  {} {:>3.0}%  (outside phases)\n", secs(&self.outside), share(&self.outside)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(name: &str, ms: u64, hosts: &[(&str, u64)]) -> PhaseTime {
        PhaseTime { phase: name.into(), duration: Duration::from_millis(ms), hosts: hosts.iter().map(|(h, d)| (h.to_string(), Duration::from_millis(*d))).collect() }
    }

    #[test]
    fn slowest_first_same_phases_added_up() {
        let ran = [phase("Connect", 300, &[]), phase("Images", 5000, &[("h1", 1000), ("h2", 4000)]), phase("Connect", 200, &[]), phase("Files", 500, &[("h2", 100), ("h1", 200)])];
        let r = Report::new(Duration::from_millis(6500), &ran);
        let order: Vec<&str> = r.phases.iter().map(|p| p.phase.as_str()).collect();
        assert_eq!(order, ["Images", "Connect", "Files"]);
        assert_eq!(r.phases[1].duration, Duration::from_millis(500));
        assert_eq!(r.phases[0].hosts, vec![("h2".to_string(), Duration::from_millis(4000)), ("h1".to_string(), Duration::from_millis(1000))]);
        assert_eq!(r.outside, Duration::from_millis(500));
        let text = r.render_text();
        assert!(text.starts_with("Timings (total 6.5s):\n      5.0s  77%  Images\n      4.0s        h2\n      1.0s        h1\n"), "{text}");
        assert!(text.ends_with("      0.5s   8%  (outside phases)\n"), "{text}");
        let fields: serde_json::Map<String, Value> = r.fields().into_iter().collect();
        assert_eq!(fields["total_ms"], 6500);
        assert_eq!(fields["phases"][0], json!({"phase": "Images", "duration_ms": 5000, "hosts": [{"host": "h2", "duration_ms": 4000}, {"host": "h1", "duration_ms": 1000}]}));
        assert_eq!(fields["outside_phases_ms"], 500);
    }
}
