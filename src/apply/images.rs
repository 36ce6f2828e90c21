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

/// A `docker save` archive on the laptop and the image references it holds.
#[derive(Debug, Clone)]
pub struct ImageArchive {
    pub path: PathBuf,
    pub images: BTreeSet<String>,
}

impl ImageArchive {
    /// Reads the archive's `manifest.json` (checked before any host is contacted).
    pub fn open(path: &Path) -> Result<ImageArchive> {
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
            return Ok(ImageArchive { path: path.to_path_buf(), images });
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
        ctx.ui.status(&format!("{}: loading {}", h.name(), archive.path.display()));
        load_archive(h, archive).await?;
        ctx.changed(h.name(), format!("loaded images from {}", archive.path.display()));
        need = missing(h, &need).await;
    }
    for image in need {
        ctx.ui.status(&format!("{}: pulling {image}", h.name()));
        pull(h, &image, &ctx.config.private_registries).await?;
        ctx.changed(h.name(), format!("pulled {image}"));
    }
    Ok(())
}

async fn load_archive(h: &Host, archive: &ImageArchive) -> Result<()> {
    load_tar(h, &archive.path).await
}

/// Streams a `docker load` archive from the laptop to the host's Docker over the SSH connection.
pub async fn load_tar(h: &Host, path: &Path) -> Result<()> {
    let file = tokio::fs::File::open(path).await?;
    let body = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024);
    let mut progress = h.docker.import_image_stream(ImportImageOptions { quiet: true, ..Default::default() }, body, None);
    while let Some(msg) = progress.next().await {
        let msg = msg.map_err(|e| anyhow!("loading {} failed: {e}", path.display()))?;
        if let Some(err) = msg.error_detail.and_then(|d| d.message) {
            return Err(anyhow!("loading {} failed: {err}", path.display()));
        }
    }
    Ok(())
}

async fn pull(h: &Host, image: &str, registries: &[PrivateRegistry]) -> Result<()> {
    let opts = CreateImageOptions { from_image: Some(image.to_string()), ..Default::default() };
    let mut progress = h.docker.create_image(Some(opts), None, credentials(image, registries));
    while let Some(msg) = progress.next().await {
        if let Err(e) = msg {
            return Err(anyhow!(
                "image {image} is not on the host and pulling it failed ({e}); for hosts without registry access, pass --image-archive FILE (made with `docker save`)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn names_normalize() {
        assert_eq!(normalize("docker.io/library/busybox"), "busybox:latest");
        assert_eq!(normalize("reg:5000/a/b"), "reg:5000/a/b:latest");
        assert_eq!(registry_of("reg.example/a/b:1"), "reg.example");
        assert_eq!(registry_of("rancher/rke-tools:v1"), "docker.io");
    }
}
