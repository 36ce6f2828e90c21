//! Talking to etcd members through the etcd API, over a `direct-tcpip` channel of the host's
//! SSH connection (no port forward, no port opened on the laptop), with mutual TLS using the
//! cluster's certificates.
use crate::pki::{names, Bundle};
use crate::transport::ssh::Session;
use anyhow::{anyhow, Result};
use etcd_client::{Certificate, Client, Identity, TlsOptions};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;

/// Client credentials for etcd: the CA and the kube-node certificate, as RKE uses them.
pub struct Credentials {
    ca: String,
    cert: String,
    key: String,
}

impl Credentials {
    pub fn from_bundle(b: &Bundle) -> Result<Self> {
        let get = |n: &str| b.get(n).ok_or_else(|| anyhow!("certificate {n} missing from the state"));
        let (ca, node) = (get(names::CA)?, get(names::NODE)?);
        Ok(Credentials { ca: ca.certificate_pem.clone(), cert: node.certificate_pem.clone(), key: node.key_pem.clone() })
    }
}

/// Connects to the member listening on `ip:port` as seen from the host behind `session`.
pub async fn connect(session: Arc<Session>, ip: &str, port: u16, creds: &Credentials, timeout: Duration) -> Result<Client> {
    let tls = TlsOptions::new()
        .ca_certificate(Certificate::from_pem(creds.ca.as_bytes()))
        .identity(Identity::from_pem(creds.cert.as_bytes(), creds.key.as_bytes()))
        .domain_name(ip.to_string());
    let endpoint = tonic::transport::Endpoint::from_shared(format!("https://{ip}:{port}"))?
        .tls_config(tls)?
        .connect_timeout(timeout)
        .timeout(timeout);
    let target = ip.to_string();
    let channel = endpoint
        .connect_with_connector(tower::service_fn(move |_uri: http::Uri| {
            let (session, target) = (session.clone(), target.clone());
            async move { session.open_tcp(&target, port).await.map(TokioIo::new) }
        }))
        .await
        .map_err(|e| anyhow!("{}", chain(&e)))?;
    Ok(Client::from_channel(etcd_client::Channel::Tonic(channel), None).await?)
}

/// A member is healthy when it answers `status` and knows a leader.
pub async fn member_health(client: &mut Client) -> Result<MemberHealth> {
    let st = client.status().await.map_err(|e| anyhow!("{}", chain(&e)))?;
    if st.leader() == 0 {
        return Err(anyhow!("no leader elected yet"));
    }
    let members = client.member_list().await.map_err(|e| anyhow!("{}", chain(&e)))?;
    Ok(MemberHealth {
        members: members.members().iter().map(|m| m.name().to_string()).collect(),
    })
}

pub struct MemberHealth {
    pub members: Vec<String>,
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}
