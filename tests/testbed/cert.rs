//! `cert rotate` and `cert check-expiration --live` on the testbed: real etcd (TLS, peers), the
//! stand-in control plane. Served certificates are read from outside with the openssl CLI in the
//! host's network namespace, files from the hosts' directories.
use crate::common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The PEM certificate the server at `ip:port` presents, read by `openssl s_client` inside the
/// network namespace of `h`. No client certificate is sent: TLS 1.3 servers (etcd, Go) present
/// theirs before asking for one.
fn served(tb: &Testbed, h: &TbHost, ip: &str, port: u16) -> String {
    let script = format!("timeout 10 openssl s_client -connect {ip}:{port} </dev/null 2>/dev/null | openssl x509");
    let o = tb.in_netns(h, &["sh", "-c", &script]);
    let pem = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(pem.contains("BEGIN CERTIFICATE"), "{}: no certificate served on {ip}:{port}: {}", h.name, String::from_utf8_lossy(&o.stderr));
    pem
}

fn openssl(args: &[&str], stdin_pem: Option<&str>) -> (bool, String) {
    use std::io::Write;
    let mut c = Command::new("openssl").args(args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    c.stdin.take().unwrap().write_all(stdin_pem.unwrap_or("").as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

fn fingerprint(pem: &str) -> String {
    let (ok, out) = openssl(&["x509", "-noout", "-fingerprint", "-sha256"], Some(pem));
    assert!(ok, "{out}");
    out.trim().to_string()
}

/// Whether the certificate is still valid now (`openssl x509 -checkend 0`).
fn valid_now(pem: &str) -> bool {
    openssl(&["x509", "-noout", "-checkend", "0"], Some(pem)).0
}

/// `openssl verify` of `pem` against the CA file.
fn verifies(ca: &Path, pem: &str) -> (bool, String) {
    openssl(&["verify", "-CAfile", ca.to_str().unwrap()], Some(pem))
}

fn state(tb: &Testbed) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(tb.state_path()).unwrap()).unwrap()
}

fn state_pem(tb: &Testbed, name: &str) -> String {
    state(tb)["currentState"]["certificatesBundle"][name]["certificatePEM"].as_str().unwrap_or_else(|| panic!("{name} in the state")).to_string()
}

fn ssl_dir(tb: &Testbed, h: &TbHost) -> PathBuf {
    tb.host_path(h, "etc-kubernetes").join("ssl")
}

/// Every certificate file (not keys) under the host's ssl directory: name → content.
fn cert_files(tb: &Testbed, h: &TbHost) -> BTreeMap<String, String> {
    std::fs::read_dir(ssl_dir(tb, h))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pem") && !n.ends_with("-key.pem"))
        .map(|n| {
            let text = std::fs::read_to_string(ssl_dir(tb, h).join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

fn etcd_healthy(tb: &Testbed, hosts: &[TbHost]) {
    for h in hosts {
        let o = tb.etcdctl(h, &["endpoint", "health"]);
        assert!(o.status.success(), "{}: etcd not healthy: {}{}", h.name, String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    }
}

fn key_is_there(tb: &Testbed, h: &TbHost, key: &str, value: &str) {
    let get = tb.etcdctl(h, &["get", key, "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), value, "{}", String::from_utf8_lossy(&get.stderr));
}

#[test]
fn rotating_etcd_certificates_changes_only_etcd_and_keeps_the_data() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let hosts: Vec<TbHost> = tb.hosts[..3].to_vec();
    assert!(tb.etcdctl(tb.h(0), &["put", "before-rotation", "kept"]).status.success());
    let etcd_before: Vec<String> = hosts.iter().map(|h| fingerprint(&served(&tb, h, &h.ip, 2379))).collect();
    let api_before: Vec<String> = hosts.iter().map(|h| fingerprint(&served(&tb, h, &h.ip, 6443))).collect();
    let files_before: Vec<BTreeMap<String, String>> = hosts.iter().map(|h| cert_files(&tb, h)).collect();
    let api_key_before: Vec<Vec<u8>> = hosts.iter().map(|h| std::fs::read(ssl_dir(&tb, h).join("kube-apiserver-key.pem")).unwrap()).collect();
    let ids = |name: &str| hosts.iter().map(|h| tb.container_id(h, name)).collect::<Vec<_>>();
    let (etcd_ids, api_ids, kubelet_ids) = (ids("etcd"), ids("kube-apiserver"), ids("kubelet"));

    let r = tb.stockade(&["cert", "rotate", "--service", "etcd"]);
    assert_eq!(r.code, 0, "{}", r.all());

    for (i, h) in hosts.iter().enumerate() {
        let now = served(&tb, h, &h.ip, 2379);
        assert_ne!(fingerprint(&now), etcd_before[i], "{}: etcd serves its old certificate", h.name);
        assert!(valid_now(&now));
        assert_eq!(fingerprint(&served(&tb, h, &h.ip, 6443)), api_before[i], "{}: the apiserver's certificate changed", h.name);
        let files = cert_files(&tb, h);
        for (name, content) in &files {
            let was = &files_before[i][name];
            if name.starts_with("kube-etcd-") {
                assert_ne!(content, was, "{}: {name} not rotated", h.name);
            } else {
                assert_eq!(content, was, "{}: {name} changed by an etcd rotation", h.name);
            }
        }
        assert_eq!(std::fs::read(ssl_dir(&tb, h).join("kube-apiserver-key.pem")).unwrap(), api_key_before[i]);
    }
    let (etcd_after, api_after, kubelet_after) = (ids("etcd"), ids("kube-apiserver"), ids("kubelet"));
    assert!(etcd_ids.iter().zip(&etcd_after).all(|(a, b)| a != b), "every etcd container restarted");
    assert_eq!(api_ids, api_after, "kube-apiserver not restarted");
    assert_eq!(kubelet_ids, kubelet_after, "kubelet not restarted");
    // one member at a time: each recreated etcd appears once, in host order, with health between
    let recreated: Vec<&str> = r.stderr.lines().chain(r.stdout.lines()).filter(|l| l.contains("recreated container etcd")).collect();
    assert_eq!(recreated.len(), 3, "{}", r.all());
    etcd_healthy(&tb, &hosts);
    key_is_there(&tb, tb.h(2), "before-rotation", "kept");
    let s = state(&tb);
    assert!(s["desiredState"].get("stockadeCertRotation").is_none() && s["currentState"].get("stockadeCertRotation").is_none(), "the finished rotation is cleared");
    assert_eq!(file_mode(&tb.state_path()), 0o600);

    // the live view: every member serves the state's (new) certificate
    // (the stand-in kubelet serves nothing on :10250: what was not read makes the check exit 1)
    let r = tb.stockade(&["cert", "check-expiration", "--live", "--output", "json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains(":10250 (kubelet)") && r.all().contains("the check exits 1"), "{}", r.all());
    let report = r.event("report");
    let live = report["live"].as_array().expect("live section");
    for h in &hosts {
        let served = |port: &str| live.iter().find(|l| l["host"] == h.ip.as_str() && l["kind"] == "served" && l["source"].as_str().unwrap().contains(port)).unwrap_or_else(|| panic!("{port} of {}: {live:?}", h.name));
        for port in [":2379 (etcd)", ":6443 (kube-apiserver)"] {
            let e = served(port);
            assert_eq!(e["same_as_state"], true, "{e}");
            assert!(e["days_left"].as_i64().unwrap() > 3000 && !e["not_after"].as_str().unwrap().is_empty(), "{e}");
            assert_eq!(e["state_not_after"], e["not_after"], "{e}");
        }
        // the stand-in kubelet serves nothing on :10250: listed, with why
        assert!(served(":10250 (kubelet)")["error"].is_string());
        let ca_file = live.iter().find(|l| l["host"] == h.ip.as_str() && l["kind"] == "file" && l["name"] == "kube-ca").expect("kube-ca.pem file");
        assert_eq!(ca_file["same_as_state"], true);
    }
    // everything expires within 4000 days (10-year certificates): exit 2
    let r = tb.stockade(&["cert", "check-expiration", "--live", "--warn-days", "4000"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stdout.contains("LIVE: served and stored on the hosts"), "{}", r.stdout);
}

#[test]
fn rotating_the_ca_reissues_everything_under_a_new_ca() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml_roles(&[(0, "[etcd, controlplane, worker]"), (1, "[etcd, controlplane, worker]"), (2, "[etcd, worker]"), (3, "[worker]")], ""));
    tb.up_ok(&[]);
    let hosts: Vec<TbHost> = tb.hosts[..4].to_vec();
    assert!(tb.etcdctl(tb.h(0), &["put", "before-ca-rotation", "kept"]).status.success());
    let old_ca = state_pem(&tb, "kube-ca");
    let sa_key = state(&tb)["currentState"]["certificatesBundle"]["kube-service-account-token"]["keyPEM"].clone();

    let r = tb.stockade(&["cert", "rotate", "--rotate-ca"]);
    assert_eq!(r.code, 0, "{}", r.all());

    let new_ca = state_pem(&tb, "kube-ca");
    assert_ne!(new_ca, old_ca);
    let s = state(&tb);
    assert_eq!(s["currentState"]["certificatesBundle"]["kube-service-account-token"]["keyPEM"], sa_key, "the service-account key is kept");
    let cas = tb.work.path().join("new-cas.pem");
    std::fs::write(&cas, format!("{new_ca}{}", state_pem(&tb, "kube-apiserver-requestheader-ca"))).unwrap();
    let old = tb.work.path().join("old-ca.pem");
    std::fs::write(&old, &old_ca).unwrap();
    for h in &hosts {
        let files = cert_files(&tb, h);
        assert!(files.len() >= 3, "{}: {files:?}", h.name);
        for (name, pem) in &files {
            let (ok, out) = verifies(&cas, pem);
            assert!(ok, "{}: {name} does not chain to the new CA: {out}", h.name);
            assert!(!verifies(&old, pem).0 || name == "kube-apiserver-requestheader-ca.pem", "{}: {name} still verifies with the old CA", h.name);
        }
        assert_eq!(files["kube-ca.pem"], new_ca);
        if h.name != tb.h(3).name {
            let (ok, out) = verifies(&cas, &served(&tb, h, &h.ip, 2379));
            assert!(ok, "{}: etcd serves a certificate of another CA: {out}", h.name);
        }
    }
    etcd_healthy(&tb, &hosts[..3]);
    key_is_there(&tb, tb.h(1), "before-ca-rotation", "kept");

    // the kubeconfig works: its CA verifies the apiserver, its client certificate is accepted
    let kc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(tb.work.path().join("kube_config_cluster.yml")).unwrap()).unwrap();
    assert_eq!(file_mode(&tb.work.path().join("kube_config_cluster.yml")), 0o600);
    use base64::Engine;
    let b64 = |v: &serde_yaml::Value| base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
    let w = |name: &str, data: Vec<u8>| {
        let p = tb.work.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    };
    let kc_ca = w("kc-ca.pem", b64(&kc["clusters"][0]["cluster"]["certificate-authority-data"]));
    let kc_cert = w("kc-cert.pem", b64(&kc["users"][0]["user"]["client-certificate-data"]));
    let kc_key = w("kc-key.pem", b64(&kc["users"][0]["user"]["client-key-data"]));
    assert_eq!(std::fs::read_to_string(&kc_ca).unwrap(), new_ca);
    let server = kc["clusters"][0]["cluster"]["server"].as_str().unwrap().to_string();
    let curl = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert", kc_ca.to_str().unwrap(), "--cert", kc_cert.to_str().unwrap(), "--key", kc_key.to_str().unwrap()])
        .arg(format!("{server}/healthz"))
        .output()
        .unwrap();
    assert!(curl.status.success(), "the kubeconfig does not reach the apiserver: {}", String::from_utf8_lossy(&curl.stderr));
    assert_eq!(String::from_utf8_lossy(&curl.stdout).trim(), "ok");
}

#[test]
fn a_cluster_whose_certificates_expired_is_brought_back_by_rotate() {
    let tb = Testbed::get();
    let cfg_path = tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let hosts: Vec<TbHost> = tb.hosts[..3].to_vec();
    assert!(tb.etcdctl(tb.h(0), &["put", "before-expiry", "kept"]).status.success());

    // the fixture: every leaf certificate re-issued (same keys, same CA) with a validity that
    // ended yesterday, in the state and on the hosts; etcd restarted on them
    let cfg = stockade::config::load(&cfg_path).unwrap().config;
    let mut full = stockade::state::load(&tb.state_path()).unwrap().unwrap();
    stockade::pki::rotate::expired_leaves_for_tests(&mut full.current.certificates, &cfg).unwrap();
    full.desired.certificates = full.current.certificates.clone();
    stockade::state::save(&tb.state_path(), &full).unwrap();
    for h in &hosts {
        for name in cert_files(&tb, h).keys() {
            let entry = name.trim_end_matches(".pem");
            if let Some(c) = full.current.certificates.get(entry) {
                std::fs::write(ssl_dir(&tb, h).join(name), &c.certificate_pem).unwrap();
            }
        }
        assert!(tb.docker(h, &["restart", "etcd"]).status.success());
    }
    // with expired peer certificates the members never form a quorum, so etcd never opens its
    // client port (:2379); its peer port (:2380) serves the same certificate
    for h in &hosts {
        assert!(!valid_now(&served(&tb, h, &h.ip, 2380)), "{}: the fixture's etcd certificate is not expired", h.name);
    }
    assert!(!tb.etcdctl(tb.h(0), &["endpoint", "health"]).status.success(), "etcd answers with expired certificates");
    let r = tb.stockade(&["cert", "check-expiration"]);
    assert_eq!(r.code, 2, "expired certificates are reported: {}", r.all());

    let r = tb.stockade(&["cert", "rotate", "--etcd-health-timeout", "90"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &hosts {
        assert!(valid_now(&served(&tb, h, &h.ip, 2379)), "{}: etcd still serves an expired certificate", h.name);
        assert!(valid_now(&served(&tb, h, &h.ip, 6443)), "{}: the apiserver still serves an expired certificate", h.name);
    }
    etcd_healthy(&tb, &hosts);
    key_is_there(&tb, tb.h(2), "before-expiry", "kept");
    let r = tb.stockade(&["cert", "check-expiration"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn bad_rotate_flags_change_nothing() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(1, ""));
    let r = tb.stockade(&["cert", "rotate", "--service", "kube-dns"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.stderr.contains("kube-dns"), "{}", r.stderr);
    // no cluster in the state: nothing to rotate, nothing contacted
    let r = tb.stockade(&["cert", "rotate"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(tb.hosts_untouched());
}

#[test]
fn an_interrupted_rotation_is_finished_with_the_same_certificates() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let hosts: Vec<TbHost> = tb.hosts[..3].to_vec();
    assert!(tb.etcdctl(tb.h(0), &["put", "before-interruption", "kept"]).status.success());
    let etcd_names: Vec<String> = hosts.iter().map(|h| format!("kube-etcd-{}", h.ip.replace('.', "-"))).collect();
    let old: Vec<String> = etcd_names.iter().map(|n| state_pem(&tb, n)).collect();

    // killed right after the first member was recreated with its new certificate
    tb.kill_stockade_at(&["cert", "rotate", "--service", "etcd"], "recreated container etcd");
    let s = state(&tb);
    assert!(s["desiredState"]["stockadeCertRotation"].is_object(), "the pending rotation is recorded: {}", s["desiredState"]);
    let pending: Vec<String> = etcd_names.iter().map(|n| s["desiredState"]["certificatesBundle"][n.as_str()]["certificatePEM"].as_str().unwrap().to_string()).collect();
    assert!(pending.iter().zip(&old).all(|(p, o)| p != o));

    // another rotation first is refused, and changes nothing
    let before = std::fs::read_to_string(tb.state_path()).unwrap();
    let r = tb.stockade(&["cert", "rotate", "--service", "kubelet"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.error_line().contains("--service etcd"), "{}", r.all());
    assert_eq!(std::fs::read_to_string(tb.state_path()).unwrap(), before);

    let r = tb.stockade(&["cert", "rotate", "--service", "etcd"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("finishing the interrupted rotation"), "{}", r.all());
    for (i, h) in hosts.iter().enumerate() {
        // the certificates the first run issued, not others
        assert_eq!(state_pem(&tb, &etcd_names[i]), pending[i]);
        assert_eq!(fingerprint(&served(&tb, h, &h.ip, 2379)), fingerprint(&pending[i]), "{}", h.name);
    }
    let s = state(&tb);
    assert!(s["desiredState"].get("stockadeCertRotation").is_none());
    etcd_healthy(&tb, &hosts);
    key_is_there(&tb, tb.h(1), "before-interruption", "kept");
}

#[test]
fn an_interrupted_ca_rotation_leaves_a_path_forward() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let hosts: Vec<TbHost> = tb.hosts[..3].to_vec();
    assert!(tb.etcdctl(tb.h(0), &["put", "before-ca-interruption", "kept"]).status.success());
    let old_ca = state_pem(&tb, "kube-ca");

    // killed once the first member runs on the new CA, the others still on the old one
    tb.kill_stockade_at(&["cert", "rotate", "--rotate-ca"], "recreated container etcd");
    let pending_ca = state(&tb)["desiredState"]["certificatesBundle"]["kube-ca"]["certificatePEM"].as_str().unwrap().to_string();
    assert_ne!(pending_ca, old_ca);

    let r = tb.stockade(&["cert", "rotate", "--rotate-ca"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(state_pem(&tb, "kube-ca"), pending_ca, "the CA the first run issued");
    let ca = tb.work.path().join("ca.pem");
    std::fs::write(&ca, &pending_ca).unwrap();
    for h in &hosts {
        let (ok, out) = verifies(&ca, &served(&tb, h, &h.ip, 2379));
        assert!(ok, "{}: {out}", h.name);
        let (ok, out) = verifies(&ca, &served(&tb, h, &h.ip, 6443));
        assert!(ok, "{}: {out}", h.name);
    }
    etcd_healthy(&tb, &hosts);
    key_is_there(&tb, tb.h(2), "before-ca-interruption", "kept");
}

/// Issue 12 item 3: an operator whose CA lives elsewhere. `cert generate-csr` writes a request
/// and key per certificate; openssl, standing for the outside CA, signs them; `up
/// --custom-certs` runs the cluster on them (etcd serves the operator-signed certificate, which
/// verifies against the operator's CA). A missing file is named before any host is touched, and
/// a second `up --custom-certs` changes nothing.
#[test]
fn certificates_signed_by_an_outside_ca_run_the_cluster() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(2, ""));
    let r = tb.stockade(&["cert", "generate-csr"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let dir = tb.work.path().join("cluster_certs");
    let csrs: Vec<String> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with("-csr.pem")).collect();
    assert!(csrs.iter().any(|n| n == "kube-apiserver-csr.pem") && csrs.iter().any(|n| n.starts_with("kube-etcd-")), "{csrs:?}");
    assert_eq!(file_mode(&dir.join("kube-node-key.pem")), 0o600);

    // the operator's CA, made and used by openssl alone
    let ca = dir.join("kube-ca.pem");
    let ca_key = tb.work.path().join("operator-ca-key.pem");
    let (ok, out) = openssl(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key.to_str().unwrap(), "-out", ca.to_str().unwrap(), "-subj", "/CN=operator-ca", "-days", "30"], None);
    assert!(ok, "{out}");
    for csr in &csrs {
        let name = csr.trim_end_matches("-csr.pem");
        let out_file = dir.join(format!("{name}.pem"));
        let (ok, out) = openssl(
            &["x509", "-req", "-in", dir.join(csr).to_str().unwrap(), "-CA", ca.to_str().unwrap(), "-CAkey", ca_key.to_str().unwrap(), "-CAcreateserial", "-days", "30", "-copy_extensions", "copyall", "-out", out_file.to_str().unwrap()],
            None,
        );
        assert!(ok, "{name}: {out}");
    }

    // one file missing: named, nothing on any host
    let scheduler = std::fs::read(dir.join("kube-scheduler.pem")).unwrap();
    std::fs::remove_file(dir.join("kube-scheduler.pem")).unwrap();
    let r = tb.stockade(&["up", "--custom-certs"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.error_line().contains("kube-scheduler.pem is missing"), "{}", r.error_line());
    assert!(tb.hosts_untouched(), "nothing may change on a host");
    std::fs::write(dir.join("kube-scheduler.pem"), scheduler).unwrap();

    let r = tb.up_ok(&["--custom-certs"]);
    assert!(r.all().contains("kube-apiserver-requestheader-ca.pem is missing"), "the fallback is said: {}", r.all());
    for h in &tb.hosts[..2] {
        let mine = std::fs::read_to_string(dir.join(format!("kube-etcd-{}.pem", h.ip.replace('.', "-")))).unwrap();
        let got = served(&tb, h, &h.ip, 2379);
        assert_eq!(fingerprint(&got), fingerprint(&mine), "{}: etcd serves the operator's certificate", h.name);
        let (ok, out) = verifies(&ca, &got);
        assert!(ok, "{}: {out}", h.name);
    }
    etcd_healthy(&tb, &tb.hosts[..2]);
    assert!(tb.up_ok(&["--custom-certs"]).all().contains("Nothing changed"));
}
