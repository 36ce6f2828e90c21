//! Cordon, drain and uncordon a node through the Kubernetes API, as RKE1 does around a host's
//! worker components (rke.md §7): `upgrade_strategy.drain: false` (RKE1's default) only cordons;
//! `drain: true` also evicts the node's pods with the Eviction API, so PodDisruptionBudgets are
//! honoured, with `node_drain_input` (RKE1's defaults: `ignore_daemonsets: true`, `force: false`,
//! `delete_local_data: false`, `grace_period: -1`, `timeout: 120` seconds for the whole drain).
//!
//! Which pods are evicted, skipped or block the drain is decided by [`decide`] (pure, from the
//! pods the API lists), kubectl drain's rules. Every API request has the client's deadline
//! ([`super::REQUEST_DEADLINE`]); the retries of an eviction a budget refuses (429) and the wait
//! for evicted pods to be gone end at the drain's `timeout`.
//!
//! A node stockade cordons carries the annotation [`CORDONED_BY`], so a later run uncordons a
//! node an interrupted run left cordoned, and never uncordons a node an operator cordoned.
use anyhow::{anyhow, bail, Context, Result};
use http_body_util::BodyExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams};
use std::time::{Duration, Instant};

/// The annotation on a node stockade cordoned (removed when it uncordons it).
pub const CORDONED_BY: &str = "stockade.io/cordoned";
/// How often a refused eviction is retried, and evicted pods are looked for (kubectl's 5s).
const RETRY: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_secs(2);

/// `upgrade_strategy.drain` and `node_drain_input`, with RKE1's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DrainSettings {
    pub drain: bool,
    pub force: bool,
    pub ignore_daemonsets: bool,
    pub delete_local_data: bool,
    /// seconds given to each pod to terminate; None: the pod's own (RKE1's -1)
    pub grace_period: Option<i64>,
    /// the whole drain of one node: evictions (retried while a budget refuses) and the wait
    pub timeout: Duration,
}

impl DrainSettings {
    /// From cluster.yml; a value of the wrong type is an error naming the key.
    pub fn from_config(cfg: &crate::config::ClusterConfig) -> Result<Self, String> {
        let u = cfg.upgrade_strategy.as_ref();
        let input = u.and_then(|u| u.node_drain_input.as_ref()).filter(|v| !v.is_null());
        let get = |k: &str| input.and_then(|v| v.get(k)).filter(|v| !v.is_null());
        let flag = |k: &str, default: bool| match get(k) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| format!("upgrade_strategy.node_drain_input.{k} must be true or false")),
        };
        let int = |k: &str, default: i64| match get(k) {
            None => Ok(default),
            Some(v) => v.as_i64().ok_or_else(|| format!("upgrade_strategy.node_drain_input.{k} must be a whole number of seconds")),
        };
        if let Some(v) = input {
            if !v.is_mapping() {
                return Err("upgrade_strategy.node_drain_input must be a mapping (force, ignore_daemonsets, delete_local_data, grace_period, timeout)".into());
            }
        }
        let grace = int("grace_period", -1)?;
        let timeout = int("timeout", 120)?;
        if timeout <= 0 {
            return Err(format!("upgrade_strategy.node_drain_input.timeout must be at least 1 second, not {timeout}"));
        }
        Ok(DrainSettings {
            drain: u.and_then(|u| u.drain).unwrap_or(false),
            force: flag("force", false)?,
            ignore_daemonsets: flag("ignore_daemonsets", true)?,
            delete_local_data: flag("delete_local_data", false)?,
            grace_period: (grace >= 0).then_some(grace),
            timeout: Duration::from_secs(timeout as u64),
        })
    }
}

/// A pod, as named in messages (`namespace/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRef {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl std::fmt::Display for PodRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What a drain does with the pods of a node.
#[derive(Debug, Default, PartialEq)]
pub struct Decision {
    pub evict: Vec<PodRef>,
    /// left on the node, with why (DaemonSet pods, static pods)
    pub skip: Vec<(PodRef, String)>,
    /// pods the settings do not allow to evict: the drain cannot start
    pub block: Vec<(PodRef, String)>,
}

fn pod_ref(p: &Pod) -> PodRef {
    PodRef {
        namespace: p.metadata.namespace.clone().unwrap_or_else(|| "default".into()),
        name: p.metadata.name.clone().unwrap_or_default(),
        uid: p.metadata.uid.clone().unwrap_or_default(),
    }
}

/// kubectl drain's filters, in its order: DaemonSet pods (skipped with `ignore_daemonsets`, else
/// blocking), static (mirror) pods (skipped: the kubelet owns them), then for pods still running:
/// pods with emptyDir data (blocking unless `delete_local_data`) and pods no controller recreates
/// (blocking unless `force`). Pods that finished are evicted whatever they hold.
pub fn decide(pods: &[Pod], s: &DrainSettings) -> Decision {
    let mut d = Decision::default();
    for p in pods {
        let r = pod_ref(p);
        let controller = p.metadata.owner_references.iter().flatten().find(|o| o.controller == Some(true));
        if controller.is_some_and(|c| c.kind == "DaemonSet") {
            if s.ignore_daemonsets {
                d.skip.push((r, "DaemonSet-managed".into()));
            } else {
                d.block.push((r, "managed by a DaemonSet, which puts it back at once (set upgrade_strategy.node_drain_input.ignore_daemonsets: true)".into()));
            }
            continue;
        }
        if p.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/config.mirror")) {
            d.skip.push((r, "static pod (the kubelet runs it from a file)".into()));
            continue;
        }
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
        let finished = phase == "Succeeded" || phase == "Failed";
        if !finished {
            let empty_dir = p.spec.as_ref().and_then(|s| s.volumes.as_ref()).is_some_and(|v| v.iter().any(|v| v.empty_dir.is_some()));
            if empty_dir && !s.delete_local_data {
                d.block.push((r, "has emptyDir data that eviction deletes (set upgrade_strategy.node_drain_input.delete_local_data: true)".into()));
                continue;
            }
            if controller.is_none() && !s.force {
                d.block.push((r, "not managed by a ReplicaSet, ReplicationController, StatefulSet, Job or DaemonSet: evicted, it is gone for good (set upgrade_strategy.node_drain_input.force: true)".into()));
                continue;
            }
        }
        d.evict.push(r);
    }
    d
}

/// The drain of `node` cannot start when [`decide`] found pods the settings do not allow to
/// evict: the error names each and why (the run and the dry run both refuse with it).
pub fn refuse_blocked(node: &str, d: &Decision) -> Result<(), String> {
    if d.block.is_empty() {
        return Ok(());
    }
    Err(blocked_message(node, &d.block, "the drain settings do not allow to evict them; nothing was evicted"))
}

/// The pods the API places on `node` (what a drain of it would act on).
pub async fn pods_on(client: &kube::Client, node: &str) -> Result<Vec<Pod>> {
    Ok(Api::<Pod>::all(client.clone())
        .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
        .await
        .with_context(|| format!("listing the pods of node {node}"))?
        .items)
}

/// Marks the node unschedulable (with [`CORDONED_BY`]) unless it already is. Returns whether
/// stockade cordoned it now; a node not registered yet is left alone (None).
pub async fn cordon(client: &kube::Client, node: &str) -> Result<Option<bool>> {
    let api = Api::<Node>::all(client.clone());
    let Some(n) = api.get_opt(node).await.with_context(|| format!("reading node {node}"))? else { return Ok(None) };
    if n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
        return Ok(Some(false));
    }
    let patch = serde_json::json!({"metadata": {"annotations": {CORDONED_BY: "true"}}, "spec": {"unschedulable": true}});
    api.patch(node, &PatchParams::default(), &Patch::Merge(&patch)).await.with_context(|| format!("cordoning node {node}"))?;
    Ok(Some(true))
}

/// Whether the node is cordoned by stockade (an interrupted run left it so).
pub fn cordoned_by_stockade(n: &Node) -> bool {
    n.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(CORDONED_BY)) && n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false)
}

/// Makes the node schedulable again and removes [`CORDONED_BY`].
pub async fn uncordon(client: &kube::Client, node: &str) -> Result<()> {
    let patch = serde_json::json!({"metadata": {"annotations": {CORDONED_BY: null}}, "spec": {"unschedulable": null}});
    Api::<Node>::all(client.clone())
        .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("uncordoning node {node}"))?;
    Ok(())
}

/// The Eviction API's version, as kubectl finds it: the `pods/eviction` subresource listed under
/// /api/v1 names its group and version (policy/v1 from 1.22; 1.21 already serves policy/v1 for
/// PodDisruptionBudgets but evictions only as v1beta1).
async fn eviction_version(client: &kube::Client) -> Result<&'static str> {
    let req = http::Request::get("/api/v1").body(Vec::new())?;
    let text = client.request_text(req).await.context("reading the core API's resources")?;
    let list: serde_json::Value = serde_json::from_str(&text)?;
    Ok(eviction_version_in(&list))
}

fn eviction_version_in(api_v1: &serde_json::Value) -> &'static str {
    let eviction = api_v1["resources"].as_array().and_then(|r| r.iter().find(|r| r["name"] == "pods/eviction"));
    match eviction.map(|e| (e["group"].as_str(), e["version"].as_str())) {
        Some((Some("policy"), Some("v1"))) => "policy/v1",
        _ => "policy/v1beta1",
    }
}

/// What the apiserver said to one eviction.
enum Evicted {
    Done,
    /// already gone
    Gone,
    /// refused for now (429: a disruption budget), with the server's words
    Refused(String),
}

async fn evict(client: &kube::Client, version: &str, pod: &PodRef, grace: Option<i64>) -> Result<Evicted> {
    let mut body = serde_json::json!({
        "apiVersion": version, "kind": "Eviction",
        "metadata": {"name": pod.name, "namespace": pod.namespace},
    });
    if let Some(g) = grace {
        body["deleteOptions"] = serde_json::json!({"gracePeriodSeconds": g});
    }
    let req = http::Request::post(format!("/api/v1/namespaces/{}/pods/{}/eviction", pod.namespace, pod.name))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(kube::client::Body::from(serde_json::to_vec(&body)?))?;
    let resp = client.send(req).await.with_context(|| format!("evicting pod {pod}"))?;
    let code = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.with_context(|| format!("evicting pod {pod}"))?.to_bytes();
    let status: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    Ok(match code {
        200..=299 => Evicted::Done,
        404 => Evicted::Gone,
        429 => Evicted::Refused(refusal(&status)),
        _ => bail!("evicting pod {pod}: HTTP {code}: {}", status["message"].as_str().unwrap_or(&String::from_utf8_lossy(&bytes))),
    })
}

/// The server's message with its causes (the budget's name and counts, on 1.17+).
fn refusal(status: &serde_json::Value) -> String {
    let mut out = status["message"].as_str().unwrap_or("eviction refused (429)").to_string();
    for c in status["details"]["causes"].as_array().into_iter().flatten() {
        if let Some(m) = c["message"].as_str() {
            out.push_str(&format!(" {m}"));
        }
    }
    out
}

/// Evicts every pod [`decide`] allows, retrying those a budget refuses, then waits for each to
/// be gone (deleted, or replaced by a new pod of the same name) — all within `s.timeout`. The
/// error names every pod that blocks and why.
pub async fn drain(client: &kube::Client, node: &str, s: &DrainSettings, status: &(dyn Fn(String) + Sync)) -> Result<Decision> {
    let started = Instant::now();
    let deadline = started + s.timeout;
    let pods = pods_on(client, node).await?;
    let decision = decide(&pods, s);
    refuse_blocked(node, &decision).map_err(|e| anyhow!(e))?;
    let version = eviction_version(client).await?;
    let mut pending: Vec<(PodRef, String)> = decision.evict.iter().map(|p| (p.clone(), String::new())).collect();
    let mut evicted = Vec::new();
    loop {
        let mut refused = Vec::new();
        let mut todo = pending.into_iter();
        while let Some((p, why)) = todo.next() {
            // the drain's timeout bounds the whole drain, not each pass over the pods
            if Instant::now() >= deadline {
                let mut left: Vec<(PodRef, String)> = refused;
                left.push((p, why));
                left.extend(todo);
                bail!("{}", blocked_message(node, &left, &format!("not evicted within {}s (upgrade_strategy.node_drain_input.timeout)", s.timeout.as_secs())));
            }
            match evict(client, version, &p, s.grace_period).await? {
                Evicted::Done => evicted.push(p),
                Evicted::Gone => {}
                Evicted::Refused(why) => refused.push((p, why)),
            }
        }
        pending = refused;
        if pending.is_empty() {
            break;
        }
        if Instant::now() + RETRY > deadline {
            bail!(
                "{}",
                blocked_message(node, &pending, &format!("still refused after {}s (upgrade_strategy.node_drain_input.timeout)", s.timeout.as_secs()))
            );
        }
        status(format!("{node}: {} pod(s) wait for their disruption budget: {}", pending.len(), names(&pending)));
        tokio::time::sleep(RETRY).await;
    }
    // evicted pods terminate (their grace period) before the node's kubelet may be replaced
    loop {
        let mut left = Vec::new();
        for p in &evicted {
            let pods = Api::<Pod>::namespaced(client.clone(), &p.namespace);
            match pods.get_opt(&p.name).await.with_context(|| format!("reading pod {p}"))? {
                Some(now) if now.metadata.uid.as_deref() == Some(p.uid.as_str()) => left.push((p.clone(), "evicted, still terminating".to_string())),
                _ => {}
            }
        }
        if left.is_empty() {
            return Ok(decision);
        }
        if Instant::now() >= deadline {
            bail!("{}", blocked_message(node, &left, &format!("not gone after {}s (upgrade_strategy.node_drain_input.timeout)", s.timeout.as_secs())));
        }
        status(format!("{node}: waiting for {} evicted pod(s) to terminate", left.len()));
        tokio::time::sleep(POLL).await;
    }
}

fn names(pods: &[(PodRef, String)]) -> String {
    pods.iter().map(|(p, _)| p.to_string()).collect::<Vec<_>>().join(", ")
}

fn blocked_message(node: &str, pods: &[(PodRef, String)], what: &str) -> String {
    let mut m = format!("cannot drain node {node}: {} pod(s) block it ({what}):", pods.len());
    for (p, why) in pods {
        m.push_str(&format!("\n  pod {p}: {why}"));
    }
    m
}

/// The Node objects, through any controlplane host's apiserver.
pub async fn list_nodes<'a>(hosts: impl Iterator<Item = &'a crate::transport::Host>, bundle: &crate::pki::Bundle) -> Result<Vec<Node>> {
    super::on_any_apiserver(hosts, bundle, |c| async move { Ok(Api::<Node>::all(c).list(&ListParams::default()).await?.items) }).await
}

/// A client for the first controlplane host whose apiserver answers.
pub async fn any_client<'a>(hosts: impl Iterator<Item = &'a crate::transport::Host>, bundle: &crate::pki::Bundle) -> Result<kube::Client> {
    super::on_any_apiserver(hosts, bundle, |c| async move {
        // a request every apiserver answers (stockade's test stand-in has no /version)
        Api::<Node>::all(c.clone()).list(&ListParams::default().limit(1)).await.map_err(|e| anyhow!("listing nodes: {e}"))?;
        Ok(c)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, PodSpec, PodStatus, Volume};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
    use std::collections::BTreeMap;

    fn settings() -> DrainSettings {
        let cfg: crate::config::ClusterConfig = serde_yaml::from_str("nodes: []\n").unwrap();
        DrainSettings::from_config(&cfg).unwrap()
    }

    fn pod(name: &str, owner: Option<&str>, empty_dir: bool, phase: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                uid: Some(format!("uid-{name}")),
                owner_references: owner.map(|k| {
                    vec![OwnerReference { kind: k.into(), name: "o".into(), controller: Some(true), api_version: "apps/v1".into(), uid: "u".into(), ..Default::default() }]
                }),
                ..Default::default()
            },
            spec: Some(PodSpec {
                volumes: empty_dir.then(|| vec![Volume { name: "scratch".into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Default::default() }]),
                ..Default::default()
            }),
            status: Some(PodStatus { phase: Some(phase.into()), ..Default::default() }),
        }
    }

    fn names(v: &[PodRef]) -> Vec<&str> {
        v.iter().map(|p| p.name.as_str()).collect()
    }
    fn names_of(v: &[(PodRef, String)]) -> Vec<&str> {
        v.iter().map(|(p, _)| p.name.as_str()).collect()
    }

    #[test]
    fn rke1_defaults_and_values_from_cluster_yml() {
        let s = settings();
        assert_eq!(
            s,
            DrainSettings { drain: false, force: false, ignore_daemonsets: true, delete_local_data: false, grace_period: None, timeout: Duration::from_secs(120) }
        );
        let cfg: crate::config::ClusterConfig = serde_yaml::from_str(
            "nodes: []\nupgrade_strategy:\n  drain: true\n  node_drain_input:\n    force: true\n    ignore_daemonsets: false\n    delete_local_data: true\n    grace_period: 5\n    timeout: 30\n",
        )
        .unwrap();
        let s = DrainSettings::from_config(&cfg).unwrap();
        assert!(s.drain && s.force && !s.ignore_daemonsets && s.delete_local_data);
        assert_eq!((s.grace_period, s.timeout), (Some(5), Duration::from_secs(30)));
        for bad in ["    timeout: 0\n", "    force: yes-please\n", "    grace_period: soon\n"] {
            let cfg: crate::config::ClusterConfig = serde_yaml::from_str(&format!("nodes: []\nupgrade_strategy:\n  node_drain_input:\n{bad}")).unwrap();
            let e = DrainSettings::from_config(&cfg).unwrap_err();
            assert!(e.starts_with("upgrade_strategy.node_drain_input."), "{e}");
        }
    }

    #[test]
    fn which_pods_are_evicted_skipped_or_block_the_drain() {
        let mut mirror = pod("static", None, false, "Running");
        mirror.metadata.annotations = Some(BTreeMap::from([("kubernetes.io/config.mirror".to_string(), "x".to_string())]));
        let pods = vec![
            pod("web", Some("ReplicaSet"), false, "Running"),
            pod("ds", Some("DaemonSet"), false, "Running"),
            mirror,
            pod("bare", None, false, "Running"),
            pod("scratch", Some("ReplicaSet"), true, "Running"),
            pod("done", None, true, "Succeeded"),
            pod("sts", Some("StatefulSet"), false, "Pending"),
        ];
        let d = decide(&pods, &settings());
        assert_eq!(names(&d.evict), ["web", "done", "sts"], "finished pods go whatever they hold");
        assert_eq!(names_of(&d.skip), ["ds", "static"]);
        assert_eq!(names_of(&d.block), ["bare", "scratch"]);
        assert!(d.block[0].1.contains("force: true") && d.block[1].1.contains("delete_local_data: true"), "{:?}", d.block);

        let all = DrainSettings { force: true, delete_local_data: true, ignore_daemonsets: false, ..settings() };
        let d = decide(&pods, &all);
        assert_eq!(names(&d.evict), ["web", "bare", "scratch", "done", "sts"]);
        assert_eq!(names_of(&d.block), ["ds"], "a DaemonSet pod blocks unless ignore_daemonsets");
        assert!(d.block[0].1.contains("ignore_daemonsets: true"));
        assert_eq!(names_of(&d.skip), ["static"]);
    }

    #[test]
    fn a_refusal_names_the_budget() {
        let status = serde_json::json!({
            "kind": "Status", "code": 429, "message": "Cannot evict pod as it would violate the pod's disruption budget.",
            "details": {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget web needs 2 healthy pods and has 2 currently"}]}
        });
        assert_eq!(refusal(&status), "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 2 healthy pods and has 2 currently");
        let p = PodRef { namespace: "default".into(), name: "web-1".into(), uid: "u".into() };
        let m = blocked_message("h3", &[(p, refusal(&status))], "still refused after 20s");
        assert!(m.starts_with("cannot drain node h3: 1 pod(s) block it") && m.contains("\n  pod default/web-1: Cannot evict"), "{m}");
    }
    #[test]
    fn eviction_version_as_kubectl_finds_it() {
        let list = |v: &str| serde_json::json!({ "resources": [{ "name": "pods" }, { "name": "pods/eviction", "group": "policy", "version": v }] });
        assert_eq!(eviction_version_in(&list("v1")), "policy/v1");
        assert_eq!(eviction_version_in(&list("v1beta1")), "policy/v1beta1", "1.21: PDBs are v1, evictions not yet");
        assert_eq!(eviction_version_in(&serde_json::json!({ "resources": [] })), "policy/v1beta1");
    }

}
