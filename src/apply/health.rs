//! Health checks of running containers: the component's `/healthz` is fetched through a
//! `direct-tcpip` channel of the host's SSH connection (nothing is exposed to the laptop),
//! over TLS with the cluster's certificates where the component serves TLS. While waiting,
//! a container that stops or keeps restarting fails the check at once with its last log
//! lines: success is reported only when it was observed.
use super::containers::indent_logs;
use crate::pki::CertificatePki;
use crate::transport::docker::tail_logs;
use crate::transport::Host;
use anyhow::{anyhow, Context, Result};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to reach a component's health endpoint on its host.
#[derive(Clone)]
pub enum Endpoint {
    /// plain HTTP on 127.0.0.1 (kubelet, kube-proxy)
    Http { port: u16 },
    /// HTTPS verified against the cluster CA, with a client certificate (kube-apiserver)
    Https { port: u16, ca: String, client: Option<(String, String)> },
    /// HTTPS on a self-signed serving certificate (controller-manager, scheduler generate
    /// their own); the connection runs inside the authenticated SSH channel to localhost
    HttpsSelfSigned { port: u16 },
}

impl Endpoint {
    pub fn https_with(port: u16, ca: &CertificatePki, client: &CertificatePki) -> Self {
        Endpoint::Https { port, ca: ca.certificate_pem.clone(), client: Some((client.certificate_pem.clone(), client.key_pem.clone())) }
    }
}

/// GET /healthz once; Ok when the answer is HTTP 200, whatever the body: RKE1 checks the status
/// code only, and the components differ in their bodies (kubelet and the control plane answer
/// `ok`, kube-proxy a JSON document with `lastUpdated`/`currentTime`). An unhealthy component
/// answers 5xx (or nothing), with the reason in the body, which the error carries.
pub async fn healthz(host: &Host, ep: &Endpoint) -> Result<()> {
    let port = match ep {
        Endpoint::Http { port } | Endpoint::Https { port, .. } | Endpoint::HttpsSelfSigned { port } => *port,
    };
    let stream = host.session.open_tcp("127.0.0.1", port).await.map_err(|e| anyhow!("connecting to 127.0.0.1:{port}: {e}"))?;
    match ep {
        Endpoint::Http { .. } => get(TokioIo::new(stream)).await,
        Endpoint::Https { ca, client, .. } => {
            let tls = tls_connector(Some(ca), client.as_ref())?;
            let s = tls.connect(ServerName::try_from("localhost").expect("valid name"), stream).await.context("TLS handshake")?;
            get(TokioIo::new(s)).await
        }
        Endpoint::HttpsSelfSigned { .. } => {
            let tls = tls_connector(None, None)?;
            let s = tls.connect(ServerName::try_from("localhost").expect("valid name"), stream).await.context("TLS handshake")?;
            get(TokioIo::new(s)).await
        }
    }
}

async fn get<T>(io: TokioIo<T>) -> Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<bytes::Bytes>>(io).await?;
    // aborted when this check ends or its deadline drops it: no connection task left behind
    let _conn = crate::transport::AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let req = http::Request::get("/healthz").header("host", "localhost").body(Empty::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    let text = String::from_utf8_lossy(&body).into_owned();
    if status != http::StatusCode::OK {
        return Err(anyhow!("/healthz answered HTTP {status}: {}", text.trim()));
    }
    Ok(())
}

pub(crate) fn tls_connector(ca: Option<&str>, client: Option<&(String, String)>) -> Result<tokio_rustls::TlsConnector> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = match ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(c?)?;
            }
            builder.with_root_certificates(roots)
        }
        None => builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptSelfSigned(provider))),
    };
    let config = match client {
        Some((cert, key)) => {
            let certs = CertificateDer::pem_slice_iter(cert.as_bytes()).collect::<Result<Vec<_>, _>>()?;
            builder.with_client_auth_cert(certs, PrivateKeyDer::from_pem_slice(key.as_bytes())?)?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Accepts any server certificate but still checks the handshake signatures: for components
/// that serve a certificate they generated themselves, reached over the SSH channel.
#[derive(Debug)]
struct AcceptSelfSigned(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptSelfSigned {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Polls `check` until it succeeds or `timeout` passes. Fails at once when the container
/// stops or keeps restarting; every failure names the host, the container, the last error,
/// the container's last log lines and `hint`.
pub async fn wait_healthy<F, Fut>(host: &Host, container: &str, timeout: Duration, hint: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_error;
    // restarts before this wait are history (controller-manager and scheduler restart whenever
    // they lose leader election): only restarts during the wait mean a restart loop
    let mut restarts_before = restart_count(host, container).await;
    // asked often at first (most components answer within a second or two), then every second
    let mut pause = Duration::from_millis(200);
    loop {
        if let Some(problem) = container_problem(host, container, &mut restarts_before).await {
            let logs = tail_logs(&host.docker, container, 20).await;
            return Err(anyhow!("host {}: container {container} {problem}{}\n      hint: {hint}", host.name(), indent_logs(&logs)));
        }
        match tokio::time::timeout(Duration::from_secs(10), check()).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last_error = format!("{e:#}"),
            Err(_) => last_error = "no answer within 10s".into(),
        }
        if Instant::now() >= deadline {
            let logs = tail_logs(&host.docker, container, 15).await;
            return Err(anyhow!(
                "host {}: {container} did not report healthy within {}s (last error: {last_error}){}\n      hint: {hint}",
                host.name(),
                timeout.as_secs(),
                indent_logs(&logs)
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

async fn restart_count(h: &Host, name: &str) -> Option<i64> {
    h.docker.inspect_container(name, None).await.ok().map(|c| c.restart_count.unwrap_or(0))
}

/// Why the container is not running, if it is not (restarts are not counted).
pub async fn stopped(h: &Host, name: &str) -> Option<String> {
    container_problem(h, name, &mut None).await
}

/// Why the container is not running, if it is not: stopped for good, or restarted three times
/// since `restarts_before` (one restart during the wait is tolerated and waited out). When the
/// count before the wait could not be read, the first one read here becomes the baseline: the
/// container's whole restart history must never count as restarts during the wait.
async fn container_problem(h: &Host, name: &str, restarts_before: &mut Option<i64>) -> Option<String> {
    let c = match h.docker.inspect_container(name, None).await {
        Ok(c) => c,
        Err(e) => return Some(format!("cannot be inspected: {e}")),
    };
    let state = c.state?;
    let now = c.restart_count.unwrap_or(0);
    let restarts = now - *restarts_before.get_or_insert(now);
    if restarts >= 3 {
        return Some(format!("keeps restarting (restarted {restarts} times while waiting for it, last exit code {})", state.exit_code.unwrap_or(0)));
    }
    if state.running == Some(true) || state.restarting == Some(true) {
        return None;
    }
    Some(format!("is not running (status {:?}, exit code {})", state.status, state.exit_code.unwrap_or(0)))
}
