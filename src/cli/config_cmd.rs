//! `stockade config`: the cluster.yml wizard (RKE1's `rke config`: `--name`, `--print`,
//! `--empty`), and the default system images per Kubernetes version (`--system-images`,
//! `--list-version`). This file parses the flags and asks the questions with dialoguer; the
//! answers, their checks, the file's text and writing it are `ops::config`.
use crate::ops::config::{self as wizard, Answers, Bastion, Host, S3Backup};
use crate::versions;
use anyhow::Result;
use dialoguer::{Confirm, Input, Password, Select};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("images").args(["system_images", "list_version"]).conflicts_with_all(["empty", "print", "name"])))]
pub struct Args {
    /// Print the default system_images for a Kubernetes version
    #[arg(long, short = 's')]
    pub system_images: bool,
    /// List the Kubernetes versions stockade has default images for (every RKE1 release from 1.20 on, then the upstream minors)
    #[arg(long, short = 'l')]
    pub list_version: bool,
    /// Kubernetes version for --system-images, and the kubernetes_version the wizard offers and --empty writes (default: the default version)
    #[arg(long = "version", value_name = "VERSION")]
    pub k8s_version: Option<String>,
    /// Write a minimal valid cluster.yml (one host to replace) without asking anything
    #[arg(long, short = 'e')]
    pub empty: bool,
    /// Print the file to stdout instead of writing it (the questions go to stderr)
    #[arg(long, short = 'p')]
    pub print: bool,
    /// The file to write
    #[arg(long, short = 'n', value_name = "FILE", default_value = wizard::DEFAULT_FILE)]
    pub name: PathBuf,
}

pub fn run(a: &Args, ui: &crate::ui::Ui) -> Result<()> {
    if a.system_images || a.list_version {
        crate::ui::print(&render(a)?)?;
        return Ok(());
    }
    let version = match &a.k8s_version {
        Some(v) => wizard::check_kubernetes_version(v).map_err(|e| crate::exit::Invalid(format!("--version: {e}")))?,
        None => versions::DEFAULT_KUBERNETES_VERSION.to_string(),
    };
    let terminal = crate::prompt::allowed();
    if !a.empty && !terminal {
        // a usage error (exit 2), never a wait for answers nobody can type
        return crate::exit::invalid(
            "stockade config asks its questions on a terminal (not with --yes), but stdin (or stderr) is not one: use `stockade config --empty` for a template to edit (add --print to write it to stdout)",
        );
    }
    if !a.print {
        wizard::check_target(&a.name)?;
    }
    let overwrite = !a.print && a.name.exists();
    if overwrite {
        if !terminal {
            return crate::exit::invalid(format!(
                "{} exists: it was not overwritten (choose another --name, move it away first, or use --print)",
                a.name.display()
            ));
        }
        let yes = Confirm::new()
            .with_prompt(format!("{} exists. Overwrite it?", a.name.display()))
            .default(false)
            .wait_for_newline(true)
            .interact()?;
        if !yes {
            anyhow::bail!("{} was not changed", a.name.display());
        }
    }
    let answers = if a.empty { None } else { Some(interview(&version, ui)?) };
    let text = match &answers {
        None => wizard::empty_template(&version),
        Some(answers) => wizard::render(answers),
    };
    let mode = wizard::file_mode(answers.as_ref());
    // never write a file `stockade validate` would refuse
    wizard::check_file(&a.name, &text)?;
    if a.print {
        crate::ui::print(&text)?;
        return Ok(());
    }
    wizard::write(&a.name, &text, overwrite, mode)?;
    let flag = if a.name == Path::new("cluster.yml") { String::new() } else { format!(" --config {}", a.name.display()) };
    ui.info(&format!("Wrote {} (mode {mode:04o}). Check it with `stockade{flag} validate`, then run `stockade{flag} up`.", a.name.display()));
    Ok(())
}

/// One answer: asked until `check` accepts it (its error is shown under the prompt). An empty
/// `default` makes the answer optional (Enter keeps it empty).
fn ask<T>(prompt: &str, default: &str, check: impl Fn(&str) -> Result<T, String>) -> Result<T> {
    let mut input = Input::<String>::new().with_prompt(prompt).validate_with(|s: &String| check(s).map(|_| ()));
    input = if default.is_empty() { input.default(String::new()).show_default(false).allow_empty(true) } else { input.default(default.to_string()) };
    let typed = input.interact_text()?;
    check(&typed).map_err(|e| anyhow::anyhow!(e))
}

/// A key at a hidden prompt: nothing typed is echoed, and it goes only into the file.
fn ask_secret(prompt: &str, allow_empty: bool) -> Result<crate::config::Secret> {
    let typed = Password::new()
        .with_prompt(prompt)
        .allow_empty_password(allow_empty)
        .validate_with(|s: &String| wizard::check_s3_key(s).map(|_| ()))
        .interact()?;
    wizard::check_s3_key(&typed).map_err(|e| anyhow::anyhow!(e))
}

fn yes_no(prompt: &str) -> Result<bool> {
    Ok(Confirm::new().with_prompt(prompt).default(false).wait_for_newline(true).interact()?)
}

/// The questions of `rke config`, in its order, plus the bastion and S3 backups.
fn interview(version: &str, ui: &crate::ui::Ui) -> Result<Answers> {
    let mut a = Answers { kubernetes_version: version.to_string(), ..Answers::default() };
    ui.info("stockade config: answer each question (Enter takes the value in brackets). Ctrl-C quits without writing.");
    a.ssh_key_path = ask("Cluster level SSH private key path", wizard::DEFAULT_SSH_KEY_PATH, wizard::check_key_path)?;
    let count = ask("Number of hosts", "1", wizard::check_host_count)?;
    for i in 0..count {
        let taken: Vec<String> = a.hosts.iter().map(|h| h.address.clone()).collect();
        let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
        let address = ask(&format!("SSH address of host ({})", i + 1), "", |s| wizard::check_address(s, &taken))?;
        let mut h = Host::new(address.clone());
        h.port = ask(&format!("SSH port of host ({address})"), "22", wizard::check_port)?;
        h.user = ask(&format!("SSH user of host ({address})"), wizard::DEFAULT_USER, wizard::check_user)?;
        h.ssh_key_path =
            ask(&format!("SSH private key path of host ({address}) (Enter: the cluster level key)"), "", wizard::check_optional_key_path)?;
        let earlier: Vec<Vec<String>> = a.hosts.iter().map(|h| h.roles.clone()).collect();
        let last = i + 1 == count;
        h.roles = ask(&format!("Roles of host ({address}): controlplane, worker, etcd"), &wizard::ROLES.join(","), |s| {
            wizard::check_roles(s, &earlier, last)
        })?;
        let names: Vec<String> = a.hosts.iter().map(Host::node_name).collect();
        h.hostname_override = ask(&format!("Override hostname of host ({address}) (Enter: the address)"), "", |s| {
            wizard::check_hostname_override(s, &address, &names)
        })?;
        h.internal_address =
            ask(&format!("Internal address of host ({address}) (Enter: the SSH address)"), "", wizard::check_internal_address)?;
        h.docker_socket = ask(&format!("Docker socket path on host ({address})"), wizard::DEFAULT_DOCKER_SOCKET, wizard::check_docker_socket)?;
        a.hosts.push(h);
    }
    if yes_no("Connect through a bastion host?")? {
        let taken: Vec<&str> = a.hosts.iter().map(|h| h.address.as_str()).collect();
        let address = ask("SSH address of the bastion host", "", |s| wizard::check_address(s, &taken))?;
        let port = ask("SSH port of the bastion host", "22", wizard::check_port)?;
        let user = ask("SSH user of the bastion host", wizard::DEFAULT_USER, wizard::check_user)?;
        let ssh_key_path =
            ask("SSH private key path of the bastion host (Enter: the cluster level key)", "", wizard::check_optional_key_path)?;
        a.bastion = Some(Bastion { address, port, user, ssh_key_path });
    }
    let plugin = Select::new().with_prompt("Network plugin").items(wizard::NETWORK_PLUGINS).default(0).interact()?;
    a.network_plugin = wizard::NETWORK_PLUGINS[plugin].to_string();
    a.kubernetes_version = ask("Kubernetes version (`stockade config --list-version` lists them)", version, wizard::check_kubernetes_version)?;
    if let Some(w) = versions::version_subscription_warning(&a.kubernetes_version) {
        ui.warn(&w);
    }
    a.service_cluster_ip_range = ask("Service cluster IP range", wizard::DEFAULT_SERVICE_CIDR, wizard::check_cidr)?;
    let services = a.service_cluster_ip_range.clone();
    a.cluster_cidr = ask("Cluster network CIDR (the Pods' range)", wizard::DEFAULT_CLUSTER_CIDR, |s| wizard::check_cluster_cidr(s, &services))?;
    let dns = wizard::default_cluster_dns(&services);
    a.cluster_dns_server = ask("Cluster DNS service IP", &dns, |s| wizard::check_cluster_dns(s, &services))?;
    a.cluster_domain = ask("Cluster domain", wizard::DEFAULT_CLUSTER_DOMAIN, wizard::check_cluster_domain)?;
    if yes_no("Back up etcd snapshots to S3?")? {
        let endpoint = ask("S3 endpoint", wizard::DEFAULT_S3_ENDPOINT, wizard::check_s3_endpoint)?;
        let bucket_name = ask("S3 bucket name", "", wizard::check_s3_bucket)?;
        let region = ask("S3 region (Enter: none)", "", wizard::check_s3_region)?;
        let folder = ask("S3 folder in the bucket (Enter: the top)", "", wizard::check_s3_folder)?;
        let access_key = ask_secret("S3 access key (hidden; Enter: none, use AWS_* or the hosts' instance role)", true)?;
        let secret_key = if access_key.is_empty() { Default::default() } else { ask_secret("S3 secret key (hidden)", false)? };
        a.s3 = Some(S3Backup { endpoint, bucket_name, region, folder, access_key, secret_key });
    }
    Ok(a)
}

fn render(a: &Args) -> Result<String> {
    if a.list_version {
        let mut out = String::new();
        for v in versions::known_versions() {
            let mark = if v == versions::DEFAULT_KUBERNETES_VERSION { "  (default)" } else { "" };
            let paid = if versions::version_subscription_warning(&v).is_some() { "  (rke-extended-life images: SUSE subscription)" } else { "" };
            out.push_str(&format!("{v}{mark}{paid}\n"));
        }
        for (major, minor) in versions::upstream::MINORS {
            out.push_str(&format!("v{major}.{minor}.<patch>  (upstream release: images from registry.k8s.io and the project's kubelet image)\n"));
        }
        return Ok(out);
    }
    let version = a.k8s_version.clone().unwrap_or_else(|| versions::DEFAULT_KUBERNETES_VERSION.into());
    let Some(images) = versions::system_images(&version) else {
        // a flag value stockade does not know: bad input (exit code 2)
        return crate::exit::invalid(format!(
            "Kubernetes version {version} is not in stockade's image table (known: {}). Use one of those, or set every image under system_images in cluster.yml",
            versions::known_summary()
        ));
    };
    let mut out = format!("# default images for Kubernetes {version}\n");
    if let Some(w) = versions::version_subscription_warning(&version) {
        out.push_str(&format!("# WARNING: {w}\n"));
    }
    out.push_str(&format!("kubernetes_version: {version}\nsystem_images:\n"));
    for (k, v) in images {
        out.push_str(&format!("  {k}: {v}\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(system_images: bool, list_version: bool, k8s_version: Option<String>) -> Args {
        Args { system_images, list_version, k8s_version, empty: false, print: false, name: wizard::DEFAULT_FILE.into() }
    }

    #[test]
    fn lists_versions_and_prints_images() {
        let list = render(&args(false, true, None)).unwrap();
        assert!(list.contains("\nv1.32.13-rancher1-1  (default)  (rke-extended-life images: SUSE subscription)\n"), "{list}");
        // every RKE1 version from 1.20 on, oldest first, then the upstream minors
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.first().copied(), Some("v1.20.4-rancher1-1"));
        assert_eq!(lines.len(), versions::known_versions().len() + versions::upstream::MINORS.len());
        assert!(lines.contains(&"v1.32.13-rancher1-2  (rke-extended-life images: SUSE subscription)"));
        assert!(lines.contains(&"v1.32.6-rancher1-1"));
        assert!(list.ends_with("v1.33.<patch>  (upstream release: images from registry.k8s.io and the project's kubelet image)\n"));
        let images = render(&args(true, false, Some("v1.30.5-rancher1-1".into()))).unwrap();
        assert!(images.contains("  etcd: rancher/mirrored-coreos-etcd:v3.5.12\n"), "{images}");
        assert!(!images.contains("WARNING"));
        let old = render(&args(true, false, Some("v1.20.15-rancher2-2".into()))).unwrap();
        assert!(old.contains("  kubernetes: rancher/hyperkube:v1.20.15-rancher2\n"), "{old}");
        let paid = render(&args(true, false, None)).unwrap();
        assert!(paid.starts_with("# default images for Kubernetes v1.32.13-rancher1-1\n# WARNING: "), "{paid}");
        assert!(paid.contains("  kubernetes: rke-extended-life/hyperkube:v1.32.13-rancher1\n"), "{paid}");
        let upstream = render(&args(true, false, Some("v1.33.5".into()))).unwrap();
        assert!(upstream.contains("  kubernetes: stockade/kubelet:v1.33.5\n") && upstream.contains("  etcd: registry.k8s.io/etcd:3.5.21-0\n"), "{upstream}");
        let e = render(&args(true, false, Some("v1.99.0".into()))).unwrap_err();
        assert!(e.to_string().contains("not in stockade's image table"));
    }
}
