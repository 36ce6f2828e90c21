//! `stockade etcd snapshot-save [--name N]`.
//!
//! The snapshot is taken ONCE, by the agent on a member verified healthy right before, and that
//! same archive is copied to every other etcd host, each copy checked against the manifest by the
//! agent on its host. Not one snapshot per host as RKE1 did: those differ (revision, bytes), so a
//! restore could find "the same" snapshot with different contents on different members (RKE1's
//! "etcd snapshots are not consistent"); with one archive, every member restores the same data.
use super::{inspected, S3Seam, Session, SnapshotOptions};
use crate::etcd::{self, Credentials};
use crate::plan::etcd::{internal, CLIENT_PORT};
use crate::snapshot::crypt::Encrypt;
use crate::snapshot::job::{self, Job, JobResult, SaveJob};
use crate::snapshot::manifest::Manifest;
use crate::snapshot::naming;
use crate::transport::Host;
use crate::ui::Ui;
use anyhow::{anyhow, bail, Result};
use std::time::Duration;

/// Takes the snapshot, copies and verifies it on every etcd host, then uploads it to S3 when the
/// flags or cluster.yml ask for it (settings checked before any host is contacted).
pub async fn run(opts: &SnapshotOptions, name: Option<&str>, s3_flags: &super::s3::S3Flags, crypt: &super::crypt::EncryptFlags, copy_port: u16, ui: &Ui) -> Result<Manifest> {
    let name = match name {
        Some(n) => naming::normalize(n)?,
        None => naming::default_name(time::OffsetDateTime::now_utc()),
    };
    let cfg = crate::config::load(&opts.config_path)?.config;
    let s3 = super::s3::settings(&cfg, s3_flags, &|k| std::env::var(k).ok())?.map(|settings| super::s3::AgentS3 { settings, deadline: super::deadline(&cfg) });
    let encrypt = super::crypt::encryption(crypt, &|k| std::env::var(k).ok())?;
    let s = Session::open(opts, "etcd snapshot-save", false, ui).await?;
    let r = save_in(&s, &name, s3.as_ref().map(|a| a as &dyn S3Seam), encrypt, copy_port, ui).await;
    s.close().await;
    let m = r?;
    let on: Vec<&str> = s.etcd_hosts().iter().map(|h| h.name()).collect();
    let url = s3.as_ref().map(|a| a.settings.object_key(&naming::archive_file(&m.name)).map(|k| a.settings.url_of(&k))).transpose()?;
    if ui.json() {
        let doc = serde_json::json!({"name": m.name, "size": m.size, "sha256": m.sha256, "etcd_version": m.etcd_version, "revision": m.revision, "hosts": on, "s3": url});
        ui.document("snapshot", &doc)?;
        return Ok(m);
    }
    let mut out = format!("{}\n  size:   {} bytes\n  sha256: {}\n  etcd:   {} (revision {})\n  on:     {}\n", m.name, m.size, m.sha256, m.etcd_version, m.revision, on.join(", "));
    if let Some(url) = url {
        out.push_str(&format!("  s3:     {url}\n"));
    }
    crate::ui::print(&out)?;
    Ok(m)
}

async fn save_in(s: &Session, name: &str, s3: Option<&dyn S3Seam>, encrypt: Option<Encrypt>, copy_port: u16, ui: &Ui) -> Result<Manifest> {
    let creds = Credentials::from_bundle(&s.state.certificates())?;
    let etcd_hosts = s.etcd_hosts();
    ui.phase("Snapshot");
    let image = s.agent_image(ui).await?;
    // the name must be free everywhere before anything is written (asked while etcd's health is)
    let free = Job::Inspect { names: Some(vec![name.to_string()]), deep: false, decrypt: None };
    let (found, source) = tokio::join!(
        s.on_etcd_hosts(image.tag(), &free),
        healthy_member(&etcd_hosts, &creds)
    );
    for (h, r) in etcd_hosts.iter().zip(found?) {
        if !inspected(r)?.0.is_empty() {
            bail!("host {}: a snapshot named {name} already exists: choose another --name, or delete it first (`stockade etcd snapshot delete {name}`). Nothing was changed", h.name());
        }
    }
    let source = source?;
    ui.step(source.name(), "healthy etcd member: taking the snapshot here");
    let others: Vec<&Host> = etcd_hosts.iter().copied().filter(|h| h.name() != source.name()).collect();
    let state = std::fs::read_to_string(&s.state_path).map_err(|e| anyhow!("reading {}: {e}", s.state_path.display()))?;
    let stall_timeout_secs = 30.min(s.deadline.as_secs()).max(5);
    let ssl = |file: &str| format!("/etc/kubernetes/ssl/{file}");
    let etcd_tls = |h: &Host| crate::snapshot::job::TlsFiles {
        ca_file: ssl(&format!("{}.pem", crate::pki::names::CA)),
        cert_file: ssl(&format!("{}.pem", crate::pki::names::etcd_cert(&h.node))),
        key_file: ssl(&format!("{}-key.pem", crate::pki::names::etcd_cert(&h.node))),
    };
    let copy = (copy_port != 0 && !others.is_empty()).then(|| crate::snapshot::job::CopyTo {
        peers: others.iter().map(|h| internal(&h.node).to_string()).collect(),
        port: copy_port,
        tls: etcd_tls(source),
    });
    // the receivers first (created on every host at once): the saving agent connects to them
    // before it takes the snapshot
    let mut receivers = Vec::new();
    let mut direct_failed: Vec<(String, String)> = Vec::new();
    if copy.is_some() {
        let creating = others.iter().map(|to| {
            let receive = Job::Receive(crate::snapshot::job::ReceiveJob {
                name: name.to_string(),
                listen: internal(&to.node).to_string(),
                port: copy_port,
                tls: etcd_tls(to),
                accept_secs: RECEIVER_WAITS.as_secs(),
                // longer than the saving agent's own: its pauses (etcd's, the final sync) come first
                stall_secs: 3 * stall_timeout_secs,
                sender: internal(&source.node).to_string(),
            });
            let cfg = s.config();
            let binds = crate::apply::agent::binds_for(&receive, &|p: &str| to.prefixed(cfg, p));
            let tag = image.tag();
            async move { (to, crate::apply::agent::AgentRun::create(to, tag, &receive, binds).await) }
        });
        for (to, created) in crate::transport::hosts::bounded(s.hosts.concurrency, creating.collect()).await {
            match created {
                Ok(r) => receivers.push(r),
                Err(e) => direct_failed.push((to.name().to_string(), format!("{e:#}"))),
            }
        }
    }
    let job = Job::Save(SaveJob {
        name: name.to_string(),
        cluster: s.config().cluster_name.clone().unwrap_or_else(|| "local".into()),
        address: internal(&source.node).to_string(),
        port: CLIENT_PORT,
        ca_file: ssl(&format!("{}.pem", crate::pki::names::CA)),
        cert_file: ssl(&format!("{}.pem", crate::pki::names::NODE)),
        key_file: ssl(&format!("{}-key.pem", crate::pki::names::NODE)),
        state: Some(state),
        stall_timeout_secs,
        encrypt,
        copy: copy.as_ref().map(|c| crate::snapshot::job::CopyTo { peers: receivers.iter().map(|r| internal(&r.host.node).to_string()).collect(), ..c.clone() }),
        s3: s3.and_then(|s3| s3.streamed()),
    });
    let deadline = s.deadline;
    let saving = async {
        let r = s.on_host(source, image.tag(), &job).await;
        // a receiver the saving agent never reached is not waited for; one it reached ends on
        // its own (it keeps the copy or discards it) and is never cut off while it does
        let reached: Vec<String> = match &r {
            Ok(JobResult::Saved { delivered, .. }) => delivered.iter().filter(|d| d.reached).map(|d| d.to.clone()).collect(),
            _ => Vec::new(),
        };
        for rcv in &receivers {
            if !reached.contains(&internal(&rcv.host.node).to_string()) {
                rcv.cancel().await;
            }
        }
        r
    };
    let (saved, received) = tokio::join!(saving, futures_util::future::join_all(receivers.iter().map(|r| r.run(deadline))));
    for r in receivers {
        r.remove().await;
    }
    let (manifest, delivered) = match saved? {
        JobResult::Saved { manifest, delivered } => (manifest, delivered),
        other => bail!("host {}: the agent answered {other:?} to the save job", source.name()),
    };
    let encrypted = if manifest.encrypted { ", age-encrypted" } else { "" };
    ui.step(source.name(), &format!("wrote {} ({} bytes{encrypted}, sha256 {})", naming::archive_path(name), manifest.size, manifest.sha256));
    // each other host: kept by its receiver, the same bytes as here — else copied through this
    // machine. Every copy was read back from its host's disk against the manifest by the agent
    // there before it took the snapshot's name (the saving host's own after it), and etcd's
    // integrity hash was checked once, on the stream: a copy with the same sha256 is the same bytes
    let mut failed = Vec::new();
    let mut received = received.into_iter();
    for to in &others {
        let address = internal(&to.node).to_string();
        let direct = match (copy.is_some(), direct_failed.iter().find(|(h, _)| h == to.name())) {
            (false, _) => Err("direct copies are off (--copy-port 0)".to_string()),
            (true, Some((_, e))) => Err(e.clone()),
            (true, None) => {
                let sent = delivered.iter().find(|d| d.to == address).map(|d| d.error.clone()).unwrap_or_else(|| Some("not sent".into()));
                // what the receiver kept decides, whatever the sender saw of its answer
                match (received.next().expect("one result per receiver"), sent) {
                    (Ok(JobResult::Saved { manifest: m, .. }), _) if m.sha256 == manifest.sha256 && m.size == manifest.size => Ok(()),
                    (Ok(other), _) => Err(format!("the copy kept is not the snapshot ({other:?})")),
                    (Err(_), Some(e)) => Err(e),
                    (Err(e), None) => Err(format!("{e:#}")),
                }
            }
        };
        match direct {
            Ok(()) => ui.step(to.name(), &format!("received {name} from {} (direct, verified)", source.name())),
            Err(why) => {
                if copy.is_some() {
                    ui.warn(&format!("host {}: the direct copy from {} failed ({why}); copying through this machine instead (open TCP port {copy_port} between the etcd hosts, or pass --copy-port 0)", to.name(), source.name()));
                }
                ui.status(&format!("copying {name} to {}", to.name()));
                match crate::apply::agent::copy_snapshot(source, to, image.tag(), &manifest, s.deadline).await {
                    Ok(()) => ui.step(to.name(), &format!("copied {name} from {}", source.name())),
                    Err(e) => failed.push(format!("{e:#}")),
                }
            }
        }
    }
    // S3: uploaded while it was written; else now, from the file. An S3 failure keeps the local
    // copies and says so (RKE1 lost both)
    if let Some(s3) = s3 {
        match delivered.iter().find(|d| d.to == job::S3_SINK) {
            Some(job::Delivery { error: None, .. }) => ui.step(source.name(), &format!("uploaded {name} to S3 while writing it")),
            other => {
                if let Some(job::Delivery { error: Some(e), .. }) = other {
                    ui.warn(&format!("host {}: the upload to S3 while writing failed ({e}); uploading the file now", source.name()));
                }
                if let Err(e) = s3.upload(source, image.tag(), &manifest).await {
                    failed.push(format!("uploading to S3 failed: {e:#}"));
                }
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "snapshot {name} was taken on {} ({} bytes, sha256 {}) and is kept there, but not every copy was made and verified:\n{}",
            source.name(),
            manifest.size,
            manifest.sha256,
            failed.join("\n")
        );
    }
    Ok(manifest)
}

/// How long a receiving agent waits for the saving one (which connects before it takes the
/// snapshot; a receiver it could not reach is stopped by the CLI as soon as the save returns).
const RECEIVER_WAITS: Duration = Duration::from_secs(60);

/// The port the etcd hosts' agents copy a snapshot on, host to host (`--copy-port`).
pub const DEFAULT_COPY_PORT: u16 = 2382;

/// The first etcd member that answers, knows a leader and sees the whole membership, checked live.
pub async fn healthy_member<'a>(hosts: &[&'a Host], creds: &Credentials) -> Result<&'a Host> {
    let mut why = Vec::new();
    for h in hosts {
        let check = async {
            let mut c = etcd::connect(h.session.clone(), internal(&h.node), CLIENT_PORT, creds, Duration::from_secs(5)).await?;
            let health = etcd::member_health(&mut c).await?;
            if health.members.len() < hosts.len() {
                return Err(anyhow!("sees {} members, cluster.yml has {} etcd hosts", health.members.len(), hosts.len()));
            }
            Ok(())
        };
        match tokio::time::timeout(Duration::from_secs(10), check).await {
            Ok(Ok(())) => return Ok(h),
            Ok(Err(e)) => why.push(format!("{}: {e:#}", h.name())),
            Err(_) => why.push(format!("{}: no answer within 10s", h.name())),
        }
    }
    bail!("no healthy etcd member to take the snapshot from:\n{}", why.join("\n"))
}
