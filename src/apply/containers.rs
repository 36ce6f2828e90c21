//! Making one container match its spec: create it when missing, start it when stopped, and
//! replace it when its spec hash differs (RKE's rolling update: the old container is stopped
//! and renamed, the new one started, and the old one removed only once the new one runs).
use crate::plan::container::{ContainerSpec, HASH_LABEL, RKE_NAME_LABEL, SPEC_LABEL};
use crate::transport::docker::{is_not_found, tail_logs};
use anyhow::{anyhow, Result};
use bollard::models::{ContainerCreateBody, HostConfig, RestartPolicy, RestartPolicyNameEnum};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions, RenameContainerOptions, StopContainerOptions};
use bollard::Docker;

#[derive(Debug, PartialEq, Eq, Clone, serde::Serialize)]
#[serde(tag = "action", content = "changes")]
pub enum Action {
    #[serde(rename = "none")]
    Unchanged,
    #[serde(rename = "start")]
    Started,
    #[serde(rename = "create")]
    Created,
    /// with the spec fields that differ
    #[serde(rename = "recreate")]
    Recreated(Vec<String>),
    /// a running container RKE1 made that runs what the plan asks for: kept as it is (labels
    /// cannot be added to a container; the next change recreates it the normal way)
    #[serde(rename = "adopt")]
    Adopted,
}

impl Action {
    /// Nothing to do on the host.
    pub fn is_noop(&self) -> bool {
        matches!(self, Action::Unchanged | Action::Adopted)
    }
}

/// What the host has for `spec.name`, compared with the spec.
pub async fn diff(docker: &Docker, spec: &ContainerSpec) -> Result<Action> {
    match docker.inspect_container(&spec.name, None).await {
        Err(e) if is_not_found(&e) => Ok(Action::Created),
        Err(e) => Err(anyhow!("inspecting container {}: {e}", spec.name)),
        Ok(c) => {
            let labels = c.config.as_ref().and_then(|c| c.labels.clone()).unwrap_or_default();
            let running = c.state.as_ref().and_then(|s| s.running).unwrap_or(false);
            Ok(match labels.get(HASH_LABEL) {
                // a create-only container (the sidekick) is never meant to run
                Some(h) if *h == spec.hash() && (running || spec.create_only) => Action::Unchanged,
                Some(h) if *h == spec.hash() => Action::Started,
                None if labels.contains_key(RKE_NAME_LABEL) => {
                    let image = c.image.clone().unwrap_or_default();
                    let image_env = docker.inspect_image(&image).await.ok().and_then(|i| i.config).and_then(|c| c.env).unwrap_or_default();
                    match rke1_differences(&c, spec, &image_env) {
                        d if d.is_empty() && (running || spec.create_only) => Action::Adopted,
                        d if d.is_empty() => Action::Started,
                        d => Action::Recreated(d.into_iter().map(|f| format!("RKE1's container differs: {f}")).collect()),
                    }
                }
                _ => {
                    let old = labels.get(SPEC_LABEL).and_then(|s| serde_json::from_str(s).ok());
                    Action::Recreated(match old {
                        Some(old) => spec.differences(&old),
                        None => vec!["not created by this version of stockade".into()],
                    })
                }
            })
        }
    }
}

/// How RKE1 itself decides whether a container it made must be replaced (rancher/rke
/// `IsContainerUpgradable`, rke.md §3): image; entrypoint and command together as a set of
/// arguments (RKE1 splits them differently); environment minus the image's own and minus
/// RKE1's `RKE_*_CHECKSUM` variables; binds as a set; security options as a set (Docker's own
/// `label=disable` ignored, as RKE1 does); plus what stockade's spec sets beside them
/// (privileges, namespaces, volumes-from). Returns the fields that differ.
pub fn rke1_differences(c: &bollard::models::ContainerInspectResponse, spec: &ContainerSpec, image_env: &[String]) -> Vec<String> {
    use std::collections::BTreeSet;
    let config = c.config.clone().unwrap_or_default();
    let host = c.host_config.clone().unwrap_or_default();
    let norm = |i: &str| super::images::normalize(i);
    let mut out = Vec::new();
    if norm(config.image.as_deref().unwrap_or_default()) != norm(&spec.image) {
        out.push(format!("image {} (plan: {})", config.image.unwrap_or_default(), spec.image));
    }
    let args = |e: Option<Vec<String>>, c: Vec<String>| -> BTreeSet<String> { e.unwrap_or_default().into_iter().chain(c).collect() };
    if args(config.entrypoint.clone(), config.cmd.clone().unwrap_or_default()) != args(spec.entrypoint.clone(), spec.cmd.clone()) {
        out.push("command".into());
    }
    let own = |e: &String| image_env.contains(e) || (e.starts_with("RKE_") && e.split('=').next().is_some_and(|k| k.ends_with("_CHECKSUM")));
    let env: BTreeSet<&String> = config.env.iter().flatten().filter(|e| !own(e)).collect();
    if env != spec.env.iter().filter(|e| !own(e)).collect::<BTreeSet<_>>() {
        // names only: values may be secrets
        out.push("environment".into());
    }
    if host.binds.iter().flatten().collect::<BTreeSet<_>>() != spec.binds.iter().collect::<BTreeSet<_>>() {
        out.push("binds".into());
    }
    if host.privileged.unwrap_or(false) != spec.privileged {
        out.push("privileged".into());
    }
    if host.network_mode.as_deref().unwrap_or("default") != spec.network_mode {
        out.push("network mode".into());
    }
    if host.pid_mode.as_deref().filter(|p| !p.is_empty()) != spec.pid_mode.as_deref() {
        out.push("pid mode".into());
    }
    if host.volumes_from.iter().flatten().collect::<BTreeSet<_>>() != spec.volumes_from.iter().collect::<BTreeSet<_>>() {
        out.push("volumes-from".into());
    }
    // Docker adds `label=disable` to containers it runs unlabelled on an SELinux host: not a difference
    let opts = |o: Vec<&String>| o.into_iter().filter(|o| o.as_str() != "label=disable").cloned().collect::<BTreeSet<String>>();
    if opts(host.security_opt.iter().flatten().collect()) != opts(spec.security_opt.iter().collect()) {
        out.push("security options".into());
    }
    out
}

pub async fn ensure(docker: &Docker, spec: &ContainerSpec) -> Result<Action> {
    let action = diff(docker, spec).await?;
    match action {
        Action::Unchanged | Action::Adopted => {}
        Action::Started => start(docker, &spec.name).await?,
        Action::Created => {
            create(docker, spec).await?;
            if !spec.create_only {
                start(docker, &spec.name).await?;
            }
        }
        Action::Recreated(_) => replace(docker, spec).await?,
    }
    Ok(action)
}

/// Like [`ensure`], and the container must then pass `check`. A replaced container that fails
/// it is rolled back: the new one is removed and the previous one renamed back and started, so a
/// bad change never leaves a member down (the error says whether the rollback worked).
pub async fn ensure_checked<F, Fut>(docker: &Docker, spec: &ContainerSpec, check: F) -> Result<Action>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let action = diff(docker, spec).await?;
    match &action {
        Action::Unchanged | Action::Adopted => return Ok(action),
        Action::Started => start(docker, &spec.name).await?,
        Action::Created => {
            create(docker, spec).await?;
            start(docker, &spec.name).await?;
        }
        Action::Recreated(_) => {
            swap_in(docker, spec).await?;
            if let Err(e) = check().await {
                return Err(match roll_back(docker, spec).await {
                    Ok(()) => e.context(format!("the new {} container was removed and the previous one started again", spec.name)),
                    Err(r) => e.context(format!("putting the previous {} container back failed too: {r:#}", spec.name)),
                });
            }
            docker.remove_container(&old_name(spec), Some(RemoveContainerOptions { force: true, ..Default::default() })).await?;
            return Ok(action);
        }
    }
    check().await?;
    Ok(action)
}

fn old_name(spec: &ContainerSpec) -> String {
    format!("old-{}", spec.name)
}

/// Replaces the container whatever its state, the rolling way; `why` is the reported difference.
pub async fn recreate(docker: &Docker, spec: &ContainerSpec, why: &str) -> Result<Action> {
    replace(docker, spec).await?;
    Ok(Action::Recreated(vec![why.to_string()]))
}

async fn replace(docker: &Docker, spec: &ContainerSpec) -> Result<()> {
    swap_in(docker, spec).await?;
    docker.remove_container(&old_name(spec), Some(RemoveContainerOptions { force: true, ..Default::default() })).await?;
    Ok(())
}

/// Stops the current container and keeps it as `old-<name>`, then creates and starts the new
/// one; when that fails, the previous container is put back and started.
async fn swap_in(docker: &Docker, spec: &ContainerSpec) -> Result<()> {
    let old = old_name(spec);
    // a leftover from an interrupted replace: the current container is the one to keep
    let _ = docker.remove_container(&old, Some(RemoveContainerOptions { force: true, ..Default::default() })).await;
    let _ = docker.stop_container(&spec.name, Some(StopContainerOptions { t: Some(10), ..Default::default() })).await;
    docker.rename_container(&spec.name, RenameContainerOptions { name: old.clone() }).await?;
    let fresh = async {
        create(docker, spec).await?;
        if spec.create_only { Ok(()) } else { start(docker, &spec.name).await }
    };
    if let Err(e) = fresh.await {
        // put the previous container back so the host keeps running what it ran
        let _ = roll_back(docker, spec).await;
        return Err(e);
    }
    Ok(())
}

/// Removes the new container and puts `old-<name>` back in its place, running.
async fn roll_back(docker: &Docker, spec: &ContainerSpec) -> Result<()> {
    let old = old_name(spec);
    let _ = docker.remove_container(&spec.name, Some(RemoveContainerOptions { force: true, ..Default::default() })).await;
    docker.rename_container(&old, RenameContainerOptions { name: spec.name.clone() }).await?;
    if !spec.create_only {
        docker.start_container(&spec.name, None).await?;
    }
    Ok(())
}

async fn create(docker: &Docker, spec: &ContainerSpec) -> Result<()> {
    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        entrypoint: spec.entrypoint.clone(),
        cmd: Some(spec.cmd.clone()),
        env: Some(spec.env.clone()),
        user: spec.user.clone(),
        labels: Some(spec.labels_with_hash().into_iter().collect()),
        host_config: Some(HostConfig {
            binds: Some(spec.binds.clone()),
            network_mode: Some(spec.network_mode.clone()),
            pid_mode: spec.pid_mode.clone(),
            privileged: Some(spec.privileged),
            volumes_from: (!spec.volumes_from.is_empty()).then(|| spec.volumes_from.clone()),
            security_opt: (!spec.security_opt.is_empty()).then(|| spec.security_opt.clone()),
            restart_policy: Some(RestartPolicy { name: Some(restart_policy(&spec.restart)), maximum_retry_count: None }),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_container(Some(CreateContainerOptions { name: Some(spec.name.clone()), ..Default::default() }), body)
        .await
        .map_err(|e| anyhow!("creating container {}: {e}", spec.name))?;
    Ok(())
}

async fn start(docker: &Docker, name: &str) -> Result<()> {
    if let Err(e) = docker.start_container(name, None).await {
        let logs = tail_logs(docker, name, 20).await;
        return Err(anyhow!("starting container {name}: {e}{}", indent_logs(&logs)));
    }
    Ok(())
}

fn restart_policy(s: &str) -> RestartPolicyNameEnum {
    match s {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::NO,
    }
}

/// Formats a container's last log lines under an error message.
pub fn indent_logs(logs: &str) -> String {
    if logs.trim().is_empty() {
        return "\n      (the container wrote no log lines)".into();
    }
    let mut s = String::from("\n      last log lines:");
    for l in logs.lines() {
        s.push_str("\n      | ");
        s.push_str(l);
    }
    s
}
