//! Recurring snapshots (pure): whether cluster.yml asks for them, the long-running agent container
//! that takes them on every etcd host (`stockade-etcd-snapshots`, replacing RKE1's
//! `etcd-rolling-snapshots`), and its job file. The job file holds the settings, the cluster state
//! stored in each archive and any S3 keys: it is written on the host with mode 0600 and bound
//! read-only into the container, so nothing secret is in the container's Cmd, Env or Labels.
use super::job::{Job, RecurringJob, SaveJob};
use super::s3::S3Settings;
use crate::config::{ClusterConfig, Node};
use crate::plan::{ContainerSpec, FileSpec};

/// stockade's recurring-snapshot container on every etcd host.
pub const CONTAINER: &str = "stockade-etcd-snapshots";
/// RKE1's, replaced by stockade's once that one is running and healthy.
pub const RKE1_CONTAINER: &str = "etcd-rolling-snapshots";
/// The job file, under `<prefix>/etc/kubernetes` on the host.
pub const JOB_FILE: &str = "stockade-etcd-snapshots.json";
/// RKE1's defaults for `backup_config`.
pub const DEFAULT_INTERVAL_HOURS: u64 = 12;
pub const DEFAULT_RETENTION: u64 = 6;
/// Hidden override of the interval in seconds, for tests (a 12 h interval cannot be observed):
/// read by `up` from its own environment and written into the job file.
pub const INTERVAL_ENV: &str = "STOCKADE_SNAPSHOT_INTERVAL_SECONDS";

/// How often and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub interval_secs: u64,
    pub retention: usize,
}

/// The schedule cluster.yml asks for, or None (no recurring snapshots; the container is removed).
/// On by default, as in RKE1 (`services.etcd.snapshot` defaults to true, `backup_config.enabled`
/// too): a cluster.yml that says nothing about snapshots gets one every 12 hours, 6 kept.
/// `snapshot: false` or `backup_config.enabled: false` turn them off.
pub fn schedule(cfg: &ClusterConfig, interval_override_secs: Option<u64>) -> Option<Schedule> {
    let etcd = &cfg.services.etcd;
    let b = etcd.backup_config.as_ref();
    if etcd.snapshot == Some(false) || b.and_then(|b| b.enabled) == Some(false) {
        return None;
    }
    let hours = b.and_then(|b| b.interval_hours).filter(|h| *h > 0).unwrap_or(DEFAULT_INTERVAL_HOURS);
    let retention = b.and_then(|b| b.retention).filter(|r| *r > 0).unwrap_or(DEFAULT_RETENTION);
    Some(Schedule { interval_secs: interval_override_secs.filter(|s| *s > 0).unwrap_or(hours * 3600), retention: retention as usize })
}

/// The container: the agent image, `agent run` on the job file bound read-only, the snapshot dir
/// and the host's certificates; restarted unless stopped. Its spec holds no setting and no secret:
/// the job file may change without replacing it (the agent reads it before every snapshot).
pub fn container(cfg: &ClusterConfig, image: &str) -> ContainerSpec {
    let prefix = |p: &str| crate::plan::prefixed(cfg, p);
    let mut c = ContainerSpec::new(CONTAINER, image, vec!["agent".into(), "run".into(), "--job".into(), super::job::JOB_FILE.into()]);
    c.restart = "unless-stopped".into();
    c.binds = vec![
        format!("{0}:{0}", super::naming::SNAPSHOT_DIR),
        format!("{}:/etc/kubernetes:ro", prefix("/etc/kubernetes")),
        format!("{}/{JOB_FILE}:{}:ro", prefix("/etc/kubernetes"), super::job::JOB_FILE),
    ];
    c
}

/// How the recurring snapshots are encrypted: to `backup_config.age_recipients` (validated when
/// cluster.yml is read), or not at all.
pub fn encryption(cfg: &ClusterConfig) -> Option<super::crypt::Encrypt> {
    let r = cfg.services.etcd.backup_config.as_ref()?.age_recipients.as_ref().filter(|r| !r.is_empty())?;
    Some(super::crypt::Encrypt::Recipients(r.iter().map(|k| k.trim().to_string()).collect()))
}

/// The job file of `node`. `upload_s3`: this host uploads (one host does, see `RecurringJob::s3`).
pub fn job_file(cfg: &ClusterConfig, node: &Node, schedule: Schedule, state: &str, s3: Option<S3Settings>, deadline_secs: u64) -> FileSpec {
    let save = SaveJob {
        name: String::new(),
        cluster: cfg.cluster_name.clone().unwrap_or_else(|| "local".into()),
        address: crate::plan::etcd::internal(node).to_string(),
        port: crate::plan::etcd::CLIENT_PORT,
        ca_file: format!("/etc/kubernetes/ssl/{}.pem", crate::pki::names::CA),
        cert_file: format!("/etc/kubernetes/ssl/{}.pem", crate::pki::names::NODE),
        key_file: format!("/etc/kubernetes/ssl/{}-key.pem", crate::pki::names::NODE),
        state: Some(state.to_string()),
        stall_timeout_secs: 30,
        encrypt: encryption(cfg),
        copy: None,
        s3: None,
    };
    let job = Job::Recurring(RecurringJob { save, interval_secs: schedule.interval_secs, retention: schedule.retention, s3, deadline_secs });
    FileSpec { dir: crate::plan::prefixed(cfg, "/etc/kubernetes"), name: JOB_FILE.into(), content: serde_json::to_vec_pretty(&job).expect("job serializes"), mode: 0o600, owner: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn cfg(y: &str) -> ClusterConfig {
        crate::config::load::parse(std::path::Path::new("c.yml"), &format!("nodes: []\n{y}")).unwrap()
    }

    #[test]
    fn schedule_follows_rke1_keys_and_defaults() {
        assert_eq!(schedule(&cfg(""), None), Some(Schedule { interval_secs: 12 * 3600, retention: 6 }), "on by default, as in RKE1");
        assert_eq!(schedule(&cfg("services:\n  etcd:\n    snapshot: false\n"), None), None, "snapshot: false turns them off");
        assert_eq!(schedule(&cfg("services:\n  etcd:\n    snapshot: true\n"), None), Some(Schedule { interval_secs: 12 * 3600, retention: 6 }));
        let b = cfg("services:\n  etcd:\n    backup_config:\n      interval_hours: 3\n      retention: 2\n");
        assert_eq!(schedule(&b, None), Some(Schedule { interval_secs: 3 * 3600, retention: 2 }));
        assert_eq!(schedule(&b, Some(20)), Some(Schedule { interval_secs: 20, retention: 2 }), "the test override");
        assert_eq!(schedule(&cfg("services:\n  etcd:\n    snapshot: false\n    backup_config:\n      retention: 2\n"), None), None);
        assert_eq!(schedule(&cfg("services:\n  etcd:\n    backup_config:\n      enabled: false\n"), None), None);
    }

    #[test]
    fn the_container_holds_no_secret_and_the_job_file_is_private() {
        let c = cfg("services:\n  etcd:\n    backup_config:\n      s3backupconfig:\n        bucket_name: b\n        access_key: AKSECRET\n        secret_key: SKSECRET\n");
        let spec = container(&c, "stockade-agent:x");
        let shown = serde_json::to_string(&spec.labels_with_hash()).unwrap() + &spec.cmd.join(" ") + &spec.env.join(" ");
        assert!(!shown.contains("SECRET"));
        assert!(spec.binds.iter().any(|b| b.ends_with(&format!("{}:ro", super::super::job::JOB_FILE))), "{:?}", spec.binds);
        assert_eq!(spec.restart, "unless-stopped");
        let node = Node { address: "10.0.0.1".into(), ..Default::default() };
        let s3 = crate::snapshot::s3::S3Settings::from_config(c.services.etcd.backup_config.as_ref().unwrap().s3backupconfig.as_ref().unwrap());
        let f = job_file(&c, &node, Schedule { interval_secs: 60, retention: 2 }, "{}", Some(s3), 300);
        assert_eq!((f.mode, f.path()), (0o600, "/etc/kubernetes/stockade-etcd-snapshots.json".to_string()));
        assert!(String::from_utf8(f.content).unwrap().contains("SKSECRET"), "the keys travel in the job file only");
    }
}
