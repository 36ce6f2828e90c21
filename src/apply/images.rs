//! Making sure every image a host needs is there before any container is created: already
//! present, loaded from the operator's image archive (`--image-archive`, `docker save`
//! format; streamed over the SSH connection, only to hosts that lack an image in it), or
//! pulled with the matching `private_registries` credentials.
use super::{Ctx, Phase};
use crate::config::schema::PrivateRegistry;
use crate::transport::Host;
use anyhow::{anyhow, Context, Result};
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{CreateImageOptions, ImportImageOptions};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// A pull or load that shows no progress for this long has stalled.
pub const STALL: Duration = Duration::from_secs(120);
/// At most this many archive uploads leave the laptop at once: its uplink is shared by all of
/// them, and 50 parallel multi-GiB uploads would each crawl towards their deadline.
pub const PARALLEL_UPLOADS: usize = 4;

/// A `docker save` archive on the laptop and the image references it holds.
#[derive(Debug, Clone)]
pub struct ImageArchive {
    pub path: PathBuf,
    pub images: BTreeSet<String>,
    uploads: Arc<Semaphore>,
}

impl ImageArchive {
    /// Reads the archive's `manifest.json` (checked before any host is contacted). A missing or
    /// malformed archive is bad input (exit code 2).
    pub fn open(path: &Path) -> Result<ImageArchive> {
        Self::read(path).map_err(crate::exit::as_invalid)
    }

    fn read(path: &Path) -> Result<ImageArchive> {
        let file = std::fs::File::open(path).map_err(|e| anyhow!("--image-archive {}: {e}", path.display()))?;
        let mut tar = tar::Archive::new(file);
        for entry in tar.entries().with_context(|| format!("--image-archive {} is not a tar file", path.display()))? {
            let mut entry = entry?;
            if entry.path()?.as_os_str() != "manifest.json" {
                continue;
            }
            let manifest: serde_json::Value = serde_json::from_reader(&mut entry)
                .map_err(|e| anyhow!("--image-archive {}: manifest.json is not JSON: {e}", path.display()))?;
            let images: BTreeSet<String> = manifest
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|m| m["RepoTags"].as_array().cloned().unwrap_or_default())
                .filter_map(|t| t.as_str().map(normalize))
                .collect();
            return Ok(ImageArchive { path: path.to_path_buf(), images, uploads: Arc::new(Semaphore::new(PARALLEL_UPLOADS)) });
        }
        Err(anyhow!("--image-archive {} has no manifest.json: create it with `docker save -o FILE IMAGE...`", path.display()))
    }
}

/// `rancher/rke-tools:v1` and `docker.io/rancher/rke-tools:v1` name the same image.
pub fn normalize(image: &str) -> String {
    let mut s = image.trim().to_string();
    for p in ["docker.io/", "index.docker.io/"] {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest.to_string();
        }
    }
    if let Some(rest) = s.strip_prefix("library/") {
        s = rest.to_string();
    }
    let last = s.rsplit('/').next().unwrap_or_default();
    if !last.contains(':') && !s.contains('@') {
        s.push_str(":latest");
    }
    s
}

/// The registry an image reference points at (`docker.io` when it names none).
fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => first,
        _ => "docker.io",
    }
}

fn credentials(image: &str, registries: &[PrivateRegistry]) -> Option<DockerCredentials> {
    let reg = registry_of(image);
    let r = registries.iter().find(|r| r.url.trim_end_matches('/') == reg)?;
    Some(DockerCredentials {
        username: r.user.clone(),
        password: r.password.as_ref().map(|p| p.expose().to_string()),
        serveraddress: Some(r.url.clone()),
        ..Default::default()
    })
}

pub struct EnsureImages;

impl Phase for EnsureImages {
    fn title(&self) -> &'static str {
        "Images"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(ctx.on_each_host(move |h| async move {
            let needed = ctx.host_plan(h.name()).map(|p| p.images.clone()).unwrap_or_default();
            ensure_host(ctx, h, &needed).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))
        }))
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for h in &ctx.hosts.hosts {
                let needed = ctx.host_plan(h.name()).map(|p| p.images.clone()).unwrap_or_default();
                for image in missing(h, &needed).await {
                    let how = match ctx.archive {
                        Some(a) if a.images.contains(&normalize(&image)) => format!("load {image} from {}", a.path.display()),
                        _ => format!("pull {image}"),
                    };
                    out.push(super::Planned::Image { host: h.name().to_string(), how });
                }
            }
            Ok(out)
        })
    }
}

pub async fn missing(h: &Host, images: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for i in images {
        if h.docker.inspect_image(i).await.is_err() {
            out.push(i.clone());
        }
    }
    out
}

pub async fn ensure_host(ctx: &Ctx<'_>, h: &Host, images: &[String]) -> Result<()> {
    let mut need = missing(h, images).await;
    if need.is_empty() {
        return Ok(());
    }
    if let Some(archive) = ctx.archive
        && need.iter().any(|i| archive.images.contains(&normalize(i)))
    {
        let _slot = archive.uploads.acquire().await?;
        ctx.ui.status(&format!("{}: loading {}", h.name(), archive.path.display()));
        load_archive(h, archive, ctx.timeouts.image).await?;
        ctx.changed(h.name(), format!("loaded images from {}", archive.path.display()));
        need = missing(h, &need).await;
    }
    for image in need {
        ctx.ui.status(&format!("{}: pulling {image}", h.name()));
        pull(h, &image, &ctx.config.private_registries, ctx.timeouts.image).await?;
        ctx.changed(h.name(), format!("pulled {image}"));
    }
    Ok(())
}

/// When a long transfer last moved.
#[derive(Clone)]
struct Progress(Arc<Mutex<Instant>>);

impl Progress {
    fn new() -> Self {
        Progress(Arc::new(Mutex::new(Instant::now())))
    }
    fn touch(&self) {
        *self.0.lock().unwrap() = Instant::now();
    }
    fn idle(&self) -> Duration {
        self.0.lock().unwrap().elapsed()
    }
}

/// Runs `work` until it ends, `total` passes, or `stall` passes without progress: a stalled
/// registry or upload fails with what happened and which flag to raise, never hangs.
async fn watched<T>(what: &str, total: Duration, stall: Duration, progress: &Progress, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let watchdog = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1).min(stall)).await;
            if progress.idle() >= stall {
                return anyhow!("{what}: no progress for {}s (the registry or the connection stalled)", stall.as_secs());
            }
        }
    };
    tokio::select! {
        r = tokio::time::timeout(total, work) => r.map_err(|_| anyhow!("{what}: not finished within {}s; raise --image-timeout for slow links", total.as_secs()))?,
        e = watchdog => Err(e),
    }
}

async fn load_archive(h: &Host, archive: &ImageArchive, total: Duration) -> Result<()> {
    load_tar(h, &archive.path, total).await
}

/// Streams a `docker load` archive from the laptop to the host's Docker over the SSH connection,
/// within `total` and the stall watchdog.
pub async fn load_tar(h: &Host, path: &Path, total: Duration) -> Result<()> {
    let what = format!("loading {}", path.display());
    let progress = Progress::new();
    let file = tokio::fs::File::open(path).await?;
    let sent = progress.clone();
    let body = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).inspect(move |_| sent.touch());
    // the Docker client's own deadline (--command-timeout) would cut a long upload: this
    // request is bounded by --image-timeout and the stall watchdog instead
    let docker = h.docker.clone().with_timeout(total + Duration::from_secs(5));
    let work = async {
        let mut answer = docker.import_image_stream(ImportImageOptions { quiet: true, ..Default::default() }, body, None);
        while let Some(msg) = answer.next().await {
            progress.touch();
            let msg = msg.map_err(|e| anyhow!("{what} failed: {e}"))?;
            if let Some(err) = msg.error_detail.and_then(|d| d.message) {
                return Err(anyhow!("{what} failed: {err}"));
            }
        }
        Ok(())
    };
    watched(&what, total, STALL, &progress, work).await
}

/// Pulls `image` with the matching `private_registries` credentials, within `total` and the
/// stall watchdog.
pub async fn pull(h: &Host, image: &str, registries: &[PrivateRegistry], total: Duration) -> Result<()> {
    let what = format!("pulling {image}");
    let progress = Progress::new();
    let docker = h.docker.clone().with_timeout(total + Duration::from_secs(5));
    let work = async {
        let opts = CreateImageOptions { from_image: Some(image.to_string()), ..Default::default() };
        let mut answer = docker.create_image(Some(opts), None, credentials(image, registries));
        while let Some(msg) = answer.next().await {
            progress.touch();
            if let Err(e) = msg {
                return Err(anyhow!(
                    "image {image} is not on the host and pulling it failed ({e}); for hosts without registry access, pass --image-archive FILE (made with `docker save`)"
                ));
            }
        }
        Ok(())
    };
    watched(&what, total, STALL, &progress, work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stalled_transfer_fails_and_a_moving_one_gets_its_total() {
        // no progress at all: the watchdog ends it after the stall limit, not the total
        let p = Progress::new();
        let started = Instant::now();
        let e = watched("pulling x", Duration::from_secs(3600), Duration::from_secs(1), &p, std::future::pending::<Result<()>>()).await.unwrap_err();
        assert!(e.to_string().contains("no progress for 1s"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(30));
        // steady progress: only the total deadline ends it, naming the flag
        let p = Progress::new();
        let mover = p.clone();
        let work = async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                mover.touch();
            }
        };
        let e = watched::<()>("loading a.tar", Duration::from_secs(3), Duration::from_secs(1), &p, work).await.unwrap_err();
        assert!(e.to_string().contains("--image-timeout"), "{e}");
        // finished work is returned
        assert_eq!(watched("x", Duration::from_secs(5), Duration::from_secs(5), &Progress::new(), async { Ok(7) }).await.unwrap(), 7);
    }

    #[test]
    fn names_normalize() {
        assert_eq!(normalize("docker.io/library/busybox"), "busybox:latest");
        assert_eq!(normalize("reg:5000/a/b"), "reg:5000/a/b:latest");
        assert_eq!(registry_of("reg.example/a/b:1"), "reg.example");
        assert_eq!(registry_of("rancher/rke-tools:v1"), "docker.io");
    }
}
