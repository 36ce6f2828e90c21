//! The agent: stockade's own executable, run by `stockade agent run` inside a helper container on an
//! etcd host (host network, the host's snapshot, certificate and etcd data directories bound), so a
//! snapshot is taken, checksummed and written on the host and never passes through the laptop.
//! `image` makes the helper image from the running executable.
//!
//! Each job (`snapshot::job::Job`) comes from a file (or stdin), never from the command line or the
//! environment, and the agent prints exactly one result line (`snapshot::job::RESULT_PREFIX`).
mod cache;
pub mod image;
pub mod transfer;

use crate::etcd::{self, Credentials};
use crate::snapshot::archive::{self, Integrity, Layout};
use crate::snapshot::crypt::{self, Decrypt};
use crate::snapshot::job::{self, Copy, Job, JobResult, SaveJob, S3_SINK};
use crate::snapshot::manifest::{digest_reader, Checksum, Manifest};
use crate::snapshot::naming::{self, SNAPSHOT_DIR};
use crate::snapshot::retention::{self, Dated};
use crate::snapshot::s3::{S3Settings, S3Store, S3Timeouts, UploadShape};
use anyhow::{anyhow, bail, Context, Result};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Reads the job (from `job_file`, or stdin when None), runs it, prints the result line.
pub async fn run(job_file: Option<&Path>) -> Result<()> {
    let text = match job_file {
        Some(p) => fs::read_to_string(p).with_context(|| format!("reading the job file {}", p.display()))?,
        None => std::io::read_to_string(std::io::stdin()).context("reading the job from stdin")?,
    };
    let job: Job = serde_json::from_str(&text).map_err(|e| anyhow!("unreadable job ({e})"))?;
    if let Job::Recurring(r) = job {
        // bound read-only from the host (0600) and read again before every snapshot
        return recurring(Path::new(SNAPSHOT_DIR), r, job_file).await;
    }
    // the job file may hold the cluster state (keys): gone before any work starts
    if let Some(p) = job_file {
        let _ = fs::remove_file(p);
    }
    let result = run_job(job).await?;
    println!("{}{}", job::RESULT_PREFIX, serde_json::to_string(&result)?);
    Ok(())
}

async fn run_job(job: Job) -> Result<JobResult> {
    let dir = Path::new(SNAPSHOT_DIR);
    Ok(match job {
        Job::Save(j) => {
            let (manifest, delivered) = save(dir, &j).await?;
            JobResult::Saved { manifest, delivered }
        }
        Job::Receive(j) => JobResult::Saved { manifest: transfer::receive(dir, &j).await?, delivered: Vec::new() },
        Job::Inspect { names, deep, decrypt } => {
            let (copies, missing) = tokio::task::spawn_blocking(move || inspect(dir, names.as_deref(), deep, decrypt.as_ref())).await??;
            JobResult::Inspected { copies, missing }
        }
        Job::Adopt { name, size, sha256 } => JobResult::Done { detail: adopt(dir, &name, size, &sha256)? },
        Job::Extract { name, decrypt, prepared } => JobResult::Done {
            detail: tokio::task::spawn_blocking(move || extract(dir, Path::new(job::RESTORE_DIR), Path::new(job::ETCD_DATA), &name, decrypt.as_ref(), prepared.as_deref())).await??,
        },
        Job::Prepare { name, decrypt } => {
            let (copies, missing) = tokio::task::spawn_blocking(move || prepare(dir, Path::new(job::RESTORE_DIR), &name, decrypt.as_ref())).await??;
            JobResult::Inspected { copies, missing }
        }
        Job::ReadState { name, decrypt } => JobResult::Done { detail: read_state(dir, &name, Path::new(job::STATE_OUT), decrypt.as_ref())? },
        Job::SwapData => JobResult::Done { detail: swap_data(Path::new(job::ETCD_DATA))? },
        Job::Cleanup => JobResult::Done { detail: cleanup(Path::new(job::ETCD_DATA), Path::new(job::RESTORE_DIR))? },
        Job::Delete { names } => JobResult::Done { detail: delete(dir, &names)? },
        Job::Upload { name, s3, deadline_secs } => JobResult::Done { detail: upload(dir, &name, &s3, s3_timeouts(deadline_secs)).await? },
        Job::Recurring(_) => bail!("a recurring job runs from `agent run` only"),
        Job::Download { name, s3, deadline_secs } => JobResult::Done { detail: download(dir, &name, &s3, s3_timeouts(deadline_secs)).await? },
    })
}

/// Recurring snapshots: checks once that etcd answers with the job's certificates (then prints
/// `RECURRING_READY`, what `up` waits for), then every interval takes `<time>_etcd`, prunes the
/// recurring snapshots beyond the retention, and uploads and prunes in S3 when asked. A failed
/// round is reported on stderr and the next one comes at the next interval: the container keeps
/// running (RKE1's `etcd-rolling-snapshots` behaves the same). Never exits on its own once ready.
async fn recurring(dir: &Path, first: job::RecurringJob, job_file: Option<&Path>) -> Result<()> {
    let j = &first.save;
    let read = |p: &str| fs::read_to_string(p).with_context(|| format!("reading the etcd client certificate {p}"));
    let creds = Credentials::from_pem(read(&j.ca_file)?, read(&j.cert_file)?, read(&j.key_file)?);
    let stall = Duration::from_secs(j.stall_timeout_secs.max(1));
    let mut client = etcd::connect_tcp(&j.address, j.port, &creds, stall).await?;
    tokio::time::timeout(stall, client.status()).await.map_err(|_| anyhow!("etcd at {}:{} did not answer within {stall:?}", j.address, j.port))??;
    drop(client);
    println!("{} (every {}s, keeping {}{})", job::RECURRING_READY, first.interval_secs, first.retention, if first.s3.is_some() { ", uploading to S3" } else { "" });
    let mut current = first;
    loop {
        tokio::time::sleep(Duration::from_secs(current.interval_secs.max(1))).await;
        if let Some(p) = job_file {
            match fs::read_to_string(p).map_err(anyhow::Error::from).and_then(|t| serde_json::from_str::<Job>(&t).map_err(anyhow::Error::from)) {
                Ok(Job::Recurring(r)) => current = r,
                Ok(_) => eprintln!("stockade-agent: {} no longer holds a recurring job; keeping the previous settings", p.display()),
                Err(e) => eprintln!("stockade-agent: re-reading {}: {e:#}; keeping the previous settings", p.display()),
            }
        }
        match recurring_round(dir, &current).await {
            Ok(done) => println!("stockade-agent: {done}"),
            Err(e) => eprintln!("stockade-agent: recurring snapshot failed: {e:#}"),
        }
    }
}

/// One round of the recurring job: take, prune locally, upload, prune in S3.
async fn recurring_round(dir: &Path, r: &job::RecurringJob) -> Result<String> {
    let name = naming::rolling_name(time::OffsetDateTime::now_utc());
    let save_job = SaveJob { name: name.clone(), ..r.save.clone() };
    let (m, _) = save(dir, &save_job).await?;
    let mut done = format!("saved {name} ({} bytes, sha256 {})", m.size, m.sha256);
    let pruned = prune_rolling(dir, r.retention, &name)?;
    if !pruned.is_empty() {
        done.push_str(&format!("; pruned {}", pruned.join(", ")));
    }
    if let Some(s3) = &r.s3 {
        let t = s3_timeouts(r.deadline_secs);
        let up = upload(dir, &name, s3, t).await.with_context(|| format!("{name} is kept on this host, but uploading it to S3 failed"))?;
        done.push_str(&format!("; {up}"));
        let store = s3_store(s3, t)?;
        let gone = prune_rolling_s3(&store, r.retention, &name).await?;
        if !gone.is_empty() {
            done.push_str(&format!("; pruned in S3 {}", gone.join(", ")));
        }
    }
    Ok(done)
}

/// Recurring snapshots (`…_etcd`) in `dir` beyond the newest `keep` are deleted (archive and
/// manifest); one-off snapshots are never touched. Newest by the manifests' creation times
/// (`snapshot::retention`), not by name.
fn prune_rolling(dir: &Path, keep: usize, just_taken: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(naming::name_of_file))
        .filter(|n| n.ends_with(naming::ROLLING_SUFFIX))
        .collect();
    names.sort();
    names.dedup();
    let dated: Vec<Dated> = names
        .into_iter()
        .map(|name| {
            let manifest_created = fs::read_to_string(dir.join(naming::manifest_file(&name))).ok().and_then(|t| Manifest::from_json(&t, &name).ok()).map(|m| m.created_unix);
            let modified = fs::metadata(dir.join(naming::archive_file(&name))).and_then(|m| m.modified()).ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64);
            Dated { name, manifest_created, modified }
        })
        .collect();
    // never the snapshot just taken (a copy from a host with a later clock can sort after it)
    let old: Vec<String> = retention::beyond(&dated, keep.max(1)).into_iter().filter(|n| n != just_taken).collect();
    if !old.is_empty() {
        delete(dir, &old)?;
    }
    Ok(old)
}

/// The same in the S3 folder: recurring archives beyond the newest `keep` go, with their
/// manifests; ordered by the manifests' creation times (each manifest is a small object, read
/// within one request's deadline), an archive without one by the time in its name.
async fn prune_rolling_s3(store: &S3Store, keep: usize, just_taken: &str) -> Result<Vec<String>> {
    let objects = store.list().await?;
    let mut dated = Vec::new();
    for o in objects.iter().filter(|o| o.name.ends_with(&format!("{}{}", naming::ROLLING_SUFFIX, naming::ZIP_EXT))) {
        let name = o.name.trim_end_matches(naming::ZIP_EXT).to_string();
        let manifest_name = naming::manifest_file(&name);
        let manifest_created = match objects.iter().any(|m| m.name == manifest_name) {
            true => store.read_small(&manifest_name, MANIFEST_MAX).await.ok().and_then(|b| Manifest::from_json(&String::from_utf8_lossy(&b), &manifest_name).ok()).map(|m| m.created_unix),
            false => None,
        };
        dated.push(Dated { name, manifest_created, modified: Some(o.last_modified.unix_timestamp()) });
    }
    // never the snapshot just taken (a copy from a host with a later clock can sort after it)
    let old: Vec<String> = retention::beyond(&dated, keep.max(1)).into_iter().filter(|n| n != just_taken).collect();
    for n in &old {
        store.delete(&naming::archive_file(n)).await?;
        store.delete(&naming::manifest_file(n)).await?;
    }
    Ok(old)
}

/// A manifest is a few hundred bytes; anything much larger under its name is not one.
const MANIFEST_MAX: usize = 64 * 1024;

/// The S3 timeouts of a job: inside the CLI's deadline for it (0: an older CLI, the defaults).
fn s3_timeouts(deadline_secs: u64) -> S3Timeouts {
    match deadline_secs {
        0 => S3Timeouts::default(),
        d => S3Timeouts::within(Duration::from_secs(d)),
    }
}

/// A store with these timeouts; credentials from the job, else as `S3Store::new` (the host's role).
fn s3_store(s3: &S3Settings, t: S3Timeouts) -> Result<S3Store> {
    S3Store::with_options(s3, t, UploadShape::default(), &|k| std::env::var(k).ok())
}

/// Streams the archive to S3 (multipart, memory bounded) hashing what it sends, checks that
/// against the manifest, then uploads the manifest: an object without its manifest beside it is
/// never taken for a complete copy. The archive's transfer ends within `t.transfer` (an unfinished
/// multipart upload is then aborted); the manifest is small and gets one `t.request`.
async fn upload(dir: &Path, name: &str, s3: &S3Settings, t: S3Timeouts) -> Result<String> {
    let manifest_text = fs::read_to_string(dir.join(naming::manifest_file(name))).with_context(|| format!("{name}: no manifest on this host"))?;
    let manifest = Manifest::from_json(&manifest_text, &naming::manifest_file(name))?;
    let store = s3_store(s3, t)?;
    let small = s3_store(s3, S3Timeouts { transfer: t.request, ..t })?;
    let file = tokio::fs::File::open(dir.join(naming::archive_file(name))).await.with_context(|| format!("{name}: no archive on this host"))?;
    let sent = store.upload(&naming::archive_file(name), file).await?;
    complete_upload(&store, &small, name, sent, &manifest, "the local copy changed").await
}

/// After the archive's object: it must match the manifest (else the object goes again), then the
/// manifest goes beside it.
async fn complete_upload(store: &S3Store, small: &S3Store, name: &str, sent: crate::snapshot::s3::Uploaded, manifest: &Manifest, why: &str) -> Result<String> {
    if manifest.check(sent.size, &sent.sha256) != Checksum::Ok {
        let _ = store.delete(&naming::archive_file(name)).await;
        bail!("{name}: the archive sent to S3 ({} bytes, sha256 {}) does not match its manifest: {why}; the object was deleted again", sent.size, sent.sha256);
    }
    small.upload(&naming::manifest_file(name), manifest.to_json().as_bytes()).await?;
    Ok(format!("uploaded {} ({} bytes, sha256 {})", sent.key, sent.size, sent.sha256))
}

/// The S3 sink of a save: the archive's bytes are uploaded as they are written; the multipart
/// upload completes only once the snapshot proved whole (the manifest ends the feed), and is
/// aborted when it did not.
async fn upload_stream(store: S3Store, small: S3Store, name: String, rx: tokio::sync::mpsc::Receiver<transfer::Piece>) -> Result<String> {
    use transfer::Piece;
    let ended: std::sync::Arc<std::sync::Mutex<Option<Manifest>>> = Default::default();
    let seen = ended.clone();
    let cut = || std::io::Error::other("the snapshot was not completed");
    // the state: the feed, and whether the stream already ended with an error (then it stays ended)
    let stream = futures_util::stream::unfold((rx, false), move |(mut rx, failed)| {
        let seen = seen.clone();
        async move {
            if failed {
                return None;
            }
            match rx.recv().await {
                Some(Piece::Data(b)) => Some((Ok(b), (rx, false))),
                Some(Piece::Done(m)) => {
                    *seen.lock().unwrap() = Some(*m);
                    None
                }
                Some(Piece::Abort(why)) => Some((Err(std::io::Error::other(why)), (rx, true))),
                None => Some((Err(cut()), (rx, true))),
            }
        }
    });
    let sent = store.upload(&naming::archive_file(&name), tokio_util::io::StreamReader::new(Box::pin(stream))).await?;
    let manifest = ended.lock().unwrap().take().ok_or_else(|| anyhow!("{name}: the upload ended without the snapshot's manifest"))?;
    complete_upload(&store, &small, &name, sent, &manifest, "the snapshot changed while it was sent").await
}

/// Brings `name` from S3 (archive through a temp file, then the manifest), checked against the
/// manifest; a copy already here is left alone (the preflight verifies it like any other).
async fn download(dir: &Path, name: &str, s3: &S3Settings, t: S3Timeouts) -> Result<String> {
    let archive = dir.join(naming::archive_file(name));
    if archive.exists() {
        return Ok(format!("{name} is already on this host"));
    }
    let store = s3_store(s3, t)?;
    let small = s3_store(s3, S3Timeouts { transfer: t.request, ..t })?;
    let manifest_tmp = dir.join(format!(".{}.download", naming::manifest_file(name)));
    small.download_to(&naming::manifest_file(name), &manifest_tmp).await.with_context(|| format!("{name}: its manifest is not in S3"))?;
    let manifest = Manifest::from_json(&fs::read_to_string(&manifest_tmp)?, &naming::manifest_file(name))?;
    // under a temporary name until it matches its manifest: an unverified archive must never be
    // taken for a copy by a later run
    let archive_tmp = dir.join(format!(".{}.download", naming::archive_file(name)));
    let got = store.download_to(&naming::archive_file(name), &archive_tmp).await?;
    if manifest.check(got.size, &got.sha256) != Checksum::Ok {
        let _ = fs::remove_file(&archive_tmp);
        let _ = fs::remove_file(&manifest_tmp);
        bail!("{name}: the archive in S3 ({} bytes, sha256 {}) does not match its manifest ({} bytes, sha256 {}): refusing it", got.size, got.sha256, manifest.size, manifest.sha256);
    }
    fs::rename(&manifest_tmp, dir.join(naming::manifest_file(name)))?;
    fs::rename(&archive_tmp, &archive)?;
    Ok(format!("downloaded {} ({} bytes, sha256 {})", got.key, got.size, got.sha256))
}

fn tmp_archive(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{}.tmp", naming::archive_file(name)))
}

/// Takes the snapshot from the local member: etcd's Snapshot stream goes through the zip writer
/// into a hidden temporary file, hashed as it is written; the archive gets its final name only
/// when etcd sent the whole database and its integrity hash matched, and the manifest after it.
/// The same bytes go to the job's sinks as they are written (`transfer`): the other etcd hosts
/// and S3 (what each did is in the second value).
async fn save(dir: &Path, j: &SaveJob) -> Result<(Manifest, Vec<job::Delivery>)> {
    let name = naming::normalize(&j.name)?;
    let read = |p: &str| fs::read_to_string(p).with_context(|| format!("reading the etcd client certificate {p}"));
    let creds = Credentials::from_pem(read(&j.ca_file)?, read(&j.cert_file)?, read(&j.key_file)?);
    let stall = Duration::from_secs(j.stall_timeout_secs.max(1));
    let mut client = etcd::connect_tcp(&j.address, j.port, &creds, stall).await?;
    let status = tokio::time::timeout(stall, client.status())
        .await
        .map_err(|_| anyhow!("etcd at {}:{} did not answer its status within {stall:?}", j.address, j.port))??;
    if status.leader == 0 {
        bail!("etcd at {}:{} has no leader: the cluster is not healthy, no snapshot taken", j.address, j.port);
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let target = dir.join(naming::archive_file(&name));
    if target.exists() {
        bail!("{} already exists on this host: choose another --name, or delete it first (`stockade etcd snapshot delete {name}`)", target.display());
    }
    let (feeds, sinks, mut delivered) = open_sinks(j, &name, stall).await;
    let tmp = tmp_archive(dir, &name);
    let file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let (reader, mut writer) = tokio::io::simplex(256 * 1024);
    let large = status.db_size > 3 * 1024 * 1024 * 1024;
    let (zname, state, encrypt) = (name.clone(), j.state.clone(), j.encrypt.clone());
    let runtime = tokio::runtime::Handle::current();
    // a sink that takes nothing for a third of etcd's stall timeout is dropped well before etcd's
    // stream would be cut for the wait: a slow S3 or receiver never costs the snapshot itself
    let feed_stall = (stall / 3).max(Duration::from_secs(1));
    let zipping = tokio::task::spawn_blocking(move || -> Result<(archive::Written, Vec<transfer::Feed>)> {
        let reader = tokio_util::io::SyncIoBridge::new(reader);
        let buffered = std::io::BufWriter::with_capacity(256 * 1024, transfer::Tee::new(cache::DropBehind::new(file), feeds, feed_stall, runtime));
        let state = state.as_deref().map(str::as_bytes);
        let (buffered, written) = match encrypt {
            None => archive::write_zip(buffered, &zname, reader, state, large)?,
            // zip → age → file: the manifest's size and sha256 are those of the encrypted bytes
            Some(e) => {
                let sealed = e.wrap(archive::HashingWriter::new(buffered))?;
                let (sealed, mut written) = archive::write_zip(sealed, &zname, reader, state, large)?;
                let (buffered, size, sha256) = sealed.finish().context("finishing the age encryption")?.finish();
                (written.size, written.sha256) = (size, sha256);
                (buffered, written)
            }
        };
        let (file, feeds) = buffered.into_inner().map_err(|e| anyhow!("writing the archive: {}", e.error()))?.into_parts();
        let file = file.into_inner();
        file.sync_all().context("syncing the archive")?;
        Ok((written, feeds))
    });
    let taken = client.snapshot_to(&mut writer, stall).await;
    // end of stream for the zip writer (dropping a split half does not close the pipe)
    {
        use tokio::io::AsyncWriteExt;
        let _ = writer.shutdown().await;
    }
    drop(writer);
    let written = zipping.await.map_err(|e| anyhow!("archive writer: {e}"));
    let mut feeds = Vec::new();
    let outcome = (|| -> Result<(etcd::SnapshotTaken, archive::Written)> {
        let taken = taken?;
        let (written, kept) = written??;
        feeds = kept;
        if written.snapshot_size != taken.size {
            bail!("the archive holds {} bytes of the snapshot, etcd sent {}", written.snapshot_size, taken.size);
        }
        written.integrity.require("the snapshot etcd sent")?;
        Ok((taken, written))
    })();
    let (taken, written) = match outcome {
        Ok(v) => v,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            abort_sinks(feeds, sinks, &e, stall).await;
            return Err(e.context("taking the snapshot failed; nothing was kept"));
        }
    };
    let manifest = Manifest {
        name: name.clone(),
        cluster: j.cluster.clone(),
        etcd_version: if taken.etcd_version.is_empty() { status.version.clone() } else { taken.etcd_version.clone() },
        // etcd 3.4 sends no header in the stream: the revision from the status taken just before
        revision: if taken.revision != 0 { taken.revision } else { status.header.as_ref().map(|h| h.revision).unwrap_or(0) },
        size: written.size,
        sha256: written.sha256.clone(),
        created_unix: time::OffsetDateTime::now_utc().unix_timestamp(),
        encrypted: j.encrypt.is_some(),
    };
    // archive first, then the manifest: a manifest never names an archive that is not there
    let kept = fs::rename(&tmp, &target)
        .with_context(|| format!("renaming {} to {}", tmp.display(), target.display()))
        .and_then(|()| write_manifest(&dir.join(naming::manifest_file(&name)), &manifest));
    if let Err(e) = kept {
        let _ = fs::remove_file(&tmp);
        let _ = fs::remove_file(&target);
        abort_sinks(feeds, sinks, &e, stall).await;
        return Err(e.context("keeping the snapshot on this host failed"));
    }
    sync_dir(dir);
    // kept here: now the sinks may keep theirs, while this host reads its copy back from the disk
    for f in feeds {
        f.end(transfer::Piece::Done(Box::new(manifest.clone())), stall).await;
    }
    let read_back = tokio::task::spawn_blocking({
        let (target, manifest) = (target.clone(), manifest.clone());
        move || read_back(&target, &manifest)
    });
    for (to, task) in sinks {
        let error = match task.await {
            Ok(Ok(done)) => {
                println!("stockade-agent: {to}: {done}");
                None
            }
            Ok(Err(e)) => Some(format!("{e:#}")),
            Err(e) => Some(format!("the copy stopped: {e}")),
        };
        delivered.push(job::Delivery { to, error, reached: true });
    }
    let checked = read_back.await.map_err(|e| anyhow!("{e}")).and_then(|r| r);
    if let Err(e) = checked {
        // never left under the snapshot's name; the copies sent were checked on their own
        let _ = fs::remove_file(&target);
        let _ = fs::remove_file(dir.join(naming::manifest_file(&name)));
        sync_dir(dir);
        let kept: Vec<&str> = delivered.iter().filter(|d| d.error.is_none()).map(|d| d.to.as_str()).collect();
        let elsewhere = if kept.is_empty() { "no other copy was made".to_string() } else { format!("the copies sent to {} were kept (each checked where it went)", kept.join(", ")) };
        return Err(e.context(format!("this host's copy of {name} was removed again: check this host's disk; {elsewhere}")));
    }
    Ok((manifest, delivered))
}

/// An archive just written and synced, read back from the disk (`cache::on_disk`): it must be
/// what `manifest` describes.
fn read_back(archive: &Path, manifest: &Manifest) -> Result<()> {
    let (size, sha256) = digest_on_disk(archive)?;
    if manifest.check(size, &sha256) != Checksum::Ok {
        bail!(
            "{} reads back from the disk as {size} bytes with sha256 {sha256}, not what was written ({} bytes, sha256 {}): the disk does not keep what is written to it",
            archive.display(),
            manifest.size,
            manifest.sha256
        );
    }
    Ok(())
}

/// Size and sha256 of a synced file read back from the disk, with a warning where the file
/// system could only be asked to drop its cached pages.
fn digest_on_disk(path: &Path) -> Result<(u64, String)> {
    let (size, sha256, from) = cache::on_disk(path).with_context(|| format!("reading {} back from the disk", path.display()))?;
    if from == cache::ReadFrom::CacheDropped {
        eprintln!("stockade-agent: warning: the file system of {} refuses O_DIRECT: read back after dropping its cached pages, which it may serve from a cache of its own", path.display());
    }
    Ok((size, sha256))
}

/// Writes the manifest beside its archive (atomically) and reads it back.
fn write_manifest(path: &Path, manifest: &Manifest) -> Result<()> {
    write_file_atomic(path, manifest.to_json().as_bytes())?;
    let text = fs::read_to_string(path).with_context(|| format!("reading {} back", path.display()))?;
    if Manifest::from_json(&text, &path.display().to_string())? != *manifest {
        bail!("{} reads back different from what was written", path.display());
    }
    Ok(())
}

/// The snapshot failed: every sink is told to discard what it has (S3 aborts its multipart
/// upload) and waited for, long enough for an abort request of its own.
async fn abort_sinks(feeds: Vec<transfer::Feed>, sinks: Vec<(String, tokio::task::JoinHandle<Result<String>>)>, why: &anyhow::Error, stall: Duration) {
    for f in feeds {
        f.end(transfer::Piece::Abort(format!("{why:#}")), stall).await;
    }
    let _ = tokio::time::timeout(stall * 3, futures_util::future::join_all(sinks.into_iter().map(|(_, t)| t))).await;
}


/// Connects the job's sinks before the snapshot starts (a receiver that cannot be reached is
/// reported, not waited for during the snapshot): their feeds, their tasks, and the sinks that
/// could not be opened.
async fn open_sinks(j: &SaveJob, name: &str, stall: Duration) -> (Vec<transfer::Feed>, Vec<(String, tokio::task::JoinHandle<Result<String>>)>, Vec<job::Delivery>) {
    let (mut feeds, mut sinks, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(c) = &j.copy {
        match transfer::connector(&c.tls) {
            Ok(connector) => {
                let connecting = c.peers.iter().map(|p| transfer::connect(p, c.port, &connector, name, PEER_CONNECT_WITHIN, stall));
                for (p, r) in c.peers.iter().zip(futures_util::future::join_all(connecting).await) {
                    match r {
                        Ok(tls) => {
                            let (feed, rx) = transfer::Feed::new(p);
                            feeds.push(feed);
                            sinks.push((p.clone(), tokio::spawn(transfer::send(tls, rx, stall))));
                        }
                        Err(e) => failed.push(job::Delivery { to: p.clone(), error: Some(format!("{e:#}")), reached: false }),
                    }
                }
            }
            Err(e) => failed.extend(c.peers.iter().map(|p| job::Delivery { to: p.clone(), error: Some(format!("{e:#}")), reached: false })),
        }
    }
    if let Some(u) = &j.s3 {
        let t = s3_timeouts(u.deadline_secs);
        match s3_store(&u.settings, t).and_then(|store| Ok((store, s3_store(&u.settings, S3Timeouts { transfer: t.request, ..t })?))) {
            Ok((store, small)) => {
                let (feed, rx) = transfer::Feed::new(S3_SINK);
                feeds.push(feed);
                sinks.push((S3_SINK.to_string(), tokio::spawn(upload_stream(store, small, name.to_string(), rx))));
            }
            Err(e) => failed.push(job::Delivery { to: S3_SINK.into(), error: Some(format!("{e:#}")), reached: false }),
        }
    }
    (feeds, sinks, failed)
}

/// How long the saving agent tries to reach a receiver (started by the CLI just before it).
const PEER_CONNECT_WITHIN: Duration = Duration::from_secs(10);

fn write_file_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_file_name(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("file")));
    let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The snapshot file of `name` in `dir`: the zip, else RKE1's legacy raw file.
fn locate(dir: &Path, name: &str) -> Option<(PathBuf, Layout)> {
    let zip = dir.join(naming::archive_file(name));
    if zip.is_file() {
        return Some((zip, Layout::Zip));
    }
    let raw = dir.join(name);
    raw.is_file().then_some((raw, Layout::Raw))
}

/// The plaintext of an encrypted archive in an unnamed temporary file (gone when dropped) in
/// `scratch`: zip reading needs to seek. Fails (before anything is written) on a wrong key.
fn decrypted(path: &Path, key: &Decrypt, scratch: &Path) -> Result<fs::File> {
    let mut tmp = tempfile::tempfile_in(scratch).with_context(|| format!("creating a temporary file in {}", scratch.display()))?;
    key.decrypt_to(std::io::BufReader::new(fs::File::open(path)?), &mut tmp).with_context(|| format!("{} is encrypted", path.display()))?;
    std::io::Seek::rewind(&mut tmp)?;
    Ok(tmp)
}

/// The archive to read: the file itself, or its plaintext when it is encrypted (which needs a key).
fn readable(path: &Path, key: Option<&Decrypt>, scratch: &Path) -> Result<fs::File> {
    if !crypt::file_is_age(path)? {
        return Ok(fs::File::open(path)?);
    }
    match key {
        Some(k) => decrypted(path, k, scratch),
        None => bail!("{} is encrypted: give the key (--decrypt-identity FILE, or the passphrase in STOCKADE_SNAPSHOT_PASSPHRASE / --passphrase-file)", path.display()),
    }
}

/// How far `describe` looks into an archive.
#[derive(Clone, Copy)]
enum Depth<'a> {
    /// size, sha256, manifest
    Shallow,
    /// and etcd's integrity hash inside
    Deep,
    /// and the etcd snapshot extracted into this restore directory on the way (`Job::Prepare`)
    Extract(&'a Path),
}

fn describe(dir: &Path, name: &str, path: &Path, layout: Layout, depth: Depth<'_>, key: Option<&Decrypt>) -> Result<Copy> {
    let meta = fs::metadata(path)?;
    let (size, sha256) = digest_reader(fs::File::open(path)?).with_context(|| format!("reading {}", path.display()))?;
    let manifest_path = dir.join(match layout {
        Layout::Zip => naming::manifest_file(name),
        Layout::Raw => format!("{name}{}", naming::MANIFEST_EXT),
    });
    let (manifest, checksum) = match fs::read_to_string(&manifest_path) {
        Ok(text) => match Manifest::from_json(&text, &manifest_path.display().to_string()) {
            Ok(m) => {
                let c = m.check(size, &sha256);
                (Some(m), c)
            }
            // an unreadable manifest cannot vouch for the archive
            Err(_) => (None, Checksum::Mismatch),
        },
        Err(_) => (None, Checksum::NoManifest),
    };
    let (mut problem, mut has_state) = (None, false);
    let encrypted = layout == Layout::Zip && crypt::file_is_age(path)?;
    // an encrypted archive without its key: its manifest vouches for it (the restore's preflight
    // asks for the key before it accepts one)
    if !matches!(depth, Depth::Shallow) && (!encrypted || key.is_some()) {
        let extracting = match depth {
            Depth::Extract(restore_dir) => Some(Extraction::start(restore_dir, name)?),
            _ => None,
        };
        let mut out: Box<dyn Write> = match &extracting {
            Some(x) => Box::new(std::io::BufWriter::with_capacity(256 * 1024, x.file()?)),
            None => Box::new(std::io::sink()),
        };
        let verdict = match layout {
            Layout::Zip => readable(path, key, &std::env::temp_dir()).and_then(|f| archive::inspect_zip_into(f, name, &mut out)).map(|i| {
                has_state = i.has_state;
                i.integrity
            }),
            Layout::Raw => archive::inspect_raw_into(fs::File::open(path)?, &mut out),
        };
        let flushed = out.flush();
        drop(out);
        problem = match verdict {
            Ok(Integrity::Ok { .. }) => None,
            Ok(i) => Some(format!("{:#}", i.require("the etcd snapshot inside").unwrap_err())),
            Err(e) => Some(format!("{e:#}")),
        };
        if let Some(x) = extracting {
            match (&problem, flushed) {
                (None, Ok(())) => x.finish(&sha256)?,
                (None, Err(e)) => problem = Some(format!("extracting the etcd snapshot: {e}")),
                _ => {}
            }
        }
    }
    let modified_unix = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64).unwrap_or(0);
    Ok(Copy { name: name.to_string(), layout, size, sha256, checksum, manifest, modified_unix, problem, has_state, encrypted })
}

/// The etcd snapshot being extracted into the restore directory during the restore's preflight:
/// a hidden temporary file, kept under its name with a stamp of the archive's sha256 only once
/// etcd's integrity hash passed. The restore's `Extract` then reuses it when the stamp names the
/// archive the preflight verified (and `etcdctl snapshot restore` checks the hash once more).
struct Extraction {
    tmp: PathBuf,
    db: PathBuf,
    stamp: PathBuf,
}

impl Extraction {
    fn start(restore_dir: &Path, name: &str) -> Result<Extraction> {
        fs::create_dir_all(restore_dir).with_context(|| format!("creating {}", restore_dir.display()))?;
        fs::set_permissions(restore_dir, fs::Permissions::from_mode(0o700))?;
        let db = restore_dir.join(restore_db_file(name));
        let x = Extraction { tmp: restore_dir.join(format!(".{}.tmp", restore_db_file(name))), stamp: stamp_path(&db), db };
        // an earlier stamp never outlives the file it described
        let _ = fs::remove_file(&x.stamp);
        Ok(x)
    }

    fn file(&self) -> Result<fs::File> {
        fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&self.tmp).with_context(|| format!("creating {}", self.tmp.display()))
    }

    fn finish(self, archive_sha256: &str) -> Result<()> {
        fs::File::open(&self.tmp)?.sync_all()?;
        fs::rename(&self.tmp, &self.db)?;
        write_file_atomic(&self.stamp, archive_sha256.as_bytes())
    }
}

impl Drop for Extraction {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

/// The stamp beside an extracted snapshot: the sha256 of the archive it came from.
fn stamp_path(db: &Path) -> PathBuf {
    db.with_file_name(format!("{}.archive-sha256", db.file_name().and_then(|n| n.to_str()).unwrap_or("snapshot.db")))
}

/// `Job::Prepare`: the deep description of `name`, its etcd snapshot extracted on the way.
fn prepare(dir: &Path, restore_dir: &Path, name: &str, key: Option<&Decrypt>) -> Result<(Vec<Copy>, Vec<String>)> {
    let name = naming::normalize(name)?;
    match locate(dir, &name) {
        Some((p, layout)) => Ok((vec![describe(dir, &name, &p, layout, Depth::Extract(restore_dir), key)?], Vec::new())),
        None => Ok((Vec::new(), vec![name])),
    }
}

fn inspect(dir: &Path, names: Option<&[String]>, deep: bool, key: Option<&Decrypt>) -> Result<(Vec<Copy>, Vec<String>)> {
    let mut copies = Vec::new();
    let mut missing = Vec::new();
    match names {
        Some(names) => {
            for n in names {
                let n = naming::normalize(n)?;
                match locate(dir, &n) {
                    Some((p, layout)) => copies.push(describe(dir, &n, &p, layout, if deep { Depth::Deep } else { Depth::Shallow }, key)?),
                    None => missing.push(n),
                }
            }
        }
        None => {
            let entries = match fs::read_dir(dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((copies, missing)),
                Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
            };
            let mut files: Vec<String> = entries.flatten().filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false)).filter_map(|e| e.file_name().to_str().map(String::from)).collect();
            files.sort();
            for f in files {
                let Some(n) = naming::name_of_file(&f) else { continue };
                let layout = if f.ends_with(naming::ZIP_EXT) { Layout::Zip } else { Layout::Raw };
                // a legacy raw file next to its zip is the same snapshot: the zip is listed
                if layout == Layout::Raw && dir.join(naming::archive_file(&n)).is_file() {
                    continue;
                }
                copies.push(describe(dir, &n, &dir.join(&f), layout, if deep { Depth::Deep } else { Depth::Shallow }, key)?);
            }
        }
    }
    Ok((copies, missing))
}

/// Puts a copy received in `.incoming/` in place once its size and sha256 are the expected ones.
fn adopt(dir: &Path, name: &str, size: u64, sha256: &str) -> Result<String> {
    let name = naming::normalize(name)?;
    let incoming = dir.join(job::INCOMING);
    let adopted = adopt_incoming(dir, &incoming, &name, size, sha256);
    if adopted.is_err() {
        // what arrived is never taken for a copy
        let _ = fs::remove_file(incoming.join(naming::archive_file(&name)));
        let _ = fs::remove_file(incoming.join(naming::manifest_file(&name)));
    }
    adopted
}

fn adopt_incoming(dir: &Path, incoming: &Path, name: &str, size: u64, sha256: &str) -> Result<String> {
    let src = incoming.join(naming::archive_file(name));
    // synced, then read back from the disk: what Docker wrote is what the disk holds
    fs::File::open(&src).with_context(|| format!("the copy {} did not arrive", src.display()))?.sync_all().with_context(|| format!("syncing {}", src.display()))?;
    let (got_size, got_sha) = digest_on_disk(&src)?;
    if got_size != size || !got_sha.eq_ignore_ascii_case(sha256) {
        bail!("the copy received is {got_size} bytes with sha256 {got_sha}, expected {size} bytes with sha256 {sha256}: discarded");
    }
    let manifest_src = incoming.join(naming::manifest_file(name));
    let manifest = Manifest::from_json(&fs::read_to_string(&manifest_src)?, &manifest_src.display().to_string())?;
    if manifest.check(got_size, &got_sha) != Checksum::Ok {
        bail!("the manifest received does not describe the archive received");
    }
    let target = dir.join(naming::archive_file(name));
    if target.exists() {
        bail!("{} already exists on this host", target.display());
    }
    fs::set_permissions(&src, fs::Permissions::from_mode(0o600))?;
    fs::set_permissions(&manifest_src, fs::Permissions::from_mode(0o600))?;
    fs::rename(&src, &target)?;
    fs::rename(&manifest_src, dir.join(naming::manifest_file(name)))?;
    let _ = fs::remove_dir(incoming);
    sync_dir(dir);
    Ok(format!("{} verified ({got_size} bytes, sha256 {got_sha})", target.display()))
}

/// Extracts the etcd snapshot for `etcdctl snapshot restore` into `restore_dir/<name>.db` (etcd's
/// integrity hash checked on the way) and clears any restore output of an earlier attempt.
fn extract(dir: &Path, restore_dir: &Path, data: &Path, name: &str, key: Option<&Decrypt>, prepared: Option<&str>) -> Result<String> {
    let name = naming::normalize(name)?;
    let (src, layout) = locate(dir, &name).ok_or_else(|| anyhow!("no snapshot {name} in {}", dir.display()))?;
    let new = data.join(job::RESTORED_NEW);
    if new.exists() {
        fs::remove_dir_all(&new).with_context(|| format!("removing {}", new.display()))?;
    }
    fs::create_dir_all(restore_dir)?;
    fs::set_permissions(restore_dir, fs::Permissions::from_mode(0o700))?;
    let out_path = restore_dir.join(restore_db_file(&name));
    // extracted by this restore's preflight from the archive it verified (the stamp says which)
    if let Some(sha) = prepared
        && out_path.is_file()
        && fs::read_to_string(stamp_path(&out_path)).is_ok_and(|s| s.trim().eq_ignore_ascii_case(sha))
    {
        return Ok(format!("{} (extracted and checked by the preflight from the archive with sha256 {sha})", out_path.display()));
    }
    let _ = fs::remove_file(stamp_path(&out_path));
    let tmp = restore_dir.join(format!(".{}.tmp", restore_db_file(&name)));
    let mut out = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    let size = match layout {
        Layout::Zip => archive::extract_snapshot(readable(&src, key, restore_dir)?, &name, &mut out)?,
        Layout::Raw => {
            archive::inspect_raw(fs::File::open(&src)?)?.require(&src.display().to_string())?;
            std::io::copy(&mut fs::File::open(&src)?, &mut out)?
        }
    };
    out.sync_all()?;
    fs::rename(&tmp, &out_path)?;
    Ok(format!("{} ({size} bytes, integrity hash ok)", out_path.display()))
}

/// File name of the extracted snapshot in the restore dir.
pub fn restore_db_file(name: &str) -> String {
    format!("{name}.db")
}

fn read_state(dir: &Path, name: &str, out: &Path, key: Option<&Decrypt>) -> Result<String> {
    let name = naming::normalize(name)?;
    let (src, layout) = locate(dir, &name).ok_or_else(|| anyhow!("no snapshot {name} in {}", dir.display()))?;
    if layout == Layout::Raw {
        return Ok("none: a legacy raw snapshot holds no state".into());
    }
    match archive::read_state(readable(&src, key, &std::env::temp_dir())?, &name)? {
        Some(state) => {
            write_file_atomic(out, &state)?;
            Ok(format!("state {} bytes", state.len()))
        }
        None => Ok("none: the archive holds no state file".into()),
    }
}

/// Swaps the restored `member` dir in. Re-runnable: when a kept copy of the pre-restore data exists
/// already (an interrupted restore), the current `member` is an earlier restore's and is replaced.
fn swap_data(data: &Path) -> Result<String> {
    let new_member = data.join(job::RESTORED_NEW).join("member");
    if !new_member.is_dir() {
        bail!("{} is missing: the restore did not produce a data directory", new_member.display());
    }
    let member = data.join("member");
    let kept = data.join(job::KEPT_OLD);
    let kept_member = kept.join("member");
    let mut detail = String::new();
    if member.exists() {
        if kept_member.exists() {
            // an earlier attempt kept the original data; what is in place now may be that
            // attempt's output or live data (a finished restore whose cleanup failed): never
            // deleted here, kept beside it until the restored cluster is healthy
            let aside = kept.join(format!("member-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)));
            fs::rename(&member, &aside)?;
            detail.push_str(&format!("data in place moved aside to {}; ", aside.display()));
        } else {
            fs::create_dir_all(&kept)?;
            fs::rename(&member, &kept_member)?;
            detail.push_str(&format!("previous data kept in {}; ", kept.display()));
        }
    }
    fs::rename(&new_member, &member)?;
    let _ = fs::remove_dir_all(data.join(job::RESTORED_NEW));
    sync_dir(data);
    detail.push_str("restored data in place");
    Ok(detail)
}

fn cleanup(data: &Path, restore_dir: &Path) -> Result<String> {
    for p in [data.join(job::KEPT_OLD), data.join(job::RESTORED_NEW)] {
        if p.exists() {
            fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    // the restore dir is a mount point in the helper: its contents go, the directory stays
    if let Ok(entries) = fs::read_dir(restore_dir) {
        for e in entries.flatten() {
            let p = e.path();
            let r = if e.file_type().map(|t| t.is_dir()).unwrap_or(false) { fs::remove_dir_all(&p) } else { fs::remove_file(&p) };
            r.with_context(|| format!("removing {}", p.display()))?;
        }
    }
    Ok("removed the pre-restore data and the restore scratch files".into())
}

fn delete(dir: &Path, names: &[String]) -> Result<String> {
    let mut removed = Vec::new();
    for n in names {
        let n = naming::normalize(n)?;
        for f in [naming::archive_file(&n), naming::manifest_file(&n), n.clone(), format!("{n}{}", naming::MANIFEST_EXT)] {
            let p = dir.join(&f);
            if p.is_file() {
                fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
                removed.push(f);
            }
        }
    }
    sync_dir(dir);
    Ok(format!("removed {}", if removed.is_empty() { "nothing".to_string() } else { removed.join(", ") }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::archive::tests::{fake_db, rke1_zip};

    fn put(dir: &Path, name: &str, bytes: &[u8], with_manifest: bool) {
        fs::write(dir.join(naming::archive_file(name)), bytes).unwrap();
        if with_manifest {
            let (size, sha256) = digest_reader(bytes).unwrap();
            let m = Manifest { name: name.into(), cluster: "c".into(), etcd_version: "3.4.23".into(), revision: 1, size, sha256, created_unix: 10, encrypted: false };
            fs::write(dir.join(naming::manifest_file(name)), m.to_json()).unwrap();
        }
    }

    #[test]
    fn inspect_reports_checksums_integrity_and_missing_names() {
        let d = tempfile::tempdir().unwrap();
        let good = rke1_zip("good", &fake_db(4, 1), Some(b"{}"));
        put(d.path(), "good", &good, true);
        put(d.path(), "nomanifest", &rke1_zip("nomanifest", &fake_db(4, 2), None), false);
        // same name, other bytes than the manifest says
        put(d.path(), "changed", &good, true);
        fs::write(d.path().join("changed.zip"), rke1_zip("changed", &fake_db(5, 9), None)).unwrap();
        let mut bad = fake_db(4, 3);
        bad[7] ^= 1;
        put(d.path(), "corrupt", &rke1_zip("corrupt", &bad, None), true);
        fs::write(d.path().join("2024-01-01T00:00:00Z_etcd"), fake_db(2, 4)).unwrap(); // legacy raw
        fs::write(d.path().join(".good.zip.tmp"), b"partial").unwrap();
        let (copies, _) = inspect(d.path(), None, true, None).unwrap();
        let by = |n: &str| copies.iter().find(|c| c.name == n).unwrap_or_else(|| panic!("{n} not listed: {copies:?}"));
        assert_eq!(copies.len(), 5, "{copies:?}");
        assert_eq!(by("good").checksum, Checksum::Ok);
        assert!(by("good").problem.is_none() && by("good").has_state);
        assert_eq!(by("nomanifest").checksum, Checksum::NoManifest);
        assert_eq!(by("changed").checksum, Checksum::Mismatch);
        assert_eq!(by("corrupt").checksum, Checksum::Ok, "the manifest matches the file...");
        assert!(by("corrupt").problem.as_deref().unwrap().contains("integrity"), "...but etcd's hash does not");
        assert_eq!(by("2024-01-01T00:00:00Z_etcd").layout, Layout::Raw);
        let (found, missing) = inspect(d.path(), Some(&["good.zip".into(), "gone".into()]), false, None).unwrap();
        assert_eq!((found.len(), missing), (1, vec!["gone".to_string()]));
    }

    #[test]
    fn encrypted_archives_are_checked_extracted_and_read_only_with_the_key() {
        use crate::config::secret::Secret;
        use crate::snapshot::crypt::Encrypt;
        let d = tempfile::tempdir().unwrap();
        let (snaps, restore, data) = (d.path().join("snaps"), d.path().join("restore"), d.path().join("data"));
        fs::create_dir_all(&snaps).unwrap();
        let db = fake_db(4, 1);
        let mut w = Encrypt::Passphrase(Secret::new("pw")).wrap(Vec::new()).unwrap();
        w.write_all(&rke1_zip("e", &db, Some(b"{\"state\":1}"))).unwrap();
        put(&snaps, "e", &w.finish().unwrap(), true);
        let right = Decrypt::Passphrase(Secret::new("pw"));
        let wrong = Decrypt::Passphrase(Secret::new("nope"));
        let (c, _) = inspect(&snaps, None, true, Some(&right)).unwrap();
        assert!(c[0].encrypted && c[0].problem.is_none() && c[0].has_state && c[0].checksum == Checksum::Ok, "{c:?}");
        let (c, _) = inspect(&snaps, None, true, Some(&wrong)).unwrap();
        assert!(c[0].problem.as_deref().unwrap().contains("does not decrypt"), "{c:?}");
        let (c, _) = inspect(&snaps, None, true, None).unwrap();
        assert!(c[0].encrypted && c[0].problem.is_none() && !c[0].has_state, "without a key only the manifest vouches: {c:?}");
        assert!(extract(&snaps, &restore, &data, "e", None, None).unwrap_err().to_string().contains("encrypted"));
        assert!(extract(&snaps, &restore, &data, "e", Some(&wrong), None).is_err());
        extract(&snaps, &restore, &data, "e", Some(&right), None).unwrap();
        assert_eq!(fs::read(restore.join("e.db")).unwrap(), db);
        let out = d.path().join("state.json");
        read_state(&snaps, "e", &out, Some(&right)).unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"{\"state\":1}");
    }

    #[test]
    fn the_preflight_extracts_once_and_the_restore_reuses_only_what_it_verified() {
        let d = tempfile::tempdir().unwrap();
        let (snaps, restore, data) = (d.path().join("snaps"), d.path().join("restore"), d.path().join("data"));
        fs::create_dir_all(&snaps).unwrap();
        let db = fake_db(4, 1);
        let zip = rke1_zip("p", &db, Some(b"{}"));
        put(&snaps, "p", &zip, true);
        let (copies, missing) = prepare(&snaps, &restore, "p", None).unwrap();
        assert!(missing.is_empty() && copies[0].problem.is_none() && copies[0].checksum == Checksum::Ok && copies[0].has_state, "{copies:?}");
        assert_eq!(fs::read(restore.join("p.db")).unwrap(), db);
        let sha = copies[0].sha256.clone();
        assert_eq!(fs::read_to_string(stamp_path(&restore.join("p.db"))).unwrap(), sha);
        // the restore reuses it for the archive the preflight verified, never for another one
        fs::write(restore.join("p.db"), b"not what was verified").unwrap();
        let reused = extract(&snaps, &restore, &data, "p", None, Some(&sha)).unwrap();
        assert!(reused.contains("extracted and checked by the preflight"), "{reused}");
        assert_eq!(fs::read(restore.join("p.db")).unwrap(), b"not what was verified", "reused as it is (etcdctl checks its hash)");
        let fresh = extract(&snaps, &restore, &data, "p", None, Some("00")).unwrap();
        assert!(!fresh.contains("preflight"), "{fresh}");
        assert_eq!(fs::read(restore.join("p.db")).unwrap(), db);
        // a snapshot that fails etcd's hash: reported, nothing left in the restore dir, no stamp
        let mut bad = db.clone();
        bad[10] ^= 1;
        fs::remove_file(snaps.join("p.zip")).unwrap();
        fs::remove_file(snaps.join("p.zip.manifest.json")).unwrap();
        fs::remove_file(restore.join("p.db")).unwrap();
        put(&snaps, "p", &rke1_zip("p", &bad, None), true);
        let (copies, _) = prepare(&snaps, &restore, "p", None).unwrap();
        assert!(copies[0].problem.as_deref().is_some_and(|p| p.contains("integrity")), "{copies:?}");
        assert!(!restore.join("p.db").exists() && !stamp_path(&restore.join("p.db")).exists());
        assert!(fs::read_dir(&restore).unwrap().next().is_none(), "no temporary file left");
        assert_eq!(prepare(&snaps, &restore, "absent", None).unwrap().1, vec!["absent".to_string()]);
    }

    #[test]
    fn extract_swap_cleanup_and_a_rerun_after_an_interruption() {
        let d = tempfile::tempdir().unwrap();
        let (snaps, restore, data) = (d.path().join("snaps"), d.path().join("restore"), d.path().join("data"));
        fs::create_dir_all(&snaps).unwrap();
        fs::create_dir_all(data.join("member/wal")).unwrap();
        fs::write(data.join("member/wal/0.wal"), b"old").unwrap();
        let db = fake_db(4, 1);
        put(&snaps, "s", &rke1_zip("s", &db, None), true);
        extract(&snaps, &restore, &data, "s.zip", None, None).unwrap();
        assert_eq!(fs::read(restore.join("s.db")).unwrap(), db);
        // what etcdctl snapshot restore would leave
        let fake_restore = || {
            fs::create_dir_all(data.join(job::RESTORED_NEW).join("member/snap")).unwrap();
            fs::write(data.join(job::RESTORED_NEW).join("member/snap/db"), b"restored").unwrap();
        };
        fake_restore();
        swap_data(&data).unwrap();
        assert_eq!(fs::read(data.join("member/snap/db")).unwrap(), b"restored");
        assert_eq!(fs::read(data.join(job::KEPT_OLD).join("member/wal/0.wal")).unwrap(), b"old");
        // interrupted after the swap: run again; the kept data stays the original
        extract(&snaps, &restore, &data, "s", None, None).unwrap();
        fake_restore();
        let again = swap_data(&data).unwrap();
        assert!(again.contains("moved aside"), "{again}");
        assert_eq!(fs::read(data.join(job::KEPT_OLD).join("member/wal/0.wal")).unwrap(), b"old");
        // what was in place is kept too, never deleted before the restored cluster is healthy
        let aside: Vec<_> = fs::read_dir(data.join(job::KEPT_OLD)).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with("member-")).collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(fs::read(aside[0].path().join("snap/db")).unwrap(), b"restored");
        cleanup(&data, &restore).unwrap();
        assert!(!data.join(job::KEPT_OLD).exists() && fs::read_dir(&restore).unwrap().next().is_none());
        assert_eq!(fs::read(data.join("member/snap/db")).unwrap(), b"restored");
        // a corrupted snapshot is not extracted
        let mut bad = db.clone();
        bad[3] ^= 1;
        put(&snaps, "bad", &rke1_zip("bad", &bad, None), false);
        assert!(extract(&snaps, &restore, &data, "bad", None, None).is_err());
    }

    #[test]
    fn adopt_refuses_a_copy_that_differs_and_delete_removes_both_files() {
        let d = tempfile::tempdir().unwrap();
        let inc = d.path().join(job::INCOMING);
        fs::create_dir_all(&inc).unwrap();
        let z = rke1_zip("s", &fake_db(2, 1), None);
        put(&inc, "s", &z, true);
        let (size, sha) = digest_reader(&z[..]).unwrap();
        assert!(adopt(d.path(), "s", size, "00").is_err());
        put(&inc, "s", &z, true);
        adopt(d.path(), "s", size, &sha).unwrap();
        assert!(d.path().join("s.zip").is_file() && d.path().join("s.zip.manifest.json").is_file());
        delete(d.path(), &["s".into()]).unwrap();
        assert!(!d.path().join("s.zip").exists() && !d.path().join("s.zip.manifest.json").exists());
    }
}
