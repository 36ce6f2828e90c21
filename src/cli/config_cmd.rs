//! `stockade config`: the default system images per Kubernetes version (RKE's `rke config
//! --system-images` / `--list-version`).
use crate::versions;
use anyhow::Result;

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["system_images", "list_version"])))]
pub struct Args {
    /// Print the default system_images for a Kubernetes version
    #[arg(long, short = 's')]
    pub system_images: bool,
    /// List the Kubernetes versions stockade has default images for (every RKE1 release from 1.20 on, then the upstream minors)
    #[arg(long, short = 'l')]
    pub list_version: bool,
    /// Kubernetes version for --system-images (default: the default version)
    #[arg(long = "version", value_name = "VERSION")]
    pub k8s_version: Option<String>,
}

pub fn run(a: &Args) -> Result<()> {
    crate::ui::print(&render(a)?)?;
    Ok(())
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
    #[test]
    fn lists_versions_and_prints_images() {
        let list = render(&Args { system_images: false, list_version: true, k8s_version: None }).unwrap();
        assert!(list.contains("\nv1.32.13-rancher1-1  (default)  (rke-extended-life images: SUSE subscription)\n"), "{list}");
        // every RKE1 version from 1.20 on, oldest first, then the upstream minors
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.first().copied(), Some("v1.20.4-rancher1-1"));
        assert_eq!(lines.len(), versions::known_versions().len() + versions::upstream::MINORS.len());
        assert!(lines.contains(&"v1.32.13-rancher1-2  (rke-extended-life images: SUSE subscription)"));
        assert!(lines.contains(&"v1.32.6-rancher1-1"));
        assert!(list.ends_with("v1.33.<patch>  (upstream release: images from registry.k8s.io and the project's kubelet image)\n"));
        let images = render(&Args { system_images: true, list_version: false, k8s_version: Some("v1.30.5-rancher1-1".into()) }).unwrap();
        assert!(images.contains("  etcd: rancher/mirrored-coreos-etcd:v3.5.12\n"), "{images}");
        assert!(!images.contains("WARNING"));
        let old = render(&Args { system_images: true, list_version: false, k8s_version: Some("v1.20.15-rancher2-2".into()) }).unwrap();
        assert!(old.contains("  kubernetes: rancher/hyperkube:v1.20.15-rancher2\n"), "{old}");
        let paid = render(&Args { system_images: true, list_version: false, k8s_version: None }).unwrap();
        assert!(paid.starts_with("# default images for Kubernetes v1.32.13-rancher1-1\n# WARNING: "), "{paid}");
        assert!(paid.contains("  kubernetes: rke-extended-life/hyperkube:v1.32.13-rancher1\n"), "{paid}");
        let upstream = render(&Args { system_images: true, list_version: false, k8s_version: Some("v1.33.5".into()) }).unwrap();
        assert!(upstream.contains("  kubernetes: stockade/kubelet:v1.33.5\n") && upstream.contains("  etcd: registry.k8s.io/etcd:3.5.21-0\n"), "{upstream}");
        let e = render(&Args { system_images: true, list_version: false, k8s_version: Some("v1.99.0".into()) }).unwrap_err();
        assert!(e.to_string().contains("not in stockade's image table"));
    }
}
