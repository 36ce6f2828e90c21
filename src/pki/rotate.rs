//! Certificate rotation (`stockade cert rotate`, RKE1's `rke cert rotate`, rke.md §4): which
//! entries of the bundle a request re-issues, and re-issuing them with new keys. Pure: no I/O.
//!
//! The service-account token key is always kept (its certificate is re-issued around the same
//! key): every ServiceAccount token in the cluster is signed with it, and a new key would make
//! all of them invalid at once.
use super::{issue, leaf_specs, names, new_ca_pem, Bundle, CertificatePki};
use crate::config::ClusterConfig;
use anyhow::{anyhow, Context, Result};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// A component whose certificates `--service` names (RKE1's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    KubeApiserver,
    KubeControllerManager,
    KubeScheduler,
    Kubelet,
    KubeProxy,
    Etcd,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::KubeApiserver => "kube-apiserver",
            Service::KubeControllerManager => "kube-controller-manager",
            Service::KubeScheduler => "kube-scheduler",
            Service::Kubelet => "kubelet",
            Service::KubeProxy => "kube-proxy",
            Service::Etcd => "etcd",
        }
    }

    /// The bundle entries the component's certificate generator makes in RKE1.
    fn entries(self, bundle: &Bundle) -> Vec<String> {
        match self {
            Service::KubeApiserver => vec![names::APISERVER.into()],
            Service::KubeControllerManager => vec![names::CONTROLLER.into()],
            Service::KubeScheduler => vec![names::SCHEDULER.into()],
            // one kube-node certificate shared by every kubelet (also etcd's client certificate),
            // and the kubelets' serving certificates where `generate_serving_certificate` made them
            Service::Kubelet => std::iter::once(names::NODE.to_string()).chain(bundle.keys().filter(|k| k.starts_with(names::KUBELET_PREFIX)).cloned()).collect(),
            Service::KubeProxy => vec![names::PROXY.into()],
            Service::Etcd => bundle.keys().filter(|k| k.starts_with(names::ETCD_PREFIX)).cloned().collect(),
        }
    }
}

/// What `cert rotate` was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Request {
    /// empty: every service certificate
    pub services: BTreeSet<Service>,
    /// new CAs and everything under them (then `services` is ignored: everything changes)
    pub rotate_ca: bool,
}

impl Request {
    /// As the command line says it (`--service etcd --rotate-ca`), for messages.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.services.iter().map(|s| format!("--service {}", s.name())).collect();
        if self.rotate_ca {
            parts.push("--rotate-ca".into());
        }
        if parts.is_empty() {
            "(all service certificates)".into()
        } else {
            parts.join(" ")
        }
    }
}

fn is_ca(name: &str) -> bool {
    name == names::CA || name == names::REQUESTHEADER_CA
}

/// The bundle entries `req` re-issues. Without `--service` (or with `--rotate-ca`) that is every
/// leaf certificate, the service-account token's included (its key is kept, see the module doc);
/// with `--rotate-ca` the two CAs too.
pub fn affected(req: &Request, bundle: &Bundle) -> BTreeSet<String> {
    if req.rotate_ca || req.services.is_empty() {
        return bundle.keys().filter(|k| req.rotate_ca || !is_ca(k)).cloned().collect();
    }
    req.services.iter().flat_map(|s| s.entries(bundle)).filter(|n| bundle.contains_key(n)).collect()
}

/// Re-issues what `req` asks for in `bundle` (new keys; the service-account key is kept), for the
/// hosts of `cfg`. Without `--rotate-ca` the existing CA signs: it must be present and valid, or
/// the error says to rotate the CA as well. Returns the re-issued entries.
pub fn rotate(bundle: &mut Bundle, cfg: &ClusterConfig, req: &Request) -> Result<Vec<String>> {
    let targets = affected(req, bundle);
    if req.rotate_ca {
        for ca in [names::CA, names::REQUESTHEADER_CA] {
            let (cert, key) = new_ca_pem(ca)?;
            bundle.insert(ca.into(), CertificatePki::named(ca, ca, "", cert, key));
        }
    } else {
        check_cas(bundle)?;
    }
    let mut done: Vec<String> = targets.iter().filter(|n| is_ca(n)).cloned().collect();
    for spec in leaf_specs(cfg).iter().filter(|s| targets.contains(&s.name)) {
        let kept_key = (spec.name == names::SERVICE_ACCOUNT).then(|| bundle.get(&spec.name).map(|c| c.key_pem.clone())).flatten().filter(|k| !k.is_empty());
        let (cert, key) = issue(spec, kept_key.as_deref(), &bundle[spec.issuer], None).with_context(|| format!("issuing certificate {}", spec.name))?;
        let ou = spec.org.clone().unwrap_or_default();
        bundle.insert(spec.name.clone(), CertificatePki::named(&spec.name, &spec.cn, &ou, cert, key));
        done.push(spec.name.clone());
    }
    names::attach_kubeconfigs(bundle);
    Ok(done)
}

/// Without `--rotate-ca` the existing CAs sign the new certificates: both must be present, with
/// their keys, and not expired; else the error says to rotate them too.
pub fn check_cas(bundle: &Bundle) -> Result<()> {
    for ca in [names::CA, names::REQUESTHEADER_CA] {
        usable_ca(bundle, ca)?;
    }
    Ok(())
}

fn usable_ca(bundle: &Bundle, name: &str) -> Result<()> {
    let hint = "rotate the CA too (`stockade cert rotate --rotate-ca`: every certificate is re-issued and every component restarts)";
    let c = bundle.get(name).filter(|c| !c.certificate_pem.is_empty() && !c.key_pem.is_empty()).ok_or_else(|| anyhow!("the state file has no {name} certificate and key: {hint}"))?;
    let info = super::cert_info(&c.certificate_pem).ok_or_else(|| anyhow!("the {name} certificate in the state file cannot be read: {hint}"))?;
    if info.not_after <= OffsetDateTime::now_utc() {
        return Err(anyhow!("the CA {name} expired on {}: {hint}", info.not_after));
    }
    Ok(())
}

/// Test fixtures only (not reachable from the command line): every leaf certificate of `bundle`
/// re-issued with its own key and CA but a validity that ended yesterday, as a cluster whose
/// certificates have expired has them.
#[doc(hidden)]
pub fn expired_leaves_for_tests(bundle: &mut Bundle, cfg: &ClusterConfig) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let window = (now - time::Duration::days(400), now - time::Duration::days(1));
    let specs: Vec<_> = leaf_specs(cfg).into_iter().filter(|s| bundle.contains_key(&s.name)).collect();
    for spec in &specs {
        let key = bundle[&spec.name].key_pem.clone();
        let (cert, _) = issue(spec, Some(&key), &bundle[spec.issuer], Some(window))?;
        bundle.get_mut(&spec.name).expect("present").certificate_pem = cert;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle_with(names: &[&str]) -> Bundle {
        names.iter().map(|n| (n.to_string(), CertificatePki::named(n, n, "", String::new(), String::new()))).collect()
    }

    #[test]
    fn which_entries_a_request_touches() {
        let b = bundle_with(&[
            names::CA, names::REQUESTHEADER_CA, names::APISERVER, names::SERVICE_ACCOUNT, names::CONTROLLER, names::SCHEDULER, names::PROXY,
            names::NODE, names::ADMIN, names::PROXY_CLIENT, "kube-etcd-10-0-0-1", "kube-etcd-10-0-0-2",
        ]);
        let req = |s: &[Service], ca: bool| Request { services: s.iter().copied().collect(), rotate_ca: ca };
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(affected(&req(&[Service::Etcd], false), &b), set(&["kube-etcd-10-0-0-1", "kube-etcd-10-0-0-2"]));
        assert_eq!(affected(&req(&[Service::Kubelet, Service::KubeProxy], false), &b), set(&[names::NODE, names::PROXY]));
        assert_eq!(affected(&req(&[Service::KubeApiserver], false), &b), set(&[names::APISERVER]));
        let all = affected(&req(&[], false), &b);
        assert_eq!(all.len(), 10, "every leaf, no CA: {all:?}");
        assert!(!all.contains(names::CA) && !all.contains(names::REQUESTHEADER_CA) && all.contains(names::SERVICE_ACCOUNT));
        // --rotate-ca: everything, whatever --service says
        assert_eq!(affected(&req(&[Service::Etcd], true), &b).len(), 12);
        assert_eq!(req(&[Service::Etcd, Service::Kubelet], true).describe(), "--service kubelet --service etcd --rotate-ca");
    }
}
