//! What `up` would do, found with read-only calls only (inspect, image lookups, reading files
//! through containers that already mount them): per host, the images to load or pull, the
//! files to write, and each container to create, start, recreate (with the fields that
//! differ) or remove. The decisions come from the same functions the real run uses.
use super::containers::{self, Action};
use super::{images, Ctx};
use crate::plan::FileSpec;
use crate::transport::Host;
use anyhow::{anyhow, Result};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Serialize)]
pub struct ContainerChange {
    pub name: String,
    #[serde(flatten)]
    pub action: Action,
}

#[derive(Debug, Serialize)]
pub struct HostPreview {
    pub address: String,
    pub images: Vec<String>,
    pub files: Vec<String>,
    /// secret files the host's plan no longer has (removed by the run)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delete_files: Vec<String>,
    pub containers: Vec<ContainerChange>,
    pub remove: Vec<String>,
}

impl HostPreview {
    pub fn is_empty(&self) -> bool {
        self.images.is_empty() && self.files.is_empty() && self.delete_files.is_empty() && self.containers.is_empty() && self.remove.is_empty()
    }
}

pub async fn preview(ctx: &Ctx<'_>) -> Result<Vec<HostPreview>> {
    let futs = ctx.hosts.hosts.iter().map(|h| host(ctx, h)).collect();
    crate::transport::hosts::all_ok(crate::transport::hosts::bounded(ctx.hosts.concurrency, futs).await)
}

async fn host(ctx: &Ctx<'_>, h: &Host) -> Result<HostPreview> {
    let plan = ctx.host_plan(h.name()).ok_or_else(|| anyhow!("host {} is not in the plan", h.name()))?;
    let mut images = Vec::new();
    for image in images::missing(h, &plan.images).await {
        let how = match ctx.archive {
            Some(a) if a.images.contains(&images::normalize(&image)) => format!("load {image} from {}", a.path.display()),
            _ => format!("pull {image}"),
        };
        images.push(how);
    }
    let (mut files, mut delete_files) = (Vec::new(), Vec::new());
    let dirs: BTreeSet<&str> = plan.files.iter().map(|f| f.dir.as_str()).collect();
    for dir in dirs {
        let in_dir: Vec<&FileSpec> = plan.files.iter().filter(|f| f.dir == dir).collect();
        let (changed, stale) = super::files::differing(ctx, h, dir, &in_dir).await?.unwrap_or((in_dir, Vec::new()));
        files.extend(changed.iter().map(|f| f.path()));
        delete_files.extend(stale.iter().map(|n| format!("{dir}/{n}")));
    }
    let mut containers = Vec::new();
    for spec in &plan.containers {
        let action = containers::diff(&h.docker, spec).await.map_err(|e| anyhow!("host {}: {e:#}", h.name()))?;
        if action != Action::Unchanged {
            containers.push(ContainerChange { name: spec.name.clone(), action });
        }
    }
    let remove = super::remove::obsolete_containers(h, plan).await?;
    Ok(HostPreview { address: h.name().to_string(), images, files, delete_files, containers, remove })
}

/// The plan as text, one line per change, grouped by host.
pub fn render(previews: &[HostPreview]) -> String {
    let mut out = String::new();
    for p in previews {
        if p.is_empty() {
            out.push_str(&format!("{}: no changes\n", p.address));
            continue;
        }
        out.push_str(&format!("{}:\n", p.address));
        for i in &p.images {
            out.push_str(&format!("  image      {i}\n"));
        }
        for f in &p.files {
            out.push_str(&format!("  write      {f}\n"));
        }
        for f in &p.delete_files {
            out.push_str(&format!("  delete     {f}\n"));
        }
        for c in &p.containers {
            match &c.action {
                Action::Created => out.push_str(&format!("  create     {}\n", c.name)),
                Action::Started => out.push_str(&format!("  start      {}\n", c.name)),
                Action::Recreated(diff) => {
                    out.push_str(&format!("  recreate   {}\n", c.name));
                    for d in diff {
                        out.push_str(&format!("               {d}\n"));
                    }
                }
                Action::Unchanged => {}
            }
        }
        for r in &p.remove {
            out.push_str(&format!("  remove     {r}\n"));
        }
    }
    out
}
