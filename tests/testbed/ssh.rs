//! Logging in with an encrypted key and with ssh-agent, against the testbed's real sshd.
use crate::common::*;
use std::process::Command;

/// Adds `pubkey` to the testbed's authorized_keys (shared by every host); removed on drop.
struct AuthorizedKey {
    file: std::path::PathBuf,
    line: String,
}

impl AuthorizedKey {
    fn add(tb: &Testbed, pubkey_file: &std::path::Path) -> Self {
        let file = tb.dir.join("keys/authorized_keys");
        let line = std::fs::read_to_string(pubkey_file).unwrap().trim().to_string();
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str(&line);
        text.push('\n');
        std::fs::write(&file, text).unwrap();
        AuthorizedKey { file, line }
    }
}

impl Drop for AuthorizedKey {
    fn drop(&mut self) {
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        let kept: String = text.lines().filter(|l| *l != self.line).map(|l| format!("{l}\n")).collect();
        let _ = std::fs::write(&self.file, kept);
    }
}

fn keygen(dir: &std::path::Path, name: &str, args: &[&str]) -> std::path::PathBuf {
    let p = dir.join(name);
    let o = Command::new("ssh-keygen").args(["-q", "-f", p.to_str().unwrap(), "-C", name]).args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    p
}

#[test]
fn an_encrypted_key_works_with_the_passphrase_variable() {
    let tb = Testbed::get();
    for (name, args) in [("enc_ed25519", vec!["-t", "ed25519", "-N", "correct horse"]), ("enc_rsa_pem", vec!["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "correct horse"])] {
        tb.reset();
        let key = keygen(tb.work.path(), name, &args);
        let _auth = AuthorizedKey::add(&tb, &key.with_extension("pub"));
        let yml = tb.cluster_yml(3, "").replace(&tb.key().display().to_string(), &key.display().to_string());
        tb.write_config(&yml);
        let archive = tb.archive();
        let up = ["up", "--image-archive", archive.to_str().unwrap()];

        let no_pass = tb.stockade(&up);
        assert_eq!(no_pass.code, 2, "an encrypted key without its passphrase is bad input: {}", no_pass.all());
        assert!(no_pass.error_line().contains("STOCKADE_SSH_PASSPHRASE"), "{}", no_pass.error_line());
        assert!(tb.hosts_untouched());

        let wrong = tb.stockade_env(&up, &[("STOCKADE_SSH_PASSPHRASE", "wrong")]);
        assert_eq!(wrong.code, 2, "{}", wrong.all());
        assert!(wrong.error_line().contains("cannot decrypt SSH key"), "{}", wrong.error_line());
        assert!(!wrong.all().contains("wrong\n") && !wrong.all().contains("correct horse"));

        let ok = tb.stockade_env(&up, &[("STOCKADE_SSH_PASSPHRASE", "correct horse")]);
        assert_eq!(ok.code, 0, "{name}: {}", ok.all());
        assert!(!ok.all().contains("correct horse"), "the passphrase must not be printed");
    }
}

#[test]
fn ssh_agent_auth_reaches_the_hosts() {
    let tb = Testbed::get();
    let sock = tb.work.path().join("agent.sock");
    let agent = Command::new("ssh-agent")
        .args(["-D", "-a", sock.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _agent = Kill(agent);
    for _ in 0..50 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let add = Command::new("ssh-add").arg(tb.key()).env("SSH_AUTH_SOCK", &sock).output().unwrap();
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    // the key file does not exist: only the agent can log in
    let yml = tb.cluster_yml(3, "").replace(&tb.key().display().to_string(), "/nonexistent/agent-only");
    tb.write_config(&yml);
    let archive = tb.archive();
    let r = tb.stockade_env(&["up", "--ssh-agent-auth", "--image-archive", archive.to_str().unwrap()], &[("SSH_AUTH_SOCK", sock.to_str().unwrap())]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(tb.hosts[..3].iter().all(|h| !tb.container_id(h, "etcd").is_empty()));
    // the same from cluster.yml's ssh_agent_auth
    let yml = format!("ssh_agent_auth: true\n{yml}");
    tb.write_config(&yml);
    let r = tb.stockade_env(&["up", "--image-archive", archive.to_str().unwrap()], &[("SSH_AUTH_SOCK", sock.to_str().unwrap())]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("Nothing changed"), "{}", r.all());
}

#[test]
fn hosts_are_reached_through_a_bastion() {
    let tb = Testbed::get();
    // h1 is the jump host; every node connection runs inside the one connection to it
    let bastion = format!("bastion_host:\n  address: {}\n  user: root\n  ssh_key_path: {}\n", tb.h(0).ip, tb.key().display());
    tb.write_config(&tb.cluster_yml(3, &bastion));
    let r = tb.up_ok(&["--debug"]);
    assert!(r.all().contains("via bastion"), "the debug log must show the bastion path: {}", r.all());
    let get = tb.etcdctl(tb.h(2), &["endpoint", "health"]);
    assert!(get.status.success(), "{}", String::from_utf8_lossy(&get.stderr));
    // a bastion that refuses the login is reported as the bastion's problem
    let bad = format!("bastion_host:\n  address: {}\n  user: nobody-here\n  ssh_key_path: {}\n", tb.h(0).ip, tb.key().display());
    tb.write_config(&tb.cluster_yml(3, &bad));
    let archive = tb.archive();
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.error_line().contains("bastion_host"), "{}", r.error_line());
}

#[test]
fn an_ssh_certificate_logs_in_where_the_bare_key_is_not_authorized() {
    let tb = Testbed::get();
    let ca = keygen(tb.work.path(), "user_ca", &["-t", "ed25519", "-N", ""]);
    let user = keygen(tb.work.path(), "cert_user", &["-t", "ed25519", "-N", ""]);
    let sign = Command::new("ssh-keygen")
        .args(["-q", "-s", ca.to_str().unwrap(), "-I", "stockade-test", "-n", "root", "-V", "+1h"])
        .arg(user.with_extension("pub"))
        .output()
        .unwrap();
    assert!(sign.status.success(), "{}", String::from_utf8_lossy(&sign.stderr));
    let cert = tb.work.path().join("cert_user-cert.pub");
    let trusted = tb.dir.join("keys/user_ca.pub");
    struct Untrust(std::path::PathBuf);
    impl Drop for Untrust {
        fn drop(&mut self) {
            let _ = std::fs::write(&self.0, "");
        }
    }
    let _untrust = Untrust(trusted.clone());
    let key_path = tb.key().display().to_string();
    let without_cert = tb.cluster_yml(3, "").replace(&key_path, &user.display().to_string());
    tb.write_config(&without_cert);
    let archive = tb.archive();
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_ne!(r.code, 0, "the bare key is not authorized");
    assert!(r.error_line().contains("refused"), "{}", r.error_line());

    std::fs::copy(ca.with_extension("pub"), &trusted).unwrap();
    // the certificate named per node, as RKE users write it
    let per_node = without_cert.replace("    user: root\n", &format!("    user: root\n    ssh_cert_path: {}\n", cert.display()));
    tb.write_config(&per_node);
    let r = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// Issue 7 item 17: keys are read and decrypted once, before any connection (not inside the
/// 10 s login timeout, not under the spinner): a wrong passphrase fails before any host is
/// contacted, even one that cannot be reached (which used to be the error, after its timeout).
#[test]
fn an_undecryptable_key_fails_before_connecting() {
    let tb = Testbed::get();
    let key = keygen(tb.work.path(), "enc_shared", &["-t", "ed25519", "-N", "correct horse"]);
    let _auth = AuthorizedKey::add(&tb, &key.with_extension("pub"));
    let yml = tb.cluster_yml(3, "").replace(&tb.key().display().to_string(), &key.display().to_string());
    tb.write_config(&yml.replacen(&format!("address: {}\n", tb.h(2).ip), "address: 10.255.255.1\n", 1));
    let r = tb.stockade_env(&["up"], &[("STOCKADE_SSH_PASSPHRASE", "wrong")]);
    assert_eq!(r.code, 2, "a wrong passphrase is bad input: {}", r.all());
    assert!(r.error_line().contains("cannot decrypt SSH key") && !r.all().contains("10.255.255.1"), "{}", r.all());
    assert!(!r.all().contains("Connect"), "nothing may be contacted before the keys are readable: {}", r.all());
    assert!(tb.hosts_untouched());
}
