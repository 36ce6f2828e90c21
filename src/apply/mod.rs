//! Applying a plan: a pipeline of phases (each with a title and a run), k0sctl-style. Every
//! phase compares the plan with what the hosts report and changes only what differs, and
//! records each change so `up` can say exactly what it did, or that nothing changed.
pub mod agent;
pub mod containers;
pub mod controlplane;
pub mod etcd_health;
pub mod etcd_plane;
pub mod files;
pub mod health;
pub mod kubernetes;
pub mod membership;
pub mod preview;
pub mod worker;
pub mod images;
pub mod remove;
pub mod rolling;
pub mod snapshots;

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
    /// how long one image pull or archive load may take
    pub image: Duration,
}

/// What `up` changes beyond the plan's containers: etcd membership and departed hosts.
#[derive(Default)]
pub struct Reconcile<'a> {
    /// planned from the live member list when the cluster exists
    pub etcd: crate::plan::membership::EtcdChanges,
    /// connected hosts that left cluster.yml
    pub departed: Vec<&'a Host>,
    /// restart every etcd member at once instead of one at a time (a CA rotation: see
    /// `ops::cert::rotate`)
    pub etcd_all_at_once: bool,
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
    /// files this run writes (or, in a dry run, would write) per host, by name: an adopted RKE1
    /// container that reads one of them is recreated, as RKE1 recreates a container when a file
    /// it reads changes (its `RKE_*_CHECKSUM` variables)
    wrote_files: Mutex<std::collections::BTreeMap<String, Vec<String>>>,
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
        Ctx { ui, hosts, plan, config, bundle, archive, timeouts, reconcile: Reconcile::default(), changes: Mutex::new(Vec::new()), wrote_files: Mutex::default() }
    }

    /// Records (and shows) one change made on a host.
    pub fn changed(&self, host: &str, what: impl Into<String>) {
        let what = what.into();
        self.ui.step(host, &what);
        self.changes.lock().unwrap().push(format!("{host}: {what}"));
    }

    /// Notes the files (names under their directory) this run writes on `host`.
    pub fn wrote_files_on(&self, host: &str, names: impl IntoIterator<Item = String>) {
        self.wrote_files.lock().unwrap().entry(host.to_string()).or_default().extend(names);
    }

    /// A file written on the host in this run that `spec` names in its arguments or environment.
    fn written_file_read_by(&self, h: &Host, spec: &crate::plan::ContainerSpec) -> Option<String> {
        let written = self.wrote_files.lock().unwrap();
        let names = written.get(h.name())?;
        let args: Vec<&String> = spec.cmd.iter().chain(spec.entrypoint.iter().flatten()).chain(&spec.env).collect();
        names.iter().find(|n| {
            let base = n.rsplit('/').next().unwrap_or(n);
            args.iter().any(|a| a.contains(base))
        }).cloned()
    }

    /// What the run does with `spec` on `h`: the container diff, except that an adopted RKE1
    /// container that reads a file written in this run is recreated. The run, the dry run and the
    /// planes' rollout decisions all take it from here.
    pub async fn action(&self, h: &Host, spec: &crate::plan::ContainerSpec) -> Result<containers::Action> {
        let action = containers::diff(&h.docker, spec).await.map_err(|e| anyhow::anyhow!("host {}: {e:#}", h.name()))?;
        Ok(match (action, self.written_file_read_by(h, spec)) {
            (containers::Action::Adopted, Some(f)) => containers::Action::Recreated(vec![format!("RKE1's container; a file it reads changed ({f})")]),
            (a, _) => a,
        })
    }

    fn adopted_reads_new_files(&self, h: &Host, spec: &crate::plan::ContainerSpec, action: &containers::Action) -> Option<String> {
        if *action != containers::Action::Adopted {
            return None;
        }
        self.written_file_read_by(h, spec)
    }

    pub fn changes(&self) -> Vec<String> {
        self.changes.lock().unwrap().clone()
    }

    /// Runs `f` on every host, `--concurrency` at a time; fails with every host's error. Each
    /// host's run is timed for `--timings` (from its start, not its wait for a slot) and its
    /// error is reported as the host's (`Ui::time_host`).
    pub async fn on_each_host<'b, F, Fut>(&'b self, f: F) -> Result<()>
    where
        F: Fn(&'b Host) -> Fut,
        Fut: std::future::Future<Output = Result<()>> + 'b,
    {
        let futs = self.hosts.hosts.iter().map(|h| self.ui.time_host(h.name(), f(h))).collect();
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
            let mut action = containers::ensure(&h.docker, spec).await.map_err(|e| anyhow::anyhow!("host {}: {e:#}", h.name()))?;
            if let Some(f) = self.adopted_reads_new_files(h, spec, &action) {
                let why = format!("RKE1's container; a file it reads changed ({f})");
                action = containers::recreate(&h.docker, spec, &why).await.map_err(|e| anyhow::anyhow!("host {}: {e:#}", h.name()))?;
            }
            self.record(h, name, &action);
            actions.push(action);
        }
        Ok(actions)
    }

    /// Makes one container of the host's plan match it; it must then pass `check`, and a
    /// replaced container that does not is rolled back to the previous one.
    pub async fn ensure_container_checked<F, Fut>(&self, h: &Host, name: &str, check: F) -> Result<containers::Action>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let spec = self
            .host_plan(h.name())
            .and_then(|p| p.containers.iter().find(|c| c.name == name))
            .ok_or_else(|| anyhow::anyhow!("host {}: no {name} container in the plan", h.name()))?;
        self.ui.status(&format!("{}: {name}", h.name()));
        let action = if let Some(f) = self.adopted_reads_new_files(h, spec, &containers::diff(&h.docker, spec).await?) {
            let why = format!("RKE1's container; a file it reads changed ({f})");
            let a = containers::recreate(&h.docker, spec, &why).await.map_err(|e| anyhow::anyhow!("host {}: {e:#}", h.name()))?;
            check().await?;
            a
        } else {
            containers::ensure_checked(&h.docker, spec, check).await.map_err(|e| anyhow::anyhow!("host {}: {e:#}", h.name()))?
        };
        self.record(h, name, &action);
        Ok(action)
    }

    fn record(&self, h: &Host, name: &str, action: &containers::Action) {
        match action {
            containers::Action::Unchanged => {}
            // not a change: shown, not counted
            containers::Action::Adopted => self.ui.step(h.name(), &format!("adopted {name} (RKE1's container runs what the plan asks for: kept as it is)")),
            containers::Action::Started => self.changed(h.name(), format!("started stopped container {name}")),
            containers::Action::Created => self.changed(h.name(), format!("created container {name}")),
            containers::Action::Recreated(diff) => self.changed(h.name(), format!("recreated container {name} ({})", diff.join("; "))),
        }
    }

    pub fn host_plan(&self, address: &str) -> Option<&'a crate::plan::HostPlan> {
        self.plan.hosts.iter().find(|h| h.address == address)
    }
}

/// One step of a command, k0sctl-style: `run` changes the hosts; `dry_run` says what `run`
/// would change, from read-only calls and the same decision functions, so the preview cannot
/// drift from the run. Every phase must say (the method has no default).
pub trait Phase: Send + Sync {
    fn title(&self) -> &'static str;
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>>;
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<Planned>>>;
}

/// One change a phase would make.
#[derive(Debug, Clone)]
pub enum Planned {
    /// how a missing image would get there (`load … from FILE`, `pull …`)
    Image { host: String, how: String },
    WriteFile { host: String, path: String },
    DeleteFile { host: String, path: String },
    Container { host: String, change: preview::ContainerChange },
    RemoveContainer { host: String, name: String },
    /// an etcd membership change (one line)
    Membership(String),
    /// a host that left cluster.yml, to be cleaned
    CleanDeparted(String),
    /// one batch of the rolling change of running hosts (one line, in order)
    Rollout(String),
}

/// The dry runs of `phases`, in order.
pub async fn dry_run_phases(ctx: &Ctx<'_>, phases: &[&dyn Phase]) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for p in phases {
        ctx.ui.status(&format!("planning: {}", p.title()));
        out.extend(p.dry_run(ctx).await?);
    }
    Ok(out)
}

/// The planned changes of the named containers of each host's plan (the diff the run acts on).
pub async fn containers_dry_run<'h>(ctx: &Ctx<'_>, hosts: impl IntoIterator<Item = &'h Host>, names: &[&str]) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for h in hosts {
        let Some(plan) = ctx.host_plan(h.name()) else { continue };
        for spec in plan.containers.iter().filter(|c| names.contains(&c.name.as_str())) {
            let action = ctx.action(h, spec).await?;
            if action != containers::Action::Unchanged {
                out.push(Planned::Container { host: h.name().to_string(), change: preview::ContainerChange { name: spec.name.clone(), action } });
            }
        }
    }
    Ok(out)
}

pub async fn run_phases(ctx: &Ctx<'_>, phases: &[&dyn Phase]) -> Result<()> {
    for p in phases {
        ctx.ui.phase(p.title());
        let r = p.run(ctx).await;
        ctx.ui.end_phase(r.is_ok());
        r?;
    }
    Ok(())
}

