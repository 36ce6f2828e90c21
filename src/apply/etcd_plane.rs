//! The etcd plane: one `etcd` container per etcd host, changed one host at a time as RKE
//! does, then every member must report healthy through the etcd API (over SSH) with the full
//! member list. A container that exits or never becomes healthy fails `up` with the host,
//! its last log lines and a hint.
use super::health;
use super::containers::Action;
use super::{Ctx, Phase};
use crate::transport::hosts::all_ok;
use crate::etcd::{self, Credentials};
use crate::plan::etcd::{internal, CLIENT_PORT, CONTAINER};
use crate::transport::Host;
use anyhow::{anyhow, Result};
use futures_util::future::{join_all, BoxFuture};
use std::time::Duration;

pub struct EtcdPlane;

impl Phase for EtcdPlane {
    fn title(&self) -> &'static str {
        "etcd plane"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let members: Vec<&Host> = ctx.hosts.with_role("etcd").collect();
            let creds = Credentials::from_bundle(ctx.bundle)?;
            let expected = members.len();
            // one host at a time, as RKE does. In a healthy cluster a replaced member must be
            // healthy again before the next one is touched, so quorum is never lost; a cluster
            // that is not healthy (new, or broken by an earlier failed run) cannot wait member
            // by member: its members are started together and checked at the end.
            let mut will_replace = false;
            for h in &members {
                if let Some(spec) = ctx.host_plan(h.name()).and_then(|p| p.containers.iter().find(|c| c.name == CONTAINER)) {
                    will_replace |= matches!(super::containers::diff(&h.docker, spec).await?, Action::Recreated(_) | Action::Started);
                }
            }
            let was_healthy = will_replace && super::membership::healthy_member(ctx, &creds).await.is_ok();
            for h in &members {
                let actions = ctx.ensure_containers(h, &[CONTAINER]).await?;
                if was_healthy && actions.iter().any(|a| matches!(a, Action::Recreated(_) | Action::Started)) {
                    wait_member_healthy(ctx, h, &creds, expected).await?;
                }
            }
            ctx.ui.status("waiting for etcd members to report healthy");
            let checks = members.iter().map(|h| wait_member_healthy(ctx, h, &creds, expected));
            all_ok(join_all(checks).await)?;
            Ok(())
        })
    }
}

/// Waits until the etcd member on `h` is healthy and sees `expected` members (the etcd plane
/// and membership changes share this check).
pub(super) async fn wait_member_healthy(ctx: &Ctx<'_>, h: &Host, creds: &Credentials, expected: usize) -> Result<()> {
    let ip = internal(&h.node).to_string();
    let hint = "etcd members must reach each other on ports 2379/2380 (firewall?), and all etcd hosts must be up";
    health::wait_healthy(h, CONTAINER, ctx.timeouts.etcd_health, hint, || async {
        let mut client = etcd::connect(h.session.clone(), &ip, CLIENT_PORT, creds, Duration::from_secs(5)).await?;
        let health = etcd::member_health(&mut client).await?;
        if health.members.len() != expected {
            return Err(anyhow!("member list has {} of {expected} members: {:?}", health.members.len(), health.members));
        }
        Ok(())
    })
    .await
}
