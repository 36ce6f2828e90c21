//! etcd membership changes, one member at a time, before the etcd plane is brought to the plan
//! (rke.md §5). The changes were planned from the live member list; every step reads it again
//! and checks first whether it was already done, so an interrupted run is finished by the next.
//!
//! - A leaving member is removed through a healthy member that stays, only while every member
//!   that stays is healthy; the others must agree on the new membership before the departed
//!   host's etcd is stopped and its data cleaned.
//! - A joining member is added as a *learner* (it does not count towards quorum, so a member
//!   that never comes up cannot stall the cluster), after its host was seen to reach every
//!   member's peer port; it starts with the member list of that moment and
//!   `--initial-cluster-state=existing`, is promoted to a voter once it has caught up, and must
//!   then be healthy. A learner that does not catch up in time is removed again.
use super::etcd_health::{all_healthy_except, first_healthy, live_members, reaches, wait_member_healthy};
use super::{Ctx, Phase};
use crate::etcd::{Client, Credentials};
use crate::plan::etcd::{member_name, peer_url, with_initial_members, CONTAINER};
use crate::plan::membership::{Leaving, LiveMember};
use crate::transport::Host;
use anyhow::{anyhow, bail, Result};
use futures_util::future::BoxFuture;
use std::time::{Duration, Instant};

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
            for address in changes.promote.iter().chain(&changes.add) {
                let h = ctx.hosts.hosts.iter().find(|h| &h.node.address == address).ok_or_else(|| anyhow!("host {address} is not connected"))?;
                join(ctx, &creds, h).await?;
            }
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        let lines = crate::plan::membership::describe(&ctx.reconcile.etcd, &ctx.config.nodes);
        Box::pin(async move {
            // the run refuses a member that could not join: so does its preview
            if !ctx.reconcile.etcd.add.is_empty() || !ctx.reconcile.etcd.promote.is_empty() {
                let creds = Credentials::from_bundle(ctx.bundle)?;
                for address in ctx.reconcile.etcd.promote.iter().chain(&ctx.reconcile.etcd.add) {
                    let h = ctx.hosts.hosts.iter().find(|h| &h.node.address == address).ok_or_else(|| anyhow!("host {address} is not connected"))?;
                    join_preconditions(ctx, &creds, h).await?;
                }
            }
            Ok(lines.into_iter().map(super::Planned::Membership).collect())
        })
    }
}

/// The etcd hosts whose member is already a voter (not joining in this run).
fn voters<'a>(ctx: &'a Ctx<'a>) -> Vec<&'a Host> {
    let joining = |h: &Host| ctx.reconcile.etcd.add.contains(&h.node.address) || ctx.reconcile.etcd.promote.contains(&h.node.address);
    ctx.hosts.with_role("etcd").filter(|h| !joining(h)).collect()
}

async fn through_healthy<'a>(ctx: &'a Ctx<'a>, creds: &Credentials) -> Result<(Client, &'a Host, Vec<LiveMember>)> {
    let (mut client, via) = first_healthy(voters(ctx), creds).await.map_err(|e| anyhow!("{e}: no membership change was made"))?;
    let live = live_members(&mut client).await?;
    Ok((client, via, live))
}

async fn remove_member(ctx: &Ctx<'_>, creds: &Credentials, leaving: &Leaving) -> Result<()> {
    let (client, via, live) = through_healthy(ctx, creds).await?;
    let found = live.iter().find(|m| m.peer_urls.contains(&leaving.peer_url) || m.name == leaving.name);
    if let Some(m) = found {
        // the members that stay carry the cluster once this one is gone: all must be healthy
        let staying = voters(ctx);
        all_healthy_except(&staying, None, creds, live.iter().filter(|m| !m.learner).count())
            .await
            .map_err(|e| crate::exit::Refused(format!("not removing etcd member {}: {e:#}. Nothing was changed: bring those members back first", leaving.name)))?;
        ctx.ui.status(&format!("removing etcd member {} through {}", leaving.name, via.name()));
        let id = m.id;
        settled(ctx, || client.clone().member_remove_owned(id)).await.map_err(|e| anyhow!("removing etcd member {} through {}: {e}", leaving.name, via.name()))?;
        ctx.changed(leaving.node.as_ref().map_or(via.name(), |n| n.address.as_str()), format!("removed etcd member {}", leaving.name));
    }
    // the members that stay must agree on the new membership before anything else happens
    let expected = live.len() - usize::from(found.is_some());
    for h in voters(ctx) {
        wait_member_healthy(ctx, h, creds, expected).await?;
    }
    // then the departed member's etcd and data go, where the host can be reached
    let Some(node) = &leaving.node else {
        ctx.ui.warn(&format!("etcd member {} ({}) ran on a host stockade does not know: stop its etcd container by hand", leaving.name, leaving.peer_url));
        return Ok(());
    };
    let host = ctx.hosts.hosts.iter().chain(ctx.reconcile.departed.iter().copied()).find(|h| h.node.address == node.address);
    match host {
        Some(h) => {
            super::remove::remove_named(ctx, h, &[CONTAINER]).await?;
            super::remove::clean(ctx, h, &[h.prefixed(ctx.config, "/var/lib/etcd")]).await?;
        }
        None => ctx.ui.warn(&format!("host {} (etcd member {}) is not connected: its etcd container and data were not removed", node.address, leaving.name)),
    }
    Ok(())
}

/// Runs a membership change, again while etcd answers "unhealthy cluster": etcd refuses
/// reconfiguration until every member has been connected for a few seconds (a member that just
/// came back), which passes by itself; anything else is returned at once.
async fn settled<T, F, Fut>(ctx: &Ctx<'_>, mut change: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let deadline = Instant::now() + ctx.timeouts.etcd_health;
    loop {
        match change().await {
            Err(e) if format!("{e}").contains("unhealthy cluster") && Instant::now() < deadline => tokio::time::sleep(Duration::from_secs(1)).await,
            other => return other,
        }
    }
}

/// `https://10.0.0.1:2380` → ("10.0.0.1", 2380)
fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split("://").nth(1)?.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':')?;
    Some((host.trim_start_matches('[').trim_end_matches(']').to_string(), port.parse().ok()?))
}

/// What must hold before `h` joins, checked on the live cluster (by the run and by `--dry-run`
/// alike): every voter healthy, and the new host reaching every member's peer port. Returns a
/// client through a healthy member and the live member list.
async fn join_preconditions<'a>(ctx: &'a Ctx<'a>, creds: &Credentials, h: &Host) -> Result<(Client, &'a Host, Vec<LiveMember>)> {
    let (client, via, live) = through_healthy(ctx, creds).await?;
    let peer = peer_url(&h.node);
    let name = member_name(&h.node);
    let voters_now = live.iter().filter(|m| !m.learner).count();
    all_healthy_except(&voters(ctx), None, creds, voters_now)
        .await
        .map_err(|e| crate::exit::Refused(format!("not adding etcd member {name}: {e:#}. Nothing was changed: bring those members back first")))?;
    // the new member must reach every member's peer port, or it could never catch up
    for m in live.iter().filter(|m| !m.peer_urls.contains(&peer)) {
        for (ip, port) in m.peer_urls.iter().filter_map(|u| host_port(u)) {
            reaches(h, &ip, port)
                .await
                .map_err(|e| crate::exit::Refused(format!("not adding etcd member {name}: {e} (member {}'s peer port; firewall?). Nothing was changed", m.name)))?;
        }
    }
    Ok((client, via, live))
}

async fn join(ctx: &Ctx<'_>, creds: &Credentials, h: &Host) -> Result<()> {
    let (mut client, via, live) = join_preconditions(ctx, creds, h).await?;
    let peer = peer_url(&h.node);
    let name = member_name(&h.node);
    let existing = live.iter().find(|m| m.peer_urls.contains(&peer)).cloned();
    let (id, learner, mut members) = match existing {
        Some(m) => {
            // added by a run that stopped before it started: it must start from an empty dir
            if m.name.is_empty() && h.docker.inspect_container(CONTAINER, None).await.is_err() {
                super::remove::clean(ctx, h, &[h.prefixed(ctx.config, "/var/lib/etcd")]).await?;
            }
            (m.id, m.learner, live.clone())
        }
        None => {
            ctx.ui.status(&format!("adding etcd member {name} as a learner through {}", via.name()));
            let added = settled(ctx, || client.clone().member_add_owned(vec![peer.clone()], true))
                .await
                .map_err(|e| anyhow!("adding etcd member {name} through {}: {e}", via.name()))?;
            ctx.changed(h.name(), format!("added etcd member {name} as a learner"));
            // a new member must start from an empty data directory (left-overs of an earlier
            // membership would make it refuse to join): the foreign-cluster check refused a
            // joining host with an etcd container, so what is here is not a running member's
            super::remove::clean(ctx, h, &[h.prefixed(ctx.config, "/var/lib/etcd")]).await?;
            let mut members = live.clone();
            members.push(LiveMember { id: added.id, name: String::new(), peer_urls: vec![peer.clone()], learner: true });
            (added.id, true, members)
        }
    };
    // members that never started have no name yet: the new one is this host
    for m in members.iter_mut().filter(|m| m.name.is_empty()) {
        if m.peer_urls.contains(&peer) {
            m.name = name.clone();
        }
    }
    if let Some(m) = members.iter().find(|m| m.name.is_empty()) {
        bail!("etcd member {} has not started and stockade does not know its name: remove it (`etcdctl member remove {:x}`) or add its host to cluster.yml", m.peer_urls.join(","), m.id);
    }
    let pairs: Vec<(String, String)> = members.iter().map(|m| (m.name.clone(), m.peer_urls.first().cloned().unwrap_or_default())).collect();
    let spec = ctx
        .host_plan(h.name())
        .and_then(|p| p.containers.iter().find(|c| c.name == CONTAINER))
        .ok_or_else(|| anyhow!("host {}: no etcd in the plan", h.name()))?;
    let joining = with_initial_members(spec, &pairs);
    super::etcd_plane::fix_data_dir(ctx, h).await?;
    let action = super::containers::ensure(&h.docker, &joining).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
    if !action.is_noop() {
        ctx.changed(h.name(), "started etcd as a new member");
    }
    if learner {
        if let Err(e) = promote(ctx, &mut client, h, id, &name).await {
            // a learner does not count towards quorum: taking it out again is safe
            let undo = async {
                // only while it is still a learner: one that was promoted after all is a voter now
                let still_learner = client.member_list().await?.iter().any(|m| m.id == id && m.is_learner);
                if !still_learner {
                    bail!("it is no longer a learner (promoted after all?): left as it is, check `etcdctl member list`");
                }
                client.member_remove(id).await?;
                super::remove::remove_named(ctx, h, &[CONTAINER]).await
            };
            return Err(match undo.await {
                Ok(()) => e.context(format!("the learner {name} was removed again and its etcd container stopped; nothing else changed")),
                Err(u) => e.context(format!("removing the learner {name} again failed too ({u:#}): remove it with `etcdctl member remove {id:x}`")),
            });
        }
        ctx.changed(h.name(), format!("promoted etcd member {name} to a voting member"));
    }
    wait_member_healthy(ctx, h, creds, members.len()).await
}

/// Promotes the learner once it has caught up with the leader (etcd refuses before that).
async fn promote(ctx: &Ctx<'_>, client: &mut Client, h: &Host, id: u64, name: &str) -> Result<()> {
    let deadline = Instant::now() + ctx.timeouts.etcd_health;
    ctx.ui.status(&format!("waiting for etcd learner {name} to catch up"));
    loop {
        let err = match client.member_promote(id).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        // promoted by an earlier attempt whose answer was lost?
        if let Ok(list) = client.member_list().await {
            if list.iter().any(|m| m.id == id && !m.is_learner) {
                return Ok(());
            }
        }
        if let Some(problem) = super::health::stopped(h, CONTAINER).await {
            let logs = crate::transport::docker::tail_logs(&h.docker, CONTAINER, 20).await;
            bail!("host {}: etcd learner {name} {problem}{}", h.name(), super::containers::indent_logs(&logs));
        }
        if Instant::now() >= deadline {
            let logs = crate::transport::docker::tail_logs(&h.docker, CONTAINER, 15).await;
            bail!(
                "host {}: etcd learner {name} did not catch up within {}s (last answer: {err:#}){}\n      hint: the members must reach each other on port 2380, both ways",
                h.name(),
                ctx.timeouts.etcd_health.as_secs(),
                super::containers::indent_logs(&logs)
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn peer_urls_give_host_and_port() {
        assert_eq!(super::host_port("https://10.0.0.1:2380"), Some(("10.0.0.1".into(), 2380)));
        assert_eq!(super::host_port("https://[fd00::1]:2380/"), Some(("fd00::1".into(), 2380)));
        assert_eq!(super::host_port("10.0.0.1"), None);
    }
}
