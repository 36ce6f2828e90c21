//! After the worker plane: every host of cluster.yml must be a registered, Ready Node before
//! `up` reports success. A kubelet that answers /healthz can still be refused by the API or
//! lack a working runtime network; node conditions are part of health. On timeout the error
//! names every node that is not Ready with its Ready condition's reason and message, and the
//! host's last kubelet log lines.
use super::on_any_apiserver;
use crate::apply::containers::indent_logs;
use crate::apply::{Ctx, Phase};
use crate::config::Node as HostNode;
use crate::plan::worker::{node_name, KUBELET};
use crate::transport::docker::tail_logs;
use anyhow::{anyhow, Result};
use futures_util::future::BoxFuture;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use std::time::{Duration, Instant};

/// Why one expected node is not Ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady {
    pub node: String,
    pub why: String,
}

/// The expected nodes (by node name) that are missing or not Ready in `nodes`.
pub fn not_ready(expected: &[String], nodes: &[Node]) -> Vec<NotReady> {
    expected
        .iter()
        .filter_map(|name| {
            let Some(node) = nodes.iter().find(|n| n.metadata.name.as_deref() == Some(name.as_str())) else {
                return Some(NotReady { node: name.clone(), why: "not registered (its kubelet has not created the Node)".into() });
            };
            let ready = node.status.as_ref().and_then(|s| s.conditions.as_ref()).and_then(|c| c.iter().find(|c| c.type_ == "Ready"));
            match ready {
                Some(c) if c.status == "True" => None,
                Some(c) => {
                    let detail = [c.reason.as_deref(), c.message.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(": ");
                    Some(NotReady { node: name.clone(), why: format!("Ready={} ({detail})", c.status) })
                }
                None => Some(NotReady { node: name.clone(), why: "no Ready condition reported yet".into() }),
            }
        })
        .collect()
}

pub struct NodesReady;

impl Phase for NodesReady {
    fn title(&self) -> &'static str {
        "Nodes ready"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let expected: Vec<(String, &HostNode)> = ctx.config.nodes.iter().map(|n| (node_name(n), n)).collect();
            let names: Vec<String> = expected.iter().map(|(n, _)| n.clone()).collect();
            let timeout = ctx.timeouts.component_health;
            let deadline = Instant::now() + timeout;
            let mut last;
            loop {
                ctx.ui.status(&format!("waiting for {} node(s) to be Ready", names.len()));
                let listed = on_any_apiserver(ctx.hosts.with_role("controlplane"), ctx.bundle, |c| async move {
                    Ok(Api::<Node>::all(c).list(&ListParams::default()).await?.items)
                })
                .await;
                match listed {
                    Ok(nodes) => {
                        let missing = not_ready(&names, &nodes);
                        if missing.is_empty() {
                            for (name, _) in &expected {
                                tracing::debug!(node = name.as_str(), "Ready");
                            }
                            return Ok(());
                        }
                        last = Ok(missing);
                    }
                    Err(e) => last = Err(e),
                }
                if Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            let missing = match last {
                Ok(m) => m,
                Err(e) => return Err(anyhow!("the Kubernetes API did not list the nodes within {}s:\n{e:#}", timeout.as_secs())),
            };
            let mut msg = format!("{} node(s) not Ready within {}s:", missing.len(), timeout.as_secs());
            for m in &missing {
                let host = expected.iter().find(|(n, _)| *n == m.node).map(|(_, h)| h.address.as_str()).unwrap_or("?");
                msg.push_str(&format!("\n  node {} (host {host}): {}", m.node, m.why));
                if let Some(h) = ctx.hosts.hosts.iter().find(|h| h.name() == host) {
                    msg.push_str(&indent_logs(&tail_logs(&h.docker, KUBELET, 10).await));
                }
            }
            msg.push_str("\n      hint: check the kubelet on those hosts (`docker logs kubelet`): its runtime, network plugin and access to the API");
            Err(anyhow!(msg))
        })
    }
    /// A wait, not a change: nothing to list.
    fn dry_run<'a>(&'a self, _ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<crate::apply::Planned>>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeCondition, NodeStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn node(name: &str, ready: Option<(&str, &str, &str)>) -> Node {
        Node {
            metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
            status: Some(NodeStatus {
                conditions: Some(
                    ready
                        .map(|(status, reason, message)| NodeCondition {
                            type_: "Ready".into(),
                            status: status.into(),
                            reason: Some(reason.into()),
                            message: Some(message.into()),
                            ..Default::default()
                        })
                        .into_iter()
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn names_missing_and_not_ready_nodes_with_their_condition() {
        let nodes = vec![
            node("h1", Some(("True", "KubeletReady", "kubelet is posting ready status"))),
            node("h2", Some(("False", "KubeletNotReady", "runtime network not ready: cni config uninitialized"))),
            node("h4", None),
            node("other", Some(("False", "x", "y"))),
        ];
        let expected: Vec<String> = ["h1", "h2", "h3", "h4"].map(String::from).to_vec();
        let got = not_ready(&expected, &nodes);
        assert_eq!(
            got,
            vec![
                NotReady { node: "h2".into(), why: "Ready=False (KubeletNotReady: runtime network not ready: cni config uninitialized)".into() },
                NotReady { node: "h3".into(), why: "not registered (its kubelet has not created the Node)".into() },
                NotReady { node: "h4".into(), why: "no Ready condition reported yet".into() },
            ]
        );
        assert!(not_ready(&expected[..1], &nodes).is_empty());
    }
}
