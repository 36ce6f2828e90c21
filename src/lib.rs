//! stockade: RKE1-compatible Kubernetes cluster lifecycle over SSH and Docker.
//!
//! Layers, lowest first (no module reaches upward):
//! - `exit` (exit codes and the typed errors that choose them), `prompt` (whether a question may be asked), `config` (cluster.yml), `versions` (RKE1's per-version tables), `state` (cluster.rkestate),
//!   `pki`, `kubeconfig`: data, no I/O to hosts;
//! - `plan`: pure — what every host should run, from the config, the state and the certificates;
//! - `snapshot`: snapshot names, layout and manifests (pure), and `snapshot::s3`, the S3 client
//!   for the snapshots' copies in a bucket (HTTP(S) to the S3 server; at the level of `transport`);
//! - `transport` (SSH, Docker over SSH), `etcd` (the etcd API over SSH);
//! - `agent`: what runs on an etcd host inside a helper container (`stockade agent run`), and the
//!   helper image made from this executable;
//! - `apply`: phases that diff the plan against the hosts and change only what differs;
//! - `ops`: one function per command (`ops::up`, `ops::remove`), the decisions a command makes;
//! - `cli`: parses the command line and calls `ops` (cargo's `commands` → `ops` split).
pub mod agent;
pub mod apply;
pub mod cli;
pub mod config;
pub mod etcd;
pub mod exit;
pub mod kubeconfig;
pub mod ops;
pub mod pki;
pub mod plan;
pub mod prompt;
pub mod snapshot;
pub mod state;
pub mod transport;
pub mod ui;
pub mod versions;
