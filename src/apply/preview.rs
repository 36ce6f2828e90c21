//! What `up` would do, per host: the images to load or pull, the files to write or delete, and
//! each container to create, start, recreate (with the fields that differ) or remove — gathered
//! from each phase's own dry run (`Phase::dry_run`, read-only calls and the decisions its run
//! makes) and rendered here.
use super::containers::Action;
use super::{Ctx, Planned};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
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
        // adopting RKE1's container changes nothing on the host
        self.images.is_empty()
            && self.files.is_empty()
            && self.delete_files.is_empty()
            && self.containers.iter().all(|c| c.action == Action::Adopted)
            && self.remove.is_empty()
    }
}

/// The phases' planned changes grouped per host, in the hosts' order (a container two phases
/// both touch, the sidekick, is listed once).
pub fn by_host(ctx: &Ctx<'_>, planned: &[Planned]) -> Vec<HostPreview> {
    let mut out: Vec<HostPreview> = ctx
        .hosts
        .hosts
        .iter()
        .map(|h| HostPreview { address: h.name().to_string(), images: vec![], files: vec![], delete_files: vec![], containers: vec![], remove: vec![] })
        .collect();
    for p in planned {
        let (host, push): (&str, Box<dyn FnOnce(&mut HostPreview)>) = match p {
            Planned::Image { host, how } => (host, Box::new(|h: &mut HostPreview| h.images.push(how.clone()))),
            Planned::WriteFile { host, path } => (host, Box::new(|h: &mut HostPreview| h.files.push(path.clone()))),
            Planned::DeleteFile { host, path } => (host, Box::new(|h: &mut HostPreview| h.delete_files.push(path.clone()))),
            Planned::Container { host, change } => (
                host,
                Box::new(|h: &mut HostPreview| {
                    if !h.containers.iter().any(|c| c.name == change.name) {
                        h.containers.push(change.clone())
                    }
                }),
            ),
            Planned::RemoveContainer { host, name } => (host, Box::new(|h: &mut HostPreview| h.remove.push(name.clone()))),
            Planned::Membership(_) | Planned::CleanDeparted(_) | Planned::Rollout(_) => continue,
        };
        if let Some(h) = out.iter_mut().find(|h| h.address == host) {
            push(h);
        }
    }
    out
}

/// The plan as text, one line per change, grouped by host.
pub fn render(previews: &[HostPreview]) -> String {
    let mut out = String::new();
    for p in previews {
        if p.is_empty() && p.containers.is_empty() {
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
                Action::Adopted => out.push_str(&format!("  adopt      {} (RKE1's container, as planned: kept)\n", c.name)),
                Action::Unchanged => {}
            }
        }
        for r in &p.remove {
            out.push_str(&format!("  remove     {r}\n"));
        }
    }
    out
}
