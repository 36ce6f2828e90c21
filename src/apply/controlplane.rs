//! The control plane: on each controlplane host, one host at a time (RKE's default of one
//! controlplane host unavailable during a change), the sidekick, kube-apiserver,
//! kube-controller-manager and kube-scheduler are brought to the plan, then each must answer
//! its /healthz before the next host is touched.
use super::health::{self, Endpoint};
use super::{Ctx, Phase};
use crate::pki::names;
use crate::plan::controlplane::{APISERVER, CONTROLLER, SCHEDULER, SIDEKICK};
use super::containers::Action;
use crate::transport::hosts::all_ok;
use anyhow::{anyhow, Result};
use futures_util::future::join_all;
use futures_util::future::BoxFuture;

pub struct ControlPlane;

impl Phase for ControlPlane {
    fn title(&self) -> &'static str {
        "Control plane"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let ca = ctx.bundle.get(names::CA).ok_or_else(|| anyhow!("no CA in the certificate bundle"))?;
            let client = ctx.bundle.get(names::APISERVER).ok_or_else(|| anyhow!("no kube-apiserver certificate"))?;
            let checks = [
                (APISERVER, Endpoint::https_with(6443, ca, client), "check the kube-apiserver flags and that it reaches etcd (ports 2379)"),
                (CONTROLLER, secure_or_legacy(ctx, CONTROLLER), "check the kube-controller-manager flags and its kubeconfig"),
                (SCHEDULER, secure_or_legacy(ctx, SCHEDULER), "check the kube-scheduler flags and its kubeconfig"),
            ];
            let checks = &checks;
            let check_host = |h: &'a crate::transport::Host| async move {
                for (name, ep, hint) in checks {
                    ctx.ui.status(&format!("{}: waiting for {name}", h.name()));
                    health::wait_healthy(h, name, ctx.timeouts.component_health, hint, || health::healthz(h, ep)).await?;
                }
                Ok::<_, anyhow::Error>(())
            };
            // a host that changes is checked before the next one is touched (rolling); hosts
            // with nothing to change are checked together at the end
            let mut unchanged = Vec::new();
            for h in ctx.hosts.with_role("controlplane") {
                let actions = ctx.ensure_containers(h, &[SIDEKICK, APISERVER, CONTROLLER, SCHEDULER]).await?;
                if actions.iter().all(Action::is_noop) {
                    unchanged.push(h);
                } else {
                    check_host(h).await?;
                }
            }
            all_ok(join_all(unchanged.into_iter().map(check_host)).await)?;
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(super::containers_dry_run(ctx, ctx.hosts.with_role("controlplane"), &[SIDEKICK, APISERVER, CONTROLLER, SCHEDULER]))
    }
}

/// controller-manager and scheduler answer /healthz on their self-signed TLS ports, except on the
/// minors where RKE1 checks their plain-HTTP ports (`plan::versioned::health_port`).
fn secure_or_legacy(ctx: &Ctx<'_>, component: &str) -> Endpoint {
    match crate::plan::versioned::health_port(ctx.config, component) {
        (port, true) => Endpoint::HttpsSelfSigned { port },
        (port, false) => Endpoint::Http { port },
    }
}
