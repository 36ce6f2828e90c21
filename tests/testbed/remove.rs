use crate::common::*;

#[test]
fn remove_asks_then_leaves_no_container_and_no_cleaned_directory() {
    let tb = Testbed::get();
    // RKE1's default: recurring snapshots on, their container removed with the rest
    tb.write_config(&tb.cluster_yml_rke1_defaults(3, ""));
    tb.up_ok(&[]);
    assert!(tb.work.path().join("kube_config_cluster.yml").exists());

    // without a terminal and without --force nothing is removed
    let r = tb.stockade(&["remove"]);
    assert_eq!(r.code, 2, "nobody to ask is a usage error: {}", r.all());
    assert!(r.error_line().contains("--force"), "{}", r.error_line());
    assert!(tb.hosts[..3].iter().all(|h| !tb.container_id(h, "etcd").is_empty()));

    // an etcd snapshot directory must survive remove
    let snap = tb.host_path(tb.h(0), "opt-rke").join("etcd-snapshots");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::write(snap.join("keep.zip"), "snapshot").unwrap();

    // what RKE1 leaves without its label (its recurring snapshots, a helper and a renamed
    // container of an interrupted run) goes too; a container of the host's owner stays
    let h0 = tb.h(0);
    for name in ["etcd-rolling-snapshots", "rke-port-checker", "old-kubelet", "old-myapp", "myapp"] {
        let out = tb.docker(h0, &["create", "--name", name, TOOLS_IMAGE, "sleep", "1000"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    let r = tb.stockade(&["remove", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let mut left: Vec<String> = tb.docker_out(h0, &["ps", "-a", "--format", "{{.Names}}"]).lines().map(String::from).collect();
    left.sort();
    assert_eq!(left, ["myapp", "old-myapp"], "RKE1's leftovers removed, the owner's containers kept");
    tb.docker(h0, &["rm", "-f", "myapp", "old-myapp"]);
    for h in &tb.hosts[..3] {
        assert!(tb.managed_containers(h).is_empty(), "{} still has {:?}", h.name, tb.managed_containers(h));
        assert!(tb.docker_out(h, &["ps", "-aq"]).is_empty(), "{} has containers left", h.name);
        for d in ["etc-kubernetes", "var-lib-etcd", "etc-cni"] {
            let left: Vec<_> = std::fs::read_dir(tb.host_path(h, d)).map(|e| e.flatten().map(|e| e.path()).collect()).unwrap_or_default();
            assert!(left.is_empty(), "{}: {d} not cleaned: {left:?}", h.name);
        }
    }
    assert!(snap.join("keep.zip").exists(), "etcd snapshots must be kept");
    assert!(!tb.state_path().exists());
    assert!(!tb.work.path().join("kube_config_cluster.yml").exists());
}

/// Runs a command in testbed host `h`'s mount namespace (where its dockerd and sshd live).
fn in_host(tb: &Testbed, h: &TbHost, args: &[&str]) {
    let ns = tb.dir.join(format!("ns/{}.mnt", h.name));
    let out = std::process::Command::new("nsenter").arg(format!("--mount={}", ns.display())).arg("--").args(args).output().unwrap();
    assert!(out.status.success(), "{args:?} in {}: {}", h.name, String::from_utf8_lossy(&out.stderr));
}

/// Unmounts what a test mounted in a host, even when the test fails.
struct Mounted<'a>(&'a Testbed, TbHost, String);
impl Drop for Mounted<'_> {
    fn drop(&mut self) {
        let ns = self.0.dir.join(format!("ns/{}.mnt", self.1.name));
        let _ = std::process::Command::new("nsenter").arg(format!("--mount={}", ns.display())).args(["--", "umount", "-l", &self.2]).status();
    }
}

fn bind_mount<'a>(tb: &'a Testbed, h: &TbHost, source: &std::path::Path, target: &str) -> Mounted<'a> {
    in_host(tb, h, &["mkdir", "-p", target]);
    in_host(tb, h, &["mount", "--bind", source.to_str().unwrap(), target]);
    Mounted(tb, h.clone(), target.to_string())
}

/// Issue 7 item 1: pods' volumes are mounted below /var/lib/kubelet (NFS, iSCSI, CSI): neither
/// `remove` nor the cleanup of a host that left cluster.yml may delete through them, and a
/// directory that is cleaned but has a mount inside is refused, naming the mount.
#[test]
fn cleaning_never_reaches_into_mounted_volumes() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all), (3, "[worker]")], ""));
    tb.up_ok(&[]);
    let volume = |name: &str| {
        let d = tb.work.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("data.txt"), "the volume's data").unwrap();
        d
    };
    let intact = |d: &std::path::Path| std::fs::read_to_string(d.join("data.txt")).map(|t| t == "the volume's data").unwrap_or(false);
    let (nfs4, nfs1, cni1) = (volume("nfs-h4"), volume("nfs-h1"), volume("in-cni-h1"));
    let pod_volume = "/var/lib/kubelet/pods/5f0c/volumes/kubernetes.io~nfs/data";
    let _m4 = bind_mount(&tb, tb.h(3), &nfs4, pod_volume);
    let _m1 = bind_mount(&tb, tb.h(0), &nfs1, pod_volume);

    // h4 leaves cluster.yml: it is cleaned, its pod volume is not
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all)], ""));
    let r = tb.up_ok(&[]);
    assert!(r.all().contains("cleaned"), "the departed host must be cleaned: {}", r.all());
    assert!(intact(&nfs4), "the departed host's pod volume lost its data");
    assert!(tb.managed_containers(tb.h(3)).is_empty());

    // a mount inside a directory remove cleans: refused before it is emptied, naming the mount
    let cni_mount = bind_mount(&tb, tb.h(0), &cni1, "/etc/cni/mounted-volume");
    let r = tb.stockade(&["remove", "--force"]);
    assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
    assert!(r.error_line().contains("/etc/cni/mounted-volume") && r.error_line().contains("Unmount"), "{}", r.error_line());
    assert!(intact(&cni1), "remove deleted through a mount");
    drop(cni_mount);

    let r = tb.stockade(&["remove", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(intact(&nfs1), "remove deleted a pod volume's data");
    assert!(tb.docker_out(tb.h(0), &["ps", "-aq"]).is_empty());
}

/// Review of issue 7: `remove` took the cluster off the hosts cluster.yml names and deleted the
/// state, leaving a host the state still recorded (taken out of cluster.yml, no `up` since)
/// with the cluster's containers and certificates. And a directory whose path cannot be
/// resolved on the host is refused, not cleaned through the helper's view of it.
#[test]
fn remove_also_cleans_hosts_the_state_records_and_refuses_unresolvable_paths() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml_roles(&[(0, "[etcd, controlplane, worker]"), (1, "[worker]")], ""));
    tb.up_ok(&[]);
    assert!(!tb.managed_containers(tb.h(1)).is_empty());
    // h2 leaves cluster.yml; no `up` runs before `remove`
    tb.write_config(&tb.cluster_yml_roles(&[(0, "[etcd, controlplane, worker]")], ""));
    // a symlink loop where a cleaned directory is (in h2's own /run): `readlink -f` cannot
    // resolve /var/run/calico on the host
    in_host(&tb, tb.h(1), &["ln", "-sfn", "calico", "/run/calico"]);
    let r = tb.stockade(&["remove", "--force"]);
    in_host(&tb, tb.h(1), &["rm", "-f", "/run/calico"]);
    assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
    assert!(r.all().contains("/var/run/calico") && r.all().contains("could not be resolved"), "{}", r.all());
    assert!(tb.state_path().exists(), "the state is kept while a recorded host is not clean");

    let r = tb.stockade(&["remove", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &tb.hosts[..2] {
        assert!(tb.managed_containers(h).is_empty(), "{} still has {:?}", h.name, tb.managed_containers(h));
        let left: Vec<_> = std::fs::read_dir(tb.host_path(h, "etc-kubernetes")).unwrap().flatten().map(|e| e.path()).collect();
        assert!(left.is_empty(), "{}: /etc/kubernetes not cleaned: {left:?}", h.name);
    }
    assert!(!tb.state_path().exists());
}
