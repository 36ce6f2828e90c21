//! Upgrades (pure): whether a run upgrades the cluster the state records as running (so `up`
//! takes an etcd snapshot first), and whether the version step is one Kubernetes supports.
//!
//! Kubernetes' version skew policy: components are upgraded one minor version at a time and
//! never downgraded (an older apiserver cannot read what a newer one stored in etcd). A cluster
//! whose recorded `kubernetes_version` is v1.20 may go to v1.20.x or v1.21.x; to v1.23 it goes
//! through v1.21 and v1.22, one `up` each.
use crate::config::ClusterConfig;
use serde_json::Value;

/// `(major, minor, patch)` of `v1.20.15-rancher2-2`.
fn triple(version: &str) -> Option<(u32, u32, u32)> {
    let core = version.trim().trim_start_matches('v');
    let core = core.split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

/// Refuses a downgrade, or a jump of more than one minor version, from `running` to `wanted`,
/// naming the versions to go through (`known`: the versions stockade has images for, used to
/// name the newest release of each minor on the way). Versions that do not parse are not judged.
pub fn check_step(running: &str, wanted: &str, known: &[String]) -> Result<(), String> {
    let (Some(from), Some(to)) = (triple(running), triple(wanted)) else { return Ok(()) };
    if to < from {
        return Err(format!(
            "kubernetes_version {wanted} is older than {running}, which the cluster runs: Kubernetes cannot be downgraded (the apiserver of {running} may have stored objects an older one cannot read). Keep kubernetes_version at {running} or newer; to go back, restore the etcd snapshot taken before the upgrade (`stockade etcd snapshot-restore --name NAME`)"
        ));
    }
    if to.0 != from.0 || to.1 > from.1 + 1 {
        let path: Vec<String> = if to.0 == from.0 {
            (from.1 + 1..to.1).map(|minor| newest_of(from.0, minor, known)).collect()
        } else {
            Vec::new()
        };
        let path = if path.is_empty() { String::new() } else { format!(": upgrade through {} first, one `up` for each, then to {wanted}", path.join(", then ")) };
        return Err(format!(
            "kubernetes_version {wanted} is more than one minor version newer than {running}, which the cluster runs: Kubernetes upgrades one minor version at a time{path}"
        ));
    }
    Ok(())
}

/// The newest known release of `v{major}.{minor}`, or `v{major}.{minor}.x`.
fn newest_of(major: u32, minor: u32, known: &[String]) -> String {
    known
        .iter()
        .filter(|v| triple(v).is_some_and(|t| (t.0, t.1) == (major, minor)))
        .max_by_key(|v| crate::versions::sort_key(v))
        .cloned()
        .unwrap_or_else(|| format!("v{major}.{minor}.x"))
}

/// The Kubernetes version the state records as running (`rkeConfig.kubernetesVersion`).
pub fn recorded_version(rke_config: Option<&Value>) -> Option<String> {
    rke_config?.get("kubernetesVersion")?.as_str().filter(|v| !v.is_empty()).map(String::from)
}

fn recorded_etcd_image(rke_config: Option<&Value>) -> Option<String> {
    rke_config?.get("systemImages")?.get("etcd")?.as_str().filter(|v| !v.is_empty()).map(String::from)
}

/// Why this run is an upgrade of the running cluster (a `kubernetes_version` change, an etcd
/// image change against what the state records as running), or None: a new cluster, or the
/// same versions.
pub fn upgrade_reason(rke_config: Option<&Value>, cfg: &ClusterConfig) -> Option<String> {
    let mut why = Vec::new();
    if let (Some(was), Some(now)) = (recorded_version(rke_config), cfg.kubernetes_version.as_deref()) {
        if was != now {
            why.push(format!("kubernetes_version {was} → {now}"));
        }
    }
    if let (Some(was), Some(now)) = (recorded_etcd_image(rke_config), cfg.system_images.etcd.as_deref()) {
        if was != now {
            why.push(format!("etcd image {was} → {now}"));
        }
    }
    (!why.is_empty()).then(|| why.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        ["v1.20.15-rancher2-2", "v1.21.14-rancher1-1", "v1.21.9-rancher1-1", "v1.22.17-rancher1-2"].map(String::from).to_vec()
    }

    #[test]
    fn one_minor_at_a_time_and_never_down() {
        assert_eq!(check_step("v1.20.15-rancher2-2", "v1.20.15-rancher2-2", &known()), Ok(()));
        assert_eq!(check_step("v1.20.4-rancher1-1", "v1.20.15-rancher2-2", &known()), Ok(()), "patch upgrade");
        assert_eq!(check_step("v1.20.15-rancher2-2", "v1.21.14-rancher1-1", &known()), Ok(()), "next minor");
        assert_eq!(check_step("v1.20.15-rancher2-1", "v1.20.15-rancher2-2", &known()), Ok(()), "another RKE1 build of the same release");

        let e = check_step("v1.20.15-rancher2-2", "v1.23.16-rancher2-3", &known()).unwrap_err();
        assert!(e.contains("one minor version at a time") && e.contains("through v1.21.14-rancher1-1, then v1.22.17-rancher1-2 first"), "{e}");
        let e = check_step("v1.20.15-rancher2-2", "v1.25.1-rancher1-1", &known()).unwrap_err();
        assert!(e.contains("v1.22.17-rancher1-2, then v1.23.x, then v1.24.x first"), "{e}");

        let e = check_step("v1.21.14-rancher1-1", "v1.20.15-rancher2-2", &known()).unwrap_err();
        assert!(e.contains("cannot be downgraded") && e.contains("snapshot-restore"), "{e}");
        assert!(check_step("v1.20.15-rancher2-2", "v1.20.4-rancher1-1", &known()).unwrap_err().contains("older than"), "patch downgrade");
        assert_eq!(check_step("custom", "v1.20.4", &known()), Ok(()), "not judged");
    }

    #[test]
    fn an_upgrade_is_a_version_or_etcd_image_change_against_the_recorded_cluster() {
        let cfg = |v: &str, etcd: &str| {
            let mut c: ClusterConfig = serde_yaml::from_str("nodes: []\n").unwrap();
            c.kubernetes_version = Some(v.into());
            c.system_images.etcd = Some(etcd.into());
            c
        };
        let recorded = serde_json::json!({"kubernetesVersion": "v1.20.15-rancher2-2", "systemImages": {"etcd": "rancher/mirrored-coreos-etcd:v3.4.15"}});
        assert_eq!(upgrade_reason(None, &cfg("v1.21.14-rancher1-1", "e")), None, "a new cluster");
        assert_eq!(upgrade_reason(Some(&recorded), &cfg("v1.20.15-rancher2-2", "rancher/mirrored-coreos-etcd:v3.4.15")), None);
        assert_eq!(
            upgrade_reason(Some(&recorded), &cfg("v1.21.14-rancher1-1", "rancher/mirrored-coreos-etcd:v3.4.15")).unwrap(),
            "kubernetes_version v1.20.15-rancher2-2 → v1.21.14-rancher1-1"
        );
        assert_eq!(
            upgrade_reason(Some(&recorded), &cfg("v1.20.15-rancher2-2", "rancher/mirrored-coreos-etcd:v3.5.6")).unwrap(),
            "etcd image rancher/mirrored-coreos-etcd:v3.4.15 → rancher/mirrored-coreos-etcd:v3.5.6"
        );
    }
}
