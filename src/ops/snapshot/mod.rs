//! `stockade etcd snapshot-save`, `snapshot-restore`, `snapshot ls|delete|prune` (issue 8).
//!
//! The work on the hosts is done by the agent (`crate::agent`) in helper containers on the etcd
//! hosts; these functions decide what runs where. Local copies only for now: S3 plugs in at
//! `S3Seam` (save: after the local copies are verified; restore: before the preflight, to bring a
//! missing copy to the hosts).
pub mod crypt;
pub mod preflight;
pub mod restore;
pub mod s3;
pub mod save;

use super::ConnectSettings;
use crate::apply::agent::{self, AgentSource};
use crate::config::{self, ClusterConfig};
use crate::snapshot::job::{Copy, Job, JobResult};
use crate::state::{self, FullState};
use crate::transport::hosts::{all_ok, bounded};
use crate::transport::{Host, Hosts};
use crate::ui::Ui;
use anyhow::{anyhow, bail, Result};
use std::path::PathBuf;
use std::time::Duration;

/// RKE1's default for `services.etcd.backup_config.timeout` (seconds).
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;

#[derive(Debug, Clone)]
pub struct SnapshotOptions {
    pub config_path: PathBuf,
    pub connect: ConnectSettings,
}

/// The deadline of every snapshot step on a host: `services.etcd.backup_config.timeout`.
pub fn deadline(cfg: &ClusterConfig) -> Duration {
    let secs = cfg.services.etcd.backup_config.as_ref().and_then(|b| b.timeout).filter(|t| *t > 0).unwrap_or(DEFAULT_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

/// Where S3 slots in (issue 8, branch `s3`): implemented by the S3 client, called by
/// `save::run` after every local copy is verified (a failure keeps them and fails the run) and by
/// `restore::run` before its preflight (which then verifies the downloaded copies like any other).
/// Local-only runs pass `None`.
///
/// The transfer belongs on the host, not the laptop: an implementation adds a `Job` variant (e.g.
/// `Upload { name, s3 }` / `Download { name, s3 }`) that the agent runs with
/// `apply::agent::run_job` — credentials travel only in the job file, never in Cmd/Env/Labels —
/// reading `/opt/rke/etcd-snapshots/<name>.zip` (+ manifest) and streaming it (multipart upload,
/// memory bounded) with the same one-pass sha256 check (`snapshot::archive::HashingWriter`).
pub trait S3Seam: Send + Sync {
    /// Upload the archive + manifest of `name` from `host` (the agent streams it from the host).
    fn upload<'a>(&'a self, host: &'a Host, image: &'a str, manifest: &'a crate::snapshot::manifest::Manifest) -> futures_util::future::BoxFuture<'a, Result<()>>;
    /// Bring `name` (archive + manifest) from S3 onto `host`'s snapshot dir, if it is not there.
    fn download<'a>(&'a self, host: &'a Host, image: &'a str, name: &'a str) -> futures_util::future::BoxFuture<'a, Result<()>>;
    /// The upload the saving agent makes while it writes the archive (`upload` is then only the
    /// fallback when that one failed).
    fn streamed(&self) -> Option<crate::snapshot::job::S3Upload> {
        None
    }
}

/// A connected run against the etcd hosts (or all hosts), holding the cluster lock.
pub struct Session {
    pub loaded: config::Loaded,
    pub state_path: PathBuf,
    pub state: FullState,
    pub hosts: Hosts,
    pub deadline: Duration,
    /// the limit for loading the helper image on a host (`--image-timeout`)
    pub image_timeout: Duration,
    lock: Option<state::lock::RunLock>,
}

impl Session {
    /// Loads cluster.yml and the state (required: the etcd client certificates come from it), takes
    /// the lock and connects the etcd hosts (`all_hosts`: every host of cluster.yml).
    pub async fn open(opts: &SnapshotOptions, command: &str, all_hosts: bool, ui: &Ui) -> Result<Session> {
        let loaded = config::load(&opts.config_path)?;
        let state_path = loaded.state_path();
        let lock = state::lock::acquire(&state_path, command)?;
        let state = state::load(&state_path)?.ok_or_else(|| {
            anyhow!("{}: no state file: the cluster's certificates are needed to talk to etcd (run `stockade up` first, or put the cluster's cluster.rkestate there)", state_path.display())
        })?;
        let cfg = &loaded.config;
        let nodes: Vec<_> = cfg.nodes.iter().filter(|n| all_hosts || n.role.iter().any(|r| r == "etcd")).cloned().collect();
        if !nodes.iter().any(|n| n.role.iter().any(|r| r == "etcd")) {
            bail!("{}: no host has the etcd role", loaded.path.display());
        }
        let opts_c = opts.connect.options(cfg);
        let keys = crate::transport::hosts::load_keys(cfg, &nodes, &[], opts_c.force_agent).await?;
        ui.phase("Connect");
        let warn = |w: String| ui.warn(&w);
        let hosts = Hosts::connect(cfg, &nodes, &keys, &opts_c, &warn).await?;
        ui.finish_bar();
        let deadline = deadline(cfg);
        Ok(Session { loaded, state_path, state, hosts, deadline, image_timeout: opts.connect.image_timeout, lock: Some(lock) })
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.loaded.config
    }

    pub fn etcd_hosts(&self) -> Vec<&Host> {
        self.hosts.with_role("etcd").collect()
    }

    /// The agent image for the etcd hosts, present on every one of them.
    pub async fn agent_image(&self, ui: &Ui) -> Result<AgentSource> {
        let source = AgentSource::choose(self.config().system_images.stockade_agent.as_deref(), self.etcd_hosts().into_iter())?;
        let futs = self
            .etcd_hosts()
            .into_iter()
            .map(|h| {
                let source = &source;
                async move {
                    if agent::ensure_image(h, source, &self.config().private_registries, self.image_timeout).await? {
                        ui.step(h.name(), &format!("loaded the helper image {}", source.tag()));
                    }
                    Ok::<_, anyhow::Error>(())
                }
            })
            .collect();
        all_ok(bounded(self.hosts.concurrency, futs).await)?;
        Ok(source)
    }

    /// Runs `job` on every etcd host at once; results in host order.
    pub async fn on_etcd_hosts(&self, image: &str, job: &Job) -> Result<Vec<JobResult>> {
        let cfg = self.config();
        let futs = self
            .etcd_hosts()
            .into_iter()
            .map(|h| async move {
                let prefix = |p: &str| h.prefixed(cfg, p);
                agent::run_job(h, image, job, agent::binds_for(job, &prefix), self.deadline).await
            })
            .collect();
        all_ok(bounded(self.hosts.concurrency, futs).await)
    }

    /// Runs `job` on one host.
    pub async fn on_host(&self, h: &Host, image: &str, job: &Job) -> Result<JobResult> {
        let cfg = self.config();
        let prefix = |p: &str| h.prefixed(cfg, p);
        agent::run_job(h, image, job, agent::binds_for(job, &prefix), self.deadline).await
    }

    /// Releases the lock (before handing over to `up`, which takes it itself).
    pub fn unlock(&mut self) {
        self.lock = None;
    }

    pub async fn close(&self) {
        self.hosts.close().await;
    }
}

/// The copies an inspect job found (and the names it did not find).
pub fn inspected(r: JobResult) -> Result<(Vec<Copy>, Vec<String>)> {
    match r {
        JobResult::Inspected { copies, missing } => Ok((copies, missing)),
        other => Err(anyhow!("the agent answered {other:?} to an inspect job")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
}

/// `snapshot ls`: every snapshot on every etcd host, with its checksum status.
pub async fn list(opts: &SnapshotOptions, output: Output, ui: &Ui) -> Result<()> {
    let s = Session::open(opts, "etcd snapshot ls", false, ui).await?;
    let r = list_in(&s, ui).await;
    s.close().await;
    let rows = r?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match output {
        Output::Json => {
            let doc: Vec<serde_json::Value> = rows
                .iter()
                .map(|(host, c)| {
                    serde_json::json!({
                        "name": c.name, "host": host, "location": "local", "size": c.size, "sha256": c.sha256,
                        "checksum": c.checksum, "created_unix": c.created_unix(), "layout": c.layout,
                    })
                })
                .collect();
            ui.document("snapshots", &serde_json::Value::Array(doc))?;
        }
        Output::Text => {
            if rows.is_empty() {
                crate::ui::print("No snapshots on the etcd hosts.\n")?;
            }
            crate::ui::print(&format!("{:<44} {:<16} {:>12} {:>8}  CHECKSUM\n", "NAME", "HOST", "SIZE", "AGE"))?;
            for (host, c) in &rows {
                crate::ui::print(&format!("{:<44} {:<16} {:>12} {:>8}  {}\n", c.name, host, c.size, age(now - c.created_unix()), c.checksum))?;
            }
        }
    }
    Ok(())
}

async fn list_in(s: &Session, ui: &Ui) -> Result<Vec<(String, Copy)>> {
    let image = s.agent_image(ui).await?;
    let results = s.on_etcd_hosts(image.tag(), &Job::Inspect { names: None, deep: false, decrypt: None }).await?;
    let mut rows = Vec::new();
    for (h, r) in s.etcd_hosts().iter().zip(results) {
        let (copies, _) = inspected(r)?;
        rows.extend(copies.into_iter().map(|c| (h.name().to_string(), c)));
    }
    rows.sort_by(|a, b| b.1.created_unix().cmp(&a.1.created_unix()).then(a.1.name.cmp(&b.1.name)).then(a.0.cmp(&b.0)));
    Ok(rows)
}

fn age(secs: i64) -> String {
    match secs.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// `snapshot delete N`: removes the snapshot from every etcd host.
pub async fn delete(opts: &SnapshotOptions, name: &str, ui: &Ui) -> Result<()> {
    let name = crate::snapshot::naming::normalize(name)?;
    let s = Session::open(opts, "etcd snapshot delete", false, ui).await?;
    let r = async {
        let image = s.agent_image(ui).await?;
        let results = s.on_etcd_hosts(image.tag(), &Job::Delete { names: vec![name.clone()] }).await?;
        for (h, r) in s.etcd_hosts().iter().zip(results) {
            if let JobResult::Done { detail } = r {
                ui.step(h.name(), &detail);
            }
        }
        Ok(())
    }
    .await;
    s.close().await;
    r
}

/// Which snapshots `prune --retention K` removes: all but the newest `keep` by creation time
/// (the manifest's; without one, the time in the name, then the file's: `snapshot::retention`).
pub fn to_prune(copies: &[Copy], keep: usize) -> Vec<String> {
    let dated: Vec<crate::snapshot::retention::Dated> = copies.iter().map(dated).collect();
    crate::snapshot::retention::beyond(&dated, keep)
}

fn dated(c: &Copy) -> crate::snapshot::retention::Dated {
    crate::snapshot::retention::Dated { name: c.name.clone(), manifest_created: c.manifest.as_ref().map(|m| m.created_unix), modified: Some(c.modified_unix) }
}

/// `snapshot prune --retention K`: keeps the newest K snapshots on each etcd host.
pub async fn prune(opts: &SnapshotOptions, keep: usize, ui: &Ui) -> Result<()> {
    if keep == 0 {
        return crate::exit::invalid("--retention 0 would delete every snapshot: keep at least 1 (`snapshot delete NAME` removes a given one)");
    }
    let s = Session::open(opts, "etcd snapshot prune", false, ui).await?;
    let r = async {
        let image = s.agent_image(ui).await?;
        let results = s.on_etcd_hosts(image.tag(), &Job::Inspect { names: None, deep: false, decrypt: None }).await?;
        for (h, r) in s.etcd_hosts().into_iter().zip(results) {
            let (copies, _) = inspected(r)?;
            let gone = to_prune(&copies, keep);
            if gone.is_empty() {
                ui.step(h.name(), &format!("{} snapshot(s), nothing to prune", copies.len()));
                continue;
            }
            if let JobResult::Done { detail } = s.on_host(h, image.tag(), &Job::Delete { names: gone }).await? {
                ui.step(h.name(), &detail);
            }
        }
        Ok(())
    }
    .await;
    s.close().await;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::archive::Layout;
    use crate::snapshot::manifest::Checksum;

    fn c(name: &str, t: i64) -> Copy {
        Copy { name: name.into(), layout: Layout::Zip, size: 1, sha256: "x".into(), checksum: Checksum::NoManifest, manifest: None, modified_unix: t, problem: None, has_state: false, encrypted: false }
    }

    #[test]
    fn prune_keeps_the_newest() {
        let copies = [c("a", 10), c("b", 30), c("c", 20), c("d", 5)];
        assert_eq!(to_prune(&copies, 2), vec!["a", "d"]);
        assert!(to_prune(&copies, 4).is_empty());
        assert_eq!(to_prune(&copies, 0).len(), 4);
    }

    #[test]
    fn prune_orders_by_the_manifests_creation_time_not_by_name_nor_file_time() {
        let m = |name: &str, created: i64| crate::snapshot::manifest::Manifest {
            name: name.into(),
            cluster: "c".into(),
            etcd_version: "3.4.23".into(),
            revision: 1,
            size: 1,
            sha256: "x".into(),
            created_unix: created,
            encrypted: false,
        };
        // copied files have fresh file times; names sort the other way round
        let with = |name: &str, created: i64, modified: i64| Copy { manifest: Some(m(name, created)), checksum: Checksum::Ok, ..c(name, modified) };
        let copies = [with("a-newest", 300, 1), with("z-oldest", 100, 999), with("m-middle", 200, 500)];
        assert_eq!(to_prune(&copies, 1), vec!["m-middle", "z-oldest"]);
        // an RKE1 snapshot without a manifest: placed by the time in its name
        let rke1 = c("rke_etcd_snapshot_1970-01-01T00-04-10Z", 10_000);
        let mixed = [with("a-newest", 300, 1), rke1, with("z-oldest", 100, 999)];
        assert_eq!(to_prune(&mixed, 2), vec!["z-oldest"], "250 s lies between 100 and 300");
    }

    #[test]
    fn the_deadline_is_backup_config_timeout() {
        let mut cfg = ClusterConfig::default();
        assert_eq!(deadline(&cfg), Duration::from_secs(300));
        cfg.services.etcd.backup_config = Some(crate::config::schema::BackupConfig { timeout: Some(42), ..Default::default() });
        assert_eq!(deadline(&cfg), Duration::from_secs(42));
    }
}
