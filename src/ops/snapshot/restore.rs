//! `stockade etcd snapshot-restore --name N [--use-local-state]`.
//!
//! Preflight first, against the live hosts, before anything is stopped: the snapshot is on every
//! etcd host, every copy matches its manifest (an RKE1 copy without one: all copies identical),
//! every copy is the same file, etcd's integrity hash inside passes, the state in the archive is
//! readable and its CA is the cluster's, and the etcd image is on every etcd host. Only then: stop
//! the control plane and etcd, restore every member (`etcdctl snapshot restore` in a one-shot
//! container of the cluster's etcd image, into a fresh directory), swap the data in (the old data
//! kept aside), start etcd, wait until every member is healthy, put the archive's state in place
//! (unless --use-local-state) and bring the rest back with `up`. The old data is removed only after
//! that. Every step can run again: an interrupted restore finishes when run again.
use super::preflight::{self, HostReport};
use super::{inspected, S3Seam, Session, SnapshotOptions};
use crate::apply::agent::{binds_for, AgentRun};
use crate::apply::containers::indent_logs;
use crate::etcd::{self, Credentials};
use crate::plan::controlplane::{APISERVER, CONTROLLER, SCHEDULER};
use crate::plan::etcd::{internal, member_name, peer_url, CLIENT_PORT, CONTAINER as ETCD};
use crate::snapshot::crypt::Decrypt;
use crate::snapshot::job::{self, Job, JobResult};
use crate::snapshot::naming;
use crate::state::FullState;
use crate::transport::docker::{is_not_found, Helper};
use crate::transport::hosts::{all_ok, bounded};
use crate::transport::Host;
use crate::ui::Ui;
use anyhow::{anyhow, bail, Context, Result};
use bollard::query_parameters::StopContainerOptions;
use std::time::Duration;

/// The one-shot container that runs `etcdctl snapshot restore` (a fixed name: a leftover of an
/// interrupted restore is removed by the next one).
pub const RESTORE_CONTAINER: &str = "stockade-etcd-restore";

#[derive(Debug, Clone)]
pub struct RestoreOptions {
    pub snapshot: SnapshotOptions,
    pub name: String,
    pub use_local_state: bool,
    pub etcd_health_timeout: Duration,
    pub health_timeout: Duration,
    /// `--decrypt-identity` / passphrase, for an encrypted snapshot
    pub decrypt: super::crypt::DecryptFlags,
    /// asked for by cluster.yml's `restore:` (then recorded as done in the state, see `declared`)
    pub declared: bool,
    /// `--copy-missing`: etcd hosts that lack the snapshot (and S3 cannot supply it) get it from a
    /// verified copy on another etcd host first; without it such a restore is refused
    pub copy_missing: bool,
}

/// RKE1's declarative restore: `restore: {restore: true, snapshot_name: N}` in cluster.yml makes
/// `up` restore N before anything else — once. The state's recorded configuration (what the last
/// successful `up` or restore applied) holds the same request afterwards, and then nothing more is
/// restored until the request changes. An empty name is bad input.
pub fn declared(cfg: &crate::config::ClusterConfig, recorded: Option<&serde_json::Value>) -> Result<Option<String>> {
    let Some(r) = cfg.restore.as_ref().filter(|r| r.restore) else { return Ok(None) };
    let name = r.snapshot_name.as_deref().filter(|n| !n.trim().is_empty()).ok_or_else(|| crate::exit::Invalid("restore.restore is true but restore.snapshot_name is empty: name the snapshot to restore (`stockade etcd snapshot ls`)".into()))?;
    let name = naming::normalize(name).map_err(|e| crate::exit::Invalid(format!("restore.snapshot_name: {e:#}")))?;
    let done = recorded
        .and_then(|c| c.get("restore"))
        .filter(|r| r.get("restore").and_then(|v| v.as_bool()) == Some(true))
        .and_then(|r| r.get("snapshotName").and_then(|v| v.as_str()))
        .and_then(|n| naming::normalize(n).ok())
        .is_some_and(|n| n == name);
    Ok((!done).then_some(name))
}

/// Records in the state that the declared restore of `name` was applied (see `declared`).
fn record_declared(state_path: &std::path::Path, name: &str) -> Result<()> {
    let Some(mut st) = crate::state::load(state_path)? else { return Ok(()) };
    let marker = serde_json::json!({ "restore": true, "snapshotName": name });
    for c in [&mut st.current, &mut st.desired] {
        match c.rke_config.as_mut().and_then(|v| v.as_object_mut()) {
            Some(o) => {
                o.insert("restore".into(), marker.clone());
            }
            None => c.rke_config = Some(serde_json::json!({ "restore": marker.clone() })),
        }
    }
    crate::state::save(state_path, &st)
}

/// Restores from the copies on the etcd hosts; with S3 (flags or cluster.yml), a host that lacks
/// the snapshot first downloads it, and the preflight then verifies every copy alike.
pub async fn run(opts: &RestoreOptions, s3_flags: &super::s3::S3Flags, ui: &Ui) -> Result<()> {
    let name = naming::normalize(&opts.name)?;
    let cfg = crate::config::load(&opts.snapshot.config_path)?.config;
    let s3 = super::s3::settings(&cfg, s3_flags, &|k| std::env::var(k).ok())?.map(|settings| super::s3::AgentS3 { settings, deadline: super::deadline(&cfg) });
    let key = super::crypt::decryption(&opts.decrypt, &|k| std::env::var(k).ok())?;
    let mut s = Session::open(&opts.snapshot, "etcd snapshot-restore", true, ui).await?;
    let restored = restore_etcd(&s, &name, opts, s3.as_ref().map(|a| a as &dyn S3Seam), key.as_ref(), ui).await;
    if restored.is_err() {
        s.close().await;
    }
    let archive_state = restored?;
    if let Some(st) = &archive_state {
        crate::state::save(&s.state_path, st)?;
        ui.info(&format!("state file {} replaced by the one stored in {name} (the previous one is kept as .bak)", s.state_path.display()));
    }
    if opts.declared {
        record_declared(&s.state_path, &name)?;
    }
    // `up` takes the lock itself and brings the control plane and workers back
    s.unlock();
    let up = crate::ops::up::UpOptions {
        config_path: opts.snapshot.config_path.clone(),
        connect: opts.snapshot.connect.clone(),
        dry_run: false,
        offline: false,
        output: crate::ops::up::Output::Text,
        etcd_health_timeout: opts.etcd_health_timeout,
        rotation: None,
        custom_certs: None,
        health_timeout: opts.health_timeout,
        no_snapshot: true,
        restored: true,
    };
    let upped = crate::ops::up::run(&up, ui).await;
    if let Err(e) = upped {
        s.close().await;
        return Err(e.context(format!(
            "etcd was restored from {name}, but bringing the cluster back failed; the data etcd had before is kept in {}/{} on every etcd host (under RKE1's /opt/rke or /mnt/sda1/rke on hosts where prefix_path is unset and it used one). Fix the cause and run `stockade up`",
            crate::plan::prefixed(s.config(), "/var/lib/etcd"),
            job::KEPT_OLD
        )));
    }
    // healthy and up: the data from before the restore can go
    let image = s.agent_image(ui).await?;
    let cleaned = s.on_etcd_hosts(image.tag(), &Job::Cleanup).await;
    s.close().await;
    if let Err(e) = cleaned {
        ui.warn(&format!("restore finished, but removing the pre-restore data failed (remove it by hand):\n{e:#}"));
    }
    ui.info(&format!("Restored etcd from snapshot {name}."));
    Ok(())
}

/// Preflight, stop, restore, start, health. Returns the state stored in the archive (to be used
/// unless --use-local-state).
async fn restore_etcd(s: &Session, name: &str, opts: &RestoreOptions, s3: Option<&dyn S3Seam>, key: Option<&Decrypt>, ui: &Ui) -> Result<Option<FullState>> {
    let etcd_hosts = s.etcd_hosts();
    let cfg = s.config();
    ui.phase("Preflight");
    let image = s.agent_image(ui).await?;
    // with S3, every etcd host first gets the copy it lacks; the preflight then verifies all of them
    let mut s3_failed = Vec::new();
    if let Some(s3) = s3 {
        let tag = image.tag();
        let downloads = etcd_hosts.iter().map(|h| async move { s3.download(h, tag, name).await.map_err(|e| format!("host {}: bringing {name} from S3: {e:#}", h.name())) }).collect();
        s3_failed.extend(bounded(s.hosts.concurrency, downloads).await.into_iter().filter_map(Result::err));
    }
    let mut copies = inspect_everywhere(s, image.tag(), name, key).await?;
    // a snapshot on only some etcd hosts and not (or not reachably) in S3 — a recurring one is on
    // one host: each host takes and names its own, and only the first etcd host uploads — is
    // copied host to host from a verified copy; each destination checks what it received against
    // the manifest before the file takes its name, and the preflight below then verifies every
    // copy alike. Nothing is stopped before that.
    let reports: Vec<HostReport> = etcd_hosts.iter().zip(&copies).map(|(h, c)| HostReport { host: h.name(), copy: c.as_ref() }).collect();
    let plan = preflight::share_plan(&reports, key.is_some());
    let mut shared_to: Vec<&str> = Vec::new();
    match plan {
        Some((from, targets)) if !opts.copy_missing => {
            // copying between hosts is the operator's decision: the hosts that lack the
            // snapshot are named, and nothing is copied, stopped or changed
            let lack: Vec<&str> = targets.iter().map(|&i| etcd_hosts[i].name()).collect();
            let from_s3 = if s3_failed.is_empty() { String::new() } else { format!(" (nor could S3 supply it: {})", s3_failed.join("; ")) };
            bail!(
                "snapshot {name} is not on etcd host(s) {}{from_s3}; a copy that verifies against its manifest is on {}. Nothing was stopped or changed: rerun with --copy-missing to copy it to them first (each copy is checked against the manifest before anything stops)",
                lack.join(", "),
                etcd_hosts[from].name()
            )
        }
        Some((from, targets)) => {
            if !s3_failed.is_empty() {
                ui.warn(&format!("{name} could not be brought from S3 to every etcd host; copying it from another etcd host instead:\n{}", s3_failed.join("\n")));
            }
            let source = etcd_hosts[from];
            let manifest = copies[from].as_ref().and_then(|c| c.manifest.clone()).expect("share_plan shares only copies with a manifest");
            for to in targets.iter().map(|&i| etcd_hosts[i]) {
                ui.status(&format!("copying {name} from {} to {}", source.name(), to.name()));
                crate::apply::agent::copy_snapshot(source, to, image.tag(), &manifest, s.deadline)
                    .await
                    .map_err(|e| anyhow!("{e:#}. Nothing was stopped or changed (a copy that does not verify never takes the snapshot's name; run the restore again)"))?;
                ui.step(to.name(), &format!("{name} copied from {} and verified against its manifest (sha256 {}…)", source.name(), &manifest.sha256[..16.min(manifest.sha256.len())]));
                shared_to.push(to.name());
            }
            copies = inspect_everywhere(s, image.tag(), name, key).await?;
        }
        None if !s3_failed.is_empty() => bail!("{}. Nothing was stopped or changed", s3_failed.join("\n")),
        None => {}
    }
    let reports: Vec<HostReport> = etcd_hosts.iter().zip(&copies).map(|(h, c)| HostReport { host: h.name(), copy: c.as_ref() }).collect();
    let verified = preflight::decide(name, &reports, !opts.use_local_state, key.is_some())
        .map_err(|problems| {
            let changed = if shared_to.is_empty() { "nothing was stopped or changed".to_string() } else { format!("nothing was stopped; the verified copies made on {} stay in the snapshot directory", shared_to.join(", ")) };
            anyhow!("snapshot {name} cannot be restored; {changed}:\n{}", problems.join("\n"))
        })?;
    let decrypted = if verified.encrypted { "decrypted, " } else { "" };
    for h in &etcd_hosts {
        ui.step(h.name(), &format!("{name}: present, sha256 {}…, {decrypted}etcd integrity hash ok", &verified.sha256[..16]));
    }
    if !verified.without_manifest.is_empty() {
        ui.warn(&format!("{name} has no stockade manifest (an RKE1 snapshot): accepted because every etcd host holds the identical file"));
    }
    let archive_state = if opts.use_local_state { None } else { Some(read_archive_state(s, etcd_hosts[0], image.tag(), name, key).await?) };
    if let Some(st) = &archive_state {
        check_state_matches_cluster(st, &s.state)?;
    }
    let etcd_image = cfg.system_images.etcd.clone().filter(|i| !i.is_empty()).ok_or_else(|| anyhow!("no etcd image known (system_images.etcd)"))?;
    for h in &etcd_hosts {
        if h.docker.inspect_image(&etcd_image).await.is_err() {
            bail!("host {}: the etcd image {etcd_image} is not on the host (the restore runs etcdctl from it); run `stockade up` first. Nothing was stopped or changed", h.name());
        }
    }

    ui.phase("Stop");
    // the control plane first (on every host at once), then etcd in waves (`stop_waves`)
    let control = s.hosts.hosts.iter().filter(|h| h.has_role("controlplane")).map(|h| async move {
        for c in [APISERVER, CONTROLLER, SCHEDULER] {
            stop(h, c, ui).await?;
        }
        Ok(())
    });
    all_ok(bounded(s.hosts.concurrency, control.collect()).await)?;
    // asked once the control plane is down (its requests no longer move leadership)
    let leader = etcd_leader(&etcd_hosts, &Credentials::from_bundle(&s.state.certificates())?).await;
    if leader.is_none() {
        ui.info("no etcd member answers as leader: the members are stopped one after the other");
    }
    for wave in stop_waves(etcd_hosts.len(), leader) {
        all_ok(bounded(s.hosts.concurrency, wave.into_iter().map(|i| stop(etcd_hosts[i], ETCD, ui)).collect()).await)?;
    }

    ui.phase("Restore");
    let members: Vec<&crate::config::Node> = etcd_hosts.iter().map(|h| &h.node).collect();
    let initial_cluster = members.iter().map(|m| format!("{}={}", member_name(m), peer_url(m))).collect::<Vec<_>>().join(",");
    let futs = etcd_hosts
        .iter()
        .map(|h| {
            let (initial_cluster, etcd_image, image, prepared) = (&initial_cluster, &etcd_image, image.tag(), &verified.sha256);
            async move {
                let prefix = &|p: &str| h.prefixed(cfg, p);
                let extract = Job::Extract { name: name.to_string(), decrypt: key.cloned(), prepared: Some(prepared.clone()) };
                crate::apply::agent::run_job(h, image, &extract, binds_for(&extract, prefix), s.deadline).await?;
                restore_member(h, etcd_image, name, initial_cluster, &prefix("/var/lib/etcd"), s.deadline).await?;
                let swap = Job::SwapData;
                match crate::apply::agent::run_job(h, image, &swap, binds_for(&swap, prefix), s.deadline).await? {
                    JobResult::Done { detail } => ui.step(h.name(), &format!("{} restored: {detail}", member_name(&h.node))),
                    other => bail!("host {}: unexpected answer {other:?}", h.name()),
                }
                Ok(())
            }
        })
        .collect();
    all_ok(bounded(s.hosts.concurrency, futs).await)?;

    ui.phase("etcd");
    // every member at once: none can be healthy before a quorum of them runs
    let mut missing = Vec::new();
    let starts = bounded(s.hosts.concurrency, etcd_hosts.iter().map(|h| h.docker.start_container(ETCD, None)).collect()).await;
    for (h, started) in etcd_hosts.iter().zip(starts) {
        match started {
            Ok(()) => {}
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => {}
            Err(e) if is_not_found(&e) => missing.push(h.name().to_string()),
            Err(e) => bail!("host {}: starting etcd: {e}", h.name()),
        }
    }
    if missing.is_empty() {
        let creds = Credentials::from_bundle(&s.state.certificates())?;
        let expected = etcd_hosts.len();
        let checks = etcd_hosts.iter().map(|h| wait_healthy(h, &creds, expected, opts.etcd_health_timeout));
        all_ok(futures_util::future::join_all(checks).await)?;
        ui.info(&format!("all {expected} etcd members healthy on the restored data"));
    } else {
        ui.warn(&format!("no etcd container on {}: `up` creates it on the restored data", missing.join(", ")));
    }
    Ok(archive_state)
}

/// What every etcd host holds of `name`, deep-checked (manifest, etcd's integrity hash), in host
/// order; the etcd snapshot is extracted into each host's restore scratch directory on the way
/// (the restore then reuses it: one reading of each archive).
async fn inspect_everywhere(s: &Session, image: &str, name: &str, key: Option<&Decrypt>) -> Result<Vec<Option<crate::snapshot::job::Copy>>> {
    let results = s.on_etcd_hosts(image, &Job::Prepare { name: name.to_string(), decrypt: key.cloned() }).await?;
    results.into_iter().map(|r| Ok(inspected(r)?.0.into_iter().next())).collect()
}

/// The state file stored in the archive, read by the agent on `h` (not through any log).
async fn read_archive_state(s: &Session, h: &Host, image: &str, name: &str, key: Option<&Decrypt>) -> Result<FullState> {
    let job = Job::ReadState { name: name.to_string(), decrypt: key.cloned() };
    let prefix = |p: &str| h.prefixed(s.config(), p);
    let run = AgentRun::create(h, image, &job, binds_for(&job, &prefix)).await?;
    let r = async {
        run.run(s.deadline).await?;
        run.download_file(job::STATE_OUT).await
    }
    .await;
    run.remove().await;
    let bytes = r.with_context(|| format!("host {}: reading the state stored in {name} (restore with --use-local-state to use the local state file)", h.name()))?;
    serde_json::from_slice(&bytes).map_err(|e| anyhow!("the state stored in {name} is not readable ({e}): restore with --use-local-state. Nothing was stopped or changed"))
}

/// The archive's state must hold the certificates etcd is reached with, under the cluster's CA:
/// with another CA the hosts' etcd (and `up`) would not accept it.
pub fn check_state_matches_cluster(archive: &FullState, local: &FullState) -> Result<()> {
    let (a, l) = (archive.certificates(), local.certificates());
    for n in [crate::pki::names::CA, crate::pki::names::NODE] {
        let c = a.get(n).ok_or_else(|| anyhow!("the state stored in the snapshot has no {n} certificate: restore with --use-local-state. Nothing was stopped or changed"))?;
        if crate::pki::cert_info(&c.certificate_pem).is_none() {
            bail!("the state stored in the snapshot has an unreadable {n} certificate: restore with --use-local-state. Nothing was stopped or changed");
        }
    }
    let ca = |b: &crate::pki::Bundle| b.get(crate::pki::names::CA).map(|c| c.certificate_pem.trim().to_string());
    if ca(&l).is_some() && ca(&a) != ca(&l) {
        bail!("the state stored in the snapshot has another cluster CA than the local state file: the running hosts trust the local one. Restore with --use-local-state (or put that snapshot's state file in place first). Nothing was stopped or changed");
    }
    Ok(())
}

/// Which etcd host's member is the leader, as the members themselves report it now; None when
/// no member answers as leader within a few seconds (then `stop_waves` goes one by one).
async fn etcd_leader(hosts: &[&Host], creds: &Credentials) -> Option<usize> {
    let asks = hosts.iter().map(|h| async move {
        let ask = async {
            let mut c = etcd::connect(h.session.clone(), internal(&h.node), CLIENT_PORT, creds, Duration::from_secs(5)).await?;
            let st = c.status().await?;
            anyhow::Ok(st.header.map(|hd| hd.member_id) == Some(st.leader) && st.leader != 0)
        };
        matches!(tokio::time::timeout(Duration::from_secs(5), ask).await, Ok(Ok(true)))
    });
    futures_util::future::join_all(asks).await.into_iter().position(|leads| leads)
}

/// The order etcd's members are stopped in, as waves of host indexes stopped together: every
/// follower at once, then the leader alone. A leader stopped while followers still run first
/// hands its leadership over (~1.7 s each, measured; all stopped at once, the last leader waited
/// 15 s for a transfer to a member that was going away); the leader stopped last has no peer left
/// to hand it to and exits at once. With the leader unknown: one member after the other.
fn stop_waves(members: usize, leader: Option<usize>) -> Vec<Vec<usize>> {
    match leader {
        Some(l) if l < members => {
            let followers: Vec<usize> = (0..members).filter(|i| *i != l).collect();
            [followers, vec![l]].into_iter().filter(|w| !w.is_empty()).collect()
        }
        _ => (0..members).map(|i| vec![i]).collect(),
    }
}

async fn stop(h: &Host, container: &str, ui: &Ui) -> Result<()> {
    match h.docker.inspect_container(container, None).await {
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => bail!("host {}: inspecting {container}: {e}", h.name()),
        Ok(c) if !c.state.as_ref().and_then(|s| s.running).unwrap_or(false) => return Ok(()),
        Ok(_) => {}
    }
    h.docker
        .stop_container(container, Some(StopContainerOptions { t: Some(30), ..Default::default() }))
        .await
        .map_err(|e| anyhow!("host {}: stopping {container}: {e}", h.name()))?;
    ui.step(h.name(), &format!("stopped {container}"));
    Ok(())
}

/// The restore program of the etcd image: `etcdutl` from etcd 3.6 on (etcdctl lost `snapshot
/// restore`), `etcdctl` before.
pub fn restore_program(etcd_image: &str) -> &'static str {
    let tag = etcd_image.rsplit(':').next().unwrap_or_default().trim_start_matches('v');
    let v: Vec<u64> = tag.split(['.', '-']).take(2).map_while(|p| p.parse().ok()).collect();
    match v.as_slice() {
        [3, minor] if *minor >= 6 => "/usr/local/bin/etcdutl",
        [major, ..] if *major > 3 => "/usr/local/bin/etcdutl",
        _ => "/usr/local/bin/etcdctl",
    }
}

/// `etcdctl snapshot restore` for one member, in a one-shot container of the cluster's etcd image,
/// into `<data>/stockade-restore-new` (swapped in by the agent afterwards).
pub fn restore_command(etcd_image: &str, name: &str, member: &crate::config::Node, initial_cluster: &str) -> Vec<String> {
    vec![
        restore_program(etcd_image).to_string(),
        "snapshot".into(),
        "restore".into(),
        format!("{}/{}", job::RESTORE_DIR, crate::agent::restore_db_file(name)),
        format!("--data-dir={}/{}", job::ETCD_DATA, job::RESTORED_NEW),
        format!("--name={}", member_name(member)),
        format!("--initial-cluster={initial_cluster}"),
        "--initial-cluster-token=etcd-cluster-1".into(),
        format!("--initial-advertise-peer-urls={}", peer_url(member)),
    ]
}

async fn restore_member(h: &Host, etcd_image: &str, name: &str, initial_cluster: &str, data_dir: &str, deadline: Duration) -> Result<()> {
    let cmd = restore_command(etcd_image, name, &h.node, initial_cluster);
    let binds = vec![format!("{0}:{0}:ro", job::RESTORE_DIR), format!("{data_dir}:{}", job::ETCD_DATA)];
    let helper = Helper::create_named(&h.docker, RESTORE_CONTAINER, etcd_image, binds, cmd).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
    let r = helper.run(deadline).await;
    helper.remove().await;
    let (code, logs) = r.map_err(|e| anyhow!("host {}: etcd snapshot restore: {e:#}", h.name()))?;
    if code != 0 {
        bail!("host {}: etcd snapshot restore failed (exit {code}){}", h.name(), indent_logs(&logs));
    }
    Ok(())
}

async fn wait_healthy(h: &Host, creds: &Credentials, expected: usize, timeout: Duration) -> Result<()> {
    let ip = internal(&h.node).to_string();
    crate::apply::health::wait_healthy(h, ETCD, timeout, "etcd members must reach each other on ports 2379/2380", || async {
        let mut client = etcd::connect(h.session.clone(), &ip, CLIENT_PORT, creds, Duration::from_secs(5)).await?;
        let health = etcd::member_health(&mut client).await?;
        if health.members.len() != expected {
            return Err(anyhow!("member list has {} of {expected} members: {:?}", health.members.len(), health.members));
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_stop_together_and_the_leader_last() {
        assert_eq!(stop_waves(3, Some(1)), vec![vec![0, 2], vec![1]]);
        assert_eq!(stop_waves(1, Some(0)), vec![vec![0]]);
        // unknown (or a report that names no host here): one after the other
        assert_eq!(stop_waves(3, None), vec![vec![0], vec![1], vec![2]]);
        assert_eq!(stop_waves(2, Some(5)), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_declared_restore_runs_once_per_request() {
        let cfg = |y: &str| crate::config::load::parse(std::path::Path::new("c.yml"), &format!("nodes: []\n{y}")).unwrap();
        let asked = cfg("restore:\n  restore: true\n  snapshot_name: snap-a.zip\n");
        assert_eq!(declared(&cfg(""), None).unwrap(), None);
        assert_eq!(declared(&cfg("restore:\n  restore: false\n  snapshot_name: x\n"), None).unwrap(), None);
        assert_eq!(declared(&asked, None).unwrap().as_deref(), Some("snap-a"));
        // what the last up recorded: the same request is done, another one is not
        let recorded = crate::state::rke_config_json(&asked).unwrap();
        assert_eq!(declared(&asked, Some(&recorded)).unwrap(), None);
        let other = cfg("restore:\n  restore: true\n  snapshot_name: snap-b\n");
        assert_eq!(declared(&other, Some(&recorded)).unwrap().as_deref(), Some("snap-b"));
        assert!(declared(&cfg("restore:\n  restore: true\n"), None).is_err(), "no name");
        assert!(declared(&cfg("restore:\n  restore: true\n  snapshot_name: ../x\n"), None).is_err());
    }

    #[test]
    fn the_restore_command_names_every_member_of_the_current_hosts() {
        let n = crate::config::Node { address: "10.0.0.1".into(), hostname_override: Some("h1".into()), ..Default::default() };
        let cmd = restore_command("rancher/mirrored-coreos-etcd:v3.5.9", "s", &n, "etcd-h1=https://10.0.0.1:2380,etcd-h2=https://10.0.0.2:2380");
        assert_eq!(cmd[0], "/usr/local/bin/etcdctl");
        assert!(cmd.contains(&"--name=etcd-h1".to_string()));
        assert!(cmd.contains(&"--initial-advertise-peer-urls=https://10.0.0.1:2380".to_string()));
        assert!(cmd.contains(&"--initial-cluster-token=etcd-cluster-1".to_string()));
        assert!(cmd.contains(&"/opt/rke/etcd-snapshots-restore/s.db".to_string()));
        assert_eq!(restore_program("registry.k8s.io/etcd:v3.6.1"), "/usr/local/bin/etcdutl");
        assert_eq!(restore_program("stockade-testbed/etcd:v3.4.23"), "/usr/local/bin/etcdctl");
    }
}
