//! Recurring snapshots in `up` (RKE1's `etcd-rolling-snapshots`): on every etcd host the agent
//! image is made present, the job file written (0600, read-only in the container), the
//! `stockade-etcd-snapshots` container created or kept with the containers' own diff, and then
//! observed: running, and its agent reached etcd (the ready line). Only then is RKE1's
//! `etcd-rolling-snapshots` removed from that host. When cluster.yml turns snapshots off, stockade's
//! container goes (RKE1's too when `snapshot: false` says so explicitly; otherwise it is left
//! running, never silently dropped). The dry run decides with the same functions.
use super::agent::{ensure_image, AgentSource};
use super::containers::{self, indent_logs, Action};
use super::{Ctx, Phase, Planned};
use crate::snapshot::job::RECURRING_READY;
use crate::snapshot::recurring::{self, Schedule, CONTAINER, RKE1_CONTAINER};
use crate::snapshot::s3::S3Settings;
use crate::transport::docker::tail_logs;
use crate::transport::Host;
use anyhow::{anyhow, bail, Result};
use futures_util::future::BoxFuture;
use std::time::Duration;

/// How long `up` waits for a (re)started snapshot container to report ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// What `ops::up` decided: the schedule (None: off), the state stored in every archive, S3.
pub struct RecurringSnapshots {
    pub schedule: Option<Schedule>,
    /// `services.etcd.snapshot: false`: RKE1's container goes too
    pub explicitly_off: bool,
    pub state: String,
    pub s3: Option<S3Settings>,
    pub deadline: Duration,
}

impl RecurringSnapshots {
    fn etcd_hosts<'a>(ctx: &'a Ctx<'a>) -> Vec<&'a Host> {
        ctx.hosts.hosts.iter().filter(|h| h.has_role("etcd")).collect()
    }

    /// The job file of the i-th etcd host: the first one uploads to S3.
    fn job_file(&self, ctx: &Ctx<'_>, h: &Host, i: usize, s: Schedule) -> crate::plan::FileSpec {
        let s3 = if i == 0 { self.s3.clone() } else { None };
        recurring::job_file(&crate::plan::on_host(ctx.config, &h.operating_system), &h.node, s, &self.state, s3, self.deadline.as_secs())
    }
}

async fn exists(h: &Host, name: &str) -> bool {
    h.docker.inspect_container(name, None).await.is_ok()
}

async fn remove(ctx: &Ctx<'_>, h: &Host, name: &str) -> Result<()> {
    super::remove::remove_named(ctx, h, &[name]).await
}

/// Running, and the agent printed its ready line (it reached etcd with the host's certificates).
/// Asked of a container this run started: it prints the line among its first ones.
async fn wait_ready(h: &Host, timeout: Duration) -> Result<()> {
    let start = std::time::Instant::now();
    loop {
        let c = h.docker.inspect_container(CONTAINER, None).await.map_err(|e| anyhow!("host {}: {CONTAINER}: {e}", h.name()))?;
        let running = c.state.as_ref().and_then(|s| s.running) == Some(true);
        let logs = tail_logs(&h.docker, CONTAINER, 20).await;
        if running && logs.contains(RECURRING_READY) {
            return Ok(());
        }
        if start.elapsed() > timeout {
            bail!(
                "host {}: {CONTAINER} did not report ready within {}s (running: {running}); RKE1's {RKE1_CONTAINER}, if any, is kept{}",
                h.name(),
                timeout.as_secs(),
                indent_logs(&logs)
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

impl Phase for RecurringSnapshots {
    fn title(&self) -> &'static str {
        "Recurring snapshots"
    }

    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let hosts = Self::etcd_hosts(ctx);
            let Some(schedule) = self.schedule else {
                for h in &hosts {
                    remove(ctx, h, CONTAINER).await?;
                    if self.explicitly_off {
                        remove(ctx, h, RKE1_CONTAINER).await?;
                    }
                }
                return Ok(());
            };
            if hosts.is_empty() {
                return Ok(());
            }
            let source = AgentSource::choose(ctx.config.system_images.stockade_agent.as_deref(), hosts.iter().copied())?;
            for (i, h) in hosts.iter().enumerate() {
                if ensure_image(h, &source, &ctx.config.private_registries, ctx.timeouts.image).await? {
                    ctx.changed(h.name(), format!("loaded the helper image {}", source.tag()));
                }
                let file = self.job_file(ctx, h, i, schedule);
                super::files::sync_files(ctx, h, std::slice::from_ref(&file)).await.map_err(|e| anyhow!("host {}: writing {}: {e:#}", h.name(), file.path()))?;
                let spec = recurring::container(&crate::plan::on_host(ctx.config, &h.operating_system), source.tag());
                let action = containers::ensure(&h.docker, &spec).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
                match &action {
                    Action::Unchanged | Action::Adopted => {}
                    Action::Started => ctx.changed(h.name(), format!("started {CONTAINER}")),
                    Action::Created => ctx.changed(h.name(), format!("created {CONTAINER} (every {}s, keeping {})", schedule.interval_secs, schedule.retention)),
                    Action::Recreated(why) => ctx.changed(h.name(), format!("recreated {CONTAINER}: {}", why.join(", "))),
                }
                if action.is_noop() {
                    // kept: it was seen ready when it started (its ready line is long gone from
                    // the log's end, a line per snapshot since); it must still be running
                    let c = h.docker.inspect_container(CONTAINER, None).await.map_err(|e| anyhow!("host {}: {CONTAINER}: {e}", h.name()))?;
                    let state = c.state.unwrap_or_default();
                    if state.running != Some(true) || state.restarting == Some(true) {
                        bail!("host {}: {CONTAINER} is not running{}", h.name(), indent_logs(&tail_logs(&h.docker, CONTAINER, 20).await));
                    }
                } else {
                    wait_ready(h, READY_TIMEOUT).await?;
                }
                if exists(h, RKE1_CONTAINER).await {
                    remove(ctx, h, RKE1_CONTAINER).await?;
                    ctx.changed(h.name(), format!("RKE1's {RKE1_CONTAINER} replaced by {CONTAINER} (running and ready)"));
                }
            }
            Ok(())
        })
    }

    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<Planned>>> {
        Box::pin(async move {
            let hosts = Self::etcd_hosts(ctx);
            let mut out = Vec::new();
            let Some(schedule) = self.schedule else {
                for h in &hosts {
                    for name in [CONTAINER, RKE1_CONTAINER].into_iter().filter(|n| *n == CONTAINER || self.explicitly_off) {
                        if exists(h, name).await {
                            out.push(Planned::RemoveContainer { host: h.name().to_string(), name: name.to_string() });
                        }
                    }
                }
                return Ok(out);
            };
            if hosts.is_empty() {
                return Ok(out);
            }
            let source = AgentSource::choose(ctx.config.system_images.stockade_agent.as_deref(), hosts.iter().copied())?;
            for (i, h) in hosts.iter().enumerate() {
                let file = self.job_file(ctx, h, i, schedule);
                let changed = match super::files::differing(ctx, h, &file.dir, &[&file]).await? {
                    Some((changed, _)) => !changed.is_empty(),
                    None => true,
                };
                if changed {
                    out.push(Planned::WriteFile { host: h.name().to_string(), path: file.path() });
                }
                let spec = recurring::container(&crate::plan::on_host(ctx.config, &h.operating_system), source.tag());
                let action = containers::diff(&h.docker, &spec).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
                if !action.is_noop() {
                    out.push(Planned::Container { host: h.name().to_string(), change: super::preview::ContainerChange { name: CONTAINER.into(), action } });
                }
                if exists(h, RKE1_CONTAINER).await {
                    out.push(Planned::RemoveContainer { host: h.name().to_string(), name: RKE1_CONTAINER.into() });
                }
            }
            Ok(out)
        })
    }
}
