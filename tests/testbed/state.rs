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

/// The state file, its certificates and the ids of `made`, as RKE1 left them.
fn rke1_snapshot(tb: &Testbed) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(tb.state_path()).unwrap()).unwrap()
}

/// After `up`, the state still holds RKE1's certificates and keys (nothing reissued), and every
/// container `made` has the id RKE1's had.
fn assert_taken_over_unchanged(tb: &Testbed, rke: &serde_json::Value, made: &[(TbHost, String, String)]) {
    let now = rke1_snapshot(tb);
    let (was, is) = (&rke["currentState"]["certificatesBundle"], &now["currentState"]["certificatesBundle"]);
    for (name, c) in was.as_object().unwrap() {
        assert_eq!(is[name]["certificatePEM"], c["certificatePEM"], "{name}: certificate reissued");
        assert_eq!(is[name]["keyPEM"], c["keyPEM"], "{name}: key replaced");
    }
    for (h, name, id) in made {
        assert_eq!(&tb.container_id(h, name), id, "{}: {name} was recreated", h.name);
    }
}

/// The takeover itself: `--dry-run` only adopts, then `up` twice changes nothing (same containers,
/// same files), and etcd is healthy.
fn take_over_without_change(tb: &Testbed, rke: &serde_json::Value, made: &[(TbHost, String, String)]) {
    assert_dry_run_only_adopts(tb, made);
    let r = tb.up_ok(&[]);
    assert!(r.all().contains("Nothing changed"), "{}", r.all());
    assert_taken_over_unchanged(tb, rke, made);
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
    assert_taken_over_unchanged(tb, rke, made);
    assert!(tb.etcdctl(tb.h(0), &["endpoint", "health"]).status.success());
}

/// `up --dry-run` over an RKE1 cluster: every container adopted, nothing else to do.
fn assert_dry_run_only_adopts(tb: &Testbed, made: &[(TbHost, String, String)]) {
    let dry = tb.stockade(&["up", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    for (_, name, _) in made {
        assert!(dry.stdout.lines().any(|l| l.trim_start().starts_with("adopt") && l.split_whitespace().nth(1) == Some(name.as_str())), "{name} not adopted:\n{}", dry.stdout);
    }
    let adopted = dry.stdout.lines().filter(|l| l.trim_start().starts_with("adopt ")).count();
    assert_eq!(adopted, made.len(), "{}", dry.stdout);
    assert!(dry.stdout.contains("Nothing to change."), "{}", dry.stdout);
    for word in ["recreate", "create ", "write", "remove"] {
        assert!(!dry.stdout.lines().any(|l| l.trim_start().starts_with(word)), "the dry run would {word}:\n{}", dry.stdout);
    }
}

/// Issue 9: a running RKE1 cluster is taken over without restarting it. `common::rke1` makes
/// the cluster the way RKE1 makes it — PKI (openssl), state file, certificate and configuration
/// files on the hosts, containers — from rancher/rke's code, not from stockade's; then the first
/// `stockade up` ever: `--dry-run` says only "adopt", `up` keeps every container and every
/// certificate, a second `up` changes nothing, and a changed `extra_args` recreates exactly the
/// containers it concerns.
#[test]
fn a_running_rke1_cluster_is_taken_over_without_recreating_anything() {
    let tb = Testbed::get();
    let config = tb.write_config(&tb.cluster_yml(2, ""));
    let made = rke1::make_rke1_cluster(&tb, &config, &[0, 1]);
    assert_eq!(made.len(), 14, "7 containers on each of 2 hosts");
    let rke = rke1_snapshot(&tb);
    // RKE1's etcd serves with RKE1's certificates: the PKI is a working one
    assert!(tb.etcdctl(tb.h(1), &["endpoint", "health"]).status.success(), "RKE1's etcd is not healthy");

    take_over_without_change(&tb, &rke, &made);

    // a change recreates exactly the containers it concerns, the normal way
    tb.write_config(&tb.cluster_yml(2, "services:\n  scheduler:\n    extra_args:\n      v: \"4\"\n"));
    let r = tb.up_ok(&[]);
    for (h, name, id) in &made {
        let now = tb.container_id(h, name);
        if name == "kube-scheduler" {
            assert_ne!(&now, id, "{}: the scheduler must be recreated", h.name);
        } else {
            assert_eq!(&now, id, "{}: {name} must stay adopted: {}", h.name, r.all());
        }
    }
}

/// The same takeover with `prefix_path`, etcd running as its own uid/gid (RKE1 runs it as
/// `uid:uid`) and the audit log disabled: every container kept, etcd healthy with its data
/// directory owned by that uid/gid, and nothing written outside the prefix.
#[test]
fn an_rke1_cluster_with_prefix_path_etcd_user_and_no_audit_log_is_taken_over() {
    let tb = Testbed::get();
    let extra = "prefix_path: /opt/rke\nservices:\n  etcd:\n    uid: 52034\n    gid: 52035\n  kube-api:\n    audit_log:\n      enabled: false\n";
    let config = tb.write_config(&tb.cluster_yml(2, extra));
    let made = rke1::make_rke1_cluster(&tb, &config, &[0, 1]);
    assert_eq!(made.len(), 14);
    let rke = rke1_snapshot(&tb);
    assert_eq!(tb.docker_out(tb.h(0), &["inspect", "-f", "{{.Config.User}}", "etcd"]), "52034:52034", "RKE1's etcd user");
    assert!(tb.etcdctl(tb.h(1), &["endpoint", "health"]).status.success(), "RKE1's etcd (as 52034) is not healthy");

    take_over_without_change(&tb, &rke, &made);
    for h in &tb.hosts[..2] {
        let data = tb.host_path(h, "opt-rke").join("var/lib/etcd");
        let m = std::fs::metadata(&data).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o777), (52034, 52035, 0o700), "{}: {}", h.name, data.display());
        assert!(tb.host_path(h, "opt-rke").join("etc/kubernetes/ssl/kube-ca.pem").exists());
        for d in ["etc-kubernetes", "var-lib-etcd"] {
            assert!(std::fs::read_dir(tb.host_path(h, d)).unwrap().next().is_none(), "{}: something was written to /{d} outside the prefix", h.name);
        }
        assert!(!tb.host_path(h, "opt-rke").join("etc/kubernetes/audit-policy.yaml").exists(), "no audit policy without the audit log");
    }
}

/// RKE1's prefix default: with `prefix_path` unset, a host whose Docker reports Flatcar keeps
/// everything under /opt/rke (rancher/rke hosts/hosts.go `SetPrefixPath`), the other host under
/// `/`; etcd runs across both, a host whose reported system changes afterwards keeps its etcd
/// (replacing it onto an empty data directory is refused), and `remove` cleans each host's own
/// directories. The testbed host reports Flatcar through its own /etc/os-release
/// (testbed/host-os.sh).
#[test]
fn rke1s_prefix_default_applies_on_the_host_whose_system_asks_for_it() {
    let tb = Testbed::get();
    let _flatcar = tb.host_os(tb.h(1), "Flatcar Container Linux by Kinvolk 3815.2.0 (Oklo)");
    tb.write_config(&tb.cluster_yml(2, ""));
    let dry = tb.stockade(&["up", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert!(dry.all().contains(&format!("{}: prefix_path /opt/rke (RKE1's default on Flatcar", tb.h(1).ip)), "{}", dry.all());
    assert!(dry.stdout.contains("/opt/rke/etc/kubernetes/ssl/kube-ca.pem"), "{}", dry.stdout);
    tb.up_ok(&[]);
    let (h1, h2) = (tb.h(0), tb.h(1));
    assert!(tb.host_path(h1, "etc-kubernetes").join("ssl/kube-ca.pem").exists());
    assert!(tb.host_path(h2, "opt-rke").join("etc/kubernetes/ssl/kube-ca.pem").exists(), "the Flatcar host's certificates under /opt/rke");
    assert!(std::fs::read_dir(tb.host_path(h2, "etc-kubernetes")).unwrap().next().is_none(), "nothing in the Flatcar host's /etc/kubernetes");
    assert!(std::fs::read_dir(tb.host_path(h2, "opt-rke").join("var/lib/etcd")).unwrap().next().is_some(), "etcd's data under /opt/rke");
    let binds = tb.docker_out(h2, &["inspect", "-f", "{{json .HostConfig.Binds}}", "etcd"]);
    assert!(binds.contains("/opt/rke/var/lib/etcd:/var/lib/rancher/etcd/"), "{binds}");
    let kubelet = tb.docker_out(h2, &["inspect", "-f", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", "kubelet"]);
    assert!(kubelet.contains("--root-dir=/opt/rke/var/lib/kubelet"), "{kubelet}");
    assert!(!tb.docker_out(h1, &["inspect", "-f", "{{json .HostConfig.Binds}}", "etcd"]).contains("/opt/rke"));
    assert!(tb.etcdctl(h2, &["endpoint", "health"]).status.success());
    let members = String::from_utf8_lossy(&tb.etcdctl(h1, &["member", "list"]).stdout).to_string();
    assert_eq!(members.lines().count(), 2, "{members}");
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));

    // the same host now reports another system (RKE1's default would be `/`): its etcd data is
    // under /opt/rke, so replacing etcd there is refused, in the dry run as in the run, and the
    // member is left as it is
    let etcd_id = tb.container_id(h2, "etcd");
    let debian = tb.host_os(h2, "Debian GNU/Linux 12 (bookworm)");
    for args in [&["up", "--dry-run"][..], &["up"]] {
        let r = tb.stockade(args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.all());
        assert!(r.error_line().contains(&format!("not replacing etcd on {}", h2.ip)) && r.error_line().contains("its data is in /opt/rke/var/lib/etcd"), "{args:?}: {}", r.all());
    }
    assert_eq!(tb.container_id(h2, "etcd"), etcd_id, "etcd on the host was not replaced");
    drop(debian);
    let _flatcar_again = tb.host_os(h2, "Flatcar Container Linux by Kinvolk 3815.2.0 (Oklo)");

    let r = tb.stockade(&["remove", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(std::fs::read_dir(tb.host_path(h2, "opt-rke").join("etc/kubernetes")).map(|mut d| d.next().is_none()).unwrap_or(true), "remove cleans the Flatcar host's /opt/rke/etc/kubernetes");
    assert!(std::fs::read_dir(tb.host_path(h2, "opt-rke").join("var/lib/etcd")).map(|mut d| d.next().is_none()).unwrap_or(true));
}
