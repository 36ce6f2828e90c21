//! The etcd plane: one `etcd` container per etcd host, changed one host at a time as RKE
//! does, then every member must report healthy through the etcd API (over SSH) with the full
//! member list. A container that exits or never becomes healthy fails `up` with the host,
//! its last log lines and a hint.
//!
//! In a running cluster a member is touched only while every other member is healthy and sees
//! the same membership (so quorum survives the member being down), members that are down are
//! repaired first, and a replaced member that does not become healthy is rolled back to its
//! previous container. A cluster with no healthy member (new, or down) has no quorum to keep:
//! its members are started together and checked at the end.
use super::etcd_health::{all_healthy_except, first_healthy, wait_member_healthy};
use super::{Ctx, Phase};
use crate::etcd::Credentials;
use crate::plan::etcd::CONTAINER;
use crate::transport::hosts::all_ok;
use crate::transport::Host;
use anyhow::Result;
use futures_util::future::{join_all, BoxFuture};

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
            let mut to_change = Vec::new();
            for h in &members {
                if let Some(spec) = ctx.host_plan(h.name()).and_then(|p| p.containers.iter().find(|c| c.name == CONTAINER)) {
                    if !ctx.action(h, spec).await?.is_noop() {
                        data_dir_kept(h, spec).await?;
                        to_change.push(*h);
                    }
                }
            }
            let running = !ctx.reconcile.etcd_all_at_once && !to_change.is_empty() && first_healthy(members.clone(), &creds).await.is_ok();
            if running {
                // members that are down first: repairing one never lowers the healthy count
                let mut order = Vec::new();
                for h in to_change {
                    let healthy = all_healthy_except(&[h], None, &creds, expected).await.is_ok();
                    order.push((healthy, h));
                }
                order.sort_by_key(|(healthy, _)| *healthy);
                for (_, h) in order {
                    let down = all_healthy_except(&[h], None, &creds, expected).await.is_err();
                    if down {
                        // repairing a member that is down never lowers the healthy count: the
                        // others only need to keep a quorum between them
                        let quorum = expected / 2 + 1;
                        let mut healthy = 0;
                        for m in members.iter().filter(|m| m.name() != h.name()) {
                            healthy += usize::from(all_healthy_except(&[m], None, &creds, expected).await.is_ok());
                        }
                        if healthy < quorum {
                            return Err(crate::exit::Refused(format!(
                                "not changing etcd on {}: only {healthy} of the other members are healthy, below the quorum of {quorum}; nothing more was changed",
                                h.name()
                            ))
                            .into());
                        }
                    } else {
                        all_healthy_except(&members, Some(h.name()), &creds, expected).await.map_err(|e| {
                            crate::exit::Refused(format!("not changing etcd on {}: {e:#}. With that member down too the cluster could lose quorum; nothing more was changed: bring those members back first", h.name()))
                        })?;
                    }
                    fix_data_dir(ctx, h).await?;
                    ctx.ensure_container_checked(h, CONTAINER, || wait_member_healthy(ctx, h, &creds, expected)).await?;
                }
            } else {
                for h in to_change {
                    fix_data_dir(ctx, h).await?;
                    ctx.ensure_containers(h, &[CONTAINER]).await?;
                }
            }
            ctx.ui.status("waiting for etcd members to report healthy");
            let checks = members.iter().map(|h| ctx.ui.time_host(h.name(), wait_member_healthy(ctx, h, &creds, expected)));
            all_ok(join_all(checks).await)?;
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            for h in ctx.hosts.with_role("etcd") {
                if let Some(spec) = ctx.host_plan(h.name()).and_then(|p| p.containers.iter().find(|c| c.name == CONTAINER)) {
                    if !ctx.action(h, spec).await?.is_noop() {
                        data_dir_kept(h, spec).await?;
                    }
                }
            }
            super::containers_dry_run(ctx, ctx.hosts.with_role("etcd"), &[CONTAINER]).await
        })
    }
}

/// Where etcd keeps its data inside its container (`--data-dir`).
const DATA_IN_CONTAINER: &str = "/var/lib/rancher/etcd";

/// The host directory bound at etcd's data directory, in Docker's `source:destination[:opts]`.
fn data_source(binds: &[String]) -> Option<&str> {
    binds.iter().find_map(|b| {
        let mut parts = b.split(':');
        let (source, dest) = (parts.next()?, parts.next()?);
        (dest.trim_end_matches('/') == DATA_IN_CONTAINER).then_some(source)
    })
}

/// Refuses to replace an etcd container (RKE1's or stockade's) whose data lives in another host
/// directory than the plan's: the new container would start this member with an empty data
/// directory. That happens when `prefix_path` changes, or when it is unset and the system Docker
/// reports changes RKE1's per-system default (`plan::on_host`). Read from the live container,
/// never from the state file.
async fn data_dir_kept(h: &Host, spec: &crate::plan::ContainerSpec) -> Result<()> {
    let Some(planned) = data_source(&spec.binds) else { return Ok(()) };
    let current = match h.docker.inspect_container(CONTAINER, None).await {
        Ok(c) => c.host_config.and_then(|hc| hc.binds).unwrap_or_default(),
        Err(e) if crate::transport::docker::is_not_found(&e) => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("host {}: reading the etcd container: {e}", h.name())),
    };
    match data_source(&current) {
        Some(now) if now.trim_end_matches('/') != planned.trim_end_matches('/') => Err(crate::exit::Refused(format!(
            "not replacing etcd on {}: its data is in {now} on the host, and this plan would start it on {planned} (prefix_path, or RKE1's default prefix for the system Docker reports: {}), where this member's data is not. Set prefix_path so that the data directory stays {now}, or stop etcd and move its data first. etcd on this host was not touched",
            h.name(),
            if h.operating_system.is_empty() { "unknown" } else { h.operating_system.as_str() }
        ))
        .into()),
        _ => Ok(()),
    }
}

/// etcd's data directory as RKE1 leaves it before etcd starts (its `etcd-fix-perm` step): mode
/// 0700, and owned by `services.etcd.uid`/`gid` when etcd runs as that user (it must write
/// there). Ownership and mode change, recursively with a user; never the data itself.
pub(super) async fn fix_data_dir(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    let dir = h.prefixed(ctx.config, "/var/lib/etcd");
    let mut script = "mkdir -p /data && chmod 700 /data".to_string();
    if let Some((uid, gid)) = crate::plan::files::etcd_owner(ctx.config) {
        script.push_str(&format!(" && chown -R {uid}:{gid} /data"));
    }
    let cmd = vec!["sh".to_string(), "-c".to_string(), script.clone()];
    let helper = crate::transport::docker::Helper::create(&h.docker, &ctx.plan.helper_image, vec![format!("{dir}:/data")], cmd).await?;
    let run = helper.run(ctx.timeouts.helper).await;
    helper.remove().await;
    match run.map_err(|e| anyhow::anyhow!("host {}: setting the permissions of {dir}: {e:#}", h.name()))? {
        (0, _) => Ok(()),
        (code, out) => Err(anyhow::anyhow!("host {}: setting the permissions of {dir} failed (exit {code}): {}; check that the directory is writable by root on the host", h.name(), out.trim())),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_data_directory_is_the_bind_at_etcds_data_dir() {
        let binds = |b: &[&str]| b.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(super::data_source(&binds(&["/etc/kubernetes:/etc/kubernetes:z", "/opt/rke/var/lib/etcd:/var/lib/rancher/etcd/:z"])), Some("/opt/rke/var/lib/etcd"));
        assert_eq!(super::data_source(&binds(&["/var/lib/etcd:/var/lib/rancher/etcd"])), Some("/var/lib/etcd"));
        assert_eq!(super::data_source(&binds(&["/etc/kubernetes:/etc/kubernetes"])), None);
    }
}
