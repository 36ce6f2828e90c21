//! `stockade cert rotate`: new certificates (and with `--rotate-ca` new CAs), then exactly the
//! containers that read them restart, through `up`'s phases — the same rolling and health rules,
//! the same atomic state and kubeconfig writes.
//!
//! How it stays safe and resumable:
//! - the request is checked against the state before anything (cluster.yml must describe the
//!   hosts and roles the last `up` applied; without `--rotate-ca` the CAs must be valid);
//! - the new certificates are saved in `desiredState` with a `stockadeCertRotation` section
//!   before any host is contacted; a rerun after an interruption finds that section and deploys
//!   the same certificates (never others), and `up` alone would deploy them too;
//! - every container's inputs label is a digest of the certificates it reads, so a re-issued
//!   certificate recreates exactly its readers (`plan::container::INPUTS_LABEL`);
//! - already-expired certificates: stockade needs no working old certificate. The new client
//!   certificate is what it talks to etcd with; an etcd member still serving an expired
//!   certificate fails verification, so it counts as down, and the etcd plane then starts the
//!   members together with the new certificates — which is also the only way back: members
//!   whose peer certificates expired cannot re-establish peer connections with each other, so
//!   restarting them one at a time would leave each restarted member unable to rejoin. No TLS
//!   verification is relaxed anywhere.
//! - `--rotate-ca`: the etcd members restart all at once (`Reconcile::etcd_all_at_once`). One at
//!   a time, a member with a certificate of the new CA and members that trust only the old one
//!   reject each other's peer connections, so every restarted member would fail its health check.
//!   The alternative (a transition CA bundle trusted by both, then a second restart of everything)
//!   doubles the restarts for the same end state; RKE1 restarts everything too. Before that, each
//!   member must answer with the old (or, in a resumed run, the new) credentials: a member that
//!   answers neither is not this cluster's known state, and the rotation is refused — unless the
//!   old certificates have expired, when nothing can answer them and the rotation is the repair.
//!   An interrupted CA rotation can leave members on both CAs (etcd also re-reads its certificate
//!   files at every handshake, so once the files are written a member not yet restarted serves
//!   the new CA's certificate while trusting only the old CA, and answers no client at all); the
//!   rerun restarts the remaining ones on the new CA, so the path forward is always to run it
//!   again (tests/testbed/cert.rs interrupts one and finishes it).
use crate::apply::etcd_health::connect_member;
use crate::config::{ClusterConfig, Node};
use crate::etcd::Credentials;
use crate::exit::{invalid, refused};
use crate::pki::rotate::{self, Request};
use crate::pki::{names, Bundle};
use crate::state::{self, FullState, PendingRotation};
use crate::transport::Hosts;
use crate::ui::Ui;
use anyhow::Result;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// What `up` needs to know about the rotation it carries out.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub pending: PendingRotation,
    /// the certificates the hosts had before (the state's current set)
    pub old: Bundle,
    /// an interrupted rotation taken up again: some hosts may have the new certificates already
    pub resumed: bool,
}

impl Rotation {
    /// The CAs whose containers are this cluster's during the rotation, besides the new one.
    pub fn previous_ca(&self) -> Option<&str> {
        Some(self.pending.previous_ca.as_str()).filter(|c| !c.is_empty())
    }
}

/// The hosts and roles `cfg` describes, against those the last `up` applied: a rotation changes
/// certificates only, never the membership (run `up` for that first).
pub fn same_hosts(recorded: &[Node], cfg: &ClusterConfig) -> Result<(), String> {
    let key = |n: &Node| {
        let mut r = n.role.clone();
        r.sort();
        (n.address.clone(), r)
    };
    let (a, b): (BTreeSet<_>, BTreeSet<_>) = (recorded.iter().map(key).collect(), cfg.nodes.iter().map(key).collect());
    if a == b {
        return Ok(());
    }
    let fmt = |s: Vec<&(String, Vec<String>)>| s.iter().map(|(a, r)| format!("{a} [{}]", r.join(", "))).collect::<Vec<_>>().join(", ");
    Err(format!(
        "cluster.yml's hosts or roles differ from what the last `stockade up` applied (only in cluster.yml: {}; only in the state: {}): run `stockade up` first, then rotate",
        fmt(b.difference(&a).collect()),
        fmt(a.difference(&b).collect())
    ))
}

/// Issues the rotation's certificates into `full.desired` and saves the state, or takes up the
/// interrupted rotation the state records. Nothing on any host has been touched yet.
pub fn prepare(full: &mut FullState, cfg: &ClusterConfig, req: &Request, state_path: &Path, ui: &Ui) -> Result<Rotation> {
    let nothing = "Nothing was changed";
    if full.current.certificates.is_empty() {
        return invalid(format!("{}: the state file records no cluster built by a finished `stockade up` (no current certificates), so there is nothing to rotate. {nothing}", state_path.display()));
    }
    let recorded = full.current.nodes().map_err(|e| crate::exit::Invalid(format!("{}: {e:#}. {nothing}", state_path.display())))?;
    if let Err(why) = same_hosts(&recorded, cfg) {
        return invalid(format!("{}: {why}. {nothing}", state_path.display()));
    }
    let old = full.current.certificates.clone();
    if let Some(p) = full.unfinished_rotation() {
        if p.request != *req {
            return invalid(format!(
                "{}: an interrupted `stockade cert rotate {}` is not finished; run it again with those flags to finish it first, then this one. {nothing}",
                state_path.display(),
                p.request.describe()
            ));
        }
        ui.info(&format!("finishing the interrupted rotation: deploying the {} certificates it issued (kept in the state file)", p.certificates.len()));
        return Ok(Rotation { pending: p, old, resumed: true });
    }
    let mut bundle = full.certificates();
    if !req.rotate_ca {
        rotate::check_cas(&bundle).map_err(|e| crate::exit::Invalid(format!("{}: {e:#}. {nothing}", state_path.display())))?;
    }
    let previous_ca = if req.rotate_ca { bundle.get(names::CA).map(|c| c.certificate_pem.clone()).unwrap_or_default() } else { String::new() };
    let issued = rotate::rotate(&mut bundle, cfg, req)?;
    let pending = PendingRotation { request: req.clone(), certificates: issued, previous_ca };
    full.desired.certificates = bundle;
    full.desired.set_pending_rotation(Some(&pending));
    // before any host is contacted: a rerun deploys these, not others
    state::save(state_path, full)?;
    ui.info(&format!("issued new certificates ({}): {}", req.describe(), pending.certificates.join(", ")));
    Ok(Rotation { pending, old, resumed: false })
}

/// `--rotate-ca`'s precondition, against the live members (see the module doc): every etcd
/// member answers with the old credentials or, in a resumed run, the new ones.
pub async fn check_ca_rotation(hosts: &Hosts, rotation: &Rotation, new: &Bundle, ui: &Ui) -> Result<()> {
    let old_creds = Credentials::from_bundle(&rotation.old)?;
    let new_creds = Credentials::from_bundle(new)?;
    let now = time::OffsetDateTime::now_utc();
    let expired = |n: &str| rotation.old.get(n).and_then(|c| crate::pki::cert_info(&c.certificate_pem)).is_none_or(|i| i.not_after <= now);
    let old_expired = expired(names::CA) || expired(names::NODE);
    let answers = |h, creds| async move {
        let check = async {
            let mut c = connect_member(h, creds).await?;
            c.status().await
        };
        match tokio::time::timeout(Duration::from_secs(10), check).await {
            Ok(r) => r.map(|_| ()),
            Err(_) => Err(anyhow::anyhow!("no answer within 10s")),
        }
    };
    let mut problems = Vec::new();
    for h in hosts.with_role("etcd") {
        let Err(e) = answers(h, &old_creds).await else { continue };
        if answers(h, &new_creds).await.is_err() {
            problems.push(format!("{}: {e:#}", h.name()));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    if old_expired || rotation.resumed {
        // expired: nothing can answer the old certificates. Resumed: a member restarted on the
        // new CA cannot reach its peers still on the old one, so it never opens its client
        // port. Either way restarting the rest on the new CA is the way back.
        let why = if old_expired { "the old certificates have expired" } else { "the interrupted rotation left members on both CAs" };
        ui.warn(&format!("etcd members do not answer ({}); {why}, so the rotation goes on: it is what brings them back", problems.join("; ")));
        return Ok(());
    }
    refused(format!(
        "the CA rotation restarts every etcd member at once, but these members answer neither with the current nor with the new certificates: {}. Bring them back first (`stockade up`); nothing was changed",
        problems.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_refuses_a_cluster_yml_with_other_hosts_or_roles() {
        let node = |a: &str, roles: &[&str]| Node { address: a.into(), role: roles.iter().map(|r| r.to_string()).collect(), ..Default::default() };
        let cfg = |nodes: Vec<Node>| ClusterConfig { nodes, ..Default::default() };
        let recorded = [node("10.0.0.1", &["etcd", "controlplane"]), node("10.0.0.2", &["worker"])];
        assert!(same_hosts(&recorded, &cfg(vec![node("10.0.0.2", &["worker"]), node("10.0.0.1", &["controlplane", "etcd"])])).is_ok(), "order does not matter");
        let err = same_hosts(&recorded, &cfg(vec![node("10.0.0.1", &["etcd", "controlplane"]), node("10.0.0.3", &["worker"])])).unwrap_err();
        assert!(err.contains("only in cluster.yml: 10.0.0.3 [worker]; only in the state: 10.0.0.2 [worker]"), "{err}");
        assert!(same_hosts(&recorded, &cfg(vec![node("10.0.0.1", &["etcd"]), node("10.0.0.2", &["worker"])])).is_err(), "a role dropped");
    }
}
