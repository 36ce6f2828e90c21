//! The whole cluster: etcd, control plane and worker plane, with the Kubernetes stand-ins.
use crate::common::*;

#[test]
fn up_brings_every_plane_up_and_a_worker_only_host_gets_no_control_plane() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all), (3, "[worker]")], ""));
    let r = tb.up_ok(&[]);
    for i in 0..3 {
        assert_eq!(
            tb.running(tb.h(i)),
            vec!["etcd", "kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubelet"],
            "{}",
            tb.h(i).name
        );
        // the sidekick lends its volume and never runs
        assert!(tb.docker_out(tb.h(i), &["ps", "-a", "--format", "{{.Names}}"]).contains("service-sidekick"));
    }
    assert_eq!(tb.running(tb.h(3)), vec!["kube-proxy", "kubelet", "nginx-proxy"], "{}", r.all());
    // the worker-only host's kubelet reached the API through nginx-proxy with its kubeconfig
    let log = String::from_utf8_lossy(&tb.docker(tb.h(3), &["logs", "kubelet"]).stderr).to_string();
    assert!(log.contains("API at 127.0.0.1:6443 accepted"), "{log}");
    let proxy = tb.docker_out(tb.h(3), &["inspect", "-f", "{{json .Config.Env}}", "nginx-proxy"]);
    assert!(proxy.contains(&format!("CP_HOSTS={},{},{}", tb.h(0).ip, tb.h(1).ip, tb.h(2).ip)), "{proxy}");
    // the CA key stays on controlplane hosts
    assert!(tb.host_path(tb.h(0), "etc-kubernetes").join("ssl/kube-ca-key.pem").exists());
    assert!(!tb.host_path(tb.h(3), "etc-kubernetes").join("ssl/kube-ca-key.pem").exists());
    assert!(!tb.host_path(tb.h(3), "etc-kubernetes").join("ssl/kube-apiserver.pem").exists());
    // kube-apiserver serves /healthz with the deployed certificate, for a client with the admin cert
    let kc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(tb.work.path().join("kube_config_cluster.yml")).unwrap()).unwrap();
    assert_eq!(kc["clusters"][0]["cluster"]["server"].as_str().unwrap(), format!("https://{}:6443", tb.h(0).ip));
    assert_eq!(kc["current-context"].as_str().unwrap(), "testbed");
    let again = tb.up_ok(&[]);
    assert!(again.all().contains("Nothing changed"), "{}", again.all());
}

#[test]
fn dry_run_lists_exactly_the_changed_container_and_up_then_recreates_only_those() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    let hosts = [(0, all), (1, all), (2, all), (3, "[worker]")];
    tb.write_config(&tb.cluster_yml_roles(&hosts, ""));
    tb.up_ok(&[]);
    let ids = |tb: &Testbed| -> Vec<(String, String, String)> {
        let mut v = Vec::new();
        for i in 0..4 {
            let h = tb.h(i);
            for line in tb.docker_out(h, &["ps", "-a", "--format", "{{.Names}} {{.ID}}"]).lines() {
                let (n, id) = line.split_once(' ').unwrap();
                v.push((h.name.clone(), n.to_string(), id.to_string()));
            }
        }
        v.sort();
        v
    };
    let before = ids(&tb);
    let state_before = std::fs::read(tb.state_path()).unwrap();
    tb.write_config(&tb.cluster_yml_roles(&hosts, "services:\n  kube-api:\n    extra_args:\n      audit-log-maxage: \"60\"\n"));

    let archive = tb.archive();
    let dry = tb.stockade(&["up", "--dry-run", "--output", "json", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    let plan = dry.event("plan");
    for (i, host) in plan["hosts"].as_array().unwrap().iter().enumerate() {
        assert_eq!(host["address"], tb.h(i).ip.as_str());
        assert_eq!(host["files"].as_array().unwrap().len(), 0, "{host}");
        assert_eq!(host["images"].as_array().unwrap().len(), 0, "{host}");
        let changes = host["containers"].as_array().unwrap();
        if i < 3 {
            assert_eq!(changes.len(), 1, "{host}");
            assert_eq!(changes[0]["name"], "kube-apiserver");
            assert_eq!(changes[0]["action"], "recreate");
            assert_eq!(changes[0]["changes"], serde_json::json!(["--audit-log-maxage: 30 -> 60"]));
        } else {
            assert!(changes.is_empty(), "the worker-only host has no kube-apiserver: {host}");
        }
    }
    let text = tb.stockade(&["up", "--dry-run", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(text.stdout.matches("recreate   kube-apiserver").count(), 3, "{}", text.stdout);
    assert!(text.stdout.contains(&format!("{}: no changes", tb.h(3).ip)), "{}", text.stdout);
    // a dry run changes nothing: not a container, not the state file
    assert_eq!(ids(&tb), before);
    assert_eq!(std::fs::read(tb.state_path()).unwrap(), state_before);

    tb.up_ok(&[]);
    let after = ids(&tb);
    let changed: Vec<(String, String)> =
        before.iter().zip(&after).filter(|(b, a)| b.2 != a.2).map(|(b, _)| (b.0.clone(), b.1.clone())).collect();
    let expected: Vec<(String, String)> = (0..3).map(|i| (tb.h(i).name.clone(), "kube-apiserver".to_string())).collect();
    assert_eq!(changed, expected);
    let args = tb.docker_out(tb.h(1), &["inspect", "-f", "{{json .Args}}", "kube-apiserver"]);
    assert!(args.contains("--audit-log-maxage=60"), "{args}");
}

#[test]
fn get_kubeconfig_rebuilds_the_kubeconfig_from_state() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let path = tb.work.path().join("kube_config_cluster.yml");
    let original = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let r = tb.stockade(&["util", "get-kubeconfig"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(std::fs::read(&path).unwrap(), original);
    assert_eq!(file_mode(&path), 0o600);
}

#[test]
fn secrets_encryption_config_is_written_to_controlplane_hosts_and_kept() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    let enc = "services:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all), (3, "[worker]")], enc));
    tb.up_ok(&[]);
    let file = |i: usize| tb.host_path(tb.h(i), "etc-kubernetes").join("ssl/encryption.yaml");
    let first = std::fs::read_to_string(file(0)).unwrap();
    assert!(first.contains("aescbc") && first.contains("kind: EncryptionConfiguration"), "{first}");
    assert_eq!(file_mode(&file(0)), 0o600);
    assert_eq!(std::fs::read_to_string(file(2)).unwrap(), first, "every controlplane host gets the same key");
    assert!(!file(3).exists(), "the key stays off hosts without the controlplane role");
    let args = tb.docker_out(tb.h(0), &["inspect", "-f", "{{json .Args}}", "kube-apiserver"]);
    assert!(args.contains("--encryption-provider-config=/etc/kubernetes/ssl/encryption.yaml"), "{args}");
    // the key is kept in the state and reused: a second run changes nothing
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(tb.state_path()).unwrap()).unwrap();
    assert_eq!(state["currentState"]["encryptionConfig"].as_str().unwrap(), first);
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
    assert_eq!(std::fs::read_to_string(file(1)).unwrap(), first);

    // turning it off would make every Secret unreadable: refused before any change
    let apiserver = tb.container_id(tb.h(0), "kube-apiserver");
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all), (3, "[worker]")], &enc.replace("enabled: true", "enabled: false")));
    let r = tb.stockade(&["up"]);
    assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
    assert!(r.error_line().contains("unreadable") && r.error_line().contains("Nothing was changed"), "{}", r.error_line());
    assert_eq!(tb.container_id(tb.h(0), "kube-apiserver"), apiserver);
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(tb.state_path()).unwrap()).unwrap();
    assert_eq!(state["desiredState"]["encryptionConfig"].as_str().unwrap(), first, "the recorded key must stay in the state");
}

/// Issue 7's secrets line: `--debug`, `--dry-run` (text and JSON) and the containers' labels of a
/// cluster with `extra_env` secrets, a registry password, an inline `ssh_key` and an encryption
/// key hold none of them — also when a secret value changes and the plan shows the change.
#[test]
fn no_secret_in_debug_dry_run_or_labels() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    let key = std::fs::read_to_string(tb.key()).unwrap();
    let inline_key: String = key.lines().map(|l| format!("      {l}\n")).collect();
    let cfg = |proxy_password: &str| {
        let mut s = tb.cluster_yml_roles(&[(0, all), (1, all), (2, all)], "");
        // the first host logs in with an inline key instead of the key file
        s = s.replacen("    user: root\n", &format!("    user: root\n    ssh_key: |\n{inline_key}"), 1);
        s.push_str(&format!(
            "private_registries:\n  - url: registry.invalid\n    user: bob\n    password: hunter2-registry-password\n\
             services:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n    \
             extra_env:\n      - HTTPS_PROXY=http://proxyuser:{proxy_password}@proxy.invalid:3128\n  \
             kubelet:\n    extra_env:\n      - AWS_SECRET_ACCESS_KEY=kubelet-{proxy_password}\n"
        ));
        s
    };
    tb.write_config(&cfg("pr0xy-s3cret-one"));
    let first = tb.stockade(&["--debug", "up", "--image-archive", tb.archive().to_str().unwrap()]);
    assert_eq!(first.code, 0, "{}", first.all());
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(tb.state_path()).unwrap()).unwrap();
    let enc = state["currentState"]["encryptionConfig"].as_str().unwrap().to_string();
    let enc_key = enc.lines().find_map(|l| l.trim().strip_prefix("secret: ")).expect("the encryption key in the state").to_string();
    // change the secret: the plan must show the change without the values
    tb.write_config(&cfg("pr0xy-s3cret-two"));
    let text = tb.stockade(&["--debug", "up", "--dry-run"]);
    let json = tb.stockade(&["up", "--dry-run", "--output", "json"]);
    assert_eq!((text.code, json.code), (0, 0), "{}{}", text.all(), json.all());
    assert!(text.stdout.contains("value changed"), "the plan must say a value changed: {}", text.all());
    json.event("plan");
    let second = tb.stockade(&["--debug", "up"]);
    assert_eq!(second.code, 0, "{}", second.all());
    let labels: String = tb.hosts[..3]
        .iter()
        .flat_map(|h| ["kube-apiserver", "kubelet"].map(|c| tb.docker_out(h, &["inspect", "-f", "{{json .Config.Labels}}", c])))
        .collect();
    let key_body = key.lines().nth(1).unwrap();
    for (what, out) in [("first up --debug", first.all()), ("dry-run text", text.all()), ("dry-run json", json.all()), ("second up --debug", second.all()), ("container labels", labels)] {
        for secret in ["pr0xy-s3cret", "hunter2-registry-password", key_body, "PRIVATE KEY", enc_key.as_str()] {
            assert!(!out.contains(secret), "{what} contains a secret ({secret}): {out}");
        }
    }
}

/// Issue 7 item 18: controller-manager and scheduler restart whenever they lose leader
/// election. Restarts from before a run are history: `up` on an unchanged cluster still passes.
#[test]
fn restarts_before_the_run_do_not_fail_it() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all)], ""));
    tb.up_ok(&[]);
    let h = tb.h(0);
    let count = || tb.docker_out(h, &["inspect", "-f", "{{.RestartCount}}", "kube-scheduler"]).trim().parse::<u32>().unwrap();
    for n in 1..=3 {
        let pid_of = || tb.docker_out(h, &["inspect", "-f", "{{.State.Pid}}", "kube-scheduler"]).trim().parse::<i32>().unwrap();
        let t0 = std::time::Instant::now();
        while pid_of() <= 1 {
            assert!(t0.elapsed().as_secs() < 60, "kube-scheduler has no process");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let pid = pid_of();
        assert!(pid > 1, "kube-scheduler has no process (pid {pid})");
        assert!(std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success());
        // Docker restarts it (restart policy always); wait for the new process
        let t0 = std::time::Instant::now();
        while count() < n || tb.docker_out(h, &["inspect", "-f", "{{.State.Running}}", "kube-scheduler"]).trim() != "true" {
            assert!(t0.elapsed().as_secs() < 60, "kube-scheduler was not restarted by Docker");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    assert!(count() >= 3);
    let r = tb.up_ok(&[]);
    assert!(r.all().contains("Nothing changed"), "{}", r.all());
}

/// Issue 7 item 9: running worker components change as RKE1 rolls them: controlplane/etcd hosts
/// one at a time, then one worker alone, then batches of `max_unavailable_worker`, each batch
/// healthy (kubelet and kube-proxy) before the next one's kubelet is touched.
#[test]
fn worker_changes_roll_one_host_first_then_in_batches() {
    let tb = Testbed::get();
    let strategy = "upgrade_strategy:\n  max_unavailable_worker: 2\n";
    let roles = [(0, "[etcd, controlplane, worker]"), (1, "[worker]"), (2, "[worker]"), (3, "[worker]"), (4, "[worker]")];
    tb.write_config(&tb.cluster_yml_roles(&roles, strategy));
    tb.up_ok(&[]);
    tb.write_config(&tb.cluster_yml_roles(&roles, &format!("{strategy}services:\n  kubelet:\n    extra_args:\n      v: \"3\"\n")));
    let r = tb.up_ok(&[]);
    // each node cordoned (drain: false, RKE1's default, only cordons) and uncordoned once Ready
    for h in &tb.hosts {
        assert!(r.all().contains(&format!("cordoned node {}\n", h.name)) && r.all().contains(&format!("uncordoned node {} (Ready)", h.name)), "{}", r.all());
    }
    let started = |i: usize, c: &str| tb.docker_out(tb.h(i), &["inspect", "-f", "{{.State.StartedAt}}", c]);
    // kubelet of the next batch starts only after the previous batch's kube-proxy was (re)checked
    let done = |i: usize| started(i, "kube-proxy").max(started(i, "kubelet"));
    assert!(done(0) < started(1, "kubelet"), "the controlplane host first");
    assert!(done(1) < started(2, "kubelet") && done(1) < started(3, "kubelet"), "one worker alone before the first batch");
    assert!(done(2) < started(4, "kubelet") && done(3) < started(4, "kubelet"), "the batch of two before the last host");
}

/// Issue 7 item 10: a host that loses the controlplane role must not keep the control plane's
/// secrets (service-account key, apiserver key, encryption configuration): key files its plan
/// no longer has are deleted, and `--dry-run` says so first.
#[test]
fn a_host_that_loses_the_controlplane_role_loses_its_secrets() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    let enc = "services:\n  kube-api:\n    secrets_encryption_config:\n      enabled: true\n";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, "[controlplane, worker]")], enc));
    tb.up_ok(&[]);
    let ssl = tb.host_path(tb.h(1), "etc-kubernetes").join("ssl");
    let keys = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&ssl)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with("-key.pem") || n == "encryption.yaml")
            .collect();
        v.sort();
        v
    };
    let before = keys();
    assert!(before.contains(&"kube-service-account-token-key.pem".to_string()) && before.contains(&"encryption.yaml".to_string()), "{before:?}");

    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, "[worker]")], enc));
    let dry = tb.stockade(&["up", "--dry-run"]);
    assert!(dry.stdout.contains("delete     /etc/kubernetes/ssl/kube-service-account-token-key.pem"), "{}", dry.stdout);
    tb.up_ok(&[]);
    let after = keys();
    for secret in ["kube-service-account-token-key.pem", "kube-apiserver-key.pem", "encryption.yaml"] {
        assert!(!after.contains(&secret.to_string()), "{secret} kept on a worker: {after:?}");
    }
    assert!(after.contains(&"kube-node-key.pem".to_string()), "a worker keeps its own keys: {after:?}");
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
}

/// Settings real RKE1 clusters use, applied on real hosts: etcd as a non-root user (its data
/// directory 0700 and owned by it, its certificates and key readable by it, and it serves), the
/// kubelet binding Docker's data root where `docker info` says it is, and private-registry
/// credentials in a 0600 file under the kubelet's directory, never in a container's
/// environment. A second `up` finds nothing to change.
#[test]
fn etcd_runs_as_its_user_and_the_kubelet_gets_dockers_root_and_registry_credentials() {
    use std::os::unix::fs::MetadataExt;
    let tb = Testbed::get();
    let extra = "services:\n  etcd:\n    uid: 52034\n    gid: 52034\nprivate_registries:\n  - url: registry.invalid:5000\n    user: puller\n    password: reg-s3cr3t-pw\n";
    tb.write_config(&tb.cluster_yml(3, extra));
    tb.up_ok(&[]);
    for h in &tb.hosts[..3] {
        assert_eq!(tb.docker_out(h, &["inspect", "-f", "{{.Config.User}}", "etcd"]), "52034:52034", "{}", h.name);
        let data = tb.host_path(h, "var-lib-etcd");
        let meta = std::fs::metadata(&data).unwrap();
        assert_eq!((meta.uid(), meta.gid(), file_mode(&data)), (52034, 52034, 0o700), "{}: etcd's data directory", h.name);
        let ssl = tb.host_path(h, "etc-kubernetes").join("ssl");
        let key = std::fs::metadata(ssl.join(format!("kube-etcd-{}-key.pem", h.ip.replace('.', "-")))).unwrap();
        assert_eq!((key.uid(), key.mode() & 0o777), (52034, 0o600), "{}: etcd's key", h.name);
        assert_eq!(std::fs::metadata(ssl.join("kube-apiserver-key.pem")).unwrap().uid(), 0, "{}: other keys stay root's", h.name);
        assert_eq!(file_mode(&ssl.join("kube-ca.pem")), 0o644, "{}: the CA certificate readable by etcd", h.name);
        assert!(tb.etcdctl(h, &["endpoint", "health"]).status.success(), "{}: etcd as uid 52034 serves", h.name);

        let root = tb.docker_out(h, &["info", "-f", "{{.DockerRootDir}}"]);
        let binds = tb.docker_out(h, &["inspect", "-f", "{{json .HostConfig.Binds}}", "kubelet"]);
        assert!(binds.contains(&format!("\"{root}:{root}:rw,rslave")), "{}: kubelet binds {binds}, Docker root {root}", h.name);

        let creds_path = tb.host_path(h, "var-lib-kubelet").join("config.json");
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&creds_path).unwrap()).unwrap();
        use base64::Engine;
        let auth = base64::engine::general_purpose::STANDARD.decode(doc["auths"]["registry.invalid:5000"]["auth"].as_str().unwrap()).unwrap();
        assert_eq!(auth, b"puller:reg-s3cr3t-pw");
        assert_eq!(file_mode(&creds_path), 0o600, "{}", h.name);
        for c in tb.running(h) {
            assert!(!tb.docker_out(h, &["inspect", &c]).contains("reg-s3cr3t-pw"), "{}: {c} shows the registry password", h.name);
        }
    }
    let again = tb.up_ok(&[]);
    assert!(again.all().contains("Nothing changed"), "{}", again.all());

    // private_registries removed: the credentials file goes, the dry run says so first
    tb.write_config(&tb.cluster_yml(3, "services:\n  etcd:\n    uid: 52034\n    gid: 52034\n"));
    let creds = |h| tb.host_path(h, "var-lib-kubelet").join("config.json");
    let dry = tb.stockade(&["up", "--dry-run"]);
    assert!(dry.all().contains("/var/lib/kubelet/config.json"), "{}", dry.all());
    assert!(tb.hosts[..3].iter().all(|h| creds(h).exists()), "the dry run deleted nothing");
    tb.up_ok(&[]);
    for h in &tb.hosts[..3] {
        assert!(!creds(h).exists(), "{}: stockade's registry credentials outlived private_registries", h.name);
    }
    // an operator's own credentials file (no stockade mark) is never stockade's to delete
    std::fs::write(creds(&tb.hosts[0]), r#"{"auths":{"own.example":{"auth":"b3duOm93bg=="}}}"#).unwrap();
    let own = tb.up_ok(&[]);
    assert!(own.all().contains("Nothing changed"), "{}", own.all());
    assert!(creds(&tb.hosts[0]).exists(), "the operator's config.json was deleted");
}
