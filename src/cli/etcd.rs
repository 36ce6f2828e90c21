//! `stockade etcd ...`: flags only; the work is `ops::snapshot`.
use super::connect::ConnectArgs;
use super::{Output, Progress};
use crate::config::secret::Secret;
use crate::ops::snapshot::{self, restore::RestoreOptions, SnapshotOptions};
use crate::ui::Ui;
use anyhow::Result;
use std::time::Duration;

#[derive(clap::Subcommand, Debug)]
pub enum Etcd {
    /// Take a snapshot on a healthy etcd member and keep a verified copy on every etcd host
    SnapshotSave(SaveArgs),
    /// Restore every etcd member from a snapshot, then bring the cluster back with `up`
    SnapshotRestore(RestoreArgs),
    /// List, delete and prune snapshots on the etcd hosts
    #[command(subcommand)]
    Snapshot(SnapshotCmd),
}

#[derive(clap::Args, Debug)]
pub struct SaveArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub s3: S3Args,
    /// Snapshot name (default rke_etcd_snapshot_<time>); `.zip` is optional
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub progress: Progress,
    /// Encrypt the snapshot with age on the etcd hosts, with the passphrase in
    /// STOCKADE_SNAPSHOT_PASSPHRASE or --passphrase-file (or use --encrypt-recipient)
    #[arg(long)]
    pub encrypt: bool,
    /// Encrypt to this age public key (age1…, from `age-keygen`); repeatable; implies --encrypt
    #[arg(long, value_name = "RECIPIENT")]
    pub encrypt_recipient: Vec<String>,
    /// File holding the encryption passphrase (first line); implies --encrypt
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<std::path::PathBuf>,
    /// TCP port the etcd hosts copy the snapshot to each other on, host to host, mutual TLS with
    /// the cluster's etcd certificates; 0: copy through this machine's SSH connections instead
    /// (also what happens when the port cannot be reached)
    #[arg(long, value_name = "PORT", default_value_t = snapshot::save::DEFAULT_COPY_PORT)]
    pub copy_port: u16,
}

/// RKE1's S3 flags; cluster.yml's `services.etcd.backup_config.s3backupconfig` fills what is not
/// given. Keys may also come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; none at all means the
/// etcd hosts' instance role.
#[derive(clap::Args, Debug)]
pub struct S3Args {
    /// Also upload to (save) or fetch from (restore) S3
    #[arg(long)]
    pub s3: bool,
    /// S3 endpoint (host[:port] or URL); default AWS
    #[arg(long, value_name = "ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// PEM file of the CA that signed the endpoint's certificate
    #[arg(long, value_name = "FILE")]
    pub s3_endpoint_ca: Option<std::path::PathBuf>,
    /// S3 access key
    #[arg(long, value_name = "KEY", env = "STOCKADE_S3_ACCESS_KEY", hide_env_values = true, value_parser = secret)]
    pub access_key: Option<Secret>,
    /// S3 secret key (prefer the environment: command lines are visible to other users)
    #[arg(long, value_name = "KEY", env = "STOCKADE_S3_SECRET_KEY", hide_env_values = true, value_parser = secret)]
    pub secret_key: Option<Secret>,
    #[arg(long, value_name = "NAME")]
    pub bucket_name: Option<String>,
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Key prefix in the bucket
    #[arg(long, value_name = "FOLDER")]
    pub folder: Option<String>,
}

/// A flag's value held as a `Secret` from the moment it is parsed (never Debug-printed).
fn secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
}

impl S3Args {
    fn flags(&self) -> snapshot::s3::S3Flags {
        snapshot::s3::S3Flags {
            s3: self.s3,
            endpoint: self.s3_endpoint.clone(),
            endpoint_ca: self.s3_endpoint_ca.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            bucket: self.bucket_name.clone(),
            region: self.region.clone(),
            folder: self.folder.clone(),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub s3: S3Args,
    /// Snapshot to restore, with or without `.zip` (as `stockade etcd snapshot ls` lists it)
    #[arg(long)]
    pub name: String,
    /// Keep the local state file instead of the one stored in the snapshot
    #[arg(long)]
    pub use_local_state: bool,
    /// Copy the snapshot to the etcd hosts that lack it (and S3 cannot supply it) from a copy on
    /// another etcd host that verifies against its manifest — a recurring snapshot is on one host
    /// only. Without it, such a restore is refused before anything stops
    #[arg(long)]
    pub copy_missing: bool,
    #[command(flatten)]
    pub progress: Progress,
    /// age identity file (`age-keygen` output) to decrypt an encrypted snapshot
    #[arg(long, value_name = "FILE")]
    pub decrypt_identity: Option<std::path::PathBuf>,
    /// File holding the passphrase of an encrypted snapshot (or set STOCKADE_SNAPSHOT_PASSPHRASE)
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<std::path::PathBuf>,
    /// Seconds etcd members get to report healthy
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub etcd_health_timeout: u64,
    /// Seconds each Kubernetes component gets to answer /healthz
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub health_timeout: u64,
}

#[derive(clap::Subcommand, Debug)]
pub enum SnapshotCmd {
    /// Every snapshot on every etcd host: size, age, checksum (ok / mismatch / no manifest)
    Ls {
        #[command(flatten)]
        connect: ConnectArgs,
        /// Output format: a table, or JSON events one per line (the list is one `snapshots` event)
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Delete a snapshot from every etcd host
    Delete {
        #[command(flatten)]
        connect: ConnectArgs,
        /// Snapshot name, with or without `.zip`
        name: String,
        /// Output format: text, or JSON events one per line on stdout, the outcome last
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Keep only the newest K snapshots on every etcd host
    Prune {
        #[command(flatten)]
        connect: ConnectArgs,
        #[arg(long, value_name = "K")]
        retention: usize,
        /// Output format: text, or JSON events one per line on stdout, the outcome last
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
}

fn opts(cli: &super::Cli, c: &ConnectArgs) -> SnapshotOptions {
    SnapshotOptions { config_path: cli.config_path(), connect: c.settings() }
}

pub fn name(cmd: &Etcd) -> &'static str {
    match cmd {
        Etcd::SnapshotSave(_) => "etcd snapshot-save",
        Etcd::SnapshotRestore(_) => "etcd snapshot-restore",
        Etcd::Snapshot(SnapshotCmd::Ls { .. }) => "etcd snapshot ls",
        Etcd::Snapshot(SnapshotCmd::Delete { .. }) => "etcd snapshot delete",
        Etcd::Snapshot(SnapshotCmd::Prune { .. }) => "etcd snapshot prune",
    }
}

pub fn progress(cmd: &Etcd) -> Progress {
    match cmd {
        Etcd::SnapshotSave(a) => a.progress,
        Etcd::SnapshotRestore(a) => a.progress,
        Etcd::Snapshot(SnapshotCmd::Ls { output, .. } | SnapshotCmd::Delete { output, .. } | SnapshotCmd::Prune { output, .. }) => Progress::output(*output),
    }
}

pub async fn run(cli: &super::Cli, cmd: &Etcd, ui: &Ui) -> Result<()> {
    match cmd {
        Etcd::SnapshotSave(a) => {
            let crypt = snapshot::crypt::EncryptFlags { encrypt: a.encrypt, recipients: a.encrypt_recipient.clone(), passphrase_file: a.passphrase_file.clone() };
            snapshot::save::run(&opts(cli, &a.connect), a.name.as_deref(), &a.s3.flags(), &crypt, a.copy_port, ui).await.map(|_| ())
        }
        Etcd::SnapshotRestore(a) => {
            let o = RestoreOptions {
                snapshot: opts(cli, &a.connect),
                name: a.name.clone(),
                use_local_state: a.use_local_state,
                etcd_health_timeout: Duration::from_secs(a.etcd_health_timeout),
                health_timeout: Duration::from_secs(a.health_timeout),
                decrypt: snapshot::crypt::DecryptFlags { identity_file: a.decrypt_identity.clone(), passphrase_file: a.passphrase_file.clone() },
                declared: false,
                copy_missing: a.copy_missing,
            };
            snapshot::restore::run(&o, &a.s3.flags(), ui).await
        }
        Etcd::Snapshot(SnapshotCmd::Ls { connect, output }) => {
            let out = if *output == Output::Json { snapshot::Output::Json } else { snapshot::Output::Text };
            snapshot::list(&opts(cli, connect), out, ui).await
        }
        Etcd::Snapshot(SnapshotCmd::Delete { connect, name, .. }) => snapshot::delete(&opts(cli, connect), name, ui).await,
        Etcd::Snapshot(SnapshotCmd::Prune { connect, retention, .. }) => snapshot::prune(&opts(cli, connect), *retention, ui).await,
    }
}
