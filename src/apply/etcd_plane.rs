//! The etcd plane: one `etcd` container per etcd host, changed one host at a time as RKE
//! does, then every member must report healthy through the etcd API (over SSH) with the full
//! member list. A container that exits or never becomes healthy fails `up` with the host,
//! its last log lines and a hint.
use super::containers::{self, indent_logs, Action};
use super::{Ctx, Phase};
use crate::transport::hosts::all_ok;
use crate::etcd::{self, Credentials};
use crate::plan::etcd::{internal, CLIENT_PORT, CONTAINER};
use crate::transport::docker::tail_logs;
use crate::transport::Host;
use anyhow::{anyhow, Result};
use futures_util::future::{join_all, BoxFuture};
use std::time::{Duration, Instant};

pub struct EtcdPlane;

impl Phase for EtcdPlane {
    fn title(&self) -> &'static str {
        "etcd plane"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let members: Vec<&Host> = ctx.hosts.with_role("etcd").collect();
            for h in &members {
                let Some(spec) = ctx.host_plan(h.name()).and_then(|p| p.containers.iter().find(|c| c.name == CONTAINER)) else {
                    continue;
                };
                ctx.ui.status(&format!("{}: etcd", h.name()));
                let action = containers::ensure(&h.docker, spec).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
                match action {
                    Action::Unchanged => {}
                    Action::Started => ctx.changed(h.name(), "started stopped container etcd"),
                    Action::Created => ctx.changed(h.name(), "created container etcd"),
                    Action::Recreated => ctx.changed(h.name(), "recreated container etcd (spec changed)"),
                }
            }
            ctx.ui.status("waiting for etcd members to report healthy");
            let creds = Credentials::from_bundle(ctx.bundle)?;
            let expected = members.len();
            let checks = members.iter().map(|h| wait_healthy(ctx, h, &creds, expected));
            all_ok(join_all(checks).await)?;
            Ok(())
        })
    }
}

async fn wait_healthy(ctx: &Ctx<'_>, h: &Host, creds: &Credentials, expected: usize) -> Result<()> {
    let deadline = Instant::now() + ctx.timeouts.etcd_health;
    let ip = internal(&h.node).to_string();
    let mut last_error;
    loop {
        if let Some(problem) = container_problem(h).await {
            let logs = tail_logs(&h.docker, CONTAINER, 20).await;
            return Err(anyhow!(
                "host {}: container etcd {problem}{}\n      hint: check the etcd arguments and that /var/lib/etcd on the host is usable",
                h.name(),
                indent_logs(&logs)
            ));
        }
        let attempt = async {
            let mut client = etcd::connect(h.session.clone(), &ip, CLIENT_PORT, creds, Duration::from_secs(5)).await?;
            etcd::member_health(&mut client).await
        };
        match tokio::time::timeout(Duration::from_secs(10), attempt).await {
            Ok(Ok(health)) if health.members.len() == expected => {
                ctx.ui.status(&format!("{}: etcd {} healthy", h.name(), health.version));
                return Ok(());
            }
            Ok(Ok(health)) => last_error = format!("member list has {} of {expected} members: {:?}", health.members.len(), health.members),
            Ok(Err(e)) => last_error = format!("{e:#}"),
            Err(_) => last_error = "the etcd API did not answer within 10s".into(),
        }
        if Instant::now() >= deadline {
            let logs = tail_logs(&h.docker, CONTAINER, 15).await;
            return Err(anyhow!(
                "host {}: etcd did not report healthy within {}s (last error: {last_error}){}\n      hint: etcd members must reach each other on ports 2379/2380 (firewall?), and all etcd hosts must be up",
                h.name(),
                ctx.timeouts.etcd_health.as_secs(),
                indent_logs(&logs)
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Why the container is not running, if it is not (restart loops count as not running).
async fn container_problem(h: &Host) -> Option<String> {
    let c = match h.docker.inspect_container(CONTAINER, None).await {
        Ok(c) => c,
        Err(e) => return Some(format!("cannot be inspected: {e}")),
    };
    let state = c.state?;
    let restarts = c.restart_count.unwrap_or(0);
    if state.running == Some(true) && state.restarting != Some(true) && restarts < 3 {
        return None;
    }
    if restarts >= 3 || state.restarting == Some(true) {
        return Some(format!("keeps restarting (restarted {restarts} times, last exit code {})", state.exit_code.unwrap_or(0)));
    }
    Some(format!("is not running (status {:?}, exit code {})", state.status, state.exit_code.unwrap_or(0)))
}
