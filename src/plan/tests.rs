//! Golden tests: for each `tests/fixtures/plan/<name>.yml`, the exact containers, file paths
//! and images per host must equal `tests/golden/<name>.json`. Run with `UPDATE_GOLDEN=1` to
//! rewrite the golden files after an intended change, then review the diff.
use super::*;
use crate::pki::{leaf_specs, names, CertificatePki};
use serde_json::Value;
use std::path::Path;

/// A bundle with every certificate the config needs and placeholder PEMs, so file lists are
/// deterministic.
fn placeholder_bundle(cfg: &ClusterConfig) -> Bundle {
    let mut b = Bundle::new();
    let mut names: Vec<String> = leaf_specs(cfg).into_iter().map(|s| s.name).collect();
    names.push(names::CA.into());
    names.push(names::REQUESTHEADER_CA.into());
    for n in names {
        b.insert(n.clone(), CertificatePki::named(&n, &n, "", "CERT".into(), "KEY".into()));
    }
    names::attach_kubeconfigs(&mut b);
    b
}

fn render(cfg: &ClusterConfig, facts: std::collections::BTreeMap<String, HostFacts>) -> Value {
    let plan = build(cfg, &Inputs { bundle: placeholder_bundle(cfg), joined: Default::default(), facts, encryption: encryption::config(cfg, "", || "fixed-test-key".into()).unwrap() });
    plan.document()
}

/// What `docker info` says on a fixture's hosts: `tests/fixtures/plan-facts/<name>.json` when it
/// exists (address → any of `docker_root`, `selinux`, `arch`, `operating_system`), else nothing
/// (the defaults of a plan made without the hosts).
fn facts_of(root: &Path, name: &str) -> std::collections::BTreeMap<String, HostFacts> {
    let Ok(text) = std::fs::read_to_string(root.join(format!("tests/fixtures/plan-facts/{name}.json"))) else { return Default::default() };
    let v: Value = serde_json::from_str(&text).unwrap();
    v.as_object()
        .unwrap()
        .iter()
        .map(|(addr, f)| {
            let d = HostFacts::default();
            let s = |k: &str, d: String| f[k].as_str().map(String::from).unwrap_or(d);
            let facts = HostFacts { docker_root: s("docker_root", d.docker_root), selinux: f["selinux"].as_bool().unwrap_or(d.selinux), arch: s("arch", d.arch), operating_system: s("operating_system", d.operating_system) };
            (addr.clone(), facts)
        })
        .collect()
}

#[test]
fn golden_plans() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut fixtures: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/plan")).unwrap().flatten().map(|e| e.path()).collect();
    fixtures.sort();
    for fixture in fixtures {
        let name = fixture.file_stem().unwrap().to_string_lossy().to_string();
        let loaded = crate::config::load(&fixture).unwrap_or_else(|e| panic!("{e}"));
        let got = serde_json::to_string_pretty(&render(&loaded.config, facts_of(root, &name))).unwrap() + "\n";
        let golden = root.join(format!("tests/golden/{name}.json"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &got).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|_| panic!("missing {}: run with UPDATE_GOLDEN=1", golden.display()));
        assert_eq!(got, want, "plan for {} differs from {}", fixture.display(), golden.display());
        checked += 1;
    }
    assert!(checked >= 2, "expected golden fixtures, found {checked}");
}

#[test]
fn hash_changes_with_any_field() {
    let text = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\n";
    let p = Path::new("c.yml");
    let mut cfg = crate::config::load::parse(p, text).unwrap();
    crate::config::defaults::apply(&mut cfg);
    let a = build(&cfg, &Inputs::default()).hosts[0].containers[0].hash();
    cfg.services.etcd.extra_args.insert("quota-backend-bytes".into(), "1".into());
    let b = build(&cfg, &Inputs::default()).hosts[0].containers[0].hash();
    assert_ne!(a, b);
    assert_eq!(b, build(&cfg, &Inputs::default()).hosts[0].containers[0].hash(), "stable");
}

/// The container of an RKE service name in a host plan.
fn container_of<'a>(h: &'a HostPlan, service: &str) -> Option<&'a ContainerSpec> {
    let name = match service {
        "kube-api" => controlplane::APISERVER,
        "kube-controller" => controlplane::CONTROLLER,
        "scheduler" => controlplane::SCHEDULER,
        "kubeproxy" => worker::KUBE_PROXY,
        other => other,
    };
    h.containers.iter().find(|c| c.name == name)
}

fn plan_of(fixture: &str) -> (ClusterConfig, Plan) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = crate::config::load(&root.join("tests/fixtures/plan").join(fixture)).unwrap_or_else(|e| panic!("{e}")).config;
    let plan = build(&cfg, &Inputs { bundle: placeholder_bundle(&cfg), ..Default::default() });
    (cfg, plan)
}

/// Upstream's removals (versions::upstream::REMOVED_FLAGS) hold for RKE1's flags of every minor
/// too: no golden plan passes a component a flag its Kubernetes minor no longer has, and each
/// minor still passes the ones removed later (so the check can fail).
#[test]
fn no_plan_passes_a_flag_its_minor_removed() {
    let mut seen_before_removal = 0;
    for minor in 20..=33 {
        let fixture = if minor == 33 { "v1.33-upstream.yml".to_string() } else { format!("v1.{minor}.yml") };
        let (_, plan) = plan_of(&fixture);
        let host = &plan.hosts[0];
        for (service, removed_in, flag, why) in crate::versions::upstream::REMOVED_FLAGS {
            let c = container_of(host, service).unwrap_or_else(|| panic!("{fixture}: no {service}"));
            let passed = c.cmd.iter().any(|a| a.starts_with(&format!("--{flag}=")));
            if (1, minor) >= *removed_in {
                assert!(!passed, "{fixture}: {} passes --{flag} ({why})", c.name);
            } else if passed {
                seen_before_removal += 1;
            }
        }
    }
    // 1.20-1.23 pass dockershim's flags and --insecure-port, 1.20-1.26 --pod-eviction-timeout
    assert!(seen_before_removal >= 20, "only {seen_before_removal} flags seen before their removal");
}

#[test]
fn dockershim_below_1_24_cri_dockerd_from_1_24() {
    for (fixture, network_plugin, endpoint) in [
        ("v1.20.yml", true, None),
        ("v1.23.yml", true, None),
        ("v1.23-cri-dockerd.yml", true, Some("/var/run/dockershim.sock")),
        ("v1.24.yml", false, Some("unix:///var/run/cri-dockerd.sock")),
        ("v1.32.yml", false, Some("unix:///var/run/cri-dockerd.sock")),
        ("v1.33-upstream.yml", false, Some("unix:///var/run/cri-dockerd.sock")),
    ] {
        let (_, plan) = plan_of(fixture);
        let kubelet = container_of(&plan.hosts[0], worker::KUBELET).unwrap();
        assert_eq!(kubelet.cmd.contains(&"--network-plugin=cni".to_string()), network_plugin, "{fixture}");
        let got = kubelet.cmd.iter().find_map(|a| a.strip_prefix("--container-runtime-endpoint="));
        assert_eq!(got, endpoint, "{fixture}");
        assert_eq!(kubelet.env.contains(&"RKE_KUBELET_CRIDOCKERD=true".to_string()), endpoint.is_some(), "{fixture}");
    }
}

#[test]
fn upstream_components_run_upstream_images_directly() {
    let (_, plan) = plan_of("v1.33-upstream.yml");
    for h in &plan.hosts {
        assert!(h.containers.iter().all(|c| c.name != controlplane::SIDEKICK), "{}: no sidekick for upstream images", h.address);
        for c in &h.containers {
            assert!(c.volumes_from.is_empty() && c.entrypoint.as_deref() != Some(&[controlplane::ENTRYPOINT.to_string()][..]), "{}", c.name);
        }
    }
    let cp = &plan.hosts[0];
    for (service, component) in [("kube-api", "kube-apiserver"), ("kube-controller", "kube-controller-manager"), ("scheduler", "kube-scheduler"), ("kubeproxy", "kube-proxy")] {
        let c = container_of(cp, service).unwrap();
        assert_eq!(c.image, format!("registry.k8s.io/{component}:v1.33.5"));
        assert_eq!(c.entrypoint, Some(vec![format!("/usr/local/bin/{component}")]));
        assert!(c.cmd.iter().all(|a| a.starts_with("--")), "{component}: flags only, {:?}", c.cmd);
    }
    let kubelet = container_of(cp, worker::KUBELET).unwrap();
    assert_eq!((kubelet.image.as_str(), kubelet.entrypoint.as_ref()), ("stockade/kubelet:v1.33.5", None));
    assert_eq!(kubelet.cmd[0], "kubelet", "the node image's entrypoint takes the component first");
    assert!(kubelet.cmd.contains(&"--pod-infra-container-image=registry.k8s.io/pause:3.10".to_string()));
    assert!(!container_of(cp, "kube-api").unwrap().cmd.iter().any(|a| a.starts_with("--runtime-config=")));
}

/// Issue 7 item 15: a version without default images and only some slots set is caught from
/// the plan alone, before any host is contacted.
#[test]
fn images_the_plan_lacks_are_named() {
    let yaml = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\nkubernetes_version: v1.19.99-rancher1-1\nsystem_images:\n  etcd: e:1\n  alpine: a:1\n";
    let mut cfg = crate::config::load::parse(std::path::Path::new("c.yml"), yaml).unwrap();
    crate::config::defaults::apply(&mut cfg);
    let missing = super::build(&cfg, &super::Inputs::default()).missing_images();
    assert!(missing.contains(&"kube-apiserver".to_string()) && missing.contains(&"kubelet".to_string()), "{missing:?}");
    assert!(!missing.contains(&"etcd".to_string()));
    let mut full = crate::config::load::parse(std::path::Path::new("c.yml"), "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\n").unwrap();
    crate::config::defaults::apply(&mut full);
    assert!(super::build(&full, &super::Inputs::default()).missing_images().is_empty());
}

/// What `up` reads from `docker info` changes the plan as RKE1's: the kubelet sees Docker's
/// data root at its own path, and on an SELinux host every non-privileged container gets RKE1's
/// labels (the MCS level shared with the sidekick; `rke_container_t` from 1.22).
#[test]
fn host_facts_shape_the_plan() {
    let cfg = plan_of("three-node.yml").0;
    let mut inputs = Inputs { bundle: placeholder_bundle(&cfg), ..Default::default() };
    let first = cfg.nodes[0].address.clone();
    inputs.facts.insert(first.clone(), HostFacts { docker_root: "/data/docker".into(), selinux: true, arch: "aarch64".into(), ..Default::default() });
    let plan = build(&cfg, &inputs);
    let host = |a: &str| plan.hosts.iter().find(|h| h.address == a).unwrap();
    let kubelet = host(&first).containers.iter().find(|c| c.name == "kubelet").unwrap();
    assert!(kubelet.binds.iter().any(|b| b.starts_with("/data/docker:/data/docker:rw,rslave")), "{:?}", kubelet.binds);
    assert!(kubelet.security_opt.is_empty(), "privileged containers get no label");
    let api = host(&first).containers.iter().find(|c| c.name == "kube-apiserver").unwrap();
    let mut want = vec![versioned::SELINUX_MCS_LABEL.to_string()];
    if crate::versions::minor_of(cfg.kubernetes_version.as_deref().unwrap_or_default()) >= (1, 22) {
        want.push(versioned::SELINUX_TYPE_LABEL.to_string());
    }
    assert_eq!(api.security_opt, want);
    let etcd = host(&first).containers.iter().find(|c| c.name == "etcd").unwrap();
    assert_eq!(etcd.security_opt, want[1..].to_vec(), "etcd takes no sidekick volume");
    assert!(etcd.env.contains(&"ETCD_UNSUPPORTED_ARCH=arm64".to_string()), "{:?}", etcd.env);
    // the other hosts keep Docker's default root and no labels
    let other = &plan.hosts.iter().find(|h| h.address != first).unwrap().containers;
    assert!(other.iter().all(|c| c.security_opt.is_empty()));
    assert!(other.iter().find(|c| c.name == "kubelet").unwrap().binds.iter().any(|b| b.starts_with("/var/lib/docker:/var/lib/docker:")));
}

/// RKE1's settings that real clusters use: advertise-address only for an IP, admission plugins
/// appended, the audit log switched off, registry credentials in a 0600 file (never in the
/// kubelet's environment), cri-dockerd's stream server and dual-stack, etcd's owner.
#[test]
fn rke1_settings_real_clusters_use() {
    let mut cfg = plan_of("v1.26.yml").0;
    cfg.nodes[0].internal_address = Some("node-a.internal".into());
    cfg.services.kube_api.always_pull_images = Some(true);
    cfg.services.kube_api.event_rate_limit = Some(serde_yaml::from_str("enabled: true").unwrap());
    cfg.services.kube_api.audit_log = Some(serde_yaml::from_str("enabled: false").unwrap());
    cfg.services.kube_controller.cluster_cidr = Some("10.42.0.0/16,2001:cafe:42::/56".into());
    cfg.cri_dockerd_stream_server_port = Some("10010".into());
    cfg.private_registries = vec![crate::config::schema::PrivateRegistry { url: "reg.example".into(), user: Some("u".into()), password: Some(crate::config::Secret::new("hunter2")), ..Default::default() }];
    cfg.services.etcd.uid = Some(52034);
    cfg.services.etcd.gid = Some(52034);
    let plan = build(&cfg, &Inputs { bundle: placeholder_bundle(&cfg), ..Default::default() });
    let h0 = &plan.hosts[0];
    let api = h0.containers.iter().find(|c| c.name == "kube-apiserver").unwrap();
    assert!(!api.cmd.iter().any(|a| a.starts_with("--advertise-address")), "a host name is not advertised");
    let plugins = api.cmd.iter().find(|a| a.starts_with("--enable-admission-plugins=")).unwrap();
    assert!(plugins.ends_with(",AlwaysPullImages,EventRateLimit"), "{plugins}");
    assert!(!api.cmd.iter().any(|a| a.starts_with("--audit-")), "{:?}", api.cmd);
    assert!(!api.binds.iter().any(|b| b.contains("kube-audit")));
    assert!(!h0.files.iter().any(|f| f.name == "audit-policy.yaml"));
    // a controlplane host whose internal address is an IP advertises it
    let mut three = plan_of("three-node.yml").0;
    three.nodes[0].internal_address = Some("node-a.internal".into());
    let p3 = build(&three, &Inputs { bundle: placeholder_bundle(&three), ..Default::default() });
    let advertised: Vec<bool> = p3.hosts.iter().map(|h| h.containers.iter().find(|c| c.name == "kube-apiserver").unwrap().cmd.iter().any(|a| a.starts_with("--advertise-address="))).collect();
    assert_eq!(advertised, [false, true, true], "only for an IP");
    let kubelet = h0.containers.iter().find(|c| c.name == "kubelet").unwrap();
    assert!(kubelet.env.contains(&"CRIDOCKERD_STREAM_SERVER_PORT=10010".to_string()) && kubelet.env.contains(&"RKE_KUBELET_CRIDOCKERD_DUALSTACK=true".to_string()), "{:?}", kubelet.env);
    assert!(!format!("{:?} {}", kubelet.env, plan.document()).contains("hunter2"));
    let creds = h0.files.iter().find(|f| f.name == "config.json").unwrap();
    assert_eq!((creds.dir.as_str(), creds.mode), ("/var/lib/kubelet", 0o600));
    assert!(String::from_utf8_lossy(&creds.content).contains("\"reg.example\":{\"auth\":\"dTpodW50ZXIy\"}"));
    assert!(crate::plan::worker::is_stockade_registry_file(&creds.content), "carries the mark that lets stockade delete it later");
    assert!(!crate::plan::worker::is_stockade_registry_file(br#"{"auths":{}}"#) && !crate::plan::worker::is_stockade_registry_file(b"not json"));
    let etcd_host = plan.hosts.iter().find(|h| h.containers.iter().any(|c| c.name == "etcd")).unwrap();
    let owned: Vec<&str> = etcd_host.files.iter().filter(|f| f.owner == Some((52034, 52034))).map(|f| f.name.as_str()).collect();
    assert!(owned.iter().any(|n| n.starts_with("ssl/kube-etcd-") && n.ends_with("-key.pem")), "{owned:?}");
    let ca = etcd_host.files.iter().find(|f| f.name == "ssl/kube-ca.pem").unwrap();
    assert_eq!((ca.owner, ca.mode), (None, 0o644), "RKE1's cert-deployer: the CA certificate readable by all");
    assert!(etcd_host.files.iter().filter(|f| f.name.contains("kube-apiserver")).all(|f| f.owner.is_none()));
}

/// RKE1's prefix when `prefix_path` is unset, per host from the system its Docker reports
/// (rancher/rke hosts/hosts.go `SetPrefixPath`): every host path of that host moves under it,
/// the other hosts keep `/`; a `prefix_path` in the file wins everywhere.
#[test]
fn rke1s_prefix_default_applies_per_host_from_its_operating_system() {
    for (os, want) in [
        ("Flatcar Container Linux by Kinvolk 3815.2.0 (Oklo)", Some("/opt/rke")),
        ("Fedora CoreOS 39.20240210.3.0", Some("/opt/rke")),
        ("Container Linux by CoreOS 2512.3.0 (Oklo)", Some("/opt/rke")),
        ("RancherOS v1.5.8", Some("/opt/rke")),
        ("Boot2Docker 19.03.12 (TCL 10.1)", Some("/mnt/sda1/rke")),
        ("Debian GNU/Linux 12 (bookworm)", None),
        ("Ubuntu 22.04.4 LTS", None),
        ("", None),
    ] {
        assert_eq!(os_default_prefix(os), want, "{os}");
    }
    let (mut cfg, _) = plan_of("three-node.yml");
    let flatcar = cfg.nodes[1].address.clone();
    let mut inputs = Inputs { bundle: placeholder_bundle(&cfg), ..Default::default() };
    inputs.facts.insert(flatcar.clone(), HostFacts { operating_system: "Flatcar Container Linux by Kinvolk 3815.2.0 (Oklo)".into(), ..Default::default() });
    let plan = build(&cfg, &inputs);
    fn host<'p>(p: &'p Plan, a: &str) -> &'p HostPlan {
        p.hosts.iter().find(|h| h.address == a).unwrap()
    }
    let on = host(&plan, &flatcar);
    let etcd = on.containers.iter().find(|c| c.name == "etcd").unwrap();
    assert!(etcd.binds.iter().any(|b| b.starts_with("/opt/rke/var/lib/etcd:")), "{:?}", etcd.binds);
    let kubelet = on.containers.iter().find(|c| c.name == "kubelet").unwrap();
    assert!(kubelet.cmd.iter().chain(kubelet.entrypoint.iter().flatten()).any(|a| a == "--root-dir=/opt/rke/var/lib/kubelet"), "{:?}", kubelet.cmd);
    assert!(on.files.iter().all(|f| f.dir.starts_with("/opt/rke/etc/kubernetes")), "{:?}", on.files.iter().map(|f| f.path()).collect::<Vec<_>>());
    let other = host(&plan, &cfg.nodes[0].address);
    assert!(other.files.iter().all(|f| f.dir.starts_with("/etc/kubernetes")));
    assert!(other.containers.iter().flat_map(|c| &c.binds).all(|b| !b.contains("/opt/rke")), "only the Flatcar host moves");
    // the plan of every other host is the one made without facts
    let plain = build(&cfg, &Inputs { bundle: placeholder_bundle(&cfg), ..Default::default() });
    assert_eq!(other.containers, host(&plain, &cfg.nodes[0].address).containers);

    cfg.prefix_path = Some("/srv/k8s".into());
    let plan = build(&cfg, &inputs);
    assert!(host(&plan, &flatcar).files.iter().all(|f| f.dir.starts_with("/srv/k8s/etc/kubernetes")), "the file's prefix_path wins");
    cfg.prefix_path = Some("/".into());
    assert_eq!(on_host(&cfg, "Boot2Docker 19.03.12").prefix_path.as_deref(), Some("/mnt/sda1/rke"), "\"/\" is RKE1's unset");
}
