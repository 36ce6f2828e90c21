//! Certificates from the operator's own CA, in RKE1's layout (rke.md §4): `up --custom-certs`
//! reads `<name>.pem` and `<name>-key.pem` for every certificate the cluster needs from a
//! directory, and `cert generate-csr` writes `<name>-csr.pem` and `<name>-key.pem` there for
//! the CA to sign. Pure: the files come in as text, the bundle (or every problem) goes out.
//!
//! Checked before anything on a host changes, stricter than RKE1 (which compared issuer names):
//! every file present; each key the pair of its certificate; each certificate signed by its CA
//! (the signature verified), not expired, with the subject the cluster's RBAC expects and every
//! address and name the component is reached by.
use super::{cert_info, leaf_specs, names, Bundle, CertificatePki, LeafSpec};
use crate::config::ClusterConfig;
use anyhow::{anyhow, Result};
use rcgen::{KeyPair, PKCS_RSA_SHA256};
use std::collections::BTreeMap;

/// What `bundle_from` found: the bundle, and what the operator should know (a fallback taken).
pub struct Custom {
    pub bundle: Bundle,
    pub warnings: Vec<String>,
}

/// The bundle made of `files` (file name → content, from the certificate directory), or every
/// file that is missing or wrong.
pub fn bundle_from(files: &BTreeMap<String, String>, cfg: &ClusterConfig) -> Result<Custom, Vec<String>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut bundle = Bundle::new();
    let cert_file = |n: &str| files.get(&format!("{n}.pem")).filter(|c| !c.trim().is_empty()).cloned();
    let key_file = |n: &str| files.get(&format!("{n}-key.pem")).filter(|c| !c.trim().is_empty()).cloned();

    match cert_file(names::CA) {
        Some(ca) if cert_info(&ca).is_some() => {
            // the CA's key may stay with the CA: nothing is issued with custom certificates
            bundle.insert(names::CA.into(), CertificatePki::named(names::CA, names::CA, "", ca, key_file(names::CA).unwrap_or_default()));
        }
        Some(_) => problems.push(format!("{}.pem is not a PEM certificate", names::CA)),
        None => problems.push(format!("{}.pem is missing: the CA that signed the others", names::CA)),
    }
    match cert_file(names::REQUESTHEADER_CA) {
        Some(c) => {
            bundle.insert(names::REQUESTHEADER_CA.into(), CertificatePki::named(names::REQUESTHEADER_CA, names::REQUESTHEADER_CA, "", c, key_file(names::REQUESTHEADER_CA).unwrap_or_default()));
        }
        None => {
            // as RKE1: the front-proxy client is then checked against the cluster CA
            warnings.push(format!("{}.pem is missing: the cluster CA ({}.pem) is used to verify the front-proxy client instead", names::REQUESTHEADER_CA, names::CA));
            if let Some(ca) = bundle.get(names::CA).cloned() {
                let mut rh = ca;
                rh.key_pem.clear();
                rh.name = names::REQUESTHEADER_CA.into();
                bundle.insert(names::REQUESTHEADER_CA.into(), rh);
            }
        }
    }
    for spec in leaf_specs(cfg) {
        let (cert, key) = (cert_file(&spec.name), key_file(&spec.name));
        let (cert, key) = match (cert, key, spec.name.as_str()) {
            (Some(c), Some(k), _) => (c, k),
            // RKE1's clusters before the separate key signed service-account tokens with the apiserver's
            (None, None, names::SERVICE_ACCOUNT) => match (cert_file(names::APISERVER), key_file(names::APISERVER)) {
                (Some(c), Some(k)) => {
                    warnings.push(format!("{0}.pem and {0}-key.pem are missing: service-account tokens are signed with the kube-apiserver key, as RKE1's older clusters did", names::SERVICE_ACCOUNT));
                    (c, k)
                }
                _ => continue, // the apiserver's own problem is reported below
            },
            (c, k, _) => {
                let missing: Vec<String> = [(c.is_none(), format!("{}.pem", spec.name)), (k.is_none(), format!("{}-key.pem", spec.name))].into_iter().filter(|(m, _)| *m).map(|(_, f)| f).collect();
                problems.push(format!("{} is missing", missing.join(" and ")));
                continue;
            }
        };
        if spec.name != names::SERVICE_ACCOUNT || files.contains_key(&format!("{}.pem", names::SERVICE_ACCOUNT)) {
            if let Some(issuer) = bundle.get(spec.issuer) {
                problems.extend(check_leaf(&spec, &cert, &key, &issuer.certificate_pem));
            }
        }
        let ou = spec.org.clone().unwrap_or_default();
        bundle.insert(spec.name.clone(), CertificatePki::named(&spec.name, &spec.cn, &ou, cert, key));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    names::attach_kubeconfigs(&mut bundle);
    Ok(Custom { bundle, warnings })
}

/// What is wrong with one certificate and key against what the cluster needs of it.
fn check_leaf(spec: &LeafSpec, cert_pem: &str, key_pem: &str, issuer_pem: &str) -> Vec<String> {
    use x509_parser::prelude::*;
    let file = format!("{}.pem", spec.name);
    let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes()) else { return vec![format!("{file} is not a PEM certificate")] };
    let Ok(cert) = pem.parse_x509() else { return vec![format!("{file} is not a valid certificate")] };
    let mut out = Vec::new();
    if cert.version() != X509Version::V3 {
        // rustls (stockade's etcd and Kubernetes clients) reads only v3 certificates
        out.push(format!("{file} is an X.509 {:?} certificate: sign it as v3, with the request's extensions (openssl x509 -req ... -copy_extensions copyall)", cert.version()));
    }
    match KeyPair::from_pem(key_pem) {
        Ok(k) if rcgen::PublicKeyData::subject_public_key_info(&k) == cert.public_key().raw => {}
        Ok(_) => out.push(format!("{}-key.pem is not the key of {file}", spec.name)),
        Err(e) => out.push(format!("{}-key.pem cannot be read: {e}", spec.name)),
    }
    let issuer = x509_parser::pem::parse_x509_pem(issuer_pem.as_bytes()).ok().map(|(_, p)| p.contents);
    let verified = issuer.as_deref().and_then(|der| X509Certificate::from_der(der).ok()).is_some_and(|(_, ca)| cert.verify_signature(Some(ca.public_key())).is_ok());
    if !verified {
        out.push(format!("{file} is not signed by {}.pem", spec.issuer));
    }
    let now = ::time::OffsetDateTime::now_utc().unix_timestamp();
    if cert.validity().not_after.timestamp() <= now {
        out.push(format!("{file} expired on {}", cert.validity().not_after));
    }
    if let Some(info) = cert_info(cert_pem) {
        if info.cn != spec.cn {
            out.push(format!("{file} has CN {:?}; Kubernetes' RBAC expects {:?}", info.cn, spec.cn));
        }
        if spec.org.is_some() && info.org != spec.org {
            out.push(format!("{file} has O {:?}; Kubernetes' RBAC expects {:?}", info.org.unwrap_or_default(), spec.org.clone().unwrap_or_default()));
        }
        let missing: Vec<&String> = spec.sans.iter().filter(|s| !info.sans.contains(*s)).collect();
        if !missing.is_empty() {
            out.push(format!("{file} lacks the subject alternative names {}", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
        }
    }
    out
}

/// One certificate signing request of `cert generate-csr`.
pub struct Request {
    pub name: String,
    pub csr_pem: String,
    pub key_pem: String,
}

/// A request for every certificate the cluster needs (the CAs are the operator's), with the
/// subject and names stockade would give it. A key the state already has is reused, so a
/// signed certificate fits the key the cluster runs with; else a new RSA-2048 key.
pub fn requests(cfg: &ClusterConfig, existing: &Bundle) -> Result<Vec<Request>> {
    let mut out = Vec::new();
    for spec in leaf_specs(cfg) {
        let key = match existing.get(&spec.name).map(|c| c.key_pem.as_str()).filter(|k| !k.is_empty()) {
            Some(k) => KeyPair::from_pem(k).map_err(|e| anyhow!("the key of {} in the state cannot be read: {e}", spec.name))?,
            None => KeyPair::generate_for(&PKCS_RSA_SHA256)?,
        };
        let p = super::leaf_params(&spec)?;
        let csr = p.serialize_request(&key)?;
        out.push(Request { name: spec.name.clone(), csr_pem: csr.pem()?, key_pem: key.serialize_pem() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ClusterConfig {
        let text = "nodes:\n  - address: 10.0.0.1\n    user: root\n    role: [etcd, controlplane, worker]\n  - address: 10.0.0.2\n    user: root\n    role: [worker]\n";
        let mut c = crate::config::load::parse(std::path::Path::new("c.yml"), text).unwrap();
        crate::config::defaults::apply(&mut c);
        c
    }

    /// The files an operator's CA would produce: every certificate and key of a bundle.
    fn files_of(b: &Bundle) -> BTreeMap<String, String> {
        let mut f = BTreeMap::new();
        for (n, c) in b {
            f.insert(format!("{n}.pem"), c.certificate_pem.clone());
            f.insert(format!("{n}-key.pem"), c.key_pem.clone());
        }
        f
    }

    fn issued(cfg: &ClusterConfig) -> Bundle {
        let mut b = Bundle::new();
        super::super::reconcile(&mut b, cfg).unwrap();
        b
    }

    #[test]
    fn a_complete_directory_is_the_bundle_and_every_problem_is_named() {
        let cfg = cfg();
        let theirs = issued(&cfg);
        let mut files = files_of(&theirs);
        files.remove("kube-ca-key.pem"); // the CA's key stays with the CA
        let got = bundle_from(&files, &cfg).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(got.bundle["kube-apiserver"].certificate_pem, theirs["kube-apiserver"].certificate_pem);
        assert!(got.bundle["kube-ca"].key_pem.is_empty());
        assert!(got.bundle["kube-node"].config.contains("client-certificate"), "component kubeconfigs attached");

        // another CA's certificates, a swapped key, a missing file, a missing name
        let other = issued(&cfg);
        let mut bad = files.clone();
        bad.insert("kube-scheduler.pem".into(), other["kube-scheduler"].certificate_pem.clone());
        bad.insert("kube-scheduler-key.pem".into(), other["kube-scheduler"].key_pem.clone());
        bad.insert("kube-proxy-key.pem".into(), theirs["kube-node"].key_pem.clone());
        bad.remove("kube-admin-key.pem");
        let mut more = cfg.clone();
        more.authentication = Some(crate::config::schema::Authentication { sans: vec!["api.example.com".into()], ..Default::default() });
        let problems = bundle_from(&bad, &more).err().expect("refused");
        let all = problems.join("\n");
        assert!(all.contains("kube-scheduler.pem is not signed by kube-ca.pem"), "{all}");
        assert!(all.contains("kube-proxy-key.pem is not the key of kube-proxy.pem"), "{all}");
        assert!(all.contains("kube-admin-key.pem is missing"), "{all}");
        assert!(all.contains("kube-apiserver.pem lacks the subject alternative names api.example.com"), "{all}");
        assert!(bundle_from(&BTreeMap::new(), &cfg).err().unwrap().iter().any(|p| p.contains("kube-ca.pem is missing")));
    }

    /// `cert generate-csr` → the operator's CA signs → `up --custom-certs` accepts them.
    #[test]
    fn signed_requests_are_accepted() {
        let cfg = cfg();
        let ca = issued(&cfg); // stands for the operator's CA: only its kube-ca and requestheader CA are used
        let reqs = requests(&cfg, &Bundle::new()).unwrap();
        let mut files = BTreeMap::new();
        for (n, c) in [("kube-ca", &ca["kube-ca"]), ("kube-apiserver-requestheader-ca", &ca["kube-apiserver-requestheader-ca"])] {
            files.insert(format!("{n}.pem"), c.certificate_pem.clone());
        }
        for r in &reqs {
            let issuer_name = if r.name == names::PROXY_CLIENT { names::REQUESTHEADER_CA } else { names::CA };
            let issuer_entry = &ca[issuer_name];
            let issuer = rcgen::Issuer::from_ca_cert_pem(&issuer_entry.certificate_pem, KeyPair::from_pem(&issuer_entry.key_pem).unwrap()).unwrap();
            let csr = rcgen::CertificateSigningRequestParams::from_pem(&r.csr_pem).unwrap();
            let cert = csr.signed_by(&issuer).unwrap();
            files.insert(format!("{}.pem", r.name), cert.pem());
            files.insert(format!("{}-key.pem", r.name), r.key_pem.clone());
        }
        let got = bundle_from(&files, &cfg).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(got.bundle.len(), leaf_specs(&cfg).len() + 2);
        // a key the state holds is the one asked for again
        let again = requests(&cfg, &got.bundle).unwrap();
        assert_eq!(again.iter().find(|r| r.name == "kube-node").unwrap().key_pem, got.bundle["kube-node"].key_pem);
    }
}
