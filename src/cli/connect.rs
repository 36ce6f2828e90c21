//! Flags shared by every command that connects to hosts.
use crate::ops::ConnectSettings;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct ConnectArgs {
    /// Use ssh-agent (SSH_AUTH_SOCK) for every host
    #[arg(long)]
    pub ssh_agent_auth: bool,
    /// Accept and record host keys not yet in known_hosts (a changed key is always refused)
    #[arg(long)]
    pub ssh_accept_new: bool,
    /// known_hosts file to verify host keys against
    #[arg(long, value_name = "FILE", env = "STOCKADE_KNOWN_HOSTS")]
    pub known_hosts: Option<PathBuf>,
    /// Seconds to wait for an SSH connection and login
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub ssh_timeout: u64,
    /// Seconds any single remote command or Docker API call may take
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub command_timeout: u64,
    /// Seconds one image pull or image-archive load may take in all (no progress for 2 minutes fails sooner)
    #[arg(long, value_name = "SECONDS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
    pub image_timeout: u64,
    /// How many hosts to work on at once
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// Do not warn about Docker versions outside the tested range
    #[arg(long)]
    pub ignore_docker_version: bool,
    /// Image archive (`docker save` output) to load on hosts that lack an image: for air-gapped hosts
    #[arg(long, value_name = "FILE")]
    pub image_archive: Option<PathBuf>,
}

impl ConnectArgs {
    pub fn settings(&self) -> ConnectSettings {
        ConnectSettings {
            ssh_agent_auth: self.ssh_agent_auth,
            ssh_accept_new: self.ssh_accept_new,
            known_hosts: self.known_hosts.clone(),
            ssh_timeout: Duration::from_secs(self.ssh_timeout),
            command_timeout: Duration::from_secs(self.command_timeout),
            image_timeout: Duration::from_secs(self.image_timeout),
            concurrency: self.concurrency as usize,
            ignore_docker_version: self.ignore_docker_version,
            image_archive: self.image_archive.clone(),
        }
    }
}
