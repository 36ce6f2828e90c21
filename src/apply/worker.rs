//! The worker plane, on every host in parallel (bounded by --concurrency): the sidekick,
//! nginx-proxy on hosts without the controlplane role, kubelet and kube-proxy; kubelet and
//! kube-proxy must answer /healthz.
use super::health::{self, Endpoint};
use super::{Ctx, Phase};
use crate::plan::controlplane::SIDEKICK;
use crate::plan::worker::{KUBELET, KUBE_PROXY, NGINX_PROXY};
use anyhow::Result;
use futures_util::future::BoxFuture;

pub struct WorkerPlane;

impl Phase for WorkerPlane {
    fn title(&self) -> &'static str {
        "Worker plane"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(ctx.on_each_host(move |h| async move {
            ctx.ensure_containers(h, &[SIDEKICK, NGINX_PROXY, KUBELET, KUBE_PROXY]).await?;
            let checks = [
                (KUBELET, Endpoint::Http { port: 10248 }, "kubelet must reach the API at https://127.0.0.1:6443 (nginx-proxy on hosts without the controlplane role)"),
                (KUBE_PROXY, Endpoint::Http { port: 10256 }, "check the kube-proxy flags and its kubeconfig"),
            ];
            for (name, ep, hint) in &checks {
                health::wait_healthy(h, name, ctx.timeouts.component_health, hint, || health::healthz(h, ep)).await?;
            }
            Ok(())
        }))
    }
}
