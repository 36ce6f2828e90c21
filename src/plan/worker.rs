//! Worker-plane containers, on every host (rke.md §3): kubelet and kube-proxy (privileged,
//! host pid and network, RKE's mounts; cri-dockerd from Kubernetes 1.24 on, as RKE), and
//! nginx-proxy on hosts without the controlplane role: a stream proxy on 6443 to every
//! controlplane host, so every component kubeconfig can use https://127.0.0.1:6443.
use super::args::Flags;
use super::container::ContainerSpec;
use super::controlplane::{component, digest};
use super::{etcd, prefixed};
use crate::config::{ClusterConfig, Node};
use crate::pki::{names, Bundle};
use crate::versions;

pub const KUBELET: &str = "kubelet";
pub const KUBE_PROXY: &str = "kube-proxy";
pub const NGINX_PROXY: &str = "nginx-proxy";
const SSL: &str = "/etc/kubernetes/ssl";

fn has(n: &Node, role: &str) -> bool {
    n.role.iter().any(|r| r == role)
}

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
    let v = cfg.kubernetes_version.as_deref().unwrap_or_default();
    cfg.enable_cri_dockerd.unwrap_or(versions::minor_of(v) >= (1, 24))
}

pub fn kubelet(cfg: &ClusterConfig, node: &Node, bundle: &Bundle) -> ContainerSpec {
    let svc = &cfg.services.kubelet;
    let version = cfg.kubernetes_version.as_deref().unwrap_or_default();
    let mut f = Flags::default();
    f.set("client-ca-file", format!("{SSL}/{}.pem", names::CA))
        .set("cluster-dns", svc.cluster_dns_server.clone().unwrap_or_default())
        .set("cluster-domain", svc.cluster_domain.clone().unwrap_or_default())
        .set("fail-swap-on", svc.fail_swap_on.unwrap_or(false).to_string())
        .set("hostname-override", node.hostname_override.clone().unwrap_or_else(|| node.address.clone()))
        .set("kubeconfig", format!("{SSL}/kubecfg-{}.yaml", names::NODE))
        .set("pod-infra-container-image", pod_infra_image(cfg))
        .set("root-dir", prefixed(cfg, "/var/lib/kubelet"));
    if node.address != etcd::internal(node) {
        f.set("node-ip", etcd::internal(node));
    }
    // hosts without the worker role keep workloads off, as RKE does
    if !has(node, "worker") {
        if has(node, "controlplane") {
            f.set("register-with-taints", "node-role.kubernetes.io/controlplane=true:NoSchedule");
        } else {
            f.set("register-with-taints", "node-role.kubernetes.io/etcd=true:NoExecute");
        }
    }
    let mut env = Vec::new();
    if cri_dockerd(cfg) {
        f.set("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock");
        env.push("RKE_KUBELET_CRIDOCKERD=true".to_string());
    }
    f.layer(&versions::service_options(version, "kubelet")).layer(&svc.extra_args);
    env.extend(svc.extra_env.iter().cloned());
    let kubelet_dir = prefixed(cfg, "/var/lib/kubelet");
    let mut binds = vec![
        format!("{}:/etc/kubernetes", prefixed(cfg, "/etc/kubernetes")),
        "/etc/cni:/etc/cni:rw".into(),
        "/opt/cni:/opt/cni:rw".into(),
        "/var/lib/cni:/var/lib/cni".into(),
        "/var/lib/calico:/var/lib/calico".into(),
        "/etc/resolv.conf:/etc/resolv.conf".into(),
        "/sys:/sys:rprivate".into(),
        "/var/lib/docker:/var/lib/docker:rw,rslave".into(),
        format!("{kubelet_dir}:{kubelet_dir}:shared"),
        "/var/lib/rancher:/var/lib/rancher:shared".into(),
        "/var/run:/var/run:rw,rprivate".into(),
        "/run:/run:rprivate".into(),
        "/etc/ceph:/etc/ceph".into(),
        "/dev:/host/dev:rprivate".into(),
        "/var/log/containers:/var/log/containers".into(),
        "/var/log/pods:/var/log/pods".into(),
        "/usr:/host/usr:ro".into(),
        "/etc:/host/etc:ro".into(),
    ];
    if cri_dockerd(cfg) {
        binds.push("/var/lib/cri-dockerd:/var/lib/cri-dockerd".into());
    }
    binds.extend(svc.extra_binds.iter().cloned());
    let inputs = digest(bundle, &[names::CA, names::NODE], &[]);
    let mut c = component(cfg, KUBELET, f.render(&svc.extra_args_array), env, binds, inputs);
    c.privileged = true;
    c.pid_mode = Some("host".into());
    c
}

pub fn kube_proxy(cfg: &ClusterConfig, node: &Node, bundle: &Bundle) -> ContainerSpec {
    let svc = &cfg.services.kubeproxy;
    let version = cfg.kubernetes_version.as_deref().unwrap_or_default();
    let mut f = Flags::default();
    f.set("cluster-cidr", cfg.services.kube_controller.cluster_cidr.clone().unwrap_or_default())
        .set("hostname-override", node.hostname_override.clone().unwrap_or_else(|| node.address.clone()))
        .set("kubeconfig", format!("{SSL}/kubecfg-{}.yaml", names::PROXY));
    f.layer(&versions::service_options(version, "kubeproxy")).layer(&svc.extra_args);
    let mut binds = vec![
        format!("{}:/etc/kubernetes", prefixed(cfg, "/etc/kubernetes")),
        "/run:/run".into(),
        "/lib/modules:/lib/modules:ro".into(),
    ];
    binds.extend(svc.extra_binds.iter().cloned());
    let inputs = digest(bundle, &[names::CA, names::PROXY], &[]);
    let mut c = component(cfg, KUBE_PROXY, f.render(&svc.extra_args_array), svc.extra_env.clone(), binds, inputs);
    c.privileged = true;
    c.pid_mode = Some("host".into());
    c
}

/// On hosts without the controlplane role: 127.0.0.1:6443 → every controlplane host.
pub fn nginx_proxy(cfg: &ClusterConfig) -> ContainerSpec {
    let cp_hosts = cfg.nodes.iter().filter(|n| has(n, "controlplane")).map(|n| etcd::internal(n).to_string()).collect::<Vec<_>>().join(",");
    let env = format!("CP_HOSTS={cp_hosts}");
    let mut spec = ContainerSpec::new(NGINX_PROXY, cfg.system_images.nginx_proxy.clone().unwrap_or_default(), vec!["nginx-proxy".into(), env.clone()]);
    spec.env = vec![env];
    spec
}
