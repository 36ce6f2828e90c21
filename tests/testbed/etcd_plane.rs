use crate::common::*;

#[test]
fn up_forms_a_tls_etcd_cluster_and_a_second_up_changes_nothing() {
    let tb = Testbed::get();
    // h3 already has the images: the archive must be loaded on h1 and h2 only
    for h in &tb.hosts[..2] {
        tb.docker(h, &["rmi", "-f", ETCD_IMAGE, TOOLS_IMAGE]);
        assert!(!tb.has_image(h, ETCD_IMAGE));
    }
    let load = std::process::Command::new("docker")
        .args(["-H", &format!("unix://{}", tb.h(2).socket), "load", "-q", "-i", tb.archive().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(load.status.success());
    tb.write_config(&tb.cluster_yml(3, ""));
    let first = tb.up_ok(&[]);
    assert!(first.all().contains(&format!("{}: loaded images", tb.h(0).ip)), "{}", first.all());
    assert!(first.all().contains(&format!("{}: loaded images", tb.h(1).ip)));
    assert!(!first.all().contains(&format!("{}: loaded images", tb.h(2).ip)), "h3 had the images already");

    // a key written through member 1 is read through member 3, by etcdctl, with the state's certs
    let put = tb.etcdctl(tb.h(0), &["put", "stockade-test-key", "written-via-h1"]);
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));
    let get = tb.etcdctl(tb.h(2), &["get", "stockade-test-key", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "written-via-h1", "{}", String::from_utf8_lossy(&get.stderr));
    let members = tb.etcdctl(tb.h(1), &["member", "list"]);
    let members = String::from_utf8_lossy(&members.stdout).to_string();
    assert_eq!(members.lines().count(), 3, "{members}");
    for h in &tb.hosts[..3] {
        assert!(members.contains(&format!("etcd-{}", h.name)), "{members}");
    }

    // certificates on the hosts: 0600, CA key only where the controlplane role is
    for h in &tb.hosts[..3] {
        let ssl = tb.host_path(h, "etc-kubernetes").join("ssl");
        let etcd_cert = format!("kube-etcd-{}.pem", tb.h(0).ip.replace('.', "-"));
        for f in ["kube-ca.pem", "kube-ca-key.pem", "kube-node.pem", "kube-node-key.pem", etcd_cert.as_str()] {
            assert_eq!(file_mode(&ssl.join(f)), 0o600, "{}: {f}", h.name);
        }
    }
    // state and kubeconfig: mode 0600
    assert_eq!(file_mode(&tb.state_path()), 0o600);
    assert_eq!(file_mode(&tb.work.path().join("kube_config_cluster.yml")), 0o600);

    let ids: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    assert!(ids.iter().all(|i| !i.is_empty()));
    let second = tb.up_ok(&[]);
    assert!(second.all().contains("Nothing changed"), "{}", second.all());
    let again: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    assert_eq!(ids, again, "a no-op up must keep every container");
}

#[test]
fn a_deleted_etcd_container_is_brought_back_alone() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["put", "survivor", "yes"]).status.success());
    let before: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    assert!(tb.docker(tb.h(1), &["rm", "-f", "etcd"]).status.success());

    let r = tb.up_ok(&[]);
    let out = r.all();
    let created: Vec<&str> = out.lines().filter(|l| l.contains("created container etcd")).map(str::trim).collect();
    assert_eq!(created, vec![format!("{}: created container etcd", tb.h(1).ip)], "{}", r.all());
    let after: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    assert_eq!(before[0], after[0]);
    assert_eq!(before[2], after[2]);
    assert_ne!(before[1], after[1]);
    // the member came back with its data: the key is readable through it
    let get = tb.etcdctl(tb.h(1), &["get", "survivor", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "yes");
}

#[test]
fn a_changed_etcd_argument_recreates_etcd_and_keeps_the_data() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["put", "kept", "across-recreate"]).status.success());
    tb.write_config(&tb.cluster_yml(3, "services:\n  etcd:\n    extra_args:\n      quota-backend-bytes: \"4294967296\"\n"));
    let r = tb.up_ok(&[]);
    assert_eq!(r.all().matches("recreated container etcd").count(), 3, "{}", r.all());
    let args = tb.docker_out(tb.h(2), &["inspect", "-f", "{{json .Args}}", "etcd"]);
    assert!(args.contains("--quota-backend-bytes=4294967296"), "{args}");
    let get = tb.etcdctl(tb.h(2), &["get", "kept", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "across-recreate");
    assert!(tb.hosts[..3].iter().all(|h| tb.docker_out(h, &["ps", "-a", "--format", "{{.Names}}"]).lines().all(|n| !n.starts_with("old-"))));
}

#[test]
fn an_etcd_container_that_exits_fails_up_with_its_log_lines() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, "services:\n  etcd:\n    extra_args:\n      no-such-etcd-flag: \"1\"\n"));
    let archive = tb.archive();
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap(), "--etcd-health-timeout", "30"]);
    assert_eq!(r.code, 1, "a failing container is a failure on a host: {}", r.all());
    let err = r.stderr.clone();
    assert!(err.contains("container etcd"), "{err}");
    assert!(err.contains("last log lines"), "{err}");
    assert!(err.contains("no-such-etcd-flag"), "the log lines must show etcd's complaint: {err}");
    assert!(!err.contains("Nothing changed") && !r.all().contains("Applied"), "no success may be reported");
    // the failed run must not record the cluster as applied
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tb.state_path()).unwrap()).unwrap();
    assert!(s["currentState"].get("certificatesBundle").is_none(), "currentState must stay empty after a failed up");
    // the operator fixes the file; the next up converges on the same certificates
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["endpoint", "health"]).status.success());
}

#[test]
fn debug_output_never_contains_secrets() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(
        3,
        "private_registries:\n  - url: registry.invalid\n    user: bob\n    password: hunter2-registry-password\nnetwork:\n  plugin: canal\n",
    ));
    let archive = tb.archive();
    let r = tb.stockade(&["--debug", "up", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = r.all();
    let warning: Vec<&str> = out.lines().filter(|l| l.contains("not applied yet")).collect();
    assert_eq!(warning.len(), 1, "one warning naming the keys not applied yet: {out}");
    assert!(warning[0].contains("network"), "{}", warning[0]);
    assert!(out.contains("DEBUG"), "--debug must produce debug lines: {out}");
    let key = std::fs::read_to_string(tb.key()).unwrap();
    let key_body = key.lines().nth(1).unwrap();
    for secret in ["PRIVATE KEY", "hunter2-registry-password", key_body] {
        assert!(!out.contains(secret), "output contains a secret ({secret})");
    }
}

#[test]
fn a_reissued_certificate_restarts_only_the_etcd_that_uses_it() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["put", "cert-rotation", "survives"]).status.success());
    let before: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    let h2_cert = format!("kube-etcd-{}", tb.h(1).ip.replace('.', "-"));
    let old_pem = std::fs::read_to_string(tb.host_path(tb.h(1), "etc-kubernetes").join(format!("ssl/{h2_cert}.pem"))).unwrap();
    // drop h2's etcd certificate from the state: the next up issues a new one
    let mut s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tb.state_path()).unwrap()).unwrap();
    for part in ["desiredState", "currentState"] {
        s[part]["certificatesBundle"].as_object_mut().unwrap().remove(&h2_cert);
    }
    std::fs::write(tb.state_path(), serde_json::to_string(&s).unwrap()).unwrap();

    let r = tb.up_ok(&[]);
    let after: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    assert_eq!((before[0].as_str(), before[2].as_str()), (after[0].as_str(), after[2].as_str()), "{}", r.all());
    assert_ne!(before[1], after[1], "h2's etcd must restart with its new certificate");
    let new_pem = std::fs::read_to_string(tb.host_path(tb.h(1), "etc-kubernetes").join(format!("ssl/{h2_cert}.pem"))).unwrap();
    assert_ne!(old_pem, new_pem);
    let get = tb.etcdctl(tb.h(1), &["get", "cert-rotation", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "survives");
}
