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

    tb.write_config(&tb.cluster_yml(3, ""));
    let r = tb.up_ok(&[]);
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
