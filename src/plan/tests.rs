//! Golden tests: for each `tests/fixtures/plan/<name>.yml`, the exact containers, file paths
//! and images per host must equal `tests/golden/<name>.json`. Run with `UPDATE_GOLDEN=1` to
//! rewrite the golden files after an intended change, then review the diff.
use super::*;
use crate::pki::{leaf_specs, names, CertificatePki};
use serde_json::{json, Value};
use std::path::Path;

/// A bundle with every certificate the config needs and placeholder PEMs, so file lists are
/// deterministic.
fn placeholder_bundle(cfg: &ClusterConfig) -> Bundle {
    let mut b = Bundle::new();
    let mut names: Vec<String> = leaf_specs(cfg).into_iter().map(|s| s.name).collect();
    names.push(names::CA.into());
    names.push(names::REQUESTHEADER_CA.into());
    for n in names {
        b.insert(n.clone(), CertificatePki::named(&n, &n, "", "CERT".into(), "KEY".into()));
    }
    names::attach_kubeconfigs(&mut b);
    b
}

fn render(cfg: &ClusterConfig) -> Value {
    let plan = build(cfg, &Inputs { bundle: placeholder_bundle(cfg), joined: Default::default(), encryption: encryption::config(cfg, "", || "fixed-test-key".into()) });
    let hosts: serde_json::Map<String, Value> = plan
        .hosts
        .iter()
        .map(|h| {
            let files: Vec<Value> = h.files.iter().map(|f| json!(format!("{} {:o}", f.path(), f.mode))).collect();
            (h.address.clone(), json!({ "containers": h.containers, "files": files, "images": h.images }))
        })
        .collect();
    json!({ "helper_image": plan.helper_image, "hosts": hosts })
}

#[test]
fn golden_plans() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut fixtures: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/plan")).unwrap().flatten().map(|e| e.path()).collect();
    fixtures.sort();
    for fixture in fixtures {
        let name = fixture.file_stem().unwrap().to_string_lossy().to_string();
        let loaded = crate::config::load(&fixture).unwrap_or_else(|e| panic!("{e}"));
        let got = serde_json::to_string_pretty(&render(&loaded.config)).unwrap() + "\n";
        let golden = root.join(format!("tests/golden/{name}.json"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &got).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("missing {}: run with UPDATE_GOLDEN=1", golden.display()));
        assert_eq!(got, want, "plan for {} differs from {}", fixture.display(), golden.display());
        checked += 1;
    }
    assert!(checked >= 2, "expected golden fixtures, found {checked}");
}

#[test]
fn hash_changes_with_any_field() {
    let text = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\n";
    let p = Path::new("c.yml");
    let mut cfg = crate::config::load::parse(p, text).unwrap();
    crate::config::defaults::apply(&mut cfg);
    let a = build(&cfg, &Inputs::default()).hosts[0].containers[0].hash();
    cfg.services.etcd.extra_args.insert("quota-backend-bytes".into(), "1".into());
    let b = build(&cfg, &Inputs::default()).hosts[0].containers[0].hash();
    assert_ne!(a, b);
    assert_eq!(b, build(&cfg, &Inputs::default()).hosts[0].containers[0].hash(), "stable");
}
