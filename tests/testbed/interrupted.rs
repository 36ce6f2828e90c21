//! `up` killed with SIGKILL at different points, and a host that becomes unreachable: the next
//! `up` finishes the job, nothing blocks it, and the state file is always valid.
use crate::common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// `stockade up` with the image archive, in the background, its stderr piped.
fn spawn_up(tb: &Testbed) -> std::process::Child {
    let archive = tb.archive();
    Command::new(env!("CARGO_BIN_EXE_stockade"))
        .current_dir(tb.work.path())
        .args(["up", "--image-archive", archive.to_str().unwrap()])
        .env("STOCKADE_KNOWN_HOSTS", tb.known_hosts())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill_at(tb: &Testbed, marker: &str) {
    let archive = tb.archive();
    tb.kill_stockade_at(&["up", "--image-archive", archive.to_str().unwrap()], marker);
}

fn assert_converges(tb: &Testbed) {
    let r = tb.up_ok(&[]);
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(tb.state_path()).unwrap()).expect("state file is valid JSON");
    assert!(state["currentState"]["certificatesBundle"]["kube-ca"]["certificatePEM"].is_string());
    for i in 0..3 {
        assert_eq!(
            tb.running(tb.h(i)),
            vec!["etcd", "kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubelet"],
            "{}: {}",
            tb.h(i).name,
            r.all()
        );
        let names = tb.docker_out(tb.h(i), &["ps", "-a", "--format", "{{.Names}}"]);
        assert!(names.lines().all(|n| !n.starts_with("old-") && !n.starts_with("stockade-helper")), "leftovers: {names}");
        assert!(tb.etcdctl(tb.h(i), &["endpoint", "health"]).status.success());
    }
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
}

#[test]
fn up_killed_at_three_points_is_finished_by_the_next_up() {
    let tb = Testbed::get();
    for h in &tb.hosts[..3] {
        tb.docker(h, &["rmi", "-f", ETCD_IMAGE, TOOLS_IMAGE, K8S_STANDIN_IMAGE]);
    }
    tb.write_config(&tb.cluster_yml(3, ""));
    // 1: while the image archive streams to the hosts (fresh cluster, nothing running yet)
    kill_at(&tb, "==> Images");
    assert_converges(&tb);
    // 2: while etcd members are being replaced (an etcd argument changed)
    tb.write_config(&tb.cluster_yml(3, "services:\n  etcd:\n    extra_args:\n      quota-backend-bytes: \"4294967296\"\n"));
    kill_at(&tb, "recreated container etcd");
    assert_converges(&tb);
    // 3: in the middle of the control plane (an apiserver argument changed)
    tb.write_config(&tb.cluster_yml(
        3,
        "services:\n  etcd:\n    extra_args:\n      quota-backend-bytes: \"4294967296\"\n  kube-api:\n    extra_args:\n      audit-log-maxage: \"45\"\n",
    ));
    kill_at(&tb, "recreated container kube-apiserver");
    assert_converges(&tb);
}

#[test]
fn an_unreachable_host_is_named_and_the_others_are_left_as_they_were() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let before: Vec<String> = (0..3).map(|i| tb.container_id(tb.h(i), "kube-apiserver")).collect();
    // h3's sshd goes away
    let pidfile = tb.dir.join("hosts").join(&tb.h(2).name).join("run/sshd.pid");
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
    assert!(Command::new("kill").arg(&pid).status().unwrap().success());
    struct Restart(std::path::PathBuf);
    impl Drop for Restart {
        fn drop(&mut self) {
            // bring the testbed's sshd back for the tests that follow
            let _ = Command::new("bash").arg(self.0.join("testbed/up.sh")).arg("5").stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
    }
    let _restart = Restart(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    std::thread::sleep(std::time::Duration::from_millis(300));
    tb.write_config(&tb.cluster_yml(3, "services:\n  kube-api:\n    extra_args:\n      audit-log-maxage: \"50\"\n"));
    let archive = tb.archive();
    let r = tb.stockade(&["up", "--ssh-timeout", "5", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(r.code, 1, "an unreachable host is a failure: {}", r.all());
    assert!(r.error_line().contains(&tb.h(2).ip), "{}", r.error_line());
    let after: Vec<String> = (0..3).map(|i| tb.container_id(tb.h(i), "kube-apiserver")).collect();
    assert_eq!(before, after, "no host may change while one is unreachable");
}

/// Issue 7 item 11: two runs on one cluster at once are refused (the second names the first);
/// the `kill_at` tests above show that a killed run's lock never blocks the next one.
#[test]
fn a_second_run_at_the_same_time_is_refused() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    let mut first = spawn_up(&tb);
    let mut lines = BufReader::new(first.stderr.take().unwrap()).lines();
    // the lock is taken before anything else: once the first run connects, it holds it
    assert!(lines.by_ref().map(|l| l.unwrap()).any(|l| l.contains("Connect")), "the first run never connected");
    let second = tb.stockade(&["up"]);
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = first.wait().unwrap();
    assert_eq!(second.code, 3, "refused as unsafe: {}", second.all());
    assert!(second.error_line().contains("another stockade run") && second.error_line().contains(&format!("pid {}", first.id())), "{}", second.error_line());
    assert!(status.success(), "the first run must finish undisturbed: {rest:?}");
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"), "after the first run ends, the lock is free");
}
