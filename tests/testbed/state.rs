//! A state file written by RKE1 is read and its CA (and keys) are reused.
use crate::common::*;

#[test]
fn an_rke1_state_file_is_read_and_its_ca_reused() {
    let tb = Testbed::get();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rke1/cluster.rkestate");
    // the fixture's hosts are 10.78.0.1x (the default STOCKADE_TESTBED_NET): moved to this testbed's
    let net = tb.h(0).ip.rsplit_once('.').unwrap().0.to_string();
    let text = std::fs::read_to_string(&fixture).unwrap().replace("10.78.0.", &format!("{net}.")).replace("10-78-0-", &format!("{}-", net.replace('.', "-")));
    std::fs::write(tb.state_path(), &text).unwrap();
    let rke: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ca = rke["currentState"]["certificatesBundle"]["kube-ca"]["certificatePEM"].as_str().unwrap().to_string();
    let node_key = rke["currentState"]["certificatesBundle"]["kube-node"]["keyPEM"].as_str().unwrap().to_string();
    assert!(rke["currentState"]["certificatesBundle"]["kube-ca"]["keyPEM"].as_str().unwrap().contains("BEGIN RSA PRIVATE KEY"));

    // the version the RKE1 state records as running; its etcd image is RKE1's, the testbed's
    // differs, so `up` sees an upgrade and would first snapshot an etcd these fresh hosts do not
    // run: this test is about reading the state, so without that snapshot
    let version = rke["currentState"]["rkeConfig"]["kubernetesVersion"].as_str().unwrap().to_string();
    tb.write_config(&tb.cluster_yml(3, &format!("kubernetes_version: {version}\n")));
    let r = tb.up_ok(&["--no-snapshot"]);
    assert!(r.all().contains("with the existing CA"), "{}", r.all());
    for h in &tb.hosts[..3] {
        let deployed = std::fs::read_to_string(tb.host_path(h, "etc-kubernetes").join("ssl/kube-ca.pem")).unwrap();
        assert_eq!(deployed, ca, "{} got another CA", h.name);
    }
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tb.state_path()).unwrap()).unwrap();
    let b = &s["currentState"]["certificatesBundle"];
    assert_eq!(b["kube-ca"]["certificatePEM"].as_str().unwrap(), ca);
    assert_eq!(b["kube-node"]["keyPEM"].as_str().unwrap(), node_key, "kube-node key reused");
    // certificates stockade issued chain to the RKE1 CA
    let ssl = tb.host_path(tb.h(0), "etc-kubernetes").join("ssl");
    let v = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(ssl.join("kube-ca.pem"))
        .arg(ssl.join("kube-apiserver.pem"))
        .arg(ssl.join(format!("kube-etcd-{}.pem", tb.h(2).ip.replace('.', "-"))))
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    // and etcd serves with them
    assert!(tb.etcdctl(tb.h(2), &["endpoint", "health"]).status.success());
    // the previous version is kept: it still records the RKE1 cluster as current
    let bak: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tb.work.path().join("cluster.rkestate.bak")).unwrap()).unwrap();
    assert_eq!(bak["currentState"], rke["currentState"]);
}

/// Issue 9 item 1: RKE1's containers that run what the plan asks for are adopted, not
/// recreated: the same container IDs after `up`, `--dry-run` says "adopt", a second `up`
/// changes nothing, and a changed `extra_args` recreates exactly the containers it concerns.
/// The containers and configuration files are made by `common::rke1`, from rancher/rke's code
/// (not from stockade's plan); the certificates and state come from a first `up`.
#[test]
fn rke1_containers_that_match_the_plan_are_adopted_not_recreated() {
    let tb = Testbed::get();
    let config = tb.write_config(&tb.cluster_yml(2, ""));
    tb.up_ok(&[]);
    let ids = rke1::make_rke1_cluster(&tb, &config, &[0, 1]);
    assert_eq!(ids.len(), 14, "7 containers on each of 2 hosts");
    let dry = tb.stockade(&["up", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert!(dry.stdout.contains("adopt      kube-apiserver") && dry.stdout.contains("Nothing to change."), "{}", dry.stdout);
    assert!(!dry.stdout.contains("recreate"), "{}", dry.stdout);
    let r = tb.up_ok(&[]);
    assert!(r.all().contains("Nothing changed"), "{}", r.all());
    for (h, name, id) in &ids {
        assert_eq!(&tb.container_id(h, name), id, "{}: {name} was recreated", h.name);
    }
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));

    // a change recreates exactly the containers it concerns, the normal way
    tb.write_config(&tb.cluster_yml(2, "services:\n  scheduler:\n    extra_args:\n      v: \"4\"\n"));
    let r = tb.up_ok(&[]);
    for (h, name, id) in &ids {
        let now = tb.container_id(h, name);
        if name == "kube-scheduler" {
            assert_ne!(&now, id, "{}: the scheduler must be recreated", h.name);
        } else {
            assert_eq!(&now, id, "{}: {name} must stay adopted: {}", h.name, r.all());
        }
    }
}
