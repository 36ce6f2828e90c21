//! `stockade remove`: take the cluster off every host. Asks first (`force` skips); the local
//! state file and kubeconfig are deleted only when every host was cleaned.
use super::ConnectSettings;
use crate::apply::{self, remove::{CleanDirectories, RemoveContainers, RemoveDeparted}, Ctx, ImageArchive, Reconcile, Timeouts};
use crate::config::Node;
use crate::transport::Hosts;
use crate::ui::Ui;
use crate::{config, pki, plan, state};
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RemoveOptions {
    pub config_path: PathBuf,
    pub connect: ConnectSettings,
    /// do not ask for confirmation
    pub force: bool,
}

pub async fn run(args: &RemoveOptions, ui: &Ui) -> Result<()> {
    let loaded = config::load(&args.config_path)?;
    let cfg = &loaded.config;
    let state_path = loaded.state_path();
    let _lock = state::lock::acquire(&state_path, "remove")?;
    // hosts the state records that cluster.yml no longer names still carry the cluster: they are
    // cleaned too (and named in the question), before the state is deleted
    let departed = departed_hosts(state::load(&state_path)?.as_ref(), &cfg.nodes)
        .map_err(|e| anyhow::anyhow!("{}: {e:#}. Nothing was removed", state_path.display()))?;
    let archive = args.connect.image_archive.as_deref().map(ImageArchive::open).transpose()?;
    // what will be deleted, said before anything is: the same list the cleaning uses
    let etcd_dirs = crate::apply::remove::cleaned_dirs(cfg, true);
    let other_dirs = crate::apply::remove::cleaned_dirs(cfg, false);
    let what = format!(
        "every container stockade or RKE created, and the directories {} (plus {} on etcd hosts){} on {} hosts{}; etcd snapshots in /opt/rke/etcd-snapshots and /var/lib/kubelet (pods' volumes) are kept",
        other_dirs.join(" "),
        etcd_dirs.iter().filter(|d| !other_dirs.contains(d)).cloned().collect::<Vec<_>>().join(" "),
        if matches!(crate::plan::on_host(cfg, "Flatcar"), std::borrow::Cow::Owned(_)) { " (/etc/kubernetes and /var/lib/etcd under /opt/rke on RancherOS, CoreOS and Flatcar, /mnt/sda1/rke on Boot2Docker, as RKE1)" } else { "" },
        cfg.nodes.len() + departed.len(),
        if departed.is_empty() {
            String::new()
        } else {
            format!(" (including {}, recorded in the state file but no longer in cluster.yml)", departed.iter().map(|n| n.address.as_str()).collect::<Vec<_>>().join(", "))
        }
    );
    // `--yes` answers the question as `--force` does
    if !args.force && !crate::prompt::answered_yes() {
        if !crate::prompt::allowed() {
            // a usage error (exit 2): nobody can be asked
            return crate::exit::invalid(format!("remove deletes {what}: rerun with --force (or --yes) to confirm"));
        }
        let ok = dialoguer::Confirm::new()
            .with_prompt(format!(
                "Remove the cluster? This deletes {what}"
            ))
            .default(false)
            .interact()?;
        if !ok {
            bail!("nothing removed");
        }
    }
    let opts = args.connect.options(cfg);
    let keys = crate::transport::hosts::load_keys(cfg, &cfg.nodes, &departed, opts.force_agent).await?;
    ui.phase("Connect");
    let hosts = Hosts::connect_with_departed(cfg, &cfg.nodes, &departed, &keys, &opts, &|w| ui.warn(&w)).await?;
    ui.finish_bar();
    let the_plan = plan::build(cfg, &plan::Inputs::default());
    let timeouts = Timeouts { etcd_health: Duration::ZERO, component_health: Duration::ZERO, helper: args.connect.command_timeout, image: args.connect.image_timeout };
    let bundle = pki::Bundle::new();
    let mut ctx = Ctx::new(ui, &hosts, &the_plan, cfg, &bundle, archive.as_ref(), timeouts);
    ctx.reconcile = Reconcile { departed: hosts.departed.iter().collect(), ..Default::default() };
    let result = apply::run_phases(&ctx, &[&RemoveContainers, &CleanDirectories, &RemoveDeparted]).await;
    hosts.close().await;
    result?;
    if !hosts.unreachable_departed.is_empty() {
        bail!(
            "the cluster was removed from the hosts in cluster.yml, but hosts the state file records could not be reached and were NOT cleaned:\n{}\nThe state file {} is kept; run `remove` again when they are back (if they are gone for good, delete the state file yourself)",
            hosts.unreachable_departed.join("\n"),
            state_path.display()
        );
    }
    for p in [&state_path, &loaded.kubeconfig_path()] {
        match std::fs::remove_file(p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => bail!("removing {}: {e}", p.display()),
            _ => {}
        }
    }
    ui.info(&format!("Removed the cluster from {} hosts; deleted {} and {}.", hosts.hosts.len(), state_path.display(), loaded.kubeconfig_path().display()));
    if state::backup_path(&state_path).exists() {
        ui.info(&format!(
            "The previous state (with the cluster CA, needed to restore etcd snapshots) is kept in {}",
            state::backup_path(&state_path).display()
        ));
    }
    Ok(())
}

/// Nodes the last successful run recorded that `nodes` lacks (not those a failed run only meant
/// to add: nothing shows they ever carried the cluster).
pub fn departed_hosts(full: Option<&state::FullState>, nodes: &[Node]) -> Result<Vec<Node>> {
    let mut out: Vec<Node> = Vec::new();
    if let Some(full) = full {
        for n in full.current.nodes()? {
            if !nodes.iter().any(|c| c.address == n.address) && !out.iter().any(|o| o.address == n.address) {
                out.push(n);
            }
        }
    }
    Ok(out)
}
