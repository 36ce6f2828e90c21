//! The `stockade` binary as scripts and CI use it, without any host: exit codes per class
//! (0 ok, 1 failed, 2 bad input, 3 refused as unsafe), a closed stdout, the man page and
//! completions, `cert check-expiration`, `up --dry-run --offline`, and `config` (the cluster.yml
//! wizard, driven through a pseudo-terminal).
//!
//! Everything that could connect runs in an empty network namespace (`unshare --net`): a
//! connection attempt fails there, so "no host was contacted" is what the run shows, not what
//! it claims; the offline plan is also run against a local TCP listener that must see no
//! connection.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_stockade");

/// Runs stockade in `dir` inside an empty network namespace, stdin not a terminal.
fn offline(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("unshare")
        .args(["--net", "--map-root-user"])
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("unshare: "), "cannot make an empty network namespace: {stderr}");
    assert!(!stderr.contains("panicked"), "stockade {args:?} panicked: {stderr}");
    out
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The events of `--output json`: every stdout line is one JSON object, the last one the outcome
/// with the process's exit code.
fn events(o: &Output) -> Vec<serde_json::Value> {
    let events: Vec<serde_json::Value> = stdout(o).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect();
    let last = events.last().unwrap_or_else(|| panic!("no events: {}", stderr(o)));
    assert_eq!(last["event"], "outcome", "the outcome is the last line: {}", stdout(o));
    assert_eq!(last["exit_code"].as_i64(), code(o).map(i64::from), "{}", stdout(o));
    events
}

/// The one event of this kind (a command's result: `plan`, `report`).
fn event(o: &Output, kind: &str) -> serde_json::Value {
    let mut found: Vec<serde_json::Value> = events(o).into_iter().filter(|e| e["event"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} event: {}", stdout(o));
    found.remove(0)
}

const NODES: &str = "nodes:\n  - address: 10.255.255.1\n    user: root\n    role: [etcd, controlplane, worker]\n    ssh_key_path: /nonexistent/id_ed25519\n";

fn cluster(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.yml"), text).unwrap();
    dir
}

/// A state file whose last run recorded these etcd hosts.
fn state_with_etcd(dir: &Path, addrs: &[&str]) {
    let nodes: Vec<serde_json::Value> =
        addrs.iter().map(|a| serde_json::json!({"address": a, "user": "root", "role": ["etcd", "controlplane", "worker"]})).collect();
    let state = serde_json::json!({"desiredState": {"rkeConfig": {"nodes": nodes}}, "currentState": {"rkeConfig": {"nodes": nodes}}});
    std::fs::write(dir.join("cluster.rkestate"), state.to_string()).unwrap();
}

#[test]
fn help_documents_the_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let o = offline(dir.path(), &["--help"]);
    assert_eq!(code(&o), Some(0));
    let help = stdout(&o);
    for line in ["Exit status:", "  0  success", "  1  an operation failed", "  2  bad input", "  3  refused as unsafe"] {
        assert!(help.contains(line), "{help}");
    }
}

#[test]
fn exit_code_0_when_done() {
    let dir = cluster(NODES);
    assert_eq!(code(&offline(dir.path(), &["version"])), Some(0));
    let o = offline(dir.path(), &["validate"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
}

#[test]
fn exit_code_1_when_a_host_fails() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    assert!(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).status().unwrap().success());
    std::fs::write(dir.path().join("cluster.yml"), NODES.replace("/nonexistent/id_ed25519", key.to_str().unwrap())).unwrap();
    let o = offline(dir.path(), &["up"]);
    assert_eq!(code(&o), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("host 10.255.255.1:22: SSH connection failed"), "{}", stderr(&o));
}

#[test]
fn exit_code_2_for_bad_input() {
    let dir = cluster(NODES);
    // clap's own usage errors
    for args in [&["up", "--no-such-flag"][..], &["up", "--output", "yaml"], &["up", "--offline"], &["cert", "check-expiration", "--warn-days", "x"], &["nope"], &["config", "--system-images", "--version", "v1.99.0"]] {
        let o = offline(dir.path(), args);
        assert_eq!(code(&o), Some(2), "{args:?}: {}", stderr(&o));
    }
    // a bad cluster.yml, for every command that reads it
    let bad = cluster(&format!("{NODES}kubernetes_verison: v1.30.10-rancher1-1\n"));
    for args in [&["validate"][..], &["up"], &["up", "--dry-run"], &["up", "--dry-run", "--offline"], &["remove", "--force"], &["util", "get-kubeconfig"]] {
        let o = offline(bad.path(), args);
        assert_eq!(code(&o), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("error: cluster.yml:6:1: unknown key `kubernetes_verison`"), "{args:?}: {}", stderr(&o));
    }
    // a quoted boolean, as yaml.v2 refused it
    let o = offline(cluster(&format!("{NODES}ignore_docker_version: 'yes'\n")).path(), &["validate"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cluster.yml:6:1: `ignore_docker_version` takes a boolean, but 'yes' is quoted"), "{}", stderr(&o));
    // a state file that is not JSON
    std::fs::write(dir.path().join("cluster.rkestate"), "{not json").unwrap();
    for args in [&["up"][..], &["validate"], &["cert", "check-expiration"]] {
        let o = offline(dir.path(), args);
        assert_eq!(code(&o), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("cluster.rkestate:1:2: the state file is not valid JSON"), "{args:?}: {}", stderr(&o));
    }
    // local files named by cluster.yml or a flag
    let o = offline(cluster(NODES).path(), &["up"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("SSH key /nonexistent/id_ed25519 does not exist: fix ssh_key_path in cluster.yml"), "{}", stderr(&o));
    let o = offline(cluster(NODES).path(), &["up", "--image-archive", "/nonexistent/images.tar"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--image-archive /nonexistent/images.tar"), "{}", stderr(&o));
    let o = offline(cluster(NODES).path(), &["util", "get-kubeconfig"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    // no state file to check; remove that cannot ask
    let o = offline(cluster(NODES).path(), &["cert", "check-expiration"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cluster.rkestate: no state file"), "{}", stderr(&o));
    let o = offline(cluster(NODES).path(), &["remove"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("rerun with --force"), "{}", stderr(&o));
}

/// `--output json` ends with the outcome even when the command fails before any host is
/// contacted: every stdout line is a JSON object, the last one says the exit code and the error.
#[test]
fn json_events_end_with_the_outcome_on_bad_input() {
    let bad = cluster(&format!("{NODES}kubernetes_verison: v1.30.10-rancher1-1\n"));
    for args in [&["up"][..], &["up", "--dry-run", "--offline"], &["remove", "--force"], &["cert", "rotate"], &["etcd", "snapshot-save"], &["etcd", "snapshot-restore", "--name", "s"], &["etcd", "snapshot", "ls"]] {
        // `snapshot ls` has no --timings
        let o = offline(bad.path(), &[args, &["--output", "json", "--timings"][..if args.get(1) == Some(&"snapshot") { 2 } else { 3 }]].concat());
        assert_eq!(code(&o), Some(2), "{args:?}: {}", stderr(&o));
        let ev = events(&o);
        let outcome = ev.last().unwrap();
        assert_eq!(outcome["command"], args.iter().take_while(|a| !a.starts_with("--")).copied().collect::<Vec<_>>().join(" "), "{outcome}");
        assert_eq!((outcome["ok"].as_bool(), outcome["phase"].as_str()), (Some(false), None), "{outcome}");
        assert!(outcome["error"].as_str().unwrap().starts_with("cluster.yml:6:1: unknown key `kubernetes_verison`"), "{outcome}");
        assert!(outcome["duration_ms"].is_u64(), "{outcome}");
        // the human error stays on stderr
        assert!(stderr(&o).starts_with("error: cluster.yml:6:1: unknown key"), "{args:?}: {}", stderr(&o));
    }
    // --timings: one event before the outcome
    let o = offline(bad.path(), &["up", "--output", "json", "--timings"]);
    let ev = events(&o);
    assert_eq!(ev.iter().map(|e| e["event"].as_str().unwrap()).collect::<Vec<_>>(), ["timings", "outcome"]);
    assert!(ev[0]["total_ms"].is_u64() && ev[0]["phases"] == serde_json::json!([]), "{}", ev[0]);
    // in text mode the timings go to stderr, and stdout stays empty
    let o = offline(bad.path(), &["up", "--timings"]);
    assert_eq!(code(&o), Some(2));
    assert!(stderr(&o).contains("Timings (total ") && stderr(&o).contains("(outside phases)"), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
}

/// A host that cannot be reached: the phase it failed in ends failed and the outcome names it,
/// with exit 1 and the host in the error.
#[test]
fn json_events_name_the_phase_and_host_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    assert!(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).status().unwrap().success());
    std::fs::write(dir.path().join("cluster.yml"), NODES.replace("/nonexistent/id_ed25519", key.to_str().unwrap())).unwrap();
    let o = offline(dir.path(), &["up", "--output", "json"]);
    assert_eq!(code(&o), Some(1), "{}", stderr(&o));
    let ev = events(&o);
    let kinds: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    let start = kinds.iter().position(|k| *k == "phase_start").unwrap_or_else(|| panic!("{}", stdout(&o)));
    assert_eq!(ev[start]["phase"], "Connect");
    assert!(kinds[..start].iter().all(|k| *k == "warning"), "only warnings before the first phase: {}", stdout(&o));
    let end = ev.iter().find(|e| e["event"] == "phase_end").unwrap_or_else(|| panic!("{}", stdout(&o)));
    assert_eq!((end["phase"].as_str(), end["ok"].as_bool()), (Some("Connect"), Some(false)), "{end}");
    let outcome = ev.last().unwrap();
    assert_eq!((outcome["ok"].as_bool(), outcome["phase"].as_str()), (Some(false), Some("Connect")), "{outcome}");
    assert!(outcome["error"].as_str().unwrap().contains("host 10.255.255.1:22: SSH connection failed"), "{outcome}");
}

#[test]
fn exit_code_3_when_refused_as_unsafe() {
    // cluster.yml replaces every recorded etcd member: refused before any host is contacted
    let dir = cluster(NODES);
    state_with_etcd(dir.path(), &["10.255.255.7", "10.255.255.8", "10.255.255.9"]);
    for args in [&["up"][..], &["up", "--dry-run"], &["up", "--dry-run", "--offline"]] {
        let o = offline(dir.path(), args);
        assert_eq!(code(&o), Some(3), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("replaces every etcd member") && stderr(&o).contains("Nothing was changed"), "{}", stderr(&o));
    }
    // two of three members removed at once: below quorum
    let three = "nodes:\n  - address: 10.255.255.1\n    user: root\n    role: [etcd, controlplane, worker]\n";
    let dir = cluster(three);
    state_with_etcd(dir.path(), &["10.255.255.1", "10.255.255.2", "10.255.255.3"]);
    let o = offline(dir.path(), &["up"]);
    assert_eq!(code(&o), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("below the quorum"), "{}", stderr(&o));

    // secrets encryption turned off while the state records the key
    let dir = cluster(NODES);
    let key = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources:\n  - secrets\n  providers:\n  - aescbc:\n      keys:\n      - name: stockade-key-1\n        secret: c2VjcmV0LWtleS1mb3ItdGhlLWV4aXQtY29kZS10ZXN0\n  - identity: {}\n";
    std::fs::write(dir.path().join("cluster.rkestate"), serde_json::json!({"desiredState": {"encryptionConfig": key}}).to_string()).unwrap();
    let o = offline(dir.path(), &["up"]);
    assert_eq!(code(&o), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("turning encryption off would make every Secret unreadable"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("c2VjcmV0"), "the key must not be printed: {}", stderr(&o));

    // another run holds the cluster's lock
    let dir = cluster(NODES);
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.path().join("cluster.rkestate.lock")).unwrap();
    lock.lock().unwrap();
    let o = offline(dir.path(), &["up", "--dry-run", "--offline"]);
    assert_eq!(code(&o), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("another stockade run is working on this cluster"), "{}", stderr(&o));
}

/// stdout is a pipe nobody reads any more (`stockade ... | head -1` after head exited), or is
/// closed altogether: no command panics, each ends with its usual code.
#[test]
fn no_command_panics_on_a_closed_stdout() {
    let dir = cluster(NODES);
    std::fs::copy(fixture("rke1/cluster.rkestate"), dir.path().join("cluster.rkestate")).unwrap();
    let commands: Vec<(Vec<&str>, i32)> = vec![
        (vec!["completions", "bash"], 0),
        (vec!["completions", "zsh"], 0),
        (vec!["completions", "fish"], 0),
        (vec!["completions", "powershell"], 0),
        (vec!["completions", "elvish"], 0),
        (vec!["man"], 0),
        (vec!["version"], 0),
        (vec!["--help"], 0),
        (vec!["up", "--help"], 0),
        (vec!["config", "--list-version"], 0),
        (vec!["config", "--system-images"], 0),
        (vec!["config", "--empty", "--print"], 0),
        (vec!["cert", "check-expiration"], 0),
        (vec!["cert", "check-expiration", "--output", "json"], 0),
        (vec!["validate"], 0),
    ];
    for (args, want) in &commands {
        // a pipe whose reading end is closed before stockade writes
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(BIN).args(args).current_dir(dir.path()).stdin(Stdio::null()).stdout(writer).stderr(Stdio::piped()).output().unwrap();
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
        assert_eq!(code(&o), Some(*want), "{args:?} on a closed pipe: {:?} {}", o.status, stderr(&o));
        // stdout closed (`>&-`)
        let o = Command::new("sh").arg("-c").arg("exec \"$0\" \"$@\" >&-").arg(BIN).args(args).current_dir(dir.path()).stdin(Stdio::null()).output().unwrap();
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
        assert_eq!(code(&o), Some(*want), "{args:?} with stdout closed: {:?} {}", o.status, stderr(&o));
    }
    // the pipeline itself
    let o = Command::new("sh").arg("-c").arg("\"$0\" completions bash | head -1").arg(BIN).output().unwrap();
    assert!(o.status.success() && stdout(&o).lines().count() == 1, "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn man_and_completions_print_the_committed_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = offline(dir.path(), &["man"]);
    assert_eq!(code(&o), Some(0));
    assert_eq!(o.stdout, std::fs::read(root.join("stockade.1")).unwrap(), "stockade.1 is stale: UPDATE_GOLDEN=1 cargo test --lib completion_scripts");
    assert!(stdout(&o).contains(".SH \"EXIT STATUS\""));
    for (shell, file) in [("bash", "stockade.bash"), ("zsh", "_stockade"), ("fish", "stockade.fish"), ("powershell", "_stockade.ps1"), ("elvish", "stockade.elv")] {
        let o = offline(dir.path(), &["completions", shell]);
        assert_eq!(code(&o), Some(0));
        assert_eq!(o.stdout, std::fs::read(root.join("completions").join(file)).unwrap(), "completions/{file} is stale");
        assert!(stdout(&o).contains("check-expiration"), "{shell}: the cert subcommand is completed");
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

// ---- cert check-expiration ----

#[test]
fn check_expiration_lists_every_certificate_of_an_rke1_state() {
    let dir = cluster(NODES);
    std::fs::copy(fixture("rke1/cluster.rkestate"), dir.path().join("cluster.rkestate")).unwrap();
    let o = offline(dir.path(), &["cert", "check-expiration", "--output", "json"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let report = event(&o, "report");
    let certs = report["certificates"].as_array().unwrap();
    let names: Vec<&str> = certs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["kube-ca", "kube-node"], "{report}");
    assert_eq!(certs[0]["subject"], "CN=kube-ca");
    assert_eq!(certs[1]["subject"], "O=system:nodes, CN=system:node");
    for c in certs {
        assert_eq!(c["state"], "current");
        assert_eq!(c["expiring"], false);
        assert!(c["days_left"].as_i64().unwrap() > 30, "{c}");
        // RFC 3339 in UTC, the same instant `openssl x509 -enddate` reads
        let not_after = c["not_after"].as_str().unwrap();
        assert!(not_after.ends_with('Z') && not_after.len() == 20, "{not_after}");
    }
    let pem = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(dir.path().join("cluster.rkestate")).unwrap()).unwrap()
        ["currentState"]["certificatesBundle"]["kube-ca"]["certificatePEM"]
        .as_str()
        .unwrap()
        .to_string();
    let enddate = openssl_enddate(&pem);
    let parsed = time::OffsetDateTime::parse(certs[0]["not_after"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(parsed.unix_timestamp(), enddate, "not_after differs from openssl's");

    // a window longer than their life: both are reported, exit 2
    let o = offline(dir.path(), &["cert", "check-expiration", "--warn-days", "100000"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("NAME "), "{text}");
    assert!(text.contains("2 of 2 certificates expire within 100000 days"), "{text}");
    assert!(stderr(&o).contains("expiring within 100000 days: kube-ca, kube-node"), "{}", stderr(&o));
}

/// `openssl x509 -enddate` of a PEM, as a Unix time.
fn openssl_enddate(pem: &str) -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.pem");
    std::fs::write(&p, pem).unwrap();
    let o = Command::new("openssl").args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in"]).arg(&p).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // notAfter=2035-01-01 12:00:00Z
    let s = stdout(&o);
    let v = s.trim().trim_start_matches("notAfter=").replace(' ', "T");
    time::OffsetDateTime::parse(&v, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp()
}

/// A CA that expires in 10 days and a leaf that expired two days ago, in a state file.
fn near_expiry_state(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let now = time::OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "kube-ca");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.not_before = now - time::Duration::days(300);
    ca.not_after = now + time::Duration::days(10) + time::Duration::hours(1);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name.push(DnType::CommonName, "kube-apiserver");
    leaf.not_before = now - time::Duration::days(300);
    leaf.not_after = now - time::Duration::days(2) + time::Duration::hours(1);
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = Issuer::from_ca_cert_pem(&ca_cert.pem(), ca_key).unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let entry = |name: &str, pem: String, key: String| serde_json::json!({"certificatePEM": pem, "keyPEM": key, "name": name, "commonName": name});
    let bundle = serde_json::json!({"kube-ca": entry("kube-ca", ca_cert.pem(), ca_key_pem), "kube-apiserver": entry("kube-apiserver", leaf_cert.pem(), leaf_key.serialize_pem())});
    let state = serde_json::json!({"desiredState": {"certificatesBundle": bundle}, "currentState": {"certificatesBundle": bundle}});
    std::fs::write(dir.join("cluster.rkestate"), state.to_string()).unwrap();
}

#[test]
fn check_expiration_reports_a_near_expiry_and_up_warns() {
    let dir = cluster(NODES);
    near_expiry_state(dir.path());
    let o = offline(dir.path(), &["cert", "check-expiration", "--output", "json"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    let report = event(&o, "report");
    assert_eq!(report["warn_days"], 30);
    let certs = report["certificates"].as_array().unwrap();
    let by_name = |n: &str| certs.iter().find(|c| c["name"] == n).unwrap_or_else(|| panic!("{n} missing: {report}"));
    assert_eq!(certs.len(), 2, "the desired set equals the current one: listed once");
    assert_eq!(by_name("kube-ca")["days_left"], 10);
    assert_eq!(by_name("kube-ca")["expiring"], true);
    assert_eq!(by_name("kube-apiserver")["days_left"], -2);
    assert_eq!(by_name("kube-apiserver")["expiring"], true);
    // a window of 5 days: only the expired leaf
    let o = offline(dir.path(), &["cert", "check-expiration", "--warn-days", "5", "--output", "json"]);
    assert_eq!(code(&o), Some(2));
    let report = event(&o, "report");
    let expiring: Vec<&str> = report["certificates"].as_array().unwrap().iter().filter(|c| c["expiring"] == true).map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(expiring, ["kube-apiserver"]);
    // a window of 0 days still reports what has expired
    assert_eq!(code(&offline(dir.path(), &["cert", "check-expiration", "--warn-days", "0"])), Some(2));

    // `up` says so before anything else (here with the offline plan; nothing is contacted)
    let o = offline(dir.path(), &["up", "--dry-run", "--offline"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("WARNING: certificates in the state file expire within 30 days: kube-apiserver (expired "), "{err}");
    assert!(err.contains("kube-ca (10 days, "), "{err}");
    assert!(err.contains("it does not renew a CA"), "{err}");
    // and not with a fresh state
    let fresh = cluster(NODES);
    std::fs::copy(fixture("rke1/cluster.rkestate"), fresh.path().join("cluster.rkestate")).unwrap();
    let o = offline(fresh.path(), &["up", "--dry-run", "--offline"]);
    assert!(!stderr(&o).contains("expire within"), "{}", stderr(&o));
}

// ---- up --dry-run --offline ----

/// Drops the labels that are digests of certificate and file contents: the golden plans are
/// made with placeholder certificates, an offline plan of a new cluster with fresh ones.
fn without_content_digests(mut v: serde_json::Value) -> serde_json::Value {
    for host in v["hosts"].as_object_mut().unwrap().values_mut() {
        for c in host["containers"].as_array_mut().unwrap() {
            let labels = c["labels"].as_object_mut().unwrap();
            for digest in ["io.stockade.ca", "io.stockade.inputs"] {
                labels.remove(digest);
            }
        }
    }
    v
}

#[test]
fn offline_plans_of_the_fixtures_equal_the_golden_plans() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/plan")).unwrap().flatten().map(|e| e.path()).collect();
    fixtures.sort();
    assert!(fixtures.len() >= 10);
    for f in fixtures {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&f, dir.path().join("cluster.yml")).unwrap();
        let o = offline(dir.path(), &["up", "--dry-run", "--offline", "--output", "json"]);
        assert_eq!(code(&o), Some(0), "{name}: {}", stderr(&o));
        let doc = event(&o, "plan");
        assert_eq!(doc["offline"], true);
        if root.join(format!("tests/fixtures/plan-facts/{name}.json")).exists() {
            // its golden plan is made with facts read from hosts (`docker info`), which an
            // offline plan does not have: without them every host uses the default prefix
            let text = doc["plan"].to_string();
            assert!(!text.contains("/opt/rke/") && !text.contains("/mnt/sda1/rke"), "{name}: an offline plan guessed a host's prefix: {text}");
        } else {
            let golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join(format!("tests/golden/{name}.json"))).unwrap()).unwrap();
            assert_eq!(without_content_digests(doc["plan"].clone()), without_content_digests(golden), "{name}: the offline plan differs from tests/golden/{name}.json");
        }
        assert!(!doc["certificates_to_issue"].as_array().unwrap().is_empty(), "a new cluster issues its certificates");
        // nothing written: no state, no kubeconfig
        assert!(!dir.path().join("cluster.rkestate").exists() && !dir.path().join("kube_config_cluster.yml").exists(), "{name}");
    }
}

/// With a state file, the offline plan is exact: the certificates are the recorded ones, so the
/// digests match the plan the library builds from the same bundle.
#[test]
fn offline_plan_with_a_state_is_exact_and_contacts_no_host() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    // a listener where the hosts' SSH would be (127.0.0.1-3, all on the loopback): it must see
    // no connection
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let text = std::fs::read_to_string(root.join("tests/fixtures/plan/three-node.yml")).unwrap();
    let text = text.replace("nodes:\n", "ssh_key_path: /nonexistent/key\nnodes:\n").replace("10.0.0.", "127.0.0.").replace("    role:", &format!("    port: {port}\n    role:"));
    assert!(text.contains(&format!("port: {port}")), "{text}");
    let cfg_path = dir.path().join("cluster.yml");
    std::fs::write(&cfg_path, &text).unwrap();

    let cfg = stockade::config::load(&cfg_path).unwrap().config;
    let mut bundle = stockade::pki::Bundle::new();
    stockade::pki::reconcile(&mut bundle, &cfg).unwrap();
    let mut full = stockade::state::FullState::default();
    full.desired.certificates = bundle.clone();
    full.current.certificates = bundle.clone();
    full.current.rke_config = Some(stockade::state::rke_config_json(&cfg).unwrap());
    full.desired.rke_config = full.current.rke_config.clone();
    stockade::state::save(&dir.path().join("cluster.rkestate"), &full).unwrap();
    let before = std::fs::read(dir.path().join("cluster.rkestate")).unwrap();

    // not in a network namespace: the listener is reachable, and nothing may reach it
    let o = Command::new(BIN).args(["up", "--dry-run", "--offline", "--output", "json"]).current_dir(dir.path()).stdin(Stdio::null()).output().unwrap();
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let doc = event(&o, "plan");
    assert_eq!(doc["certificates_to_issue"], serde_json::json!([]), "the recorded certificates are reused");
    assert_eq!(doc["etcd_membership"], serde_json::json!([]));
    let want = stockade::plan::build(&cfg, &stockade::plan::Inputs { bundle, ..Default::default() }).document();
    assert_eq!(doc["plan"], want);
    listener.set_nonblocking(true).unwrap();
    assert_eq!(listener.accept().map(|_| ()).map_err(|e| e.kind()), Err(std::io::ErrorKind::WouldBlock), "the offline plan connected to a host");
    assert_eq!(std::fs::read(dir.path().join("cluster.rkestate")).unwrap(), before, "the state file was changed");

    // the same plan as text: every host, its containers and files
    let o = Command::new(BIN).args(["up", "--dry-run", "--offline"]).current_dir(dir.path()).stdin(Stdio::null()).output().unwrap();
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for host in cfg.nodes.iter().map(|n| n.address.as_str()) {
        assert!(text.contains(&format!("\n{host}:\n")) || text.starts_with(&format!("{host}:\n")), "{host} missing: {text}");
    }
    assert!(text.contains("  container  etcd ") && text.contains("  container  kube-apiserver ") && text.contains("    --initial-cluster-state=new"), "{text}");
    assert!(text.contains("  file       /etc/kubernetes/ssl/kube-ca.pem 644") || text.contains("  file       /etc/kubernetes/ssl/kube-ca.pem 600"), "{text}");
    assert!(text.contains("no host was contacted"), "{text}");
    assert!(!text.contains("BEGIN RSA PRIVATE KEY") && !text.contains("PRIVATE KEY"), "keys are not printed");
    assert!(listener.accept().is_err(), "the offline plan connected to a host");
}

/// A host that left cluster.yml and a member added: the offline plan names both changes.
#[test]
fn offline_plan_names_membership_changes_and_departed_hosts() {
    let dir = cluster(
        "nodes:\n  - address: 10.255.255.1\n    user: root\n    role: [etcd, controlplane, worker]\n  - address: 10.255.255.2\n    user: root\n    role: [etcd, controlplane, worker]\n  - address: 10.255.255.4\n    user: root\n    role: [etcd, worker]\n",
    );
    state_with_etcd(dir.path(), &["10.255.255.1", "10.255.255.2", "10.255.255.3"]);
    let o = offline(dir.path(), &["up", "--dry-run", "--offline", "--output", "json"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let doc = event(&o, "plan");
    assert_eq!(doc["etcd_membership"], serde_json::json!(["remove member etcd-10.255.255.3 (10.255.255.3)", "add member etcd-10.255.255.4 (10.255.255.4) as a learner, promote when caught up"]));
    assert_eq!(doc["departed_hosts_to_clean"], serde_json::json!(["10.255.255.3"]));
    // the joining member starts against the existing cluster
    let etcd = doc["plan"]["hosts"]["10.255.255.4"]["containers"].as_array().unwrap().iter().find(|c| c["name"] == "etcd").unwrap().clone();
    assert!(etcd["cmd"].as_array().unwrap().contains(&serde_json::json!("--initial-cluster-state=existing")), "{etcd}");
}

/// extra_env is where proxy credentials and cloud keys go: the offline plan names the variable,
/// never its value, in JSON and in text.
#[test]
fn offline_plan_never_shows_extra_env_values() {
    let dir = cluster(&format!("{NODES}services:\n  kubelet:\n    extra_env: [\"HTTPS_PROXY=http://user:s3cretpw@proxy:3128\"]\n"));
    let o = offline(dir.path(), &["up", "--dry-run", "--offline", "--output", "json"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let doc = event(&o, "plan");
    let kubelet = doc["plan"]["hosts"]["10.255.255.1"]["containers"].as_array().unwrap().iter().find(|c| c["name"] == "kubelet").unwrap().clone();
    assert!(kubelet["env"].as_array().unwrap().contains(&serde_json::json!("HTTPS_PROXY=<redacted>")), "{kubelet}");
    let text = offline(dir.path(), &["up", "--dry-run", "--offline"]);
    assert!(stdout(&text).contains("    env HTTPS_PROXY\n"), "{}", stdout(&text));
    for out in [&o, &text] {
        assert!(!stdout(out).contains("s3cretpw") && !stderr(out).contains("s3cretpw"), "{}{}", stdout(out), stderr(out));
    }
}

// ---- config: the cluster.yml wizard ----

/// Runs stockade in `dir` with stdin an open pipe nobody writes to (what a hang would wait on
/// forever); fails the test if it has not ended within a minute.
fn without_terminal(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("stockade {args:?} waited for input that is not a terminal");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    o
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn config_without_a_terminal_points_at_empty_and_never_waits() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["config"][..], &["config", "--print"], &["config", "--name", "x.yml"]] {
        let o = without_terminal(dir.path(), args);
        assert_eq!(code(&o), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "one line: {}", stderr(&o));
        assert!(stderr(&o).contains("stdin (or stderr) is not one: use `stockade config --empty`"), "{}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
    // stdin closed altogether (`< /dev/null`) too
    let o = offline(dir.path(), &["config"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--empty"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn config_empty_writes_a_valid_template_0640_and_print_writes_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let o = without_terminal(dir.path(), &["config", "--empty"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let file = dir.path().join("cluster.yml");
    assert_eq!(mode(&file), 0o640);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# cluster.yml written by `stockade config`") && text.contains("  - address: 192.0.2.10\n"), "{text}");
    let v = offline(dir.path(), &["validate"]);
    assert_eq!(code(&v), Some(0), "{}", stderr(&v));
    // an existing file is never overwritten without a question nobody can answer here
    std::fs::write(&file, "mine\n").unwrap();
    let o = without_terminal(dir.path(), &["config", "--empty"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cluster.yml exists: it was not overwritten"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
    // --print: the same file on stdout, nothing written (even over an existing file)
    let o = without_terminal(dir.path(), &["config", "--empty", "--print"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), text);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
    // --name and --version
    let o = without_terminal(dir.path(), &["config", "--empty", "--name", "prod.yml", "--version", "v1.33.5"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("stockade --config prod.yml validate"), "{}", stderr(&o));
    let prod = std::fs::read_to_string(dir.path().join("prod.yml")).unwrap();
    assert!(prod.contains("\nkubernetes_version: v1.33.5\n"), "{prod}");
    assert_eq!(mode(&dir.path().join("prod.yml")), 0o640);
    let v = offline(dir.path(), &["--config", "prod.yml", "validate"]);
    assert_eq!(code(&v), Some(0), "{}", stderr(&v));
    // bad flags: exit 2
    for args in [&["config", "--empty", "--version", "v1.99.0"][..], &["config", "--system-images", "--empty"], &["config", "--list-version", "--name", "a.yml"], &["config", "--empty", "--name", "missing/x.yml"]] {
        let o = without_terminal(dir.path(), args);
        assert_eq!(code(&o), Some(2), "{args:?}: {}", stderr(&o));
    }
}

/// The main thread of the stockade process running in `dir` (a child of this test).
fn child_in(dir: &Path) -> u32 {
    let me = std::process::id().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid ...
            let ppid = stat.rsplit_once(") ").map(|(_, rest)| rest.split(' ').nth(1).unwrap_or_default().to_string());
            if ppid.as_deref() == Some(me.as_str()) && std::fs::read_link(e.path().join("cwd")).ok().as_deref() == Some(dir) {
                return pid;
            }
        }
        assert!(std::time::Instant::now() < deadline, "no stockade process in {}", dir.display());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits until `pid`'s main thread is blocked in read(2). A hidden prompt (dialoguer's
/// Password) flushes the terminal's input as it turns echo off, so a key typed before would be
/// lost: the test types it only once the prompt reads.
fn wait_reading(pid: u32) {
    let read = if cfg!(target_arch = "aarch64") { "63" } else { "0" };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let sys = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        if sys.split(' ').next() == Some(read) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "stockade never read the hidden prompt: {sys}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The wizard driven through a pseudo-terminal, as a person answers it: each prompt awaited
/// (30 s at most), wrong answers refused under the prompt, hidden keys never echoed; the file
/// it writes is what `stockade validate` accepts, mode 0600 (it holds S3 keys).
#[test]
fn config_wizard_through_a_pty_writes_a_file_validate_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().canonicalize().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["config", "--name", "wizard.yml"]).current_dir(&dir_path);
    let options = rexpect::reader::Options::new().timeout_ms(Some(30_000)).strip_ansi_escape_codes(true);
    let mut p = rexpect::session::spawn_with_options(cmd, options).unwrap();
    let pid = child_in(&dir_path);
    let mut seen = String::new();
    // (text to wait for, answer to type: "" takes the default)
    let script: &[(&str, &str)] = &[
        ("Cluster level SSH private key path [~/.ssh/id_rsa]", ""),
        ("Number of hosts [1]", "x"),
        ("enter a number from 1 to 100", "2"),
        ("SSH address of host (1)", "10.0.0.1"),
        ("SSH port of host (10.0.0.1) [22]", "22x"),
        ("`22x` is not a TCP port", "2222"),
        ("SSH user of host (10.0.0.1) [ubuntu]", "root"),
        ("SSH private key path of host (10.0.0.1)", ""),
        ("Roles of host (10.0.0.1): controlplane, worker, etcd [controlplane,worker,etcd]", "controlplane,etcd"),
        ("Override hostname of host (10.0.0.1)", "CP-1"),
        ("Internal address of host (10.0.0.1)", "192.168.0.1"),
        ("Docker socket path on host (10.0.0.1) [/var/run/docker.sock]", ""),
        ("SSH address of host (2)", "10.0.0.1"),
        ("10.0.0.1 is already a host of this cluster", "10.0.0.2"),
        ("SSH port of host (10.0.0.2)", ""),
        ("SSH user of host (10.0.0.2)", ""),
        ("SSH private key path of host (10.0.0.2)", "/keys/worker_ed25519"),
        ("Roles of host (10.0.0.2)", "etcd"),
        ("no host has the worker role yet and this is the last host", "worker"),
        ("Override hostname of host (10.0.0.2)", "cp-1"),
        ("cp-1 is already the node name of another host", ""),
        ("Internal address of host (10.0.0.2)", ""),
        ("Docker socket path on host (10.0.0.2)", "/run/docker.sock"),
        ("Connect through a bastion host?", "y"),
        ("SSH address of the bastion host", "bastion.example.com"),
        ("SSH port of the bastion host [22]", "2200"),
        ("SSH user of the bastion host", "jump"),
        ("SSH private key path of the bastion host", ""),
        // a list: `j` moves down, Enter picks (canal, flannel, calico)
        ("Network plugin", "jj"),
        ("Kubernetes version", "v1.99.0"),
        ("is not a Kubernetes version stockade has images for", "v1.30.5-rancher1-1"),
        ("Service cluster IP range [10.43.0.0/16]", "10.96.0.0/12"),
        ("Cluster network CIDR (the Pods' range) [10.42.0.0/16]", "10.64.0.0/10"),
        ("overlaps the service cluster IP range", ""),
        // the DNS default follows the service range
        ("Cluster DNS service IP [10.96.0.10]", ""),
        ("Cluster domain [cluster.local]", ""),
        ("Back up etcd snapshots to S3?", "y"),
        ("S3 endpoint [s3.amazonaws.com]", "minio.example.com:9000"),
        ("S3 bucket name", "etcd-backups"),
        ("S3 region", "us-east-1"),
        ("S3 folder in the bucket", "/prod/"),
    ];
    for (want, answer) in script {
        seen += &p.exp_string(want).unwrap_or_else(|e| panic!("waiting for {want:?}: {e}\nso far:\n{seen}"));
        seen += want;
        p.send_line(answer).unwrap();
    }
    for (want, secret) in [("S3 access key (hidden", "AKIAWIZARDKEY"), ("S3 secret key (hidden)", "wizard'secret:#value")] {
        seen += &p.exp_string(want).unwrap_or_else(|e| panic!("waiting for {want:?}: {e}\nso far:\n{seen}"));
        wait_reading(pid);
        p.send_line(secret).unwrap();
    }
    // it holds the S3 keys: its owner's only
    seen += &p.exp_string("Wrote wizard.yml (mode 0600)").unwrap_or_else(|e| panic!("{e}\nso far:\n{seen}"));
    seen += &p.exp_eof().unwrap();
    assert!(matches!(p.process().wait().unwrap(), rexpect::process::WaitStatus::Exited(_, 0)), "{seen}");
    assert!(!seen.contains("AKIAWIZARDKEY") && !seen.contains("wizard'secret"), "a hidden key was echoed:\n{seen}");

    let file = dir_path.join("wizard.yml");
    assert_eq!(mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    for line in [
        "  - address: 10.0.0.1\n    # the SSH port\n    port: 2222\n",
        "    role: [controlplane, etcd]\n",
        "    hostname_override: CP-1\n",
        "    internal_address: 192.168.0.1\n",
        "  - address: 10.0.0.2\n    port: 22\n    user: ubuntu\n",
        "    ssh_key_path: /keys/worker_ed25519\n    role: [worker]\n    docker_socket: /run/docker.sock\n",
        "bastion_host:\n  # its address, SSH port and SSH user\n  address: bastion.example.com\n  port: 2200\n  user: jump\n",
        "  plugin: calico\n",
        "kubernetes_version: v1.30.5-rancher1-1\n",
        "    service_cluster_ip_range: 10.96.0.0/12\n",
        "    cluster_cidr: 10.42.0.0/16\n",
        "    cluster_dns_server: 10.96.0.10\n",
        "    cluster_domain: cluster.local\n",
        "        endpoint: 'minio.example.com:9000'\n",
        "        folder: prod\n",
        "        access_key: 'AKIAWIZARDKEY'\n        secret_key: 'wizard''secret:#value'\n",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
    let v = offline(&dir_path, &["--config", "wizard.yml", "--strict", "validate"]);
    assert_eq!(code(&v), Some(0), "{}\n{text}", stderr(&v));
    assert!(stderr(&v).contains("wizard.yml: valid (2 nodes"), "{}", stderr(&v));

    // again: the existing file is kept unless the user says so
    let mut cmd = Command::new(BIN);
    cmd.args(["config", "--name", "wizard.yml"]).current_dir(&dir_path);
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    p.exp_string("wizard.yml exists. Overwrite it?").unwrap();
    p.send_line("n").unwrap();
    p.exp_string("wizard.yml was not changed").unwrap();
    p.exp_eof().unwrap();
    assert!(matches!(p.process().wait().unwrap(), rexpect::process::WaitStatus::Exited(_, 1)));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

/// What cluster.yml alone refuses is refused before anything else starts: a declared restore
/// is not begun, a certificate rotation is not saved as pending (the state file stays as it was).
#[test]
fn input_refusals_come_before_a_declared_restore_and_a_saved_rotation() {
    let dir = cluster(&format!("{NODES}upgrade_strategy:\n  node_drain_input:\n    timeout: 0\nrestore:\n  restore: true\n  snapshot_name: nightly\n"));
    std::fs::copy(fixture("rke1/cluster.rkestate"), dir.path().join("cluster.rkestate")).unwrap();
    let before = std::fs::read(dir.path().join("cluster.rkestate")).unwrap();
    for args in [&["up", "--yes"][..], &["cert", "rotate", "--yes"], &["validate"]] {
        let o = offline(dir.path(), args);
        assert_eq!(code(&o), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("node_drain_input.timeout must be at least 1 second"), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("restoring etcd"), "{args:?}: {}", stderr(&o));
        assert_eq!(std::fs::read(dir.path().join("cluster.rkestate")).unwrap(), before, "{args:?} changed the state file");
    }
}

/// `--yes` on a terminal: nothing is asked. The wizard stops with its `--empty` hint; `remove`
/// takes `--yes` as its confirmation (it goes on to connect, which fails here: no network).
#[test]
fn yes_never_asks_even_on_a_terminal() {
    let dir = cluster(NODES);
    let mut cmd = Command::new(BIN);
    cmd.args(["--yes", "config", "--name", "new.yml"]).current_dir(dir.path());
    let mut p = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
    let out = p.exp_eof().unwrap();
    assert!(matches!(p.process().wait().unwrap(), rexpect::process::WaitStatus::Exited(_, 2)), "{out}");
    assert!(out.contains("stockade config --empty") && !out.contains("SSH private key path"), "{out}");
    assert!(!dir.path().join("new.yml").exists());

    // an encrypted SSH key: its passphrase is not asked for either
    let key = dir.path().join("id_ed25519");
    let made = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "a passphrase", "-f"]).arg(&key).status().unwrap();
    assert!(made.success());
    std::fs::write(dir.path().join("cluster.yml"), NODES.replace("/nonexistent/id_ed25519", key.to_str().unwrap())).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.args(["--net", "--map-root-user", BIN, "remove", "--yes"]).current_dir(dir.path()).env_remove("STOCKADE_SSH_PASSPHRASE");
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).unwrap();
    let out = p.exp_eof().unwrap();
    assert!(!out.contains("Remove the cluster?") && !out.contains("rerun with --force"), "{out}");
    assert!(!out.contains("Passphrase for SSH key") && out.contains("is encrypted: set STOCKADE_SSH_PASSPHRASE"), "{out}");
}
