//! Making one container match its spec: create it when missing, start it when stopped, and
//! replace it when its spec hash differs (RKE's rolling update: the old container is stopped
//! and renamed, the new one started, and the old one removed only once the new one runs).
use crate::plan::container::{ContainerSpec, HASH_LABEL, SPEC_LABEL};
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

pub async fn ensure(docker: &Docker, spec: &ContainerSpec) -> Result<Action> {
    let action = diff(docker, spec).await?;
    match action {
        Action::Unchanged => {}
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
        Action::Unchanged => return Ok(action),
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
