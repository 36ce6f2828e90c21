//! The Kubernetes API, reached the way the health checks reach components: a `direct-tcpip`
//! channel of a controlplane host's SSH connection to its kube-apiserver on 127.0.0.1:6443 (no
//! port opened anywhere), TLS verified against the cluster CA, as `kube-admin`. Every request,
//! its response body included, runs under a deadline.
//!
//! Two phases use it, in RKE1's order: [`Authorization`] right after the control plane (RKE1's
//! `ApplyAuthzResources`: without it kubelets cannot register and exec/logs are refused), and
//! [`NodesReady`] after the worker plane (every node registered and Ready before `up` reports
//! success).
pub mod authz;
pub mod drain;
pub mod nodes;

pub use authz::Authorization;
pub use nodes::NodesReady;

use super::health::tls_connector;
use crate::transport::AbortOnDrop;
use crate::pki::{names, Bundle};
use crate::transport::Host;
use anyhow::{anyhow, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::time::Duration;

/// The apiserver's secure port on every controlplane host.
pub const APISERVER_PORT: u16 = 6443;
/// Deadline of one API request, from opening the channel to the last byte of the body.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// A client for the apiserver on `host` (a controlplane host), as kube-admin.
pub fn client(host: &Host, bundle: &Bundle) -> Result<kube::Client> {
    let get = |n: &str| bundle.get(n).ok_or_else(|| anyhow!("certificate {n} missing from the state"));
    let (ca, admin) = (get(names::CA)?, get(names::ADMIN)?);
    let tls = tls_connector(Some(&ca.certificate_pem), Some(&(admin.certificate_pem.clone(), admin.key_pem.clone())))?;
    let session = host.session.clone();
    let service = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let (session, tls) = (session.clone(), tls.clone());
        async move {
            let what = format!("{} {}", req.method(), req.uri().path());
            match tokio::time::timeout(REQUEST_DEADLINE, send(&session, &tls, req)).await {
                Ok(r) => r.with_context(|| what.clone()),
                Err(_) => Err(anyhow!("{what}: no complete answer within {}s", REQUEST_DEADLINE.as_secs())),
            }
        }
    });
    Ok(kube::Client::new(service, "default"))
}

/// One request on its own channel; the whole body is read before the deadline ends.
async fn send(
    session: &crate::transport::ssh::Session,
    tls: &tokio_rustls::TlsConnector,
    mut req: http::Request<kube::client::Body>,
) -> Result<http::Response<Full<Bytes>>> {
    let stream = session
        .open_tcp("127.0.0.1", APISERVER_PORT)
        .await
        .map_err(|e| anyhow!("connecting to 127.0.0.1:{APISERVER_PORT}: {e}"))?;
    let stream = tls.connect(ServerName::try_from("localhost").expect("valid name"), stream).await.context("TLS handshake")?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, kube::client::Body>(TokioIo::new(stream)).await?;
    // the connection task ends with this request, whether it finishes or its deadline drops
    // this future: the guard aborts it, so a stalled channel is closed instead of left behind
    let conn = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    req.headers_mut().insert(http::header::HOST, http::HeaderValue::from_static("localhost"));
    let resp = sender.send_request(req).await?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await?.to_bytes();
    drop(conn);
    Ok(http::Response::from_parts(parts, Full::new(body)))
}

/// Runs `f` against the apiserver of each controlplane host in turn until one answers; fails
/// naming every host's error.
pub async fn on_any_apiserver<'a, T, F, Fut>(hosts: impl Iterator<Item = &'a Host>, bundle: &Bundle, mut f: F) -> Result<T>
where
    F: FnMut(kube::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut errors = Vec::new();
    for h in hosts {
        match f(client(h, bundle)?).await {
            Ok(v) => return Ok(v),
            Err(e) => errors.push(e.context(format!("host {}: kube-apiserver", h.name()))),
        }
    }
    if errors.is_empty() {
        return Err(anyhow!("no controlplane host to reach the Kubernetes API through"));
    }
    Err(crate::exit::combine(errors))
}
