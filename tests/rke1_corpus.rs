//! Real users' RKE1 cluster.yml files (tests/fixtures/rke1-corpus, sources and RKE1's verdict in
//! corpus.toml): every file RKE1 accepted and stockade supports validates unchanged, every
//! refused file is refused with its reason. `stockade validate` runs in an empty network
//! namespace (`unshare -n`), so no address in those files can ever be contacted; if that
//! namespace cannot be made, the test fails.
use std::path::{Path, PathBuf};
use std::process::Command;

struct Entry {
    name: String,
    source: String,
    stockade: String,
    reason: String,
}

/// corpus.toml is flat `key = "value"` lines under `[[file]]` headers: read without a TOML crate.
fn entries(dir: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(dir.join("corpus.toml")).unwrap();
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        if line.trim() == "[[file]]" {
            out.push(Entry { name: String::new(), source: String::new(), stockade: String::new(), reason: String::new() });
            continue;
        }
        let Some((k, v)) = line.split_once(" = ") else { continue };
        let v = v.trim().trim_matches('"').to_string();
        let e = out.last_mut().expect("key before the first [[file]]");
        match k.trim() {
            "name" => e.name = v,
            "source" => e.source = v,
            "stockade" => e.stockade = v,
            "reason" => e.reason = v,
            _ => {}
        }
    }
    out
}

fn validate_offline(file: &Path) -> (i32, String) {
    validate_offline_with(file, &[])
}

fn validate_offline_with(file: &Path, flags: &[&str]) -> (i32, String) {
    let out = Command::new("unshare")
        .args(["--net", "--map-root-user"])
        .arg(env!("CARGO_BIN_EXE_stockade"))
        .arg("--config")
        .arg(file)
        .arg("validate")
        .args(flags)
        .env_remove("STOCKADE_CONFIG")
        .env_remove("RKE_CONFIG")
        .output()
        .expect("run unshare (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("unshare: "), "cannot make an empty network namespace: {stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn the_namespace_has_no_network() {
    let out = Command::new("unshare").args(["--net", "--map-root-user", "cat", "/proc/net/dev"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let devs: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().skip(2).map(|l| l.split(':').next().unwrap().trim().to_string()).collect();
    assert_eq!(devs, vec!["lo".to_string()]);
}

#[test]
fn every_corpus_file_gets_rke1s_verdict() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rke1-corpus");
    let all = entries(&dir);
    assert!(all.len() >= 30, "the corpus has {} files", all.len());
    let listed: std::collections::BTreeSet<&str> = all.iter().map(|e| e.name.as_str()).collect();
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        let n = f.file_name().to_string_lossy().into_owned();
        assert!(n == "corpus.toml" || listed.contains(n.as_str()), "{n} has no entry in corpus.toml");
    }
    // a scratch copy: no state file of another test next to it
    let scratch = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for e in &all {
        assert!(e.source.starts_with("github.com/"), "{}: no source", e.name);
        let file = scratch.path().join(&e.name);
        std::fs::copy(dir.join(&e.name), &file).unwrap();
        let (code, stderr) = validate_offline(&file);
        let ok = match e.stockade.as_str() {
            "valid" => code == 0,
            "refused" => code == 2 && stderr.contains(&e.reason) && stderr.lines().filter(|l| l.starts_with("error:")).count() == 1,
            other => panic!("{}: stockade = {other:?}", e.name),
        };
        if !ok {
            failures.push(format!("{} (expected {}, exit {code}): {}", e.name, e.stockade, stderr.trim()));
        }
    }
    assert!(failures.is_empty(), "{} of {} files:\n{}", failures.len(), all.len(), failures.join("\n"));
}

/// A file RKE1 accepted with keys it silently ignored: valid with a located warning, refused
/// (exit 2) under `--strict`.
#[test]
fn strict_refuses_what_rke1_ignored() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rke1-corpus");
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("cluster.yml");
    std::fs::copy(dir.join("18-ams0-rancher-home.yml"), &file).unwrap();
    let (code, stderr) = validate_offline(&file);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("cluster.yml:13:3: unknown key `services.etcd-snapshot` ignored"), "{stderr}");
    let (code, stderr) = validate_offline_with(&file, &["--strict"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cluster.yml:13:3: services: unknown key `etcd-snapshot`") && stderr.contains("--strict"), "{stderr}");
}
