//! Bad input: each case fails with one error line and its exit code (2 bad input, 1 a host
//! failed, 3 refused as unsafe), and no host changes.
use crate::common::*;

fn refused(tb: &Testbed, yml: &str, args: &[&str], code: i32, expect: &[&str]) -> Run {
    tb.write_config(yml);
    let archive = tb.archive();
    let mut all = vec!["up", "--image-archive", archive.to_str().unwrap()];
    all.extend(args);
    let r = tb.stockade(&all);
    assert_eq!(r.code, code, "must fail with exit code {code}:\n{}", r.all());
    let line = r.error_line();
    assert_eq!(line.lines().count(), 1, "exactly one error line:\n{}", r.stderr);
    for e in expect {
        assert!(line.contains(e), "error line lacks {e:?}: {line}");
    }
    assert!(tb.hosts_untouched(), "a refused run changed a host");
    r
}

#[test]
fn file_errors_name_file_line_and_column() {
    let tb = Testbed::get();
    let good = tb.cluster_yml(3, "");
    refused(&tb, &good.replacen("  - address:", "  - address: [", 1), &[], 2, &["cluster.yml:"]);
    let r = refused(&tb, &good.replacen("    hostname_override: h2", "    hostname_overide: h2", 1), &[], 2, &[
        "cluster.yml:11:5:",
        "unknown key `hostname_overide`",
        "did you mean `hostname_override`",
    ]);
    assert!(r.error_line().contains("nodes[1]"), "{}", r.error_line());
    // RKE1 accepts a cluster without a worker host (every node runs kubelet); without a
    // controlplane host it cannot work
    let no_controlplane = good.replace("role: [etcd, controlplane, worker]", "role: [etcd, worker]");
    refused(&tb, &no_controlplane, &[], 2, &["no host has the `controlplane` role"]);
    let dup = good.replacen(&format!("address: {}", tb.h(1).ip), &format!("address: {}", tb.h(0).ip), 1);
    refused(&tb, &dup, &[], 2, &["cluster.yml:8:5:", "duplicate address"]);
}

#[test]
fn a_missing_key_file_is_named() {
    let tb = Testbed::get();
    let yml = tb.cluster_yml(3, "").replace(&tb.key().display().to_string(), "/nonexistent/id_rsa");
    refused(&tb, &yml, &[], 2, &["/nonexistent/id_rsa", "does not exist", "ssh_key_path"]);
}

#[test]
fn an_unreachable_host_is_named_within_the_connect_timeout() {
    let tb = Testbed::get();
    // .99 is on the testbed's own bridge and has no host: the connection attempt times out
    let net = tb.h(0).ip.rsplit_once('.').unwrap().0.to_string();
    let yml = tb.cluster_yml(3, "").replace(&format!("address: {}", tb.h(2).ip), &format!("address: {net}.99"));
    let t = std::time::Instant::now();
    refused(&tb, &yml, &["--ssh-timeout", "3"], 1, &[&format!("{net}.99"), "within 3s"]);
    assert!(t.elapsed().as_secs() < 30, "took {:?}", t.elapsed());
}

#[test]
fn host_keys_are_verified() {
    let tb = Testbed::get();
    let yml = tb.cluster_yml(3, "");
    // unknown host key: an empty known_hosts file
    let empty = tb.work.path().join("known_hosts.empty");
    std::fs::write(&empty, "").unwrap();
    refused(&tb, &yml, &["--known-hosts", empty.to_str().unwrap()], 3, &["unknown SSH host key", "--ssh-accept-new"]);

    // changed host key: h1's entry replaced by h2's key
    let real = std::fs::read_to_string(tb.known_hosts()).unwrap();
    let key_of = |ip: &str| real.lines().find(|l| l.starts_with(&format!("{ip} "))).unwrap().split_once(' ').unwrap().1.to_string();
    let forged = real.replace(&key_of(&tb.h(0).ip), &key_of(&tb.h(1).ip));
    let forged_path = tb.work.path().join("known_hosts.forged");
    std::fs::write(&forged_path, &forged).unwrap();
    let r = refused(&tb, &yml, &["--known-hosts", forged_path.to_str().unwrap()], 3, &["CHANGED", &tb.h(0).ip, "line 1"]);
    assert!(r.error_line().contains("ssh-keygen -R"), "{}", r.error_line());

    // --ssh-accept-new records unknown keys and goes on; a changed key is still refused
    let fresh = tb.work.path().join("known_hosts.new");
    let archive = tb.archive();
    let ok = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap(), "--ssh-accept-new", "--known-hosts", fresh.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    let learned = std::fs::read_to_string(&fresh).unwrap();
    for h in &tb.hosts[..3] {
        assert!(learned.contains(&key_of(&h.ip)), "{} not recorded: {learned}", h.ip);
    }
    tb.reset();
    refused(&tb, &yml, &["--ssh-accept-new", "--known-hosts", forged_path.to_str().unwrap()], 3, &["CHANGED"]);
}

/// Every testbed sshd has an Ed25519 and an RSA host key. A host recorded only with its RSA key
/// is reached (the client asks for RSA); a host recorded with ANOTHER RSA key is a changed key,
/// also with --ssh-accept-new (it used to be taken as "unknown" and accepted, because the server
/// showed its Ed25519 key); `@revoked` refuses.
#[test]
fn host_keys_are_checked_across_key_types() {
    let tb = Testbed::get();
    let yml = tb.cluster_yml(3, "");
    let real = std::fs::read_to_string(tb.known_hosts()).unwrap();
    let rsa_of = |i: usize| {
        let p = tb.dir.join(format!("hosts/{}/ssh/ssh_host_rsa_key.pub", tb.h(i).name));
        let t = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e} (testbed/up.sh gives every sshd an RSA key)", p.display()));
        t.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    };
    let only_rsa: String = (0..3).map(|i| format!("{} {}\n", tb.h(i).ip, rsa_of(i))).collect();
    let rsa_path = tb.work.path().join("known_hosts.rsa");
    std::fs::write(&rsa_path, &only_rsa).unwrap();
    tb.write_config(&yml);
    let archive = tb.archive();
    let ok = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap(), "--known-hosts", rsa_path.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "a host recorded with its RSA key only must be reached: {}", ok.all());
    assert_eq!(std::fs::read_to_string(&rsa_path).unwrap(), only_rsa, "nothing may be added to known_hosts");
    tb.reset();

    // h1 recorded with h2's RSA key (and nothing else): changed, even with --ssh-accept-new
    let forged = real
        .lines()
        .filter(|l| !l.starts_with(&format!("{} ", tb.h(0).ip)))
        .map(|l| format!("{l}\n"))
        .chain(std::iter::once(format!("{} {}\n", tb.h(0).ip, rsa_of(1))))
        .collect::<String>();
    let forged_path = tb.work.path().join("known_hosts.forged-rsa");
    std::fs::write(&forged_path, &forged).unwrap();
    refused(&tb, &yml, &["--ssh-accept-new", "--known-hosts", forged_path.to_str().unwrap()], 3, &["CHANGED", &tb.h(0).ip]);
    assert_eq!(std::fs::read_to_string(&forged_path).unwrap(), forged, "a changed key must never be recorded");

    // h1's real key revoked
    let h1_ed = real.lines().find(|l| l.starts_with(&format!("{} ", tb.h(0).ip))).unwrap().split_once(' ').unwrap().1.to_string();
    let revoked_path = tb.work.path().join("known_hosts.revoked");
    std::fs::write(&revoked_path, format!("@revoked * {h1_ed}\n{real}")).unwrap();
    refused(&tb, &yml, &["--known-hosts", revoked_path.to_str().unwrap()], 3, &["REVOKED", &tb.h(0).ip]);
}

#[test]
fn a_missing_docker_socket_is_named() {
    let tb = Testbed::get();
    let yml = tb.cluster_yml(3, "").replacen("    hostname_override: h2\n", "    hostname_override: h2\n    docker_socket: /run/no-docker-here.sock\n", 1);
    refused(&tb, &yml, &[], 1, &[&tb.h(1).ip, "/run/no-docker-here.sock", "docker_socket"]);
}

#[test]
fn hosts_of_another_cluster_are_refused() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let ids: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    let ca_on_host = || std::fs::read_to_string(tb.host_path(tb.h(0), "etc-kubernetes").join("ssl/kube-ca.pem")).unwrap();
    let ca = ca_on_host();
    // the state file is lost: a new one would mean a new CA for a running cluster
    std::fs::rename(tb.state_path(), tb.work.path().join("saved.rkestate")).unwrap();
    let archive = tb.archive();
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
    assert_eq!(r.error_line().lines().count(), 1, "{}", r.stderr);
    assert!(r.error_line().contains("already runs etcd of a cluster whose CA"), "{}", r.error_line());
    let after: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    assert_eq!(ids, after, "nothing may change");
    assert_eq!(ca, ca_on_host(), "the hosts' CA must be untouched");
    // with the right state file back, up goes on
    std::fs::rename(tb.work.path().join("saved.rkestate"), tb.state_path()).unwrap();
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
}
