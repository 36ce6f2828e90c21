//! What the CLI asks the agent (`stockade agent run`, in a helper container on an etcd host) to do,
//! and what the agent answers. The job travels as a file copied into the created container before it
//! starts (never in its Cmd, Env or Labels, which `docker inspect` shows); the answer is one line on
//! the agent's stdout, prefixed with `RESULT_PREFIX`, holding no secret.
use super::archive::Layout;
use super::crypt::{Decrypt, Encrypt};
use super::manifest::{Checksum, Manifest};
use serde::{Deserialize, Serialize};

/// Directory inside the helper image where the job file is copied (0700, in the image).
pub const JOB_DIR: &str = "/run/stockade-agent";
/// The job file the agent reads.
pub const JOB_FILE: &str = "/run/stockade-agent/job.json";
/// Where the `read_state` job leaves the state file, inside the container's own filesystem (fetched
/// with Docker's archive API, then the container is removed): never through the logs.
pub const STATE_OUT: &str = "/run/stockade-agent/state.json";
/// Prefix of the agent's one result line on stdout.
pub const RESULT_PREFIX: &str = "stockade-agent-result: ";
/// Scratch directory of a restore on every etcd host (RKE1's, not under `prefix_path`).
pub const RESTORE_DIR: &str = "/opt/rke/etcd-snapshots-restore";
/// Where the helper sees the host's etcd data directory (`<prefix>/var/lib/etcd`), as the etcd
/// container does.
pub const ETCD_DATA: &str = "/var/lib/rancher/etcd";
/// Inside the etcd data dir: the restored data before it is swapped in, and the data it replaced,
/// kept until the restored cluster is proven healthy. Other names in the data dir are ignored by etcd.
pub const RESTORED_NEW: &str = "stockade-restore-new";
pub const KEPT_OLD: &str = "stockade-before-restore";
/// Subdirectory of the snapshot dir that receives a copy from another host before it is verified
/// and put in place.
pub const INCOMING: &str = ".incoming";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Take a snapshot from the local member and write archive + manifest.
    Save(SaveJob),
    /// Describe snapshots in the snapshot dir (all of them, or the named ones); `deep` also opens
    /// each archive and checks etcd's integrity hash.
    /// An encrypted archive is opened only with `decrypt`; without it, its integrity is vouched
    /// for by its manifest only (the sha256 of the encrypted bytes).
    Inspect {
        names: Option<Vec<String>>,
        deep: bool,
        #[serde(default)]
        decrypt: Option<Decrypt>,
    },
    /// Verify a copy received in `.incoming/` (size, sha256) and move it into place.
    Adopt { name: String, size: u64, sha256: String },
    /// Extract the etcd snapshot of `name` into the restore dir (integrity checked) and clear any
    /// earlier restore output.
    Extract {
        name: String,
        #[serde(default)]
        decrypt: Option<Decrypt>,
        /// the sha256 of the archive the preflight verified: its extraction by `Prepare` is reused
        /// when its stamp names that archive
        #[serde(default)]
        prepared: Option<String>,
    },
    /// The restore's preflight on one host: `Inspect` deep of `name`, the etcd snapshot extracted
    /// into the restore dir on the way (scratch space only: nothing of etcd is touched).
    Prepare {
        name: String,
        #[serde(default)]
        decrypt: Option<Decrypt>,
    },
    /// Copy the state file stored in the archive to `STATE_OUT`.
    ReadState {
        name: String,
        #[serde(default)]
        decrypt: Option<Decrypt>,
    },
    /// Replace the data dir's `member` with the restored one, keeping the old one aside.
    SwapData,
    /// After the restored cluster is healthy: remove the kept data and the restore scratch files.
    Cleanup,
    /// Remove snapshots (archive, manifest, legacy raw file).
    Delete { names: Vec<String> },
    /// Upload `name`'s archive and manifest to S3; what was sent must match the manifest.
    /// `deadline_secs`: the CLI's deadline for the whole job; the agent's S3 timeouts fit inside it
    /// (`S3Timeouts::within`) so that it aborts an unfinished multipart upload itself.
    Upload {
        name: String,
        s3: crate::snapshot::s3::S3Settings,
        #[serde(default)]
        deadline_secs: u64,
    },
    /// Recurring snapshots (`stockade-etcd-snapshots`, a long-running container): every interval a
    /// snapshot `<time>_etcd` as `Save` writes it, the oldest beyond `retention` pruned; the job
    /// file is read again before each one (`up` may have rewritten it).
    Recurring(RecurringJob),
    /// Receive a copy of a snapshot being saved on another etcd host (`agent::transfer`).
    Receive(ReceiveJob),
    /// Download `name`'s archive and manifest from S3 into the snapshot dir, unless already
    /// there; the archive must match the manifest.
    Download {
        name: String,
        s3: crate::snapshot::s3::S3Settings,
        #[serde(default)]
        deadline_secs: u64,
    },
}

impl Job {
    /// A short name for containers and messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::Save(_) => "save",
            Job::Inspect { .. } => "inspect",
            Job::Adopt { .. } => "adopt",
            Job::Extract { .. } => "extract",
            Job::Prepare { .. } => "prepare",
            Job::ReadState { .. } => "read-state",
            Job::SwapData => "swap-data",
            Job::Cleanup => "cleanup",
            Job::Delete { .. } => "delete",
            Job::Upload { .. } => "upload",
            Job::Download { .. } => "download",
            Job::Recurring(_) => "recurring",
            Job::Receive(_) => "receive",
        }
    }
}

/// Debug (written by hand) shows the size of `state`, never its content: the state holds every
/// private key of the cluster.
#[derive(Clone, Serialize, Deserialize)]
pub struct SaveJob {
    pub name: String,
    pub cluster: String,
    /// the member's client address as seen on the host (its internal address or 127.0.0.1)
    pub address: String,
    pub port: u16,
    /// client certificate files inside the container (the host's `/etc/kubernetes/ssl`)
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
    /// the cluster state to store in the archive (RKE1's `/etc/kubernetes/<name>.rkestate`)
    pub state: Option<String>,
    /// longest pause allowed between two messages of etcd's snapshot stream
    pub stall_timeout_secs: u64,
    /// encrypt the archive as it is written (`--encrypt`)
    #[serde(default)]
    pub encrypt: Option<Encrypt>,
    /// send the archive, as it is written, to the agents on these hosts (`agent::transfer`)
    #[serde(default)]
    pub copy: Option<CopyTo>,
    /// and upload it to S3 the same way
    #[serde(default)]
    pub s3: Option<S3Upload>,
}

/// An upload to S3 made while the archive is written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Upload {
    pub settings: crate::snapshot::s3::S3Settings,
    /// the CLI's deadline for the job: the S3 timeouts fit inside it
    pub deadline_secs: u64,
}

/// The TLS identity files of an agent (inside the container: the host's `/etc/kubernetes/ssl`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TlsFiles {
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
}

/// Where the saving agent sends a copy, and where a receiving agent listens.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CopyTo {
    /// the receivers' addresses (their etcd internal addresses)
    pub peers: Vec<String>,
    pub port: u16,
    /// the saving host's etcd certificate (client and server usages, signed by the cluster CA)
    pub tls: TlsFiles,
}

/// The receiving side of a copy (`Job::Receive`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReceiveJob {
    pub name: String,
    /// this host's address the sender connects to, and the port
    pub listen: String,
    pub port: u16,
    /// this host's etcd certificate (its address among the names)
    pub tls: TlsFiles,
    /// how long to wait for the sender
    pub accept_secs: u64,
    /// longest pause between two frames
    pub stall_secs: u64,
    /// the saving host's address: a connection from another address is not heard
    #[serde(default)]
    pub sender: String,
}


impl std::fmt::Debug for SaveJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveJob")
            .field("name", &self.name)
            .field("cluster", &self.cluster)
            .field("address", &self.address)
            .field("port", &self.port)
            .field("state", &self.state.as_ref().map(|s| format!("<{} bytes>", s.len())))
            .field("encrypt", &self.encrypt)
            .field("copy", &self.copy)
            .field("s3", &self.s3)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecurringJob {
    /// what each snapshot is taken with (its `name` is replaced by `<time>_etcd`)
    pub save: SaveJob,
    pub interval_secs: u64,
    /// how many recurring snapshots to keep, here and in S3 (one-off ones are never pruned)
    pub retention: usize,
    /// upload each snapshot (and prune the folder) — one etcd host uploads, so that hosts never
    /// overwrite each other's objects
    pub s3: Option<crate::snapshot::s3::S3Settings>,
    /// bound of each upload (the S3 timeouts fit inside it)
    pub deadline_secs: u64,
}

/// The line the recurring agent prints once it reached etcd with its certificates: `up` waits for
/// it before it calls the container healthy.
pub const RECURRING_READY: &str = "stockade-agent: recurring snapshots ready";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum JobResult {
    Saved {
        manifest: Manifest,
        /// the copies sent while it was written (`SaveJob::copy`, `SaveJob::s3`), each kept or why not
        #[serde(default)]
        delivered: Vec<Delivery>,
    },
    Inspected { copies: Vec<Copy>, missing: Vec<String> },
    Done { detail: String },
}

/// A copy sent while the archive was written: to a host's address, or `s3`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub to: String,
    /// None: kept (by the receiver, or in S3 with its manifest); else why not
    pub error: Option<String>,
    /// the sink was reached and had the stream (a receiver then ends on its own)
    #[serde(default)]
    pub reached: bool,
}

/// What `Delivery::to` says for the S3 copy.
pub const S3_SINK: &str = "s3";

/// One snapshot file on one host, as `inspect` found it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Copy {
    pub name: String,
    pub layout: Layout,
    pub size: u64,
    pub sha256: String,
    pub checksum: Checksum,
    pub manifest: Option<Manifest>,
    /// file modification time, seconds since the epoch
    pub modified_unix: i64,
    /// `deep` only: None when the etcd snapshot inside passed its integrity hash, else why not
    pub problem: Option<String>,
    /// `deep` only: whether the archive holds a state file
    pub has_state: bool,
    /// the file is an age file (`--encrypt`)
    #[serde(default)]
    pub encrypted: bool,
}

impl Copy {
    /// Creation time: the manifest's, else the file's.
    pub fn created_unix(&self) -> i64 {
        self.manifest.as_ref().map(|m| m.created_unix).unwrap_or(self.modified_unix)
    }
}

impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "ok" => Ok(Checksum::Ok),
            "mismatch" => Ok(Checksum::Mismatch),
            "no_manifest" => Ok(Checksum::NoManifest),
            other => Err(serde::de::Error::custom(format!("unknown checksum status {other}"))),
        }
    }
}

/// The result line of an agent's output, if it printed one.
pub fn parse_result(output: &str) -> Option<anyhow::Result<JobResult>> {
    let line = output.lines().rev().find_map(|l| l.trim_end().strip_prefix(RESULT_PREFIX))?;
    Some(serde_json::from_str(line).map_err(|e| anyhow::anyhow!("unreadable agent result ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_and_results_round_trip_and_the_result_line_is_found_among_logs() {
        let j = Job::Delete { names: vec!["a".into()] };
        let back: Job = serde_json::from_str(&serde_json::to_string(&j).unwrap()).unwrap();
        assert_eq!(back.kind(), "delete");
        let r = JobResult::Inspected {
            copies: vec![Copy {
                name: "s".into(),
                layout: Layout::Zip,
                size: 3,
                sha256: "ab".into(),
                checksum: Checksum::NoManifest,
                manifest: None,
                modified_unix: 5,
                problem: None,
                has_state: false,
                encrypted: false,
            }],
            missing: vec![],
        };
        let out = format!("some log\n{RESULT_PREFIX}{}\nmore log\n", serde_json::to_string(&r).unwrap());
        match parse_result(&out).unwrap().unwrap() {
            JobResult::Inspected { copies, .. } => assert_eq!(copies[0].checksum, Checksum::NoManifest),
            other => panic!("{other:?}"),
        }
        assert!(parse_result("no result here").is_none());
    }

    #[test]
    fn a_save_jobs_debug_never_shows_the_state_it_carries() {
        let j = SaveJob {
            name: "n".into(),
            cluster: "c".into(),
            address: "127.0.0.1".into(),
            port: 2379,
            ca_file: String::new(),
            cert_file: String::new(),
            key_file: String::new(),
            state: Some("-----BEGIN RSA PRIVATE KEY----- secret".into()),
            stall_timeout_secs: 1,
            encrypt: None,
            copy: None,
            s3: None,
        };
        let shown = format!("{:?}", Job::Save(j));
        assert!(!shown.contains("PRIVATE KEY") && shown.contains("<38 bytes>"), "{shown}");
    }
}
