//! Taking stockade (and RKE) off a host: every container either tool created is removed,
//! then the host directories RKE cleans are emptied and removed (etcd snapshots under
//! /opt/rke are kept: they may be the only backup).
use super::{Ctx, Phase};
use crate::plan::container::{is_rke1_leftover, MANAGED_LABEL, RKE_NAME_LABEL};
use crate::plan::{prefixed, CLEANED_DIRS};
use crate::transport::docker::Helper;
use crate::transport::Host;
use anyhow::{anyhow, Result};
use bollard::query_parameters::{ListContainersOptions, RemoveContainerOptions};
use futures_util::future::BoxFuture;
use std::collections::HashMap;

pub struct RemoveContainers;
pub struct CleanDirectories;
/// Removes managed containers a host's plan no longer has (last phase of `up`).
pub struct RemoveObsolete;

impl Phase for RemoveObsolete {
    fn title(&self) -> &'static str {
        "Remove obsolete containers"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(ctx.on_each_host(move |h| async move {
            let Some(plan) = ctx.host_plan(h.name()) else { return Ok(()) };
            for name in obsolete_containers(h, plan).await? {
                h.docker
                    .remove_container(&name, Some(RemoveContainerOptions { force: true, ..Default::default() }))
                    .await
                    .map_err(|e| anyhow!("host {}: removing container {name}: {e}", h.name()))?;
                ctx.changed(h.name(), format!("removed container {name} (no longer in the plan)"));
            }
            // the secrets those containers read go only once they are gone
            super::files::delete_stale_files(ctx, h).await
        }))
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for h in &ctx.hosts.hosts {
                let Some(plan) = ctx.host_plan(h.name()) else { continue };
                out.extend(obsolete_containers(h, plan).await?.into_iter().map(|name| super::Planned::RemoveContainer { host: h.name().to_string(), name }));
                for (dir, stale) in super::files::stale_files(ctx, h).await? {
                    out.extend(stale.into_iter().map(|n| super::Planned::DeleteFile { host: h.name().to_string(), path: format!("{dir}/{n}") }));
                }
            }
            Ok(out)
        })
    }
}

impl Phase for RemoveContainers {
    fn title(&self) -> &'static str {
        "Remove containers"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(ctx.on_each_host(move |h| remove_containers(ctx, h)))
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for h in &ctx.hosts.hosts {
                out.extend(managed_containers(h).await?.into_iter().map(|name| super::Planned::RemoveContainer { host: h.name().to_string(), name }));
            }
            Ok(out)
        })
    }
}

impl Phase for CleanDirectories {
    fn title(&self) -> &'static str {
        "Clean host directories"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(ctx.on_each_host(move |h| clean_host(ctx, h)))
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        let out = ctx
            .hosts
            .hosts
            .iter()
            .flat_map(|h| cleaned_dirs(&crate::plan::on_host(ctx.config, &h.operating_system), h.has_role("etcd")).into_iter().map(move |d| super::Planned::DeleteFile { host: h.name().to_string(), path: d }))
            .collect();
        Box::pin(async move { Ok(out) })
    }
}

/// Names of the containers (running or not) that carry `label`.
async fn labelled(h: &Host, label: &str) -> Result<Vec<String>> {
    let filters = HashMap::from([("label".to_string(), vec![label.to_string()])]);
    let list = h
        .docker
        .list_containers(Some(ListContainersOptions { all: true, filters: Some(filters), ..Default::default() }))
        .await
        .map_err(|e| anyhow!("host {}: listing containers: {e}", h.name()))?;
    Ok(list.into_iter().filter_map(|c| c.names.unwrap_or_default().first().map(|n| n.trim_start_matches('/').to_string()).or(c.id)).collect())
}

/// Containers carrying stockade's or RKE's label, and the ones RKE1 leaves without a label
/// (`plan::container::is_rke1_leftover`).
pub async fn managed_containers(h: &Host) -> Result<Vec<String>> {
    let mut names = labelled(h, MANAGED_LABEL).await?;
    let all = h
        .docker
        .list_containers(Some(ListContainersOptions { all: true, ..Default::default() }))
        .await
        .map_err(|e| anyhow!("host {}: listing containers: {e}", h.name()))?;
    let leftovers = all.into_iter().filter_map(|c| c.names.unwrap_or_default().first().map(|n| n.trim_start_matches('/').to_string())).filter(|n| is_rke1_leftover(n));
    for n in labelled(h, RKE_NAME_LABEL).await?.into_iter().chain(leftovers) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    Ok(names)
}

async fn remove_containers(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    for name in managed_containers(h).await? {
        h.docker
            .remove_container(&name, Some(RemoveContainerOptions { force: true, v: true, ..Default::default() }))
            .await
            .map_err(|e| anyhow!("host {}: removing container {name}: {e}", h.name()))?;
        ctx.changed(h.name(), format!("removed container {name}"));
    }
    Ok(())
}

/// The directories to clean on one host, with `prefix_path` applied where RKE applies it; the
/// etcd data directory only on etcd hosts (as RKE1).
pub fn cleaned_dirs(cfg: &crate::config::ClusterConfig, etcd_host: bool) -> Vec<String> {
    // `cfg` as it applies on the host (`plan::on_host`)
    CLEANED_DIRS
        .iter()
        .filter(|d| etcd_host || **d != "/var/lib/etcd")
        .map(|d| match *d {
            "/etc/kubernetes" | "/var/lib/etcd" => prefixed(cfg, d),
            other => other.to_string(),
        })
        .collect()
}

async fn clean_host(ctx: &Ctx<'_>, h: &Host) -> Result<()> {
    clean(ctx, h, &cleaned_dirs(&crate::plan::on_host(ctx.config, &h.operating_system), h.has_role("etcd"))).await
}

/// Removes the given containers if present, recording each removal.
pub async fn remove_named(ctx: &Ctx<'_>, h: &Host, names: &[&str]) -> Result<()> {
    for name in names {
        match h.docker.remove_container(name, Some(RemoveContainerOptions { force: true, ..Default::default() })).await {
            Ok(()) => ctx.changed(h.name(), format!("removed container {name}")),
            Err(e) if crate::transport::docker::is_not_found(&e) => {}
            Err(e) => return Err(anyhow!("host {}: removing container {name}: {e}", h.name())),
        }
    }
    Ok(())
}

/// Empties and removes host directories through a helper container (a mount point is
/// emptied instead); reports what was cleaned.
///
/// Never through a mount: each path is resolved on the host (`chroot /host readlink -f`, so a
/// symlinked `/var/run` or data directory means the host's target, not the helper's), and a
/// directory with anything mounted below it (read from the helper's mountinfo, which holds
/// the host's mounts recursively bound under /host) is refused, naming the mounts — before
/// anything in it is deleted.
pub async fn clean(ctx: &Ctx<'_>, h: &Host, dirs: &[String]) -> Result<()> {
    super::images::ensure_host(ctx, h, std::slice::from_ref(&ctx.plan.helper_image))
        .await
        .map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
    let script = r#"rc=0
for d in "$@"; do
  r=$(chroot /host readlink -f "$d" 2>/dev/null)
  if [ -z "$r" ]; then
    # unresolvable: deleting through the helper's view could follow a symlink elsewhere
    if chroot /host test -e "$d" 2>/dev/null || chroot /host test -L "$d" 2>/dev/null || [ -e "/host$d" ] || [ -L "/host$d" ]; then
      echo "refused $d: its path could not be resolved on the host (readlink -f failed)"; rc=1
    fi
    continue
  fi
  p="/host$r"
  [ -e "$p" ] || continue
  below=$(awk -v p="$p/" 'index($5, p) == 1 { sub("^/host", "", $5); printf "%s ", $5 }' /proc/self/mountinfo)
  if [ -n "$below" ]; then echo "refused $d: mounted below it (deleting through a mount would delete that volume's data): $below"; rc=1; continue; fi
  [ -z "$(ls -A "$p" 2>/dev/null)" ] && [ -d "$p" ] && { rmdir "$p" 2>/dev/null; continue; }
  rm -rf "$p" 2>/dev/null
  if [ -e "$p" ]; then rm -rf "$p"/* "$p"/.[!.]* "$p"/..?* 2>/dev/null; fi
  if [ -e "$p" ] && [ -n "$(ls -A "$p" 2>/dev/null)" ]; then echo "could not clean $d"; rc=1; else echo "cleaned $d"; fi
done
exit $rc"#;
    let mut cmd = vec!["sh".to_string(), "-c".to_string(), script.to_string(), "clean".to_string()];
    cmd.extend(dirs.iter().cloned());
    let helper = Helper::create(&h.docker, &ctx.plan.helper_image, vec!["/:/host".into()], cmd).await?;
    let run = helper.run(ctx.timeouts.helper).await;
    helper.remove().await;
    let (code, out) = run.map_err(|e| anyhow!("host {}: cleaning directories: {e:#}", h.name()))?;
    let refused: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("refused ")).collect();
    if !refused.is_empty() {
        return crate::exit::refused(format!(
            "host {}: not cleaned: {}. Unmount what is named on the host (or drain the node so its pods' volumes are unmounted) and rerun",
            h.name(),
            refused.join("; ")
        ));
    }
    if code != 0 {
        return Err(anyhow!("host {}: cleaning directories failed (exit {code}): {}", h.name(), out.replace('\n', "; ")));
    }
    let cleaned: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("cleaned ")).collect();
    if !cleaned.is_empty() {
        ctx.changed(h.name(), format!("cleaned {}", cleaned.join(" ")));
    }
    Ok(())
}

/// Containers stockade manages on the host that the host's plan no longer has (for example
/// nginx-proxy on a host that gained the controlplane role), and what an interrupted run can
/// leave: `old-*` containers of a replacement and helper containers.
pub async fn obsolete_containers(h: &Host, plan: &crate::plan::HostPlan) -> Result<Vec<String>> {
    // the recurring-snapshot container is not in the plan: its own phase keeps or removes it
    let mut out: Vec<String> = labelled(h, MANAGED_LABEL)
        .await?
        .into_iter()
        .filter(|n| !plan.containers.iter().any(|c| &c.name == n) && n != crate::snapshot::recurring::CONTAINER)
        .collect();
    out.sort();
    Ok(out)
}

/// Hosts taken out of cluster.yml: every stockade container removed and the directories
/// cleaned, where the host can be reached (the others are named at the end of `up`).
pub struct RemoveDeparted;

impl Phase for RemoveDeparted {
    fn title(&self) -> &'static str {
        "Remove departed hosts"
    }
    fn run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for h in &ctx.reconcile.departed {
                remove_containers(ctx, h).await?;
                clean_host(ctx, h).await?;
            }
            Ok(())
        })
    }
    fn dry_run<'a>(&'a self, ctx: &'a Ctx<'a>) -> BoxFuture<'a, Result<Vec<super::Planned>>> {
        let names = ctx.reconcile.departed.iter().map(|h| h.name().to_string()).chain(ctx.hosts.unreachable_departed.iter().cloned());
        let out = names.map(super::Planned::CleanDeparted).collect();
        Box::pin(async move { Ok(out) })
    }
}
