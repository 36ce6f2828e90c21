//! The control plane: on each controlplane host the sidekick, kube-apiserver,
//! kube-controller-manager and kube-scheduler are brought to the plan, then each must answer
//! its /healthz before the next host is touched.
//!
//! Running controlplane hosts that change (their controlplane or their worker components) roll
//! as RKE1's `UpgradeControlPlaneNodes` takes them (rke.md §7, `super::rolling`): in batches of
//! `max_unavailable_controlplane` (default 1), each behind the health gate, its node cordoned
//! (and drained with `upgrade_strategy.drain`), its controlplane components replaced and
//! healthy, then its worker components (kubelet, kube-proxy) replaced and healthy, the node
//! Ready again, then uncordoned. New controlplane hosts (nothing running yet) start one at a
//! time; their worker components start in the worker plane phase.
use super::health::{self, Endpoint};
use super::rolling::{self, change, Change, Plane};
use super::{Ctx, Phase};
use crate::pki::names;
use crate::plan::controlplane::{APISERVER, CONTROLLER, SCHEDULER, SIDEKICK};
use crate::transport::hosts::all_ok;
use crate::transport::Host;
use anyhow::{anyhow, Result};
use futures_util::future::join_all;
use futures_util::future::BoxFuture;

pub struct ControlPlane;

const COMPONENTS: [&str; 4] = [SIDEKICK, APISERVER, CONTROLLER, SCHEDULER];

/// Each component's /healthz, in order, until it answers (within the component timeout).
async fn check_host(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    let ca = ctx.bundle.get(names::CA).ok_or_else(|| anyhow!("no CA in the certificate bundle"))?;
    let client = ctx.bundle.get(names::APISERVER).ok_or_else(|| anyhow!("no kube-apiserver certificate"))?;
    let checks = [
        (APISERVER, Endpoint::https_with(6443, ca, client), "check the kube-apiserver flags and that it reaches etcd (ports 2379)"),
        (CONTROLLER, secure_or_legacy(ctx, CONTROLLER), "check the kube-controller-manager flags and its kubeconfig"),
        (SCHEDULER, secure_or_legacy(ctx, SCHEDULER), "check the kube-scheduler flags and its kubeconfig"),
    ];
    for (name, ep, hint) in &checks {
        ctx.ui.status(&format!("{}: waiting for {name}", h.name()));
        health::wait_healthy(h, name, ctx.timeouts.component_health, hint, || health::healthz(h, ep)).await?;
    }
    Ok(())
}

/// Brings the host's controlplane components to the plan, then checks them.
pub(super) async fn deploy_and_check(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    ctx.ensure_containers(h, &COMPONENTS).await?;
    check_host(ctx, h).await
}

impl Phase for ControlPlane {
    fn title(&self) -> &'static str {
        "Control plane"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (unchanged, new, rolling) = hosts_by_change(ctx).await?;
            // a new host is checked before the next one is touched
            for h in &new {
                deploy_and_check(ctx, h).await?;
            }
            rolling::roll(ctx, Plane::Control, &rolling, &new).await?;
            // hosts with nothing to change are checked together at the end
            all_ok(join_all(unchanged.into_iter().map(|h| check_host(ctx, h))).await)?;
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            let mut out = super::containers_dry_run(ctx, ctx.hosts.with_role("controlplane"), &COMPONENTS).await?;
            let (_, new, rolling) = hosts_by_change(ctx).await?;
            out.extend(rolling::dry_run(ctx, Plane::Control, &rolling, &new).await?.into_iter().map(super::Planned::Rollout));
            Ok(out)
        })
    }
}

/// The controlplane hosts by what they need: (unchanged, new, rolling). A host rolls when its
/// controlplane or worker components change (RKE1's `checkHostUpgradable` looks at both).
async fn hosts_by_change<'a>(ctx: &'a Ctx<'a>) -> Result<(Vec<&'a Host>, Vec<&'a Host>, Vec<&'a Host>)> {
    let both: Vec<&str> = COMPONENTS.iter().chain(super::worker::COMPONENTS.iter()).copied().collect();
    let (mut unchanged, mut new, mut rolling) = (Vec::new(), Vec::new(), Vec::new());
    for h in ctx.hosts.with_role("controlplane") {
        match change(ctx, h, &both).await? {
            Change::None => unchanged.push(h),
            Change::New => new.push(h),
            Change::Rolling => rolling.push(h),
        }
    }
    Ok((unchanged, new, rolling))
}

/// controller-manager and scheduler answer /healthz on their self-signed TLS ports, except on the
/// minors where RKE1 checks their plain-HTTP ports (`plan::versioned::health_port`).
fn secure_or_legacy(ctx: &Ctx<'_>, component: &str) -> Endpoint {
    match crate::plan::versioned::health_port(ctx.config, component) {
        (port, true) => Endpoint::HttpsSelfSigned { port },
        (port, false) => Endpoint::Http { port },
    }
}
