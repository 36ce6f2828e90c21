//! The worker plane: the sidekick, nginx-proxy on hosts without the controlplane role, kubelet
//! and kube-proxy on every host; kubelet and kube-proxy must answer /healthz.
//!
//! Hosts whose running components change are taken as RKE1 upgrades them
//! (`plan::rollout::upgrade_batches`): controlplane hosts in batches of
//! `max_unavailable_controlplane`, etcd hosts one at a time, then the other hosts one first,
//! alone, then in batches of `max_unavailable_worker` (RKE1's default 10%). Before a batch, its
//! nodes' pool must stay within its limit counting the nodes already not Ready (the health
//! gate); each node of the batch is cordoned (and drained with `upgrade_strategy.drain`), its
//! components replaced and healthy, the node Ready again, then uncordoned, before the next batch
//! starts. The first failure stops the rollout with the hosts not yet touched named: those are
//! untouched (a node whose drain failed is uncordoned again), and the next `up` continues. New
//! hosts (nothing running yet) start together, bounded by `--concurrency`.
use super::containers::Action;
use super::health::{self, Endpoint};
use super::{Ctx, Phase};
use crate::plan::controlplane::SIDEKICK;
use super::kubernetes::drain::{self, DrainSettings};
use super::kubernetes::nodes::not_ready;
use crate::plan::rollout::{self, Batch, Pool};
use crate::plan::worker::node_name;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use crate::plan::worker::{KUBELET, KUBE_PROXY, NGINX_PROXY};
use crate::transport::hosts::{all_ok, bounded};
use crate::transport::Host;
use anyhow::{anyhow, Context, Result};
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

/// Brings the host's worker components to the plan and checks them; says whether its kubelet
/// was (re)started.
async fn deploy(ctx: &Ctx<'_>, h: &Host) -> Result<bool> {
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

/// The rollout of the hosts whose components change, in RKE1's order, with each batch's limit.
fn rollout_batches<'h>(ctx: &Ctx<'_>, rolling: &[&'h Host]) -> Result<Vec<(Batch<&'h Host>, usize)>> {
    let strategy = ctx.config.upgrade_strategy.as_ref();
    let count = |role: &str| ctx.hosts.hosts.iter().filter(|h| h.has_role(role)).count();
    let max_cp = rollout::max_unavailable(strategy.and_then(|u| u.max_unavailable_controlplane.as_deref()), rollout::DEFAULT_CONTROLPLANE, count("controlplane"))
        .map_err(|e| anyhow!("upgrade_strategy.max_unavailable_controlplane {e}"))?;
    let max_worker = rollout::max_unavailable(strategy.and_then(|u| u.max_unavailable_worker.as_deref()), rollout::DEFAULT_WORKER, count("worker"))
        .map_err(|e| anyhow!("upgrade_strategy.max_unavailable_worker {e}"))?;
    let roles: Vec<(&Host, bool, bool)> = rolling.iter().map(|h| (*h, h.has_role("controlplane"), h.has_role("etcd"))).collect();
    Ok(rollout::upgrade_batches(&roles, max_cp, max_worker)
        .into_iter()
        .map(|b| {
            let max = if b.pool == Pool::Controlplane { max_cp } else { max_worker };
            (b, max)
        })
        .collect())
}

fn pool_of(h: &Host) -> Pool {
    if h.has_role("controlplane") {
        Pool::Controlplane
    } else {
        Pool::Worker
    }
}

/// One line per batch, as the run takes them (for --dry-run).
fn describe(batches: &[(Batch<&Host>, usize)], drain: &DrainSettings) -> Vec<String> {
    let how = if drain.drain { "cordon and drain, then uncordon once Ready" } else { "cordon (upgrade_strategy.drain: false), then uncordon once Ready" };
    batches
        .iter()
        .enumerate()
        .map(|(i, (b, max))| {
            let names: Vec<&str> = b.hosts.iter().map(|h| h.name()).collect();
            format!("worker plane batch {}/{} ({}, at most {max} unavailable): {}: {how}", i + 1, batches.len(), b.pool.key(), names.join(", "))
        })
        .collect()
}

/// Cordons (and drains) the nodes of a batch; the nodes stockade cordoned are added to `cordoned`.
async fn prepare(ctx: &Ctx<'_>, client: &kube::Client, h: &Host, settings: &DrainSettings, cordoned: &Mutex<Vec<String>>) -> Result<()> {
    let node = node_name(&h.node);
    match drain::cordon(client, &node).await.with_context(|| format!("host {}", h.name()))? {
        None => {
            ctx.ui.step(h.name(), &format!("node {node} is not registered: nothing to cordon"));
            return Ok(());
        }
        Some(true) => {
            cordoned.lock().unwrap().push(node.clone());
            ctx.ui.step(h.name(), &format!("cordoned node {node}"));
        }
        Some(false) => ctx.ui.step(h.name(), &format!("node {node} was already cordoned (left so afterwards unless stockade cordoned it)")),
    }
    if settings.drain {
        let status = |m: String| ctx.ui.status(&m);
        let d = drain::drain(client, &node, settings, &status).await.with_context(|| format!("host {}", h.name()))?;
        let skipped = if d.skip.is_empty() { String::new() } else { format!("; left: {}", d.skip.iter().map(|(p, why)| format!("{p} ({why})")).collect::<Vec<_>>().join(", ")) };
        ctx.ui.step(h.name(), &format!("drained node {node}: evicted {} pod(s){skipped}", d.evict.len()));
    }
    Ok(())
}

/// The Ready condition's last heartbeat of a node, as the API wrote it.
fn heartbeat(nodes: &[k8s_openapi::api::core::v1::Node], name: &str) -> Option<String> {
    let n = nodes.iter().find(|n| n.metadata.name.as_deref() == Some(name))?;
    let c = n.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "Ready")?;
    serde_json::to_string(c.last_heartbeat_time.as_ref()?).ok()
}

/// Waits until every node of `names` is Ready with a heartbeat other than `before`'s: the Ready
/// condition a replaced kubelet left stays True for the node monitor's grace period, so only a
/// status the new kubelet posted says the node is back.
async fn wait_ready(ctx: &Ctx<'_>, names: &[String], before: &[(String, Option<String>)]) -> Result<()> {
    let deadline = Instant::now() + ctx.timeouts.component_health;
    loop {
        ctx.ui.status(&format!("waiting for node(s) {} to be Ready", names.join(", ")));
        let last = match drain::list_nodes(ctx.hosts.with_role("controlplane"), ctx.bundle).await {
            Ok(nodes) => {
                let mut missing: Vec<String> = not_ready(names, &nodes).iter().map(|m| format!("node {}: {}", m.node, m.why)).collect();
                for (n, was) in before {
                    if was.is_some() && heartbeat(&nodes, n) == *was && names.contains(n) {
                        missing.push(format!("node {n}: no status from its new kubelet yet"));
                    }
                }
                if missing.is_empty() {
                    return Ok(());
                }
                missing.join("; ")
            }
            Err(e) => format!("{e:#}"),
        };
        if Instant::now() >= deadline {
            return Err(anyhow!("not Ready within {}s after their components were replaced: {last}", ctx.timeouts.component_health.as_secs()));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// One batch: health gate, cordon (and drain), replace the components, nodes Ready, uncordon.
async fn roll_batch(ctx: &Ctx<'_>, batch: &Batch<&Host>, max: usize, pool: &[String], settings: &DrainSettings) -> Result<()> {
    let names: Vec<String> = batch.hosts.iter().map(|h| node_name(&h.node)).collect();
    let nodes = drain::list_nodes(ctx.hosts.with_role("controlplane"), ctx.bundle).await.context("health gate: listing the nodes")?;
    let others: Vec<String> = pool.iter().filter(|n| !names.contains(n)).cloned().collect();
    let unavailable: Vec<String> = not_ready(&others, &nodes).into_iter().map(|n| format!("{}: {}", n.node, n.why)).collect();
    rollout::gate(&unavailable, batch.hosts.len(), max, batch.pool).map_err(|e| anyhow!("health gate before {}: {e}", names.join(", ")))?;

    let client = drain::any_client(ctx.hosts.with_role("controlplane"), ctx.bundle).await?;
    let cordoned = Mutex::new(Vec::new());
    let prepared = all_ok(bounded(ctx.hosts.concurrency, batch.hosts.iter().map(|h| prepare(ctx, &client, h, settings, &cordoned)).collect()).await);
    let cordoned = cordoned.into_inner().unwrap();
    if let Err(e) = prepared {
        // nothing of the batch was replaced: its nodes go back to how they were
        let mut e = e.context("the batch's components were NOT replaced");
        for n in &cordoned {
            match drain::uncordon(&client, n).await {
                Ok(()) => ctx.ui.step(n, "uncordoned again (its drain did not finish)"),
                Err(u) => e = e.context(format!("node {n} stays cordoned: {u:#}; `kubectl uncordon {n}`")),
            }
        }
        return Err(e);
    }
    // the heartbeats of the kubelets about to be replaced
    let now = drain::list_nodes(ctx.hosts.with_role("controlplane"), ctx.bundle).await.context("listing the nodes")?;
    let before: Vec<(String, Option<String>)> = names.iter().map(|n| (n.clone(), heartbeat(&now, n))).collect();
    let restarted = all_ok(bounded(ctx.hosts.concurrency, batch.hosts.iter().map(|h| deploy(ctx, h)).collect()).await)?;
    // a kubelet that was not replaced posts no new status soon: its node's Ready is enough
    let before: Vec<(String, Option<String>)> = before.into_iter().zip(restarted).map(|((n, hb), r)| (n, hb.filter(|_| r))).collect();
    wait_ready(ctx, &names, &before).await?;
    for n in &cordoned {
        drain::uncordon(&client, n).await?;
        ctx.ui.step(n, &format!("uncordoned node {n} (Ready)"));
    }
    Ok(())
}

/// Nodes an interrupted run left cordoned (stockade's annotation) and that are Ready again are
/// uncordoned. Best effort: the API may not answer yet on a new cluster (NodesReady reports it).
async fn uncordon_left_behind(ctx: &Ctx<'_>) {
    let Ok(nodes) = drain::list_nodes(ctx.hosts.with_role("controlplane"), ctx.bundle).await else { return };
    let ours: Vec<String> = ctx.hosts.hosts.iter().map(|h| node_name(&h.node)).collect();
    for n in nodes.iter().filter(|n| drain::cordoned_by_stockade(n)) {
        let name = n.metadata.name.clone().unwrap_or_default();
        if !ours.contains(&name) || !not_ready(std::slice::from_ref(&name), &nodes).is_empty() {
            continue;
        }
        let Ok(client) = drain::any_client(ctx.hosts.with_role("controlplane"), ctx.bundle).await else { return };
        match drain::uncordon(&client, &name).await {
            Ok(()) => ctx.ui.step(&name, &format!("uncordoned node {name} (an earlier run cordoned it and did not finish)")),
            Err(e) => ctx.ui.warn(&format!("node {name} stays cordoned: {e:#}")),
        }
    }
}

impl Phase for WorkerPlane {
    fn title(&self) -> &'static str {
        "Worker plane"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let settings = DrainSettings::from_config(ctx.config).map_err(|e| anyhow!(e))?;
            let all: Vec<&Host> = ctx.hosts.hosts.iter().collect();
            let found = all_ok(bounded(ctx.hosts.concurrency, all.iter().map(|h| change(ctx, h)).collect()).await)?;
            let pick = |want: Change| all.iter().zip(&found).filter(|(_, c)| **c == want).map(|(h, _)| *h).collect::<Vec<&Host>>();
            let (unchanged, new, rolling) = (pick(Change::None), pick(Change::New), pick(Change::Rolling));

            all_ok(bounded(ctx.hosts.concurrency, new.iter().map(|h| deploy(ctx, h)).collect()).await)?;

            let batches = rollout_batches(ctx, &rolling)?;
            for (i, (batch, max)) in batches.iter().enumerate() {
                // the pool counted against the limit: its nodes that existed before this run
                let pool: Vec<String> = all.iter().filter(|h| !new.iter().any(|n| n.name() == h.name()) && pool_of(h) == batch.pool).map(|h| node_name(&h.node)).collect();
                ctx.ui.status(&format!("worker plane: {}", batch.hosts.iter().map(|h| h.name()).collect::<Vec<_>>().join(", ")));
                if let Err(e) = roll_batch(ctx, batch, *max, &pool, &settings).await {
                    let left: Vec<&str> = batches[i + 1..].iter().flat_map(|(b, _)| &b.hosts).map(|h| h.name()).collect();
                    return Err(if left.is_empty() { e } else { e.context(format!("stopped the rollout: not changed yet: {}", left.join(", "))) });
                }
            }
            all_ok(bounded(ctx.hosts.concurrency, unchanged.iter().map(|h| check(ctx, h)).collect()).await)?;
            uncordon_left_behind(ctx).await;
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            let mut out = super::containers_dry_run(ctx, ctx.hosts.hosts.iter(), &COMPONENTS).await?;
            let settings = DrainSettings::from_config(ctx.config).map_err(|e| anyhow!(e))?;
            let mut rolling = Vec::new();
            for h in &ctx.hosts.hosts {
                if change(ctx, h).await? == Change::Rolling {
                    rolling.push(h);
                }
            }
            out.extend(describe(&rollout_batches(ctx, &rolling)?, &settings).into_iter().map(super::Planned::Rollout));
            Ok(out)
        })
    }
}
