//! `stockade up` against a host that cannot be reached (an empty network namespace): it fails
//! with the connect error naming the host, and writes neither state nor kubeconfig. Certificate
//! issuance runs alongside the connect (ops::up), so this failure is not held up by key
//! generation; the timing itself is not asserted here (no timed assertions in tests).
use std::process::Command;

#[test]
fn up_to_an_unreachable_host_fails_on_connect_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    let st = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).status().unwrap();
    assert!(st.success());
    let cfg = dir.path().join("cluster.yml");
    std::fs::write(
        &cfg,
        format!("nodes:\n  - address: 10.255.255.1\n    user: root\n    role: [etcd, controlplane, worker]\n    ssh_key_path: {}\nservices:\n  kube-api:\n    service_node_port_range: \"\"\n", key.display()),
    )
    .unwrap();
    let out = Command::new("unshare")
        .args(["--net", "--map-root-user"])
        .arg(env!("CARGO_BIN_EXE_stockade"))
        .arg("--config")
        .arg(&cfg)
        .arg("up")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("unshare: "), "cannot make an empty network namespace: {stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("host 10.255.255.1:22: SSH connection failed"), "{stderr}");
    assert!(!dir.path().join("cluster.rkestate").exists());
    assert!(!dir.path().join("kube_config_cluster.yml").exists());
}
