//! The plan: pure functions from the configuration and the certificate bundle to what every
//! host should run and hold. No I/O here; `apply` compares this with what hosts report.
pub mod apiserver;
pub mod args;
pub mod container;
pub mod controlplane;
pub mod encryption;
pub mod etcd;
pub mod files;
pub mod membership;
pub mod rollout;
pub mod upgrade;
pub mod versioned;
pub mod worker;

pub use container::ContainerSpec;
pub use files::FileSpec;

use crate::config::{ClusterConfig, Node};
use crate::pki::Bundle;

#[derive(Debug)]
pub struct HostPlan {
    pub address: String,
    pub containers: Vec<ContainerSpec>,
    pub files: Vec<FileSpec>,
    /// every image this host needs, the helper image included
    pub images: Vec<String>,
}

#[derive(Debug)]
pub struct Plan {
    pub hosts: Vec<HostPlan>,
    /// image of the short-lived helper containers that write and clean host directories
    /// (RKE's `alpine` slot, rancher/rke-tools)
    pub helper_image: String,
    /// names of the environment variables the user set (`extra_env`): proxy credentials and
    /// cloud keys live there, so their values never appear in a rendered plan
    pub user_env: std::collections::BTreeSet<String>,
}

impl Plan {
    /// Containers whose image is not known: a `kubernetes_version` with no default images
    /// and slots left empty under `system_images`. Checked before any host is contacted,
    /// rather than failing half-way with an empty image name.
    pub fn missing_images(&self) -> Vec<String> {
        let mut missing: Vec<String> = self
            .hosts
            .iter()
            .flat_map(|h| h.containers.iter())
            .filter(|c| c.image.trim().is_empty())
            .map(|c| c.name.clone())
            .chain(self.helper_image.trim().is_empty().then(|| "helper containers (system_images.alpine)".to_string()))
            .collect();
        missing.sort();
        missing.dedup();
        missing
    }
}

/// Host directories `remove` cleans (RKE's `CleanUpAll`); etcd snapshots under /opt/rke are
/// deliberately kept.
///
/// Exactly what RKE1 cleans (rancher/rke hosts/hosts.go `CleanUpAll`); `/var/lib/etcd` only on
/// etcd hosts. Never `/var/lib/kubelet`: pods' volumes (NFS, iSCSI, CSI, secrets) are mounted
/// below it, and removing through them deletes the volumes' data.
pub const CLEANED_DIRS: [&str; 6] = ["/etc/kubernetes", "/etc/cni", "/opt/cni", "/var/run/calico", "/var/lib/cni", "/var/lib/etcd"];

/// `host_path` joined under `prefix_path`, as RKE does for its host directories. For one host's
/// paths take the config from [`on_host`] first (RKE1's prefix may differ per host).
pub fn prefixed(cfg: &ClusterConfig, host_path: &str) -> String {
    let prefix = cfg.prefix_path.as_deref().unwrap_or("/").trim_end_matches('/');
    format!("{prefix}{host_path}")
}

/// The prefix RKE1 takes on a host whose Docker reports `operating_system` when `prefix_path` is
/// unset ("/" is RKE1's unset): Boot2Docker `/mnt/sda1/rke`; RancherOS, CoreOS (Container Linux
/// and Fedora CoreOS alike: a substring match) and Flatcar `/opt/rke`. Their `/` is read-only or
/// not persistent, so RKE1 clusters on them keep etcd's data and the certificates there
/// (rancher/rke hosts/hosts.go `SetPrefixPath`, checked in that order).
pub fn os_default_prefix(operating_system: &str) -> Option<&'static str> {
    const DEFAULTS: [(&str, &str); 4] = [("Boot2Docker", "/mnt/sda1/rke"), ("RancherOS", "/opt/rke"), ("CoreOS", "/opt/rke"), ("Flatcar", "/opt/rke")];
    DEFAULTS.iter().find(|(os, _)| operating_system.contains(os)).map(|(_, p)| *p)
}

/// The configuration as it applies on a host whose Docker reports `operating_system`: the same,
/// except that `prefix_path` is RKE1's default for that system when the file leaves it unset.
pub fn on_host<'a>(cfg: &'a ClusterConfig, operating_system: &str) -> std::borrow::Cow<'a, ClusterConfig> {
    let unset = cfg.prefix_path.as_deref().is_none_or(|p| p.is_empty() || p == "/");
    match os_default_prefix(operating_system).filter(|_| unset) {
        Some(p) => {
            let mut c = cfg.clone();
            c.prefix_path = Some(p.to_string());
            std::borrow::Cow::Owned(c)
        }
        None => std::borrow::Cow::Borrowed(cfg),
    }
}

/// What `up` read from a host's Docker (`docker info`) that changes the host's plan, as RKE1
/// reads it: where Docker keeps its data (the kubelet must see it at the same path), whether
/// Docker runs with SELinux, and the machine's architecture. A plan made without the hosts (`--offline`) uses the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct HostFacts {
    pub docker_root: String,
    pub selinux: bool,
    /// Docker's `Architecture` (`x86_64`, `aarch64`): RKE1 tells etcd which it runs on
    pub arch: String,
    /// Docker's `OperatingSystem`: on some systems RKE1's default `prefix_path` differs ([`on_host`])
    pub operating_system: String,
}

impl Default for HostFacts {
    fn default() -> Self {
        HostFacts { docker_root: "/var/lib/docker".into(), selinux: false, arch: "x86_64".into(), operating_system: String::new() }
    }
}

/// What the plan needs besides the configuration.
#[derive(Default)]
pub struct Inputs {
    /// per host address; a host missing here gets `HostFacts::default()`
    pub facts: std::collections::BTreeMap<String, HostFacts>,
    pub bundle: Bundle,
    /// etcd hosts that joined (or join in this run) an existing cluster; their etcd starts
    /// with `--initial-cluster-state=existing`
    pub joined: std::collections::BTreeSet<String>,
    /// the secrets EncryptionConfiguration, when encryption at rest is enabled
    pub encryption: Option<String>,
}

pub fn build(cfg: &ClusterConfig, inputs: &Inputs) -> Plan {
    let (bundle, joined) = (&inputs.bundle, &inputs.joined);
    let etcd_members: Vec<&Node> = cfg.nodes.iter().filter(|n| n.has_role("etcd")).collect();
    let helper_image = cfg.system_images.alpine.clone().unwrap_or_default();
    let (admission, audit) = (files::admission_config(cfg), files::audit_policy(cfg));
    let hosts = cfg
        .nodes
        .iter()
        .map(|n| {
            let has = |r: &str| n.has_role(r);
            let facts = inputs.facts.get(&n.address).cloned().unwrap_or_default();
            // every path on this host under its own prefix (RKE1's default differs per system)
            let cfg = &*on_host(cfg, &facts.operating_system);
            let mut containers = Vec::new();
            if has("etcd") {
                containers.push(etcd::container(cfg, n, &etcd_members, bundle, joined.contains(&n.address), &facts));
            }
            // every host runs Kubernetes components: they take their entrypoint from the sidekick
            // (upstream releases run their images' own binaries and need none)
            if !versioned::upstream(cfg) {
                containers.push(controlplane::sidekick(cfg));
            }
            if has("controlplane") {
                let digests = [container::inputs_digest([admission.as_str()]), container::inputs_digest([audit.as_str()])];
                let digests: Vec<&str> = digests.iter().map(String::as_str).collect();
                containers.push(controlplane::apiserver(cfg, n, bundle, &digests, inputs.encryption.as_deref()));
                containers.push(controlplane::controller_manager(cfg, bundle));
                containers.push(controlplane::scheduler(cfg, bundle));
            } else {
                containers.push(worker::nginx_proxy(cfg));
            }
            containers.push(worker::kubelet(cfg, n, bundle, &facts));
            containers.push(worker::kube_proxy(cfg, n, bundle));
            if facts.selinux {
                for c in &mut containers {
                    c.security_opt = versioned::selinux_options(cfg, c);
                }
            }
            let mut images: Vec<String> = containers.iter().map(|c| c.image.clone()).collect();
            images.push(helper_image.clone());
            // kubelet starts every pod's sandbox from it: RKE1 pre-pulls it with the kubernetes image
            let pause = worker::pod_infra_image(cfg);
            if !pause.is_empty() {
                images.push(pause);
            }
            images.sort();
            images.dedup();
            let mut files = files::for_host(cfg, n, bundle);
            files.extend(worker::registry_credentials(cfg));
            if let (true, Some(enc)) = (has("controlplane"), &inputs.encryption) {
                let dir = prefixed(cfg, "/etc/kubernetes");
                files.push(FileSpec { dir, name: encryption::FILE.into(), content: enc.clone().into_bytes(), mode: files::FILE_MODE, owner: None });
                files.sort_by(|a, b| a.name.cmp(&b.name));
            }
            HostPlan { address: n.address.clone(), containers, files, images }
        })
        .collect();
    let s = &cfg.services;
    let user_env = [&s.etcd.extra_env, &s.kube_api.extra_env, &s.kube_controller.extra_env, &s.scheduler.extra_env, &s.kubelet.extra_env, &s.kubeproxy.extra_env]
        .into_iter()
        .flatten()
        .map(|e| e.split('=').next().unwrap_or_default().to_string())
        .collect();
    Plan { hosts, helper_image, user_env }
}

impl Plan {
    /// The plan as data, for review: per host the containers (every field; the values of the
    /// user's `extra_env` replaced by `<redacted>`), the files (path and mode; contents hold
    /// keys, so only their paths) and the images. The golden files under tests/golden have this
    /// shape, and so has `up --dry-run --offline --output json`.
    pub fn document(&self) -> serde_json::Value {
        let hosts: serde_json::Map<String, serde_json::Value> = self
            .hosts
            .iter()
            .map(|h| {
                let files: Vec<String> = h.files.iter().map(|f| format!("{} {:o}", f.path(), f.mode)).collect();
                let containers: Vec<serde_json::Value> = h
                    .containers
                    .iter()
                    .map(|c| {
                        let mut v = serde_json::to_value(c).expect("spec serialises");
                        for e in v["env"].as_array_mut().into_iter().flatten() {
                            let name = e.as_str().and_then(|e| e.split_once('=')).map(|(n, _)| n.to_string());
                            if let Some(n) = name.filter(|n| self.user_env.contains(n)) {
                                *e = serde_json::Value::String(format!("{n}=<redacted>"));
                            }
                        }
                        v
                    })
                    .collect();
                (h.address.clone(), serde_json::json!({ "containers": containers, "files": files, "images": h.images }))
            })
            .collect();
        serde_json::json!({ "helper_image": self.helper_image, "hosts": hosts })
    }

    /// The plan as text: per host its images, files and containers with image, command,
    /// environment names, mounts and labels. Environment values are left out (they may hold
    /// `extra_env` secrets).
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for h in &self.hosts {
            out.push_str(&format!("{}:
", h.address));
            for i in &h.images {
                out.push_str(&format!("  image      {i}\n"));
            }
            for f in &h.files {
                out.push_str(&format!("  file       {} {:o}\n", f.path(), f.mode));
            }
            for c in &h.containers {
                let how = if c.create_only { " (created, not started)" } else { "" };
                out.push_str(&format!("  container  {} {}{how}\n", c.name, c.image));
                if let Some(e) = &c.entrypoint {
                    out.push_str(&format!("    entrypoint {}\n", e.join(" ")));
                }
                for a in &c.cmd {
                    out.push_str(&format!("    {a}\n"));
                }
                for e in &c.env {
                    out.push_str(&format!("    env {}\n", e.split('=').next().unwrap_or_default()));
                }
                for b in &c.binds {
                    out.push_str(&format!("    bind {b}\n"));
                }
                for (k, v) in &c.labels {
                    out.push_str(&format!("    label {k}={v}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
