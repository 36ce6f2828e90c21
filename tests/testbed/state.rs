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

/// Makes host `h`'s container `name` look as RKE1 made it (the shapes of rancher/rke
/// docker/docker.go and services/*.go): the same image, arguments, environment and binds, but
/// created without stockade's labels, with RKE1's name label only, the first argument moved
/// from the command to the entrypoint (RKE1 runs `/opt/rke-tools/entrypoint.sh` + component
/// args; the split differs from stockade's), and an `RKE_*_CHECKSUM` variable RKE1 injects for
/// its config files. Returns the new container's ID.
fn recreate_as_rke1(tb: &Testbed, h: &TbHost, name: &str) -> String {
    let raw = tb.docker_out(h, &["inspect", name]);
    let c: serde_json::Value = serde_json::from_str::<serde_json::Value>(&raw).unwrap()[0].clone();
    let cfg = &c["Config"];
    let host = &c["HostConfig"];
    let strs = |v: &serde_json::Value| -> Vec<String> { v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default() };
    let mut args: Vec<String> = vec!["create".into(), "--name".into(), name.into(), "--label".into(), format!("io.rancher.rke.container.name={name}")];
    for e in strs(&cfg["Env"]) {
        args.extend(["-e".into(), e]);
    }
    args.extend(["-e".into(), "RKE_AUDITLOG_CONFIG_CHECKSUM=0123456789abcdef".into()]);
    for b in strs(&host["Binds"]) {
        args.extend(["-v".into(), b]);
    }
    for v in strs(&host["VolumesFrom"]) {
        args.extend(["--volumes-from".into(), v]);
    }
    args.extend(["--network".into(), host["NetworkMode"].as_str().unwrap().into()]);
    if let Some(p) = host["PidMode"].as_str().filter(|p| !p.is_empty()) {
        args.extend(["--pid".into(), p.into()]);
    }
    if host["Privileged"].as_bool() == Some(true) {
        args.push("--privileged".into());
    }
    if let Some(r) = host["RestartPolicy"]["Name"].as_str().filter(|r| !r.is_empty() && *r != "no") {
        args.extend(["--restart".into(), r.into()]);
    }
    let mut command: Vec<String> = strs(&cfg["Entrypoint"]).into_iter().chain(strs(&cfg["Cmd"])).collect();
    let first = command.remove(0);
    args.extend(["--entrypoint".into(), first]);
    args.push(cfg["Image"].as_str().unwrap().into());
    args.extend(command);
    let was_running = c["State"]["Running"].as_bool() == Some(true);
    assert!(tb.docker(h, &["rm", "-f", name]).status.success());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = tb.docker(h, &refs);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    if was_running {
        assert!(tb.docker(h, &["start", name]).status.success());
    }
    tb.container_id(h, name)
}

/// Issue 9 item 1: RKE1's containers that run what the plan asks for are adopted, not
/// recreated: the same container IDs after `up`, `--dry-run` says "adopt", a second `up`
/// changes nothing, and a changed `extra_args` recreates exactly the containers it concerns.
#[test]
fn rke1_containers_that_match_the_plan_are_adopted_not_recreated() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(2, ""));
    tb.up_ok(&[]);
    let mut ids = Vec::new();
    for h in &tb.hosts[..2] {
        for name in tb.managed_containers(h) {
            if name == "service-sidekick" {
                continue; // created, never started: nothing RKE1-specific to show
            }
            ids.push((h.clone(), name.clone(), recreate_as_rke1(&tb, h, &name)));
        }
    }
    assert!(ids.len() >= 10, "{} containers", ids.len());
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
