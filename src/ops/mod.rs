//! One function per command: the decisions a command makes, callable from tests without a
//! command line (cargo's `commands` → `ops` split). `cli/` only parses flags into these options.
pub mod cert;
pub mod config;
pub mod remove;
pub mod snapshot;
pub mod up;
pub mod util;
pub mod validate;

use crate::transport::ssh::SshOptions;
use crate::transport::ConnectOptions;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the hosts: what every command that connects needs, free of any CLI type.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub ssh_agent_auth: bool,
    pub ssh_accept_new: bool,
    /// `None`: `~/.ssh/known_hosts`
    pub known_hosts: Option<PathBuf>,
    pub ssh_timeout: Duration,
    /// the limit for any single remote command or Docker API call
    pub command_timeout: Duration,
    /// the limit for one image pull or image-archive load (a stall fails sooner)
    pub image_timeout: Duration,
    pub concurrency: usize,
    pub ignore_docker_version: bool,
    /// `docker save` archive loaded on hosts that lack an image
    pub image_archive: Option<PathBuf>,
}

impl ConnectSettings {
    pub fn options(&self, cfg: &crate::config::ClusterConfig) -> ConnectOptions {
        let known_hosts = self.known_hosts.clone().unwrap_or_else(|| crate::transport::keys::expand_home("~/.ssh/known_hosts"));
        ConnectOptions {
            ssh: SshOptions { known_hosts, accept_new_host_keys: self.ssh_accept_new, connect_timeout: self.ssh_timeout },
            concurrency: self.concurrency,
            force_agent: self.ssh_agent_auth,
            docker_timeout: self.command_timeout,
            ignore_docker_version: self.ignore_docker_version || cfg.ignore_docker_version.unwrap_or(false),
        }
    }
}
