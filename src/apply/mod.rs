//! Applying a plan: a pipeline of phases (each with a title and a run), k0sctl-style. Every
//! phase compares the plan with what the hosts report and changes only what differs, and
//! records each change so `up` can say exactly what it did, or that nothing changed.
pub mod agent;
pub mod containers;
pub mod controlplane;
pub mod etcd_plane;
pub mod files;
pub mod health;
pub mod kubernetes;
pub mod membership;
pub mod preview;
pub mod worker;
pub mod images;
pub mod remove;

use crate::config::ClusterConfig;
use crate::pki::Bundle;
use crate::plan::Plan;
use crate::transport::hosts::{all_ok, bounded};
use crate::transport::{Host, Hosts};
use crate::ui::Ui;
use anyhow::Result;
use futures_util::future::BoxFuture;
use std::sync::Mutex;
use std::time::Duration;

pub use images::ImageArchive;

#[derive(Clone, Debug)]
pub struct Timeouts {
    /// how long etcd members get to report healthy
    pub etcd_health: Duration,
    /// how long a Kubernetes component gets to answer /healthz
    pub component_health: Duration,
    /// how long a helper container may run
    pub helper: Duration,
}

/// What `up` changes beyond the plan's containers: etcd membership and departed hosts.
#[derive(Default)]
pub struct Reconcile<'a> {
    pub etcd: crate::plan::membership::EtcdChanges,
    /// the etcd members the state records
    pub recorded_etcd: Vec<crate::config::Node>,
    /// connected hosts that left cluster.yml
    pub departed: Vec<&'a Host>,
}

pub struct Ctx<'a> {
    pub ui: &'a Ui,
    pub hosts: &'a Hosts,
    pub plan: &'a Plan,
    pub config: &'a ClusterConfig,
    pub bundle: &'a Bundle,
    pub archive: Option<&'a ImageArchive>,
    pub timeouts: Timeouts,
    pub reconcile: Reconcile<'a>,
    changes: Mutex<Vec<String>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        ui: &'a Ui,
        hosts: &'a Hosts,
        plan: &'a Plan,
        config: &'a ClusterConfig,
        bundle: &'a Bundle,
        archive: Option<&'a ImageArchive>,
        timeouts: Timeouts,
    ) -> Self {
        Ctx { ui, hosts, plan, config, bundle, archive, timeouts, reconcile: Reconcile::default(), changes: Mutex::new(Vec::new()) }
    }

    /// Records (and shows) one change made on a host.
    pub fn changed(&self, host: &str, what: impl Into<String>) {
        let what = what.into();
        self.ui.step(host, &what);
        self.changes.lock().unwrap().push(format!("{host}: {what}"));
    }

    pub fn changes(&self) -> Vec<String> {
        self.changes.lock().unwrap().clone()
    }

    /// Runs `f` on every host, `--concurrency` at a time; fails with every host's error.
    pub async fn on_each_host<'b, F, Fut>(&'b self, f: F) -> Result<()>
    where
        F: Fn(&'b Host) -> Fut,
        Fut: std::future::Future<Output = Result<()>> + 'b,
    {
        let futs = self.hosts.hosts.iter().map(f).collect();
        all_ok(bounded(self.hosts.concurrency, futs).await)?;
        Ok(())
    }

    /// Makes the named containers of the host's plan match it, in order, recording changes.
    /// Names the plan does not hold for this host are skipped.
    pub async fn ensure_containers(&self, h: &Host, names: &[&str]) -> Result<Vec<containers::Action>> {
        let mut actions = Vec::new();
        let Some(plan) = self.host_plan(h.name()) else { return Ok(actions) };
        for name in names {
            let Some(spec) = plan.containers.iter().find(|c| c.name == *name) else { continue };
            self.ui.status(&format!("{}: {name}", h.name()));
            let action = containers::ensure(&h.docker, spec).await.map_err(|e| anyhow::anyhow!("host {}: {e:#}", h.name()))?;
            match &action {
                containers::Action::Unchanged => {}
                containers::Action::Started => self.changed(h.name(), format!("started stopped container {name}")),
                containers::Action::Created => self.changed(h.name(), format!("created container {name}")),
                containers::Action::Recreated(diff) => self.changed(h.name(), format!("recreated container {name} ({})", diff.join("; "))),
            }
            actions.push(action);
        }
        Ok(actions)
    }

    pub fn host_plan(&self, address: &str) -> Option<&'a crate::plan::HostPlan> {
        self.plan.hosts.iter().find(|h| h.address == address)
    }
}

pub trait Phase: Send + Sync {
    fn title(&self) -> &'static str;
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>>;
}

pub async fn run_phases(ctx: &Ctx<'_>, phases: &[&dyn Phase]) -> Result<()> {
    for p in phases {
        ctx.ui.phase(p.title());
        let r = p.run(ctx).await;
        ctx.ui.finish_bar();
        r?;
    }
    Ok(())
}

