//! S3 copies of snapshots, moved by the agent on the etcd hosts (never through the laptop):
//! the settings come from cluster.yml's `services.etcd.backup_config.s3backupconfig`, RKE1's
//! `--s3…` flags over them, and the laptop's `AWS_*` keys when both keys are empty (then the
//! host's instance role when those are empty too). They reach the agent only in its job file.
use super::S3Seam;
use crate::apply::agent;
use crate::config::{secret::Secret, ClusterConfig};
use crate::snapshot::job::Job;
use crate::snapshot::manifest::Manifest;
use crate::snapshot::s3::S3Settings;
use crate::transport::Host;
use anyhow::{bail, Result};
use futures_util::future::BoxFuture;
use std::time::Duration;

/// RKE1's `--s3` flags as given (None: not given).
#[derive(Debug, Clone, Default)]
pub struct S3Flags {
    pub s3: bool,
    pub endpoint: Option<String>,
    /// path of a PEM file (`--s3-endpoint-ca`)
    pub endpoint_ca: Option<std::path::PathBuf>,
    pub access_key: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub folder: Option<String>,
}

/// The S3 settings of a run, or None when it is local only: `--s3` or any `--s3…` flag, or an
/// `s3backupconfig` in cluster.yml.
pub fn settings(cfg: &ClusterConfig, f: &S3Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<S3Settings>> {
    let from_file = cfg.services.etcd.backup_config.as_ref().and_then(|b| b.s3backupconfig.as_ref());
    let any_flag = f.s3 || f.endpoint.is_some() || f.bucket.is_some() || f.access_key.is_some() || f.secret_key.is_some();
    if from_file.is_none() && !any_flag {
        return Ok(None);
    }
    let mut s = from_file.map(S3Settings::from_config).unwrap_or_default();
    let set = |v: &Option<String>, slot: &mut String| {
        if let Some(v) = v {
            *slot = v.clone();
        }
    };
    if let Some(e) = &f.endpoint {
        s.endpoint = Some(e.clone()).filter(|e| !e.trim().is_empty());
    }
    if let Some(p) = &f.endpoint_ca {
        s.endpoint_ca_pem = Some(std::fs::read_to_string(p).map_err(|e| crate::exit::Invalid(format!("--s3-endpoint-ca {}: {e}", p.display())))?);
    }
    if let Some(k) = &f.access_key {
        s.access_key = k.clone();
    }
    if let Some(k) = &f.secret_key {
        s.secret_key = k.clone();
    }
    set(&f.bucket, &mut s.bucket);
    set(&f.region, &mut s.region);
    set(&f.folder, &mut s.folder);
    if s.bucket.trim().is_empty() {
        return Err(crate::exit::Invalid("S3: no bucket: pass --bucket-name or set services.etcd.backup_config.s3backupconfig.bucket_name".into()).into());
    }
    // the agent runs with an empty environment: the operator's AWS keys travel in its job file
    if s.access_key.is_empty() && s.secret_key.is_empty() {
        let get = |k: &str| env(k).filter(|v| !v.is_empty());
        match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
            (Some(a), Some(k)) => {
                s.access_key = Secret::new(a);
                s.secret_key = Secret::new(k);
                s.session_token = Secret::new(get("AWS_SESSION_TOKEN").unwrap_or_default());
            }
            (None, None) => {} // the etcd host's instance role
            _ => bail!(crate::exit::Invalid("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither".into())),
        }
    }
    s.validate().map_err(|e| crate::exit::Invalid(format!("S3: {e:#}")))?;
    Ok(Some(s))
}

/// Uploads and downloads run as agent jobs on the etcd host.
pub struct AgentS3 {
    pub settings: S3Settings,
    pub deadline: Duration,
}

impl S3Seam for AgentS3 {
    fn upload<'a>(&'a self, host: &'a Host, image: &'a str, manifest: &'a Manifest) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let job = Job::Upload { name: manifest.name.clone(), s3: self.settings.clone(), deadline_secs: self.deadline.as_secs() };
            agent::run_job(host, image, &job, agent::binds_for(&job, &|p: &str| p.to_string()), self.deadline).await?;
            Ok(())
        })
    }
    fn streamed(&self) -> Option<crate::snapshot::job::S3Upload> {
        Some(crate::snapshot::job::S3Upload { settings: self.settings.clone(), deadline_secs: self.deadline.as_secs() })
    }
    fn download<'a>(&'a self, host: &'a Host, image: &'a str, name: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let job = Job::Download { name: name.to_string(), s3: self.settings.clone(), deadline_secs: self.deadline.as_secs() };
            agent::run_job(host, image, &job, agent::binds_for(&job, &|p: &str| p.to_string()), self.deadline).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn cfg(y: &str) -> ClusterConfig {
        crate::config::load::parse(std::path::Path::new("c.yml"), &format!("nodes: []\n{y}")).unwrap()
    }
    #[test]
    fn settings_from_file_flags_and_environment() {
        let none = |_: &str| None;
        assert!(settings(&cfg(""), &S3Flags::default(), &none).unwrap().is_none(), "local only");
        let file = cfg("services:\n  etcd:\n    backup_config:\n      s3backupconfig:\n        bucket_name: b\n        endpoint: s3.example:9000\n        access_key: AK\n        secret_key: SK\n");
        let s = settings(&file, &S3Flags::default(), &none).unwrap().unwrap();
        assert_eq!((s.bucket.as_str(), s.access_key.expose()), ("b", "AK"));
        let flags = S3Flags { bucket: Some("other".into()), folder: Some("f".into()), ..Default::default() };
        assert_eq!(settings(&file, &flags, &none).unwrap().unwrap().bucket, "other", "flags win");
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("ENVAK".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("ENVSK".to_string()),
            _ => None,
        };
        let s = settings(&cfg(""), &S3Flags { s3: true, bucket: Some("b".into()), endpoint: Some("http://e:1".into()), ..Default::default() }, &env).unwrap().unwrap();
        assert_eq!(s.secret_key.expose(), "ENVSK", "the laptop's AWS keys go to the agent");
        assert!(format!("{s:?}").find("ENVSK").is_none());
        assert!(settings(&cfg(""), &S3Flags { s3: true, ..Default::default() }, &none).is_err(), "no bucket");
    }
}
