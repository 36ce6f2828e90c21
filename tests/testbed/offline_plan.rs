//! `up --dry-run --offline` and `cert check-expiration` against a cluster `up` built: the
//! offline plan is what runs on the hosts (images, commands, every label including the digests
//! of the inputs, files and their modes), and the expiry dates listed are those of the
//! certificates the hosts hold.
use crate::common::*;
use serde_json::Value;
use std::process::Command;

/// `openssl x509 -enddate` of a certificate file, as text.
fn enddate(path: &std::path::Path) -> String {
    let o = Command::new("openssl").args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in"]).arg(path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // notAfter=2036-12-04 09:20:00Z -> 2036-12-04T09:20:00Z
    String::from_utf8_lossy(&o.stdout).trim().trim_start_matches("notAfter=").replace(' ', "T")
}

#[test]
fn the_offline_plan_is_what_up_deployed() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let state_before = std::fs::read(tb.state_path()).unwrap();

    let r = tb.stockade(&["up", "--dry-run", "--offline", "--output", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stderr.contains("Connect"), "the offline plan connected: {}", r.stderr);
    let doc: Value = r.event("plan");
    assert_eq!(doc["certificates_to_issue"], serde_json::json!([]), "the state's certificates are reused");
    assert_eq!(doc["etcd_membership"], serde_json::json!([]));
    let mut checked = 0;
    for h in &tb.hosts[..3] {
        let plan = &doc["plan"]["hosts"][&h.ip];
        for c in plan["containers"].as_array().unwrap_or_else(|| panic!("no plan for {}: {doc}", h.ip)) {
            let name = c["name"].as_str().unwrap();
            let inspect: Value = serde_json::from_str(&tb.docker_out(h, &["inspect", "--format", "{{json .Config}}", name])).unwrap_or_else(|e| panic!("{} {name}: {e}", h.name));
            assert_eq!(inspect["Image"], c["image"], "{} {name}", h.name);
            if !c["cmd"].as_array().unwrap().is_empty() {
                assert_eq!(inspect["Cmd"], c["cmd"], "{} {name}", h.name);
            }
            for (k, v) in c["labels"].as_object().unwrap() {
                assert_eq!(&inspect["Labels"][k], v, "{} {name}: label {k}", h.name);
            }
            checked += 1;
        }
        for f in plan["files"].as_array().unwrap() {
            let (path, mode) = f.as_str().unwrap().rsplit_once(' ').unwrap();
            let Some(rest) = path.strip_prefix("/etc/kubernetes/") else { continue };
            let on_host = tb.host_path(h, "etc-kubernetes").join(rest);
            assert!(on_host.exists(), "{} lacks {path}", h.name);
            assert_eq!(format!("{:o}", file_mode(&on_host)), mode, "{} {path}", h.name);
        }
    }
    assert!(checked >= 15, "every container of the three hosts: {checked}");

    // the expiry dates are those of the certificates on the hosts
    let r = tb.stockade(&["cert", "check-expiration", "--output", "json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let report: Value = r.event("report");
    let state: Value = serde_json::from_slice(&state_before).unwrap();
    let mut in_state: Vec<&str> = state["currentState"]["certificatesBundle"].as_object().unwrap().keys().map(String::as_str).collect();
    in_state.sort();
    let listed: Vec<&str> = report["certificates"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(listed, in_state, "every certificate of the state, once");
    for c in report["certificates"].as_array().unwrap() {
        assert_eq!(c["expiring"], false, "{c}");
        let name = c["name"].as_str().unwrap();
        let on_host = tb.host_path(tb.h(0), "etc-kubernetes").join(format!("ssl/{name}.pem"));
        if on_host.exists() {
            assert_eq!(c["not_after"].as_str().unwrap(), enddate(&on_host), "{name}");
        }
    }
    let r = tb.stockade(&["cert", "check-expiration", "--warn-days", "4000"]);
    assert_eq!(r.code, 2, "every certificate expires within 4000 days: {}", r.all());
    assert_eq!(std::fs::read(tb.state_path()).unwrap(), state_before, "nothing may write the state");
}
