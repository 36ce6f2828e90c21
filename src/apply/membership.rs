//! etcd membership changes, one member at a time, before the etcd plane is brought to the plan
//! (rke.md §5): a leaving member is removed through a healthy member that stays, the cluster
//! must be healthy again, and only then is the departed host's etcd stopped and its data
//! cleaned; a joining member is added with MemberAdd, started with the member list of that
//! moment and `--initial-cluster-state=existing`, and must be healthy before the next change.
//! Every step checks first whether it was already done, so an interrupted run is finished by
//! the next one.
use super::etcd_plane::wait_member_healthy;
use super::{Ctx, Phase};
use crate::config::Node;
use crate::etcd::{self, Credentials};
use crate::plan::etcd::{internal, member_name, peer_url, with_initial_cluster, CLIENT_PORT, CONTAINER};
use crate::transport::Host;
use anyhow::{anyhow, Result};
use crate::etcd::Client;
use futures_util::future::BoxFuture;
use std::time::Duration;

pub struct EtcdMembership;

impl Phase for EtcdMembership {
    fn title(&self) -> &'static str {
        "etcd membership"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let changes = &ctx.reconcile.etcd;
            if changes.is_empty() {
                return Ok(());
            }
            let creds = Credentials::from_bundle(ctx.bundle)?;
            for leaving in &changes.remove {
                remove_member(ctx, &creds, leaving).await?;
            }
            let mut members: Vec<&Node> =
                ctx.reconcile.recorded_etcd.iter().filter(|n| !changes.remove.iter().any(|r| r.address == n.address)).collect();
            for address in &changes.add {
                let h = ctx.hosts.hosts.iter().find(|h| &h.node.address == address).ok_or_else(|| anyhow!("host {address} is not connected"))?;
                members.push(&h.node);
                add_member(ctx, &creds, h, &members).await?;
            }
            Ok(())
        })
    }
}

/// A client to a healthy member among the etcd hosts that stay.
pub(super) async fn healthy_member(ctx: &Ctx<'_>, creds: &Credentials) -> Result<(Client, String)> {
    let mut errors = Vec::new();
    for h in ctx.hosts.with_role("etcd") {
        if ctx.reconcile.etcd.add.contains(&h.node.address) {
            continue;
        }
        let attempt = async {
            let mut c = etcd::connect(h.session.clone(), internal(&h.node), CLIENT_PORT, creds, Duration::from_secs(5)).await?;
            etcd::member_health(&mut c).await?;
            Ok::<_, anyhow::Error>(c)
        };
        match tokio::time::timeout(Duration::from_secs(15), attempt).await {
            Ok(Ok(c)) => return Ok((c, h.name().to_string())),
            Ok(Err(e)) => errors.push(format!("{}: {e:#}", h.name())),
            Err(_) => errors.push(format!("{}: no answer", h.name())),
        }
    }
    Err(anyhow!("no healthy etcd member to change the membership through ({}); nothing was changed", errors.join("; ")))
}

async fn remove_member(ctx: &Ctx<'_>, creds: &Credentials, leaving: &Node) -> Result<()> {
    let (mut client, via) = healthy_member(ctx, creds).await?;
    let list = client.member_list().await?;
    let peer = peer_url(leaving);
    let found = list.iter().find(|m| m.peer_ur_ls.contains(&peer) || m.name == member_name(leaving)).map(|m| m.id);
    if let Some(id) = found {
        ctx.ui.status(&format!("removing etcd member {} through {via}", member_name(leaving)));
        client.member_remove(id).await.map_err(|e| anyhow!("removing etcd member {} through {via}: {e}", member_name(leaving)))?;
        ctx.changed(&leaving.address, format!("removed etcd member {}", member_name(leaving)));
    }
    // the members that stay must agree on the new membership before anything else happens
    let expected = list.len() - usize::from(found.is_some());
    for h in ctx.hosts.with_role("etcd").filter(|h| !ctx.reconcile.etcd.add.contains(&h.node.address)) {
        wait_member_healthy(ctx, h, creds, expected).await?;
    }
    // then the departed member's etcd and data go, where the host can be reached
    let host = ctx.hosts.hosts.iter().chain(ctx.reconcile.departed.iter().copied()).find(|h| h.node.address == leaving.address);
    if let Some(h) = host {
        super::remove::remove_named(ctx, h, &[CONTAINER]).await?;
        super::remove::clean(ctx, h, &[crate::plan::prefixed(ctx.config, "/var/lib/etcd")]).await?;
    }
    Ok(())
}

async fn add_member(ctx: &Ctx<'_>, creds: &Credentials, h: &Host, members: &[&Node]) -> Result<()> {
    let (mut client, via) = healthy_member(ctx, creds).await?;
    let peer = peer_url(&h.node);
    let list = client.member_list().await?;
    if !list.iter().any(|m| m.peer_ur_ls.contains(&peer)) {
        ctx.ui.status(&format!("adding etcd member {} through {via}", member_name(&h.node)));
        client.member_add(std::slice::from_ref(&peer), false).await.map_err(|e| anyhow!("adding etcd member {} through {via}: {e}", member_name(&h.node)))?;
        ctx.changed(h.name(), format!("added etcd member {}", member_name(&h.node)));
        // a new member must start from an empty data directory (left-overs of an earlier
        // membership would make it refuse to join)
        if h.docker.inspect_container(CONTAINER, None).await.is_err() {
            super::remove::clean(ctx, h, &[crate::plan::prefixed(ctx.config, "/var/lib/etcd")]).await?;
        }
    }
    let spec = ctx
        .host_plan(h.name())
        .and_then(|p| p.containers.iter().find(|c| c.name == CONTAINER))
        .ok_or_else(|| anyhow!("host {}: no etcd in the plan", h.name()))?;
    let joining = with_initial_cluster(spec, members);
    let action = super::containers::ensure(&h.docker, &joining).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
    if action != super::containers::Action::Unchanged {
        ctx.changed(h.name(), "started etcd as a new member");
    }
    wait_member_healthy(ctx, h, creds, members.len()).await
}
