//! One SSH connection per host for the whole command. Everything else (commands, the Docker
//! socket, TCP to etcd) is a channel of that connection. Host keys are verified against
//! known_hosts; an unknown key is refused unless the operator accepts new keys, and a changed
//! key is always refused.
use super::keys::{KeyCache, KeySource};
use anyhow::{anyhow, bail, Context, Result};
use russh::client::{self, Handle};
use super::known_hosts::{self, Verdict};
use russh::keys::{agent::client::AgentClient, agent::AgentIdentity, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelStream, Disconnect};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Settings that apply to every connection of a command.
#[derive(Clone, Debug)]
pub struct SshOptions {
    pub known_hosts: PathBuf,
    pub accept_new_host_keys: bool,
    pub connect_timeout: Duration,
}

/// How to log in to one host (a node or the bastion).
#[derive(Clone, Debug)]
pub struct Login {
    pub address: String,
    pub port: u16,
    pub user: String,
    pub agent: bool,
    pub key: Option<KeySource>,
    pub cert_path: Option<PathBuf>,
    pub cert_inline: Option<String>,
}

#[derive(Debug, Clone)]
enum HostKeyProblem {
    Unknown { fingerprint: String },
    Changed { line: usize },
    Revoked { line: usize },
    Unreadable(String),
}

pub struct HostKeyCheck {
    host: String,
    port: u16,
    opts: SshOptions,
    problem: Arc<Mutex<Option<HostKeyProblem>>>,
}

impl client::Handler for HostKeyCheck {
    type Error = anyhow::Error;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            *self.problem.lock().unwrap() = Some(HostKeyProblem::Unreadable("host certificates are not supported".into()));
            return Ok(false);
        };
        let path = &self.opts.known_hosts;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                *self.problem.lock().unwrap() = Some(HostKeyProblem::Unreadable(e.to_string()));
                return Ok(false);
            }
        };
        let problem = match known_hosts::check(&text, &self.host, self.port, key) {
            Verdict::Known => return Ok(true),
            Verdict::Unknown if self.opts.accept_new_host_keys => {
                known_hosts::learn(path, &self.host, self.port, key).map_err(|e| anyhow!("recording the host key in {}: {e:#}", path.display()))?;
                return Ok(true);
            }
            Verdict::Unknown => HostKeyProblem::Unknown { fingerprint: key.fingerprint(Default::default()).to_string() },
            Verdict::Changed { line } => HostKeyProblem::Changed { line },
            Verdict::Revoked { line } => HostKeyProblem::Revoked { line },
        };
        *self.problem.lock().unwrap() = Some(problem);
        Ok(false)
    }
}

/// An authenticated connection to one host.
pub struct Session {
    pub name: String,
    handle: Arc<Handle<HostKeyCheck>>,
}

/// `host_keys`: the host-key algorithms recorded for this host in known_hosts, so the server
/// shows a key that can be checked (`None`: the host is not recorded, any algorithm).
fn client_config(host_keys: Option<Vec<russh::keys::Algorithm>>) -> Arc<client::Config> {
    let mut preferred = russh::Preferred::default();
    if let Some(algs) = host_keys {
        preferred.key = std::borrow::Cow::Owned(algs);
    }
    Arc::new(client::Config {
        inactivity_timeout: Some(Duration::from_secs(900)),
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 4,
        preferred,
        ..Default::default()
    })
}

impl Session {
    /// Connects and logs in, directly or through `via` (the bastion's session).
    pub async fn connect(login: &Login, opts: &SshOptions, keys: &KeyCache, via: Option<&Session>) -> Result<Session> {
        let name = format!("{}:{}", login.address, login.port);
        let problem = Arc::new(Mutex::new(None));
        let handler = HostKeyCheck {
            host: login.address.clone(),
            port: login.port,
            opts: opts.clone(),
            problem: problem.clone(),
        };
        let recorded = std::fs::read_to_string(&opts.known_hosts).unwrap_or_default();
        let recorded_algs = known_hosts::preferred_algorithms(&recorded, &login.address, login.port);
        let config = client_config(recorded_algs.clone());
        let t = opts.connect_timeout;
        let connected = tokio::time::timeout(t, async {
            match via {
                None => client::connect(config, (login.address.as_str(), login.port), handler).await,
                Some(b) => {
                    let ch = b
                        .handle
                        .channel_open_direct_tcpip(login.address.clone(), u32::from(login.port), "127.0.0.1", 0)
                        .await
                        .map_err(|e| anyhow!("the bastion {} could not reach {name}: {e}", b.name))?;
                    client::connect_stream(config, ch.into_stream(), handler).await
                }
            }
        })
        .await;
        let mut handle = match connected {
            Err(_) => bail!(
                "host {name}: no SSH connection within {}s: check that the address is right and port {} is reachable (--ssh-timeout raises the limit)",
                t.as_secs(),
                login.port
            ),
            Ok(Err(e)) => {
                let known = opts.known_hosts.display();
                let p = problem.lock().unwrap().clone();
                // a host key that cannot be verified is a refusal (exit 3), not a failure
                let refused = |e: anyhow::Error| anyhow::Error::from(crate::exit::Refused(e.to_string()));
                return Err(match p {
                    Some(HostKeyProblem::Unknown { fingerprint }) => refused(anyhow!(
                        "host {name}: unknown SSH host key ({fingerprint}), not in {known}: verify it and add it (ssh-keyscan -p {} {}), or rerun with --ssh-accept-new",
                        login.port,
                        login.address
                    )),
                    Some(HostKeyProblem::Changed { line }) => refused(anyhow!(
                        "host {name}: SSH host key CHANGED: it does not match {known} line {line}. If the host was reinstalled, remove that line (ssh-keygen -R {} -f {known}) and rerun; otherwise someone may be intercepting the connection",
                        login.address
                    )),
                    Some(HostKeyProblem::Revoked { line }) => refused(anyhow!(
                        "host {name}: SSH host key is REVOKED in {known} line {line}: refusing to connect. The host must get a new key, recorded in {known}"
                    )),
                    Some(HostKeyProblem::Unreadable(m)) => anyhow!("host {name}: cannot verify the SSH host key with {known}: {m}"),
                    // asked only for the recorded key types and the server has none of them
                    None if recorded_algs.is_some() && short(&e).to_lowercase().contains("no common") => refused(anyhow!(
                        "host {name}: SSH host key CHANGED: {known} records only {} keys for it and the host offers none of them. If the host was reinstalled, remove its lines (ssh-keygen -R {} -f {known}) and rerun; otherwise someone may be intercepting the connection",
                        recorded_algs.iter().flatten().map(|a| a.as_str()).collect::<Vec<_>>().join(", "),
                        login.address
                    )),
                    None => anyhow!("host {name}: SSH connection failed: {}", short(&e)),
                });
            }
            Ok(Ok(h)) => h,
        };
        tokio::time::timeout(t, authenticate(&mut handle, login, keys))
            .await
            .map_err(|_| anyhow!("host {name}: SSH login did not finish within {}s", t.as_secs()))?
            .with_context(|| format!("host {name}"))?;
        Ok(Session { name, handle: Arc::new(handle) })
    }

    /// A byte stream to a unix socket on the host (the Docker socket).
    pub async fn open_unix(&self, path: &str) -> Result<ChannelStream<client::Msg>, russh::Error> {
        Ok(self.handle.channel_open_direct_streamlocal(path).await?.into_stream())
    }

    /// A byte stream to `host:port` as seen from the host (etcd's client port).
    pub async fn open_tcp(&self, host: &str, port: u16) -> Result<ChannelStream<client::Msg>, russh::Error> {
        Ok(self.handle.channel_open_direct_tcpip(host.to_string(), u32::from(port), "127.0.0.1", 0).await?.into_stream())
    }

    pub async fn close(&self) {
        let _ = self.handle.disconnect(Disconnect::ByApplication, "", "en").await;
    }
}

fn short(e: &anyhow::Error) -> String {
    let s = format!("{e:#}");
    if s.contains("Connection refused") {
        return "connection refused: is sshd running on that port?".into();
    }
    s
}

async fn authenticate(h: &mut Handle<HostKeyCheck>, login: &Login, keys: &KeyCache) -> Result<()> {
    let user = login.user.as_str();
    let mut tried = Vec::new();
    if login.agent {
        tried.push("ssh-agent");
        let mut agent = AgentClient::connect_env()
            .await
            .map_err(|e| anyhow!("ssh-agent auth requested but the agent is not reachable through SSH_AUTH_SOCK: {e}"))?;
        for id in agent.request_identities().await.map_err(|e| anyhow!("listing ssh-agent keys: {e}"))? {
            let ok = match &id {
                AgentIdentity::PublicKey { key, .. } => {
                    let hash = h.best_supported_rsa_hash().await?.flatten();
                    h.authenticate_publickey_with(user, key.clone(), hash, &mut agent).await?.success()
                }
                AgentIdentity::Certificate { certificate, .. } => {
                    h.authenticate_certificate_with(user, certificate.clone(), None, &mut agent).await?.success()
                }
            };
            if ok {
                return Ok(());
            }
        }
    }
    if let Some(src) = &login.key {
        let key = keys.load(src).await?;
        if let Some(cert) = super::keys::load_cert(login.cert_path.as_deref(), login.cert_inline.as_deref())? {
            tried.push("certificate");
            if h.authenticate_openssh_cert(user, key.clone(), cert).await?.success() {
                return Ok(());
            }
        }
        tried.push("key");
        let hash = h.best_supported_rsa_hash().await?.flatten();
        if h.authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, hash)).await?.success() {
            return Ok(());
        }
    }
    bail!(
        "SSH login as {user} was refused (tried: {}): check `user`, the key ({}) and the host's authorized_keys",
        if tried.is_empty() { "nothing".to_string() } else { tried.join(", ") },
        login.key.as_ref().map(|k| k.to_string()).unwrap_or_else(|| "none configured".into())
    )
}
