//! `stockade config`: the default system images per Kubernetes version (RKE's `rke config
//! --system-images` / `--list-version`).
use crate::versions;
use anyhow::{bail, Result};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["system_images", "list_version"])))]
pub struct Args {
    /// Print the default system_images for a Kubernetes version
    #[arg(long, short = 's')]
    pub system_images: bool,
    /// List the Kubernetes versions stockade has default images for
    #[arg(long, short = 'l')]
    pub list_version: bool,
    /// Kubernetes version for --system-images (default: the default version)
    #[arg(long = "version", value_name = "VERSION")]
    pub k8s_version: Option<String>,
}

pub fn run(a: &Args) -> Result<()> {
    print!("{}", render(a)?);
    Ok(())
}

fn render(a: &Args) -> Result<String> {
    if a.list_version {
        let mut out = String::new();
        for v in versions::known_versions() {
            let mark = if v == versions::DEFAULT_KUBERNETES_VERSION { "  (default)" } else { "" };
            out.push_str(&format!("{v}{mark}\n"));
        }
        return Ok(out);
    }
    let version = a.k8s_version.clone().unwrap_or_else(|| versions::DEFAULT_KUBERNETES_VERSION.into());
    let Some(images) = versions::system_images(&version) else {
        bail!(
            "Kubernetes version {version} is not in stockade's image table (known: {}). Use one of those, or set every image under system_images in cluster.yml",
            versions::known_versions().join(", ")
        );
    };
    let mut out = format!("# default images for Kubernetes {version}\nkubernetes_version: {version}\nsystem_images:\n");
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
        assert!(list.contains("v1.31.1-rancher1-1  (default)"), "{list}");
        assert!(list.contains("v1.30.5-rancher1-1"));
        let images = render(&Args { system_images: true, list_version: false, k8s_version: Some("v1.30.5-rancher1-1".into()) }).unwrap();
        assert!(images.contains("  etcd: rancher/mirrored-coreos-etcd:v3.5.12\n"), "{images}");
        let e = render(&Args { system_images: true, list_version: false, k8s_version: Some("v1.99.0".into()) }).unwrap_err();
        assert!(e.to_string().contains("not in stockade's image table"));
    }
}
