use crate::common::*;

#[test]
fn remove_asks_then_leaves_no_container_and_no_cleaned_directory() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    assert!(tb.work.path().join("kube_config_cluster.yml").exists());

    // without a terminal and without --force nothing is removed
    let r = tb.stockade(&["remove"]);
    assert_ne!(r.code, 0);
    assert!(r.error_line().contains("--force"), "{}", r.error_line());
    assert!(tb.hosts[..3].iter().all(|h| !tb.container_id(h, "etcd").is_empty()));

    // an etcd snapshot directory must survive remove
    let snap = tb.host_path(tb.h(0), "opt-rke").join("etcd-snapshots");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::write(snap.join("keep.zip"), "snapshot").unwrap();

    let r = tb.stockade(&["remove", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &tb.hosts[..3] {
        assert!(tb.managed_containers(h).is_empty(), "{} still has {:?}", h.name, tb.managed_containers(h));
        assert!(tb.docker_out(h, &["ps", "-aq"]).is_empty(), "{} has containers left", h.name);
        for d in ["etc-kubernetes", "var-lib-etcd", "etc-cni", "var-lib-kubelet"] {
            let left: Vec<_> = std::fs::read_dir(tb.host_path(h, d)).map(|e| e.flatten().map(|e| e.path()).collect()).unwrap_or_default();
            assert!(left.is_empty(), "{}: {d} not cleaned: {left:?}", h.name);
        }
    }
    assert!(snap.join("keep.zip").exists(), "etcd snapshots must be kept");
    assert!(!tb.state_path().exists());
    assert!(!tb.work.path().join("kube_config_cluster.yml").exists());
}
