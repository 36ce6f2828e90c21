//! Upstream Kubernetes releases, for the minors after RKE1's last (1.32): a version written as
//! upstream writes it (`v1.33.5`, no `-rancher` suffix). RKE1 published no images for them, so:
//! - kube-apiserver, kube-controller-manager, kube-scheduler and kube-proxy run upstream's own
//!   images from registry.k8s.io (`registry.k8s.io/kube-apiserver:v1.33.5`). They are distroless:
//!   no shell, so they run their binary directly instead of rke-tools' entrypoint.
//! - the kubelet and cri-dockerd run from the node image the project builds from upstream release
//!   binaries (`images/kubelet/Dockerfile`); it is the `kubernetes` system image of these versions.
//! - etcd, pause and CoreDNS are the versions kubeadm pins for the minor; rke-tools and the network
//!   add-ons are those of RKE1's newest release whose images are public.
//!
//! Default flags are RKE1's for its last minor, less what upstream removed (see [`REMOVED_FLAGS`]).
use std::collections::BTreeMap;

/// Upstream minors stockade plans for.
pub const MINORS: [(u32, u32); 1] = [(1, 33)];
pub const REGISTRY: &str = "registry.k8s.io";
/// The project's node image (kubelet + cri-dockerd), built by `images/kubelet/Dockerfile`.
pub const NODE_IMAGE: &str = "stockade/kubelet";
/// Components that run upstream's own image and binary.
pub const COMPONENT_IMAGES: [&str; 4] = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"];

/// Per minor, the images kubeadm pins besides the Kubernetes ones (etcd, pause, CoreDNS).
fn pinned(minor: (u32, u32)) -> Option<[(&'static str, &'static str); 3]> {
    match minor {
        (1, 33) => Some([("etcd", "etcd:3.5.21-0"), ("pod_infra_container", "pause:3.10"), ("coredns", "coredns/coredns:v1.12.0")]),
        _ => None,
    }
}

/// Flags upstream removed, by the minor that removed them and the component (RKE's service
/// names). RKE1's flag sets already dropped most before 1.32; the plan of an upstream version must
/// carry none of these, whatever the minor.
pub const REMOVED_FLAGS: &[(&str, (u32, u32), &str, &str)] = &[
    // (component, removed in, flag, source)
    ("kube-api", (1, 24), "insecure-port", "kube-apiserver: insecure serving removed in 1.24"),
    ("kubelet", (1, 24), "network-plugin", "dockershim removed in 1.24"),
    ("kubelet", (1, 24), "cni-bin-dir", "dockershim removed in 1.24"),
    ("kubelet", (1, 24), "cni-conf-dir", "dockershim removed in 1.24"),
    ("kube-controller", (1, 24), "address", "insecure serving removed in 1.24"),
    ("scheduler", (1, 24), "address", "insecure serving removed in 1.24"),
    ("kube-api", (1, 25), "service-account-api-audiences", "removed in 1.25, use api-audiences"),
    ("kubelet", (1, 27), "container-runtime", "removed in 1.27"),
    ("kube-controller", (1, 27), "pod-eviction-timeout", "removed in 1.27"),
    ("kube-controller", (1, 27), "enable-taint-manager", "removed in 1.27"),
    ("kubelet", (1, 31), "keep-terminated-pod-volumes", "removed in 1.31"),
    ("kube-api", (1, 33), "cloud-config", "kube-apiserver --cloud-config removed in 1.33 (kubernetes#130162)"),
];

/// RKE1's 1.32 flags that upstream 1.33 does not take as they are: `runtime-config` enables
/// `authorization.k8s.io/v1beta1`, an API version removed in Kubernetes 1.22.
const DROPPED_FROM_RKE: &[(&str, &str)] = &[("kube-api", "runtime-config")];

/// `v1.33.5`: an upstream release (no `-rancher` suffix) of a minor after RKE1's last.
pub fn is_upstream(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else { return false };
    let parts: Vec<&str> = rest.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) && super::minor_of(version) > (1, 32)
}

/// An upstream release of a minor stockade plans for.
pub fn is_supported(version: &str) -> bool {
    is_upstream(version) && MINORS.contains(&super::minor_of(version))
}

/// The image of an upstream component (`kube-apiserver`, ...), from `registry` when the cluster
/// has a default private registry (it stands in for registry.k8s.io), else registry.k8s.io.
pub fn component_image(version: &str, component: &str, registry: Option<&str>) -> String {
    format!("{}/{component}:{version}", registry.unwrap_or(REGISTRY))
}

/// The path of a component's binary in upstream's images.
pub fn binary(component: &str) -> String {
    format!("/usr/local/bin/{component}")
}

/// Default system_images of an upstream release.
pub fn system_images(version: &str) -> Option<BTreeMap<String, String>> {
    if !is_supported(version) {
        return None;
    }
    let base = super::newest_public_version()?;
    let mut images = super::system_images(&base)?;
    for (key, image) in pinned(super::minor_of(version))? {
        images.insert(key.to_string(), format!("{REGISTRY}/{image}"));
    }
    images.insert("kubernetes".into(), format!("{NODE_IMAGE}:{version}"));
    images.remove("windows_pod_infra_container");
    Some(images)
}

/// Default flags of an upstream release: RKE1's for its last minor less what upstream dropped
/// (the same for every upstream minor until one needs its own).
pub fn service_options(_version: &str, service: &str) -> BTreeMap<String, String> {
    let mut flags = super::rke_service_options("v1.32", service);
    for (component, flag) in DROPPED_FROM_RKE {
        if *component == service {
            flags.remove(*flag);
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn upstream_versions_are_recognised() {
        assert!(is_upstream("v1.33.5") && is_supported("v1.33.0"));
        assert!(!is_upstream("v1.32.13-rancher1-1") && !is_upstream("v1.32.2") && !is_upstream("v1.33.5-rc.0"));
        assert!(is_upstream("v1.34.1") && !is_supported("v1.34.1"), "a later minor is upstream but not planned yet");
        assert!(super::super::is_known("v1.33.2"));
    }

    #[test]
    fn images_come_from_registry_k8s_io_and_the_node_image() {
        let i = system_images("v1.33.5").unwrap();
        assert_eq!(i["kubernetes"], "stockade/kubelet:v1.33.5");
        assert_eq!(i["etcd"], "registry.k8s.io/etcd:3.5.21-0");
        assert_eq!(i["pod_infra_container"], "registry.k8s.io/pause:3.10");
        assert_eq!(i["alpine"], "rancher/rke-tools:v0.1.114", "rke-tools of v1.32.6-rancher1-1, RKE1's newest public release");
        assert!(i.values().all(|img| !super::super::needs_subscription(img)));
        assert_eq!(component_image("v1.33.5", "kube-apiserver", None), "registry.k8s.io/kube-apiserver:v1.33.5");
        assert_eq!(component_image("v1.33.5", "kube-proxy", Some("reg.example:5000")), "reg.example:5000/kube-proxy:v1.33.5");
    }

    /// The node image's entrypoint (images/kubelet/entrypoint.sh) with recording stand-ins.
    #[test]
    fn node_image_entrypoint_passes_its_tests() {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/images/kubelet/test_entrypoint.py");
        let out = std::process::Command::new("python3").arg(script).output().expect("python3 runs (a fresh machine has it)");
        assert!(out.status.success(), "{script} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn flags_drop_what_upstream_removed() {
        let api = service_options("v1.33.5", "kube-api");
        assert_eq!(api.get("runtime-config"), None);
        assert_eq!(api.get("secure-port").map(String::as_str), Some("6443"));
        for (component, _, flag, why) in REMOVED_FLAGS {
            assert!(!service_options("v1.33.5", component).contains_key(*flag), "{component} --{flag}: {why}");
        }
    }
}
