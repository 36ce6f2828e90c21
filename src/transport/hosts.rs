//! The connected hosts of one command: one SSH session and one Docker client per host,
//! opened in parallel (bounded by `--concurrency`), before anything is changed anywhere.
use super::keys::{expand_home, KeyCache, KeySource};
use super::ssh::{Login, Session, SshOptions};
use crate::config::{schema::BastionHost, ClusterConfig, Node};
use anyhow::{anyhow, Result};
use bollard::Docker;
use futures_util::{stream, StreamExt};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub ssh: SshOptions,
    pub concurrency: usize,
    /// `--ssh-agent-auth`: use the agent for every host, whatever cluster.yml says
    pub force_agent: bool,
    /// bound on each Docker API call
    pub docker_timeout: Duration,
    pub ignore_docker_version: bool,
}

pub struct Host {
    pub node: Node,
    pub session: Arc<Session>,
    pub docker: Docker,
    pub docker_version: String,
    /// Docker's engine ID: which machine this is, whatever address reached it (two entries of
    /// cluster.yml, or a departed and a kept one, can be the same machine)
    pub machine_id: String,
    /// Docker's `OSType` and `Architecture` (`linux`, `x86_64`): whether stockade's own executable
    /// can run there (the agent image)
    pub os_type: String,
    pub arch: String,
    /// Docker's data root (`DockerRootDir`): the kubelet binds it at the same path
    pub docker_root: String,
    /// Docker runs with SELinux (`selinux` in its security options)
    pub selinux: bool,
    /// `OperatingSystem` as Docker reports it ("Debian GNU/Linux 12 (bookworm)", "Flatcar ...")
    pub operating_system: String,
}

impl Host {
    /// `host_path` under this host's prefix: `prefix_path`, or RKE1's default for the system its
    /// Docker reports when that is unset (`plan::on_host`).
    pub fn prefixed(&self, cfg: &crate::config::ClusterConfig, host_path: &str) -> String {
        crate::plan::prefixed(&crate::plan::on_host(cfg, &self.operating_system), host_path)
    }
}

impl Host {
    /// How the host is named in every message: its address.
    pub fn name(&self) -> &str {
        &self.node.address
    }
    pub fn has_role(&self, role: &str) -> bool {
        self.node.has_role(role)
    }
}

pub struct Hosts {
    pub hosts: Vec<Host>,
    /// hosts that left cluster.yml and could be reached (to be cleaned)
    pub departed: Vec<Host>,
    /// hosts that left cluster.yml and could not be reached, with the reason
    pub unreachable_departed: Vec<String>,
    pub concurrency: usize,
    bastion: Option<Arc<Session>>,
}

/// Runs the futures with at most `limit` at once; results keep the input order.
///
/// Unordered underneath: a finished host frees its slot at once, so one slow host never holds
/// up the others (`buffered` keeps finished results in their slots until every earlier one is
/// done, which stalls the whole fan-out behind the slowest host).
pub async fn bounded<T, F: Future<Output = T>>(limit: usize, futs: Vec<F>) -> Vec<T> {
    let mut done: Vec<(usize, T)> =
        stream::iter(futs.into_iter().enumerate().map(|(i, f)| async move { (i, f.await) })).buffer_unordered(limit.max(1)).collect().await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::bounded;
    use std::time::Duration;

    /// One slow host must not stop the next hosts from starting. Deterministic, no timing: with
    /// 2 slots, host 0 finishes only after all 8 others have finished; an ordered fan-out can
    /// never get there (finished hosts keep their slots until host 0 is done) and would hang.
    #[tokio::test]
    async fn a_slow_host_does_not_hold_up_the_others() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let done = Arc::new(AtomicUsize::new(0));
        let all_others = Arc::new(tokio::sync::Notify::new());
        let futs: Vec<_> = (0..9usize)
            .map(|i| {
                let (done, all_others) = (done.clone(), all_others.clone());
                Box::pin(async move {
                    if i == 0 {
                        while done.load(Ordering::SeqCst) < 8 {
                            all_others.notified().await;
                        }
                    } else if done.fetch_add(1, Ordering::SeqCst) + 1 == 8 {
                        all_others.notify_one();
                    }
                    i
                })
            })
            .collect();
        let out = tokio::time::timeout(Duration::from_secs(30), bounded(2, futs)).await.expect("the fan-out waited for the slow host: other hosts could not start");
        assert_eq!(out, (0..9).collect::<Vec<_>>(), "results keep the input order");
    }
}

/// Collects per-host results; fails with every host's error, one per line.
pub fn all_ok<T>(results: Vec<Result<T>>) -> Result<Vec<T>> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => errors.push(e),
        }
    }
    // a host refused as unsafe keeps the whole step a refusal (exit code 3)
    if errors.is_empty() { Ok(ok) } else { Err(crate::exit::combine(errors)) }
}

/// Docker Engine versions RKE1's metadata lists as tested; others only get a warning.
const TESTED_DOCKER: [&str; 14] = [
    "1.13.", "17.03.", "17.06.", "17.09.", "18.06.", "18.09.", "19.03.", "20.10.", "23.0.", "24.0.", "25.0.", "26.", "27.", "28.",
];

fn login_for_node(n: &Node, force_agent: bool) -> Login {
    let key = match (&n.ssh_key, &n.ssh_key_path) {
        (Some(k), _) if !k.is_empty() => Some(KeySource::Inline { id: format!("ssh_key of node {}", n.address), pem: k.clone() }),
        (_, Some(p)) if !p.is_empty() => Some(KeySource::Path(expand_home(p))),
        _ => None,
    };
    Login {
        address: n.address.clone(),
        port: n.port.as_deref().and_then(|p| p.parse().ok()).unwrap_or(22),
        user: n.user.clone(),
        agent: force_agent || n.ssh_agent_auth.unwrap_or(false),
        key,
        cert_path: n.ssh_cert_path.as_deref().filter(|s| !s.is_empty()).map(expand_home),
        cert_inline: n.ssh_cert.clone(),
    }
}

fn login_for_bastion(b: &BastionHost, force_agent: bool) -> Login {
    let key = match (&b.ssh_key, &b.ssh_key_path) {
        (Some(k), _) if !k.is_empty() => Some(KeySource::Inline { id: "ssh_key of bastion_host".into(), pem: k.clone() }),
        (_, Some(p)) if !p.is_empty() => Some(KeySource::Path(expand_home(p))),
        _ => None,
    };
    Login {
        address: b.address.clone(),
        port: b.port.as_deref().and_then(|p| p.parse().ok()).unwrap_or(22),
        user: b.user.clone().unwrap_or_else(|| "root".into()),
        agent: force_agent || b.ssh_agent_auth.unwrap_or(false),
        key,
        cert_path: b.ssh_cert_path.as_deref().filter(|s| !s.is_empty()).map(expand_home),
        cert_inline: b.ssh_cert.clone(),
    }
}

/// Reads (and decrypts) every distinct SSH key the nodes and the bastion log in with, once,
/// before any connection: a passphrase prompt then never runs inside the SSH login timeout or
/// under a progress spinner, and a missing or undecryptable key fails the run before any host
/// is contacted. Keys of departed hosts are loaded when they can be (such a host may be gone
/// along with its key); their failure shows when the host is reached.
pub async fn load_keys(cfg: &ClusterConfig, nodes: &[Node], departed: &[Node], force_agent: bool) -> Result<KeyCache> {
    let keys = KeyCache::default();
    let required = cfg.bastion_host.iter().map(|b| login_for_bastion(b, force_agent)).chain(nodes.iter().map(|n| login_for_node(n, force_agent)));
    let mut seen = std::collections::HashSet::new();
    // with ssh-agent the key file is only a fallback, read when the agent fails (as before)
    for login in required.filter(|l| !l.agent) {
        if let Some(src) = login.key.filter(|k| seen.insert(k.clone())) {
            keys.load(&src).await?;
        }
    }
    for login in departed.iter().map(|n| login_for_node(n, force_agent)) {
        if let Some(src) = login.key.filter(|k| seen.insert(k.clone())) {
            let _ = keys.load(&src).await;
        }
    }
    Ok(keys)
}

impl Hosts {
    /// Connects to every node and checks its Docker Engine answers. Fails, naming every host
    /// that could not be reached, before any caller gets to change anything.
    pub async fn connect(cfg: &ClusterConfig, nodes: &[Node], keys: &KeyCache, opts: &ConnectOptions, warn: &dyn Fn(String)) -> Result<Hosts> {
        Self::connect_with_departed(cfg, nodes, &[], keys, opts, warn).await
    }

    /// Like `connect`, plus hosts that left cluster.yml: those may be unreachable (a dead host
    /// is a common reason to remove one), which is recorded instead of failing.
    pub async fn connect_with_departed(
        cfg: &ClusterConfig,
        nodes: &[Node],
        departed: &[Node],
        keys: &KeyCache,
        opts: &ConnectOptions,
        warn: &dyn Fn(String),
    ) -> Result<Hosts> {
        let bastion = match &cfg.bastion_host {
            Some(b) => {
                let s = Session::connect(&login_for_bastion(b, opts.force_agent), &opts.ssh, keys, None)
                    .await
                    .map_err(|e| e.context("bastion_host"))?;
                Some(Arc::new(s))
            }
            None => None,
        };
        let futs = nodes
            .iter()
            .chain(departed)
            .map(|n| {
                let bastion = bastion.clone();
                async move {
                    let login = login_for_node(n, opts.force_agent);
                    let via = if bastion.is_some() { "via bastion" } else { "direct" };
                    tracing::debug!(host = %n.address, port = login.port, user = %login.user, agent = login.agent, key = ?login.key.as_ref().map(|k| k.to_string()), "ssh connect {via}");
                    let session = Arc::new(Session::connect(&login, &opts.ssh, keys, bastion.as_deref()).await?);
                    let socket = n.docker_socket.as_deref().unwrap_or(crate::config::defaults::DEFAULT_DOCKER_SOCKET);
                    let docker = open_docker(&session, n, socket, opts.docker_timeout).await?;
                    let (version, info) = tokio::try_join!(docker.version(), docker.info())
                        .map_err(|e| anyhow!("host {}: Docker did not answer on {socket}: {e}", n.address))?;
                    let version = version.version.unwrap_or_default();
                    let machine_id = info.id.filter(|id| !id.is_empty()).ok_or_else(|| anyhow!("host {}: Docker reports no engine ID", n.address))?;
                    let (os_type, arch) = (info.os_type.unwrap_or_default(), info.architecture.unwrap_or_default());
                    let docker_root = info.docker_root_dir.filter(|d| !d.is_empty()).unwrap_or_else(|| "/var/lib/docker".into());
                    // "name=selinux" since Docker API 1.24 reports options as key=value lists
                    let selinux = info.security_options.iter().flatten().any(|o| o == "selinux" || o.split(',').any(|kv| kv == "name=selinux"));
                    let operating_system = info.operating_system.unwrap_or_default();
                    tracing::debug!(host = %n.address, docker = %version, socket, "docker reachable");
                    Ok::<_, anyhow::Error>(Host { node: n.clone(), session, docker, docker_version: version, machine_id, os_type, arch, docker_root, selinux, operating_system })
                }
            })
            .collect();
        let mut results: Vec<Result<Host>> = bounded(opts.concurrency, futs).await;
        let departed_results = results.split_off(nodes.len());
        if results.iter().any(|r| r.is_err()) {
            for h in results.iter().chain(&departed_results).flatten() {
                h.session.close().await;
            }
        }
        let hosts = all_ok(results)?;
        let mut departed_hosts = Vec::new();
        let mut unreachable_departed = Vec::new();
        for r in departed_results {
            match r {
                Ok(h) => departed_hosts.push(h),
                Err(e) => unreachable_departed.push(format!("{e:#}")),
            }
        }
        for h in &hosts {
            if !opts.ignore_docker_version && !TESTED_DOCKER.iter().any(|v| h.docker_version.starts_with(v)) {
                warn(format!(
                    "host {}: Docker {} is outside the tested range (1.13 to 28.x); continuing (ignore_docker_version: true silences this)",
                    h.name(),
                    h.docker_version
                ));
            }
        }
        Ok(Hosts { hosts, departed: departed_hosts, unreachable_departed, concurrency: opts.concurrency, bastion })
    }

    pub fn with_role<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a Host> + 'a {
        self.hosts.iter().filter(move |h| h.has_role(role))
    }

    pub async fn close(&self) {
        for h in self.hosts.iter().chain(&self.departed) {
            h.session.close().await;
        }
        if let Some(b) = &self.bastion {
            b.close().await;
        }
    }
}

async fn open_docker(session: &Arc<Session>, n: &Node, socket: &str, timeout: Duration) -> Result<Docker> {
    let docker = super::docker::connect(session.clone(), socket, timeout)
        .map_err(|e| anyhow!("host {}: Docker client: {e}", n.address))?;
    docker.negotiate_version().await.map_err(|e| {
        anyhow!(
            "host {}: cannot reach Docker at {socket} over SSH ({}): check docker_socket in cluster.yml, that dockerd runs, that user {} may use the socket, and that sshd allows it (AllowStreamLocalForwarding yes)",
            n.address,
            root_cause(&e),
            n.user
        )
    })
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
