//! etcd snapshots (issue 8): the parts every snapshot command shares — how snapshots are named
//! and laid out on the etcd hosts and in S3 (`naming`), and the manifest stockade writes next to each
//! archive so every copy can be verified before anything is destroyed (`manifest`), both pure; and
//! the S3 client that stores and fetches the copies in a bucket (`s3`), the one part with I/O: it
//! talks HTTP(S) to an S3 server only, beside `transport`, and reaches no module above it.
//!
//! Layout on every etcd host, as RKE1 (rke-tools) writes it so RKE1 tooling and stockade read each
//! other's snapshots: `/opt/rke/etcd-snapshots/<name>.zip` holding the etcd snapshot as entry
//! `/backup/<name>` and, when present, the cluster state as `/etc/kubernetes/<name>.rkestate`;
//! stockade adds `<name>.zip.manifest.json` beside it.
pub mod archive;
pub mod crypt;
pub mod job;
pub mod manifest;
pub mod naming;
pub mod recurring;
pub mod retention;
pub mod s3;
