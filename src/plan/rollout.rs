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

#[cfg(test)]
mod tests {
    use super::*;
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
