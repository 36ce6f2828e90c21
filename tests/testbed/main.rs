//! Tests against the local multi-host testbed: real OpenSSH sshd, real dockerd, real etcd.
//! They need a running testbed (`testbed/up.sh 3`, done by `tests/run.sh`) and fail, never
//! skip, without one. They share the hosts and therefore run one at a time.
#[path = "../common/mod.rs"]
mod common;

mod cert;
mod etcd_plane;
mod events;
mod input;
mod interrupted;
mod membership;
mod nodes_ready;
mod offline_plan;
mod planes;
mod real_kubernetes;
mod remove;
mod s3_store;
mod snapshot;
mod ssh;
mod state;
mod upgrade;
