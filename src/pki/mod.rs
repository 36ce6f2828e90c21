//! The cluster's certificates (RKE's table, `rke.md` §4): which exist, their subjects and SANs,
//! and how they are kept across runs: keys are reused, and a certificate is re-issued only when
//! its subject or SANs change or its CA changed. All keys are RSA-2048, validity 10 years.
pub mod bundle;
pub mod custom;
pub mod names;
pub mod rotate;

pub use bundle::{Bundle, CertificatePki};

use crate::config::ClusterConfig;
use anyhow::{anyhow, Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber, PKCS_RSA_SHA256,
};
use std::collections::BTreeSet;
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

const VALIDITY_DAYS: i64 = 3650;

/// What one leaf certificate must look like.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafSpec {
    pub name: String,
    pub cn: String,
    pub org: Option<String>,
    /// IPs and DNS names, as text
    pub sans: BTreeSet<String>,
    pub server: bool,
    /// name of the CA entry that signs it
    pub issuer: &'static str,
}

/// The full certificate set for a configuration (pure: no keys, no I/O).
pub fn leaf_specs(cfg: &ClusterConfig) -> Vec<LeafSpec> {
    let leaf = |name: &str, cn: &str, org: Option<&str>, sans: BTreeSet<String>, server: bool, issuer| LeafSpec {
        name: name.into(),
        cn: cn.into(),
        org: org.map(Into::into),
        sans,
        server,
        issuer,
    };
    let common = common_sans(cfg);
    let mut api_sans = common.clone();
    let mut etcd_sans = common;
    for n in &cfg.nodes {
        let ids = [Some(&n.address), n.internal_address.as_ref(), n.hostname_override.as_ref()];
        let ids = ids.into_iter().flatten().filter(|s| !s.is_empty()).cloned();
        if n.has_role("controlplane") {
            api_sans.extend(ids.clone());
        }
        if n.has_role("etcd") {
            etcd_sans.extend(ids);
        }
    }
    if let Some(a) = &cfg.authentication {
        api_sans.extend(a.sans.iter().cloned());
    }
    let none = BTreeSet::new;
    let mut specs = vec![
        leaf(names::APISERVER, names::APISERVER, None, api_sans, true, names::CA),
        leaf(names::SERVICE_ACCOUNT, names::SERVICE_ACCOUNT, None, none(), false, names::CA),
        leaf(names::CONTROLLER, "system:kube-controller-manager", None, none(), false, names::CA),
        leaf(names::SCHEDULER, "system:kube-scheduler", None, none(), false, names::CA),
        leaf(names::PROXY, "system:kube-proxy", None, none(), false, names::CA),
        leaf(names::NODE, "system:node", Some("system:nodes"), none(), false, names::CA),
        leaf(names::ADMIN, names::ADMIN, Some("system:masters"), none(), false, names::CA),
        leaf(names::PROXY_CLIENT, names::PROXY_CLIENT, None, none(), true, names::REQUESTHEADER_CA),
    ];
    for n in cfg.nodes.iter().filter(|n| n.has_role("etcd")) {
        specs.push(leaf(&names::etcd_cert(n), "kube-etcd", None, etcd_sans.clone(), true, names::CA));
    }
    if serving_certificates(cfg) {
        for n in &cfg.nodes {
            // the node as kube-apiserver reaches it (RKE1's GetIPHostAltnamesForHost)
            let mut sans = BTreeSet::from([n.address.clone()]);
            sans.extend(n.internal_address.iter().chain(&n.hostname_override).filter(|s| !s.is_empty()).cloned());
            let name = names::kubelet_cert(n);
            specs.push(leaf(&name, &name, None, sans, true, names::CA));
        }
    }
    specs
}

/// `services.kubelet.generate_serving_certificate`: every kubelet serves with a certificate of
/// the cluster CA (which kube-apiserver then verifies), not a self-signed one.
pub fn serving_certificates(cfg: &ClusterConfig) -> bool {
    cfg.services.kubelet.generate_serving_certificate == Some(true)
}

fn common_sans(cfg: &ClusterConfig) -> BTreeSet<String> {
    let domain = cfg.services.kubelet.cluster_domain.clone().unwrap_or_else(|| "cluster.local".into());
    let mut s: BTreeSet<String> = ["127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"]
        .into_iter()
        .map(String::from)
        .collect();
    s.insert(format!("kubernetes.default.svc.{domain}"));
    if let Some(ip) = cfg.services.kube_api.service_cluster_ip_range.as_deref().and_then(first_service_ip) {
        s.insert(ip.to_string());
    }
    s
}

/// The first usable address of the service range (10.43.0.1 for 10.43.0.0/16).
pub fn first_service_ip(cidr: &str) -> Option<IpAddr> {
    let (ip, _) = crate::config::validate::parse_cidr(cidr.split(',').next()?.trim())?;
    Some(match ip {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) + 1).into()),
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) + 1).into()),
    })
}

/// What `reconcile` did, for the progress output.
#[derive(Debug, Default)]
pub struct PkiChanges {
    pub issued: Vec<String>,
    pub removed: Vec<String>,
}

impl PkiChanges {
    pub fn is_empty(&self) -> bool {
        self.issued.is_empty() && self.removed.is_empty()
    }
}

/// Brings `bundle` to what `cfg` needs: creates missing CAs, issues missing or outdated
/// certificates (reusing each existing key), removes per-node certificates of departed hosts.
pub fn reconcile(bundle: &mut Bundle, cfg: &ClusterConfig) -> Result<PkiChanges> {
    let mut changes = PkiChanges::default();
    let mut new_ca = BTreeSet::new();
    for ca in [names::CA, names::REQUESTHEADER_CA] {
        let usable = bundle.get(ca).is_some_and(|c| !c.certificate_pem.is_empty() && !c.key_pem.is_empty());
        // a CA without its key signed certificates elsewhere (`up --custom-certs`): replacing it
        // would orphan every certificate the cluster runs with
        if !usable && bundle.get(ca).is_some_and(|c| !c.certificate_pem.is_empty()) {
            return Err(anyhow!(
                "the state has the {ca} certificate without its key: this cluster's certificates come from your own CA; run with --custom-certs (and the certificate directory), as when it was set up"
            ));
        }
        if !usable {
            let (cert, key) = new_ca_pem(ca)?;
            bundle.insert(ca.into(), CertificatePki::named(ca, ca, "", cert, key));
            new_ca.insert(ca);
            changes.issued.push(ca.into());
        }
    }
    let specs = leaf_specs(cfg);
    for spec in &specs {
        let existing = bundle.get(&spec.name);
        let current = existing.is_some_and(|c| !new_ca.contains(spec.issuer) && (matches_spec(c, spec, &bundle[spec.issuer]) || is_token_key(c, spec)));
        if current {
            continue;
        }
        let key_pem = existing.map(|c| c.key_pem.clone()).filter(|k| !k.is_empty());
        let (cert, key) = issue(spec, key_pem.as_deref(), &bundle[spec.issuer], None)
            .with_context(|| format!("issuing certificate {}", spec.name))?;
        let ou = spec.org.clone().unwrap_or_default();
        bundle.insert(spec.name.clone(), CertificatePki::named(&spec.name, &spec.cn, &ou, cert, key));
        changes.issued.push(spec.name.clone());
    }
    let wanted: BTreeSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let stale: Vec<String> = bundle
        .keys()
        .filter(|k| (k.starts_with(names::ETCD_PREFIX) || k.starts_with(names::KUBELET_PREFIX)) && !wanted.contains(k.as_str()))
        .cloned()
        .collect();
    for k in stale {
        bundle.remove(&k);
        changes.removed.push(k);
    }
    names::attach_kubeconfigs(bundle);
    Ok(changes)
}

fn new_ca_pem(cn: &str) -> Result<(String, String)> {
    let key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    validity(&mut p);
    let cert = p.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn validity(p: &mut CertificateParams) {
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(VALIDITY_DAYS);
    p.serial_number = Some(random_serial());
}

fn random_serial() -> SerialNumber {
    use sha2::Digest;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let h = sha2::Sha256::digest(format!("{t}-{n}-{}", std::process::id()).as_bytes());
    let mut bytes = h[..16].to_vec();
    bytes[0] &= 0x7f; // positive
    SerialNumber::from_slice(&bytes)
}

/// A leaf certificate for `spec` signed by `ca`, with `key_pem` (else a new key); `window`
/// overrides the validity (test fixtures only).
fn issue(spec: &LeafSpec, key_pem: Option<&str>, ca: &CertificatePki, window: Option<(OffsetDateTime, OffsetDateTime)>) -> Result<(String, String)> {
    let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(|e| anyhow!("the CA key {} cannot be read: {e}", ca.name))?;
    let issuer = Issuer::from_ca_cert_pem(&ca.certificate_pem, ca_key).map_err(|e| anyhow!("the CA certificate {} cannot be read: {e}", ca.name))?;
    let key = match key_pem {
        Some(k) => KeyPair::from_pem(k).map_err(|e| anyhow!("the existing key cannot be read: {e}"))?,
        None => KeyPair::generate_for(&PKCS_RSA_SHA256)?,
    };
    let mut p = leaf_params(spec)?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.use_authority_key_identifier_extension = true;
    validity(&mut p);
    if let Some((from, to)) = window {
        (p.not_before, p.not_after) = (from, to);
    }
    let cert = p.signed_by(&key, &issuer)?;
    // a reused key keeps its bytes (RKE1 wrote PKCS#1): the key file on the hosts stays as it is
    Ok((cert.pem(), key_pem.map(String::from).unwrap_or_else(|| key.serialize_pem())))
}

/// A certificate's subject (CN, O), alternative names and usages (client, and server where it
/// serves) as `spec` gives them: what stockade issues, and what `cert generate-csr` asks the
/// operator's CA for.
pub(crate) fn leaf_params(spec: &LeafSpec) -> Result<CertificateParams> {
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, spec.cn.as_str());
    if let Some(o) = &spec.org {
        p.distinguished_name.push(DnType::OrganizationName, o.as_str());
    }
    for s in &spec.sans {
        p.subject_alt_names.push(match s.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(s.as_str().try_into().map_err(|e| anyhow!("SAN {s}: {e}"))?),
        });
    }
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    if spec.server {
        p.extended_key_usages.push(ExtendedKeyUsagePurpose::ServerAuth);
    }
    Ok(p)
}

/// The service-account token entry is a key: kube-apiserver verifies tokens and the
/// controller-manager signs them with it, its certificate is never read. RKE1 keeps whatever
/// certificate the entry has (rancher/rke pki/services.go `GenerateServiceTokenKey`), and a
/// cluster RKE1 set up carries kube-apiserver's certificate and key there. Issuing another
/// certificate would rewrite the files and restart kube-apiserver and the controller-manager for
/// nothing.
fn is_token_key(c: &CertificatePki, spec: &LeafSpec) -> bool {
    spec.name == names::SERVICE_ACCOUNT && !c.key_pem.is_empty() && KeyPair::from_pem(&c.key_pem).is_ok() && cert_info(&c.certificate_pem).is_some()
}

/// Whether an existing certificate already is what `spec` asks for: same subject, same SANs,
/// issued by the current CA, and not expiring within 30 days.
fn matches_spec(c: &CertificatePki, spec: &LeafSpec, ca: &CertificatePki) -> bool {
    let Some(info) = cert_info(&c.certificate_pem) else { return false };
    let Some(ca_info) = cert_info(&ca.certificate_pem) else { return false };
    if c.key_pem.is_empty() || info.issuer != ca_info.subject {
        return false;
    }
    let soon = OffsetDateTime::now_utc() + Duration::days(30);
    info.cn == spec.cn && info.org == spec.org && info.sans == spec.sans && info.not_after > soon
}

pub struct CertInfo {
    pub cn: String,
    pub org: Option<String>,
    pub sans: BTreeSet<String>,
    pub subject: String,
    pub issuer: String,
    pub not_after: OffsetDateTime,
}

pub fn cert_info(pem: &str) -> Option<CertInfo> {
    use x509_parser::prelude::*;
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let cert = p.parse_x509().ok()?;
    let first = |it: &mut dyn Iterator<Item = &AttributeTypeAndValue>| it.next().and_then(|a| a.as_str().ok()).map(String::from);
    let mut sans = BTreeSet::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                GeneralName::DNSName(d) => {
                    sans.insert(d.to_string());
                }
                GeneralName::IPAddress(b) => {
                    let ip = match b.len() {
                        4 => IpAddr::from(<[u8; 4]>::try_from(*b).ok()?),
                        16 => IpAddr::from(<[u8; 16]>::try_from(*b).ok()?),
                        _ => continue,
                    };
                    sans.insert(ip.to_string());
                }
                _ => {}
            }
        }
    }
    Some(CertInfo {
        cn: first(&mut cert.subject().iter_common_name()).unwrap_or_default(),
        org: first(&mut cert.subject().iter_organization()),
        sans,
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_after: cert.validity().not_after.to_datetime(),
    })
}

#[cfg(test)]
mod tests;
