//! Which snapshots a retention keeps (pure): the newest by creation time — the manifest's when
//! there is one; without one (an RKE1 snapshot) the time its name carries (`rke_etcd_snapshot_<time>`,
//! `<time>_etcd`, RKE1's `:` or stockade's `-`); a name without a time falls back to the file's
//! modification time. Never by name alone: a name that sorts late is not a newer snapshot
//! (`rke_etcd_snapshot_…` sorts after every `2025-…_etcd`, a manual `zz-before-upgrade` after both).
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// One snapshot as a retention sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dated {
    pub name: String,
    /// `created_unix` of its manifest, if it has one
    pub manifest_created: Option<i64>,
    /// the file's (or object's) modification time, if known
    pub modified: Option<i64>,
}

impl Dated {
    /// Creation time, seconds since the epoch, by the order of trust above (`i64::MIN`: unknown,
    /// the oldest).
    pub fn created(&self) -> i64 {
        self.manifest_created.or_else(|| time_in_name(&self.name)).or(self.modified).unwrap_or(i64::MIN)
    }
}

/// The names beyond the newest `keep`, newest first by creation time (ties: the later name first).
pub fn beyond(items: &[Dated], keep: usize) -> Vec<String> {
    let mut by_time: Vec<(i64, &str)> = items.iter().map(|d| (d.created(), d.name.as_str())).collect();
    by_time.sort_by(|a, b| b.cmp(a));
    by_time.dedup_by(|a, b| a.1 == b.1);
    by_time.into_iter().skip(keep).map(|(_, n)| n.to_string()).collect()
}

/// The RFC 3339 time inside a snapshot name (`2024-01-02T03:04:05Z`, `…T03-04-05Z`,
/// `…T03:04:05+02:00`), seconds since the epoch.
pub fn time_in_name(name: &str) -> Option<i64> {
    let b = name.as_bytes();
    (0..b.len()).find_map(|i| parse_at(&b[i..]))
}

fn parse_at(b: &[u8]) -> Option<i64> {
    let num = |s: &[u8]| -> Option<u32> { s.iter().all(u8::is_ascii_digit).then(|| std::str::from_utf8(s).ok()?.parse().ok())? };
    let sep = |c: u8| c == b':' || c == b'-';
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !sep(b[13]) || !sep(b[16]) {
        return None;
    }
    let date = Date::from_calendar_date(num(&b[0..4])? as i32, Month::try_from(num(&b[5..7])? as u8).ok()?, num(&b[8..10])? as u8).ok()?;
    let t = Time::from_hms(num(&b[11..13])? as u8, num(&b[14..16])? as u8, num(&b[17..19])? as u8).ok()?;
    let offset = match b[19] {
        b'Z' => UtcOffset::UTC,
        s @ (b'+' | b'-') if b.len() >= 25 && sep(b[22]) => {
            let secs = (num(&b[20..22])? * 3600 + num(&b[23..25])? * 60) as i32;
            UtcOffset::from_whole_seconds(if s == b'-' { -secs } else { secs }).ok()?
        }
        _ => return None,
    };
    Some(PrimitiveDateTime::new(date, t).assume_offset(offset).unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(name: &str, manifest: Option<i64>, modified: Option<i64>) -> Dated {
        Dated { name: name.into(), manifest_created: manifest, modified }
    }

    #[test]
    fn times_in_rke1_and_stockade_names() {
        assert_eq!(time_in_name("2024-01-02T03-04-05Z_etcd"), Some(1_704_164_645));
        assert_eq!(time_in_name("2024-01-02T03:04:05Z_etcd"), Some(1_704_164_645));
        assert_eq!(time_in_name("rke_etcd_snapshot_2024-01-02T05:04:05+02:00"), Some(1_704_164_645));
        assert_eq!(time_in_name("rke_etcd_snapshot_2024-01-02T03-04-05Z"), Some(1_704_164_645));
        assert_eq!(time_in_name("before-upgrade"), None);
        assert_eq!(time_in_name("2024-13-02T03-04-05Z_etcd"), None, "no 13th month");
    }

    #[test]
    fn the_newest_by_manifest_time_are_kept_not_the_last_names() {
        // by name these would keep `zz-manual` and `rke_etcd_snapshot_…`; by creation time the
        // two recurring snapshots are the newest
        let items = [
            d("zz-manual", Some(100), Some(999)),
            d("rke_etcd_snapshot_2020-01-01T00-00-00Z", Some(200), None),
            d("2019-01-01T00-00-00Z_etcd", Some(300), None),
            d("2018-01-01T00-00-00Z_etcd", Some(400), None),
        ];
        assert_eq!(beyond(&items, 2), vec!["rke_etcd_snapshot_2020-01-01T00-00-00Z", "zz-manual"]);
        assert!(beyond(&items, 4).is_empty());
        assert_eq!(beyond(&items, 0).len(), 4);
    }

    #[test]
    fn without_a_manifest_the_name_then_the_file_time_decide() {
        let t2020 = time_in_name("2020-01-01T00-00-00Z").unwrap();
        let items = [
            d("2020-01-01T00-00-00Z_etcd", None, Some(t2020 + 10_000)), // the name wins over the file time
            d("with-manifest", Some(t2020 + 5), None),
            d("no-time-at-all", None, Some(t2020 - 1)),
            d("nothing-known", None, None),
        ];
        assert_eq!(beyond(&items, 1), vec!["2020-01-01T00-00-00Z_etcd", "no-time-at-all", "nothing-known"]);
        assert_eq!(beyond(&items, 2), vec!["no-time-at-all", "nothing-known"]);
    }
}
