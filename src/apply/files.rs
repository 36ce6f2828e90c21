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
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for h in &ctx.hosts.hosts {
                let files = ctx.host_plan(h.name()).map(|p| p.files.as_slice()).unwrap_or_default();
                let dirs: BTreeSet<&str> = files.iter().map(|f| f.dir.as_str()).collect();
                for dir in dirs {
                    let in_dir: Vec<&FileSpec> = files.iter().filter(|f| f.dir == dir).collect();
                    let (changed, _) = differing(ctx, h, dir, &in_dir).await?.unwrap_or((in_dir, Vec::new()));
                    let host = h.name().to_string();
                    // the planes' dry runs decide with what the run will have written
                    ctx.wrote_files_on(&host, changed.iter().map(|f| f.name.clone()));
                    out.extend(changed.iter().map(|f| super::Planned::WriteFile { host: host.clone(), path: f.path() }));
                }
            }
            Ok(out)
        })
    }
}

/// Where the host directory is mounted inside a helper container.
const HELPER_MOUNT: &str = "/stockade/dir";

/// A container already on the host that bind-mounts `dir`, and where: reading (and writing)
/// through it needs no helper container, and reading through it changes nothing.
async fn mounting_container(ctx: &Ctx<'_>, h: &Host, dir: &str) -> Option<(String, String)> {
    let plan = ctx.host_plan(h.name())?;
    for spec in plan.containers.iter().filter(|c| !c.create_only) {
        let Ok(c) = h.docker.inspect_container(&spec.name, None).await else { continue };
        if c.state.as_ref().and_then(|s| s.running) != Some(true) {
            continue;
        }
        for m in c.mounts.unwrap_or_default() {
            if m.source.as_deref() == Some(dir) && m.rw == Some(true) {
                return Some((spec.name.clone(), m.destination.unwrap_or_default()));
            }
        }
    }
    None
}

/// The planned files of one host directory whose content or mode differs on the host, and the
/// secret files to delete there ([`stale_secrets`]). `None` when nothing on the host mounts the
/// directory yet (then every file is new to it). The run decides with the same two functions.
pub async fn differing<'f>(ctx: &Ctx<'_>, h: &Host, dir: &str, files: &[&'f FileSpec]) -> Result<Option<(Vec<&'f FileSpec>, Vec<String>)>> {
    let Some((container, dest)) = mounting_container(ctx, h, dir).await else { return Ok(None) };
    let (current, changed) = read_current(&h.docker, &container, &dest, files).await?;
    Ok(Some((changed, stale_secrets(&current, files))))
}

/// What the host holds under the planned files' directories, and the planned files that differ.
async fn read_current<'f>(
    docker: &bollard::Docker,
    container: &str,
    mount: &str,
    files: &[&'f FileSpec],
) -> Result<(BTreeSet<String>, Vec<&'f FileSpec>)> {
    // files in sub-directories: each sub-directory read whole (stale keys are found there);
    // files at the directory's root: each read alone, never the whole directory (under
    // /var/lib/kubelet lie pods' volumes and secrets)
    let parents: BTreeSet<&str> = files.iter().filter_map(|f| f.name.rsplit_once('/').map(|p| p.0)).collect();
    let mut current = BTreeMap::new();
    for p in parents {
        current.extend(read_tree(docker, container, mount, p).await?);
    }
    for f in files.iter().filter(|f| !f.name.contains('/')) {
        if let Some(entry) = read_one(docker, container, mount, &f.name).await? {
            current.insert(f.name.clone(), entry);
        }
    }
    let differ = files
        .iter()
        .copied()
        .filter(|f| current.get(&f.name).is_none_or(|(content, mode, owner)| content != &f.content || *mode != f.mode || *owner != f.owner.unwrap_or((0, 0))))
        .collect();
    Ok((current.into_keys().collect(), differ))
}

/// Secret material stockade writes that the host's plan no longer has: private keys and the
/// encryption configuration under `ssl/` (a host that lost the controlplane role must not keep
/// the CA key, the service-account key or the encryption key). Public certificates and
/// kubeconfigs are left alone.
pub fn stale_secrets(on_host: &BTreeSet<String>, planned: &[&FileSpec]) -> Vec<String> {
    on_host
        .iter()
        .filter(|n| n.starts_with("ssl/") && !n[4..].contains('/') && (n.ends_with("-key.pem") || n.as_str() == "ssl/encryption.yaml"))
        .filter(|n| !planned.iter().any(|f| &f.name == *n))
        .cloned()
        .collect()
}

/// Files stockade wrote that the host's plan no longer has, as `(host directory, names)`: the
/// secrets of [`stale_secrets`], and the kubelet's registry credentials once `private_registries`
/// is gone — only a file carrying stockade's mark, read from the host (an operator's own
/// `config.json` stays). The run and the dry run decide with this one function.
pub async fn stale_files(ctx: &Ctx<'_>, h: &Host) -> Result<Vec<(String, Vec<String>)>> {
    let files = ctx.host_plan(h.name()).map(|p| p.files.as_slice()).unwrap_or_default();
    let mut out = Vec::new();
    let dirs: BTreeSet<&str> = files.iter().map(|f| f.dir.as_str()).collect();
    for dir in dirs {
        let in_dir: Vec<&FileSpec> = files.iter().filter(|f| f.dir == dir).collect();
        if let Some((_, stale)) = differing(ctx, h, dir, &in_dir).await? {
            if !stale.is_empty() {
                out.push((dir.to_string(), stale));
            }
        }
    }
    // under this host's own prefix (RKE1's default differs per operating system)
    let (dir, name) = crate::plan::worker::registry_credentials_path(&crate::plan::on_host(ctx.config, &h.operating_system));
    if !files.iter().any(|f| f.dir == dir && f.name == name) {
        if let Some((container, dest)) = mounting_container(ctx, h, &dir).await {
            if read_one(&h.docker, &container, &dest, name).await?.is_some_and(|(content, _, _)| crate::plan::worker::is_stockade_registry_file(&content)) {
                out.push((dir, vec![name.to_string()]));
            }
        }
    }
    Ok(out)
}

/// Deletes the files the host's plan no longer has ([`stale_files`]); run last, once the
/// containers that read them are gone (`RemoveObsolete`).
pub async fn delete_stale_files(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    for (dir, stale) in stale_files(ctx, h).await? {
        let mut cmd = vec!["rm".to_string(), "-f".into(), "--".into()];
        cmd.extend(stale.iter().map(|n| format!("{HELPER_MOUNT}/{n}")));
        let helper = Helper::create(&h.docker, &ctx.plan.helper_image, vec![format!("{dir}:{HELPER_MOUNT}")], cmd).await?;
        let run = helper.run(ctx.timeouts.helper).await;
        helper.remove().await;
        match run? {
            (0, _) => ctx.changed(h.name(), format!("removed {} under {dir} (no longer in this host's plan)", stale.join(", "))),
            (code, out) => return Err(anyhow!("host {}: removing {} under {dir} failed (exit {code}): {}", h.name(), stale.join(", "), out.trim())),
        }
    }
    Ok(())
}

/// Every file under the host directory `dir` (names relative to it), read through a helper
/// container of `image` that is created but never started: nothing on the host changes.
pub async fn read_host_dir(h: &Host, image: &str, dir: &str) -> Result<BTreeMap<String, (Vec<u8>, u32, (u32, u32))>> {
    let helper = Helper::create(&h.docker, image, vec![format!("{dir}:{HELPER_MOUNT}:ro")], vec!["true".into()]).await?;
    let r = read_tree(&h.docker, &helper.id, HELPER_MOUNT, "").await;
    helper.remove().await;
    r
}

pub(super) async fn sync_files(ctx: &Ctx<'_>, h: &Host, files: &[FileSpec]) -> Result<()> {
    let dirs: BTreeSet<&str> = files.iter().map(|f| f.dir.as_str()).collect();
    for dir in dirs {
        let in_dir: Vec<&FileSpec> = files.iter().filter(|f| f.dir == dir).collect();
        let via = mounting_container(ctx, h, dir).await;
        let changed = match &via {
            Some((container, dest)) => read_current(&h.docker, container, dest, &in_dir).await?.1,
            None => in_dir.clone(),
        };
        if changed.is_empty() {
            continue;
        }
        let tar = bytes::Bytes::from(build_tar(&changed)?);
        match via {
            Some((container, dest)) => upload(&h.docker, &container, &dest, tar).await?,
            None => {
                let helper = Helper::create(&h.docker, &ctx.plan.helper_image, vec![format!("{dir}:{HELPER_MOUNT}")], vec!["true".into()]).await?;
                let r = upload(&h.docker, &helper.id, HELPER_MOUNT, tar).await;
                helper.remove().await;
                r?;
            }
        }
        let names: Vec<&str> = changed.iter().map(|f| f.name.as_str()).collect();
        let what = if names.len() <= 4 { names.join(", ") } else { format!("{} files", names.len()) };
        ctx.changed(h.name(), format!("wrote {what} under {dir}"));
        ctx.wrote_files_on(h.name(), changed.iter().map(|f| f.name.clone()));
    }
    Ok(())
}

async fn upload(docker: &bollard::Docker, container: &str, path: &str, tar: bytes::Bytes) -> Result<()> {
    let opts = UploadToContainerOptions { path: path.to_string(), ..Default::default() };
    docker.upload_to_container(container, Some(opts), bollard::body_full(tar)).await?;
    Ok(())
}

/// The files under `<mount>/<sub>` as `sub/name -> (content, mode, (uid, gid))`; empty when absent.
async fn read_tree(docker: &bollard::Docker, container: &str, mount: &str, sub: &str) -> Result<BTreeMap<String, (Vec<u8>, u32, (u32, u32))>> {
    let path = if sub.is_empty() { mount.to_string() } else { format!("{mount}/{sub}") };
    let mut stream = docker.download_from_container(container, Some(DownloadFromContainerOptions { path }));
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
        out.insert(rel, file_of(&mut entry)?);
    }
    Ok(out)
}

/// One file at `<mount>/<name>` as `(content, mode, (uid, gid))`; None when absent.
async fn read_one(docker: &bollard::Docker, container: &str, mount: &str, name: &str) -> Result<Option<(Vec<u8>, u32, (u32, u32))>> {
    let mut stream = docker.download_from_container(container, Some(DownloadFromContainerOptions { path: format!("{mount}/{name}") }));
    let mut raw = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) => raw.extend_from_slice(&b),
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    let mut archive = tar::Archive::new(raw.as_slice());
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.header().entry_type().is_file() {
            return Ok(Some(file_of(&mut entry)?));
        }
    }
    Ok(None)
}

/// A downloaded archive entry as `(content, mode, (uid, gid))`.
fn file_of<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<(Vec<u8>, u32, (u32, u32))> {
    let mode = entry.header().mode()? & 0o7777;
    let owner = (entry.header().uid()? as u32, entry.header().gid()? as u32);
    let mut content = Vec::new();
    entry.read_to_end(&mut content)?;
    Ok((content, mode, owner))
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
        // Docker's archive upload keeps the owner the entry names
        let (uid, gid) = f.owner.unwrap_or((0, 0));
        h.set_uid(uid.into());
        h.set_gid(gid.into());
        h.set_mtime(now());
        b.append_data(&mut h, &f.name, f.content.as_slice())?;
    }
    Ok(b.into_inner()?)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn only_secret_files_the_plan_lacks_are_stale() {
        let f = |name: &str| FileSpec { dir: "/etc/kubernetes".into(), name: name.into(), content: Vec::new(), mode: 0o600, owner: None };
        let planned = [f("ssl/kube-node-key.pem"), f("ssl/kube-node.pem")];
        let planned: Vec<&FileSpec> = planned.iter().collect();
        let on_host: BTreeSet<String> = ["ssl/kube-node-key.pem", "ssl/kube-node.pem", "ssl/kube-ca-key.pem", "ssl/kube-service-account-token-key.pem", "ssl/encryption.yaml", "ssl/kube-ca.pem", "ssl/sub/x-key.pem", "audit.yaml"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(stale_secrets(&on_host, &planned), ["ssl/encryption.yaml", "ssl/kube-ca-key.pem", "ssl/kube-service-account-token-key.pem"]);
    }
}
