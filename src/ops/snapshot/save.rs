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
use crate::snapshot::job::{Job, JobResult, SaveJob};
use crate::snapshot::manifest::{Checksum, Manifest};
use crate::snapshot::naming;
use crate::transport::Host;
use crate::ui::Ui;
use anyhow::{anyhow, bail, Result};
use std::time::Duration;

/// Takes the snapshot, copies and verifies it on every etcd host, then uploads it to S3 when the
/// flags or cluster.yml ask for it (settings checked before any host is contacted).
pub async fn run(opts: &SnapshotOptions, name: Option<&str>, s3_flags: &super::s3::S3Flags, crypt: &super::crypt::EncryptFlags, ui: &Ui) -> Result<Manifest> {
    let name = match name {
        Some(n) => naming::normalize(n)?,
        None => naming::default_name(time::OffsetDateTime::now_utc()),
    };
    let cfg = crate::config::load(&opts.config_path)?.config;
    let s3 = super::s3::settings(&cfg, s3_flags, &|k| std::env::var(k).ok())?.map(|settings| super::s3::AgentS3 { settings, deadline: super::deadline(&cfg) });
    let encrypt = super::crypt::encryption(crypt, &|k| std::env::var(k).ok())?;
    let s = Session::open(opts, "etcd snapshot-save", false, ui).await?;
    let r = save_in(&s, &name, s3.as_ref().map(|a| a as &dyn S3Seam), encrypt, ui).await;
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

async fn save_in(s: &Session, name: &str, s3: Option<&dyn S3Seam>, encrypt: Option<Encrypt>, ui: &Ui) -> Result<Manifest> {
    let creds = Credentials::from_bundle(&s.state.certificates())?;
    let etcd_hosts = s.etcd_hosts();
    ui.phase("Snapshot");
    let image = s.agent_image(ui).await?;
    // the name must be free everywhere before anything is written
    let found = s.on_etcd_hosts(image.tag(), &Job::Inspect { names: Some(vec![name.to_string()]), deep: false, decrypt: None }).await?;
    for (h, r) in etcd_hosts.iter().zip(found) {
        if !inspected(r)?.0.is_empty() {
            bail!("host {}: a snapshot named {name} already exists: choose another --name, or delete it first (`stockade etcd snapshot delete {name}`). Nothing was changed", h.name());
        }
    }
    let source = healthy_member(&etcd_hosts, &creds).await?;
    ui.step(source.name(), "healthy etcd member: taking the snapshot here");
    let state = std::fs::read_to_string(&s.state_path).map_err(|e| anyhow!("reading {}: {e}", s.state_path.display()))?;
    let job = Job::Save(SaveJob {
        name: name.to_string(),
        cluster: s.config().cluster_name.clone().unwrap_or_else(|| "local".into()),
        address: internal(&source.node).to_string(),
        port: CLIENT_PORT,
        ca_file: format!("/etc/kubernetes/ssl/{}.pem", crate::pki::names::CA),
        cert_file: format!("/etc/kubernetes/ssl/{}.pem", crate::pki::names::NODE),
        key_file: format!("/etc/kubernetes/ssl/{}-key.pem", crate::pki::names::NODE),
        state: Some(state),
        stall_timeout_secs: 30.min(s.deadline.as_secs()).max(5),
        encrypt,
    });
    let manifest = match s.on_host(source, image.tag(), &job).await? {
        JobResult::Saved { manifest } => manifest,
        other => bail!("host {}: the agent answered {other:?} to the save job", source.name()),
    };
    let encrypted = if manifest.encrypted { ", age-encrypted" } else { "" };
    ui.step(source.name(), &format!("wrote {} ({} bytes{encrypted}, sha256 {})", naming::archive_path(name), manifest.size, manifest.sha256));
    let mut failed = Vec::new();
    for to in etcd_hosts.iter().filter(|h| h.name() != source.name()) {
        ui.status(&format!("copying {name} to {}", to.name()));
        match crate::apply::agent::copy_snapshot(source, to, image.tag(), &manifest, s.deadline).await {
            Ok(()) => ui.step(to.name(), &format!("copied {name} from {}", source.name())),
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    // every copy as the hosts see it now: present, matching the manifest, etcd's hash intact
    let checks = s.on_etcd_hosts(image.tag(), &Job::Inspect { names: Some(vec![name.to_string()]), deep: true, decrypt: None }).await?;
    for (h, r) in etcd_hosts.iter().zip(checks) {
        let (copies, _) = inspected(r)?;
        match copies.first() {
            Some(c) if c.checksum == Checksum::Ok && c.problem.is_none() && c.sha256 == manifest.sha256 => {}
            Some(c) => failed.push(format!("host {}: the copy of {name} does not verify (checksum {}, {})", h.name(), c.checksum, c.problem.as_deref().unwrap_or("sha256 differs"))),
            None if failed.iter().any(|f| f.contains(h.name())) => {}
            None => failed.push(format!("host {}: {name} is missing", h.name())),
        }
    }
    // S3 after the local copies: an S3 failure keeps them and says so (RKE1 lost both)
    if let Some(s3) = s3
        && let Err(e) = s3.upload(source, image.tag(), &manifest).await
    {
        failed.push(format!("uploading to S3 failed: {e:#}"));
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
