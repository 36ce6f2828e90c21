//! Checks that need the whole file, run before any host is contacted. Each failure is one
//! line with the position of the offending value where it can be found.
use super::load::{locate, InputError};
use super::schema::ClusterConfig;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

pub const ROLES: [&str; 3] = ["etcd", "controlplane", "worker"];

pub fn validate(cfg: &ClusterConfig, path: &Path, text: &str) -> Result<(), InputError> {
    let err = |loc, msg: String| Err(InputError::at(path, loc, msg));
    if cfg.nodes.is_empty() {
        return err(locate(text, "nodes", "", 0), "no nodes: list at least one host under `nodes:`".into());
    }
    let mut addresses: HashMap<&str, usize> = HashMap::new();
    let mut hostnames: HashMap<&str, usize> = HashMap::new();
    for (i, n) in cfg.nodes.iter().enumerate() {
        if n.address.trim().is_empty() {
            return err(locate(text, "nodes", "", 0), format!("node {} has no `address`", i + 1));
        }
        let nth = usize::from(addresses.contains_key(n.address.as_str()));
        let here = || locate(text, "address", &n.address, nth);
        if n.user.trim().is_empty() {
            return err(here(), format!("node {} has no `user` (the SSH user, e.g. `user: ubuntu`)", n.address));
        }
        if n.role.is_empty() {
            return err(here(), format!("node {} has no `role` (any of etcd, controlplane, worker)", n.address));
        }
        for r in &n.role {
            if !ROLES.contains(&r.as_str()) {
                let hint = super::load::closest(r, &ROLES).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
                return err(here(), format!("node {}: unknown role `{r}`{hint}; roles are etcd, controlplane, worker", n.address));
            }
        }
        if let Some(first) = addresses.insert(&n.address, i) {
            return err(
                locate(text, "address", &n.address, 1),
                format!("duplicate address {} (nodes {} and {}): each host may appear once", n.address, first + 1, i + 1),
            );
        }
        let h = n.hostname_override.as_deref().unwrap_or(&n.address);
        if !is_dns1123_subdomain(h) {
            return err(
                locate(text, "hostname_override", h, 0).or_else(here),
                format!("node {}: hostname_override `{h}` is not a valid DNS-1123 name (lowercase letters, digits, '-' and '.')", n.address),
            );
        }
        if let Some(first) = hostnames.insert(h, i) {
            return err(
                locate(text, "hostname_override", h, 1).or_else(here),
                format!("duplicate hostname_override {h} (nodes {} and {})", first + 1, i + 1),
            );
        }
        if let Some(p) = &n.port
            && p.parse::<u16>().map_or(true, |p| p == 0)
        {
            return err(locate(text, "port", p, 0), format!("node {}: port `{p}` is not a TCP port", n.address));
        }
    }
    // RKE1 refuses a cluster without etcd or controlplane hosts; without a worker host it is
    // valid: every node runs kubelet and kube-proxy, tainted by its role (plan::worker).
    for (role, why) in [("etcd", "the cluster's datastore"), ("controlplane", "the Kubernetes API server")] {
        if !cfg.nodes.iter().any(|n| n.has_role(role)) {
            return err(
                locate(text, "nodes", "", 0),
                format!("no host has the `{role}` role: at least one is needed to run {why}"),
            );
        }
    }
    let s = &cfg.services;
    for (key, v) in [
        ("service_cluster_ip_range", &s.kube_api.service_cluster_ip_range),
        ("service_cluster_ip_range", &s.kube_controller.service_cluster_ip_range),
        ("cluster_cidr", &s.kube_controller.cluster_cidr),
    ] {
        if let Some(v) = v
            && !is_cidr_list(v)
        {
            return err(locate(text, key, v, 0), format!("{key} `{v}` is not a CIDR (like 10.43.0.0/16), or for dual-stack one IPv4 and one IPv6 CIDR separated by a comma"));
        }
    }
    if let Some(v) = &s.kubelet.cluster_dns_server
        && v.parse::<IpAddr>().is_err()
    {
        return err(locate(text, "cluster_dns_server", v, 0), format!("cluster_dns_server `{v}` is not an IP address"));
    }
    if let Some(r) = &s.kube_api.service_node_port_range {
        let ok = r.split_once('-').is_some_and(|(a, b)| matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if a < b));
        if !ok {
            return err(locate(text, "service_node_port_range", r, 0), format!("service_node_port_range `{r}` must look like 30000-32767"));
        }
    }
    if let Some(b) = &cfg.bastion_host
        && b.address.trim().is_empty()
    {
        return err(locate(text, "bastion_host", "", 0), "bastion_host has no `address`".into());
    }
    if let Some(b) = &cfg.bastion_host
        && let Some(p) = &b.port
        && p.parse::<u16>().map_or(true, |p| p == 0)
    {
        return err(locate(text, "port", p, 0), format!("bastion_host: port `{p}` is not a TCP port"));
    }
    if let Some(p) = cfg.prefix_path.as_deref().filter(|p| !p.is_empty())
        && !p.starts_with('/')
    {
        return err(locate(text, "prefix_path", p, 0), format!("prefix_path `{p}` must be an absolute path (like /opt/rke)"));
    }
    for (service, binds) in [
        ("etcd", &s.etcd.extra_binds),
        ("kube-api", &s.kube_api.extra_binds),
        ("kube-controller", &s.kube_controller.extra_binds),
        ("scheduler", &s.scheduler.extra_binds),
        ("kubelet", &s.kubelet.extra_binds),
        ("kubeproxy", &s.kubeproxy.extra_binds),
    ] {
        for b in binds {
            if let Some(why) = bind_problem(b) {
                return err(locate(text, "extra_binds", b, 0).or_else(|| locate(text, service, "", 0)), format!("services.{service}.extra_binds: `{b}` {why}"));
            }
        }
    }
    if let Some(keys) = s.etcd.backup_config.as_ref().and_then(|b| b.age_recipients.as_ref()) {
        let here = || locate(text, "age_recipients", "", 0);
        if keys.is_empty() {
            return err(here(), "services.etcd.backup_config.age_recipients is empty: list age public keys (age1…), or remove the key to keep recurring snapshots unencrypted".into());
        }
        for (i, k) in keys.iter().enumerate() {
            if let Some(why) = age_recipient_problem(k) {
                return err(here(), format!("services.etcd.backup_config.age_recipients[{i}] {why}"));
            }
        }
    }
    if let Some(u) = &cfg.upgrade_strategy {
        for (key, v, default) in [
            ("max_unavailable_worker", &u.max_unavailable_worker, crate::plan::rollout::DEFAULT_WORKER),
            ("max_unavailable_controlplane", &u.max_unavailable_controlplane, crate::plan::rollout::DEFAULT_CONTROLPLANE),
        ] {
            if let Err(why) = crate::plan::rollout::max_unavailable(v.as_deref(), default, cfg.nodes.len()) {
                return err(locate(text, key, v.as_deref().unwrap_or_default(), 0), format!("upgrade_strategy.{key} {why}"));
            }
        }
    }
    Ok(())
}

/// Why `k` is not an age X25519 recipient, if it is not. Only its first characters are shown
/// (the error is printed and logged, and a secret pasted by mistake must not be); a secret key is
/// named as such.
fn age_recipient_problem(k: &str) -> Option<String> {
    use std::str::FromStr;
    let k = k.trim();
    if k.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
        return Some("is an age SECRET key: list its public key (`age-keygen -y KEYFILE`); secrets never go in cluster.yml, restore takes the identity with --decrypt-identity".into());
    }
    let shown: String = k.chars().take(8).collect();
    let shown = if shown.len() < k.len() { format!("{shown}…") } else { shown };
    age::x25519::Recipient::from_str(k).err().map(|e| format!("`{shown}` is not an age public key (age1…, as `age-keygen` prints): {e}"))
}

/// A `kubernetes_version` stockade has no images for (RKE1 read such files — older RKE1 releases
/// knew Kubernetes 1.12–1.19 —, so the file is valid): a warning here, and `up` refuses it before
/// contacting any host unless every image the plan needs is set under `system_images`.
pub fn version_warning(cfg: &ClusterConfig, path: &Path, text: &str) -> Option<String> {
    let version = cfg.kubernetes_version.as_deref().unwrap_or_default();
    if crate::versions::is_known(version) || (cfg.system_images.etcd.is_some() && cfg.system_images.alpine.is_some()) {
        return None;
    }
    let msg = format!(
        "kubernetes_version {version} is not in stockade's image table (known: {}): `up` refuses it unless every image is set under system_images; pick one of the known versions",
        crate::versions::known_summary()
    );
    Some(InputError::at(path, locate(text, "kubernetes_version", version, 0), msg).to_string())
}

/// Why a Docker bind (`[source:]/container/path[:options]`, source a host path or a volume
/// name, as Docker takes it from RKE1) is not one, if it is not.
fn bind_problem(b: &str) -> Option<&'static str> {
    let parts: Vec<&str> = b.split(':').collect();
    let (source, target, options) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, o] => (Some(*s), *t, Some(*o)),
        _ => return Some("is not a bind: write /host/path:/container/path[:options]"),
    };
    if !target.starts_with('/') {
        return Some("needs an absolute container path (/host/path:/container/path)");
    }
    let volume_name = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if source.is_some_and(|s| !s.starts_with('/') && !volume_name(s)) {
        return Some("needs an absolute host path or a volume name before the first `:`");
    }
    let known = |o: &str| matches!(o, "ro" | "rw" | "z" | "Z" | "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" | "nocopy");
    if options.is_some_and(|o| !o.split(',').all(known)) {
        return Some("has an option Docker does not know (ro, rw, z, Z, shared, rshared, slave, rslave, private, rprivate, nocopy)");
    }
    None
}

/// Parses `a.b.c.d/n` or an IPv6 CIDR.
/// One CIDR, or RKE1's dual-stack form: an IPv4 and an IPv6 CIDR separated by a comma.
pub fn is_cidr_list(s: &str) -> bool {
    let parts: Option<Vec<(IpAddr, u8)>> = s.split(',').map(|p| parse_cidr(p.trim())).collect();
    match parts.as_deref() {
        Some([_]) => true,
        Some([(a, _), (b, _)]) => a.is_ipv4() != b.is_ipv4(),
        _ => false,
    }
}

pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, len) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((ip, len))
}

pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn check(text: &str) -> Result<(), String> {
        let p = Path::new("cluster.yml");
        let mut c = config::load::parse(p, text).map_err(|e| e.to_string())?;
        config::defaults::apply(&mut c);
        validate(&c, p, text).map_err(|e| e.to_string())
    }
    const OK: &str = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\n";

    #[test]
    fn minimal_file_is_valid() {
        check(OK).unwrap();
    }
    #[test]
    fn missing_role_is_refused() {
        let e = check("nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, worker]\n").unwrap_err();
        assert!(e.contains("no host has the `controlplane` role"), "{e}");
    }
    #[test]
    fn duplicate_address_points_at_second() {
        let t = format!("{OK}  - address: 10.0.0.1\n    user: root\n    role: [worker]\n");
        let e = check(&t).unwrap_err();
        assert!(e.starts_with("cluster.yml:5:5: duplicate address 10.0.0.1"), "{e}");
    }
    #[test]
    fn bad_hostname_and_cidr() {
        let e = check(&format!("{OK}    hostname_override: Bad_Name\n")).unwrap_err();
        assert!(e.contains("DNS-1123"), "{e}");
        let e = check(&format!("{OK}services:\n  kube-controller:\n    cluster_cidr: 10.42.0.0/99\n")).unwrap_err();
        assert!(e.starts_with("cluster.yml:7:5: cluster_cidr"), "{e}");
        // RKE1's dual-stack ranges: one IPv4 and one IPv6 CIDR
        check(&format!("{OK}services:\n  kube-controller:\n    cluster_cidr: 10.42.0.0/16,fd00:42::/56\n    service_cluster_ip_range: 10.43.0.0/16, fd00:43::/112\n")).unwrap();
        for bad in ["10.42.0.0/16,10.44.0.0/16", "10.42.0.0/16,", "10.42.0.0/16,fd00::/56,fd01::/56"] {
            assert!(check(&format!("{OK}services:\n  kube-controller:\n    cluster_cidr: \"{bad}\"\n")).is_err(), "{bad}");
        }
    }
    #[test]
    fn recurring_snapshot_recipients_must_be_age_public_keys_and_a_secret_key_is_not_echoed() {
        use age::secrecy::ExposeSecret;
        let id = age::x25519::Identity::generate();
        let yml = |keys: &str| format!("{OK}services:\n  etcd:\n    backup_config:\n      age_recipients: {keys}\n");
        check(&yml(&format!("[{}]", id.to_public()))).unwrap();
        let e = check(&yml("[age1nope]")).unwrap_err();
        assert!(e.starts_with("cluster.yml:8:7: services.etcd.backup_config.age_recipients[0] `age1nope` is not an age public key"), "{e}");
        let e = check(&yml("[correct-horse-battery-staple]")).unwrap_err();
        assert!(e.contains("`correct-…` is not an age public key") && !e.contains("battery"), "a pasted passphrase is not echoed: {e}");
        let secret = id.to_string().expose_secret().to_string();
        let e = check(&yml(&format!("[{secret}]"))).unwrap_err();
        assert!(e.contains("SECRET key") && !e.contains(&secret), "{e}");
        assert!(check(&yml("[]")).unwrap_err().contains("is empty"));
    }
    #[test]
    fn unknown_role_gets_hint() {
        let e = check("nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, wroker]\n").unwrap_err();
        assert!(e.contains("did you mean `worker`"), "{e}");
    }
    #[test]
    fn ports_paths_binds_and_upgrade_strategy_are_checked() {
        let e = check(&format!("{OK}bastion_host:\n  address: 10.0.0.9\n  user: root\n  port: 70000\n")).unwrap_err();
        assert!(e.contains("bastion_host: port `70000`"), "{e}");
        let e = check(&format!("{OK}prefix_path: opt/rke\n")).unwrap_err();
        assert!(e.starts_with("cluster.yml:5:") && e.contains("prefix_path `opt/rke`"), "{e}");
        check(&format!("{OK}prefix_path: /opt/rke\n")).unwrap();
        let e = check(&format!("{OK}services:\n  kubelet:\n    extra_binds:\n      - var/lib/data\n")).unwrap_err();
        assert!(e.contains("services.kubelet.extra_binds: `var/lib/data` needs an absolute container path"), "{e}");
        check(&format!("{OK}services:\n  kubelet:\n    extra_binds:\n      - /lib/modules\n      - data:/data\n")).unwrap();
        let e = check(&format!("{OK}services:\n  kubelet:\n    extra_binds:\n      - /a:/b:rx\n")).unwrap_err();
        assert!(e.contains("option"), "{e}");
        check(&format!("{OK}services:\n  kubelet:\n    extra_binds:\n      - /a:/b:ro,z\n")).unwrap();
        let e = check(&format!("{OK}upgrade_strategy:\n  max_unavailable_worker: 0%\n")).unwrap_err();
        assert!(e.starts_with("cluster.yml:6:") && e.contains("upgrade_strategy.max_unavailable_worker"), "{e}");
    }
    #[test]
    fn uppercase_hostname_is_lowercased_like_rke() {
        check(&format!("{OK}    hostname_override: Node-1\n")).unwrap();
    }
}
