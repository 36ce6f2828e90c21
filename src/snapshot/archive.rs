//! The archive itself, as RKE1's rke-tools writes it (rke.md §6): a zip holding the etcd snapshot as
//! entry `/backup/<name>` and, when there is one, the cluster state as
//! `/etc/kubernetes/<name>.rkestate`. Written as a stream (data descriptors, no seeking), so the bytes
//! that reach the file are hashed as they are written: archive and sha256 in one pass.
//!
//! Reading accepts RKE1's two layouts: that zip, and the legacy unzipped snapshot (the raw etcd file
//! named `<name>`, no extension). Every read of a snapshot checks etcd's own integrity hash: etcd
//! appends the sha256 of the database to every snapshot it streams, and `etcdctl snapshot restore`
//! refuses a file whose hash does not match — checked here first, before anything is stopped.
use super::manifest::Hasher;
use super::naming;
use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, Write};

/// A writer that hashes (sha256 + size) every byte that passes to the inner writer.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Hasher::default() }
    }
    /// The inner writer and (size, sha256) of everything written to it.
    pub fn finish(self) -> (W, u64, String) {
        let (size, sha) = self.hasher.finish();
        (self.inner, size, sha)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// etcd's integrity hash of a snapshot, checked while the bytes stream by: a snapshot whose size is
/// 32 bytes past a multiple of 512 carries the sha256 of everything before those 32 bytes (etcd's
/// `snapshot restore` rule, `hasHash := off % 512 == sha256.Size`).
#[derive(Default)]
pub struct IntegrityCheck {
    sha: Sha256,
    tail: Vec<u8>,
    size: u64,
}

/// The verdict on one etcd snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// the appended hash matches the database
    Ok { db_size: u64 },
    /// the size says there is no appended hash (etcdctl refuses it without --skip-hash-check)
    NoHash { size: u64 },
    /// the appended hash does not match: truncated or corrupted
    Mismatch { size: u64 },
}

impl IntegrityCheck {
    pub fn update(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > 32 {
            let k = self.tail.len() - 32;
            self.sha.update(&self.tail[..k]);
            self.tail.drain(..k);
        }
    }
    pub fn finish(self) -> Integrity {
        let size = self.size;
        if size < 32 || size % 512 != 32 {
            return Integrity::NoHash { size };
        }
        if self.sha.finalize().as_slice() == self.tail.as_slice() {
            Integrity::Ok { db_size: size - 32 }
        } else {
            Integrity::Mismatch { size }
        }
    }
}

impl Integrity {
    /// Ok, or why `etcdctl snapshot restore` would refuse this snapshot.
    pub fn require(&self, what: &str) -> Result<()> {
        match self {
            Integrity::Ok { .. } => Ok(()),
            Integrity::NoHash { size } => bail!(
                "{what}: the etcd snapshot ({size} bytes) carries no integrity hash: it is truncated or was not written by etcd's snapshot API"
            ),
            Integrity::Mismatch { size } => bail!("{what}: the etcd snapshot ({size} bytes) fails its integrity hash: it is corrupted or truncated"),
        }
    }
}

/// What writing an archive produced.
#[derive(Debug, Clone)]
pub struct Written {
    /// size and sha256 of the archive file
    pub size: u64,
    pub sha256: String,
    /// the etcd snapshot inside, as etcd streamed it
    pub snapshot_size: u64,
    pub integrity: Integrity,
}

/// Writes the RKE1 zip of snapshot `name` to `out`: the etcd snapshot read from `db` (streamed,
/// memory bounded by the copy buffer), then the state file if there is one. `large` selects zip64
/// entries (needed from 4 GiB; the caller knows the database size from etcd's status).
pub fn write_zip<W: Write>(out: W, name: &str, mut db: impl Read, state: Option<&[u8]>, large: bool) -> Result<(W, Written)> {
    let mut zip = zip::ZipWriter::new_stream(HashingWriter::new(out));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        // level 1: etcd databases compress well already at the fastest level, and the archive is
        // written while etcd streams
        .compression_level(Some(1))
        .unix_permissions(0o600)
        .large_file(large);
    zip.start_file(naming::zip_snapshot_entry(name), opts)?;
    let mut check = IntegrityCheck::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match db.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading the etcd snapshot stream"),
        };
        check.update(&buf[..n]);
        zip.write_all(&buf[..n]).context("writing the archive")?;
    }
    let snapshot_size = check.size;
    if let Some(state) = state {
        zip.start_file(naming::zip_state_entry(name), opts.large_file(false))?;
        zip.write_all(state)?;
    }
    let hashing = zip.finish()?.into_inner();
    let (out, size, sha256) = hashing.finish();
    Ok((out, Written { size, sha256, snapshot_size, integrity: check.finish() }))
}

/// Which of RKE1's layouts a snapshot file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// `<name>.zip` with the snapshot entry (stockade, rke-tools)
    Zip,
    /// RKE1's legacy raw snapshot `<name>` (no extension)
    Raw,
}

/// What a look inside an archive found.
#[derive(Debug, Clone)]
pub struct Inspected {
    pub snapshot_entry: String,
    pub integrity: Integrity,
    pub has_state: bool,
}

/// Index of the etcd snapshot entry of `name` in the zip: the rke-tools name, else (an archive
/// renamed after it was written) the only entry under `backup/`.
fn snapshot_index<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Result<usize> {
    let names: Vec<String> = zip.file_names().map(|n| n.map(|n| n.to_string())).collect::<Result<_, _>>()?;
    if let Some(i) = names.iter().position(|e| naming::is_snapshot_entry(e, name)) {
        return Ok(i);
    }
    let under_backup: Vec<usize> = (0..names.len()).filter(|i| names[*i].trim_start_matches('/').starts_with("backup/") && !names[*i].ends_with('/')).collect();
    match under_backup.as_slice() {
        [i] => Ok(*i),
        _ => bail!("the archive holds no etcd snapshot entry /backup/{name} (entries: {})", names.join(", ")),
    }
}

fn open_zip<R: Read + Seek>(r: R) -> Result<zip::ZipArchive<R>> {
    zip::ZipArchive::new(r).map_err(|e| anyhow!("not a readable zip archive ({e}): truncated or corrupted"))
}

/// Opens the zip, finds the snapshot entry and checks etcd's integrity hash over all of it
/// (decompressing also checks the entry's CRC-32).
pub fn inspect_zip<R: Read + Seek>(r: R, name: &str) -> Result<Inspected> {
    inspect_zip_into(r, name, std::io::sink())
}

/// `inspect_zip`, writing the etcd snapshot to `out` on the way (one reading to check and extract).
pub fn inspect_zip_into<R: Read + Seek>(r: R, name: &str, out: impl Write) -> Result<Inspected> {
    let mut zip = open_zip(r)?;
    let has_state = zip.file_names().flatten().any(|e| naming::is_state_entry(&e, name));
    let i = snapshot_index(&mut zip, name)?;
    let mut entry = zip.by_index(i)?;
    let snapshot_entry = entry.name()?.to_string();
    let mut check = IntegrityCheck::default();
    copy_checked(&mut entry, out, &mut check).with_context(|| format!("reading entry {snapshot_entry}"))?;
    Ok(Inspected { snapshot_entry, integrity: check.finish(), has_state })
}

/// Checks a raw (legacy, unzipped) snapshot file.
pub fn inspect_raw(r: impl Read) -> Result<Integrity> {
    inspect_raw_into(r, std::io::sink())
}

/// `inspect_raw`, copying the snapshot to `out` on the way.
pub fn inspect_raw_into(r: impl Read, out: impl Write) -> Result<Integrity> {
    let mut check = IntegrityCheck::default();
    copy_checked(r, out, &mut check)?;
    Ok(check.finish())
}

/// Extracts the etcd snapshot of `name` to `out`, refusing it unless its integrity hash passes.
pub fn extract_snapshot<R: Read + Seek>(r: R, name: &str, out: impl Write) -> Result<u64> {
    let mut zip = open_zip(r)?;
    let i = snapshot_index(&mut zip, name)?;
    let mut entry = zip.by_index(i)?;
    let mut check = IntegrityCheck::default();
    copy_checked(&mut entry, out, &mut check)?;
    let integrity = check.finish();
    integrity.require("extracting the snapshot")?;
    match integrity {
        Integrity::Ok { db_size } => Ok(db_size + 32),
        _ => unreachable!(),
    }
}

/// The state file (`cluster.rkestate` JSON) stored in the archive, if any.
pub fn read_state<R: Read + Seek>(r: R, name: &str) -> Result<Option<Vec<u8>>> {
    let mut zip = open_zip(r)?;
    let Some(i) = zip.file_names().position(|e| e.is_ok_and(|e| naming::is_state_entry(&e, name))) else { return Ok(None) };
    let mut entry = zip.by_index(i)?;
    let mut buf = Vec::new();
    entry.read_to_end(&mut buf)?;
    Ok(Some(buf))
}

fn copy_checked(mut r: impl Read, mut w: impl Write, check: &mut IntegrityCheck) -> Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow!("{e}: the archive is truncated or corrupted")),
        };
        check.update(&buf[..n]);
        w.write_all(&buf[..n])?;
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::io::Cursor;

    /// A stand-in etcd snapshot with etcd's trailer: `pages` × 512 bytes then their sha256.
    pub fn fake_db(pages: usize, seed: u8) -> Vec<u8> {
        let mut db: Vec<u8> = (0..pages * 512).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let h = Sha256::digest(&db);
        db.extend_from_slice(&h);
        db
    }

    /// A zip laid out exactly as rke-tools writes one (entries with the leading `/`, Deflate),
    /// made here with the zip crate's ordinary seekable writer.
    pub fn rke1_zip(name: &str, db: &[u8], state: Option<&[u8]>) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file(format!("/backup/{name}"), o).unwrap();
        z.write_all(db).unwrap();
        if let Some(s) = state {
            z.start_file(format!("/etc/kubernetes/{name}.rkestate"), o).unwrap();
            z.write_all(s).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn the_written_zip_has_rke1_entries_and_its_hash_is_of_the_file() {
        let db = fake_db(40, 7);
        let (out, w) = write_zip(Vec::new(), "s1", &db[..], Some(b"{\"state\":1}"), false).unwrap();
        assert_eq!(w.size, out.len() as u64);
        assert_eq!((w.size, w.sha256.clone()), crate::snapshot::manifest::digest_reader(&out[..]).unwrap());
        assert_eq!(w.integrity, Integrity::Ok { db_size: 40 * 512 });
        let mut z = zip::ZipArchive::new(Cursor::new(&out)).unwrap();
        let names: Vec<String> = z.file_names().map(|n| n.unwrap().to_string()).collect();
        assert_eq!(names, vec!["/backup/s1", "/etc/kubernetes/s1.rkestate"]);
        let mut back = Vec::new();
        z.by_name("/backup/s1").unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back, db);
        assert_eq!(read_state(Cursor::new(&out), "s1").unwrap().as_deref(), Some(&b"{\"state\":1}"[..]));
        let i = inspect_zip(Cursor::new(&out), "s1").unwrap();
        assert!(i.has_state && i.integrity == Integrity::Ok { db_size: 40 * 512 });
        let mut x = Vec::new();
        assert_eq!(extract_snapshot(Cursor::new(&out), "s1", &mut x).unwrap(), db.len() as u64);
        assert_eq!(x, db);
    }

    #[test]
    fn an_rke1_zip_reads_with_or_without_the_leading_slash_and_after_a_rename() {
        let db = fake_db(3, 1);
        let z = rke1_zip("rke_etcd_snapshot_2024-01-01T00:00:00Z", &db, Some(b"{}"));
        let i = inspect_zip(Cursor::new(&z), "rke_etcd_snapshot_2024-01-01T00:00:00Z").unwrap();
        assert_eq!(i.integrity, Integrity::Ok { db_size: 3 * 512 });
        assert!(i.has_state);
        // renamed file: the only backup/ entry is the snapshot
        assert!(inspect_zip(Cursor::new(&z), "renamed").unwrap().integrity == Integrity::Ok { db_size: 3 * 512 });
        assert!(read_state(Cursor::new(&z), "renamed").unwrap().is_none());
    }

    #[test]
    fn corrupted_truncated_and_hashless_snapshots_are_refused() {
        let db = fake_db(8, 3);
        let mut bad = db.clone();
        bad[100] ^= 1;
        assert_eq!(inspect_raw(&bad[..]).unwrap(), Integrity::Mismatch { size: db.len() as u64 });
        assert!(matches!(inspect_raw(&db[..db.len() - 512]).unwrap(), Integrity::Mismatch { .. }));
        assert!(matches!(inspect_raw(&db[..db.len() - 1]).unwrap(), Integrity::NoHash { .. }));
        assert!(inspect_raw(&db[..]).unwrap().require("x").is_ok());
        // a zip whose entry holds a corrupted database: opens, fails the integrity hash
        let z = rke1_zip("s", &bad, None);
        let i = inspect_zip(Cursor::new(&z), "s").unwrap();
        assert!(matches!(i.integrity, Integrity::Mismatch { .. }));
        assert!(extract_snapshot(Cursor::new(&z), "s", std::io::sink()).is_err());
        // a truncated archive does not open
        let (good, _) = write_zip(Vec::new(), "s", &db[..], None, false).unwrap();
        let e = inspect_zip(Cursor::new(&good[..good.len() / 2]), "s").unwrap_err();
        assert!(format!("{e:#}").contains("truncated or corrupted"), "{e:#}");
        // a flipped byte inside the compressed data: CRC or inflate error, or integrity mismatch
        let mut flipped = good.clone();
        flipped[80] ^= 0xff;
        let r = inspect_zip(Cursor::new(&flipped), "s");
        assert!(r.is_err() || !matches!(r.unwrap().integrity, Integrity::Ok { .. }));
        // an archive without a snapshot entry
        let other = rke1_zip("x", &db, None);
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        z.start_file("readme", zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(b"hi").unwrap();
        let none = z.finish().unwrap().into_inner();
        assert!(format!("{:#}", inspect_zip(Cursor::new(&none), "s").unwrap_err()).contains("no etcd snapshot entry"));
        assert!(inspect_zip(Cursor::new(&other), "s").is_ok(), "one backup/ entry is taken as the snapshot");
    }
}
