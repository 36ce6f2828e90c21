//! `cert check-expiration --live`: the certificates the hosts actually serve and store, next to
//! what the state file records. Served certificates are read with a TLS handshake through a
//! `direct-tcpip` channel of each host's SSH connection (kube-apiserver :6443 on controlplane
//! hosts, etcd :2379 on etcd hosts, kubelet :10250 everywhere); stored ones are the `*.pem` files
//! under the host's ssl directory, read through a helper container that is never started.
//!
//! The handshake only reads the server's certificate: it is captured before any verification
//! and accepted whatever it is (an expired certificate is exactly what this must be able to
//! show), and no client certificate is sent. The connection runs inside the authenticated SSH
//! channel to the host itself, and nothing is sent over it after the handshake.
use super::Expiry;
use crate::pki::{self, names, Bundle};
use crate::transport::Host;
use anyhow::{anyhow, Result};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// How long one endpoint gets to complete a handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// One certificate found on a host.
#[derive(Debug, Clone, Serialize)]
pub struct LiveCert {
    pub host: String,
    /// `served` (read over the network) or `file`
    pub kind: &'static str,
    /// `127.0.0.1:6443 (kube-apiserver)` or the file's path on the host
    pub source: String,
    /// the state's bundle entry it stands for, when there is one
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub expiry: Expiry,
    /// hex serial number
    pub serial: String,
    /// when the state's certificate of the same entry expires
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_not_after: Option<String>,
    /// whether it is the very certificate the state records for that entry
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as_state: Option<bool>,
}

/// The served and stored certificates of one host.
/// `ssl_dir`: the host's own (under its prefix, `Host::prefixed`).
pub async fn host_certs(h: &Host, helper_image: &str, ssl_dir: String, bundle: &Bundle, now: OffsetDateTime, warn_days: i64, deadline: Duration) -> Vec<LiveCert> {
    let mut out = Vec::new();
    let mut endpoints: Vec<(String, u16, &str, Option<String>)> = Vec::new();
    if h.has_role("controlplane") {
        endpoints.push(("127.0.0.1".into(), 6443, "kube-apiserver", Some(names::APISERVER.into())));
    }
    if h.has_role("etcd") {
        endpoints.push((crate::plan::etcd::internal(&h.node).to_string(), crate::plan::etcd::CLIENT_PORT, "etcd", Some(names::etcd_cert(&h.node))));
    }
    endpoints.push(("127.0.0.1".into(), 10250, "kubelet", None));
    for (ip, port, what, name) in endpoints {
        let source = format!("{ip}:{port} ({what})");
        let read = served_cert(h, &ip, port);
        let got = match tokio::time::timeout(HANDSHAKE, read).await {
            Ok(r) => r,
            Err(_) => Err(anyhow!("no TLS handshake within {}s", HANDSHAKE.as_secs())),
        };
        out.push(entry(h, "served", source, name, got, bundle, now, warn_days));
    }
    let files = tokio::time::timeout(deadline, crate::apply::files::read_host_dir(h, helper_image, &ssl_dir)).await;
    match files {
        Ok(Ok(files)) => {
            for (file, (content, _, _)) in files.iter().filter(|(n, _)| n.ends_with(".pem") && !n.ends_with("-key.pem") && !n.contains('/')) {
                let name = file.trim_end_matches(".pem").to_string();
                let pem = String::from_utf8_lossy(content).into_owned();
                let der = pem_to_der(&pem).ok_or_else(|| anyhow!("not a PEM certificate"));
                out.push(entry(h, "file", format!("{ssl_dir}/{file}"), Some(name), der, bundle, now, warn_days));
            }
        }
        Ok(Err(e)) => out.push(entry(h, "file", ssl_dir.to_string(), None, Err(anyhow!("reading the directory: {e:#}")), bundle, now, warn_days)),
        Err(_) => out.push(entry(h, "file", ssl_dir.to_string(), None, Err(anyhow!("reading the directory: no answer within {}s", deadline.as_secs())), bundle, now, warn_days)),
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn entry(h: &Host, kind: &'static str, source: String, name: Option<String>, der: Result<Vec<u8>>, bundle: &Bundle, now: OffsetDateTime, warn_days: i64) -> LiveCert {
    let recorded = name.as_ref().and_then(|n| bundle.get(n));
    let state_not_after = recorded.and_then(|c| pki::cert_info(&c.certificate_pem)).map(|i| rfc3339(i.not_after));
    let (expiry, serial, same) = match der.and_then(|d| parsed(&d).map(|p| (d, p))) {
        Ok((d, (subject, not_after, serial))) => {
            let same = recorded.map(|c| pem_to_der(&c.certificate_pem).as_deref() == Some(d.as_slice()));
            let days_left = (not_after - now).whole_seconds().div_euclid(86_400);
            let e = Expiry {
                name: name.clone().unwrap_or_else(|| source.clone()),
                subject,
                not_after: rfc3339(not_after),
                days_left,
                state: "live",
                expiring: not_after <= now + time::Duration::days(warn_days),
                error: None,
            };
            (e, serial, same)
        }
        Err(e) => {
            let e = Expiry {
                name: name.clone().unwrap_or_else(|| source.clone()),
                subject: String::new(),
                not_after: String::new(),
                days_left: 0,
                state: "live",
                // what could not be read is listed (with why), not counted as expiring: a
                // kubelet that serves nothing on :10250 says nothing about expiry
                expiring: false,
                error: Some(format!("{e:#}")),
            };
            (e, String::new(), None)
        }
    };
    LiveCert { host: h.name().to_string(), kind, source, name, expiry, serial, state_not_after, same_as_state: same }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    Some(p.contents)
}

/// Subject, expiry and hex serial of a DER certificate.
fn parsed(der: &[u8]) -> Result<(String, OffsetDateTime, String)> {
    let (_, c) = x509_parser::parse_x509_certificate(der).map_err(|e| anyhow!("the certificate cannot be read: {e}"))?;
    Ok((c.subject().to_string(), c.validity().not_after.to_datetime(), c.raw_serial_as_string().replace(':', "")))
}

/// The leaf certificate the server at `ip:port` (as the host reaches it) presents.
async fn served_cert(h: &Host, ip: &str, port: u16) -> Result<Vec<u8>> {
    let stream = h.session.open_tcp(ip, port).await.map_err(|e| anyhow!("connecting to {ip}:{port}: {e}"))?;
    let seen = Arc::new(Mutex::new(None));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Capture { seen: seen.clone(), provider }))
        .with_no_client_auth();
    let name = ServerName::try_from(ip.to_string()).map_err(|e| anyhow!("{ip}: {e}"))?;
    let handshake = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, stream).await;
    // servers that require a client certificate may abort after theirs was sent: what counts
    // is that it was seen
    if let Some(der) = seen.lock().unwrap().take() {
        return Ok(der);
    }
    match handshake {
        Ok(_) => Err(anyhow!("the server presented no certificate")),
        Err(e) => Err(anyhow!("TLS handshake with {ip}:{port}: {e}")),
    }
}

/// Records the server's certificate and accepts it (see the module doc for why that is safe
/// here); handshake signatures are still checked.
#[derive(Debug)]
struct Capture {
    seen: Arc<Mutex<Option<Vec<u8>>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Capture {
    fn verify_server_cert(&self, end: &CertificateDer<'_>, _: &[CertificateDer<'_>], _: &ServerName<'_>, _: &[u8], _: UnixTime) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap() = Some(end.to_vec());
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &rustls::DigitallySignedStruct) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &rustls::DigitallySignedStruct) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
