//! `--output json` and `--timings` of a real `up`: the event stream a CI job follows.
use crate::common::*;
use serde_json::Value;

fn kind(e: &Value) -> &str {
    e["event"].as_str().unwrap()
}

/// Phase starts and ends pair up, one phase at a time, and every other event between them
/// names the phase under way.
fn phases_pair_up(events: &[Value]) -> Vec<(String, bool)> {
    let mut open: Option<String> = None;
    let mut ended = Vec::new();
    for e in events {
        match kind(e) {
            "phase_start" => {
                assert!(open.is_none(), "{e} starts inside {open:?}");
                open = Some(e["phase"].as_str().unwrap().to_string());
            }
            "phase_end" => {
                let p = open.take().unwrap_or_else(|| panic!("{e} ends no phase"));
                assert_eq!(e["phase"], p.as_str());
                assert!(e["duration_ms"].is_u64(), "{e}");
                ended.push((p, e["ok"].as_bool().unwrap()));
            }
            "step" | "error" | "warning" | "info" => assert_eq!(e["phase"].as_str(), open.as_deref(), "{e}"),
            _ => {}
        }
        assert!(e["elapsed_ms"].is_u64(), "{e}");
    }
    assert!(open.is_none(), "{open:?} never ended");
    ended
}

#[test]
fn up_output_json_is_a_stream_of_events_ending_with_the_outcome() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    let r = tb.up_ok(&["--output", "json", "--timings"]);
    let events = r.events();
    assert!(!r.stderr.contains("==> ") && !r.stderr.contains("Timings"), "no text progress in JSON mode: {}", r.stderr);
    let ended = phases_pair_up(&events);
    let names: Vec<&str> = ended.iter().map(|(p, _)| p.as_str()).collect();
    for p in ["Connect", "Images", "Certificates and files", "etcd plane", "Control plane", "Worker plane"] {
        assert!(names.contains(&p), "phase {p} missing: {names:?}");
    }
    assert!(ended.iter().all(|(_, ok)| *ok), "{ended:?}");
    // per-host steps: every host connected, and got its containers
    for h in &tb.hosts[..3] {
        let steps: Vec<&Value> = events.iter().filter(|e| kind(e) == "step" && e["host"] == h.ip.as_str()).collect();
        assert!(steps.iter().any(|e| e["phase"] == "Connect" && e["message"].as_str().unwrap().starts_with("connected")), "{}: {steps:?}", h.ip);
        assert!(steps.iter().any(|e| e["phase"] == "etcd plane" && e["message"] == "created container etcd"), "{}: {steps:?}", h.ip);
    }
    assert!(events.iter().any(|e| kind(e) == "info" && e["message"].as_str().unwrap().starts_with("Applied ")), "the summary is an info event");
    // where the time went: every host in the phases that run per host
    let timings = r.event("timings");
    let phases = timings["phases"].as_array().unwrap();
    let durations: Vec<u64> = phases.iter().map(|p| p["duration_ms"].as_u64().unwrap()).collect();
    assert!(durations.windows(2).all(|w| w[0] >= w[1]), "slowest first: {timings}");
    for p in ["Images", "Certificates and files", "etcd plane"] {
        let phase = phases.iter().find(|x| x["phase"] == p).unwrap_or_else(|| panic!("{p} missing: {timings}"));
        let hosts: Vec<&str> = phase["hosts"].as_array().unwrap().iter().map(|h| h["host"].as_str().unwrap()).collect();
        for h in &tb.hosts[..3] {
            assert!(hosts.contains(&h.ip.as_str()), "{p}: {} missing: {timings}", h.ip);
        }
    }
    assert!(timings["total_ms"].as_u64().unwrap() >= durations.iter().sum::<u64>(), "{timings}");
    let outcome = events.last().unwrap();
    assert_eq!((outcome["command"].as_str(), outcome["ok"].as_bool(), outcome["exit_code"].as_i64()), (Some("up"), Some(true), Some(0)), "{outcome}");
    assert_eq!(outcome["error"], Value::Null);
    // no secret in the stream: neither the SSH key nor a private key from the state
    let key = std::fs::read_to_string(tb.key()).unwrap();
    assert!(!r.stdout.contains(key.lines().nth(1).unwrap()) && !r.stdout.contains("PRIVATE KEY"));

    // text mode with --timings: the table on stderr, stdout empty
    let again = tb.up_ok(&["--timings"]);
    assert!(again.stdout.is_empty(), "{}", again.stdout);
    let table = &again.stderr[again.stderr.find("Timings (total ").unwrap_or_else(|| panic!("{}", again.stderr))..];
    for h in &tb.hosts[..3] {
        assert!(table.contains(&format!("        {}\n", h.ip)), "{} missing: {table}", h.ip);
    }
    assert!(table.contains("%  Images\n") && table.contains("(outside phases)"), "{table}");
}

#[test]
fn a_failing_up_ends_with_a_failed_outcome_naming_host_and_phase() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(2, "services:\n  etcd:\n    extra_args:\n      no-such-etcd-flag: \"1\"\n"));
    let archive = tb.archive();
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap(), "--etcd-health-timeout", "20", "--output", "json", "--timings"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let events = r.events();
    let ended = phases_pair_up(&events);
    assert_eq!(ended.last(), Some(&("etcd plane".to_string(), false)), "the phase that failed ends failed, and no later phase ran: {ended:?}");
    assert!(ended[..ended.len() - 1].iter().all(|(_, ok)| *ok), "{ended:?}");
    // each member's failure is an error event naming its host, with etcd's complaint
    for h in &tb.hosts[..2] {
        let e = events.iter().find(|e| kind(e) == "error" && e["host"] == h.ip.as_str()).unwrap_or_else(|| panic!("no error event for {}: {}", h.ip, r.stdout));
        assert_eq!(e["phase"], "etcd plane");
        let text = e["error"].as_str().unwrap();
        assert!(text.contains("last log lines") && text.contains("no-such-etcd-flag"), "{e}");
    }
    assert!(r.event("timings")["phases"].as_array().unwrap().iter().any(|p| p["phase"] == "etcd plane"), "timings on failure too");
    let outcome = events.last().unwrap();
    assert_eq!((outcome["ok"].as_bool(), outcome["exit_code"].as_i64(), outcome["phase"].as_str()), (Some(false), Some(1), Some("etcd plane")), "{outcome}");
    let error = outcome["error"].as_str().unwrap();
    assert!(error.contains("container etcd") && error.contains("no-such-etcd-flag"), "{outcome}");
    assert!(r.error_line().starts_with("error: "), "the error stays on stderr too: {}", r.stderr);
    assert!(!events.iter().any(|e| kind(e) == "info" && e["message"].as_str().unwrap().starts_with("Applied")), "no success reported");
}

/// The snapshot, cert and remove commands speak the same events: the snapshot's manifest is one
/// `snapshot` event, and each command ends with its outcome.
#[test]
fn snapshot_save_cert_rotate_and_remove_output_json() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let save = tb.stockade(&["etcd", "snapshot-save", "--name", "evt", "--output", "json", "--timings"]);
    assert_eq!(save.code, 0, "{}", save.all());
    let events = save.events();
    assert!(phases_pair_up(&events).iter().any(|(p, ok)| p == "Snapshot" && *ok), "{}", save.stdout);
    let snap = save.event("snapshot");
    assert_eq!(snap["name"], "evt");
    assert_eq!(snap["sha256"].as_str().map(str::len), Some(64), "{snap}");
    let hosts: Vec<&str> = snap["hosts"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    assert_eq!(hosts, tb.hosts[..3].iter().map(|h| h.ip.as_str()).collect::<Vec<_>>());
    assert!(save.event("timings")["phases"].as_array().unwrap().iter().any(|p| p["phase"] == "Snapshot"));
    assert_eq!(events.last().unwrap()["command"], "etcd snapshot-save");

    let ls = tb.stockade(&["etcd", "snapshot", "ls", "--output", "json"]);
    assert_eq!(ls.code, 0, "{}", ls.all());
    assert_eq!(ls.event("snapshots")["snapshots"].as_array().unwrap().len(), 3, "{}", ls.stdout);

    // cert rotate runs up's phases: the recreated etcd members are steps, one per host
    let rot = tb.stockade(&["cert", "rotate", "--service", "etcd", "--output", "json", "--timings"]);
    assert_eq!(rot.code, 0, "{}", rot.all());
    let events = rot.events();
    assert!(phases_pair_up(&events).iter().all(|(_, ok)| *ok));
    for h in &tb.hosts[..3] {
        assert!(
            events.iter().any(|e| kind(e) == "step" && e["phase"] == "etcd plane" && e["host"] == h.ip.as_str() && e["message"].as_str().unwrap().starts_with("recreated container etcd")),
            "{}: {}",
            h.ip,
            rot.stdout
        );
    }
    assert!(rot.event("timings")["phases"].as_array().unwrap().iter().any(|p| p["phase"] == "etcd plane"));
    assert_eq!((events.last().unwrap()["command"].as_str(), events.last().unwrap()["ok"].as_bool()), (Some("cert rotate"), Some(true)));
    assert!(!rot.stdout.contains("PRIVATE KEY"), "no key in the events");

    let rm = tb.stockade(&["remove", "--force", "--output", "json", "--timings"]);
    assert_eq!(rm.code, 0, "{}", rm.all());
    let events = rm.events();
    let ended = phases_pair_up(&events);
    assert!(ended.iter().any(|(p, _)| p == "Remove containers") && ended.iter().all(|(_, ok)| *ok), "{ended:?}");
    let timings = rm.event("timings");
    let removing = timings["phases"].as_array().unwrap().iter().find(|p| p["phase"] == "Remove containers").unwrap().clone();
    assert_eq!(removing["hosts"].as_array().unwrap().len(), 3, "{timings}");
    let outcome = events.last().unwrap();
    assert_eq!((outcome["command"].as_str(), outcome["ok"].as_bool()), (Some("remove"), Some(true)), "{outcome}");
    assert!(tb.container_id(tb.h(0), "etcd").is_empty(), "removed");
}
