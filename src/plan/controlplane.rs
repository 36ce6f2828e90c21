//! Control-plane containers of a controlplane host (rke.md §3): kube-apiserver,
//! kube-controller-manager and kube-scheduler, each started through rke-tools' entrypoint
//! from the `service-sidekick` volume, with RKE's flags, RKE1's per-version defaults and the
//! user's extra_args / extra_args_array / extra_binds / extra_env.
use super::args::Flags;
use super::container::{inputs_digest, ContainerSpec, CA_LABEL, INPUTS_LABEL};
use super::files::ADMISSION_CONFIG;
use super::{etcd, prefixed, versioned};
use crate::config::{ClusterConfig, Node};
use crate::pki::{names, Bundle};
use crate::versions;

pub const APISERVER: &str = "kube-apiserver";
pub const CONTROLLER: &str = "kube-controller-manager";
pub const SCHEDULER: &str = "kube-scheduler";
pub const SIDEKICK: &str = "service-sidekick";
pub const ENTRYPOINT: &str = "/opt/rke-tools/entrypoint.sh";
pub const AUDIT_LOG_DIR: &str = "/var/log/kube-audit";
/// The token webhook's kubeconfig (`authentication.webhook.config_file`), on every host as RKE1 puts it
pub const WEBHOOK_CONFIG: &str = "/etc/kubernetes/kube-api-authn-webhook.yaml";
use crate::pki::bundle::SSL_DIR as SSL;

fn ssl(name: &str) -> String {
    format!("{SSL}/{name}.pem")
}
fn ssl_key(name: &str) -> String {
    format!("{SSL}/{name}-key.pem")
}
fn kubecfg(name: &str) -> String {
    format!("{SSL}/kubecfg-{name}.yaml")
}

/// The container every Kubernetes component of a host gets its entrypoint from.
pub fn sidekick(cfg: &ClusterConfig) -> ContainerSpec {
    // RKE1's command (never run: the container is only created); the same, so RKE1's is adopted
    let mut spec = ContainerSpec::new(SIDEKICK, cfg.system_images.kubernetes_services_sidecar.clone().unwrap_or_default(), Vec::new());
    spec.entrypoint = Some(vec!["/bin/bash".into()]);
    spec.network_mode = "none".into();
    spec.restart = "no".into();
    spec.create_only = true;
    spec
}

/// A Kubernetes component: the `kubernetes` image run through the sidekick's entrypoint, or
/// for an upstream release upstream's own image (`versioned::component_image`).
pub(super) fn component(cfg: &ClusterConfig, name: &str, args: Vec<String>, env: Vec<String>, binds: Vec<String>, inputs: String) -> ContainerSpec {
    let (image, entrypoint, uses_sidekick) = versioned::component_image(cfg, name);
    // rke-tools' entrypoint and the node image's take the component name first; a binary run
    // directly takes only its flags
    let mut cmd = if uses_sidekick || entrypoint.is_none() { vec![name.to_string()] } else { Vec::new() };
    cmd.extend(args);
    let mut spec = ContainerSpec::new(name, image, cmd);
    spec.entrypoint = entrypoint;
    spec.env = env;
    spec.binds = binds;
    if uses_sidekick {
        spec.volumes_from = vec![SIDEKICK.into()];
    }
    spec.labels.insert(INPUTS_LABEL.into(), inputs);
    spec
}

/// Digest of certificates and files a component reads, so a change restarts it.
pub(super) fn digest(bundle: &Bundle, certs: &[&str], extra: &[&str]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in certs {
        if let Some(p) = bundle.get(*c) {
            parts.push(&p.certificate_pem);
            parts.push(&p.key_pem);
        }
    }
    parts.extend(extra);
    inputs_digest(parts)
}

fn ca_label(bundle: &Bundle) -> String {
    inputs_digest([bundle.get(names::CA).map(|c| c.certificate_pem.as_str()).unwrap_or("")])
}

pub fn apiserver(cfg: &ClusterConfig, node: &Node, bundle: &Bundle, file_digests: &[&str], encryption: Option<&str>) -> ContainerSpec {
    let svc = &cfg.services.kube_api;
    // the local etcd member first, as RKE lists them
    let mut etcd_nodes: Vec<&Node> = cfg.nodes.iter().filter(|n| n.has_role("etcd")).collect();
    etcd_nodes.sort_by_key(|n| n.address != node.address);
    let etcd_servers = etcd_nodes.iter().map(|n| format!("https://{}:{}", etcd::internal(n), etcd::CLIENT_PORT)).collect::<Vec<_>>().join(",");
    let mut f = Flags::default();
    f.set("admission-control-config-file", format!("/etc/kubernetes/{ADMISSION_CONFIG}"))
        .set("authorization-mode", "Node,RBAC")
        .set("client-ca-file", ssl(names::CA))
        .set("etcd-cafile", ssl(names::CA))
        .set("etcd-certfile", ssl(names::NODE))
        .set("etcd-keyfile", ssl_key(names::NODE))
        .set("etcd-prefix", "/registry")
        .set("etcd-servers", etcd_servers)
        .set("kubelet-client-certificate", ssl(names::APISERVER))
        .set("kubelet-client-key", ssl_key(names::APISERVER))
        .set("proxy-client-cert-file", ssl(names::PROXY_CLIENT))
        .set("proxy-client-key-file", ssl_key(names::PROXY_CLIENT))
        .set("requestheader-allowed-names", names::PROXY_CLIENT)
        .set("requestheader-client-ca-file", ssl(names::REQUESTHEADER_CA))
        .set("service-account-key-file", ssl_key(names::SERVICE_ACCOUNT))
        .set("service-cluster-ip-range", svc.service_cluster_ip_range.clone().unwrap_or_default())
        .set("service-node-port-range", svc.service_node_port_range.clone().unwrap_or_default())
        .set("tls-cert-file", ssl(names::APISERVER))
        .set("tls-private-key-file", ssl_key(names::APISERVER));
    if let Some((k, v)) = versioned::cloud_provider_flag(cfg) {
        f.set(k, v);
    }
    if etcd::internal(node).parse::<std::net::IpAddr>().is_ok() {
        // a host name here would make kube-apiserver fail to start: RKE1 sets it only for an IP
        f.set("advertise-address", etcd::internal(node));
    }
    if let Some(audit) = super::apiserver::flags(cfg) {
        for (k, v) in audit {
            f.set(k, v);
        }
    }
    if crate::pki::serving_certificates(cfg) {
        // the kubelets serve with certificates of the cluster CA: kube-apiserver verifies them
        f.set("kubelet-certificate-authority", ssl(names::CA));
    }
    if let Some(webhook) = super::apiserver::authn_webhook(cfg) {
        f.set("authentication-token-webhook-config-file", WEBHOOK_CONFIG).set("authentication-token-webhook-cache-ttl", webhook.cache_timeout);
    }
    if encryption.is_some() {
        f.set("encryption-provider-config", super::encryption::CONTAINER_PATH);
    }
    f.layer(&versions::cluster_service_options(cfg, "kube-api"));
    // RKE1 appends these plugins to the admission list of its per-version options
    for (on, plugin) in [(svc.always_pull_images.unwrap_or(false), "AlwaysPullImages"), (super::apiserver::event_rate_limit_enabled(cfg), "EventRateLimit")] {
        if on {
            f.append_to_first(&["enable-admission-plugins", "admission-control"], plugin);
        }
    }
    f.layer(&svc.extra_args);
    let mut binds = vec![format!("{}:/etc/kubernetes:z", prefixed(cfg, "/etc/kubernetes"))];
    let audit_enabled = super::apiserver::enabled(cfg);
    if audit_enabled {
        binds.push(format!("{}:{AUDIT_LOG_DIR}", prefixed(cfg, AUDIT_LOG_DIR)));
    }
    let mut binds = versioned::binds(cfg, binds);
    binds.extend(svc.extra_binds.iter().cloned());
    // RKE passes file checksums as env so that a changed file recreates the container
    let mut env = Vec::new();
    if !svc.extra_args.contains_key("admission-control-config-file") {
        env.push(format!("RKE_ADMISSION_CONFIG_CHECKSUM={}", file_digests.first().copied().unwrap_or("")));
    }
    if audit_enabled {
        env.push(format!("RKE_AUDITLOG_CONFIG_CHECKSUM={}", file_digests.get(1).copied().unwrap_or("")));
    }
    env.extend(svc.extra_env.iter().cloned());
    // a changed encryption configuration must restart the apiserver (it reads it at start)
    let inputs = digest(bundle, &[names::CA, names::APISERVER, names::NODE, names::SERVICE_ACCOUNT, names::PROXY_CLIENT, names::REQUESTHEADER_CA], &encryption.into_iter().collect::<Vec<_>>());
    let mut c = component(cfg, APISERVER, f.render(&svc.extra_args_array), env, binds, inputs);
    c.labels.insert(CA_LABEL.into(), ca_label(bundle));
    c
}

pub fn controller_manager(cfg: &ClusterConfig, bundle: &Bundle) -> ContainerSpec {
    let svc = &cfg.services.kube_controller;
    let cfg_file = kubecfg(names::CONTROLLER);
    let mut f = Flags::default();
    f.set("cluster-cidr", svc.cluster_cidr.clone().unwrap_or_default())
        .set("kubeconfig", &cfg_file)
        .set("root-ca-file", ssl(names::CA))
        .set("service-account-private-key-file", ssl_key(names::SERVICE_ACCOUNT))
        .set("service-cluster-ip-range", svc.service_cluster_ip_range.clone().unwrap_or_default())
        .set("use-service-account-credentials", "true");
    if let Some((k, v)) = versioned::cloud_provider_flag(cfg) {
        f.set(k, v);
    }
    f.layer(&versions::cluster_service_options(cfg, "kube-controller"));
    if versioned::delegated_auth_kubeconfig(cfg) {
        f.set("authentication-kubeconfig", &cfg_file).set("authorization-kubeconfig", &cfg_file);
    }
    f.layer(&svc.extra_args);
    let mut binds = versioned::binds(cfg, vec![format!("{}:/etc/kubernetes:z", prefixed(cfg, "/etc/kubernetes"))]);
    binds.extend(svc.extra_binds.iter().cloned());
    let inputs = digest(bundle, &[names::CA, names::CONTROLLER, names::SERVICE_ACCOUNT], &[]);
    component(cfg, CONTROLLER, f.render(&svc.extra_args_array), svc.extra_env.clone(), binds, inputs)
}

pub fn scheduler(cfg: &ClusterConfig, bundle: &Bundle) -> ContainerSpec {
    let svc = &cfg.services.scheduler;
    let cfg_file = kubecfg(names::SCHEDULER);
    let mut f = Flags::default();
    f.set("kubeconfig", &cfg_file);
    f.layer(&versions::cluster_service_options(cfg, "scheduler"));
    if versioned::delegated_auth_kubeconfig(cfg) {
        f.set("authentication-kubeconfig", &cfg_file).set("authorization-kubeconfig", &cfg_file);
    }
    f.layer(&svc.extra_args);
    let mut binds = versioned::binds(cfg, vec![format!("{}:/etc/kubernetes:z", prefixed(cfg, "/etc/kubernetes"))]);
    binds.extend(svc.extra_binds.iter().cloned());
    let inputs = digest(bundle, &[names::CA, names::SCHEDULER], &[]);
    component(cfg, SCHEDULER, f.render(&svc.extra_args_array), svc.extra_env.clone(), binds, inputs)
}
