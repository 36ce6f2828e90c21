//! What changes with the Kubernetes version, per RKE1's code for each minor (rancher/rke
//! `cluster/plan.go`, `cluster/defaults.go`, read for facts). The default flags themselves come
//! from RKE1's metadata (`versions::cluster_service_options`): dockershim's kubelet flags below 1.24,
//! etcd's v2 API up to 1.21, kube-apiserver's ServiceAccountIssuerDiscovery gate in 1.20, ...
//! Here are the decisions RKE1 makes in code:
//! - below 1.22, RKE's own bind mounts carry SELinux's `z` relabel option (removed from 1.22 on);
//! - from 1.22, controller-manager and scheduler get `--authentication-kubeconfig` and
//!   `--authorization-kubeconfig`;
//! - cri-dockerd is on by default from 1.24; when on, the kubelet talks to it over
//!   `unix:///var/run/cri-dockerd.sock` (1.24 on; below that RKE points it at dockershim's socket)
//!   with `--container-runtime=remote` below 1.27 (the flag is gone in 1.27);
//! - the PodSecurity admission configuration exists from 1.23: `v1beta1` in 1.23 and 1.24,
//!   `v1` from 1.25;
//! - controller-manager's /healthz is checked on plain-HTTP 10252 up to 1.21, the scheduler's on
//!   10251 up to 1.22 (their insecure ports, bound by `--address` from RKE1's options); on the
//!   self-signed TLS ports 10257/10259 after;
//! - upstream releases (1.33 on, `versions::upstream`) run upstream's distroless images directly.
use crate::config::ClusterConfig;
use crate::versions;

fn version(cfg: &ClusterConfig) -> &str {
    cfg.kubernetes_version.as_deref().unwrap_or_default()
}

fn minor(cfg: &ClusterConfig) -> (u32, u32) {
    versions::minor_of(version(cfg))
}

/// Below 1.22 RKE relabels its bind mounts for SELinux (`z`); from 1.22 it removes the option.
pub fn binds(cfg: &ClusterConfig, binds: Vec<String>) -> Vec<String> {
    if minor(cfg) < (1, 22) { binds } else { binds.into_iter().map(|b| without_z(&b)).collect() }
}

/// `src:dst:opts` without the `z` option (RKE's `RemoveZFromBinds`).
fn without_z(bind: &str) -> String {
    let Some((head, opts)) = bind.rsplit_once(':') else { return bind.to_string() };
    if !opts.split(',').any(|o| o.eq_ignore_ascii_case("z")) {
        return bind.to_string();
    }
    let kept: Vec<&str> = opts.split(',').filter(|o| !o.eq_ignore_ascii_case("z")).collect();
    if kept.is_empty() { head.to_string() } else { format!("{head}:{}", kept.join(",")) }
}

/// Docker's SELinux labels on a non-privileged container of a host whose Docker runs with SELinux
/// (rancher/rke `services.GetProcessConfig`): the sidekick and every container that takes its
/// volume get the same MCS level, so they can share it; from 1.22, where the binds lost `z`,
/// every such container also gets RKE's `rke_container_t` type (rancher-selinux's policy).
pub fn selinux_options(cfg: &ClusterConfig, spec: &super::ContainerSpec) -> Vec<String> {
    if spec.privileged {
        return Vec::new();
    }
    let mut opts = Vec::new();
    if spec.name == super::controlplane::SIDEKICK || spec.volumes_from.iter().any(|v| v == super::controlplane::SIDEKICK) {
        opts.push(SELINUX_MCS_LABEL.to_string());
    }
    if minor(cfg) >= (1, 22) {
        opts.push(SELINUX_TYPE_LABEL.to_string());
    }
    opts
}

/// RKE1's SELinux type for its containers (provided by the rancher-selinux package).
pub const SELINUX_TYPE_LABEL: &str = "label=type:rke_container_t";
/// RKE1's fixed MCS level shared by the sidekick and the components using its volume.
pub const SELINUX_MCS_LABEL: &str = "label=level:s0:c1000,c1001";

/// RKE1 passes `--cloud-provider=<name>` to kube-apiserver, kube-controller-manager and the
/// kubelet even with no cloud provider (an empty value: every RKE1 cluster has `--cloud-provider=`).
/// The upstream releases stockade runs past RKE1 leave it out.
pub fn cloud_provider_flag(cfg: &ClusterConfig) -> Option<(&'static str, &'static str)> {
    (!upstream(cfg)).then_some(("cloud-provider", ""))
}

/// controller-manager and scheduler authenticate delegated requests with their kubeconfig from 1.22.
pub fn delegated_auth_kubeconfig(cfg: &ClusterConfig) -> bool {
    minor(cfg) >= (1, 22)
}

/// cri-dockerd replaces dockershim from Kubernetes 1.24 on; `enable_cri_dockerd` overrides.
pub fn cri_dockerd(cfg: &ClusterConfig) -> bool {
    cfg.enable_cri_dockerd.unwrap_or(minor(cfg) >= (1, 24))
}

/// The kubelet's container runtime flags when cri-dockerd is on.
pub fn runtime_flags(cfg: &ClusterConfig) -> Vec<(&'static str, &'static str)> {
    if !cri_dockerd(cfg) {
        return Vec::new();
    }
    let mut flags = Vec::new();
    if minor(cfg) < (1, 27) {
        flags.push(("container-runtime", "remote"));
    }
    if minor(cfg) >= (1, 24) {
        flags.push(("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock"));
    } else {
        flags.push(("container-runtime-endpoint", "/var/run/dockershim.sock"));
    }
    flags
}

/// cri-dockerd keeps its state in `/var/lib/cri-dockerd` (RKE mounts it from 1.24 on).
pub fn cri_dockerd_state_bind(cfg: &ClusterConfig) -> bool {
    cri_dockerd(cfg) && minor(cfg) >= (1, 24)
}

/// The `apiVersion` of the PodSecurity plugin configuration, or None below 1.23 (no plugin).
pub fn pod_security_api(cfg: &ClusterConfig) -> Option<&'static str> {
    match minor(cfg) {
        m if m < (1, 23) => None,
        m if m < (1, 25) => Some("pod-security.admission.config.k8s.io/v1beta1"),
        _ => Some("pod-security.admission.config.k8s.io/v1"),
    }
}

/// Where controller-manager and scheduler answer /healthz, and whether over TLS: RKE1 checks the
/// plain-HTTP ports up to the last minor that serves them (controller-manager 10252 to 1.21,
/// scheduler 10251 to 1.22), the self-signed TLS ports (10257, 10259) after.
pub fn health_port(cfg: &ClusterConfig, component: &str) -> (u16, bool) {
    let m = minor(cfg);
    match component {
        super::controlplane::CONTROLLER if m < (1, 22) => (10252, false),
        super::controlplane::CONTROLLER => (10257, true),
        super::controlplane::SCHEDULER if m < (1, 23) => (10251, false),
        _ => (10259, true),
    }
}

/// An upstream release: components run upstream's own images and binaries.
pub fn upstream(cfg: &ClusterConfig) -> bool {
    versions::upstream::is_upstream(version(cfg))
}

/// The image and entrypoint of a Kubernetes component: RKE's `kubernetes` image through
/// rke-tools' entrypoint, or for an upstream release upstream's image of the component run
/// directly (the kubelet runs from the node image's own entrypoint).
pub fn component_image(cfg: &ClusterConfig, component: &str) -> (String, Option<Vec<String>>, bool) {
    let kubernetes = cfg.system_images.kubernetes.clone().unwrap_or_default();
    if !upstream(cfg) {
        return (kubernetes, Some(vec![super::controlplane::ENTRYPOINT.into()]), true);
    }
    if versions::upstream::COMPONENT_IMAGES.contains(&component) {
        let registry = versions::default_registry(cfg);
        let image = versions::upstream::component_image(version(cfg), component, registry.as_deref());
        return (image, Some(vec![versions::upstream::binary(component)]), false);
    }
    (kubernetes, None, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    fn at(v: &str) -> ClusterConfig {
        ClusterConfig { kubernetes_version: Some(v.into()), ..Default::default() }
    }
    #[test]
    fn z_only_below_1_22() {
        let b = vec!["/a:/a:rw,z".to_string(), "/b:/b:z".into(), "/c:/c".into(), "/d:/d:ro".into()];
        assert_eq!(binds(&at("v1.21.14-rancher1-1"), b.clone()), b);
        assert_eq!(binds(&at("v1.22.17-rancher1-2"), b), vec!["/a:/a:rw", "/b:/b", "/c:/c", "/d:/d:ro"]);
    }
    #[test]
    fn runtime_by_minor() {
        assert!(runtime_flags(&at("v1.23.16-rancher2-3")).is_empty(), "dockershim");
        let mut c = at("v1.23.16-rancher2-3");
        c.enable_cri_dockerd = Some(true);
        assert_eq!(runtime_flags(&c), vec![("container-runtime", "remote"), ("container-runtime-endpoint", "/var/run/dockershim.sock")]);
        assert_eq!(runtime_flags(&at("v1.26.15-rancher1-1")), vec![("container-runtime", "remote"), ("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock")]);
        assert_eq!(runtime_flags(&at("v1.27.16-rancher1-1")), vec![("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock")]);
        assert_eq!(runtime_flags(&at("v1.33.5")), vec![("container-runtime-endpoint", "unix:///var/run/cri-dockerd.sock")]);
    }
    #[test]
    fn legacy_health_ports_where_rke1_uses_them() {
        use super::super::controlplane::{CONTROLLER, SCHEDULER};
        assert_eq!(health_port(&at("v1.21.14-rancher1-1"), CONTROLLER), (10252, false));
        assert_eq!(health_port(&at("v1.22.17-rancher1-2"), CONTROLLER), (10257, true));
        assert_eq!(health_port(&at("v1.22.17-rancher1-2"), SCHEDULER), (10251, false));
        assert_eq!(health_port(&at("v1.23.16-rancher2-3"), SCHEDULER), (10259, true));
    }
    #[test]
    fn pod_security_by_minor() {
        assert_eq!(pod_security_api(&at("v1.22.17-rancher1-2")), None);
        assert_eq!(pod_security_api(&at("v1.24.17-rancher1-1")), Some("pod-security.admission.config.k8s.io/v1beta1"));
        assert_eq!(pod_security_api(&at("v1.25.16-rancher2-3")), Some("pod-security.admission.config.k8s.io/v1"));
    }
}
