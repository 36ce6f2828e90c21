//! Talking to etcd members through the etcd API, over a `direct-tcpip` channel of the host's
//! SSH connection (no port forward, no port opened on the laptop), with mutual TLS using the
//! cluster's certificates.
pub mod api;

use crate::pki::{names, Bundle};
use crate::transport::ssh::Session;
use anyhow::{anyhow, Result};
use api::etcdserverpb::{
    cluster_client::ClusterClient, kv_client::KvClient, maintenance_client::MaintenanceClient, Member, MemberAddRequest, MemberListRequest,
    MemberPromoteRequest, MemberRemoveRequest, SnapshotRequest, StatusRequest, StatusResponse,
};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
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

    /// From PEM text (the agent reads the host's `/etc/kubernetes/ssl` files).
    pub fn from_pem(ca: String, cert: String, key: String) -> Self {
        Credentials { ca, cert, key }
    }
}

/// Connects to the member at `ip:port` directly over TCP: for the agent, which runs on the etcd host
/// itself (host network), where no SSH channel is needed.
pub async fn connect_tcp(ip: &str, port: u16, creds: &Credentials, timeout: Duration) -> Result<Client> {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("https://{ip}:{port}"))?
        .tls_config(tls_config(ip, creds))?
        .connect_timeout(timeout);
    let channel = endpoint.connect().await.map_err(|e| anyhow!("connecting to etcd at {ip}:{port}: {}", chain(&e)))?;
    Ok(Client::new(channel))
}

fn tls_config(ip: &str, creds: &Credentials) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(creds.ca.as_bytes()))
        .identity(Identity::from_pem(creds.cert.as_bytes(), creds.key.as_bytes()))
        .domain_name(ip.to_string())
}

/// Connects to the member listening on `ip:port` as seen from the host behind `session`.
pub async fn connect(session: Arc<Session>, ip: &str, port: u16, creds: &Credentials, timeout: Duration) -> Result<Client> {
    let tls = tls_config(ip, creds);
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
    Ok(Client::new(channel))
}

/// The parts of etcd's API stockade uses, on one channel to one member. Every call has the
/// channel's deadline (`Endpoint::timeout`), so a member that stops answering cannot hang a run.
#[derive(Clone)]
pub struct Client {
    pub kv: KvClient<Channel>,
    pub cluster: ClusterClient<Channel>,
    pub maintenance: MaintenanceClient<Channel>,
}

impl Client {
    pub fn new(channel: Channel) -> Self {
        Client { kv: KvClient::new(channel.clone()), cluster: ClusterClient::new(channel.clone()), maintenance: MaintenanceClient::new(channel) }
    }

    pub async fn status(&mut self) -> Result<StatusResponse> {
        Ok(self.maintenance.status(StatusRequest {}).await.map_err(rpc_error)?.into_inner())
    }

    /// The live member list, read linearizably (through the leader), so it is the membership
    /// the cluster agrees on and not one member's possibly stale view.
    pub async fn member_list(&mut self) -> Result<Vec<Member>> {
        Ok(self.cluster.member_list(MemberListRequest { linearizable: true }).await.map_err(rpc_error)?.into_inner().members)
    }

    pub async fn member_remove(&mut self, id: u64) -> Result<Vec<Member>> {
        Ok(self.cluster.member_remove(MemberRemoveRequest { id }).await.map_err(rpc_error)?.into_inner().members)
    }

    /// Adds a member (as a non-voting learner when `learner`); returns the new member.
    pub async fn member_add(&mut self, peer_urls: &[String], learner: bool) -> Result<Member> {
        let resp = self.cluster.member_add(MemberAddRequest { peer_ur_ls: peer_urls.to_vec(), is_learner: learner }).await.map_err(rpc_error)?;
        resp.into_inner().member.ok_or_else(|| anyhow!("etcd answered MemberAdd without the new member"))
    }

    /// [`Client::member_remove`] on a clone of the client (for retries that own their future).
    pub async fn member_remove_owned(mut self, id: u64) -> Result<Vec<Member>> {
        self.member_remove(id).await
    }

    /// [`Client::member_add`] on a clone of the client.
    pub async fn member_add_owned(mut self, peer_urls: Vec<String>, learner: bool) -> Result<Member> {
        self.member_add(&peer_urls, learner).await
    }

    pub async fn member_promote(&mut self, id: u64) -> Result<Vec<Member>> {
        Ok(self.cluster.member_promote(MemberPromoteRequest { id }).await.map_err(rpc_error)?.into_inner().members)
    }
}

/// A gRPC status as one line: the code's name and etcd's message (etcd puts the reason there,
/// e.g. "etcdserver: re-configuration failed due to not enough started members").
/// What one Maintenance.Snapshot stream delivered.
#[derive(Debug, Clone)]
pub struct SnapshotTaken {
    pub size: u64,
    /// Lowercase hex sha256 of the bytes written.
    pub sha256: String,
    /// Revision of the member when the snapshot started (from the first response header).
    pub revision: i64,
    /// Server version the member reports in the stream (etcd ≥ 3.5), else empty.
    pub etcd_version: String,
}

impl Client {
    /// Streams the member's database (Maintenance.Snapshot) into `out`, hashing as it writes, so the
    /// file and its sha256 come out of one pass with memory bounded by one message. Each message must
    /// arrive within `chunk_timeout` (a stalled member is an error, not a hang), and the stream must
    /// end with `remaining_bytes == 0`, or the snapshot is reported incomplete.
    pub async fn snapshot_to<W: tokio::io::AsyncWrite + Unpin>(&mut self, out: &mut W, chunk_timeout: Duration) -> Result<SnapshotTaken> {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::time::timeout(chunk_timeout, self.maintenance.snapshot(SnapshotRequest {}))
            .await
            .map_err(|_| anyhow!("etcd snapshot: no answer within {chunk_timeout:?}"))?
            .map_err(rpc_error)?
            .into_inner();
        let mut hasher = crate::snapshot::manifest::Hasher::default();
        let (mut revision, mut version, mut complete) = (0i64, String::new(), false);
        loop {
            let msg = tokio::time::timeout(chunk_timeout, stream.message())
                .await
                .map_err(|_| anyhow!("etcd snapshot: stream stalled for {chunk_timeout:?}"))?
                .map_err(rpc_error)?;
            let Some(msg) = msg else { break };
            if let Some(h) = &msg.header {
                if revision == 0 {
                    revision = h.revision;
                }
            }
            if version.is_empty() && !msg.version.is_empty() {
                version = msg.version.clone();
            }
            out.write_all(&msg.blob).await?;
            hasher.update(&msg.blob);
            complete = msg.remaining_bytes == 0;
        }
        if !complete {
            return Err(anyhow!("etcd snapshot: stream ended before the member sent the whole database"));
        }
        out.flush().await?;
        let (size, sha256) = hasher.finish();
        Ok(SnapshotTaken { size, sha256, revision, etcd_version: version })
    }
}

fn rpc_error(s: tonic::Status) -> anyhow::Error {
    anyhow!("{:?}: {}", s.code(), s.message())
}

/// A member is healthy when it answers `status` and knows a leader.
pub async fn member_health(client: &mut Client) -> Result<MemberHealth> {
    let st = client.status().await?;
    if st.leader == 0 {
        return Err(anyhow!("no leader elected yet"));
    }
    let members = client.member_list().await?;
    Ok(MemberHealth { members: members.iter().map(|m| m.name.clone()).collect() })
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
