//! Worker-plane containers, on every host (rke.md §3): kubelet and kube-proxy (privileged,
//! host pid and network, RKE's mounts; cri-dockerd from Kubernetes 1.24 on and the other
//! version-dependent choices in `versioned`), and
//! nginx-proxy on hosts without the controlplane role: a stream proxy on 6443 to every
//! controlplane host, so every component kubeconfig can use https://127.0.0.1:6443.
use super::args::Flags;
use super::container::ContainerSpec;
use super::controlplane::{component, digest};
use super::{etcd, prefixed, versioned};
use crate::config::{ClusterConfig, Node};
use crate::pki::{names, Bundle};
use crate::versions;

pub const KUBELET: &str = "kubelet";
pub const KUBE_PROXY: &str = "kube-proxy";
pub const NGINX_PROXY: &str = "nginx-proxy";
use crate::pki::bundle::SSL_DIR as SSL;


/// The host's Node name: kubelet's `--hostname-override` (hostname_override, else the address),
/// lowercased as kubelet does.
pub fn node_name(node: &Node) -> String {
    node.hostname_override.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| node.address.clone()).to_lowercase()
}

/// The image of every pod's sandbox ("pause") container: kubelet's `--pod-infra-container-image`.
/// Not a container stockade runs, but kubelet needs it on the host, so it is in the image list.
pub fn pod_infra_image(cfg: &ClusterConfig) -> String {
    cfg.services.kubelet.infra_container_image.clone().or(cfg.system_images.pod_infra_container.clone()).unwrap_or_default()
}

/// cri-dockerd replaces dockershim from Kubernetes 1.24 on; `enable_cri_dockerd` overrides.
pub fn cri_dockerd(cfg: &ClusterConfig) -> bool {
    versioned::cri_dockerd(cfg)
}

pub fn kubelet(cfg: &ClusterConfig, node: &Node, bundle: &Bundle, facts: &super::HostFacts) -> ContainerSpec {
    let svc = &cfg.services.kubelet;
    let mut f = Flags::default();
    f.set("client-ca-file", format!("{SSL}/{}.pem", names::CA))
        .set("cluster-dns", svc.cluster_dns_server.clone().unwrap_or_default())
        .set("cluster-domain", svc.cluster_domain.clone().unwrap_or_default())
        .set("fail-swap-on", svc.fail_swap_on.unwrap_or(false).to_string())
        .set("hostname-override", node.hostname_override.clone().unwrap_or_else(|| node.address.clone()))
        .set("kubeconfig", format!("{SSL}/kubecfg-{}.yaml", names::NODE))
        .set("pod-infra-container-image", pod_infra_image(cfg))
        .set("root-dir", prefixed(cfg, "/var/lib/kubelet"));
    if let Some((k, v)) = versioned::cloud_provider_flag(cfg) {
        f.set(k, v);
    }
    if node.address != etcd::internal(node) {
        f.set("node-ip", etcd::internal(node));
    }
    let serving = crate::pki::serving_certificates(cfg).then(|| names::kubelet_cert(node));
    if let Some(cert) = &serving {
        f.set("tls-cert-file", format!("{SSL}/{cert}.pem")).set("tls-private-key-file", format!("{SSL}/{cert}-key.pem"));
    }
    // hosts without the worker role keep workloads off, as RKE does
    if !node.has_role("worker") {
        if node.has_role("controlplane") {
            f.set("register-with-taints", "node-role.kubernetes.io/controlplane=true:NoSchedule");
        } else {
            f.set("register-with-taints", "node-role.kubernetes.io/etcd=true:NoExecute");
        }
    }
    let mut env = Vec::new();
    for (flag, value) in versioned::runtime_flags(cfg) {
        f.set(flag, value);
    }
    if cri_dockerd(cfg) {
        env.extend(cri_dockerd_env(cfg));
    }
    f.layer(&versions::cluster_service_options(cfg, "kubelet")).layer(&svc.extra_args);
    env.extend(svc.extra_env.iter().cloned());
    let kubelet_dir = prefixed(cfg, "/var/lib/kubelet");
    // RKE's list, `z` (SELinux relabel) included: `versioned::binds` drops it from 1.22 on
    let mut binds = vec![
        format!("{}:/etc/kubernetes:z", prefixed(cfg, "/etc/kubernetes")),
        "/etc/cni:/etc/cni:rw,z".into(),
        "/opt/cni:/opt/cni:rw,z".into(),
        format!("{}:/var/lib/cni:z", prefixed(cfg, "/var/lib/cni")),
        "/var/lib/calico:/var/lib/calico:z".into(),
        "/etc/resolv.conf:/etc/resolv.conf".into(),
        "/sys:/sys:rprivate".into(),
        // Docker's data root as `docker info` reports it: pods' volumes and logs live under it
        format!("{0}:{0}:rw,rslave,z", facts.docker_root),
        format!("{kubelet_dir}:{kubelet_dir}:shared,z"),
        "/var/lib/rancher:/var/lib/rancher:shared,z".into(),
        "/var/run:/var/run:rw,rprivate".into(),
        "/run:/run:rprivate".into(),
        format!("{}:/etc/ceph", prefixed(cfg, "/etc/ceph")),
        "/dev:/host/dev:rprivate".into(),
        "/var/log/containers:/var/log/containers:z".into(),
        "/var/log/pods:/var/log/pods:z".into(),
        "/usr:/host/usr:ro".into(),
        "/etc:/host/etc:ro".into(),
    ];
    // flex volume plugins stay where their installers put them when the kubelet dir moves
    if kubelet_dir != "/var/lib/kubelet" {
        binds.push("/var/lib/kubelet/volumeplugins:/var/lib/kubelet/volumeplugins:shared,z".into());
    }
    if versioned::cri_dockerd_state_bind(cfg) {
        binds.push(format!("{}:/var/lib/cri-dockerd:z", prefixed(cfg, "/var/lib/cri-dockerd")));
    }
    let mut binds = versioned::binds(cfg, binds);
    binds.extend(svc.extra_binds.iter().cloned());
    let mut read = vec![names::CA, names::NODE];
    read.extend(serving.as_deref());
    let inputs = digest(bundle, &read, &[]);
    let mut c = component(cfg, KUBELET, f.render(&svc.extra_args_array), env, binds, inputs);
    c.privileged = true;
    c.pid_mode = Some("host".into());
    c
}

/// The environment rke-tools' entrypoint reads to start cri-dockerd inside the kubelet
/// container (rancher/rke `BuildKubeletProcess`): on, the stream server's address and port when
/// set, and dual-stack when `cluster_cidr` holds an IPv4 and an IPv6 range.
fn cri_dockerd_env(cfg: &ClusterConfig) -> Vec<String> {
    let mut env = vec!["RKE_KUBELET_CRIDOCKERD=true".to_string()];
    if let Some(a) = cfg.cri_dockerd_stream_server_address.as_deref().filter(|a| !a.is_empty()) {
        env.push(format!("CRIDOCKERD_STREAM_SERVER_ADDRESS={a}"));
    }
    if let Some(p) = cfg.cri_dockerd_stream_server_port.as_deref().filter(|p| !p.is_empty()) {
        env.push(format!("CRIDOCKERD_STREAM_SERVER_PORT={p}"));
    }
    if dual_stack(cfg.services.kube_controller.cluster_cidr.as_deref().unwrap_or_default()) {
        env.push("RKE_KUBELET_CRIDOCKERD_DUALSTACK=true".to_string());
    }
    env
}

/// Two CIDRs, one IPv4 and one IPv6 (Kubernetes' `IsDualStackCIDRStrings` for a pair).
pub fn dual_stack(cidrs: &str) -> bool {
    let parts: Vec<&str> = cidrs.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let v6 = |c: &str| c.split('/').next().and_then(|ip| ip.parse::<std::net::IpAddr>().ok()).map(|ip| ip.is_ipv6());
    match parts.as_slice() {
        [a, b] => matches!((v6(a), v6(b)), (Some(x), Some(y)) if x != y),
        _ => false,
    }
}

/// The key in the registry credentials file that marks it as stockade's: only a file carrying it
/// is deleted when `private_registries` goes (an operator's own `config.json` stays). Docker and
/// kubelet ignore keys they do not know.
pub const REGISTRY_FILE_MARK: &str = "stockade";
pub const REGISTRY_FILE: &str = "config.json";

/// Where the kubelet reads registry credentials: `(<root-dir>, config.json)`.
pub fn registry_credentials_path(cfg: &ClusterConfig) -> (String, &'static str) {
    (prefixed(cfg, "/var/lib/kubelet"), REGISTRY_FILE)
}

/// Whether a `config.json` found on a host is the one stockade writes ([`REGISTRY_FILE_MARK`]).
pub fn is_stockade_registry_file(content: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(content).is_ok_and(|v| v.get(REGISTRY_FILE_MARK).is_some())
}

/// The kubelet's registry credentials (`<root-dir>/config.json`, Docker's format) for
/// `private_registries`, so pods' images come from them too. RKE1 passes this file's content in
/// the kubelet's environment (`RKE_KUBELET_DOCKER_CONFIG`), where `docker inspect` shows every
/// password: stockade writes the file itself, mode 0600, and the environment names nothing.
pub fn registry_credentials(cfg: &ClusterConfig) -> Option<super::FileSpec> {
    if cfg.private_registries.is_empty() {
        return None;
    }
    use base64::Engine;
    let mut auths = serde_json::Map::new();
    // ECR registries need the credential helper on the host, which stockade does not install
    // (`ecr_credential_plugin` is reported as not applied): they get no entry
    for r in cfg.private_registries.iter().filter(|r| r.ecr_credential_plugin.is_none()) {
        let pair = format!("{}:{}", r.user.as_deref().unwrap_or_default(), r.password.as_ref().map(|p| p.expose()).unwrap_or_default());
        auths.insert(r.url.clone(), serde_json::json!({ "auth": base64::engine::general_purpose::STANDARD.encode(pair) }));
    }
    if auths.is_empty() {
        return None;
    }
    let doc = serde_json::json!({ "auths": auths, REGISTRY_FILE_MARK: "written from cluster.yml's private_registries; removed when they are" });
    let (dir, name) = registry_credentials_path(cfg);
    Some(super::FileSpec {
        dir,
        name: name.into(),
        content: doc.to_string().into_bytes(),
        mode: super::files::FILE_MODE,
        owner: None,
    })
}

pub fn kube_proxy(cfg: &ClusterConfig, node: &Node, bundle: &Bundle) -> ContainerSpec {
    let svc = &cfg.services.kubeproxy;
    let mut f = Flags::default();
    f.set("cluster-cidr", cfg.services.kube_controller.cluster_cidr.clone().unwrap_or_default())
        .set("hostname-override", node.hostname_override.clone().unwrap_or_else(|| node.address.clone()))
        .set("kubeconfig", format!("{SSL}/kubecfg-{}.yaml", names::PROXY));
    f.layer(&versions::cluster_service_options(cfg, "kubeproxy")).layer(&svc.extra_args);
    let binds = vec![format!("{}:/etc/kubernetes:z", prefixed(cfg, "/etc/kubernetes")), "/run:/run".into(), "/lib/modules:/lib/modules:ro".into()];
    let mut binds = versioned::binds(cfg, binds);
    binds.extend(svc.extra_binds.iter().cloned());
    let inputs = digest(bundle, &[names::CA, names::PROXY], &[]);
    let mut c = component(cfg, KUBE_PROXY, f.render(&svc.extra_args_array), svc.extra_env.clone(), binds, inputs);
    c.privileged = true;
    c.pid_mode = Some("host".into());
    c
}

/// On hosts without the controlplane role: 127.0.0.1:6443 → every controlplane host.
pub fn nginx_proxy(cfg: &ClusterConfig) -> ContainerSpec {
    let cp_hosts = cfg.nodes.iter().filter(|n| n.has_role("controlplane")).map(|n| etcd::internal(n).to_string()).collect::<Vec<_>>().join(",");
    let env = format!("CP_HOSTS={cp_hosts}");
    let mut spec = ContainerSpec::new(NGINX_PROXY, cfg.system_images.nginx_proxy.clone().unwrap_or_default(), vec!["nginx-proxy".into(), env.clone()]);
    spec.env = vec![env];
    spec
}
