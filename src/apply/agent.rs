//! Running the agent on a host: the helper image is made present (loaded from the archive stockade
//! builds from itself, or the `system_images.stockade_agent` slot), a container is created (host
//! network, only the binds the job needs, a fixed name so a leftover from an interrupted run is
//! removed first), the job file is copied in before it starts (never in Cmd/Env/Labels), and the
//! agent's result line is read from its output. The container is always removed; a failure carries
//! its last log lines. Every wait is bounded by the caller's deadline.
use super::containers::indent_logs;
use crate::agent::image::{self, AgentImage};
use crate::snapshot::job::{self, Job, JobResult};
use crate::transport::docker::{is_not_found, tail_logs};
use crate::transport::Host;
use anyhow::{anyhow, bail, Context, Result};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, DownloadFromContainerOptions, LogsOptions, RemoveContainerOptions, UploadToContainerOptions,
    WaitContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use std::time::Duration;

/// Label on every agent container (no value worth hiding: the job kind).
pub const AGENT_LABEL_VALUE: &str = "agent";

/// Where the helper image comes from for this run.
pub enum AgentSource {
    /// built from this executable, loaded on hosts that lack it
    Built(AgentImage),
    /// `system_images.stockade_agent`: pulled/loaded like any image
    Configured(String),
}

impl AgentSource {
    pub fn tag(&self) -> &str {
        match self {
            AgentSource::Built(i) => &i.tag,
            AgentSource::Configured(t) => t,
        }
    }

    /// The image for these hosts: the configured one when set, else built from this executable when
    /// every host runs it, else a clear error naming the hosts and the slot.
    pub fn choose<'a>(configured: Option<&str>, hosts: impl Iterator<Item = &'a Host>) -> Result<AgentSource> {
        if let Some(c) = configured.filter(|c| !c.trim().is_empty()) {
            return Ok(AgentSource::Configured(c.to_string()));
        }
        let platforms: Vec<(&str, &str, &str)> = hosts.map(|h| (h.name(), h.os_type.as_str(), h.arch.as_str())).collect();
        refuse_foreign_platforms(&platforms)?;
        Ok(AgentSource::Built(image::build()?))
    }
}

/// Without `system_images.stockade_agent`, every host must run this executable's platform.
pub fn refuse_foreign_platforms(hosts: &[(&str, &str, &str)]) -> Result<()> {
    let foreign: Vec<String> = hosts.iter().filter(|(_, os, arch)| !image::runs_here(os, arch)).map(|(h, os, arch)| format!("{h} ({os}/{arch})")).collect();
    if !foreign.is_empty() {
        bail!(
            "hosts {} do not run this stockade executable ({}/{}): set system_images.stockade_agent in cluster.yml to a stockade agent image built for them. Nothing was changed",
            foreign.join(", "),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_of_another_platform_needs_the_system_images_slot() {
        let ours = std::env::consts::ARCH;
        assert!(refuse_foreign_platforms(&[("h1", "linux", ours), ("h2", "linux", image::go_arch(ours))]).is_ok());
        let e = refuse_foreign_platforms(&[("h1", "linux", ours), ("h2", "linux", "s390x-not-ours")]).unwrap_err().to_string();
        assert!(e.contains("h2 (linux/s390x-not-ours)") && e.contains("system_images.stockade_agent") && !e.contains("h1"), "{e}");
    }

    #[test]
    fn jobs_bind_only_what_they_need() {
        let prefix = |p: &str| format!("/pfx{p}");
        let save = binds_for(&Job::Save(crate::snapshot::job::SaveJob {
            name: "s".into(), cluster: "c".into(), address: "127.0.0.1".into(), port: 2379, ca_file: String::new(), cert_file: String::new(),
            key_file: String::new(), state: None, stall_timeout_secs: 5, encrypt: None, copy: None, s3: None,
        }), &prefix);
        assert_eq!(save, vec!["/opt/rke/etcd-snapshots:/opt/rke/etcd-snapshots", "/pfx/etc/kubernetes:/etc/kubernetes:ro"]);
        assert!(binds_for(&Job::Inspect { names: None, deep: false, decrypt: None }, &prefix).iter().all(|b| b.ends_with(":ro")));
        assert!(binds_for(&Job::SwapData, &prefix).contains(&"/pfx/var/lib/etcd:/var/lib/rancher/etcd".to_string()));
    }
}

/// Makes the agent image present on the host: already there, loaded from the built archive, or
/// pulled (configured image).
pub async fn ensure_image(h: &Host, source: &AgentSource, registries: &[crate::config::schema::PrivateRegistry], timeout: std::time::Duration) -> Result<bool> {
    let tag = source.tag();
    if h.docker.inspect_image(tag).await.is_ok() {
        return Ok(false);
    }
    match source {
        AgentSource::Built(img) => {
            super::images::load_tar(h, &img.archive, timeout).await.with_context(|| format!("host {}: loading the helper image {tag}", h.name()))?;
            if h.docker.inspect_image(tag).await.is_err() {
                bail!("host {}: the helper image {tag} is not there after loading it", h.name());
            }
            remove_older_agent_images(h, tag).await;
            Ok(true)
        }
        AgentSource::Configured(_) => {
            super::images::pull(h, tag, registries, timeout).await.with_context(|| format!("host {}: system_images.stockade_agent", h.name()))?;
            Ok(true)
        }
    }
}

/// Every stockade version loads its own helper image: the ones of earlier versions go, unless a
/// container still uses them (Docker refuses then; nothing is forced).
async fn remove_older_agent_images(h: &Host, keep: &str) {
    let filters = [("reference".to_string(), vec![format!("{}:*", image::REPOSITORY)])].into();
    let Ok(images) = h.docker.list_images(Some(bollard::query_parameters::ListImagesOptions { filters: Some(filters), ..Default::default() })).await else { return };
    for tag in images.iter().flat_map(|i| i.repo_tags.iter()).filter(|t| t.as_str() != keep && t.starts_with(&format!("{}:", image::REPOSITORY))) {
        match h.docker.remove_image(tag, None::<bollard::query_parameters::RemoveImageOptions>, None).await {
            Ok(_) => tracing::debug!(host = h.name(), image = %tag, "removed an older helper image"),
            Err(e) => tracing::debug!(host = h.name(), image = %tag, "older helper image kept: {e}"),
        }
    }
}

/// One agent container on one host, created with its job inside, not yet started.
pub struct AgentRun<'a> {
    pub host: &'a Host,
    pub name: String,
}

/// The binds a job needs. `/opt/rke` is not under `prefix_path` (RKE1); the certificate and etcd
/// data directories are.
pub fn binds_for(job: &Job, prefix: &dyn Fn(&str) -> String) -> Vec<String> {
    let snapshots = format!("{0}:{0}", crate::snapshot::naming::SNAPSHOT_DIR);
    let restore = format!("{0}:{0}", job::RESTORE_DIR);
    let data = format!("{}:{}", prefix("/var/lib/etcd"), job::ETCD_DATA);
    match job {
        Job::Save(_) | Job::Recurring(_) | Job::Receive(_) => vec![snapshots, format!("{}:/etc/kubernetes:ro", prefix("/etc/kubernetes"))],
        Job::Inspect { .. } | Job::ReadState { .. } => vec![format!("{}:ro", snapshots)],
        Job::Adopt { .. } | Job::Delete { .. } | Job::Download { .. } => vec![snapshots],
        Job::Upload { .. } => vec![format!("{}:ro", snapshots)],
        Job::Extract { .. } => vec![format!("{}:ro", snapshots), restore, data],
        Job::Prepare { .. } => vec![format!("{}:ro", snapshots), restore],
        Job::SwapData | Job::Cleanup => vec![restore, data],
    }
}

impl<'a> AgentRun<'a> {
    pub async fn create(host: &'a Host, image: &str, job: &Job, binds: Vec<String>) -> Result<AgentRun<'a>> {
        let name = format!("stockade-agent-{}", job.kind());
        remove(&host.docker, &name).await;
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            cmd: Some(vec!["agent".into(), "run".into(), "--job".into(), job::JOB_FILE.into()]),
            labels: Some([(crate::plan::container::MANAGED_LABEL.to_string(), AGENT_LABEL_VALUE.to_string())].into()),
            host_config: Some(HostConfig { binds: Some(binds), network_mode: Some("host".into()), ..Default::default() }),
            ..Default::default()
        };
        host.docker
            .create_container(Some(CreateContainerOptions { name: Some(name.clone()), ..Default::default() }), body)
            .await
            .map_err(|e| anyhow!("host {}: creating the agent container from {image}: {e}", host.name()))?;
        let run = AgentRun { host, name };
        let text = serde_json::to_vec(job)?;
        let tar = tar_of(&[("job.json", &text, 0o600)])?;
        if let Err(e) = host.docker.upload_to_container(&run.name, Some(UploadToContainerOptions { path: job::JOB_DIR.into(), ..Default::default() }), bollard::body_full(tar.into())).await {
            run.remove().await;
            bail!("host {}: copying the job into the agent container: {e}", host.name());
        }
        Ok(run)
    }

    /// Starts the agent and waits (at most `deadline`) for it to exit; its result, or an error with
    /// its last log lines.
    pub async fn run(&self, deadline: Duration) -> Result<JobResult> {
        let d = &self.host.docker;
        let what = format!("host {}: agent {}", self.host.name(), self.name);
        d.start_container(&self.name, None).await.map_err(|e| anyhow!("{what}: starting: {e}"))?;
        let wait = async {
            let mut w = d.wait_container(&self.name, None::<WaitContainerOptions>);
            match w.next().await {
                Some(Ok(r)) => Ok(r.status_code),
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
                Some(Err(e)) => Err(anyhow!("{what}: waiting: {e}")),
                None => Err(anyhow!("{what}: the container vanished")),
            }
        };
        let code = match tokio::time::timeout(deadline, wait).await {
            Ok(c) => c?,
            Err(_) => {
                let logs = tail_logs(d, &self.name, 20).await;
                bail!("{what}: did not finish within {}s (services.etcd.backup_config.timeout){}", deadline.as_secs(), indent_logs(&logs));
            }
        };
        let out = stdout_of(d, &self.name).await;
        if code != 0 {
            let logs = tail_logs(d, &self.name, 20).await;
            bail!("{what}: failed (exit {code}){}", indent_logs(&logs));
        }
        match job::parse_result(&out) {
            Some(r) => r.with_context(|| what.clone()),
            None => bail!("{what}: exited without a result{}", indent_logs(&tail_logs(d, &self.name, 20).await)),
        }
    }

    /// A file from the container's filesystem (after it ran), via Docker's archive API.
    pub async fn download_file(&self, path: &str) -> Result<Vec<u8>> {
        let mut s = self.host.docker.download_from_container(&self.name, Some(DownloadFromContainerOptions { path: path.into() }));
        let mut tar_bytes = Vec::new();
        while let Some(chunk) = s.next().await {
            tar_bytes.extend_from_slice(&chunk.map_err(|e| anyhow!("host {}: reading {path} from the agent container: {e}", self.host.name()))?);
        }
        let mut t = tar::Archive::new(&tar_bytes[..]);
        let mut e = t.entries()?.next().ok_or_else(|| anyhow!("host {}: {path} came back empty", self.host.name()))??;
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut buf)?;
        Ok(buf)
    }

    pub async fn remove(self) {
        remove(&self.host.docker, &self.name).await;
    }

    /// Stops and removes the container now (a `run` waiting on it returns an error).
    pub async fn cancel(&self) {
        remove(&self.host.docker, &self.name).await;
    }
}

/// Runs one job to completion on one host; the container is removed whatever happened.
pub async fn run_job(h: &Host, image: &str, job: &Job, binds: Vec<String>, deadline: Duration) -> Result<JobResult> {
    let run = AgentRun::create(h, image, job, binds).await?;
    let r = run.run(deadline).await;
    run.remove().await;
    r
}

async fn remove(d: &Docker, name: &str) {
    match d.remove_container(name, Some(RemoveContainerOptions { force: true, ..Default::default() })).await {
        Ok(()) => {}
        Err(e) if is_not_found(&e) => {}
        Err(e) => tracing::warn!("removing container {name}: {e}"),
    }
}

/// The container's whole stdout (the result line is the last one the agent prints).
async fn stdout_of(d: &Docker, name: &str) -> String {
    let mut out = String::new();
    let mut logs = d.logs(name, Some(LogsOptions { stdout: true, stderr: false, tail: "50".into(), ..Default::default() }));
    while let Some(Ok(chunk)) = logs.next().await {
        out.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    out
}

fn tar_of(files: &[(&str, &[u8], u32)]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_mtime(0);
        h.set_entry_type(if path.ends_with('/') { tar::EntryType::Directory } else { tar::EntryType::Regular });
        b.append_data(&mut h, path, *data)?;
    }
    Ok(b.into_inner()?)
}

/// Copies snapshot `name` (archive + manifest) from `from` to `to`, host to host through the two SSH
/// connections (streamed, nothing stored on the laptop), into `to`'s `.incoming/`, then lets the
/// agent on `to` check size and sha256 against `manifest` before it is put in place.
pub async fn copy_snapshot(from: &Host, to: &Host, image: &str, manifest: &crate::snapshot::manifest::Manifest, deadline: Duration) -> Result<()> {
    use crate::snapshot::naming;
    let name = &manifest.name;
    let snapshots = naming::SNAPSHOT_DIR;
    // a created, never started container on the source: Docker reads the bind through it
    let reader_job = Job::Inspect { names: Some(vec![name.clone()]), deep: false, decrypt: None };
    let source = AgentRun::create(from, image, &reader_job, vec![format!("{snapshots}:{snapshots}:ro")]).await?;
    let adopt = Job::Adopt { name: name.clone(), size: manifest.size, sha256: manifest.sha256.clone() };
    let target = match AgentRun::create(to, image, &adopt, binds_for(&adopt, &|p| p.to_string())).await {
        Ok(t) => t,
        Err(e) => {
            source.remove().await;
            return Err(e);
        }
    };
    let result = async {
        let incoming = format!("{snapshots}/{}", job::INCOMING);
        let m = manifest.to_json();
        let head = tar_of(&[(&format!("{}/", job::INCOMING), &[], 0o700), (&format!("{}/{}", job::INCOMING, naming::manifest_file(name)), m.as_bytes(), 0o600)])?;
        to.docker
            .upload_to_container(&target.name, Some(UploadToContainerOptions { path: snapshots.into(), ..Default::default() }), bollard::body_full(head.into()))
            .await
            .map_err(|e| anyhow!("host {}: preparing {incoming}: {e}", to.name()))?;
        let failed = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
        let f2 = failed.clone();
        let stream = from
            .docker
            .download_from_container(&source.name, Some(DownloadFromContainerOptions { path: naming::archive_path(name) }))
            .take_while(move |c| {
                let ok = match c {
                    Ok(_) => true,
                    Err(e) => {
                        *f2.lock().unwrap() = Some(e.to_string());
                        false
                    }
                };
                std::future::ready(ok)
            })
            .filter_map(|c| std::future::ready(c.ok()));
        let upload = to.docker.upload_to_container(&target.name, Some(UploadToContainerOptions { path: incoming.clone(), ..Default::default() }), bollard::body_stream(stream));
        tokio::time::timeout(deadline, upload)
            .await
            .map_err(|_| anyhow!("copying {name} from {} to {} did not finish within {}s", from.name(), to.name(), deadline.as_secs()))?
            .map_err(|e| anyhow!("host {}: receiving {name}: {e}", to.name()))?;
        if let Some(e) = failed.lock().unwrap().take() {
            bail!("host {}: reading {name}: {e}", from.name());
        }
        target.run(deadline).await.map(|_| ())
    }
    .await;
    source.remove().await;
    target.remove().await;
    result.with_context(|| format!("copying snapshot {name} from {} to {}", from.name(), to.name()))
}
