//! The S3 copy of etcd snapshots: upload, download, list, head and delete of objects under
//! `<bucket>/<folder>/`, through `object_store` (reqwest on rustls with aws-lc-rs).
//!
//! This is the one part of `snapshot` that does I/O; it sits beside `transport` (it talks to S3
//! over HTTP(S), never to the cluster's hosts) and uses nothing above it. It runs wherever the
//! snapshot bytes are: in the agent on an etcd host for save and restore, and in the CLI for
//! `snapshot ls`/`delete`/`prune`.
//!
//! What RKE1 (rke-tools, minio-go) does and this keeps (rke.md §6):
//! - object key `<folder>/<name>`, or `<name>` with no folder;
//! - `endpoint` is `host[:port]` and means HTTPS (a scheme is accepted too, `http://` for a test
//!   server); no endpoint or `s3.amazonaws.com` means AWS, addressed virtual-hosted style
//!   (path style for bucket names with dots, which the `*.s3` certificate does not cover); other
//!   endpoints (MinIO, Ceph, Garage...) path style, except Aliyun OSS, which only takes
//!   virtual-hosted style;
//! - `custom_ca` (PEM) is trusted for the endpoint in addition to the system roots;
//! - credentials: explicit keys; else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
//!   (/`AWS_SESSION_TOKEN`) from the environment; both empty means the host's instance role
//!   (IMDS; also a web identity token or a container credentials URI when the usual `AWS_*`
//!   variables for them are set).
//!
//! Every call has a deadline that covers the body (`S3Timeouts`), a no-progress timeout, and
//! retries transient failures (5xx, dropped or refused connections, timeouts of safe requests)
//! with exponential backoff. Errors name the operation, `s3://bucket/key`, the endpoint and the
//! likely fix; no access key, secret key or session token ever appears in an error, a log line or
//! `Debug` output (errors are additionally scrubbed of the key values, see `Scrub`).
use std::fmt;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjPath;
use object_store::{
    Attribute, Attributes, BackoffConfig, Certificate, ClientOptions, MultipartUpload, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, RetryConfig,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::config::schema::S3BackupConfig;
use crate::config::secret::Secret;

/// RKE1's default endpoint (`--s3-endpoint` default), which means AWS.
pub const AWS_ENDPOINT: &str = "s3.amazonaws.com";
/// Region used when none is given (what AWS calls the default; MinIO and Garage accept it).
pub const DEFAULT_REGION: &str = "us-east-1";

/// Where and as whom to reach the bucket: RKE1's `s3backupconfig` fields (and the
/// `--s3-*`/`--access-key`/`--secret-key`/`--bucket-name`/`--region`/`--folder` flags).
/// Serializable (keys included, as `Secret` serializes its value) so that the CLI can hand the
/// settings to the agent on an etcd host over a private channel (stdin, a 0600 file), never
/// through a container's command line or environment.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct S3Settings {
    /// `host[:port]` (HTTPS) or a URL with scheme; None, empty or `s3.amazonaws.com` = AWS.
    pub endpoint: Option<String>,
    /// PEM of a CA that signed the endpoint's certificate (`custom_ca`, `--s3-endpoint-ca`).
    pub endpoint_ca_pem: Option<String>,
    pub access_key: Secret,
    pub secret_key: Secret,
    /// Temporary credentials' token (`AWS_SESSION_TOKEN`); usually empty.
    pub session_token: Secret,
    pub bucket: String,
    /// Empty = `us-east-1`.
    pub region: String,
    /// Key prefix without leading or trailing `/`; empty = the bucket's root.
    pub folder: String,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field(
                "endpoint_ca_pem",
                &self
                    .endpoint_ca_pem
                    .as_ref()
                    .map(|p| format!("<{} bytes of PEM>", p.len())),
            )
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("session_token", &self.session_token)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("folder", &self.folder)
            .finish()
    }
}

impl S3Settings {
    /// From cluster.yml's `services.etcd.backup_config.s3backupconfig`.
    pub fn from_config(c: &S3BackupConfig) -> S3Settings {
        S3Settings {
            endpoint: c.endpoint.clone().filter(|e| !e.trim().is_empty()),
            endpoint_ca_pem: c.custom_ca.clone().filter(|p| !p.trim().is_empty()),
            access_key: c.access_key.clone().unwrap_or_default(),
            secret_key: c.secret_key.clone().unwrap_or_default(),
            session_token: Secret::default(),
            bucket: c.bucket_name.clone().unwrap_or_default(),
            region: c.region.clone().unwrap_or_default(),
            folder: c.folder.clone().unwrap_or_default(),
        }
    }

    /// The folder as it appears in keys: no leading or trailing `/`.
    pub fn folder(&self) -> &str {
        self.folder.trim_matches('/')
    }

    /// Object key of `name` (a file name such as `<snapshot>.zip`): `<folder>/<name>`, as rke-tools.
    pub fn object_key(&self, name: &str) -> Result<String> {
        let n = name.trim_matches('/');
        if n.is_empty() || n.split('/').any(|p| p.is_empty() || p == "." || p == "..") {
            bail!("S3 object name {name:?} is empty or has an empty, '.' or '..' path segment");
        }
        if let Some(c) = n.chars().find(|c| c.is_control()) {
            bail!("S3 object name {name:?} contains the control character {c:?}");
        }
        let folder = self.folder();
        Ok(if folder.is_empty() {
            n.to_string()
        } else {
            format!("{folder}/{n}")
        })
    }

    /// `s3://bucket/key` for messages.
    pub fn url_of(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// Checks that need no network: one line naming the setting to fix.
    pub fn validate(&self) -> Result<()> {
        let b = &self.bucket;
        if b.trim().is_empty() {
            bail!("S3 bucket name is empty: set s3backupconfig.bucket_name (or --bucket-name)");
        }
        if b.contains('/') || b.chars().any(|c| c.is_whitespace() || c.is_control()) {
            bail!("S3 bucket name {b:?} is not a bucket name (no '/', spaces or control characters)");
        }
        if self.folder().split('/').any(|p| p == "." || p == "..")
            || (!self.folder().is_empty() && self.folder().split('/').any(str::is_empty))
        {
            bail!(
                "S3 folder {:?} has an empty, '.' or '..' path segment",
                self.folder
            );
        }
        if self.access_key.is_empty() != self.secret_key.is_empty() {
            bail!(
                "S3 {} is set but {} is empty: give both keys, or neither to use the host's instance role",
                if self.access_key.is_empty() {
                    "secret_key"
                } else {
                    "access_key"
                },
                if self.access_key.is_empty() {
                    "access_key"
                } else {
                    "secret_key"
                }
            );
        }
        Endpoint::parse(self.endpoint.as_deref(), b)?;
        if let Some(pem) = &self.endpoint_ca_pem {
            parse_ca(pem)?;
        }
        Ok(())
    }
}

/// How requests reach the bucket, from RKE1's `endpoint` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// AWS S3 itself (`https://<bucket>.s3.<region>.amazonaws.com`, or path style for dotted
    /// buckets); `region` when the endpoint named one (`s3.<region>.amazonaws.com`).
    Aws {
        virtual_hosted: bool,
        region: Option<String>,
    },
    /// Any other S3 server. `url` is the base URL requests go to: for path style the server's
    /// (`https://host:port`), for virtual-hosted style the bucket's (`https://bucket.host`).
    Custom { url: String, virtual_hosted: bool },
}

impl Endpoint {
    pub fn parse(endpoint: Option<&str>, bucket: &str) -> Result<Endpoint> {
        let e = endpoint.map(str::trim).unwrap_or("");
        let (scheme, rest) = match e.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("https".to_string(), e),
        };
        if scheme != "https" && scheme != "http" {
            bail!(
                "S3 endpoint {e:?}: scheme {scheme:?} is not http or https (RKE1's form is host[:port], which means https)"
            );
        }
        let host_port = rest.trim_end_matches('/');
        if host_port.contains('/') || host_port.contains('?') || host_port.contains('@') {
            bail!(
                "S3 endpoint {e:?} must be host[:port] (optionally with http:// or https://), without a path"
            );
        }
        let host = match host_port.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host_port,
        };
        let host_lc = host.to_ascii_lowercase();
        if host_port.is_empty() || (host_lc == AWS_ENDPOINT && scheme == "https") {
            return Ok(Endpoint::Aws {
                virtual_hosted: !bucket.contains('.'),
                region: None,
            });
        }
        // a regional AWS endpoint: s3.<region>.amazonaws.com or the older s3-<region>.amazonaws.com
        let regional = host_lc
            .strip_suffix(".amazonaws.com")
            .and_then(|h| h.strip_prefix("s3.").or_else(|| h.strip_prefix("s3-")))
            .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if let (Some(r), "https") = (regional, scheme.as_str()) {
            return Ok(Endpoint::Aws {
                virtual_hosted: !bucket.contains('.'),
                region: Some(r.to_string()),
            });
        }
        // Aliyun OSS refuses path-style requests (rke-tools makes the same exception).
        if host_lc.contains("aliyun") {
            return Ok(Endpoint::Custom {
                url: format!("{scheme}://{bucket}.{host_port}"),
                virtual_hosted: true,
            });
        }
        Ok(Endpoint::Custom {
            url: format!("{scheme}://{host_port}"),
            virtual_hosted: false,
        })
    }

    /// The base URL in messages.
    pub fn describe(&self, region: &str) -> String {
        match self {
            Endpoint::Aws { .. } => format!("AWS S3 ({region})"),
            Endpoint::Custom { url, .. } => url.clone(),
        }
    }
}

fn parse_ca(pem: &str) -> Result<Vec<Certificate>> {
    let certs = Certificate::from_pem_bundle(pem.as_bytes())
        .map_err(|e| anyhow!("S3 endpoint CA (custom_ca / --s3-endpoint-ca) is not PEM certificates: {e}"))?;
    if certs.is_empty() {
        bail!("S3 endpoint CA (custom_ca / --s3-endpoint-ca) holds no PEM certificate");
    }
    Ok(certs)
}

/// Where the credentials come from; named in errors so the fix is obvious.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// cluster.yml or the command line
    Explicit,
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
    Environment,
    /// the host's role (instance metadata, web identity or container credentials)
    InstanceRole,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialSource::Explicit => "access_key/secret_key from the configuration",
            CredentialSource::Environment => "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment",
            CredentialSource::InstanceRole => "the host's instance role (both keys empty)",
        })
    }
}

/// Credentials after the fallbacks, plus the non-secret `AWS_*` settings that let the instance
/// role be a web identity or container role (IRSA, EKS pod identity, ECS).
struct Credentials {
    source: CredentialSource,
    access_key: Secret,
    secret_key: Secret,
    token: Secret,
    role_settings: Vec<(AmazonS3ConfigKey, String)>,
}

/// The `AWS_*` variables that choose a role provider when no keys are given. Nothing else is taken
/// from the environment: endpoint, bucket and region come from the configuration only.
const ROLE_ENV: &[&str] = &[
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_STS_ENDPOINT",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_METADATA_ENDPOINT",
    "AWS_IMDSV1_FALLBACK",
];

fn resolve_credentials(s: &S3Settings, env: &dyn Fn(&str) -> Option<String>) -> Result<Credentials> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    if !s.access_key.is_empty() || !s.secret_key.is_empty() {
        return Ok(Credentials {
            source: CredentialSource::Explicit,
            access_key: s.access_key.clone(),
            secret_key: s.secret_key.clone(),
            token: s.session_token.clone(),
            role_settings: vec![],
        });
    }
    match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        (Some(a), Some(k)) => {
            return Ok(Credentials {
                source: CredentialSource::Environment,
                access_key: Secret::new(a),
                secret_key: Secret::new(k),
                token: Secret::new(get("AWS_SESSION_TOKEN").unwrap_or_default()),
                role_settings: vec![],
            });
        }
        (Some(_), None) => bail!(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to use the instance role"
        ),
        (None, Some(_)) => bail!(
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or neither to use the instance role"
        ),
        (None, None) => {}
    }
    let mut role_settings = vec![];
    for k in ROLE_ENV {
        if let Some(v) = get(k) {
            let key: AmazonS3ConfigKey = k.to_ascii_lowercase().parse().map_err(|e| anyhow!("{k}: {e}"))?;
            role_settings.push((key, v));
        }
    }
    Ok(Credentials {
        source: CredentialSource::InstanceRole,
        access_key: Secret::default(),
        secret_key: Secret::default(),
        token: Secret::default(),
        role_settings,
    })
}

/// Deadlines of every call. Each covers the whole exchange, response body included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Timeouts {
    /// A whole `upload` or `download_to`, first byte to last.
    pub transfer: Duration,
    /// `list`, `head`, `delete` (all pages of a listing together).
    pub request: Duration,
    /// No progress for this long is a stall: no response byte read (every response; a stalled
    /// request is retried, a download resumes where it stopped, and fails after `2 × idle`
    /// without a byte), or S3 accepting no further part while an upload waits for one (with the
    /// default 8 MiB parts this needs about 140 KiB/s).
    pub idle: Duration,
    /// Establishing one connection (TCP + TLS).
    pub connect: Duration,
}

impl Default for S3Timeouts {
    fn default() -> Self {
        S3Timeouts {
            transfer: Duration::from_secs(30 * 60),
            request: Duration::from_secs(60),
            idle: Duration::from_secs(60),
            connect: Duration::from_secs(10),
        }
    }
}

/// Room a job keeps after its transfer deadline, in `request`s: the abort of an unfinished
/// multipart upload or the final size check, the manifest's small upload and its check, and the
/// delete of an object that turned out not to match.
const AFTER_TRANSFER_REQUESTS: u32 = 4;
/// What the agent container needs to start and to report, out of the job's deadline.
pub const JOB_START_MARGIN: Duration = Duration::from_secs(15);

impl S3Timeouts {
    /// Timeouts that fit inside a job deadline `job` (`services.etcd.backup_config.timeout`, the
    /// time the CLI waits before it removes the agent container): the transfer's own deadline
    /// fires first, so the agent still aborts an unfinished multipart upload (no parts are left
    /// behind) and reports why, instead of being killed mid-upload. Never longer than the
    /// defaults. `transfer + 4 × request + JOB_START_MARGIN ≤ job` whenever `job ≥ 20 s`.
    pub fn within(job: Duration) -> S3Timeouts {
        let d = S3Timeouts::default();
        let usable = job.saturating_sub(JOB_START_MARGIN).max(Duration::from_secs(4));
        // a tenth of the budget per short request (at most the default), at least 1 s
        let request = (usable / 10).clamp(Duration::from_secs(1), d.request);
        let transfer = usable.saturating_sub(request * AFTER_TRANSFER_REQUESTS).max(Duration::from_secs(1)).min(d.transfer);
        S3Timeouts {
            transfer,
            request,
            idle: d.idle.min(transfer),
            connect: d.connect.min(request),
        }
    }

    /// The budget one whole job of `transfer` plus the requests around it takes.
    pub fn job_budget(&self) -> Duration {
        self.transfer + self.request * AFTER_TRANSFER_REQUESTS
    }
}

/// Multipart upload shape. Memory held by one upload is at most
/// `part_size × (concurrency + 1)`: one part being filled and up to `concurrency` parts in flight
/// (24 MiB with the defaults), whatever the object's size; the reader is read straight into the
/// part being filled.
/// Objects smaller than one part go up as a single PUT. S3 allows 10 000 parts, so the largest
/// object is `part_size × 10 000` (80 GiB with the defaults; etcd's own limit is 8 GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadShape {
    pub part_size: usize,
    pub concurrency: usize,
}

/// S3's smallest allowed part (except the last).
pub const MIN_PART_SIZE: usize = 5 << 20;

impl Default for UploadShape {
    fn default() -> Self {
        UploadShape {
            part_size: 8 << 20,
            concurrency: 2,
        }
    }
}

const READ_BUF: usize = 256 << 10;

/// What an upload sent (and S3 then reported holding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub key: String,
    pub size: u64,
    /// lowercase hex sha256 of the bytes read from the reader
    pub sha256: String,
}

/// What a download wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

/// One object under the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The key with the folder removed (what `upload`/`download_to` take as `name`).
    pub name: String,
    pub key: String,
    pub size: u64,
    pub last_modified: OffsetDateTime,
    /// The server's ETag (for a multipart upload S3 servers answer `"<md5 of part md5s>-<parts>"`).
    pub e_tag: Option<String>,
}

/// A bucket folder on an S3 server, ready for calls.
pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    settings: S3Settings,
    endpoint: Endpoint,
    region: String,
    credential_source: CredentialSource,
    timeouts: S3Timeouts,
    shape: UploadShape,
    scrub: Scrub,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("settings", &self.settings)
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credential_source)
            .field("timeouts", &self.timeouts)
            .field("shape", &self.shape)
            .finish()
    }
}

impl S3Store {
    /// A store with the default timeouts and upload shape; credentials fall back to the
    /// process environment (see the module doc). Does no network I/O.
    pub fn new(settings: &S3Settings) -> Result<S3Store> {
        Self::with_options(settings, S3Timeouts::default(), UploadShape::default(), &|k| {
            std::env::var(k).ok()
        })
    }

    /// Like `new`, with explicit timeouts, upload shape and environment lookup.
    pub fn with_options(
        settings: &S3Settings,
        timeouts: S3Timeouts,
        shape: UploadShape,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<S3Store> {
        settings.validate()?;
        if shape.part_size < MIN_PART_SIZE || shape.concurrency == 0 {
            bail!("S3 upload parts must be at least 5 MiB and concurrency at least 1");
        }
        let creds = resolve_credentials(settings, env)?;
        let endpoint = Endpoint::parse(settings.endpoint.as_deref(), &settings.bucket)?;
        let region = match (settings.region.trim(), &endpoint) {
            ("", Endpoint::Aws { region: Some(r), .. }) => r.clone(),
            ("", _) => DEFAULT_REGION.to_string(),
            (r, _) => r.to_string(),
        };

        // reqwest's overall timeout is a backstop per request (a download is one request);
        // the calls below enforce the real deadlines. read_timeout is the no-progress timeout on
        // every response body.
        let mut client = ClientOptions::new()
            .with_timeout(timeouts.transfer)
            .with_connect_timeout(timeouts.connect)
            .with_read_timeout(timeouts.idle);
        if let Some(pem) = &settings.endpoint_ca_pem {
            for c in parse_ca(pem)? {
                client = client.with_root_certificate(c);
            }
        }
        // Retried: 5xx, connection errors, timeouts of safe requests. Few and short, so that a
        // dead endpoint is reported with its cause well inside the call's deadline.
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(200),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: 5,
            retry_timeout: timeouts.request.min(Duration::from_secs(120)),
        };
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&region)
            .with_retry(retry);
        b = match &endpoint {
            Endpoint::Aws { virtual_hosted, .. } => b.with_virtual_hosted_style_request(*virtual_hosted),
            Endpoint::Custom { url, virtual_hosted } => {
                client = client.with_allow_http(url.starts_with("http://"));
                b.with_endpoint(url)
                    .with_virtual_hosted_style_request(*virtual_hosted)
            }
        };
        b = b.with_client_options(client);
        if creds.source != CredentialSource::InstanceRole {
            b = b
                .with_access_key_id(creds.access_key.expose())
                .with_secret_access_key(creds.secret_key.expose());
            if !creds.token.is_empty() {
                b = b.with_token(creds.token.expose());
            }
        }
        for (k, v) in &creds.role_settings {
            b = b.with_config(*k, v);
        }
        let scrub = Scrub::new(&[&creds.access_key, &creds.secret_key, &creds.token]);
        let store = b.build().map_err(|e| {
            anyhow!(
                "S3 bucket {} at {}: {}",
                settings.bucket,
                endpoint.describe(&region),
                scrub.clean(&e.to_string())
            )
        })?;
        Ok(S3Store {
            store: Arc::new(store),
            settings: settings.clone(),
            endpoint,
            region,
            credential_source: creds.source,
            timeouts,
            shape,
            scrub,
        })
    }

    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    pub fn timeouts(&self) -> S3Timeouts {
        self.timeouts
    }

    /// Object key of `name` under the folder.
    pub fn key(&self, name: &str) -> Result<String> {
        self.settings.object_key(name)
    }

    fn path(&self, key: &str) -> Result<ObjPath> {
        ObjPath::parse(key).map_err(|e| anyhow!("S3 object key {key:?} is not usable: {e}"))
    }

    /// The folder as a listing prefix, parsed like the object keys (not percent-encoded) so that it
    /// matches them; an unusable folder is an error, never the bucket's root.
    fn folder_path(&self) -> Result<Option<ObjPath>> {
        match self.settings.folder() {
            "" => Ok(None),
            f => ObjPath::parse(f)
                .map(Some)
                .map_err(|e| anyhow!("S3 folder {f:?} is not usable: {e}")),
        }
    }

    /// Streams `reader` to `<folder>/<name>` as a multipart upload (memory bounded, see
    /// `UploadShape`; an object smaller than one part is a single PUT), hashing as it goes; then
    /// checks that S3 holds an object of the size sent. On any failure, the deadline included,
    /// the multipart upload is aborted so no parts are left behind. Not retried as a whole (the
    /// reader cannot be rewound); every request (each part) is retried.
    pub async fn upload<R: AsyncRead + Unpin>(&self, name: &str, mut reader: R) -> Result<Uploaded> {
        let key = self.key(name)?;
        let path = self.path(&key)?;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type(name).into());
        // outside the timed future so that it can still be aborted when the deadline drops that
        let mut multipart: Option<Box<dyn MultipartUpload>> = None;
        let send = self.send(&path, &mut reader, attributes, &mut multipart);
        let res = match tokio::time::timeout(self.timeouts.transfer, send).await {
            Ok(r) => r,
            Err(_) => Err(anyhow!(Failure::Deadline(self.timeouts.transfer))),
        };
        let (size, sha256) = match res {
            Ok(v) => v,
            Err(e) => {
                if let Some(mut up) = multipart {
                    // best effort and bounded: the original error is what the caller needs
                    let _ = tokio::time::timeout(self.timeouts.request, up.abort()).await;
                }
                return Err(self.fail("upload", &key, e));
            }
        };
        // never report an upload we did not see arrive
        let meta = self
            .deadline(self.store.head(&path))
            .await
            .map_err(|e| self.fail("check of the uploaded object", &key, e))?;
        if meta.size != size {
            bail!(
                "S3 upload of {} ({}): S3 holds {} bytes but {} were sent; the upload is not complete",
                self.settings.url_of(&key),
                self.endpoint.describe(&self.region),
                meta.size,
                size
            );
        }
        Ok(Uploaded { key, size, sha256 })
    }

    /// The body of `upload`: reads part after part into one buffer while at most `concurrency`
    /// earlier parts are in flight (spawned, so they progress while the reader is slow).
    async fn send<R: AsyncRead + Unpin>(
        &self,
        path: &ObjPath,
        reader: &mut R,
        attributes: Attributes,
        multipart: &mut Option<Box<dyn MultipartUpload>>,
    ) -> Result<(u64, String)> {
        let part_size = self.shape.part_size;
        let idle = self.timeouts.idle;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut in_flight: JoinSet<object_store::Result<()>> = JoinSet::new();
        let mut attributes = Some(attributes);
        loop {
            let part = read_part(reader, part_size, idle, &mut hasher).await?;
            let last = part.len() < part_size;
            size += part.len() as u64;
            if multipart.is_none() {
                if last {
                    // the whole object fits in one part: one PUT
                    let opts = PutOptions {
                        attributes: attributes.take().unwrap_or_default(),
                        ..Default::default()
                    };
                    self.store
                        .put_opts(path, PutPayload::from(Bytes::from(part)), opts)
                        .await?;
                    return Ok((size, hex(&hasher.finalize())));
                }
                let opts = PutMultipartOptions {
                    attributes: attributes.take().unwrap_or_default(),
                    ..Default::default()
                };
                *multipart = Some(self.store.put_multipart_opts(path, opts).await?);
            }
            let up = multipart.as_mut().expect("multipart upload started above");
            while in_flight.len() >= self.shape.concurrency {
                wait_part(&mut in_flight, idle).await?;
            }
            if !part.is_empty() {
                in_flight.spawn(up.put_part(PutPayload::from(Bytes::from(part))));
            }
            if last {
                break;
            }
        }
        while !in_flight.is_empty() {
            wait_part(&mut in_flight, idle).await?;
        }
        let up = multipart.as_mut().expect("multipart upload started above");
        up.complete().await?;
        // completed: nothing left to abort
        *multipart = None;
        Ok((size, hex(&hasher.finalize())))
    }

    /// Downloads `<folder>/<name>` to `dest` through a temporary file beside it (mode 0600),
    /// renamed into place only once every byte arrived and the size matches what S3 announced.
    pub async fn download_to(&self, name: &str, dest: &FsPath) -> Result<Downloaded> {
        let key = self.key(name)?;
        let path = self.path(&key)?;
        let file_name = dest.file_name().ok_or_else(|| {
            anyhow!(
                "download of {key}: destination {} has no file name",
                dest.display()
            )
        })?;
        let tmp = dest.with_file_name(format!(".{}.s3-partial", file_name.to_string_lossy()));
        let idle = self.timeouts.idle;
        let fetch = async {
            let got = self.store.get(&path).await.map_err(anyhow::Error::from)?;
            let expected = got.meta.size;
            let mut body = got.into_stream();
            let mut f = open_private(&tmp)
                .await
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            loop {
                // reqwest's read timeout (`idle`) notices a stall first and object_store resumes the
                // body with a range request; this catches a resume that makes no progress either
                let chunk = match tokio::time::timeout(2 * idle, body.next()).await {
                    Err(_) => bail!(Failure::Stalled(2 * idle)),
                    Ok(None) => break,
                    Ok(Some(c)) => c?,
                };
                hasher.update(&chunk);
                size += chunk.len() as u64;
                f.write_all(&chunk)
                    .await
                    .with_context(|| format!("cannot write {}", tmp.display()))?;
            }
            f.sync_all()
                .await
                .with_context(|| format!("cannot sync {}", tmp.display()))?;
            drop(f);
            if size != expected {
                bail!("S3 announced {expected} bytes but sent {size}");
            }
            Ok((size, hex(&hasher.finalize())))
        };
        let res = match tokio::time::timeout(self.timeouts.transfer, fetch).await {
            Ok(r) => r,
            Err(_) => Err(anyhow!(Failure::Deadline(self.timeouts.transfer))),
        };
        let (size, sha256) = match res {
            Ok(v) => v,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(self.fail("download", &key, e));
            }
        };
        if let Err(e) = tokio::fs::rename(&tmp, dest).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(anyhow!(
                "download of {key}: cannot move {} to {}: {e}",
                tmp.display(),
                dest.display()
            ));
        }
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            // make the rename durable; a failure here loses nothing already written
            if let Ok(d) = tokio::fs::File::open(dir).await {
                let _ = d.sync_all().await;
            }
        }
        Ok(Downloaded { key, size, sha256 })
    }

    /// Objects directly under the folder (not in sub-folders: with no folder that would be
    /// every other folder's snapshots too), sorted by name.
    pub async fn list(&self) -> Result<Vec<ObjectInfo>> {
        let folder = self.folder_path()?;
        let listed = self
            .deadline(self.store.list_with_delimiter(folder.as_ref()))
            .await
            .map_err(|e| self.fail("list", &format!("{}/", self.settings.folder()), e))?;
        let prefix = match self.settings.folder() {
            "" => String::new(),
            f => format!("{f}/"),
        };
        let mut out: Vec<ObjectInfo> = listed
            .objects
            .into_iter()
            .map(|m| {
                let key = m.location.to_string();
                ObjectInfo {
                    name: key.strip_prefix(&prefix).unwrap_or(&key).to_string(),
                    size: m.size,
                    last_modified: to_time(
                        m.last_modified.timestamp(),
                        m.last_modified.timestamp_subsec_nanos(),
                    ),
                    e_tag: m.e_tag,
                    key,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The object `<folder>/<name>`, or None when it does not exist (a missing bucket is an error).
    pub async fn head(&self, name: &str) -> Result<Option<ObjectInfo>> {
        let key = self.key(name)?;
        let path = self.path(&key)?;
        match self.deadline(self.store.head(&path)).await {
            Ok(m) => Ok(Some(ObjectInfo {
                name: name.trim_matches('/').to_string(),
                size: m.size,
                last_modified: to_time(
                    m.last_modified.timestamp(),
                    m.last_modified.timestamp_subsec_nanos(),
                ),
                e_tag: m.e_tag,
                key,
            })),
            Err(e) if is_not_found(&e) => {
                // HEAD answers 404 without a body for a missing bucket too: ask once more with a
                // request whose answer tells them apart
                self.deadline(self.store.list_with_delimiter(Some(&path)))
                    .await
                    .map_err(|e| self.fail("head", &key, e))?;
                Ok(None)
            }
            Err(e) => Err(self.fail("head", &key, e)),
        }
    }

    /// The whole of a small object `<folder>/<name>` (a manifest), read within one request's
    /// deadline; refused when it is larger than `max` bytes (nothing of it is kept in memory then).
    pub async fn read_small(&self, name: &str, max: usize) -> Result<Vec<u8>> {
        let key = self.key(name)?;
        let path = self.path(&key)?;
        let read = async {
            let got = self.store.get(&path).await?;
            if got.meta.size > max as u64 {
                return Ok(None);
            }
            got.bytes().await.map(|b| Some(b.to_vec()))
        };
        match self.deadline(read).await.map_err(|e| self.fail("get", &key, e))? {
            Some(b) => Ok(b),
            None => bail!("{key} is larger than {max} bytes: not a snapshot manifest"),
        }
    }

    /// Deletes `<folder>/<name>`; deleting an absent object succeeds (as S3 does).
    pub async fn delete(&self, name: &str) -> Result<()> {
        let key = self.key(name)?;
        let path = self.path(&key)?;
        match self.deadline(self.store.delete(&path)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) && s3_code(&chain_text(&e)).as_deref() != Some("NoSuchBucket") => {
                Ok(())
            }
            Err(e) => Err(self.fail("delete", &key, e)),
        }
    }

    /// Runs one short call under the `request` deadline.
    async fn deadline<T>(&self, f: impl std::future::Future<Output = object_store::Result<T>>) -> Result<T> {
        match tokio::time::timeout(self.timeouts.request, f).await {
            Ok(r) => r.map_err(anyhow::Error::from),
            Err(_) => Err(anyhow!(Failure::Deadline(self.timeouts.request))),
        }
    }

    /// One-line error: what failed, on which object and server, why, and what to do.
    fn fail(&self, op: &str, key: &str, e: anyhow::Error) -> anyhow::Error {
        let text = chain_text(&e);
        let hint = diagnose(
            &e,
            &text,
            self.credential_source,
            &self.settings.bucket,
            &self.region,
        );
        let msg = format!(
            "S3 {op} of {} ({}) failed: {}",
            self.settings.url_of(key),
            self.endpoint.describe(&self.region),
            hint
        );
        anyhow!(self.scrub.clean(&msg))
    }
}

/// Reads up to `part_size` bytes (fewer only at the end of the data), hashing them.
async fn read_part<R: AsyncRead + Unpin>(
    reader: &mut R,
    part_size: usize,
    idle: Duration,
    hasher: &mut Sha256,
) -> Result<Vec<u8>> {
    let mut part = vec![0u8; part_size];
    let mut filled = 0;
    while filled < part_size {
        let end = (filled + READ_BUF).min(part_size);
        let n = match tokio::time::timeout(idle, reader.read(&mut part[filled..end])).await {
            Err(_) => bail!(Failure::SourceStalled(idle)),
            Ok(r) => r.map_err(|e| anyhow!(Failure::Source(e.to_string())))?,
        };
        if n == 0 {
            break;
        }
        hasher.update(&part[filled..filled + n]);
        filled += n;
    }
    part.truncate(filled);
    Ok(part)
}

/// Waits for the next part in flight to finish; a part that S3 does not accept within `idle` of
/// the wait is a stall.
async fn wait_part(in_flight: &mut JoinSet<object_store::Result<()>>, idle: Duration) -> Result<()> {
    match tokio::time::timeout(idle, in_flight.join_next()).await {
        Err(_) => bail!(Failure::Stalled(idle)),
        Ok(None) => Ok(()),
        Ok(Some(Err(join))) => bail!("an upload task failed: {join}"),
        Ok(Some(Ok(r))) => r.map_err(anyhow::Error::from),
    }
}

/// Why a transfer failed on our side of the wire (deadlines, the source stream).
#[derive(Debug)]
enum Failure {
    Deadline(Duration),
    Stalled(Duration),
    SourceStalled(Duration),
    Source(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Deadline(d) => write!(f, "not finished within its deadline of {}", secs(*d)),
            Failure::Stalled(d) => write!(
                f,
                "no progress for {} (the S3 server stopped answering)",
                secs(*d)
            ),
            Failure::SourceStalled(d) => write!(f, "the data to upload made no progress for {}", secs(*d)),
            Failure::Source(e) => write!(f, "reading the data to upload failed: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn is_not_found(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<object_store::Error>(),
        Some(object_store::Error::NotFound { .. })
    )
}

/// Every message in the error's chain, outermost first.
fn chain_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = vec![];
    for c in e.chain() {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

/// The S3 error code in a response body (`<Code>NoSuchBucket</Code>`).
fn s3_code(text: &str) -> Option<String> {
    xml_field(text, "Code")
}

fn xml_field(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close)? + start;
    Some(text[start..end].trim().to_string())
}

fn status_in(text: &str) -> Option<u16> {
    let i = text.find("status code: ")? + "status code: ".len();
    text[i..].get(..3)?.parse().ok()
}

fn http_kind(e: &anyhow::Error) -> Option<object_store::client::HttpErrorKind> {
    e.chain()
        .find_map(|c| c.downcast_ref::<object_store::client::HttpError>())
        .map(|h| h.kind())
}

/// The cause in words and the likely fix. Never quotes a response body whole: S3 error bodies
/// can echo the access key id and the string that was signed.
fn diagnose(e: &anyhow::Error, text: &str, creds: CredentialSource, bucket: &str, region: &str) -> String {
    use object_store::client::HttpErrorKind as K;
    if let Some(f) = e.chain().find_map(|c| c.downcast_ref::<Failure>()) {
        return match f {
            Failure::Deadline(_) | Failure::Stalled(_) => format!(
                "{f}; check that the endpoint is reachable from here and not overloaded, or raise the timeout"
            ),
            _ => f.to_string(),
        };
    }
    let code = s3_code(text);
    let message = xml_field(text, "Message");
    let said = match (&code, &message) {
        (Some(c), Some(m)) => format!(" (S3 said {c}: {m})"),
        (Some(c), None) => format!(" (S3 said {c})"),
        _ => String::new(),
    };
    let os = e.downcast_ref::<object_store::Error>();
    let status = status_in(text);
    match code.as_deref() {
        Some("NoSuchBucket") => {
            return format!("bucket {bucket:?} does not exist there; create it or fix bucket_name{said}");
        }
        Some("InvalidAccessKeyId") => {
            return format!(
                "the access key is not known to the server; check the access key ({creds}){said}"
            );
        }
        Some("SignatureDoesNotMatch") => {
            return format!(
                "the secret key does not match the access key; check the secret key ({creds}){said}"
            );
        }
        Some("AuthorizationHeaderMalformed")
        | Some("PermanentRedirect")
        | Some("IllegalLocationConstraintException") => {
            let want = xml_field(text, "Region")
                .map(|r| format!(" (the bucket's region is {r:?})"))
                .unwrap_or_default();
            return format!("the region {region:?} is not the bucket's region{want}; set region{said}");
        }
        // some servers (Garage) answer AccessDenied with the reason in the message
        Some("AccessDenied")
            if message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("signature")) =>
        {
            return format!(
                "the secret key does not match the access key; check the secret key ({creds}){said}"
            );
        }
        Some("AccessDenied")
            if message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("no such key")) =>
        {
            return format!(
                "the access key is not known to the server; check the access key ({creds}){said}"
            );
        }
        Some("AccessDenied") | Some("AllAccessDisabled") => {
            return format!(
                "access denied: the credentials ({creds}) were refused or lack permission on bucket {bucket:?}; check the access and secret key and the key's rights on the bucket (read, write, list, delete){said}"
            );
        }
        _ => {}
    }
    match os {
        Some(object_store::Error::PermissionDenied { .. })
        | Some(object_store::Error::Unauthenticated { .. }) => {
            return format!(
                "the server refused the credentials (HTTP {}; {creds}); check the access key and secret key, and the key's rights on bucket {bucket:?}{said}",
                status.map_or("403".into(), |s| s.to_string())
            );
        }
        Some(object_store::Error::NotFound { .. }) => {
            return format!("no such object (or no bucket {bucket:?}) at this endpoint{said}");
        }
        _ => {}
    }
    if text.contains("BareRedirect") || text.contains("incorrectly configured region") || status == Some(301)
    {
        return format!(
            "the server redirected the request: the region {region:?} is probably not the bucket's; set region{said}"
        );
    }
    let lc = text.to_ascii_lowercase();
    if lc.contains("certificate") || lc.contains("unknownissuer") || lc.contains("invalid peer") {
        return format!(
            "TLS: the endpoint's certificate is not trusted; give the CA that signed it (custom_ca / --s3-endpoint-ca) or check the endpoint's host name ({})",
            tail(text)
        );
    }
    match http_kind(e) {
        Some(K::Connect) => {
            return format!(
                "cannot connect to the endpoint; check the endpoint (host:port, http or https) and that this host can reach it ({})",
                tail(text)
            );
        }
        Some(K::Timeout) => {
            return format!(
                "the endpoint did not answer in time; check that it is reachable and not overloaded ({})",
                tail(text)
            );
        }
        Some(K::Interrupted) | Some(K::Request) => {
            return format!(
                "the connection to the endpoint failed; check the endpoint and the network ({})",
                tail(text)
            );
        }
        _ => {}
    }
    if creds == CredentialSource::InstanceRole
        && (lc.contains("credential") || lc.contains("169.254.169.254") || lc.contains("metadata"))
    {
        return format!(
            "no credentials: both keys are empty and the host's instance role gave none; set access_key/secret_key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ({})",
            tail(text)
        );
    }
    match status {
        Some(s) if s >= 500 => format!("the server failed (HTTP {s}) after retries; try again later{said}"),
        Some(s) => format!("the server answered HTTP {s}{said}"),
        None => tail(text),
    }
}

/// The innermost causes only, without any response body (see `diagnose`).
fn tail(text: &str) -> String {
    let cut = text.find("Server returned").map_or(text, |i| &text[..i]);
    let parts: Vec<&str> = cut.split(": ").filter(|p| !p.trim().is_empty()).collect();
    let n = parts.len();
    parts[n.saturating_sub(3)..].join(": ")
}

/// Removes the values of the credentials from any text, whatever put them there.
struct Scrub(Vec<String>);

impl Scrub {
    fn new(secrets: &[&Secret]) -> Scrub {
        Scrub(
            secrets
                .iter()
                .filter(|s| s.expose().len() >= 4)
                .map(|s| s.expose().to_string())
                .collect(),
        )
    }
    fn clean(&self, text: &str) -> String {
        let mut t = text.to_string();
        for s in &self.0 {
            t = t.replace(s.as_str(), "<redacted>");
        }
        t
    }
}

fn content_type(name: &str) -> &'static str {
    if name.ends_with(".zip") {
        "application/zip"
    } else if name.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn to_time(secs: i64, nanos: u32) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| t + time::Duration::nanoseconds(nanos as i64))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

async fn open_private(p: &FsPath) -> std::io::Result<tokio::fs::File> {
    let mut o = tokio::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(p).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> S3Settings {
        S3Settings {
            endpoint: Some("minio.example:9000".into()),
            endpoint_ca_pem: None,
            access_key: Secret::new("AKIAEXAMPLEACCESS"),
            secret_key: Secret::new("wJalrXUtnFEMIsecretsecret"),
            session_token: Secret::default(),
            bucket: "snaps".into(),
            region: "".into(),
            folder: "/cluster-a/".into(),
        }
    }

    #[test]
    fn debug_of_settings_and_store_shows_no_key() {
        let s = settings();
        let d = format!("{s:?}");
        assert!(
            !d.contains("AKIAEXAMPLEACCESS") && !d.contains("wJalrXUtnFEMIsecretsecret"),
            "{d}"
        );
        assert!(d.contains("<redacted>") && d.contains("snaps"), "{d}");
        let store =
            S3Store::with_options(&s, S3Timeouts::default(), UploadShape::default(), &|_| None).unwrap();
        let d = format!("{store:?}");
        assert!(
            !d.contains("AKIAEXAMPLEACCESS") && !d.contains("wJalrXUtnFEMIsecretsecret"),
            "{d}"
        );
    }

    #[test]
    fn keys_are_folder_slash_name_as_rke1() {
        let mut s = settings();
        assert_eq!(s.object_key("snap.zip").unwrap(), "cluster-a/snap.zip");
        assert_eq!(
            s.object_key("rke_etcd_snapshot_2024-01-01T00:00:00Z.zip")
                .unwrap(),
            "cluster-a/rke_etcd_snapshot_2024-01-01T00:00:00Z.zip"
        );
        s.folder = "".into();
        assert_eq!(s.object_key("snap.zip").unwrap(), "snap.zip");
        s.folder = "a/b".into();
        assert_eq!(
            s.object_key("snap.zip.manifest.json").unwrap(),
            "a/b/snap.zip.manifest.json"
        );
        // the same layout the snapshot naming module documents
        assert_eq!(
            s.object_key(&crate::snapshot::naming::archive_file("x")).unwrap(),
            crate::snapshot::naming::s3_key("a/b", "x")
        );
        for bad in ["", "/", "../x", "a//b", "a/./b", "x\ny"] {
            assert!(s.object_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn endpoints_follow_rke1() {
        use Endpoint::*;
        let aws = |v: bool, r: Option<&str>| Aws {
            virtual_hosted: v,
            region: r.map(String::from),
        };
        assert_eq!(Endpoint::parse(None, "b").unwrap(), aws(true, None));
        assert_eq!(Endpoint::parse(Some(""), "b").unwrap(), aws(true, None));
        assert_eq!(
            Endpoint::parse(Some("s3.amazonaws.com"), "b").unwrap(),
            aws(true, None)
        );
        assert_eq!(
            Endpoint::parse(Some("https://s3.amazonaws.com/"), "my.bucket").unwrap(),
            aws(false, None)
        );
        assert_eq!(
            Endpoint::parse(Some("s3.eu-west-1.amazonaws.com"), "b").unwrap(),
            aws(true, Some("eu-west-1"))
        );
        assert_eq!(
            Endpoint::parse(Some("s3-us-west-2.amazonaws.com:443"), "b").unwrap(),
            aws(true, Some("us-west-2"))
        );
        assert_eq!(
            Endpoint::parse(Some("minio.local:9000"), "b").unwrap(),
            Custom {
                url: "https://minio.local:9000".into(),
                virtual_hosted: false
            }
        );
        assert_eq!(
            Endpoint::parse(Some("http://10.0.0.1:3900"), "b").unwrap(),
            Custom {
                url: "http://10.0.0.1:3900".into(),
                virtual_hosted: false
            }
        );
        assert_eq!(
            Endpoint::parse(Some("oss-cn-hangzhou.aliyuncs.com"), "b").unwrap(),
            Custom {
                url: "https://b.oss-cn-hangzhou.aliyuncs.com".into(),
                virtual_hosted: true
            }
        );
        assert!(Endpoint::parse(Some("ftp://x"), "b").is_err());
        assert!(Endpoint::parse(Some("minio:9000/bucket"), "b").is_err());
    }

    #[test]
    fn validation_names_the_setting() {
        let mut s = settings();
        s.bucket = " ".into();
        assert!(s.validate().unwrap_err().to_string().contains("bucket_name"));
        let mut s = settings();
        s.secret_key = Secret::default();
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("secret_key is empty") && !e.contains("AKIAEXAMPLEACCESS"),
            "{e}"
        );
        let mut s = settings();
        s.endpoint_ca_pem = Some("not a certificate".into());
        assert!(s.validate().unwrap_err().to_string().contains("custom_ca"));
    }

    #[test]
    fn credentials_explicit_then_environment_then_instance_role() {
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("ENVKEY".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("ENVSECRET".to_string()),
            "AWS_SESSION_TOKEN" => Some("ENVTOKEN".to_string()),
            _ => None,
        };
        let c = resolve_credentials(&settings(), &env).unwrap();
        assert_eq!(c.source, CredentialSource::Explicit);
        assert_eq!(c.access_key.expose(), "AKIAEXAMPLEACCESS");
        let mut s = settings();
        s.access_key = Secret::default();
        s.secret_key = Secret::default();
        let c = resolve_credentials(&s, &env).unwrap();
        assert_eq!(c.source, CredentialSource::Environment);
        assert_eq!(
            (c.access_key.expose(), c.secret_key.expose(), c.token.expose()),
            ("ENVKEY", "ENVSECRET", "ENVTOKEN")
        );
        let c = resolve_credentials(&s, &|k| {
            (k == "AWS_ROLE_ARN").then(|| "arn:aws:iam::1:role/r".to_string())
        })
        .unwrap();
        assert_eq!(c.source, CredentialSource::InstanceRole);
        assert_eq!(c.role_settings.len(), 1);
        assert!(resolve_credentials(&s, &|k| (k == "AWS_ACCESS_KEY_ID").then(|| "x".to_string())).is_err());
    }

    #[test]
    fn settings_from_cluster_yml() {
        let c = S3BackupConfig {
            access_key: Some(Secret::new("a")),
            secret_key: Some(Secret::new("s")),
            bucket_name: Some("b".into()),
            region: Some("eu-west-1".into()),
            endpoint: Some("s3.example:443".into()),
            custom_ca: Some("".into()),
            folder: Some("f".into()),
        };
        let s = S3Settings::from_config(&c);
        assert_eq!(
            (s.bucket.as_str(), s.region.as_str(), s.folder.as_str()),
            ("b", "eu-west-1", "f")
        );
        assert_eq!(s.endpoint.as_deref(), Some("s3.example:443"));
        assert_eq!(s.endpoint_ca_pem, None);
        assert_eq!(s.access_key.expose(), "a");
    }

    #[test]
    fn scrub_removes_key_values_and_diagnosis_quotes_no_body() {
        let sc = Scrub::new(&[
            &Secret::new("AKIAEXAMPLEACCESS"),
            &Secret::new("wJalrXUtnFEMIsecretsecret"),
            &Secret::default(),
        ]);
        assert_eq!(
            sc.clean("key AKIAEXAMPLEACCESS and wJalrXUtnFEMIsecretsecret"),
            "key <redacted> and <redacted>"
        );
        let body = "Server returned non-2xx status code: 403 Forbidden: <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><AWSAccessKeyId>AKIAEXAMPLEACCESS</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>";
        let e = anyhow!(body.to_string());
        let d = diagnose(&e, body, CredentialSource::Explicit, "b", "us-east-1");
        assert!(
            d.contains("secret key does not match")
                && !d.contains("AKIAEXAMPLEACCESS")
                && !d.contains("StringToSign"),
            "{d}"
        );
    }

    #[test]
    fn settings_round_trip_as_json_for_the_agent() {
        let s = settings();
        let json = serde_json::to_string(&s).unwrap();
        let back: S3Settings = serde_json::from_str(&json).unwrap();
        assert!(back == s);
        let partial: S3Settings = serde_json::from_str(r#"{"bucket":"b"}"#).unwrap();
        assert_eq!((partial.bucket.as_str(), partial.endpoint.is_none()), ("b", true));
    }

    #[test]
    fn timeouts_within_a_job_deadline_end_before_it() {
        for secs in [20u64, 60, 300, 1800, 7200] {
            let job = Duration::from_secs(secs);
            let t = S3Timeouts::within(job);
            assert!(t.job_budget() + JOB_START_MARGIN <= job, "{secs}s: {t:?}");
            assert!(t.transfer <= S3Timeouts::default().transfer && t.request <= S3Timeouts::default().request, "{t:?}");
            assert!(t.idle <= t.transfer && t.connect <= t.request, "{t:?}");
        }
        // RKE1's default backup_config.timeout: the upload has most of it
        let t = S3Timeouts::within(Duration::from_secs(300));
        assert_eq!((t.transfer, t.request), (Duration::from_secs(171), Duration::from_millis(28_500)));
        // a long deadline keeps the defaults
        assert_eq!(S3Timeouts::within(Duration::from_secs(7200)), S3Timeouts::default());
        // a silly one still gives positive deadlines
        assert!(S3Timeouts::within(Duration::from_secs(1)).transfer >= Duration::from_secs(1));
    }

    #[test]
    fn upload_shape_bounds_memory() {
        let s = UploadShape::default();
        assert!(s.part_size >= MIN_PART_SIZE);
        // the documented bound: about 24 MiB, under the agent's 64 MiB budget
        assert!(s.part_size * (s.concurrency + 1) <= 24 << 20);
        assert!(
            S3Store::with_options(
                &settings(),
                S3Timeouts::default(),
                UploadShape {
                    part_size: 1 << 20,
                    concurrency: 1
                },
                &|_| None
            )
            .is_err()
        );
    }
}
