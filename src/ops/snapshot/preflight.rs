//! The restore's preflight decision (pure): from what the agent found on every etcd host, whether
//! the snapshot may be restored, or every reason it may not. Decided before anything is stopped.
use crate::snapshot::job::Copy;
use crate::snapshot::manifest::Checksum;

/// What one etcd host reported for the snapshot.
pub struct HostReport<'a> {
    pub host: &'a str,
    /// None: the snapshot is not on this host
    pub copy: Option<&'a Copy>,
}

/// The verdict: the sha256 every host holds, and whether the archives hold a state file.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub sha256: String,
    pub has_state: bool,
    /// hosts whose copy has no manifest (an RKE1 snapshot): accepted because every copy is the same
    pub without_manifest: Vec<String>,
    /// the copies are age-encrypted (and were decrypted to check them)
    pub encrypted: bool,
}

/// Every copy must exist, match its manifest (or, without one, be byte-identical to every other
/// copy), pass etcd's integrity hash, and all copies must be the same snapshot: members restored
/// from different files would form a cluster with different data. An encrypted copy needs the key
/// (`have_key`): without it, nothing inside could be checked.
pub fn decide(name: &str, reports: &[HostReport<'_>], need_state: bool, have_key: bool) -> Result<Verified, Vec<String>> {
    let mut problems = Vec::new();
    let missing: Vec<&str> = reports.iter().filter(|r| r.copy.is_none()).map(|r| r.host).collect();
    if !missing.is_empty() {
        problems.push(format!(
            "snapshot {name} is not on etcd host(s) {} (in /opt/rke/etcd-snapshots): every etcd host needs the same copy, and none was copied from another host: that needs every copy present to match its manifest and pass etcd's integrity hash (`stockade etcd snapshot ls` shows where it is)",
            missing.join(", ")
        ));
    }
    let present: Vec<(&str, &Copy)> = reports.iter().filter_map(|r| r.copy.map(|c| (r.host, c))).collect();
    for (host, c) in &present {
        if c.checksum == Checksum::Mismatch {
            problems.push(format!("host {host}: {name} does not match its manifest (size {} sha256 {}): the copy is damaged or was replaced", c.size, c.sha256));
        }
        if let Some(p) = &c.problem {
            problems.push(format!("host {host}: {name}: {p}"));
        }
        if c.encrypted && !have_key {
            problems.push(format!(
                "{name} is encrypted: give its key with --decrypt-identity FILE (age identity) or the passphrase in STOCKADE_SNAPSHOT_PASSPHRASE / --passphrase-file FILE"
            ));
            continue;
        }
        if need_state && c.problem.is_none() && !c.has_state {
            problems.push(format!("host {host}: {name} holds no cluster state file: restore with --use-local-state to use the local cluster.rkestate"));
        }
    }
    let mut shas: Vec<&str> = present.iter().map(|(_, c)| c.sha256.as_str()).collect();
    shas.sort();
    shas.dedup();
    if shas.len() > 1 {
        let per_host: Vec<String> = present.iter().map(|(h, c)| format!("{h}: {}", &c.sha256[..c.sha256.len().min(16)])).collect();
        problems.push(format!("the etcd hosts hold different files named {name} ({}): restore needs the same snapshot on every member", per_host.join(", ")));
    }
    if !problems.is_empty() {
        problems.dedup();
        return Err(problems);
    }
    let Some((_, first)) = present.first() else { return Err(vec![format!("there are no etcd hosts to restore {name} on")]) };
    Ok(Verified {
        sha256: first.sha256.clone(),
        has_state: present.iter().all(|(_, c)| c.has_state),
        without_manifest: present.iter().filter(|(_, c)| c.checksum == Checksum::NoManifest).map(|(h, _)| h.to_string()).collect(),
        encrypted: present.iter().any(|(_, c)| c.encrypted),
    })
}

/// Which copy a restore without S3 shares with the etcd hosts that lack the snapshot (a recurring
/// snapshot is on one host only: each host takes and names its own): `(source, targets)` as
/// indexes into `reports`, or None when nothing is missing or no copy may be shared. A copy is
/// shared only when every present copy is the same file, matches its manifest (the destinations
/// verify what they receive against it) and passes etcd's integrity hash, and, if encrypted, was
/// opened with the key; otherwise nothing is copied and `decide` names what is wrong.
pub fn share_plan(reports: &[HostReport<'_>], have_key: bool) -> Option<(usize, Vec<usize>)> {
    let targets: Vec<usize> = reports.iter().enumerate().filter(|(_, r)| r.copy.is_none()).map(|(i, _)| i).collect();
    let present: Vec<(usize, &Copy)> = reports.iter().enumerate().filter_map(|(i, r)| r.copy.map(|c| (i, c))).collect();
    let (&(source, first), _) = present.split_first()?;
    if targets.is_empty() {
        return None;
    }
    let shareable = |c: &Copy| c.checksum == Checksum::Ok && c.manifest.is_some() && c.problem.is_none() && (!c.encrypted || have_key) && c.sha256 == first.sha256;
    present.iter().all(|(_, c)| shareable(c)).then_some((source, targets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::archive::Layout;
    use crate::snapshot::manifest::Manifest;

    fn copy(sha: &str, checksum: Checksum, problem: Option<&str>, state: bool) -> Copy {
        Copy {
            name: "s".into(),
            layout: Layout::Zip,
            size: 10,
            sha256: sha.into(),
            checksum,
            manifest: (checksum != Checksum::NoManifest).then(|| Manifest {
                name: "s".into(),
                cluster: "c".into(),
                etcd_version: "3.4.23".into(),
                revision: 1,
                size: 10,
                sha256: "aa".into(),
                created_unix: 0,
                encrypted: false,
            }),
            modified_unix: 0,
            problem: problem.map(String::from),
            has_state: state,
            encrypted: false,
        }
    }

    fn run(copies: &[Option<Copy>], need_state: bool) -> Result<Verified, Vec<String>> {
        let hosts = ["h1", "h2", "h3"];
        let reports: Vec<HostReport> = copies.iter().enumerate().map(|(i, c)| HostReport { host: hosts[i], copy: c.as_ref() }).collect();
        decide("s", &reports, need_state, false)
    }

    #[test]
    fn identical_verified_copies_pass() {
        let c = copy("aa", Checksum::Ok, None, true);
        let v = run(&[Some(c.clone()), Some(c.clone()), Some(c)], true).unwrap();
        assert_eq!(v.sha256, "aa");
        assert!(v.has_state && v.without_manifest.is_empty());
    }

    #[test]
    fn rke1_copies_without_manifest_pass_when_identical() {
        let c = copy("bb", Checksum::NoManifest, None, true);
        let v = run(&[Some(c.clone()), Some(c.clone()), Some(c)], true).unwrap();
        assert_eq!(v.without_manifest, vec!["h1", "h2", "h3"]);
        let d = copy("cc", Checksum::NoManifest, None, true);
        let e = run(&[Some(copy("bb", Checksum::NoManifest, None, true)), Some(d.clone()), Some(d)], true).unwrap_err();
        assert!(e.iter().any(|p| p.contains("different files")), "{e:?}");
    }

    #[test]
    fn each_reason_to_refuse_is_named_with_its_host() {
        let ok = copy("aa", Checksum::Ok, None, true);
        let e = run(&[Some(ok.clone()), None, Some(ok.clone())], true).unwrap_err();
        assert!(e[0].contains("not on etcd host(s) h2"), "{e:?}");
        let e = run(&[Some(ok.clone()), Some(copy("ab", Checksum::Mismatch, None, true)), Some(ok.clone())], true).unwrap_err();
        assert!(e.iter().any(|p| p.contains("host h2") && p.contains("does not match its manifest")), "{e:?}");
        assert!(e.iter().any(|p| p.contains("different files")), "{e:?}");
        let e = run(&[Some(ok.clone()), Some(ok.clone()), Some(copy("aa", Checksum::Ok, Some("fails its integrity hash"), true))], true).unwrap_err();
        assert!(e.iter().any(|p| p.contains("host h3") && p.contains("integrity")), "{e:?}");
        let nostate = copy("aa", Checksum::Ok, None, false);
        let e = run(&[Some(nostate.clone()), Some(nostate.clone()), Some(nostate.clone())], true).unwrap_err();
        assert!(e.iter().any(|p| p.contains("--use-local-state")), "{e:?}");
        assert!(run(&[Some(nostate.clone()), Some(nostate.clone()), Some(nostate)], false).is_ok(), "--use-local-state needs no state in the archive");
        let sealed = Copy { encrypted: true, ..ok.clone() };
        let e = run(&[Some(sealed.clone()), Some(sealed.clone()), Some(sealed.clone())], true).unwrap_err();
        assert!(e.len() == 1 && e[0].contains("is encrypted") && e[0].contains("--decrypt-identity"), "{e:?}");
        let reports: Vec<HostReport> = ["h1", "h2"].iter().map(|h| HostReport { host: h, copy: Some(&sealed) }).collect();
        assert!(decide("s", &reports, true, true).unwrap().encrypted, "with the key the verified copies pass");
    }

    #[test]
    fn a_snapshot_on_some_hosts_is_shared_only_from_verified_identical_copies() {
        let ok = copy("aa", Checksum::Ok, None, true);
        let plan = |copies: &[Option<Copy>], key: bool| {
            let reports: Vec<HostReport> = copies.iter().map(|c| HostReport { host: "h", copy: c.as_ref() }).collect();
            share_plan(&reports, key)
        };
        assert_eq!(plan(&[None, Some(ok.clone()), None], false), Some((1, vec![0, 2])), "one host holds it: copied to the two others");
        assert_eq!(plan(&[Some(ok.clone()), Some(ok.clone()), None], false), Some((0, vec![2])));
        assert_eq!(plan(&[Some(ok.clone()), Some(ok.clone()), Some(ok.clone())], false), None, "nothing missing");
        assert_eq!(plan(&[None, None, None], false), None, "nowhere to copy from");
        // never from a copy that does not verify, nor when the present copies differ
        assert_eq!(plan(&[None, Some(copy("aa", Checksum::Mismatch, None, true))], false), None);
        assert_eq!(plan(&[None, Some(copy("aa", Checksum::NoManifest, None, true))], false), None, "no manifest to verify the copies against");
        assert_eq!(plan(&[None, Some(copy("aa", Checksum::Ok, Some("fails its integrity hash"), true))], false), None);
        assert_eq!(plan(&[None, Some(ok.clone()), Some(copy("ab", Checksum::Ok, None, true))], false), None);
        assert_eq!(plan(&[None, Some(ok.clone()), Some(copy("ab", Checksum::Mismatch, None, true))], false), None);
        let sealed = Copy { encrypted: true, ..ok };
        assert_eq!(plan(&[None, Some(sealed.clone())], false), None, "encrypted, not opened: unchecked inside");
        assert_eq!(plan(&[None, Some(sealed)], true), Some((1, vec![0])));
    }
}
