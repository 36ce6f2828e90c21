//! The worker plane: the sidekick, nginx-proxy on hosts without the controlplane role, kubelet
//! and kube-proxy on every host; kubelet and kube-proxy must answer /healthz.
//!
//! Hosts whose running components change are taken as RKE1 upgrades them: controlplane and etcd
//! hosts one at a time, then the worker-only hosts one first, alone, then in batches of
//! `upgrade_strategy.max_unavailable_worker` (RKE1's default 10%), each batch healthy before the
//! next starts; the first failure stops the rollout with the hosts not yet touched named. New
//! hosts (nothing running yet) start together, bounded by `--concurrency`.
use super::containers::Action;
use super::health::{self, Endpoint};
use super::{Ctx, Phase};
use crate::plan::controlplane::SIDEKICK;
use crate::plan::rollout;
use crate::plan::worker::{KUBELET, KUBE_PROXY, NGINX_PROXY};
use crate::transport::hosts::{all_ok, bounded};
use crate::transport::Host;
use anyhow::{anyhow, Result};
use futures_util::future::BoxFuture;

pub struct WorkerPlane;

const COMPONENTS: [&str; 4] = [SIDEKICK, NGINX_PROXY, KUBELET, KUBE_PROXY];

/// What a host's worker components need.
#[derive(PartialEq)]
enum Change {
    None,
    /// nothing of it runs yet
    New,
    /// running components are replaced or restarted
    Rolling,
}

async fn change(ctx: &Ctx<'_>, h: &Host) -> Result<Change> {
    let Some(plan) = ctx.host_plan(h.name()) else { return Ok(Change::None) };
    let mut actions = Vec::new();
    for spec in plan.containers.iter().filter(|c| COMPONENTS.contains(&c.name.as_str())) {
        actions.push(ctx.action(h, spec).await?);
    }
    Ok(if actions.iter().all(Action::is_noop) {
        Change::None
    } else if actions.iter().all(|a| matches!(a, Action::Created | Action::Unchanged | Action::Adopted)) {
        Change::New
    } else {
        Change::Rolling
    })
}

async fn deploy(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    ctx.ensure_containers(h, &COMPONENTS).await?;
    check(ctx, h).await
}

async fn check(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    let checks = [
        (KUBELET, Endpoint::Http { port: 10248 }, "kubelet must reach the API at https://127.0.0.1:6443 (nginx-proxy on hosts without the controlplane role)"),
        (KUBE_PROXY, Endpoint::Http { port: 10256 }, "check the kube-proxy flags and its kubeconfig"),
    ];
    for (name, ep, hint) in &checks {
        health::wait_healthy(h, name, ctx.timeouts.component_health, hint, || health::healthz(h, ep)).await?;
    }
    Ok(())
}

impl Phase for WorkerPlane {
    fn title(&self) -> &'static str {
        "Worker plane"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let all: Vec<&Host> = ctx.hosts.hosts.iter().collect();
            let found = all_ok(bounded(ctx.hosts.concurrency, all.iter().map(|h| change(ctx, h)).collect()).await)?;
            let pick = |want: Change| all.iter().zip(&found).filter(|(_, c)| **c == want).map(|(h, _)| *h).collect::<Vec<&Host>>();
            let (unchanged, new, rolling) = (pick(Change::None), pick(Change::New), pick(Change::Rolling));

            all_ok(bounded(ctx.hosts.concurrency, new.iter().map(|h| deploy(ctx, h)).collect()).await)?;

            let (special, workers): (Vec<&Host>, Vec<&Host>) = rolling.iter().partition(|h| h.has_role("controlplane") || h.has_role("etcd"));
            let max = rollout::max_unavailable(
                ctx.config.upgrade_strategy.as_ref().and_then(|u| u.max_unavailable_worker.as_deref()),
                rollout::DEFAULT_WORKER,
                ctx.hosts.hosts.iter().filter(|h| h.has_role("worker")).count(),
            )
            .map_err(|e| anyhow!("upgrade_strategy.max_unavailable_worker {e}"))?;
            let mut batches: Vec<Vec<&Host>> = special.into_iter().map(|h| vec![h]).collect();
            batches.extend(rollout::batches(&workers, max));
            for (i, batch) in batches.iter().enumerate() {
                ctx.ui.status(&format!("worker plane: {}", batch.iter().map(|h| h.name()).collect::<Vec<_>>().join(", ")));
                if let Err(e) = all_ok(bounded(ctx.hosts.concurrency, batch.iter().map(|h| deploy(ctx, h)).collect()).await) {
                    let left: Vec<&str> = batches[i + 1..].iter().flatten().map(|h| h.name()).collect();
                    return Err(if left.is_empty() { e } else { e.context(format!("stopped the rollout: not changed yet: {}", left.join(", "))) });
                }
            }
            all_ok(bounded(ctx.hosts.concurrency, unchanged.iter().map(|h| check(ctx, h)).collect()).await)?;
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(super::containers_dry_run(ctx, ctx.hosts.hosts.iter(), &COMPONENTS))
    }
}
