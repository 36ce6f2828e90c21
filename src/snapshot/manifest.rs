//! The manifest stockade writes beside every archive: what the snapshot is and the sha256 of the
//! archive, so each copy (on every etcd host, in S3) is verified before a restore stops anything.
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Snapshot name, without `.zip`.
    pub name: String,
    /// `cluster_name` of the cluster it was taken from.
    pub cluster: String,
    /// Version of the etcd member it was taken from.
    pub etcd_version: String,
    /// etcd revision at the time of the snapshot.
    pub revision: i64,
    /// Size of the archive in bytes.
    pub size: u64,
    /// Lowercase hex sha256 of the archive.
    pub sha256: String,
    /// Creation time, seconds since the Unix epoch (UTC).
    pub created_unix: i64,
    /// Whether the archive is age-encrypted (then `size`/`sha256` are of the encrypted bytes).
    #[serde(default)]
    pub encrypted: bool,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serializes")
    }

    /// `origin` names the copy (host:path or s3 key) so the error says which one is broken.
    pub fn from_json(text: &str, origin: &str) -> Result<Self> {
        serde_json::from_str(text).with_context(|| format!("{origin}: unreadable snapshot manifest"))
    }

    /// How a copy of `size` bytes with digest `sha256` compares to this manifest.
    pub fn check(&self, size: u64, sha256: &str) -> Checksum {
        if self.size == size && self.sha256.eq_ignore_ascii_case(sha256) {
            Checksum::Ok
        } else {
            Checksum::Mismatch
        }
    }
}

/// Checksum status of one copy, as `snapshot ls` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Checksum {
    Ok,
    Mismatch,
    NoManifest,
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Checksum::Ok => "ok",
            Checksum::Mismatch => "mismatch",
            Checksum::NoManifest => "no manifest",
        })
    }
}

/// Streaming sha256 + size, fed in chunks as the archive is written or read (one pass, bounded memory).
#[derive(Default)]
pub struct Hasher {
    sha: Sha256,
    size: u64,
}

impl Hasher {
    pub fn update(&mut self, chunk: &[u8]) {
        self.sha.update(chunk);
        self.size += chunk.len() as u64;
    }
    /// (size, lowercase hex sha256)
    pub fn finish(self) -> (u64, String) {
        let digest = self.sha.finalize();
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        (self.size, hex)
    }
}

/// Size and sha256 of everything `r` yields.
pub fn digest_reader(r: impl Read) -> std::io::Result<(u64, String)> {
    digest_through(r, &mut vec![0u8; 64 * 1024])
}

/// `digest_reader` reading into the caller's buffer (O_DIRECT needs an aligned one).
pub fn digest_through(mut r: impl Read, buf: &mut [u8]) -> std::io::Result<(u64, String)> {
    let mut h = Hasher::default();
    loop {
        match r.read(buf) {
            Ok(0) => return Ok(h.finish()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(bytes: &[u8]) -> Manifest {
        let (size, sha256) = digest_reader(bytes).unwrap();
        Manifest {
            name: "s".into(),
            cluster: "local".into(),
            etcd_version: "3.5.9".into(),
            revision: 42,
            size,
            sha256,
            created_unix: 1_704_067_205,
            encrypted: false,
        }
    }

    #[test]
    fn sha256_is_the_standard_digest() {
        // sha256("abc") from FIPS 180-2
        assert_eq!(
            digest_reader(&b"abc"[..]).unwrap(),
            (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into())
        );
    }

    #[test]
    fn chunked_hashing_equals_one_pass() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut h = Hasher::default();
        for c in data.chunks(7919) {
            h.update(c);
        }
        assert_eq!(h.finish(), digest_reader(&data[..]).unwrap());
    }

    #[test]
    fn manifest_round_trips_and_detects_a_changed_copy() {
        let good = m(b"snapshot bytes");
        let back = Manifest::from_json(&good.to_json(), "h1:/x").unwrap();
        assert_eq!(back, good);
        let (size, sha) = digest_reader(&b"snapshot bytes"[..]).unwrap();
        assert_eq!(good.check(size, &sha), Checksum::Ok);
        let (size, sha) = digest_reader(&b"snapshot bytez"[..]).unwrap();
        assert_eq!(good.check(size, &sha), Checksum::Mismatch);
        let (size, sha) = digest_reader(&b"snapshot byte"[..]).unwrap();
        assert_eq!(good.check(size, &sha), Checksum::Mismatch);
        assert_eq!(Checksum::NoManifest.to_string(), "no manifest");
    }

    #[test]
    fn unreadable_manifest_names_the_copy() {
        let e = Manifest::from_json("{", "10.0.0.1:/opt/rke/etcd-snapshots/s.zip.manifest.json").unwrap_err();
        assert!(format!("{e:#}").contains("10.0.0.1:/opt/rke"), "{e:#}");
    }
}
