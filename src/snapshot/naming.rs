//! Snapshot names and the paths derived from them (facts from RKE1 / rke-tools).
use anyhow::{bail, Result};
use time::OffsetDateTime;

/// Directory on every etcd host that holds the snapshots (RKE1's, bound as `/backup` by rke-tools).
pub const SNAPSHOT_DIR: &str = "/opt/rke/etcd-snapshots";
/// Prefix of one-off snapshot names (`rke etcd snapshot-save` without `--name`).
pub const ONE_OFF_PREFIX: &str = "rke_etcd_snapshot_";
/// Suffix of recurring snapshot names (`<time>_etcd`), also what rke-tools prunes in S3.
pub const ROLLING_SUFFIX: &str = "_etcd";
/// Extension of the archive.
pub const ZIP_EXT: &str = ".zip";
/// Extension of stockade's manifest, appended to the archive's file name.
pub const MANIFEST_EXT: &str = ".manifest.json";

/// RFC 3339 UTC time with `-` instead of `:` so the name is safe on every filesystem and in S3 keys
/// (RKE1's `safe_timestamp`); RKE1's own names with `:` are still read.
fn safe_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Default name of a one-off snapshot: `rke_etcd_snapshot_<time>`.
pub fn default_name(now: OffsetDateTime) -> String {
    format!("{ONE_OFF_PREFIX}{}", safe_time(now))
}

/// Name of a recurring snapshot: `<time>_etcd`.
pub fn rolling_name(now: OffsetDateTime) -> String {
    format!("{}{ROLLING_SUFFIX}", safe_time(now))
}

/// A name given by the user (`--name`, `restore.snapshot_name`): with or without `.zip`; it becomes a
/// file name on every etcd host and an S3 key, so it must not be able to leave the snapshot directory.
pub fn normalize(name: &str) -> Result<String> {
    let n = name.trim();
    let n = n.strip_suffix(ZIP_EXT).unwrap_or(n);
    if n.is_empty() {
        bail!("snapshot name is empty: give --name <name> (as listed by `stockade etcd snapshot ls`)");
    }
    if n == "." || n == ".." || n.starts_with('.') {
        bail!("snapshot name {name:?} must not start with '.'");
    }
    if let Some(c) = n
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '+')))
    {
        bail!("snapshot name {name:?} contains {c:?}: use letters, digits, '-', '_', '.', ':' or '+'");
    }
    Ok(n.to_string())
}

/// File name of the archive (`<name>.zip`).
pub fn archive_file(name: &str) -> String {
    format!("{name}{ZIP_EXT}")
}

/// File name of stockade's manifest (`<name>.zip.manifest.json`).
pub fn manifest_file(name: &str) -> String {
    format!("{name}{ZIP_EXT}{MANIFEST_EXT}")
}

/// Path of the archive on an etcd host.
pub fn archive_path(name: &str) -> String {
    format!("{SNAPSHOT_DIR}/{}", archive_file(name))
}

/// Zip entry names as rke-tools writes them: the full in-container paths.
pub fn zip_snapshot_entry(name: &str) -> String {
    format!("/backup/{name}")
}
pub fn zip_state_entry(name: &str) -> String {
    format!("/etc/kubernetes/{name}.rkestate")
}

/// Whether a zip entry is the etcd snapshot of `name`; accepts rke-tools' leading `/` and archives
/// rewritten without it (some zip tools strip it).
pub fn is_snapshot_entry(entry: &str, name: &str) -> bool {
    entry.trim_start_matches('/') == format!("backup/{name}")
}
pub fn is_state_entry(entry: &str, name: &str) -> bool {
    entry.trim_start_matches('/') == format!("etc/kubernetes/{name}.rkestate")
}

/// S3 object key: `<folder>/<name>.zip`, or `<name>.zip` without a folder (rke-tools).
pub fn s3_key(folder: &str, name: &str) -> String {
    let folder = folder.trim_matches('/');
    if folder.is_empty() {
        archive_file(name)
    } else {
        format!("{folder}/{}", archive_file(name))
    }
}

/// The snapshot name of a file in the snapshot directory or an S3 key, if it is an archive
/// (`<name>.zip`) or RKE1's legacy unzipped snapshot (no extension). Manifests and other files: None.
pub fn name_of_file(file: &str) -> Option<String> {
    let base = file.rsplit('/').next().unwrap_or(file);
    if base.is_empty() || base.ends_with(MANIFEST_EXT) || base.starts_with('.') {
        return None;
    }
    if let Some(n) = base.strip_suffix(ZIP_EXT) {
        return (!n.is_empty()).then(|| n.to_string());
    }
    (!base.contains('.') || base.contains(':')).then(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_704_067_205).unwrap() // 2024-01-01T00:00:05Z
    }

    #[test]
    fn default_and_rolling_names_are_rke1_shaped_and_filesystem_safe() {
        assert_eq!(default_name(t()), "rke_etcd_snapshot_2024-01-01T00-00-05Z");
        assert_eq!(rolling_name(t()), "2024-01-01T00-00-05Z_etcd");
        assert!(!default_name(t()).contains(':'));
    }

    #[test]
    fn names_with_or_without_zip_are_the_same_snapshot() {
        assert_eq!(normalize("a.zip").unwrap(), "a");
        assert_eq!(normalize("a").unwrap(), "a");
        // RKE1's own one-off names contain ':'
        assert_eq!(
            normalize("rke_etcd_snapshot_2024-01-01T00:00:00Z.zip").unwrap(),
            "rke_etcd_snapshot_2024-01-01T00:00:00Z"
        );
    }

    #[test]
    fn names_that_could_leave_the_snapshot_dir_are_refused() {
        for bad in ["", ".zip", "../x", "a/b", "..", ".hidden", "a b", "a\0b"] {
            assert!(normalize(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn paths_keys_and_entries() {
        assert_eq!(archive_path("s"), "/opt/rke/etcd-snapshots/s.zip");
        assert_eq!(manifest_file("s"), "s.zip.manifest.json");
        assert_eq!(s3_key("", "s"), "s.zip");
        assert_eq!(s3_key("/backups/", "s"), "backups/s.zip");
        assert_eq!(zip_snapshot_entry("s"), "/backup/s");
        assert_eq!(zip_state_entry("s"), "/etc/kubernetes/s.rkestate");
        assert!(is_snapshot_entry("/backup/s", "s") && is_snapshot_entry("backup/s", "s"));
        assert!(!is_snapshot_entry("/backup/s2", "s"));
        assert!(is_state_entry("etc/kubernetes/s.rkestate", "s"));
    }

    #[test]
    fn files_in_the_snapshot_dir_map_to_names() {
        assert_eq!(name_of_file("/opt/rke/etcd-snapshots/a.zip").as_deref(), Some("a"));
        assert_eq!(name_of_file("f/2024-01-01T00:00:00Z_etcd").as_deref(), Some("2024-01-01T00:00:00Z_etcd"));
        assert_eq!(name_of_file("a.zip.manifest.json"), None);
        assert_eq!(name_of_file(".tmp"), None);
    }
}
