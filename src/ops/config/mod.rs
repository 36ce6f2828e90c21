//! `stockade config`: what the wizard asks (`Answers`), the checks each answer gets as it is
//! typed (`check_*`, pure), the commented cluster.yml made from the answers (`render`), the
//! minimal template of `--empty`, and writing the file (atomic, mode 0640, never over an
//! existing file unless the user said so). `cli::config_cmd` only asks with dialoguer and calls
//! these, so every decision is testable without a terminal.
mod render;

pub use render::{empty_template, render};

use crate::config::validate::{is_dns1123_subdomain, parse_cidr};
use crate::config::Secret;
use crate::exit::Invalid;
use anyhow::{anyhow, Context, Result};
use std::net::IpAddr;
use std::path::Path;

pub use crate::config::defaults::{
    DEFAULT_CLUSTER_CIDR, DEFAULT_CLUSTER_DNS, DEFAULT_CLUSTER_DOMAIN, DEFAULT_DOCKER_SOCKET, DEFAULT_SERVICE_CIDR, DEFAULT_SSH_KEY_PATH,
};

/// RKE1's default SSH user in `rke config`.
pub const DEFAULT_USER: &str = "ubuntu";
/// RKE1's default S3 endpoint (`--s3-endpoint`).
pub const DEFAULT_S3_ENDPOINT: &str = "s3.amazonaws.com";
/// The network plugins RKE1 deploys, its default (canal) first; `none` leaves the CNI to the user.
pub const NETWORK_PLUGINS: [&str; 5] = ["canal", "flannel", "calico", "weave", "none"];
/// The roles in the order RKE1's wizard asked them.
pub const ROLES: [&str; 3] = ["controlplane", "worker", "etcd"];
/// More hosts than anyone types into a wizard: a typo (`30` for `3`) is caught.
pub const MAX_HOSTS: usize = 100;
/// The file the wizard writes when `--name` is not given (RKE1's default).
pub const DEFAULT_FILE: &str = "cluster.yml";
/// The mode of the written file: RKE1's (0640); 0600 when it holds S3 keys (`file_mode`).
pub const FILE_MODE: u32 = 0o640;
/// The mode of a file holding secrets (the S3 keys of snapshot backups): its owner's only.
pub const SECRET_FILE_MODE: u32 = 0o600;

/// Everything the wizard asks: what `rke config` asked, plus a bastion and S3 backups.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// cluster-level `ssh_key_path`: every host and the bastion that set none use it
    pub ssh_key_path: String,
    pub hosts: Vec<Host>,
    pub bastion: Option<Bastion>,
    pub network_plugin: String,
    pub kubernetes_version: String,
    pub service_cluster_ip_range: String,
    pub cluster_cidr: String,
    pub cluster_dns_server: String,
    pub cluster_domain: String,
    pub s3: Option<S3Backup>,
}

/// One entry of `nodes:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub address: String,
    pub port: u16,
    pub user: String,
    /// `None`: the cluster-level `ssh_key_path`
    pub ssh_key_path: Option<String>,
    pub roles: Vec<String>,
    pub hostname_override: Option<String>,
    pub internal_address: Option<String>,
    pub docker_socket: String,
}

/// `bastion_host:`: the jump host every SSH connection goes through.
#[derive(Debug, Clone, PartialEq)]
pub struct Bastion {
    pub address: String,
    pub port: u16,
    pub user: String,
    /// `None`: the cluster-level `ssh_key_path`
    pub ssh_key_path: Option<String>,
}

/// `services.etcd.backup_config.s3backupconfig`: where `etcd snapshot-save` copies snapshots.
/// The keys are `Secret`s: their `Debug` never shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Backup {
    pub endpoint: String,
    pub bucket_name: String,
    pub region: Option<String>,
    pub folder: Option<String>,
    /// both empty: the laptop's `AWS_*` keys or the etcd hosts' instance role
    pub access_key: Secret,
    pub secret_key: Secret,
}

impl Default for Answers {
    /// RKE1's defaults for every cluster-level answer, no host yet.
    fn default() -> Self {
        Answers {
            ssh_key_path: DEFAULT_SSH_KEY_PATH.into(),
            hosts: Vec::new(),
            bastion: None,
            network_plugin: NETWORK_PLUGINS[0].into(),
            kubernetes_version: crate::versions::DEFAULT_KUBERNETES_VERSION.into(),
            service_cluster_ip_range: DEFAULT_SERVICE_CIDR.into(),
            cluster_cidr: DEFAULT_CLUSTER_CIDR.into(),
            cluster_dns_server: DEFAULT_CLUSTER_DNS.into(),
            cluster_domain: DEFAULT_CLUSTER_DOMAIN.into(),
            s3: None,
        }
    }
}

impl Host {
    /// A host with the wizard's defaults: port 22, RKE1's user, every role.
    pub fn new(address: impl Into<String>) -> Self {
        Host {
            address: address.into(),
            port: 22,
            user: DEFAULT_USER.into(),
            ssh_key_path: None,
            roles: ROLES.iter().map(|r| r.to_string()).collect(),
            hostname_override: None,
            internal_address: None,
            docker_socket: DEFAULT_DOCKER_SOCKET.into(),
        }
    }

    /// The Kubernetes node name this host gets: its `hostname_override`, else its address,
    /// lowercased as RKE1 does.
    pub fn node_name(&self) -> String {
        self.hostname_override.clone().unwrap_or_else(|| self.address.clone()).to_lowercase()
    }
}

// ---- the checks each answer gets as it is typed: Ok(the value to keep) or Err(why, one line) ----

fn no_space(what: &str, s: &str) -> Result<(), String> {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{what} cannot contain spaces or control characters"));
    }
    Ok(())
}

/// Number of hosts: 1 to `MAX_HOSTS`.
pub fn check_host_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_HOSTS).contains(&n) => Ok(n),
        _ => Err(format!("enter a number from 1 to {MAX_HOSTS}")),
    }
}

/// A host's (or the bastion's) SSH address: not empty, one word, not one of `taken`.
pub fn check_address(s: &str, taken: &[&str]) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the address cannot be empty (an IP address or a DNS name)".into());
    }
    no_space("the address", s)?;
    if taken.contains(&s) {
        return Err(format!("{s} is already a host of this cluster: each host may appear once"));
    }
    Ok(s.to_string())
}

/// An SSH port: a number from 1 to 65535.
pub fn check_port(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("`{}` is not a TCP port (a number from 1 to 65535)", s.trim())),
    }
}

/// An SSH user: not empty, one word.
pub fn check_user(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the SSH user cannot be empty".into());
    }
    no_space("the SSH user", s)?;
    Ok(s.to_string())
}

/// The cluster-level SSH key path: required.
pub fn check_key_path(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the SSH private key path cannot be empty".into());
    }
    if s.chars().any(char::is_control) {
        return Err("the path cannot contain control characters".into());
    }
    Ok(s.to_string())
}

/// A host's or the bastion's own SSH key path: empty keeps the cluster-level one.
pub fn check_optional_key_path(s: &str) -> Result<Option<String>, String> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    check_key_path(s).map(Some)
}

/// A host's roles, comma- or space-separated (`controlplane,worker,etcd`). `earlier` are the
/// roles of the hosts answered before; on the `last` host every role must be on some host, so
/// the file the wizard writes always has an etcd, a controlplane and a worker host.
pub fn check_roles(s: &str, earlier: &[Vec<String>], last: bool) -> Result<Vec<String>, String> {
    let mut roles: Vec<String> = Vec::new();
    for r in s.split([',', ' ']).map(str::trim).filter(|r| !r.is_empty()) {
        let r = r.to_lowercase();
        if !ROLES.contains(&r.as_str()) {
            let hint = crate::config::load::closest(&r, &ROLES).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
            return Err(format!("unknown role `{r}`{hint}: the roles are controlplane, worker, etcd"));
        }
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    if roles.is_empty() {
        return Err("give at least one role: controlplane, worker, etcd (comma-separated)".into());
    }
    if last {
        let missing: Vec<&str> =
            ROLES.iter().copied().filter(|role| !roles.iter().chain(earlier.iter().flatten()).any(|r| r == role)).collect();
        if !missing.is_empty() {
            return Err(format!(
                "no host has the {} role yet and this is the last host: add {} here (a cluster needs an etcd, a controlplane and a worker host)",
                missing.join(" and "),
                missing.join(",")
            ));
        }
    }
    Ok(roles)
}

/// A hostname override: empty (the address is the node name), else a DNS-1123 name once
/// lowercased as RKE1 does, not the node name of an earlier host.
pub fn check_hostname_override(s: &str, address: &str, taken: &[String]) -> Result<Option<String>, String> {
    let s = s.trim();
    let name = if s.is_empty() { address.to_lowercase() } else { s.to_lowercase() };
    if !s.is_empty() && !is_dns1123_subdomain(&name) {
        return Err(format!("`{s}` is not a valid node name: lowercase letters, digits, '-' and '.'"));
    }
    if s.is_empty() && !is_dns1123_subdomain(&name) {
        return Err(format!("the address {address} is not a valid node name: give this host a hostname override"));
    }
    if taken.contains(&name) {
        return Err(format!("{name} is already the node name of another host"));
    }
    Ok((!s.is_empty()).then(|| s.to_string()))
}

/// An internal address: empty (the SSH address is used), else one word.
pub fn check_internal_address(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    no_space("the internal address", s)?;
    Ok(Some(s.to_string()))
}

/// The Docker socket: an absolute path.
pub fn check_docker_socket(s: &str) -> Result<String, String> {
    let s = s.trim();
    if !s.starts_with('/') {
        return Err(format!("`{s}` is not an absolute path (like {DEFAULT_DOCKER_SOCKET})"));
    }
    no_space("the Docker socket path", s)?;
    Ok(s.to_string())
}

/// One of `NETWORK_PLUGINS`.
pub fn check_network_plugin(s: &str) -> Result<String, String> {
    let s = s.trim().to_lowercase();
    if NETWORK_PLUGINS.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(format!("`{s}` is not a network plugin stockade knows: {}", NETWORK_PLUGINS.join(", ")))
    }
}

/// A Kubernetes version stockade has images for (RKE1's table or a supported upstream release).
pub fn check_kubernetes_version(s: &str) -> Result<String, String> {
    let s = s.trim();
    if crate::versions::is_known(s) {
        return Ok(s.to_string());
    }
    let hint = crate::versions::known_versions().into_iter().rev().find(|v| v.starts_with(s) && !s.is_empty());
    let hint = hint.map(|v| format!(" (did you mean {v}?)")).unwrap_or_default();
    Err(format!("`{s}` is not a Kubernetes version stockade has images for{hint}; {}", crate::versions::known_summary()))
}

/// A CIDR (`10.43.0.0/16`).
pub fn check_cidr(s: &str) -> Result<String, String> {
    let s = s.trim();
    if parse_cidr(s).is_none() {
        return Err(format!("`{s}` is not a CIDR (like 10.43.0.0/16)"));
    }
    Ok(s.to_string())
}

/// The Pods' CIDR: a CIDR that does not overlap the Services' one.
pub fn check_cluster_cidr(s: &str, service_range: &str) -> Result<String, String> {
    let s = check_cidr(s)?;
    if let (Some(a), Some(b)) = (parse_cidr(&s), parse_cidr(service_range))
        && overlap(a, b)
    {
        return Err(format!("{s} overlaps the service cluster IP range {service_range}: Pods and Services need separate ranges"));
    }
    Ok(s)
}

/// The cluster DNS server: an IP address inside the Services' range (it is a Service's IP).
pub fn check_cluster_dns(s: &str, service_range: &str) -> Result<String, String> {
    let s = s.trim();
    let Ok(ip) = s.parse::<IpAddr>() else { return Err(format!("`{s}` is not an IP address")) };
    if let Some(range) = parse_cidr(service_range)
        && !overlap((ip, if ip.is_ipv4() { 32 } else { 128 }), range)
    {
        return Err(format!("{s} is outside the service cluster IP range {service_range}: the DNS server is a Service, so its IP is in that range"));
    }
    Ok(s.to_string())
}

/// The offered cluster DNS IP: RKE1's (10.43.0.10) when it is in the Services' range, else the
/// range's tenth address (the same place in the range); the user can type another.
pub fn default_cluster_dns(service_range: &str) -> String {
    if check_cluster_dns(DEFAULT_CLUSTER_DNS, service_range).is_ok() {
        return DEFAULT_CLUSTER_DNS.to_string();
    }
    match parse_cidr(service_range) {
        Some((IpAddr::V4(ip), len)) if len <= 28 => {
            let base = u32::from(ip) & (u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0));
            std::net::Ipv4Addr::from(base + 10).to_string()
        }
        _ => String::new(),
    }
}

/// The cluster domain: a DNS-1123 name.
pub fn check_cluster_domain(s: &str) -> Result<String, String> {
    let s = s.trim();
    if !is_dns1123_subdomain(s) {
        return Err(format!("`{s}` is not a DNS domain (lowercase letters, digits, '-' and '.')"));
    }
    Ok(s.to_string())
}

/// An S3 endpoint: `host[:port]` (RKE1's form), one word.
pub fn check_s3_endpoint(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("the endpoint cannot be empty ({DEFAULT_S3_ENDPOINT} for AWS)"));
    }
    no_space("the endpoint", s)?;
    Ok(s.to_string())
}

/// An S3 bucket name: not empty, no '/', no spaces.
pub fn check_s3_bucket(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the bucket name cannot be empty".into());
    }
    if s.contains('/') {
        return Err(format!("`{s}` is not a bucket name (no '/': put a path in the folder)"));
    }
    no_space("the bucket name", s)?;
    Ok(s.to_string())
}

/// An S3 region: empty (the endpoint's default), else one word.
pub fn check_s3_region(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    no_space("the region", s)?;
    Ok(Some(s.to_string()))
}

/// The folder inside the bucket: empty (the bucket's top), else path segments without `.`/`..`.
pub fn check_s3_folder(s: &str) -> Result<Option<String>, String> {
    let f = s.trim().trim_matches('/');
    if f.is_empty() {
        return Ok(None);
    }
    no_space("the folder", f)?;
    if f.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
        return Err(format!("`{f}` has an empty, '.' or '..' path segment"));
    }
    Ok(Some(f.to_string()))
}

/// An S3 key as typed at a hidden prompt: no control characters. The error never repeats it.
pub fn check_s3_key(s: &str) -> Result<Secret, String> {
    if s.chars().any(char::is_control) {
        return Err("the key cannot contain control characters".into());
    }
    Ok(Secret::new(s.trim()))
}

/// Whether two CIDRs share an address.
fn overlap(a: (IpAddr, u8), b: (IpAddr, u8)) -> bool {
    // both as 128-bit numbers, an IPv4 address in the top 32 bits, so one mask fits both
    let bits = |ip: IpAddr| match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)) << 96,
        IpAddr::V6(v) => u128::from(v),
    };
    if a.0.is_ipv4() != b.0.is_ipv4() {
        return false;
    }
    let len = u32::from(a.1.min(b.1));
    if len == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - len);
    (bits(a.0) & mask) == (bits(b.0) & mask)
}

// ---- the whole file ----

/// The rendered text read back exactly as `stockade validate --strict` reads a file: parsed with
/// RKE1's reading rules, RKE1's defaults, the whole-file checks, what `up` refuses, and the S3
/// settings as `etcd snapshot-save` checks them. The wizard checks every file before writing it.
pub fn check_file(path: &Path, text: &str) -> Result<(), Invalid> {
    let invalid = |e: String| Invalid(format!("stockade config made an invalid file (a bug in stockade, please report it): {e}"));
    let (mut cfg, warnings) = crate::config::load::parse_with(path, text, true).map_err(|e| invalid(e.to_string()))?;
    if let Some(w) = warnings.first() {
        return Err(invalid(w.clone()));
    }
    crate::config::defaults::apply(&mut cfg);
    crate::config::validate::validate(&cfg, path, text).map_err(|e| invalid(e.to_string()))?;
    let refused = crate::config::refused_until_applied(&cfg);
    if !refused.is_empty() {
        return Err(invalid(refused.join("; ")));
    }
    if let Some(s3) = cfg.services.etcd.backup_config.as_ref().and_then(|b| b.s3backupconfig.as_ref()) {
        crate::snapshot::s3::S3Settings::from_config(s3).validate().map_err(|e| invalid(format!("S3: {e:#}")))?;
    }
    Ok(())
}

/// Whether `path` can be written: its directory exists. Checked before the first question, so
/// nobody answers them all for a file that cannot be written.
pub fn check_target(path: &Path) -> Result<(), Invalid> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Invalid(format!("--name {}: the directory {} does not exist", path.display(), dir.display())));
    }
    if path.is_dir() {
        return Err(Invalid(format!("--name {}: is a directory; name the file to write", path.display())));
    }
    Ok(())
}

/// The mode to write `answers`' file with: 0600 when it holds S3 keys, else RKE1's 0640.
pub fn file_mode(answers: Option<&Answers>) -> u32 {
    let keys = answers.and_then(|a| a.s3.as_ref()).is_some_and(|s| !s.access_key.is_empty() || !s.secret_key.is_empty());
    if keys { SECRET_FILE_MODE } else { FILE_MODE }
}

/// Writes `text` to `path` atomically (a temporary file in the same directory, fsync, rename),
/// with `mode`. Without `overwrite` an existing file is never replaced, even one that appeared
/// while the wizard was asking.
pub fn write(path: &Path, text: &str, overwrite: bool, mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".stockade-config-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.write_all(text.as_bytes()).with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.as_file().sync_all()?;
    if overwrite {
        tmp.persist(path).map_err(|e| anyhow!("writing {}: {}", path.display(), e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Invalid(format!("{} exists: it was not overwritten (choose another --name, or move it away first)", path.display())).into()
            } else {
                anyhow!("writing {}: {}", path.display(), e.error)
            }
        })?;
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
