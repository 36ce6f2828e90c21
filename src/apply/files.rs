//! Writing the planned files (certificates, kubeconfigs) to each host: the current files are
//! read through a helper container's bind mounts, and only files whose content or mode
//! differs are uploaded (a tar through Docker's archive API), so a re-run writes nothing.
use super::{Ctx, Phase};
use crate::plan::FileSpec;
use crate::transport::docker::{is_not_found, Helper};
use crate::transport::Host;
use anyhow::{anyhow, Result};
use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

pub struct DeployFiles;

impl Phase for DeployFiles {
    fn title(&self) -> &'static str {
        "Certificates and files"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(ctx.on_each_host(move |h| async move {
            let files = ctx.host_plan(h.name()).map(|p| p.files.as_slice()).unwrap_or_default();
            sync_files(ctx, h, files).await.map_err(|e| anyhow!("host {}: writing files: {e:#}", h.name()))
        }))
    }
}

/// Where host directory number `i` is mounted inside the helper.
fn mount_point(i: usize) -> String {
    format!("/stockade/{i}")
}

async fn sync_files(ctx: &Ctx<'_>, h: &Host, files: &[FileSpec]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let dirs: Vec<String> = files.iter().map(|f| f.dir.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let binds = dirs.iter().enumerate().map(|(i, d)| format!("{d}:{}", mount_point(i))).collect();
    let helper = Helper::create(&h.docker, &ctx.plan.helper_image, binds, vec!["true".into()]).await?;
    let result = sync_with_helper(ctx, h, &helper, &dirs, files).await;
    helper.remove().await;
    result
}

async fn sync_with_helper(ctx: &Ctx<'_>, h: &Host, helper: &Helper<'_>, dirs: &[String], files: &[FileSpec]) -> Result<()> {
    for (i, dir) in dirs.iter().enumerate() {
        let in_dir: Vec<&FileSpec> = files.iter().filter(|f| &f.dir == dir).collect();
        let mut parents: BTreeSet<&str> = in_dir.iter().map(|f| f.name.rsplit_once('/').map_or("", |p| p.0)).collect();
        // reading the directory itself covers every sub-directory: one round trip
        if parents.contains("") {
            parents = BTreeSet::from([""]);
        }
        let mut current = BTreeMap::new();
        for p in parents {
            current.extend(read_tree(helper, &mount_point(i), p).await?);
        }
        let changed: Vec<&FileSpec> = in_dir
            .into_iter()
            .filter(|f| current.get(&f.name).is_none_or(|(content, mode)| content != &f.content || *mode != f.mode))
            .collect();
        if changed.is_empty() {
            continue;
        }
        let tar = build_tar(&changed)?;
        let opts = UploadToContainerOptions { path: mount_point(i), ..Default::default() };
        h.docker
            .upload_to_container(&helper.id, Some(opts), bollard::body_full(bytes::Bytes::from(tar)))
            .await?;
        let names: Vec<&str> = changed.iter().map(|f| f.name.as_str()).collect();
        let what = if names.len() <= 4 { names.join(", ") } else { format!("{} files", names.len()) };
        ctx.changed(h.name(), format!("wrote {what} under {dir}"));
    }
    Ok(())
}

/// The files under `<mount>/<sub>` as `sub/name -> (content, mode)`; empty when absent.
async fn read_tree(helper: &Helper<'_>, mount: &str, sub: &str) -> Result<BTreeMap<String, (Vec<u8>, u32)>> {
    let path = if sub.is_empty() { mount.to_string() } else { format!("{mount}/{sub}") };
    let mut stream = helper.docker.download_from_container(&helper.id, Some(DownloadFromContainerOptions { path }));
    let mut raw = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) => raw.extend_from_slice(&b),
            Err(e) if is_not_found(&e) => return Ok(BTreeMap::new()),
            Err(e) => return Err(e.into()),
        }
    }
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(raw.as_slice());
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        // the archive is rooted at the downloaded directory's own name ("ssl/kube-ca.pem")
        let name = entry.path()?.to_string_lossy().into_owned();
        let Some((_, rest)) = name.split_once('/') else { continue };
        let rel = if sub.is_empty() { rest.to_string() } else { format!("{sub}/{rest}") };
        let mode = entry.header().mode()? & 0o7777;
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        out.insert(rel, (content, mode));
    }
    Ok(out)
}

fn build_tar(files: &[&FileSpec]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dirs = BTreeSet::new();
    for f in files {
        let mut acc = String::new();
        for part in f.name.split('/').rev().skip(1).collect::<Vec<_>>().into_iter().rev() {
            acc = if acc.is_empty() { part.to_string() } else { format!("{acc}/{part}") };
            if dirs.insert(acc.clone()) {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                h.set_mtime(now());
                b.append_data(&mut h, format!("{acc}/"), std::io::empty())?;
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_mode(f.mode);
        h.set_size(f.content.len() as u64);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(now());
        b.append_data(&mut h, &f.name, f.content.as_slice())?;
    }
    Ok(b.into_inner()?)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
