//! RKE1's CLI defaults (`cluster/defaults.go`), applied after parsing. A node's defaults come
//! from the cluster-level keys where RKE has them (ssh_key_path, ssh_agent_auth).
use super::schema::{ClusterConfig, Node};
use crate::versions;

pub const DEFAULT_SSH_KEY_PATH: &str = "~/.ssh/id_rsa";
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";
pub const DEFAULT_CLUSTER_NAME: &str = "local";
pub const DEFAULT_SERVICE_CIDR: &str = "10.43.0.0/16";
pub const DEFAULT_CLUSTER_CIDR: &str = "10.42.0.0/16";
pub const DEFAULT_NODE_PORT_RANGE: &str = "30000-32767";
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";
pub const DEFAULT_CLUSTER_DNS: &str = "10.43.0.10";

pub fn apply(cfg: &mut ClusterConfig) {
    cfg.cluster_name.get_or_insert_with(|| DEFAULT_CLUSTER_NAME.into());
    cfg.ssh_key_path.get_or_insert_with(|| DEFAULT_SSH_KEY_PATH.into());
    cfg.prefix_path.get_or_insert_with(|| "/".into());
    cfg.addon_job_timeout.get_or_insert(45);
    cfg.kubernetes_version.get_or_insert_with(|| versions::DEFAULT_KUBERNETES_VERSION.into());
    let cluster_agent = cfg.ssh_agent_auth.unwrap_or(false);
    for n in &mut cfg.nodes {
        node_defaults(n, cfg.ssh_key_path.as_deref().unwrap_or(DEFAULT_SSH_KEY_PATH), cluster_agent);
        if n.ssh_cert.is_none() && n.ssh_cert_path.is_none() {
            n.ssh_cert_path = cfg.ssh_cert_path.clone();
        }
    }
    if let Some(b) = &mut cfg.bastion_host {
        b.port.get_or_insert_with(|| "22".into());
        if b.ssh_key_path.is_none() && b.ssh_key.is_none() {
            b.ssh_key_path = cfg.ssh_key_path.clone();
        }
        // RKE copies the cluster-level agent setting onto the bastion too
        if cluster_agent {
            b.ssh_agent_auth = Some(true);
        }
    }
    let s = &mut cfg.services;
    s.kube_api.service_cluster_ip_range.get_or_insert_with(|| DEFAULT_SERVICE_CIDR.into());
    s.kube_api.service_node_port_range.get_or_insert_with(|| DEFAULT_NODE_PORT_RANGE.into());
    s.kube_controller.cluster_cidr.get_or_insert_with(|| DEFAULT_CLUSTER_CIDR.into());
    s.kube_controller.service_cluster_ip_range.get_or_insert_with(|| DEFAULT_SERVICE_CIDR.into());
    s.kubelet.cluster_domain.get_or_insert_with(|| DEFAULT_CLUSTER_DOMAIN.into());
    s.kubelet.cluster_dns_server.get_or_insert_with(|| DEFAULT_CLUSTER_DNS.into());
    // RKE injects these etcd timing flags unless the user set them
    for (k, v) in [("election-timeout", "5000"), ("heartbeat-interval", "500")] {
        s.etcd.extra_args.entry(k.into()).or_insert_with(|| v.into());
    }
    versions::fill_system_images(cfg);
}

fn node_defaults(n: &mut Node, ssh_key_path: &str, cluster_agent: bool) {
    n.port.get_or_insert_with(|| "22".into());
    if n.internal_address.as_deref().unwrap_or("").is_empty() {
        n.internal_address = Some(n.address.clone());
    }
    // RKE lowercases hostname_override (it becomes the Kubernetes node name)
    let h = n.hostname_override.clone().filter(|h| !h.is_empty()).unwrap_or_else(|| n.address.clone());
    n.hostname_override = Some(h.to_lowercase());
    n.docker_socket.get_or_insert_with(|| DEFAULT_DOCKER_SOCKET.into());
    if n.ssh_key.is_none() && n.ssh_key_path.is_none() {
        n.ssh_key_path = Some(ssh_key_path.into());
    }
    // RKE ignores the per-node value and uses the cluster-level one when that is true
    if cluster_agent {
        n.ssh_agent_auth = Some(true);
    }
}
