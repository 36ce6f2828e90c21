//! The wizard's answers as a commented cluster.yml: a comment above each key says what it is
//! for, values are written so RKE1's YAML 1.1 reading gives back exactly the typed string.
use super::{Answers, Host};
use std::fmt::Write;

/// The address of the `--empty` template's one host: TEST-NET-1 (RFC 5737, documentation
/// only), so a template never points at a real machine by accident.
pub const TEMPLATE_ADDRESS: &str = "192.0.2.10";

/// The commented cluster.yml of `answers`.
pub fn render(a: &Answers) -> String {
    render_with(a, HEADER)
}

/// `--empty`: a minimal valid cluster.yml (one all-roles host at a documentation address) to
/// edit, with every key commented like the wizard's.
pub fn empty_template(kubernetes_version: &str) -> String {
    let a = Answers { hosts: vec![Host::new(TEMPLATE_ADDRESS)], kubernetes_version: kubernetes_version.to_string(), ..Answers::default() };
    render_with(&a, &format!("{HEADER}#\n# A TEMPLATE: replace {TEMPLATE_ADDRESS} (a documentation address) with your hosts, one entry each.\n"))
}

const HEADER: &str = "\
# cluster.yml written by `stockade config`: the cluster as RKE1 described it (rancher/rke's
# keys, so RKE1 reads this file too). `stockade validate` checks it without contacting any
# host; `stockade up` builds the cluster. Keys not written here take RKE1's defaults.
#
# If you intend to deploy Kubernetes in an air-gapped environment, set every image under
# system_images (`stockade config --system-images` prints the defaults) or load them with
# `stockade up --image-archive`.
";

fn render_with(a: &Answers, header: &str) -> String {
    let mut o = String::from(header);
    o.push_str("\n# SSH private key for every host (and the bastion) that names none of its own.\n");
    let _ = writeln!(o, "ssh_key_path: {}", scalar(&a.ssh_key_path));

    o.push_str("\n# The hosts. stockade reaches each over SSH and runs the cluster's containers with its Docker.\n");
    o.push_str("nodes:\n");
    let mut explained = Vec::new();
    for h in &a.hosts {
        host(&mut o, h, &mut explained);
    }

    if let Some(b) = &a.bastion {
        o.push_str("\n# The jump host every SSH connection to the hosts goes through.\n");
        o.push_str("bastion_host:\n");
        o.push_str("  # its address, SSH port and SSH user\n");
        let _ = writeln!(o, "  address: {}", scalar(&b.address));
        let _ = writeln!(o, "  port: {}", b.port);
        let _ = writeln!(o, "  user: {}", scalar(&b.user));
        if let Some(k) = &b.ssh_key_path {
            o.push_str("  # its own key (else the cluster-level ssh_key_path)\n");
            let _ = writeln!(o, "  ssh_key_path: {}", scalar(k));
        }
    }

    o.push_str("\n# The CNI network plugin: canal (RKE1's default), flannel, calico, weave, or none (bring your own).\n");
    if not_applied("network") {
        o.push_str("# stockade does not deploy the plugin yet (`validate` and `up` name this key as not applied):\n");
        o.push_str("# install it yourself once the cluster is up; the key keeps RKE1's choice.\n");
    }
    o.push_str("network:\n");
    let _ = writeln!(o, "  plugin: {}", scalar(&a.network_plugin));

    o.push_str("\n# The Kubernetes version: `stockade config --list-version` lists those stockade has images for.\n");
    if let Some(w) = crate::versions::version_subscription_warning(&a.kubernetes_version) {
        for line in wrap(&format!("NOTE: {w}"), 96) {
            let _ = writeln!(o, "# {line}");
        }
    }
    let _ = writeln!(o, "kubernetes_version: {}", scalar(&a.kubernetes_version));

    o.push_str("\nservices:\n");
    o.push_str("  kube-api:\n");
    o.push_str("    # the Services' IP range (kube-controller's below must be the same)\n");
    let _ = writeln!(o, "    service_cluster_ip_range: {}", scalar(&a.service_cluster_ip_range));
    o.push_str("  kube-controller:\n");
    o.push_str("    # the Pods' IP range, split into one subnet per node\n");
    let _ = writeln!(o, "    cluster_cidr: {}", scalar(&a.cluster_cidr));
    let _ = writeln!(o, "    service_cluster_ip_range: {}", scalar(&a.service_cluster_ip_range));
    o.push_str("  kubelet:\n");
    o.push_str("    # the DNS domain of Services (my-svc.my-namespace.svc.<cluster_domain>)\n");
    let _ = writeln!(o, "    cluster_domain: {}", scalar(&a.cluster_domain));
    o.push_str("    # the cluster DNS Service's IP, inside service_cluster_ip_range\n");
    let _ = writeln!(o, "    cluster_dns_server: {}", scalar(&a.cluster_dns_server));
    if let Some(s) = &a.s3 {
        o.push_str("  etcd:\n");
        o.push_str("    backup_config:\n");
        o.push_str("      # where `stockade etcd snapshot-save` copies etcd snapshots (and snapshot-restore finds them)\n");
        o.push_str("      s3backupconfig:\n");
        o.push_str("        # the S3 server: host[:port] (s3.amazonaws.com for AWS)\n");
        let _ = writeln!(o, "        endpoint: {}", scalar(&s.endpoint));
        o.push_str("        # the bucket, and its region when the server needs one\n");
        let _ = writeln!(o, "        bucket_name: {}", scalar(&s.bucket_name));
        if let Some(r) = &s.region {
            let _ = writeln!(o, "        region: {}", scalar(r));
        }
        if let Some(f) = &s.folder {
            o.push_str("        # the snapshots' folder inside the bucket\n");
            let _ = writeln!(o, "        folder: {}", scalar(f));
        }
        if s.access_key.is_empty() {
            o.push_str("        # no keys: the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY of the machine running stockade,\n");
            o.push_str("        # else the etcd hosts' instance role\n");
        } else {
            o.push_str("        # the S3 credentials: keep this file private (it is written with mode 0640)\n");
            let _ = writeln!(o, "        access_key: {}", quoted(s.access_key.expose()));
            let _ = writeln!(o, "        secret_key: {}", quoted(s.secret_key.expose()));
        }
    }
    o
}

/// Whether stockade keeps `key` without acting on it yet (`config::coverage`), so the file says so.
pub(super) fn not_applied(key: &str) -> bool {
    crate::config::coverage::KEYS.iter().any(|(k, u)| *k == key && *u == crate::config::coverage::Use::NotApplied)
}

/// One entry of `nodes:`. A key's comment goes above its first appearance in the list
/// (`explained` holds the keys already explained), so the list stays readable.
fn host(o: &mut String, h: &Host, explained: &mut Vec<&'static str>) {
    let mut key = |o: &mut String, indent: &str, key: &'static str, comment: &str, value: &str| {
        if !explained.contains(&key) {
            explained.push(key);
            let at = if indent == "  - " { "  " } else { indent };
            let _ = writeln!(o, "{at}# {comment}");
        }
        let _ = writeln!(o, "{indent}{key}: {value}");
    };
    key(o, "  - ", "address", "the address stockade connects to over SSH (an IP address or a DNS name)", &scalar(&h.address));
    key(o, "    ", "port", "the SSH port", &h.port.to_string());
    key(o, "    ", "user", "the SSH user: it must be allowed to use the Docker socket (root, or in the docker group)", &scalar(&h.user));
    if let Some(k) = &h.ssh_key_path {
        key(o, "    ", "ssh_key_path", "this host's SSH private key (else the cluster-level ssh_key_path)", &scalar(k));
    }
    let roles: Vec<String> = h.roles.iter().map(|r| scalar(r)).collect();
    key(
        o,
        "    ",
        "role",
        "controlplane: API server, controller manager, scheduler; worker: runs the workloads; etcd: the datastore",
        &format!("[{}]", roles.join(", ")),
    );
    if let Some(n) = &h.hostname_override {
        key(o, "    ", "hostname_override", "the Kubernetes node name (else the address), lowercased", &scalar(n));
    }
    if let Some(ip) = &h.internal_address {
        key(o, "    ", "internal_address", "the address the hosts use among themselves (etcd peers, the API server); else the SSH address", &scalar(ip));
    }
    key(o, "    ", "docker_socket", "the Docker Engine's socket on the host", &scalar(&h.docker_socket));
}

/// `s` as a YAML scalar that RKE1's YAML 1.1 reader (and stockade's) reads back as this very
/// string: plain when nothing could read it as another type, else single-quoted.
pub fn scalar(s: &str) -> String {
    let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || "/~._".contains(c));
    let chars_ok = s.chars().all(|c| c.is_ascii_alphanumeric() || "/~._-+@=".contains(c));
    // YAML 1.1's booleans and null, in any case RKE1's reader took them
    let special = matches!(
        s.to_ascii_lowercase().as_str(),
        "~" | "null" | "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off"
    );
    // numbers in YAML 1.1's forms too: 1_000, 0x1f, 0o17, 017, .5, 1e3
    let digits = s.replace('_', "");
    let numeric = digits.parse::<f64>().is_ok()
        || digits.parse::<i64>().is_ok()
        || ["0x", "0o", "0b"].iter().any(|p| digits.to_ascii_lowercase().starts_with(p) && digits.len() > 2);
    if first_ok && chars_ok && !special && !numeric && s != "." {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// Single-quoted: every character is literal, a `'` is doubled.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `text` in lines of at most `width` characters (a word longer than that gets its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
