use super::*;
use std::os::unix::fs::PermissionsExt;

fn three_hosts() -> Answers {
    let mut a = Answers::default();
    for (i, roles) in [&["controlplane", "etcd"][..], &["controlplane", "etcd"], &["worker"]].iter().enumerate() {
        let mut h = Host::new(format!("10.0.0.{}", i + 1));
        h.roles = roles.iter().map(|r| r.to_string()).collect();
        h.hostname_override = Some(format!("Node-{}", i + 1));
        h.internal_address = Some(format!("192.168.0.{}", i + 1));
        a.hosts.push(h);
    }
    a
}

fn with_bastion_and_s3() -> Answers {
    let mut a = three_hosts();
    a.ssh_key_path = "/home/ops/.ssh/id_ed25519".into();
    a.hosts[2].port = 2222;
    a.hosts[2].user = "root".into();
    a.hosts[2].ssh_key_path = Some("~/.ssh/worker key".into());
    a.hosts[2].docker_socket = "/run/docker.sock".into();
    a.bastion = Some(Bastion { address: "bastion.example.com".into(), port: 2200, user: "jump".into(), ssh_key_path: Some("~/.ssh/bastion".into()) });
    a.network_plugin = "calico".into();
    a.kubernetes_version = "v1.30.5-rancher1-1".into();
    a.service_cluster_ip_range = "10.96.0.0/12".into();
    a.cluster_cidr = "10.244.0.0/16".into();
    a.cluster_dns_server = "10.96.0.10".into();
    a.cluster_domain = "corp.internal".into();
    a.s3 = Some(S3Backup {
        endpoint: "minio.example.com:9000".into(),
        bucket_name: "etcd-backups".into(),
        region: Some("eu-west-1".into()),
        folder: Some("prod/cluster-1".into()),
        access_key: Secret::new("AKIAEXAMPLE"),
        // a secret with every character YAML gives a meaning to
        secret_key: Secret::new("s3cr3t: #'\"/+=&*!%@`{}[],|>-?"),
    });
    a
}

/// Writes `text` and reads it exactly as `stockade validate --strict` does (ops::validate).
fn validate(text: &str) -> crate::ops::validate::Verdict {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cluster.yml");
    std::fs::write(&p, text).unwrap();
    crate::ops::validate::run(&p, true).unwrap_or_else(|e| panic!("{}\n{text}", e.0))
}

fn load(text: &str) -> crate::config::ClusterConfig {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cluster.yml");
    std::fs::write(&p, text).unwrap();
    crate::config::load_with(&p, true).unwrap().config
}

#[test]
fn rendered_answer_sets_pass_validate_and_read_back_as_answered() {
    // the smallest: one all-roles host with every default
    let mut one = Answers::default();
    one.hosts.push(Host::new("10.0.0.1"));
    for a in [one, three_hosts(), with_bastion_and_s3()] {
        let text = render(&a);
        check_file(Path::new("cluster.yml"), &text).unwrap_or_else(|e| panic!("{}\n{text}", e.0));
        let v = validate(&text);
        assert_eq!(v.nodes, a.hosts.len());
        let c = load(&text);
        for (h, n) in a.hosts.iter().zip(&c.nodes) {
            assert_eq!(n.address, h.address);
            assert_eq!(n.port.as_deref(), Some(h.port.to_string().as_str()));
            assert_eq!(n.user, h.user);
            assert_eq!(n.role, h.roles);
            assert_eq!(n.hostname_override.as_deref(), Some(h.node_name().as_str()));
            assert_eq!(n.internal_address.as_deref(), Some(h.internal_address.as_deref().unwrap_or(&h.address)));
            assert_eq!(n.docker_socket.as_deref(), Some(h.docker_socket.as_str()));
            assert_eq!(n.ssh_key_path.as_deref(), Some(h.ssh_key_path.as_deref().unwrap_or(&a.ssh_key_path)));
        }
        assert_eq!(c.ssh_key_path.as_deref(), Some(a.ssh_key_path.as_str()));
        assert_eq!(c.network.as_ref().and_then(|n| n.plugin.as_deref()), Some(a.network_plugin.as_str()));
        assert_eq!(c.kubernetes_version.as_deref(), Some(a.kubernetes_version.as_str()));
        let s = &c.services;
        assert_eq!(s.kube_api.service_cluster_ip_range.as_deref(), Some(a.service_cluster_ip_range.as_str()));
        assert_eq!(s.kube_controller.service_cluster_ip_range.as_deref(), Some(a.service_cluster_ip_range.as_str()));
        assert_eq!(s.kube_controller.cluster_cidr.as_deref(), Some(a.cluster_cidr.as_str()));
        assert_eq!(s.kubelet.cluster_dns_server.as_deref(), Some(a.cluster_dns_server.as_str()));
        assert_eq!(s.kubelet.cluster_domain.as_deref(), Some(a.cluster_domain.as_str()));
        match &a.bastion {
            Some(b) => {
                let got = c.bastion_host.as_ref().unwrap();
                assert_eq!((got.address.as_str(), got.port.as_deref(), got.user.as_deref()), (b.address.as_str(), Some("2200"), Some("jump")));
                assert_eq!(got.ssh_key_path, b.ssh_key_path);
            }
            None => assert!(c.bastion_host.is_none()),
        }
        let s3 = s.etcd.backup_config.as_ref().and_then(|b| b.s3backupconfig.as_ref());
        match &a.s3 {
            Some(want) => {
                let got = s3.unwrap();
                assert_eq!(got.endpoint.as_deref(), Some(want.endpoint.as_str()));
                assert_eq!(got.bucket_name.as_deref(), Some(want.bucket_name.as_str()));
                assert_eq!(got.region, want.region);
                assert_eq!(got.folder, want.folder);
                assert_eq!(got.access_key.as_ref().map(Secret::expose), Some(want.access_key.expose()));
                assert_eq!(got.secret_key.as_ref().map(Secret::expose), Some(want.secret_key.expose()), "secret read back exactly");
            }
            None => assert!(s3.is_none()),
        }
    }
}

#[test]
fn the_file_explains_each_key() {
    let text = render(&with_bastion_and_s3());
    for comment in [
        "# cluster.yml written by `stockade config`",
        "air-gapped",
        "# SSH private key for every host (and the bastion) that names none of its own.",
        "# the address stockade connects to over SSH",
        "# the SSH port",
        "# the SSH user",
        "# this host's SSH private key",
        "# controlplane: API server, controller manager, scheduler; worker: runs the workloads; etcd: the datastore",
        "# the Kubernetes node name",
        "# the address the hosts use among themselves",
        "# the Docker Engine's socket on the host",
        "# The jump host every SSH connection to the hosts goes through.",
        "# The CNI network plugin",
        "# The Kubernetes version: `stockade config --list-version`",
        "# the Services' IP range",
        "# the Pods' IP range",
        "# the DNS domain of Services",
        "# the cluster DNS Service's IP",
        "# where `stockade etcd snapshot-save` copies etcd snapshots",
        "# the S3 server",
        "# the snapshots' folder inside the bucket",
        "# the S3 credentials: keep this file private",
    ] {
        assert!(text.contains(comment), "missing {comment:?} in\n{text}");
    }
    // every key line of the first host has its comment on the line above
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| l.starts_with("  - address:")).unwrap();
    let second = first + 1 + lines[first + 1..].iter().position(|l| l.starts_with("  - address:")).unwrap();
    for i in first..second {
        if lines[i].trim_start().starts_with(|c: char| c.is_ascii_lowercase()) || lines[i].starts_with("  - ") {
            assert!(lines[i - 1].trim_start().starts_with('#'), "no comment above {:?}", lines[i]);
        }
    }
    // a key stockade keeps without acting on it says so
    assert_eq!(text.contains("# stockade does not deploy the plugin yet"), render::not_applied("network"));
    // a subscription version gets the warning as a comment; a public one none
    assert!(!text.contains("NOTE: Kubernetes"));
    let mut paid = three_hosts();
    paid.kubernetes_version = crate::versions::DEFAULT_KUBERNETES_VERSION.into();
    assert!(render(&paid).contains("# NOTE: Kubernetes v1.32.13-rancher1-1 pulls"));
    // no S3 keys: the comment says where they come from
    let mut no_keys = with_bastion_and_s3();
    let s3 = no_keys.s3.as_mut().unwrap();
    s3.access_key = Secret::default();
    s3.secret_key = Secret::default();
    let text = render(&no_keys);
    assert!(text.contains("# no keys: the AWS_ACCESS_KEY_ID") && !text.contains("access_key:"), "{text}");
    validate(&text);
}

#[test]
fn the_empty_template_is_valid_and_minimal() {
    let text = empty_template(crate::versions::DEFAULT_KUBERNETES_VERSION);
    let v = validate(&text);
    assert_eq!(v.nodes, 1);
    assert!(text.contains("# A TEMPLATE: replace 192.0.2.10"), "{text}");
    assert!(text.contains("  - address: 192.0.2.10\n"), "{text}");
    assert!(text.contains("    role: [controlplane, worker, etcd]\n"), "{text}");
    assert!(!text.contains("bastion_host") && !text.contains("s3backupconfig"));
    let text = empty_template("v1.33.5");
    assert!(text.contains("kubernetes_version: v1.33.5\n"));
    validate(&text);
}

#[test]
fn values_are_read_back_as_the_typed_strings() {
    for s in ["yes", "No", "on", "OFF", "~", "null", "true", "22", "1_000", "0x1f", "017", "1e3", ".5", "-x", "a: b", "#x", "it's", "a,b", "@me", "", "[x]"] {
        let q = render::scalar(s);
        let v: serde_yaml::Value = serde_yaml::from_str(&format!("k: {q}")).unwrap();
        assert_eq!(v["k"].as_str(), Some(s), "{s:?} written as {q}");
        assert!(q.starts_with('\''), "{s:?} must be quoted for YAML 1.1 readers: {q}");
    }
    for s in ["10.0.0.1", "~/.ssh/id_rsa", "/var/run/docker.sock", "node-1", "v1.32.13-rancher1-1", "10.43.0.0/16", "s3.amazonaws.com"] {
        assert_eq!(render::scalar(s), s, "a plain value stays plain");
    }
}

#[test]
fn answers_are_checked_as_typed() {
    assert_eq!(check_host_count(" 3 "), Ok(3));
    for bad in ["0", "-1", "x", "", "101"] {
        assert!(check_host_count(bad).is_err(), "{bad}");
    }
    assert_eq!(check_address(" 10.0.0.1 ", &[]), Ok("10.0.0.1".into()));
    assert!(check_address("", &[]).unwrap_err().contains("cannot be empty"));
    assert!(check_address("a b", &[]).is_err());
    assert!(check_address("10.0.0.1", &["10.0.0.1"]).unwrap_err().contains("already a host"));
    assert_eq!(check_port("2222"), Ok(2222));
    for bad in ["0", "65536", "22x", ""] {
        assert!(check_port(bad).unwrap_err().contains("not a TCP port"), "{bad}");
    }
    assert!(check_user("").is_err() && check_user("ubuntu").is_ok());
    assert!(check_key_path("  ").is_err());
    assert_eq!(check_optional_key_path(""), Ok(None));

    // roles: any order, commas or spaces, typos named; the last host completes the cluster
    assert_eq!(check_roles("etcd, Worker", &[], false), Ok(vec!["etcd".to_string(), "worker".to_string()]));
    assert!(check_roles("etcd,wroker", &[], false).unwrap_err().contains("did you mean `worker`"));
    assert!(check_roles("", &[], false).is_err());
    let e = check_roles("worker", &[vec!["controlplane".into()]], true).unwrap_err();
    assert!(e.contains("no host has the etcd role yet"), "{e}");
    assert!(check_roles("worker", &[vec!["controlplane".into(), "etcd".into()]], true).is_ok());
    assert!(check_roles("controlplane etcd", &[], true).unwrap_err().contains("worker"));
    assert!(check_roles("controlplane etcd worker", &[], true).is_ok());

    assert_eq!(check_hostname_override("", "10.0.0.1", &[]), Ok(None));
    assert_eq!(check_hostname_override("Node-1", "10.0.0.1", &[]), Ok(Some("Node-1".into())));
    assert!(check_hostname_override("bad_name", "10.0.0.1", &[]).is_err());
    assert!(check_hostname_override("node-1", "10.0.0.2", &["node-1".into()]).unwrap_err().contains("already the node name"));
    assert!(check_hostname_override("", "Host_A", &[]).unwrap_err().contains("give this host a hostname override"));
    assert!(check_docker_socket("var/run/docker.sock").is_err() && check_docker_socket("/run/docker.sock").is_ok());
    assert_eq!(check_network_plugin("Calico"), Ok("calico".into()));
    assert!(check_network_plugin("cilium").is_err());

    assert!(check_kubernetes_version(crate::versions::DEFAULT_KUBERNETES_VERSION).is_ok());
    assert!(check_kubernetes_version("v1.33.5").is_ok());
    let e = check_kubernetes_version("v1.30.5").unwrap_err();
    assert!(e.contains("did you mean v1.30.5-rancher"), "{e}");
    assert!(check_kubernetes_version("v1.99.0").unwrap_err().contains("--list-version"));

    assert!(check_cidr("10.43.0.0/16").is_ok() && check_cidr("10.43.0.0").is_err());
    assert!(check_cluster_cidr("10.42.0.0/16", "10.43.0.0/16").is_ok());
    assert!(check_cluster_cidr("10.0.0.0/8", "10.43.0.0/16").unwrap_err().contains("overlaps"));
    assert!(check_cluster_cidr("fd00::/48", "10.43.0.0/16").is_ok());
    assert!(check_cluster_dns("10.43.0.10", "10.43.0.0/16").is_ok());
    assert!(check_cluster_dns("10.44.0.10", "10.43.0.0/16").unwrap_err().contains("outside"));
    assert!(check_cluster_dns("x", "10.43.0.0/16").is_err());
    assert_eq!(default_cluster_dns("10.43.0.0/16"), "10.43.0.10");
    assert_eq!(default_cluster_dns("10.96.0.0/12"), "10.96.0.10");
    assert_eq!(default_cluster_dns("fd00::/108"), "");
    assert!(check_cluster_domain("cluster.local").is_ok() && check_cluster_domain("Cluster_Local").is_err());

    assert!(check_s3_endpoint("").is_err() && check_s3_endpoint("minio:9000").is_ok());
    assert!(check_s3_bucket("a/b").is_err() && check_s3_bucket("").is_err() && check_s3_bucket("b").is_ok());
    assert_eq!(check_s3_folder("/prod/x/"), Ok(Some("prod/x".into())));
    assert!(check_s3_folder("a/../b").is_err());
    assert_eq!(check_s3_region(""), Ok(None));
    let e = check_s3_key("abc\u{7}def").unwrap_err();
    assert!(!e.contains("abc"), "an error never repeats a key: {e}");
}

#[test]
fn secrets_never_show_in_debug() {
    let a = with_bastion_and_s3();
    let dbg = format!("{a:?}");
    assert!(!dbg.contains("AKIAEXAMPLE") && !dbg.contains("s3cr3t"), "{dbg}");
}

#[test]
fn writes_atomically_with_mode_0640_and_never_over_a_file_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cluster.yml");
    write(&p, "nodes: []\n", false, FILE_MODE).unwrap();
    assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "nodes: []\n");
    let e = write(&p, "other\n", false, FILE_MODE).unwrap_err();
    assert_eq!(crate::exit::code_of(&e), crate::exit::Code::Invalid);
    assert!(e.to_string().contains("exists: it was not overwritten"), "{e}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "nodes: []\n");
    write(&p, "other\n", true, SECRET_FILE_MODE).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "other\n");
    assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
    // a file that cannot be written is named before any question
    check_target(&p).unwrap();
    assert!(check_target(&dir.path().join("missing/cluster.yml")).unwrap_err().0.contains("does not exist"));
    assert!(check_target(dir.path()).unwrap_err().0.contains("is a directory"));
    check_target(Path::new("cluster.yml")).unwrap();
    // no temporary file is left behind
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(names, [std::ffi::OsString::from("cluster.yml")]);
}

