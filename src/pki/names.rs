//! Certificate names (RKE's), and the component kubeconfigs that go with them.
use super::bundle::{Bundle, SSL_DIR};
use crate::config::Node;

pub const CA: &str = "kube-ca";
pub const REQUESTHEADER_CA: &str = "kube-apiserver-requestheader-ca";
pub const APISERVER: &str = "kube-apiserver";
pub const SERVICE_ACCOUNT: &str = "kube-service-account-token";
pub const CONTROLLER: &str = "kube-controller-manager";
pub const SCHEDULER: &str = "kube-scheduler";
pub const PROXY: &str = "kube-proxy";
pub const NODE: &str = "kube-node";
pub const ADMIN: &str = "kube-admin";
pub const PROXY_CLIENT: &str = "kube-apiserver-proxy-client";
pub const ETCD_PREFIX: &str = "kube-etcd-";

/// `kube-etcd-10-0-0-1` for a node whose internal address is 10.0.0.1.
pub fn etcd_cert(n: &Node) -> String {
    let addr = n.internal();
    format!("{ETCD_PREFIX}{}", addr.replace('.', "-"))
}

pub const KUBELET_PREFIX: &str = "kube-kubelet-";

/// `kube-kubelet-10-0-0-1`: the kubelet's serving certificate of a node (with
/// `kubelet.generate_serving_certificate`), named by its internal address as RKE1 names it.
pub fn kubelet_cert(n: &Node) -> String {
    format!("{KUBELET_PREFIX}{}", n.internal().replace('.', "-").to_lowercase())
}

/// Components that authenticate to the API server with a kubeconfig file on the host.
const WITH_KUBECONFIG: [&str; 4] = [CONTROLLER, SCHEDULER, PROXY, NODE];

/// Sets `config` on the component certificates: a kubeconfig that points at the local API
/// endpoint (`https://127.0.0.1:6443`, the apiserver or nginx-proxy) with file paths, as RKE.
pub fn attach_kubeconfigs(bundle: &mut Bundle) {
    for name in WITH_KUBECONFIG {
        if let Some(c) = bundle.get_mut(name) {
            c.config = component_kubeconfig(name);
        }
    }
}

fn component_kubeconfig(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    api-version: v1\n    certificate-authority: {SSL_DIR}/{CA}.pem\n    server: \"https://127.0.0.1:6443\"\n  name: \"local\"\ncontexts:\n- context:\n    cluster: \"local\"\n    user: \"{user}\"\n  name: \"local\"\ncurrent-context: \"local\"\nusers:\n- name: \"{user}\"\n  user:\n    client-certificate: {SSL_DIR}/{name}.pem\n    client-key: {SSL_DIR}/{name}-key.pem\n",
        user = format!("{name}-local"),
    )
}
