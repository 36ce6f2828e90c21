//! etcd membership changes between the recorded cluster (state) and cluster.yml, and the
//! checks that refuse unsafe ones before anything changes. Hosts are identified by address.
use crate::config::Node;

#[derive(Debug, Default, PartialEq)]
pub struct EtcdChanges {
    /// addresses of hosts that join, in cluster.yml order, one at a time
    pub add: Vec<String>,
    /// recorded members that leave
    pub remove: Vec<Node>,
}

impl EtcdChanges {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

fn is_etcd(n: &Node) -> bool {
    n.role.iter().any(|r| r == "etcd")
}

/// What changes, or why it must not be done in one step.
pub fn etcd_changes(recorded: &[Node], desired: &[Node]) -> Result<EtcdChanges, String> {
    let current: Vec<&Node> = recorded.iter().filter(|n| is_etcd(n)).collect();
    let wanted: Vec<&Node> = desired.iter().filter(|n| is_etcd(n)).collect();
    if current.is_empty() {
        return Ok(EtcdChanges::default()); // a new cluster: every member starts together
    }
    let kept = current.iter().filter(|c| wanted.iter().any(|w| w.address == c.address)).count();
    let removing: Vec<&&Node> = current.iter().filter(|c| !wanted.iter().any(|w| w.address == c.address)).collect();
    if kept == 0 {
        return Err(format!(
            "cluster.yml replaces every etcd member ({}): the data would be lost. Keep at least one current etcd host, add the new ones first, then remove the old ones in later runs (or restore from a snapshot)",
            current.iter().map(|n| n.address.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let quorum = current.len() / 2 + 1;
    if kept < quorum {
        return Err(format!(
            "cluster.yml removes {} of {} etcd members at once, leaving {kept}, below the quorum of {quorum}: remove at most {} per run and run `up` again for the rest",
            removing.len(),
            current.len(),
            current.len() - quorum
        ));
    }
    Ok(EtcdChanges {
        add: wanted.iter().filter(|w| !current.iter().any(|c| c.address == w.address)).map(|n| n.address.clone()).collect(),
        remove: removing.into_iter().map(|n| (*n).clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    fn nodes(addrs: &[&str]) -> Vec<Node> {
        addrs.iter().map(|a| Node { address: a.to_string(), role: vec!["etcd".into()], ..Default::default() }).collect()
    }
    #[test]
    fn one_at_a_time_changes_are_planned() {
        let c = etcd_changes(&nodes(&["a", "b", "c"]), &nodes(&["a", "b", "c", "d"])).unwrap();
        assert_eq!(c.add, vec!["d"]);
        let c = etcd_changes(&nodes(&["a", "b", "c", "d", "e"]), &nodes(&["a", "b", "c"])).unwrap();
        assert_eq!(c.remove.iter().map(|n| n.address.as_str()).collect::<Vec<_>>(), vec!["d", "e"]);
        assert!(etcd_changes(&[], &nodes(&["a"])).unwrap().is_empty());
    }
    #[test]
    fn unsafe_changes_are_refused() {
        let e = etcd_changes(&nodes(&["a", "b", "c"]), &nodes(&["x", "y", "z"])).unwrap_err();
        assert!(e.contains("replaces every etcd member"), "{e}");
        let e = etcd_changes(&nodes(&["a", "b", "c"]), &nodes(&["a"])).unwrap_err();
        assert!(e.contains("below the quorum of 2"), "{e}");
    }
}
