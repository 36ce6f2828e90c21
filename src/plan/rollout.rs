//! How many hosts of a role may change at once (RKE1's `upgrade_strategy`), and the order in
//! which hosts that change are taken: one host first, alone, so a bad change stops after one
//! host; then batches of `max_unavailable`, each finished and healthy before the next starts.

/// RKE1's defaults (rke.md §7).
pub const DEFAULT_WORKER: &str = "10%";
pub const DEFAULT_CONTROLPLANE: &str = "1";
/// RKE1 caps the parallelism at its worker thread count.
pub const CAP: usize = 50;

/// `value` (an integer or a percentage of `hosts`, rounded down, as RKE1) as a count of hosts
/// that may be unavailable at once: at least 1, at most [`CAP`]. Zero, negative or unreadable
/// values are errors.
pub fn max_unavailable(value: Option<&str>, default: &str, hosts: usize) -> Result<usize, String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty()).unwrap_or(default);
    let n = if let Some(pct) = v.strip_suffix('%') {
        let p: u64 = pct.trim().parse().map_err(|_| format!("`{v}` is not a number of hosts or a percentage"))?;
        if p == 0 || p > 100 {
            return Err(format!("`{v}`: a percentage must be between 1% and 100%"));
        }
        // rounded down, and at least one host
        ((hosts as u64 * p) / 100).max(1) as usize
    } else {
        let n: i64 = v.parse().map_err(|_| format!("`{v}` is not a number of hosts or a percentage"))?;
        if n <= 0 {
            return Err(format!("`{v}`: at least one host must be allowed to change at a time"));
        }
        n as usize
    };
    Ok(n.min(CAP))
}

/// The hosts that change, in batches: the first alone, then `max` at a time.
pub fn batches<T: Clone>(hosts: &[T], max: usize) -> Vec<Vec<T>> {
    let Some((first, rest)) = hosts.split_first() else { return Vec::new() };
    let mut out = vec![vec![first.clone()]];
    out.extend(rest.chunks(max.max(1)).map(|c| c.to_vec()));
    out
}

/// Which `max_unavailable` a batch of hosts counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// hosts with the controlplane role: `max_unavailable_controlplane`
    Controlplane,
    /// every other host: `max_unavailable_worker`
    Worker,
}

impl Pool {
    pub fn key(self) -> &'static str {
        match self {
            Pool::Controlplane => "upgrade_strategy.max_unavailable_controlplane",
            Pool::Worker => "upgrade_strategy.max_unavailable_worker",
        }
    }
}

/// Hosts taken together, and the pool whose limit they count against.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<T> {
    pub pool: Pool,
    pub hosts: Vec<T>,
}

/// RKE1's order (rke.md §7) for hosts whose worker components change, given as (host,
/// controlplane role, etcd role): controlplane hosts (one first, then `max_cp` at a time), then
/// etcd hosts without the controlplane role one at a time, then the other hosts (one first, then
/// `max_worker` at a time).
pub fn upgrade_batches<T: Clone>(hosts: &[(T, bool, bool)], max_cp: usize, max_worker: usize) -> Vec<Batch<T>> {
    let pick = |f: &dyn Fn(bool, bool) -> bool| hosts.iter().filter(|(_, cp, etcd)| f(*cp, *etcd)).map(|(h, _, _)| h.clone()).collect::<Vec<T>>();
    let cp = pick(&|cp, _| cp);
    let etcd = pick(&|cp, etcd| !cp && etcd);
    let workers = pick(&|cp, etcd| !cp && !etcd);
    let mut out: Vec<Batch<T>> = batches(&cp, max_cp).into_iter().map(|hosts| Batch { pool: Pool::Controlplane, hosts }).collect();
    out.extend(etcd.into_iter().map(|h| Batch { pool: Pool::Worker, hosts: vec![h] }));
    out.extend(batches(&workers, max_worker).into_iter().map(|hosts| Batch { pool: Pool::Worker, hosts }));
    out
}

/// The health gate before a batch: nodes of the pool outside the batch that are already not
/// Ready count as unavailable, as RKE1 counts them; the batch may start only while those and the
/// batch together stay within `max`.
pub fn gate(unavailable: &[String], batch: usize, max: usize, pool: Pool) -> Result<(), String> {
    if unavailable.len() + batch <= max {
        return Ok(());
    }
    Err(format!(
        "{} node(s) already unavailable ({}); changing {batch} more would exceed {}={max}: bring them back (or raise the limit) and run `up` again",
        unavailable.len(),
        unavailable.join(", "),
        pool.key()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn rke1_order_controlplane_then_etcd_then_worker_batches() {
        let hosts = [("w1", false, false), ("cp1", true, true), ("e1", false, true), ("w2", false, false), ("cp2", true, false), ("w3", false, false), ("cp3", true, false)];
        let got: Vec<(Pool, Vec<&str>)> = upgrade_batches(&hosts, 2, 2).into_iter().map(|b| (b.pool, b.hosts)).collect();
        assert_eq!(
            got,
            vec![
                (Pool::Controlplane, vec!["cp1"]),
                (Pool::Controlplane, vec!["cp2", "cp3"]),
                (Pool::Worker, vec!["e1"]),
                (Pool::Worker, vec!["w1"]),
                (Pool::Worker, vec!["w2", "w3"]),
            ]
        );
    }
    #[test]
    fn nodes_already_not_ready_count_against_the_limit() {
        assert_eq!(gate(&[], 1, 1, Pool::Worker), Ok(()));
        assert_eq!(gate(&["w9".into()], 1, 2, Pool::Worker), Ok(()));
        let e = gate(&["w9".into()], 1, 1, Pool::Worker).unwrap_err();
        assert!(e.contains("w9") && e.contains("max_unavailable_worker=1"), "{e}");
        let e = gate(&["c2".into(), "c3".into()], 1, 2, Pool::Controlplane).unwrap_err();
        assert!(e.contains("2 node(s)") && e.contains("max_unavailable_controlplane=2"), "{e}");
    }
    #[test]
    fn rke1_rules_for_max_unavailable() {
        assert_eq!(max_unavailable(None, DEFAULT_WORKER, 100), Ok(10));
        assert_eq!(max_unavailable(None, DEFAULT_WORKER, 5), Ok(1), "10% of 5 rounds down to 0, at least 1");
        assert_eq!(max_unavailable(Some("25%"), DEFAULT_WORKER, 10), Ok(2));
        assert_eq!(max_unavailable(Some("3"), DEFAULT_WORKER, 10), Ok(3));
        assert_eq!(max_unavailable(Some("500"), DEFAULT_WORKER, 1000), Ok(CAP));
        assert_eq!(max_unavailable(Some(""), DEFAULT_CONTROLPLANE, 3), Ok(1));
        for bad in ["0", "-1", "0%", "abc", "150%"] {
            assert!(max_unavailable(Some(bad), DEFAULT_WORKER, 10).is_err(), "{bad}");
        }
    }
    #[test]
    fn one_host_first_then_batches() {
        assert_eq!(batches(&[1, 2, 3, 4, 5, 6], 2), vec![vec![1], vec![2, 3], vec![4, 5], vec![6]]);
        assert_eq!(batches(&[1], 3), vec![vec![1]]);
        assert!(batches::<u8>(&[], 3).is_empty());
    }
}
