//! etcd membership changes on `up`, one member at a time, with the cluster healthy throughout.
use crate::common::*;

fn members(tb: &Testbed, via: usize) -> Vec<String> {
    let out = tb.etcdctl(tb.h(via), &["member", "list"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split(", ").nth(2).unwrap_or("").to_string()).collect();
    v.sort();
    v
}

fn all_healthy(tb: &Testbed, hosts: &[usize]) {
    for &i in hosts {
        let h = tb.etcdctl(tb.h(i), &["endpoint", "health"]);
        assert!(h.status.success(), "{} unhealthy: {}", tb.h(i).name, String::from_utf8_lossy(&h.stderr));
    }
}

#[test]
fn etcd_members_are_added_and_removed_one_at_a_time_and_unsafe_changes_are_refused() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    let base = [(0, all), (1, all), (2, all)];
    tb.write_config(&tb.cluster_yml_roles(&base, ""));
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["put", "written-at-the-start", "still-here"]).status.success());

    // replacing every member, or dropping below quorum in one step, is refused before any change
    let ids: Vec<String> = (0..3).map(|i| tb.container_id(tb.h(i), "etcd")).collect();
    let cw = "[controlplane, worker]";
    let archive = tb.archive();
    tb.write_config(&tb.cluster_yml_roles(&[(0, cw), (1, cw), (2, cw), (3, "[etcd]"), (4, "[etcd]")], ""));
    let refused = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(refused.code, 3, "refused as unsafe: {}", refused.all());
    assert!(refused.error_line().contains("replaces every etcd member"), "{}", refused.error_line());
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, cw), (2, cw)], ""));
    let refused = tb.stockade(&["up", "--image-archive", archive.to_str().unwrap()]);
    assert_eq!(refused.code, 3, "refused as unsafe: {}", refused.all());
    assert!(refused.error_line().contains("below the quorum of 2"), "{}", refused.error_line());
    assert_eq!(ids, (0..3).map(|i| tb.container_id(tb.h(i), "etcd")).collect::<Vec<_>>(), "a refused run changed etcd");
    assert!(tb.managed_containers(tb.h(3)).is_empty() && tb.managed_containers(tb.h(4)).is_empty());

    // a 4th, then a 5th etcd host, one `up` each
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all), (3, "[etcd]")], ""));
    let dry = tb.stockade(&["up", "--dry-run"]);
    assert!(dry.stdout.contains("etcd: add member etcd-h4"), "{}", dry.stdout);
    let r = tb.up_ok(&[]);
    assert!(r.all().contains(&format!("{}: added etcd member etcd-h4", tb.h(3).ip)), "{}", r.all());
    assert_eq!(members(&tb, 3), vec!["etcd-h1", "etcd-h2", "etcd-h3", "etcd-h4"]);
    all_healthy(&tb, &[0, 1, 2, 3]);
    let args = tb.docker_out(tb.h(3), &["inspect", "-f", "{{json .Args}}", "etcd"]);
    assert!(args.contains("--initial-cluster-state=existing"), "{args}");
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"), "a joined member must stay as it is");

    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, all), (3, "[etcd]"), (4, "[etcd]")], ""));
    tb.up_ok(&[]);
    assert_eq!(members(&tb, 4), vec!["etcd-h1", "etcd-h2", "etcd-h3", "etcd-h4", "etcd-h5"]);
    all_healthy(&tb, &[0, 1, 2, 3, 4]);
    let get = tb.etcdctl(tb.h(4), &["get", "written-at-the-start", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "still-here");

    // removing two of five: h4 and h5 leave cluster.yml entirely
    tb.write_config(&tb.cluster_yml_roles(&base, ""));
    let r = tb.up_ok(&[]);
    assert!(r.all().contains("removed etcd member etcd-h4") && r.all().contains("removed etcd member etcd-h5"), "{}", r.all());
    assert_eq!(members(&tb, 0), vec!["etcd-h1", "etcd-h2", "etcd-h3"]);
    all_healthy(&tb, &[0, 1, 2]);
    for i in [3, 4] {
        assert!(tb.managed_containers(tb.h(i)).is_empty(), "{} keeps {:?}", tb.h(i).name, tb.managed_containers(tb.h(i)));
        let left: Vec<_> = std::fs::read_dir(tb.host_path(tb.h(i), "var-lib-etcd")).unwrap().flatten().collect();
        assert!(left.is_empty(), "{}: etcd data left", tb.h(i).name);
    }
    let get = tb.etcdctl(tb.h(2), &["get", "written-at-the-start", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "still-here");
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
}

/// Restores /etc/hosts when the test ends, pass or fail.
struct EtcHosts(String);
impl Drop for EtcHosts {
    fn drop(&mut self) {
        std::fs::write("/etc/hosts", &self.0).unwrap();
    }
}

/// Issue 7 item 2: editing a node's `address` (an IP to a DNS name of the same machine) made
/// the machine both "departed" and "added": its etcd member was removed and its data deleted.
/// The departed address is the same machine (same Docker engine ID) as a kept one: refused
/// before any change, with what to do instead.
#[test]
fn an_edited_address_of_the_same_machine_is_refused() {
    let tb = Testbed::get();
    let yml = tb.cluster_yml(3, "");
    tb.write_config(&yml);
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["put", "kept-through-address-edit", "yes"]).status.success());
    let ids: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    let state_before = std::fs::read(tb.state_path()).unwrap();

    let alias = "stockade-alias-of-h1";
    let original = std::fs::read_to_string("/etc/hosts").unwrap();
    let _restore = EtcHosts(original.clone());
    std::fs::write("/etc/hosts", format!("{original}\n{} {alias}\n", tb.h(0).ip)).unwrap();
    let known = std::fs::read_to_string(tb.known_hosts()).unwrap();
    let h1_key = known.lines().find(|l| l.starts_with(&format!("{} ", tb.h(0).ip))).unwrap().split_once(' ').unwrap().1.to_string();
    let known_path = tb.work.path().join("known_hosts.alias");
    std::fs::write(&known_path, format!("{known}{alias} {h1_key}\n")).unwrap();

    tb.write_config(&yml.replacen(&format!("address: {}\n", tb.h(0).ip), &format!("address: {alias}\n"), 1));
    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec!["up", "--known-hosts", known_path.to_str().unwrap()];
        args.extend(extra);
        let r = tb.stockade(&args);
        assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
        let err = r.error_line();
        assert!(err.contains("same machine") && err.contains(&tb.h(0).ip) && err.contains(alias), "{err}");
    }
    let after: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();
    assert_eq!(ids, after, "no etcd container may change");
    assert_eq!(std::fs::read(tb.state_path()).unwrap(), state_before, "the state file must not change");
    let get = tb.etcdctl(tb.h(0), &["get", "kept-through-address-edit", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "yes");
    let members = tb.etcdctl(tb.h(1), &["member", "list"]);
    assert_eq!(String::from_utf8_lossy(&members.stdout).lines().count(), 3, "the member list must not change");
}

/// Issue 7 item 7: a host that joins as a new etcd member but already runs an etcd container
/// stockade did not make (another cluster's, or one made by hand) is refused before any change;
/// it used to be adopted and the new member started on that data.
#[test]
fn a_joining_host_with_its_own_etcd_is_refused() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let h4 = tb.h(3);
    let load = tb.docker(h4, &["load", "-i", tb.archive().to_str().unwrap()]);
    assert!(load.status.success(), "{}", String::from_utf8_lossy(&load.stderr));
    let other = tb.docker(h4, &["run", "-d", "--name", "etcd", ETCD_IMAGE, "sleep", "3600"]);
    assert!(other.status.success(), "{}", String::from_utf8_lossy(&other.stderr));
    let other_id = tb.container_id(h4, "etcd");
    let ids: Vec<String> = tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect();

    tb.write_config(&tb.cluster_yml(4, ""));
    let r = tb.stockade(&["up"]);
    assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
    assert!(r.error_line().contains(&h4.ip) && r.error_line().contains("did not create"), "{}", r.error_line());
    assert_eq!(tb.container_id(h4, "etcd"), other_id, "the foreign etcd must be untouched");
    assert_eq!(ids, tb.hosts[..3].iter().map(|h| tb.container_id(h, "etcd")).collect::<Vec<_>>());
    let members = tb.etcdctl(tb.h(0), &["member", "list"]);
    assert_eq!(String::from_utf8_lossy(&members.stdout).lines().count(), 3, "no member may be added");
}

/// `etcdctl member list` lines: `id, status, name, peer URLs, client URLs, is learner`.
fn member_lines(tb: &Testbed, via: usize) -> Vec<String> {
    let out = tb.etcdctl(tb.h(via), &["member", "list"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
}

/// Issue 7 item 4: a member that no state file records — added by a run that failed, its host
/// then taken out of cluster.yml — is planned from the live member list and removed; it used to
/// leave "member list has 4 of 3" on every later run.
#[test]
fn a_member_only_the_live_list_knows_is_removed() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    let peer = format!("--peer-urls=https://{}:2380", tb.h(3).ip);
    let add = tb.etcdctl(tb.h(0), &["member", "add", "etcd-h4", &peer]);
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    assert_eq!(member_lines(&tb, 0).len(), 4);

    let dry = tb.stockade(&["up", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert!(dry.stdout.contains("etcd: remove member (unstarted member"), "{}", dry.stdout);
    let r = tb.up_ok(&[]);
    assert!(r.all().contains("removed etcd member (unstarted member"), "{}", r.all());
    assert_eq!(members(&tb, 0), vec!["etcd-h1", "etcd-h2", "etcd-h3"]);
    all_healthy(&tb, &[0, 1, 2]);
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
}

/// Issue 7 item 5: a new member is added as a learner and promoted once caught up, and only
/// after its host was seen to reach the members' peer port: growing from one member can no
/// longer leave a voter that never comes up (and the cluster without quorum).
#[test]
fn a_new_member_joins_as_a_learner_only_when_it_reaches_the_peers() {
    let tb = Testbed::get();
    let all = "[etcd, controlplane, worker]";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all)], ""));
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["put", "before-growing", "1"]).status.success());
    let h2 = tb.h(1);
    let block = ["iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", "2380", "-j", "REJECT"];
    assert!(tb.in_netns(h2, &block).status.success());
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, "[etcd]")], ""));
    // the preview runs the same check: it refuses too, rather than promising a new member
    let dry = tb.stockade(&["up", "--dry-run"]);
    assert_eq!(dry.code, 3, "--dry-run refuses as the run will: {}", dry.all());
    assert!(dry.error_line().contains("cannot reach") && !dry.stdout.contains("add member"), "{}", dry.all());
    let r = tb.stockade(&["up", "--image-archive", tb.archive().to_str().unwrap()]);
    let unblock = ["iptables", "-D", "OUTPUT", "-p", "tcp", "--dport", "2380", "-j", "REJECT"];
    assert!(tb.in_netns(h2, &unblock).status.success());
    assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
    assert!(r.error_line().contains("cannot reach") && r.error_line().contains(":2380"), "{}", r.error_line());
    assert_eq!(member_lines(&tb, 0).len(), 1, "no member may be added: {:?}", member_lines(&tb, 0));
    assert!(tb.docker(h2, &["inspect", "etcd"]).status.code() != Some(0), "no etcd may start on {}", h2.name);

    let r = tb.up_ok(&[]);
    assert!(r.all().contains("added etcd member etcd-h2 as a learner") && r.all().contains("promoted etcd member etcd-h2"), "{}", r.all());
    let lines = member_lines(&tb, 0);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.ends_with("false")), "every member is a voter: {lines:?}");
    all_healthy(&tb, &[0, 1]);
    let get = tb.etcdctl(tb.h(1), &["get", "before-growing", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "1");
}

/// Issue 7 item 6: a membership change needs every member that stays healthy — checked on the
/// live cluster before anything changes — and a replaced member that does not become healthy
/// is rolled back to its previous container.
#[test]
fn etcd_is_touched_only_while_healthy_and_a_failed_replacement_is_rolled_back() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    assert!(tb.etcdctl(tb.h(0), &["put", "kept", "1"]).status.success());
    let ids: Vec<String> = (0..3).map(|i| tb.container_id(tb.h(i), "etcd")).collect();

    // a replacement etcd that exits at once: the previous container is back and healthy
    tb.write_config(&tb.cluster_yml(3, "services:\n  etcd:\n    extra_args:\n      no-such-etcd-flag: \"1\"\n"));
    let r = tb.stockade(&["up", "--image-archive", tb.archive().to_str().unwrap()]);
    assert_eq!(r.code, 1, "a failure on a host: {}", r.all());
    assert!(r.all().contains("previous one started again"), "{}", r.all());
    assert_eq!(ids, (0..3).map(|i| tb.container_id(tb.h(i), "etcd")).collect::<Vec<_>>(), "every member runs its previous container");
    all_healthy(&tb, &[0, 1, 2]);

    // h2's member is down: removing h3's member (2 of 3 stay) is refused before any change
    let all = "[etcd, controlplane, worker]";
    tb.write_config(&tb.cluster_yml_roles(&[(0, all), (1, all), (2, "[controlplane, worker]")], ""));
    assert!(tb.docker(tb.h(1), &["stop", "etcd"]).status.success());
    let state_before = std::fs::read(tb.state_path()).unwrap();
    let r = tb.stockade(&["up"]);
    assert_eq!(r.code, 3, "refused as unsafe: {}", r.all());
    assert!(r.error_line().contains("membership change is refused") && r.error_line().contains(&tb.h(1).ip), "{}", r.error_line());
    assert_eq!(member_lines(&tb, 0).len(), 3);
    assert_eq!(tb.container_id(tb.h(2), "etcd"), ids[2], "h3's etcd must be untouched");
    assert_eq!(std::fs::read(tb.state_path()).unwrap(), state_before, "the state file must not change");

    assert!(tb.docker(tb.h(1), &["start", "etcd"]).status.success());
    let r = tb.up_ok(&[]);
    assert!(r.all().contains("removed etcd member etcd-h3"), "{}", r.all());
    assert_eq!(members(&tb, 0), vec!["etcd-h1", "etcd-h2"]);
    let get = tb.etcdctl(tb.h(1), &["get", "kept", "--print-value-only"]);
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "1");
}
