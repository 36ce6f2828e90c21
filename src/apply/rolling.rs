//! The rolling change of running hosts, as RKE1 upgrades them (rke.md §7): hosts whose
//! running components change are taken in batches (`plan::rollout::upgrade_batches`); before a
//! batch, its pool must stay within its limit counting the nodes already not Ready (the health
//! gate); each node of the batch is cordoned (and drained with `upgrade_strategy.drain`), its
//! components replaced and healthy, the node Ready again, then uncordoned, before the next batch
//! starts.
//!
//! Two planes roll this way, each in its phase: the control plane (controlplane hosts in batches
//! of `max_unavailable_controlplane`; each host's controlplane AND worker components are
//! replaced inside its cordon, as RKE1's `upgradeControlHost` does, whether or not the host has
//! the worker role: every RKE1 host runs a kubelet), then the worker plane (the other hosts).
//!
//! What a batch will do — the gate, which nodes are cordoned, which pods are evicted, skipped
//! or block the drain — is decided by [`decide_batch`] from the live nodes and pods; the run and
//! `--dry-run` both call it through [`plan_batch`], so the preview decides as the run does, and
//! the dry run refuses where the run would. (The preview sees the cluster as it is: where an
//! earlier batch's drain moves pods, and a PodDisruptionBudget's refusal at eviction time, are
//! known only to the run.)
use super::containers::Action;
use super::kubernetes::drain::{self, Decision, DrainSettings};
use super::kubernetes::nodes::not_ready;
use super::Ctx;
use crate::plan::rollout::{self, Batch, Pool};
use crate::plan::worker::node_name;
use crate::transport::hosts::{all_ok, bounded};
use crate::transport::Host;
use anyhow::{anyhow, Context, Result};
use k8s_openapi::api::core::v1::{Node, Pod};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a host's components (of one plane) need.
#[derive(PartialEq, Debug)]
pub enum Change {
    None,
    /// nothing of it runs yet
    New,
    /// running components are replaced or restarted
    Rolling,
}

/// Whether the named components of the host's plan are unchanged, all new, or changing.
pub async fn change(ctx: &Ctx<'_>, h: &Host, components: &[&str]) -> Result<Change> {
    let Some(plan) = ctx.host_plan(h.name()) else { return Ok(Change::None) };
    let mut actions = Vec::new();
    for spec in plan.containers.iter().filter(|c| components.contains(&c.name.as_str())) {
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

/// Which plane a batch belongs to: what is replaced inside the cordon.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Plane {
    /// controlplane components, then worker components
    Control,
    /// worker components
    Worker,
}

impl Plane {
    fn label(self) -> &'static str {
        match self {
            Plane::Control => "controlplane",
            Plane::Worker => "worker plane",
        }
    }
}

/// The batches of the hosts whose components change, in RKE1's order, with each batch's limit.
pub fn batches<'h>(ctx: &Ctx<'_>, rolling: &[&'h Host]) -> Result<Vec<(Batch<&'h Host>, usize)>> {
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

/// The node names counted against a batch's limit: the hosts of its pool that existed before
/// this run (`new`: hosts whose components this run starts for the first time).
pub fn pool_nodes(ctx: &Ctx<'_>, pool: Pool, new: &[&Host]) -> Vec<String> {
    ctx.hosts.hosts.iter().filter(|h| !new.iter().any(|n| n.name() == h.name()) && pool_of(h) == pool).map(|h| node_name(&h.node)).collect()
}

/// What happens to one node of a batch before its components are replaced.
#[derive(Debug, PartialEq)]
pub enum Cordon {
    /// no Node object (its kubelet never registered): nothing to cordon or drain
    Unregistered,
    /// already unschedulable: left so (stockade uncordons only what it cordoned)
    AlreadyCordoned,
    Cordon,
}

#[derive(Debug, PartialEq)]
pub struct NodeStep {
    pub node: String,
    pub cordon: Cordon,
    /// with `upgrade_strategy.drain`: the pods evicted, left, (none) blocking
    pub drain: Option<Decision>,
}

/// The decision for one batch, from the live nodes and the pods of the batch's nodes (only
/// read with `drain`): the health gate (the nodes of `pool` outside the batch that are not
/// Ready, plus the batch, within `max`), then per node whether it is cordoned and what its
/// drain evicts. Refused, as the run refuses, when the gate fails or a pod blocks a drain.
pub fn decide_batch(batch: &[String], pool: &[String], max: usize, kind: Pool, nodes: &[Node], pods: &[Pod], s: &DrainSettings) -> Result<Vec<NodeStep>, String> {
    let others: Vec<String> = pool.iter().filter(|n| !batch.contains(n)).cloned().collect();
    let unavailable: Vec<String> = not_ready(&others, nodes).into_iter().map(|n| format!("{}: {}", n.node, n.why)).collect();
    rollout::gate(&unavailable, batch.len(), max, kind).map_err(|e| format!("health gate before {}: {e}", batch.join(", ")))?;
    let mut steps = Vec::new();
    for name in batch {
        let Some(node) = nodes.iter().find(|n| n.metadata.name.as_deref() == Some(name.as_str())) else {
            steps.push(NodeStep { node: name.clone(), cordon: Cordon::Unregistered, drain: None });
            continue;
        };
        let cordon = if node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) { Cordon::AlreadyCordoned } else { Cordon::Cordon };
        let drain = if s.drain {
            let on_node: Vec<Pod> = pods.iter().filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name.as_str())).cloned().collect();
            let d = drain::decide(&on_node, s);
            drain::refuse_blocked(name, &d)?;
            Some(d)
        } else {
            None
        };
        steps.push(NodeStep { node: name.clone(), cordon, drain });
    }
    Ok(steps)
}

/// Reads the nodes (and, with `drain`, the batch's pods) and decides the batch.
pub async fn plan_batch(ctx: &Ctx<'_>, batch: &Batch<&Host>, max: usize, pool: &[String], s: &DrainSettings) -> Result<(kube::Client, Vec<NodeStep>)> {
    let names: Vec<String> = batch.hosts.iter().map(|h| node_name(&h.node)).collect();
    let client = drain::any_client(ctx.hosts.with_role("controlplane"), ctx.bundle).await.context("health gate: reaching the Kubernetes API")?;
    let nodes = drain::list_nodes(ctx.hosts.with_role("controlplane"), ctx.bundle).await.context("health gate: listing the nodes")?;
    let mut pods = Vec::new();
    if s.drain {
        for n in names.iter().filter(|n| nodes.iter().any(|x| x.metadata.name.as_deref() == Some(n.as_str()))) {
            pods.extend(drain::pods_on(&client, n).await?);
        }
    }
    let steps = decide_batch(&names, pool, max, batch.pool, &nodes, &pods, s).map_err(|e| anyhow!(e))?;
    Ok((client, steps))
}

/// One line for `--dry-run`: the batch, its limit, and what happens to each node.
pub fn describe(plane: Plane, i: usize, of: usize, batch: &Batch<&Host>, max: usize, steps: &[NodeStep]) -> String {
    let hosts: Vec<&str> = batch.hosts.iter().map(|h| h.name()).collect();
    let pods = |v: Vec<String>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let what: Vec<String> = steps
        .iter()
        .map(|s| {
            let n = &s.node;
            let cordon = match s.cordon {
                Cordon::Unregistered => return format!("node {n} not registered: nothing to cordon"),
                Cordon::AlreadyCordoned => format!("node {n} already cordoned (left so)"),
                Cordon::Cordon => format!("cordon node {n}"),
            };
            match &s.drain {
                None => format!("{cordon} (upgrade_strategy.drain: false: no drain)"),
                Some(d) => {
                    let left: Vec<String> = d.skip.iter().map(|(p, why)| format!("{p} ({why})")).collect();
                    format!("{cordon}, drain it (evict: {}; left: {})", pods(d.evict.iter().map(|p| p.to_string()).collect()), pods(left))
                }
            }
        })
        .collect();
    format!("{} batch {i}/{of} ({}, at most {max} unavailable): {}: {}, then uncordon once Ready", plane.label(), batch.pool.key(), hosts.join(", "), what.join("; "))
}

/// Cordons (and drains) one node as decided; the nodes stockade cordoned are added to `cordoned`.
async fn prepare(ctx: &Ctx<'_>, client: &kube::Client, h: &Host, step: &NodeStep, settings: &DrainSettings, cordoned: &Mutex<Vec<String>>) -> Result<()> {
    let node = &step.node;
    match step.cordon {
        Cordon::Unregistered => {
            ctx.ui.step(h.name(), &format!("node {node} is not registered: nothing to cordon"));
            return Ok(());
        }
        Cordon::AlreadyCordoned => ctx.ui.step(h.name(), &format!("node {node} was already cordoned (left so afterwards unless stockade cordoned it)")),
        Cordon::Cordon => match drain::cordon(client, node).await.with_context(|| format!("host {}", h.name()))? {
            Some(true) => {
                cordoned.lock().unwrap().push(node.clone());
                ctx.ui.step(h.name(), &format!("cordoned node {node}"));
            }
            Some(false) => ctx.ui.step(h.name(), &format!("node {node} was already cordoned (left so afterwards unless stockade cordoned it)")),
            None => return Err(anyhow!("host {}: node {node} disappeared from the API while its batch started", h.name())),
        },
    }
    if settings.drain {
        let status = |m: String| ctx.ui.status(&m);
        let d = drain::drain(client, node, settings, &status).await.with_context(|| format!("host {}", h.name()))?;
        let skipped = if d.skip.is_empty() { String::new() } else { format!("; left: {}", d.skip.iter().map(|(p, why)| format!("{p} ({why})")).collect::<Vec<_>>().join(", ")) };
        ctx.ui.step(h.name(), &format!("drained node {node}: evicted {} pod(s){skipped}", d.evict.len()));
    }
    Ok(())
}

/// The Ready condition's last heartbeat of a node, as the API wrote it.
fn heartbeat(nodes: &[Node], name: &str) -> Option<String> {
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

/// Replaces the host's components of `plane` and checks them; says whether its kubelet was
/// (re)started.
async fn deploy(ctx: &Ctx<'_>, plane: Plane, h: &Host) -> Result<bool> {
    if plane == Plane::Control {
        super::controlplane::deploy_and_check(ctx, h).await?;
    }
    super::worker::deploy(ctx, h).await
}

/// One batch: health gate and drain decision, cordon (and drain), replace the components,
/// nodes Ready, uncordon.
pub async fn roll_batch(ctx: &Ctx<'_>, plane: Plane, batch: &Batch<&Host>, max: usize, pool: &[String], settings: &DrainSettings) -> Result<()> {
    let names: Vec<String> = batch.hosts.iter().map(|h| node_name(&h.node)).collect();
    let (client, steps) = plan_batch(ctx, batch, max, pool, settings).await?;
    let cordoned = Mutex::new(Vec::new());
    let prepared = all_ok(bounded(ctx.hosts.concurrency, batch.hosts.iter().zip(&steps).map(|(h, s)| prepare(ctx, &client, h, s, settings, &cordoned)).collect()).await);
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
    let restarted = all_ok(bounded(ctx.hosts.concurrency, batch.hosts.iter().map(|h| deploy(ctx, plane, h)).collect()).await)?;
    // a kubelet that was not replaced posts no new status soon: its node's Ready is enough
    let before: Vec<(String, Option<String>)> = before.into_iter().zip(restarted).map(|((n, hb), r)| (n, hb.filter(|_| r))).collect();
    wait_ready(ctx, &names, &before).await?;
    for n in &cordoned {
        drain::uncordon(&client, n).await?;
        ctx.ui.step(n, &format!("uncordoned node {n} (Ready)"));
    }
    Ok(())
}

/// When no apiserver answers, controlplane hosts cannot be gated nor cordoned, and a run meant
/// to repair the control plane must still replace them: RKE1 replaces the controlplane hosts it
/// finds NotReady first, without cordon nor `max_unavailable_controlplane` (its
/// `UpgradeControlPlane`); stockade replaces them one host at a time, each healthy before the
/// next. The worker plane needs the API (its gate) and is not let through.
/// One failed request is not "down": right after etcd's members restart (an upgrade's first
/// phase) the apiservers reconnect for a while, so the API is asked again for up to
/// [`API_DOWN_AFTER`] (or the component health timeout, if shorter) before the gate, cordon and
/// drain are given up.
async fn api_down(ctx: &Ctx<'_>, plane: Plane, rolling: &[&Host]) -> Option<ApiDown> {
    if plane != Plane::Control || rolling.is_empty() {
        return None;
    }
    // seen live: not one kube-apiserver container runs (a restore stopped them all, or a
    // wrecked control plane): nothing can answer, there is nothing to wait for
    if !any_apiserver_running(ctx).await {
        return Some(ApiDown {
            why: "no kube-apiserver container runs on any controlplane host: the controlplane hosts are started all at once, without cordon or drain (nothing is serving that a rolling start would keep available)".into(),
            all_at_once: true,
        });
    }
    let until = std::time::Instant::now() + API_DOWN_AFTER.min(ctx.timeouts.component_health);
    let e = loop {
        match drain::any_client(ctx.hosts.with_role("controlplane"), ctx.bundle).await {
            Ok(_) => return None,
            Err(e) if std::time::Instant::now() >= until => break e,
            Err(_) => tokio::time::sleep(std::time::Duration::from_secs(3)).await,
        }
    };
    Some(ApiDown {
        why: format!(
            "no kube-apiserver answers ({}): controlplane hosts are replaced one at a time without cordon or drain, as RKE1 replaces NotReady controlplane hosts",
            format!("{e:#}").replace('\n', " ")
        ),
        all_at_once: false,
    })
}

/// Why the API is taken for down, and whether the controlplane hosts may all be replaced at once.
struct ApiDown {
    why: String,
    all_at_once: bool,
}

/// Whether a kube-apiserver container is running (or restarting) on any controlplane host, asked
/// of each host's Docker. A host that does not answer counts as running: only a certain "none"
/// skips the wait.
async fn any_apiserver_running(ctx: &Ctx<'_>) -> bool {
    let name = crate::plan::controlplane::APISERVER;
    for h in ctx.hosts.with_role("controlplane") {
        let inspected = tokio::time::timeout(Duration::from_secs(10), h.docker.inspect_container(name, None)).await;
        match inspected {
            Ok(Ok(c)) => {
                let s = c.state.unwrap_or_default();
                if s.running == Some(true) || s.restarting == Some(true) {
                    return true;
                }
            }
            Ok(Err(e)) if crate::transport::docker::is_not_found(&e) => {}
            _ => return true,
        }
    }
    false
}

/// How long the API may fail to answer before controlplane hosts are replaced without it.
const API_DOWN_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// Rolls the batches in order; the first failure stops the rollout naming the hosts not yet
/// touched (those are untouched, and the next `up` continues).
pub async fn roll(ctx: &Ctx<'_>, plane: Plane, rolling: &[&Host], new: &[&Host]) -> Result<()> {
    let settings = DrainSettings::from_config(ctx.config).map_err(|e| anyhow!(e))?;
    if let Some(down) = api_down(ctx, plane, rolling).await {
        ctx.ui.warn(&down.why);
        if down.all_at_once {
            all_ok(bounded(ctx.hosts.concurrency, rolling.iter().map(|h| deploy(ctx, plane, h)).collect()).await)?;
        } else {
            for h in rolling {
                deploy(ctx, plane, h).await?;
            }
        }
        return Ok(());
    }
    let batches = batches(ctx, rolling)?;
    for (i, (batch, max)) in batches.iter().enumerate() {
        let pool = pool_nodes(ctx, batch.pool, new);
        ctx.ui.status(&format!("{}: {}", plane.label(), batch.hosts.iter().map(|h| h.name()).collect::<Vec<_>>().join(", ")));
        if let Err(e) = roll_batch(ctx, plane, batch, *max, &pool, &settings).await {
            let mut left: Vec<String> = batches[i + 1..].iter().flat_map(|(b, _)| &b.hosts).map(|h| h.name().to_string()).collect();
            if plane == Plane::Control {
                // the worker plane phase does not run: its hosts are not touched either
                let workers: Vec<&str> = ctx.hosts.hosts.iter().filter(|h| !h.has_role("controlplane")).map(|h| h.name()).collect();
                if !workers.is_empty() {
                    left.push(format!("the worker plane ({})", workers.join(", ")));
                }
            }
            return Err(if left.is_empty() { e } else { e.context(format!("stopped the rollout: not changed yet: {}", left.join(", "))) });
        }
    }
    Ok(())
}

/// `--dry-run`: the batches [`roll`] takes, each decided by [`plan_batch`] from the live
/// cluster as the run decides it; an error where the run would stop, naming the batches it
/// would roll first. Each batch's evictions are decided from where pods run now: pods that an
/// earlier batch's drain moves onto a later node are not foreseen.
pub async fn dry_run(ctx: &Ctx<'_>, plane: Plane, rolling: &[&Host], new: &[&Host]) -> Result<Vec<String>> {
    let settings = DrainSettings::from_config(ctx.config).map_err(|e| anyhow!(e))?;
    if let Some(down) = api_down(ctx, plane, rolling).await {
        let hosts: Vec<&str> = rolling.iter().map(|h| h.name()).collect();
        return Ok(vec![format!("{}: {}", down.why, hosts.join(", "))]);
    }
    let batches = batches(ctx, rolling)?;
    let mut out = Vec::new();
    for (i, (batch, max)) in batches.iter().enumerate() {
        let pool = pool_nodes(ctx, batch.pool, new);
        let (_, steps) = match plan_batch(ctx, batch, *max, &pool, &settings).await {
            Ok(decided) => decided,
            Err(e) => {
                // what the run does before it stops there is part of the preview
                let before = if out.is_empty() { "before changing anything".to_string() } else { format!("after rolling {}", out.join("; ")) };
                return Err(e.context(format!("the run would stop here, at {} batch {}/{}, {before} (the dry run changed nothing)", plane.label(), i + 1, batches.len())));
            }
        };
        out.push(describe(plane, i + 1, batches.len(), batch, *max, &steps));
    }
    Ok(out)
}

/// Nodes an interrupted run left cordoned (stockade's annotation) and that are Ready again are
/// uncordoned. Best effort: the API may not answer yet on a new cluster (NodesReady reports it).
pub async fn uncordon_left_behind(ctx: &Ctx<'_>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeCondition, NodeSpec, NodeStatus, PodSpec, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

    fn node(name: &str, ready: &str, cordoned: bool) -> Node {
        Node {
            metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
            spec: Some(NodeSpec { unschedulable: cordoned.then_some(true), ..Default::default() }),
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition { type_: "Ready".into(), status: ready.into(), reason: Some("KubeletReady".into()), ..Default::default() }]),
                ..Default::default()
            }),
        }
    }

    fn pod(name: &str, on: &str, owner: Option<&str>) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                uid: Some(format!("uid-{name}")),
                owner_references: owner.map(|k| vec![OwnerReference { kind: k.into(), name: "o".into(), controller: Some(true), api_version: "apps/v1".into(), uid: "u".into(), ..Default::default() }]),
                ..Default::default()
            },
            spec: Some(PodSpec { node_name: Some(on.into()), ..Default::default() }),
            status: Some(PodStatus { phase: Some("Running".into()), ..Default::default() }),
        }
    }

    fn settings(drain: bool) -> DrainSettings {
        let cfg: crate::config::ClusterConfig = serde_yaml::from_str(&format!("nodes: []\nupgrade_strategy:\n  drain: {drain}\n")).unwrap();
        DrainSettings::from_config(&cfg).unwrap()
    }

    fn v(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_gate_counts_nodes_of_the_pool_already_not_ready_and_refuses_before_any_cordon() {
        let nodes = [node("cp1", "True", false), node("cp2", "False", false), node("cp3", "True", false), node("w1", "False", false)];
        let pool = v(&["cp1", "cp2", "cp3"]);
        // cp2 is down: with max 1, changing cp1 would make two unavailable (w1 is of the other pool)
        let e = decide_batch(&v(&["cp1"]), &pool, 1, Pool::Controlplane, &nodes, &[], &settings(true)).unwrap_err();
        assert!(e.starts_with("health gate before cp1: 1 node(s) already unavailable (cp2: Ready=False (KubeletReady))"), "{e}");
        assert!(e.contains("max_unavailable_controlplane=1"), "{e}");
        // with max 2 it may go; the batch's own node does not count twice
        let steps = decide_batch(&v(&["cp1"]), &pool, 2, Pool::Controlplane, &nodes, &[], &settings(false)).unwrap();
        assert_eq!(steps, vec![NodeStep { node: "cp1".into(), cordon: Cordon::Cordon, drain: None }]);
        let steps = decide_batch(&v(&["cp2"]), &pool, 1, Pool::Controlplane, &nodes, &[], &settings(false)).unwrap();
        assert_eq!(steps[0].cordon, Cordon::Cordon, "a NotReady node in the batch is its own unavailability");
        // a node that never registered counts as unavailable, and in a batch is not cordoned
        let e = decide_batch(&v(&["cp1"]), &v(&["cp1", "cp9"]), 1, Pool::Controlplane, &nodes[..1], &[], &settings(false)).unwrap_err();
        assert!(e.contains("cp9: not registered"), "{e}");
        let steps = decide_batch(&v(&["cp9"]), &v(&["cp1", "cp9"]), 1, Pool::Controlplane, &nodes[..1], &[], &settings(true)).unwrap();
        assert_eq!(steps, vec![NodeStep { node: "cp9".into(), cordon: Cordon::Unregistered, drain: None }]);
    }

    #[test]
    fn each_node_cordoned_unless_it_already_is_and_drained_with_the_pods_on_it() {
        let nodes = [node("w1", "True", false), node("w2", "True", true), node("w3", "True", false)];
        let pods = [pod("web-1", "w1", Some("ReplicaSet")), pod("ds-1", "w1", Some("DaemonSet")), pod("web-2", "w2", Some("ReplicaSet")), pod("web-3", "w3", Some("ReplicaSet"))];
        let steps = decide_batch(&v(&["w1", "w2"]), &v(&["w1", "w2", "w3"]), 2, Pool::Worker, &nodes, &pods, &settings(true)).unwrap();
        assert_eq!(steps.iter().map(|s| (&s.node[..], &s.cordon)).collect::<Vec<_>>(), [("w1", &Cordon::Cordon), ("w2", &Cordon::AlreadyCordoned)]);
        let evict = |s: &NodeStep| s.drain.as_ref().unwrap().evict.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        assert_eq!(evict(&steps[0]), ["web-1"], "only the pods of its node; the DaemonSet's left");
        assert_eq!(steps[0].drain.as_ref().unwrap().skip.len(), 1);
        assert_eq!(evict(&steps[1]), ["web-2"]);
        // a pod nothing recreates blocks the drain: refused before anything is cordoned, named
        let mut bare = pods.to_vec();
        bare.push(pod("bare", "w2", None));
        let e = decide_batch(&v(&["w1", "w2"]), &v(&["w1", "w2", "w3"]), 2, Pool::Worker, &nodes, &bare, &settings(true)).unwrap_err();
        assert!(e.starts_with("cannot drain node w2: 1 pod(s) block it") && e.contains("pod default/bare: not managed") && e.contains("force: true"), "{e}");
        // without drain, pods are not looked at
        assert!(decide_batch(&v(&["w1", "w2"]), &v(&["w1", "w2", "w3"]), 2, Pool::Worker, &nodes, &bare, &settings(false)).is_ok());
    }
}
