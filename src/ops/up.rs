//! `stockade up`: bring the hosts to what cluster.yml describes.
//!
//! Order matters for safety: the file is validated, unsafe etcd membership changes are
//! refused and the certificates are prepared before any host is contacted; every host is
//! connected (SSH, host key, Docker) before anything is changed on any of them; the desired
//! state (with the certificates) is saved before the first host change, so a crash never loses
//! them; the current state is saved only after every plane reported healthy.
use super::ConnectSettings;
use crate::apply::{
    self, controlplane::ControlPlane, etcd_plane::EtcdPlane, files::DeployFiles, images::EnsureImages, membership::EtcdMembership,
    remove::{RemoveDeparted, RemoveObsolete}, worker::WorkerPlane, Ctx, ImageArchive, Reconcile, Timeouts,
};
use crate::config::Node;
use crate::transport::Hosts;
use crate::ui::Ui;
use crate::exit::{invalid, refused, Invalid};
use crate::{config, kubeconfig, pki, plan, state};
use anyhow::{bail, Result};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
}

/// Everything `up` needs to know besides cluster.yml itself.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub config_path: PathBuf,
    pub connect: ConnectSettings,
    /// print the plan, change nothing
    pub dry_run: bool,
    /// format of the --dry-run plan
    pub output: Output,
    /// with `dry_run`: the plan from cluster.yml and the state file alone, no host contacted
    pub offline: bool,
    pub etcd_health_timeout: Duration,
    pub health_timeout: Duration,
    /// `cert rotate`: re-issue these certificates first (`ops::cert::rotate`), then apply
    pub rotation: Option<pki::rotate::Request>,
    /// `--custom-certs`: the certificates come from this directory (the operator's CA), none
    /// is issued
    pub custom_certs: Option<PathBuf>,
    /// an upgrade goes ahead without the etcd snapshot `up` takes first
    pub no_snapshot: bool,
    /// called by `etcd snapshot-restore`: etcd holds the snapshot's data, so the version the
    /// state records is not what the data was written by (no version step is checked)
    pub restored: bool,
}


pub async fn run(args: &UpOptions, ui: &Ui) -> Result<()> {
    let loaded = config::load(&args.config_path)?;
    let cfg = &loaded.config;
    // everything the file alone refuses, before anything else (a declared restore or a
    // certificate rotation included) is started or saved
    let not_yet = super::validate::refusals(cfg);
    if !not_yet.is_empty() {
        return invalid(format!("{}: {}. Nothing was changed.", loaded.path.display(), not_yet.join("; ")));
    }
    let missing = plan::build(cfg, &plan::Inputs::default()).missing_images();
    if !missing.is_empty() {
        return invalid(format!(
            "{}: no image known for {} with kubernetes_version {}: set them under system_images, or pick a version from `stockade config --list-version`. Nothing was changed.",
            loaded.path.display(),
            missing.join(", "),
            cfg.kubernetes_version.as_deref().unwrap_or("(default)")
        ));
    }
    // RKE1's `restore: {restore: true, snapshot_name: N}`: restore N first (every preflight of
    // `etcd snapshot-restore`), once; that restore then runs this `up`
    // (the `up` a restore ends with is `restored`: it never starts the restore again)
    if !args.restored {
        let recorded = state::load(&loaded.state_path())?.and_then(|s| s.current.rke_config);
        if let Some(name) = crate::ops::snapshot::restore::declared(cfg, recorded.as_ref())? {
            if args.rotation.is_some() || args.custom_certs.is_some() {
                return invalid(format!(
                    "{}: restore: asks for snapshot {name}, which plain `stockade up` restores first; run that, then `cert rotate` or `up --custom-certs`. Nothing was changed",
                    loaded.path.display()
                ));
            }
            if args.dry_run {
                ui.info(&format!("restore: in {} asks for snapshot {name}: `up` would restore etcd from it first (after its preflight), then bring the cluster up; the plan below is for the cluster as it is now", loaded.path.display()));
            } else {
                ui.info(&format!("restore: in {} asks for snapshot {name}: restoring etcd from it first", loaded.path.display()));
                let o = crate::ops::snapshot::restore::RestoreOptions {
                    snapshot: crate::ops::snapshot::SnapshotOptions { config_path: args.config_path.clone(), connect: args.connect.clone() },
                    name,
                    use_local_state: false,
                    etcd_health_timeout: args.etcd_health_timeout,
                    health_timeout: args.health_timeout,
                    decrypt: Default::default(),
                    declared: true,
                    // cluster.yml asks for a restore, not for copies between hosts
                    copy_missing: false,
                };
                // boxed: that restore ends with this `up` (async recursion)
                let no_flags = crate::ops::snapshot::s3::S3Flags::default();
                let restore: futures_util::future::LocalBoxFuture<'_, Result<()>> = Box::pin(crate::ops::snapshot::restore::run(&o, &no_flags, ui));
                return restore.await;
            }
        }
    }
    if !loaded.not_applied.is_empty() {
        ui.warn(&format!(
            "{}: parsed and kept but not applied yet by this stockade version: {}",
            loaded.path.display(),
            loaded.not_applied.join(", ")
        ));
    }
    for w in crate::versions::subscription_warning(cfg).into_iter().chain(crate::versions::removed_flag_warnings(cfg)) {
        ui.warn(&w);
    }
    let archive = if args.offline { None } else { args.connect.image_archive.as_deref().map(ImageArchive::open).transpose()? };
    let state_path = loaded.state_path();
    // held until `up` returns, dry runs included (they read the state a writer may be changing)
    let mut lock = Some(state::lock::acquire(&state_path, if args.dry_run { "up --dry-run" } else { "up" })?);
    let mut full = state::load(&state_path)?.unwrap_or_default();
    // Kubernetes' version skew policy, against the version the last successful run left running
    let running = plan::upgrade::recorded_version(full.current.rke_config.as_ref()).filter(|_| !args.restored);
    if let (Some(running), Some(wanted)) = (running.as_deref(), cfg.kubernetes_version.as_deref()) {
        if let Err(why) = plan::upgrade::check_step(running, wanted, &crate::versions::known_versions()) {
            return refused(format!("{}: {why}. Nothing was changed.", loaded.path.display()));
        }
    }
    let upgrade = plan::upgrade::upgrade_reason(full.current.rke_config.as_ref(), cfg).filter(|_| !args.restored);
    // (`cert rotate` is what renews them: no warning there)
    let expiry = if args.rotation.is_some() { None } else { super::cert::expiry_warning(&full, time::OffsetDateTime::now_utc()) };
    if let Some(w) = expiry {
        ui.warn(&w);
    }

    // what the last successful run left, against what cluster.yml wants
    let recorded = full.current.nodes().map_err(|e| Invalid(format!("{}: {e:#}. Nothing was changed: fix the state file or restore its .bak", state_path.display())))?;
    // the state file's view; the live member list, read once the hosts are reached, decides
    // (a failed run may have left the cluster elsewhere than the file says)
    let state_verdict = plan::membership::etcd_changes(&recorded, &cfg.nodes);
    let etcd_changes = state_verdict.clone().unwrap_or_default();
    let departed: Vec<Node> = recorded.iter().filter(|r| !cfg.nodes.iter().any(|n| n.address == r.address)).cloned().collect();
    let desired_etcd: BTreeSet<String> = cfg.nodes.iter().filter(|n| n.has_role("etcd")).map(|n| n.address.clone()).collect();
    let mut joined: BTreeSet<String> = full.current.joined_etcd().union(&full.desired.joined_etcd()).cloned().collect();
    joined.extend(etcd_changes.add.iter().cloned());
    joined.retain(|a| desired_etcd.contains(a));

    // decided before any host is contacted: refusing to drop a recorded key changes nothing
    let encryption = match plan::encryption::config(cfg, &full.desired.encryption_config, new_encryption_key) {
        Ok(e) => e,
        Err(why) => return refused(format!("{}: {why}. Nothing was changed.", loaded.path.display())),
    };
    // custom certificates are read and checked before a rotation is saved
    let custom = match &args.custom_certs {
        Some(dir) => Some(super::cert::custom::load(dir, cfg, ui)?),
        None => None,
    };
    // `cert rotate`: the new certificates are in the saved desired state before any host is
    // contacted, once every check of the input passed
    let rotation = match &args.rotation {
        Some(req) => Some(super::cert::rotate::prepare(&mut full, cfg, req, &state_path, ui)?),
        None => None,
    };
    let mut bundle = full.certificates();
    let reused_ca = bundle.contains_key(pki::names::CA);
    // key generation takes seconds: it runs while the hosts are reached, so an unreachable
    // host is reported as soon as the connect fails, not after the certificates are done
    let pki_cfg = cfg.clone();
    let issuing = async move {
        match custom {
            // the operator's certificates, as they are: the ones that differ from the state's are
            // what changes on the hosts
            Some(custom) => {
                let issued = custom.iter().filter(|(n, c)| bundle.get(*n).is_none_or(|old| old.certificate_pem != c.certificate_pem || old.key_pem != c.key_pem)).map(|(n, _)| n.clone()).collect();
                Ok((custom, pki::PkiChanges { issued, removed: Vec::new() }))
            }
            None => tokio::task::spawn_blocking(move || pki::reconcile(&mut bundle, &pki_cfg).map(|c| (bundle, c))).await?,
        }
    };

    if args.offline {
        // from the files alone: no key is read, no host is contacted
        if let Err(why) = &state_verdict {
            return refused(format!("{}: {why}. Nothing was changed.", loaded.path.display()));
        }
        let (bundle, pki_changes) = issuing.await?;
        let inputs = plan::Inputs { bundle, joined, encryption, facts: Default::default() };
        let offline = Offline { plan: plan::build(cfg, &inputs), pki: &pki_changes, etcd: &etcd_changes, departed: &departed, config: cfg, file: &loaded.path };
        return offline.print(args.output, ui);
    }
    if let Some(why) = upgrade.as_deref().filter(|_| !args.dry_run) {
        if args.no_snapshot {
            ui.warn(&format!("upgrade ({why}) without an etcd snapshot first (--no-snapshot)"));
        } else {
            drop(lock.take());
            let (now, relocked) = snapshot_first(args, why, &state_path, &full, ui).await?;
            (full, lock) = (now, Some(relocked));
        }
    }
    let _lock = lock;
    let opts = args.connect.options(cfg);
    // without the hosts the live member list cannot be read: the state file's refusal stands
    let unless_refused = |e: anyhow::Error| match &state_verdict {
        Err(why) => crate::exit::Refused(format!("{}: {why}. Nothing was changed (the live etcd member list could not be read to check it: {e:#})", loaded.path.display())).into(),
        Ok(_) => e,
    };
    // keys (and passphrase prompts) before the spinner and the SSH timeouts start
    let keys = crate::transport::hosts::load_keys(cfg, &cfg.nodes, &departed, opts.force_agent).await.map_err(unless_refused)?;
    ui.phase("Connect");
    let warn = |w: String| ui.warn(&w);
    let connecting = Hosts::connect_with_departed(cfg, &cfg.nodes, &departed, &keys, &opts, &warn);
    let (hosts, (bundle, pki_changes)) = tokio::try_join!(connecting, issuing).map_err(unless_refused)?;
    tracing::debug!(issued = ?pki_changes.issued, removed = ?pki_changes.removed, reused_ca, "certificates");
    for h in &hosts.hosts {
        ui.step(h.name(), &format!("connected (Docker {})", h.docker_version));
    }
    ui.finish_bar();
    // RKE1's prefix for systems whose `/` is not for data, where the file leaves prefix_path unset
    for h in &hosts.hosts {
        if let std::borrow::Cow::Owned(here) = plan::on_host(cfg, &h.operating_system) {
            ui.step(h.name(), &format!("prefix_path {} (RKE1's default on {})", here.prefix_path.unwrap_or_default(), h.operating_system));
        }
    }
    let machines: Vec<(&str, &str)> = hosts.hosts.iter().map(|h| (h.node.address.as_str(), h.machine_id.as_str())).collect();
    let leaving: Vec<(&str, &str)> = hosts.departed.iter().map(|h| (h.node.address.as_str(), h.machine_id.as_str())).collect();
    if let Err(e) = refuse_departed_machines_still_present(&machines, &leaving, &loaded.path) {
        hosts.close().await;
        return Err(e);
    }
    // the membership the cluster really has decides what changes, not the state file
    // during a rotation the members still have the old certificates (a CA rotation: only the old
    // credentials are accepted), so those are tried when the new ones are not
    let old_bundle = rotation.as_ref().map(|r| &r.old);
    let etcd_changes = match live_etcd_changes(&hosts, &bundle, old_bundle, &recorded, &full, cfg, state_verdict, ui).await {
        Ok(c) => c,
        Err(e) => {
            hosts.close().await;
            let msg = format!("{}: {e:#}. Nothing was changed", loaded.path.display());
            return Err(match crate::exit::code_of(&e) {
                crate::exit::Code::Refused => crate::exit::Refused(msg).into(),
                _ => anyhow::anyhow!(msg),
            });
        }
    };
    // a member joining (or finishing joining) starts against the existing cluster, whatever
    // the state file said about it (a member removed by hand and rebuilt, a learner left behind)
    joined.extend(etcd_changes.add.iter().chain(&etcd_changes.promote).filter(|a| desired_etcd.contains(*a)).cloned());
    let ca_pem = bundle.get(pki::names::CA).map(|c| c.certificate_pem.clone()).unwrap_or_default();
    let joining: BTreeSet<&str> = ctx_joining(&etcd_changes);
    // during a CA rotation, containers still labelled with the previous CA are this cluster's
    let accepted: Vec<&str> = std::iter::once(ca_pem.as_str()).chain(rotation.as_ref().and_then(|r| r.previous_ca())).collect();
    if let Err(e) = refuse_foreign_cluster(&hosts, &state_path, &accepted, !full.current.certificates.is_empty(), &joining).await {
        hosts.close().await;
        return Err(e);
    }
    if let Some(r) = rotation.as_ref().filter(|r| r.pending.request.rotate_ca)
        && let Err(e) = super::cert::rotate::check_ca_rotation(&hosts, r, &bundle, ui).await
    {
        hosts.close().await;
        return Err(e);
    }

    let facts = hosts.hosts.iter().map(|h| (h.name().to_string(), plan::HostFacts { docker_root: h.docker_root.clone(), selinux: h.selinux, arch: h.arch.clone(), operating_system: h.operating_system.clone() })).collect();
    let inputs = plan::Inputs { bundle: bundle.clone(), joined: joined.clone(), encryption: encryption.clone(), facts };
    let the_plan = plan::build(cfg, &inputs);
    let timeouts = Timeouts {
        etcd_health: args.etcd_health_timeout,
        component_health: args.health_timeout,
        helper: args.connect.command_timeout,
        image: args.connect.image_timeout,
    };
    let mut ctx = Ctx::new(ui, &hosts, &the_plan, cfg, &bundle, archive.as_ref(), timeouts);
    ctx.reconcile = Reconcile {
        etcd: etcd_changes,
        departed: hosts.departed.iter().collect(),
        // a CA rotation: members on different CAs reject each other (ops::cert::rotate)
        etcd_all_at_once: rotation.as_ref().is_some_and(|r| r.pending.request.rotate_ca),
    };

    if args.dry_run {
        let snapshots = recurring_snapshots(cfg, &full)?;
        let snapshot = upgrade.map(|why| {
            if args.no_snapshot {
                format!("upgrade ({why}): no etcd snapshot first (--no-snapshot)")
            } else {
                format!("upgrade ({why}): an etcd snapshot would be taken first (`--no-snapshot` skips it)")
            }
        });
        let result = dry_run(&ctx, &snapshots, &pki_changes, args.output, snapshot).await;
        hosts.close().await;
        return result;
    }

    full.desired.rke_config = Some(state::rke_config_json(cfg)?);
    full.desired.certificates = bundle.clone();
    full.desired.set_joined_etcd(&joined);
    full.desired.encryption_config = encryption.clone().unwrap_or_default();
    state::save(&state_path, &full)?;
    if pki_changes.is_empty() {
        tracing::debug!("certificates unchanged");
    } else if reused_ca {
        ui.info(&format!("certificates issued with the existing CA: {}", pki_changes.issued.join(", ")));
    } else {
        ui.info("created a new cluster CA and certificates");
    }

    let snapshots = recurring_snapshots(cfg, &full)?;
    let result = apply::run_phases(&ctx, &phases(&snapshots)).await;
    hosts.close().await;
    result?;

    // a rotation is finished once its certificates are current
    full.desired.set_pending_rotation(None);
    // departed hosts that could not be reached stay recorded, so a later run cleans them
    full.current = full.desired.clone();
    if !hosts.unreachable_departed.is_empty() {
        let mut nodes = cfg.nodes.clone();
        nodes.extend(departed.iter().filter(|d| !hosts.departed.iter().any(|h| h.node.address == d.address)).cloned());
        let mut kept = cfg.clone();
        kept.nodes = nodes;
        full.current.rke_config = Some(state::rke_config_json(&kept)?);
    }
    state::save(&state_path, &full)?;
    state::write_atomic(&loaded.kubeconfig_path(), kubeconfig::render(cfg, &bundle)?.as_bytes())?;

    let changes = ctx.changes();
    if changes.is_empty() {
        ui.info(&format!("Nothing changed: all {} hosts already match cluster.yml.", hosts.hosts.len()));
    } else {
        ui.info(&format!("Applied {} change(s) in {:.1}s.", changes.len(), ui.elapsed().as_secs_f64()));
    }
    ui.info(&format!("State: {}, kubeconfig: {}", state_path.display(), loaded.kubeconfig_path().display()));
    if !hosts.unreachable_departed.is_empty() {
        bail!(
            "hosts removed from cluster.yml could not be reached and were NOT cleaned (the cluster itself is up to date; the next `up` tries again):\n{}",
            hosts.unreachable_departed.join("\n")
        );
    }
    Ok(())
}

/// The recurring-snapshot phase as cluster.yml asks (`services.etcd.snapshot`/`backup_config`):
/// the state each archive stores is this run's, as it will be recorded when `up` succeeds.
fn recurring_snapshots(cfg: &config::ClusterConfig, full: &state::FullState) -> Result<apply::snapshots::RecurringSnapshots> {
    use crate::snapshot::recurring;
    let interval = std::env::var(recurring::INTERVAL_ENV).ok().and_then(|v| v.parse().ok());
    let schedule = recurring::schedule(cfg, interval);
    let mut recorded = full.clone();
    recorded.current = recorded.desired.clone();
    let s3 = match schedule {
        Some(_) => crate::ops::snapshot::s3::settings(cfg, &Default::default(), &|_| None)?,
        None => None,
    };
    Ok(apply::snapshots::RecurringSnapshots {
        schedule,
        explicitly_off: cfg.services.etcd.snapshot == Some(false),
        state: serde_json::to_string(&recorded)?,
        s3,
        deadline: crate::ops::snapshot::deadline(cfg),
    })
}

/// Before the first change of an upgrade: an etcd snapshot with `etcd snapshot-save`'s code
/// (local copies on every etcd host, and S3 when cluster.yml's backup_config has an
/// s3backupconfig), taken under its own lock. Returns the state file read again under `up`'s
/// lock, which must be the one `up` decided from.
async fn snapshot_first(args: &UpOptions, why: &str, state_path: &std::path::Path, before: &state::FullState, ui: &Ui) -> Result<(state::FullState, state::lock::RunLock)> {
    ui.info(&format!("upgrade ({why}): taking an etcd snapshot first"));
    let opts = super::snapshot::SnapshotOptions { config_path: args.config_path.clone(), connect: args.connect.clone() };
    let m = super::snapshot::save::run(&opts, None, &super::snapshot::s3::S3Flags::default(), &Default::default(), super::snapshot::save::DEFAULT_COPY_PORT, ui)
        .await
        .map_err(|e| e.context("the etcd snapshot before the upgrade failed; nothing was changed (`up --no-snapshot` upgrades without one)"))?;
    ui.info(&format!(
        "etcd snapshot {} taken before the upgrade; to go back to it: put the previous versions back in cluster.yml and run `stockade etcd snapshot-restore --name {}`",
        m.name, m.name
    ));
    let relock = state::lock::acquire(state_path, "up")?;
    let now = state::load(state_path)?.unwrap_or_default();
    if serde_json::to_value(&now)? != serde_json::to_value(before)? {
        bail!("{}: another run changed the state file while the snapshot was taken; nothing was changed: run `up` again", state_path.display());
    }
    Ok((now, relock))
}

/// `up`'s phases, in order; the run and the dry run both take them from here.
fn phases(snapshots: &apply::snapshots::RecurringSnapshots) -> [&dyn apply::Phase; 11] {
    [
        &EnsureImages,
        &DeployFiles,
        &EtcdMembership,
        &EtcdPlane,
        &ControlPlane,
        // RKE1's authorization resources once the API answers, before kubelets start
        &apply::kubernetes::Authorization,
        &WorkerPlane,
        // every node registered and Ready: node conditions are part of health
        &apply::kubernetes::NodesReady,
        // RKE1's etcd-rolling-snapshots, replaced once stockade's runs
        snapshots,
        &RemoveObsolete,
        &RemoveDeparted,
    ]
}

/// A host that left cluster.yml but is the same machine (same Docker engine ID) as a host that
/// stays — an `address` edited from an IP to a DNS name, say — must not be "departed": that
/// would remove its etcd member and wipe the data of a machine the cluster keeps using.
/// Refused before any change.
pub fn refuse_departed_machines_still_present(kept: &[(&str, &str)], departed: &[(&str, &str)], file: &std::path::Path) -> Result<()> {
    for (gone, id) in departed {
        if let Some((stays, _)) = kept.iter().find(|(_, k)| k == id) {
            return refused(format!(
                "{}: host {gone} left cluster.yml, but it is the same machine as {stays} (Docker engine ID {id}): removing it would remove that machine's etcd member and delete its data. Nothing was changed. If the address was edited, put the old address back; to move a node to a new address, remove it in one `up` and add it with the new address in the next",
                file.display()
            ));
        }
    }
    Ok(())
}

/// The membership changes planned from the live member list, read through any etcd host whose
/// member is healthy. A cluster the state records but whose members do not answer keeps the
/// recorded plan only when that changes no membership (the etcd plane then starts the members);
/// a membership change needs the live list.
#[allow(clippy::too_many_arguments)]
async fn live_etcd_changes(
    hosts: &Hosts,
    bundle: &pki::Bundle,
    fallback: Option<&pki::Bundle>,
    recorded: &[Node],
    full: &state::FullState,
    cfg: &config::ClusterConfig,
    from_state: std::result::Result<plan::membership::EtcdChanges, String>,
    ui: &Ui,
) -> Result<plan::membership::EtcdChanges> {
    if !recorded.iter().any(plan::membership::is_etcd) {
        return from_state.map_err(|why| crate::exit::Refused(why).into());
    }
    let mut creds = crate::etcd::Credentials::from_bundle(bundle)?;
    let candidates = || hosts.with_role("etcd").chain(hosts.departed.iter().filter(|h| h.has_role("etcd")));
    if let Some(old) = fallback
        && apply::etcd_health::first_healthy(candidates(), &creds).await.is_err()
    {
        creds = crate::etcd::Credentials::from_bundle(old)?;
    }
    let read = async {
        let (mut client, via) = apply::etcd_health::first_healthy(candidates(), &creds).await?;
        Ok::<_, anyhow::Error>((apply::etcd_health::live_members(&mut client).await?, via.name().to_string()))
    };
    match read.await {
        Ok((live, via)) => {
            tracing::debug!(via, members = ?live, "live etcd member list");
            // hosts a leaving member may run on: recorded, and those a failed run was adding
            let mut known = recorded.to_vec();
            known.extend(full.desired.nodes().unwrap_or_default());
            let changes = plan::membership::live_changes(&live, &cfg.nodes, &known).map_err(crate::exit::Refused)?;
            if !changes.is_empty() {
                // the members that stay carry the cluster through the change: all must be
                // healthy and agree on the membership before anything is changed anywhere
                let voter = |h: &&crate::transport::Host| live.iter().any(|m| !m.learner && m.peer_urls.contains(&plan::etcd::peer_url(&h.node)));
                let staying: Vec<&crate::transport::Host> = hosts.with_role("etcd").filter(voter).collect();
                let voters = live.iter().filter(|m| !m.learner).count();
                apply::etcd_health::all_healthy_except(&staying, None, &creds, voters)
                    .await
                    .map_err(|e| crate::exit::Refused(format!("the etcd membership change is refused: {e:#}. Bring those members back first (or take them out of cluster.yml, one per run)")))?;
            }
            Ok(changes)
        }
        // without the live list, the state file's refusal stands
        Err(e) => match from_state {
            Err(why) => Err(crate::exit::Refused(format!("{why} (the live member list could not be read either: {e:#})")).into()),
            Ok(changes) if changes.is_empty() => {
                ui.warn(&format!("could not read the live etcd member list ({e:#}); no membership change is planned"));
                Ok(changes)
            }
            Ok(_) => Err(e.context("the etcd membership change needs the live member list")),
        },
    }
}

/// The etcd hosts that join the cluster in this run.
fn ctx_joining(changes: &plan::membership::EtcdChanges) -> BTreeSet<&str> {
    changes.add.iter().map(String::as_str).collect()
}

/// A host whose etcd trusts another CA belongs to another cluster: new certificates would cut
/// its members off from each other (RKE1's "lost cluster.rkestate" outage). An etcd without
/// stockade's CA label was made by RKE1 or by hand: adopted only when the state file records
/// the cluster (an RKE1 state) and the host is already a member — a host that *joins* with an
/// etcd container of its own would start the new member on another cluster's data. Fails
/// closed: only Docker's 404 means "no etcd here". Checked before any change.
async fn refuse_foreign_cluster(hosts: &Hosts, state_path: &std::path::Path, ca_pems: &[&str], have_current: bool, joining: &BTreeSet<&str>) -> Result<()> {
    let ours: Vec<String> = ca_pems.iter().map(|ca| crate::plan::container::inputs_digest([*ca])).collect();
    for h in hosts.with_role("etcd") {
        let c = match h.docker.inspect_container(crate::plan::etcd::CONTAINER, None).await {
            Ok(c) => c,
            Err(e) if crate::transport::docker::is_not_found(&e) => continue,
            Err(e) => bail!("host {}: cannot tell whether it already runs etcd (inspecting the etcd container: {e}); nothing was changed", h.name()),
        };
        let label = c.config.and_then(|c| c.labels).and_then(|l| l.get(crate::plan::container::CA_LABEL).cloned());
        // a container with any accepted CA is judged as one with the current CA
        let label = label.map(|l| if ours.contains(&l) { ours[0].clone() } else { l });
        let verdict = foreign_etcd(label.as_deref(), &ours[0], have_current, joining.contains(h.node.address.as_str()));
        if let Some(why) = verdict {
            return refused(format!(
                "host {}: {why}. Restore the state file that cluster was built with (or its .bak: {}), or take the old etcd off that host first (`stockade remove` with that cluster's files); nothing was changed",
                h.name(),
                state_path.display()
            ));
        }
    }
    Ok(())
}

/// Why an etcd container found on a host is not this cluster's, if it is not.
pub fn foreign_etcd(ca_label: Option<&str>, ours: &str, have_current: bool, joining: bool) -> Option<&'static str> {
    match ca_label {
        Some(ca) if ca != ours => Some("already runs etcd of a cluster whose CA is not the one in the state file"),
        // an address edit with the old address unreachable looks like this: the machine's own
        // member would be added a second time over its data
        Some(_) if joining => Some("joins the cluster as a new etcd member but already runs an etcd container of this cluster that is not in the live member list (was its address or internal_address edited? put the old one back)"),
        Some(_) => None,
        None if joining => Some("joins the cluster as a new etcd member but already runs an etcd container stockade did not create"),
        None if !have_current => Some("already runs an etcd container, and the state file records no cluster"),
        None => None,
    }
}

/// `up --dry-run`: the plan, per host, from read-only calls; nothing is written anywhere
/// (not even the state file).
async fn dry_run(ctx: &Ctx<'_>, snapshots: &apply::snapshots::RecurringSnapshots, pki_changes: &pki::PkiChanges, output: Output, snapshot: Option<String>) -> Result<()> {
    ctx.ui.phase("Plan");
    let planned = apply::dry_run_phases(ctx, &phases(snapshots)).await?;
    ctx.ui.finish_bar();
    let previews = apply::preview::by_host(ctx, &planned);
    let membership: Vec<String> = planned.iter().filter_map(|p| if let apply::Planned::Membership(m) = p { Some(m.clone()) } else { None }).collect();
    let departed: Vec<String> = planned.iter().filter_map(|p| if let apply::Planned::CleanDeparted(d) = p { Some(d.clone()) } else { None }).collect();
    let rollout: Vec<String> = planned.iter().filter_map(|p| if let apply::Planned::Rollout(r) = p { Some(r.clone()) } else { None }).collect();
    let changes = previews.iter().filter(|p| !p.is_empty()).count();
    match output {
        Output::Json => {
            let doc = serde_json::json!({
                "dry_run": true,
                "certificates_to_issue": pki_changes.issued,
                "etcd_membership": membership,
                "departed_hosts_to_clean": departed,
                "rollout": rollout,
                "snapshot_first": snapshot,
                "hosts": previews,
            });
            ctx.ui.document("plan", &doc)?;
        }
        Output::Text => {
            let mut out = String::new();
            if let Some(s) = &snapshot {
                out.push_str(&format!("{s}\n"));
            }
            if !pki_changes.issued.is_empty() {
                out.push_str(&format!("certificates to issue: {}\n", pki_changes.issued.join(", ")));
            }
            for m in &membership {
                out.push_str(&format!("etcd: {m} (one member at a time, cluster health checked between changes)\n"));
            }
            for d in &departed {
                out.push_str(&format!("departed host {d}: remove its containers and clean its directories\n"));
            }
            out.push_str(&apply::preview::render(&previews));
            if !rollout.is_empty() {
                out.push_str("rolling change of running hosts, in this order (each batch Ready before the next):\n");
                for r in &rollout {
                    out.push_str(&format!("  {r}\n"));
                }
            }
            let nothing = changes == 0 && pki_changes.issued.is_empty() && membership.is_empty() && departed.is_empty();
            out.push_str(if nothing { "Nothing to change.\n" } else { "" });
            if !nothing {
                out.push_str(&format!("{changes} host(s) would change. This was a dry run: nothing was changed.\n"));
            }
            crate::ui::print(&out)?;
        }
    }
    Ok(())
}

/// `up --dry-run --offline`: everything the plan holds, from cluster.yml and the state file.
struct Offline<'a> {
    plan: plan::Plan,
    pki: &'a pki::PkiChanges,
    etcd: &'a plan::membership::EtcdChanges,
    departed: &'a [Node],
    config: &'a config::ClusterConfig,
    file: &'a std::path::Path,
}

/// What only the hosts can tell, so an offline plan cannot check it.
const NOT_CHECKED_OFFLINE: &str = "host keys, Docker, what each host already runs (so which containers change), the live etcd member list (membership is planned from the state file here), whether a departed host is still a kept machine, another cluster's etcd";

impl Offline<'_> {
    fn membership(&self) -> Vec<String> {
        plan::membership::describe(self.etcd, &self.config.nodes)
    }

    fn print(&self, output: Output, ui: &Ui) -> Result<()> {
        let departed: Vec<&str> = self.departed.iter().map(|n| n.address.as_str()).collect();
        match output {
            Output::Json => {
                let doc = serde_json::json!({
                    "dry_run": true,
                    "offline": true,
                    "not_checked": NOT_CHECKED_OFFLINE,
                    "certificates_to_issue": self.pki.issued,
                    "etcd_membership": self.membership(),
                    "departed_hosts_to_clean": departed,
                    "plan": self.plan.document(),
                });
                ui.document("plan", &doc)?;
            }
            Output::Text => {
                let mut out = String::new();
                if !self.pki.issued.is_empty() {
                    out.push_str(&format!("certificates to issue: {}\n", self.pki.issued.join(", ")));
                }
                for m in self.membership() {
                    out.push_str(&format!("etcd: {m} (one member at a time, cluster health checked between changes)\n"));
                }
                for d in &departed {
                    out.push_str(&format!("departed host {d}: remove its containers and clean its directories\n"));
                }
                out.push_str(&self.plan.render_text());
                out.push_str(&format!(
                    "Offline plan of all {} hosts from {} and the state file; no host was contacted. Not checked offline: {NOT_CHECKED_OFFLINE}.\n",
                    self.plan.hosts.len(),
                    self.file.display()
                ));
                crate::ui::print(&out)?;
            }
        }
        Ok(())
    }
}

/// 32 random bytes, base64: an AES-CBC key for secrets encryption at rest.
fn new_encryption_key() -> String {
    use base64::Engine;
    use std::io::Read;
    let mut key = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut key)).expect("reading /dev/urandom");
    base64::engine::general_purpose::STANDARD.encode(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etcd_found_on_a_host_is_ours_only_when_the_state_says_so() {
        assert_eq!(foreign_etcd(Some("ca1"), "ca1", true, false), None);
        assert!(foreign_etcd(Some("ca2"), "ca1", true, false).is_some(), "another CA");
        assert_eq!(foreign_etcd(None, "ca1", true, false), None, "RKE1's etcd of the recorded cluster is adopted");
        assert!(foreign_etcd(None, "ca1", true, true).is_some(), "a joining host with its own etcd");
        assert!(foreign_etcd(None, "ca1", false, false).is_some(), "no recorded cluster");
        assert!(foreign_etcd(Some("ca1"), "ca1", true, true).is_some(), "a joining host already running this cluster's etcd: an edited address");
    }

    #[test]
    fn a_departed_address_of_a_kept_machine_is_refused() {
        let file = std::path::Path::new("cluster.yml");
        let kept = [("h1.example.org", "ID-1"), ("10.0.0.2", "ID-2")];
        let err = refuse_departed_machines_still_present(&kept, &[("10.0.0.1", "ID-1")], file).unwrap_err().to_string();
        assert!(err.contains("10.0.0.1") && err.contains("h1.example.org") && err.contains("Nothing was changed"), "{err}");
        assert!(refuse_departed_machines_still_present(&kept, &[("10.0.0.3", "ID-3")], file).is_ok());
    }
}
