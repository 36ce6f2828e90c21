//! The `etcd` container of an etcd host (rke.md §3: args, mounts, env, TLS).
use super::container::{inputs_digest, ContainerSpec, CA_LABEL, INPUTS_LABEL};
use super::args::Flags;
use super::prefixed;
use crate::config::{ClusterConfig, Node};
use crate::pki::{names, Bundle};

pub const CONTAINER: &str = "etcd";
pub const CLIENT_PORT: u16 = 2379;
use crate::pki::bundle::SSL_DIR as SSL;

/// The same container with `--initial-cluster` set to `members`: etcd requires a joining
/// member's list to match the membership at the moment it joins.
pub fn with_initial_cluster(spec: &ContainerSpec, members: &[&Node]) -> ContainerSpec {
    let pairs: Vec<(String, String)> = members.iter().map(|m| (member_name(m), peer_url(m))).collect();
    with_initial_members(spec, &pairs)
}

/// The same container with `--initial-cluster` set to `(name, peer URL)` pairs, as the live
/// member list has them.
pub fn with_initial_members(spec: &ContainerSpec, members: &[(String, String)]) -> ContainerSpec {
    let list = members.iter().map(|(name, url)| format!("{name}={url}")).collect::<Vec<_>>().join(",");
    let mut s = spec.clone();
    for a in &mut s.cmd {
        if a.starts_with("--initial-cluster=") {
            *a = format!("--initial-cluster={list}");
        }
        // a member that joins a running cluster never bootstraps a new one
        if a.starts_with("--initial-cluster-state=") {
            *a = "--initial-cluster-state=existing".to_string();
        }
    }
    s
}

pub fn member_name(n: &Node) -> String {
    format!("etcd-{}", n.hostname_override.as_deref().unwrap_or(&n.address))
}

pub fn internal(n: &Node) -> &str {
    n.internal()
}

pub fn peer_url(n: &Node) -> String {
    format!("https://{}:2380", internal(n))
}

/// RKE binds to 0.0.0.0 when address == internal_address (a DNATed public address cannot be
/// bound), else to the internal address.
fn listen_address(n: &Node) -> &str {
    if n.address == internal(n) { "0.0.0.0" } else { internal(n) }
}

pub fn container(cfg: &ClusterConfig, node: &Node, members: &[&Node], bundle: &Bundle, joined: bool, facts: &super::HostFacts) -> ContainerSpec {
    let svc = &cfg.services.etcd;
    let cert = names::etcd_cert(node);
    let listen = listen_address(node);
    let initial_cluster = members.iter().map(|m| format!("{}={}", member_name(m), peer_url(m))).collect::<Vec<_>>().join(",");
    let mut flags = Flags::default();
    flags
        .set("name", member_name(node))
        .set("data-dir", "/var/lib/rancher/etcd/")
        .set("listen-client-urls", format!("https://{listen}:{CLIENT_PORT}"))
        .set("advertise-client-urls", format!("https://{}:{CLIENT_PORT}", internal(node)))
        .set("listen-peer-urls", format!("https://{listen}:2380"))
        .set("initial-advertise-peer-urls", peer_url(node))
        .set("initial-cluster", initial_cluster)
        .set("initial-cluster-token", "etcd-cluster-1")
        .set("initial-cluster-state", if joined { "existing" } else { "new" })
        .set("trusted-ca-file", format!("{SSL}/{}.pem", names::CA))
        .set("peer-trusted-ca-file", format!("{SSL}/{}.pem", names::CA))
        .set("cert-file", format!("{SSL}/{cert}.pem"))
        .set("key-file", format!("{SSL}/{cert}-key.pem"))
        .set("peer-cert-file", format!("{SSL}/{cert}.pem"))
        .set("peer-key-file", format!("{SSL}/{cert}-key.pem"));
    let image = cfg.system_images.etcd.clone().unwrap_or_default();
    if supports_cipher_suites(&image) {
        flags.set("cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    }
    flags.layer(&crate::versions::cluster_service_options(cfg, "etcd")).layer(&svc.extra_args);
    let mut cmd = vec!["/usr/local/bin/etcd".to_string()];
    cmd.extend(flags.render(&svc.extra_args_array));
    let endpoint_host = if listen == "0.0.0.0" { "127.0.0.1" } else { listen };
    let mut env = vec![
        "ETCDCTL_API=3".to_string(),
        format!("ETCDCTL_CACERT={SSL}/{}.pem", names::CA),
        format!("ETCDCTL_CERT={SSL}/{cert}.pem"),
        format!("ETCDCTL_KEY={SSL}/{cert}-key.pem"),
        format!("ETCDCTL_ENDPOINTS=https://{endpoint_host}:{CLIENT_PORT}"),
        // RKE1 always sets it (etcd refuses to start on arm64 below 3.5 without it)
        format!("ETCD_UNSUPPORTED_ARCH={}", if facts.arch == "aarch64" { "arm64" } else { facts.arch.as_str() }),
    ];
    env.extend(svc.extra_env.iter().cloned());
    // `z`: SELinux relabel below Kubernetes 1.22, as RKE (`versioned::binds`)
    let binds = vec![
        format!("{}:/var/lib/rancher/etcd/:z", prefixed(cfg, "/var/lib/etcd")),
        format!("{}:/etc/kubernetes:z", prefixed(cfg, "/etc/kubernetes")),
    ];
    let mut binds = super::versioned::binds(cfg, binds);
    binds.extend(svc.extra_binds.iter().cloned());
    let user = match (svc.uid, svc.gid) {
        (Some(u), Some(g)) if u != 0 || g != 0 => Some(format!("{u}:{g}")),
        (Some(u), None) if u != 0 => Some(u.to_string()),
        _ => None,
    };
    let mut labels = std::collections::BTreeMap::new();
    let pem = |n: &str, key: bool| bundle.get(n).map(|c| if key { c.key_pem.as_str() } else { c.certificate_pem.as_str() }).unwrap_or("");
    labels.insert(CA_LABEL.into(), inputs_digest([pem(names::CA, false)]));
    labels.insert(INPUTS_LABEL.into(), inputs_digest([pem(names::CA, false), pem(&cert, false), pem(&cert, true)]));
    let mut spec = ContainerSpec::new(CONTAINER, image, cmd);
    spec.env = env;
    spec.binds = binds;
    spec.user = user;
    spec.labels.extend(labels);
    spec
}

/// etcd accepts `--cipher-suites` from 3.4.15 on; judged from the image tag (`v3.5.15`).
fn supports_cipher_suites(image: &str) -> bool {
    let tag = image.rsplit(':').next().unwrap_or_default().trim_start_matches('v');
    let parts: Vec<u64> = tag.split(['.', '-']).take(3).map_while(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [3, minor, patch] => (*minor, *patch) >= (4, 15),
        [major, ..] => *major > 3,
        _ => false,
    }
}
