//! The worker plane: the sidekick, nginx-proxy on hosts without the controlplane role, kubelet
//! and kube-proxy on every host; kubelet and kube-proxy must answer /healthz.
//!
//! Hosts without the controlplane role whose running components change roll as RKE1 upgrades
//! them (`super::rolling`): etcd hosts one at a time, then the other hosts one first, alone,
//! then in batches of `max_unavailable_worker` (RKE1's default 10%), each cordoned (and
//! drained), replaced, Ready and uncordoned before the next. Controlplane hosts were rolled by
//! the control plane phase, their worker components inside the same cordon. New hosts (nothing
//! running yet) start together, bounded by `--concurrency`.
use super::health::{self, Endpoint};
use super::rolling::{self, change, Change, Plane};
use super::{Ctx, Phase};
use crate::plan::controlplane::SIDEKICK;
use crate::plan::worker::{KUBELET, KUBE_PROXY, NGINX_PROXY};
use crate::transport::hosts::{all_ok, bounded};
use crate::transport::Host;
use anyhow::Result;
use futures_util::future::BoxFuture;

pub struct WorkerPlane;

pub(super) const COMPONENTS: [&str; 4] = [SIDEKICK, NGINX_PROXY, KUBELET, KUBE_PROXY];

/// Brings the host's worker components to the plan and checks them; says whether its kubelet
/// was (re)started.
pub(super) async fn deploy(ctx: &Ctx<'_>, h: &Host) -> Result<bool> {
    let actions = ctx.ensure_containers(h, &COMPONENTS).await?;
    // ensure_containers acts on the components the plan holds, in COMPONENTS' order
    let present: Vec<&str> = ctx.host_plan(h.name()).map(|p| COMPONENTS.iter().copied().filter(|n| p.containers.iter().any(|c| c.name == *n)).collect()).unwrap_or_default();
    let kubelet = present.iter().zip(&actions).any(|(n, a)| *n == KUBELET && !a.is_noop());
    check(ctx, h).await?;
    Ok(kubelet)
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
            let found = all_ok(bounded(ctx.hosts.concurrency, all.iter().map(|h| change(ctx, h, &COMPONENTS)).collect()).await)?;
            let pick = |want: Change| all.iter().zip(&found).filter(|(_, c)| **c == want).map(|(h, _)| *h).collect::<Vec<&Host>>();
            let (unchanged, new, rolling) = (pick(Change::None), pick(Change::New), pick(Change::Rolling));
            // controlplane hosts rolled in the control plane phase (the dry run says so there)
            let (rolled_before, rolling): (Vec<&Host>, Vec<&Host>) = rolling.into_iter().partition(|h| h.has_role("controlplane"));

            all_ok(bounded(ctx.hosts.concurrency, new.iter().chain(&rolled_before).map(|h| deploy(ctx, h)).collect()).await)?;
            rolling::roll(ctx, Plane::Worker, &rolling, &new).await?;
            all_ok(bounded(ctx.hosts.concurrency, unchanged.iter().map(|h| check(ctx, h)).collect()).await)?;
            rolling::uncordon_left_behind(ctx).await;
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            let mut out = super::containers_dry_run(ctx, ctx.hosts.hosts.iter(), &COMPONENTS).await?;
            let mut rolling = Vec::new();
            let mut new = Vec::new();
            for h in &ctx.hosts.hosts {
                match change(ctx, h, &COMPONENTS).await? {
                    Change::Rolling if !h.has_role("controlplane") => rolling.push(h),
                    Change::New => new.push(h),
                    _ => {}
                }
            }
            out.extend(rolling::dry_run(ctx, Plane::Worker, &rolling, &new).await?.into_iter().map(super::Planned::Rollout));
            Ok(out)
        })
    }
}
