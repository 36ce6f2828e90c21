//! etcd membership changes and the checks that refuse unsafe ones before anything changes.
//!
//! Two readings of "the current membership": what the state file records (checked before any host
//! is contacted, so an impossible cluster.yml is refused at once) and the live member list read
//! through a healthy member (what the run actually does). The live list wins: a member added by a
//! run that failed afterwards is in the live list but in no state file, and must still be
//! removable, and quorum is counted on the voters etcd really has.
use super::etcd::{member_name, peer_url};
use crate::config::Node;

#[derive(Debug, Default, PartialEq, Clone)]
pub struct EtcdChanges {
    /// addresses of hosts that join, in cluster.yml order, one at a time
    pub add: Vec<String>,
    /// addresses of hosts whose member is a learner left by an interrupted run: started if
    /// needed and promoted once caught up
    pub promote: Vec<String>,
    /// members that leave
    pub remove: Vec<Leaving>,
}

/// A member to remove, and the host it ran on when stockade knows it.
#[derive(Debug, PartialEq, Clone)]
pub struct Leaving {
    /// the member's name (`etcd-<host>`)
    pub name: String,
    pub peer_url: String,
    /// the host whose etcd container and data go once the member is removed
    pub node: Option<Node>,
}

/// One member as etcd's MemberList reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveMember {
    pub id: u64,
    pub name: String,
    pub peer_urls: Vec<String>,
    pub learner: bool,
}

impl EtcdChanges {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.promote.is_empty() && self.remove.is_empty()
    }
}

pub fn is_etcd(n: &Node) -> bool {
    n.has_role("etcd")
}

fn replaces_everything(current: &[String]) -> String {
    format!(
        "cluster.yml replaces every etcd member ({}): the data would be lost. Keep at least one current etcd host, add the new ones first, then remove the old ones in later runs (or restore from a snapshot)",
        current.join(", ")
    )
}

fn below_quorum(removing: usize, voters: usize, kept: usize) -> String {
    let quorum = voters / 2 + 1;
    format!(
        "cluster.yml removes {removing} of {voters} etcd members at once, leaving {kept}, below the quorum of {quorum}: remove at most {} per run and run `up` again for the rest",
        voters - quorum
    )
}

/// What changes according to the state file, or why it must not be done in one step.
pub fn etcd_changes(recorded: &[Node], desired: &[Node]) -> Result<EtcdChanges, String> {
    let current: Vec<&Node> = recorded.iter().filter(|n| is_etcd(n)).collect();
    let wanted: Vec<&Node> = desired.iter().filter(|n| is_etcd(n)).collect();
    if current.is_empty() {
        return Ok(EtcdChanges::default()); // a new cluster: every member starts together
    }
    let kept = current.iter().filter(|c| wanted.iter().any(|w| w.address == c.address)).count();
    let removing: Vec<&&Node> = current.iter().filter(|c| !wanted.iter().any(|w| w.address == c.address)).collect();
    if kept == 0 {
        return Err(replaces_everything(&current.iter().map(|n| n.address.clone()).collect::<Vec<_>>()));
    }
    if kept < current.len() / 2 + 1 {
        return Err(below_quorum(removing.len(), current.len(), kept));
    }
    Ok(EtcdChanges {
        add: wanted.iter().filter(|w| !current.iter().any(|c| c.address == w.address)).map(|n| n.address.clone()).collect(),
        remove: removing.into_iter().map(|n| Leaving { name: member_name(n), peer_url: peer_url(n), node: Some((*n).clone()) }).collect(),
        promote: Vec::new(),
    })
}

/// What changes according to the live member list. `known` are the hosts stockade may find a
/// leaving member's container on (the recorded and the departed ones).
pub fn live_changes(live: &[LiveMember], desired: &[Node], known: &[Node]) -> Result<EtcdChanges, String> {
    let wanted: Vec<&Node> = desired.iter().filter(|n| is_etcd(n)).collect();
    let wanted_peer = |m: &LiveMember| wanted.iter().find(|w| m.peer_urls.contains(&peer_url(w)));
    let voters = live.iter().filter(|m| !m.learner).count();
    let leaving: Vec<&LiveMember> = live.iter().filter(|m| wanted_peer(m).is_none()).collect();
    let kept_voters = live.iter().filter(|m| !m.learner && wanted_peer(m).is_some()).count();
    // a member whose name is a kept host's but whose peer URL is not: the host's internal address
    // changed. Removing the member would stop and wipe etcd on a host the cluster keeps.
    for m in &leaving {
        if let Some(w) = wanted.iter().find(|w| member_name(w) == m.name) {
            return Err(format!(
                "etcd member {} listens on {} but cluster.yml gives host {} the peer URL {}: changing an etcd host's internal address would wipe its member. Put the old internal_address back; to move the member, remove the host in one `up` and add it with the new address in the next",
                m.name,
                m.peer_urls.join(","),
                w.address,
                peer_url(w)
            ));
        }
    }
    if kept_voters == 0 {
        return Err(replaces_everything(&live.iter().map(|m| m.name.clone()).collect::<Vec<_>>()));
    }
    if kept_voters < voters / 2 + 1 {
        return Err(below_quorum(voters - kept_voters, voters, kept_voters));
    }
    let remove = leaving
        .iter()
        .map(|m| {
            let node = known.iter().find(|n| m.peer_urls.contains(&peer_url(n)) || member_name(n) == m.name).cloned();
            // a member that never started has no name yet
            let name = if m.name.is_empty() { format!("(unstarted member {:x})", m.id) } else { m.name.clone() };
            Leaving { name, peer_url: m.peer_urls.first().cloned().unwrap_or_default(), node }
        })
        .collect();
    let member = |w: &Node| live.iter().find(|m| m.peer_urls.contains(&peer_url(w))).cloned();
    let add = wanted.iter().filter(|w| member(w).is_none()).map(|w| w.address.clone()).collect();
    let promote = wanted.iter().filter(|w| member(w).is_some_and(|m| m.learner)).map(|w| w.address.clone()).collect();
    Ok(EtcdChanges { add, promote, remove })
}

/// The changes, one line each, as a dry run shows them.
pub fn describe(etcd: &EtcdChanges, nodes: &[Node]) -> Vec<String> {
    let name_of = |a: &String| nodes.iter().find(|n| &n.address == a).map(member_name).unwrap_or_default();
    etcd.remove
        .iter()
        .map(|l| format!("remove member {} ({})", l.name, l.node.as_ref().map_or(l.peer_url.as_str(), |n| n.address.as_str())))
        .chain(etcd.promote.iter().map(|a| format!("promote learner {} ({a})", name_of(a))))
        .chain(etcd.add.iter().map(|a| format!("add member {} ({a}) as a learner, promote when caught up", name_of(a))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    fn nodes(addrs: &[&str]) -> Vec<Node> {
        addrs.iter().map(|a| Node { address: a.to_string(), role: vec!["etcd".into()], ..Default::default() }).collect()
    }
    fn live(addrs: &[&str]) -> Vec<LiveMember> {
        addrs
            .iter()
            .enumerate()
            .map(|(i, a)| LiveMember { id: i as u64 + 1, name: format!("etcd-{a}"), peer_urls: vec![format!("https://{a}:2380")], learner: false })
            .collect()
    }
    fn removed(c: &EtcdChanges) -> Vec<&str> {
        c.remove.iter().map(|l| l.name.as_str()).collect()
    }
    #[test]
    fn one_at_a_time_changes_are_planned() {
        let c = etcd_changes(&nodes(&["a", "b", "c"]), &nodes(&["a", "b", "c", "d"])).unwrap();
        assert_eq!(c.add, vec!["d"]);
        let c = etcd_changes(&nodes(&["a", "b", "c", "d", "e"]), &nodes(&["a", "b", "c"])).unwrap();
        assert_eq!(removed(&c), vec!["etcd-d", "etcd-e"]);
        assert!(etcd_changes(&[], &nodes(&["a"])).unwrap().is_empty());
    }
    #[test]
    fn unsafe_changes_are_refused() {
        let e = etcd_changes(&nodes(&["a", "b", "c"]), &nodes(&["x", "y", "z"])).unwrap_err();
        assert!(e.contains("replaces every etcd member"), "{e}");
        let e = etcd_changes(&nodes(&["a", "b", "c"]), &nodes(&["a"])).unwrap_err();
        assert!(e.contains("below the quorum of 2"), "{e}");
    }
    #[test]
    fn a_member_no_state_file_records_is_removed_from_the_live_list() {
        // a run added d, failed, and d was then taken out of cluster.yml: the state never had it
        let c = live_changes(&live(&["a", "b", "c", "d"]), &nodes(&["a", "b", "c"]), &nodes(&["a", "b", "c"])).unwrap();
        assert_eq!(removed(&c), vec!["etcd-d"]);
        assert_eq!(c.remove[0].node, None, "no host known for it: only the member is removed");
        assert!(c.add.is_empty());
        // with the host known (it was departed), its container and data go too
        let c = live_changes(&live(&["a", "b", "c", "d"]), &nodes(&["a", "b", "c"]), &nodes(&["d"])).unwrap();
        assert_eq!(c.remove[0].node.as_ref().map(|n| n.address.as_str()), Some("d"));
    }
    #[test]
    fn quorum_is_counted_on_the_live_voters() {
        // 4 voters (one unstarted): keeping 3 is a quorum of 4, keeping 2 is not
        assert!(live_changes(&live(&["a", "b", "c", "d"]), &nodes(&["a", "b", "c"]), &[]).is_ok());
        let e = live_changes(&live(&["a", "b", "c", "d"]), &nodes(&["a", "b"]), &[]).unwrap_err();
        assert!(e.contains("below the quorum of 3"), "{e}");
        let e = live_changes(&live(&["a", "b"]), &nodes(&["x"]), &[]).unwrap_err();
        assert!(e.contains("replaces every etcd member"), "{e}");
        // learners do not count: removing one never threatens quorum
        let mut l = live(&["a", "b"]);
        l[1].learner = true;
        let c = live_changes(&l, &nodes(&["a"]), &[]).unwrap();
        assert_eq!(removed(&c), vec!["etcd-b"]);
    }
    #[test]
    fn a_learner_left_by_an_interrupted_run_is_finished() {
        let mut l = live(&["a", "b"]);
        l[1].learner = true;
        let c = live_changes(&l, &nodes(&["a", "b"]), &[]).unwrap();
        assert_eq!(c.promote, vec!["b"]);
        assert!(c.add.is_empty() && c.remove.is_empty());
    }
    #[test]
    fn a_kept_host_with_a_changed_internal_address_is_refused() {
        let mut desired = nodes(&["a", "b"]);
        desired[1].internal_address = Some("10.9.9.9".into());
        let e = live_changes(&live(&["a", "b"]), &desired, &[]).unwrap_err();
        assert!(e.contains("etcd-b") && e.contains("internal address"), "{e}");
    }
}
