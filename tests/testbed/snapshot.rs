//! etcd snapshots on the testbed (issue 8): real etcd members, the agent in its helper containers
//! (image made by stockade from its own executable and loaded over SSH), RKE1's zip layout.
use crate::common::*;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn snapshot_dir(tb: &Testbed, h: &TbHost) -> PathBuf {
    tb.host_path(h, "opt-rke").join("etcd-snapshots")
}

fn get(tb: &Testbed, h: &TbHost, key: &str) -> String {
    let o = tb.etcdctl(h, &["get", key, "--print-value-only"]);
    assert!(o.status.success(), "etcdctl get {key}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn put(tb: &Testbed, h: &TbHost, key: &str, value: &str) {
    let o = tb.etcdctl(h, &["put", key, value]);
    assert!(o.status.success(), "etcdctl put {key}: {}", String::from_utf8_lossy(&o.stderr));
}

/// Id and StartedAt of the etcd and kube-apiserver containers of the first 3 hosts.
fn started(tb: &Testbed) -> Vec<String> {
    tb.hosts[..3]
        .iter()
        .flat_map(|h| ["etcd", "kube-apiserver"].map(|c| tb.docker_out(h, &["inspect", "-f", "{{.Id}} {{.State.StartedAt}} {{.State.Running}}", c])))
        .collect()
}

/// Stops etcd on the first 3 hosts, deletes its data, starts it again: every member lost its data.
fn wipe_etcd(tb: &Testbed) {
    for h in &tb.hosts[..3] {
        assert!(tb.docker(h, &["stop", "etcd"]).status.success());
        let d = tb.host_path(h, "var-lib-etcd");
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            std::fs::remove_dir_all(e.path()).unwrap();
        }
    }
    for h in &tb.hosts[..3] {
        assert!(tb.docker(h, &["start", "etcd"]).status.success());
    }
}

fn healthy_members(tb: &Testbed) -> usize {
    let o = tb.etcdctl(tb.h(0), &["endpoint", "health", "--cluster"]);
    String::from_utf8_lossy(&o.stdout).lines().chain(String::from_utf8_lossy(&o.stderr).lines()).filter(|l| l.contains("is healthy")).count()
}

/// Collects `docker inspect` of every agent container seen on the first 3 hosts while it runs.
fn watch_agent_containers(tb: &Testbed) -> (Arc<AtomicBool>, std::thread::JoinHandle<Vec<String>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let hosts: Vec<TbHost> = tb.hosts[..3].to_vec();
    let s = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while !s.load(Ordering::SeqCst) {
            for h in &hosts {
                let sock = format!("unix://{}", h.socket);
                let ids = std::process::Command::new("docker").args(["-H", &sock, "ps", "-aq", "--filter", "label=io.stockade.managed=agent"]).output().unwrap();
                for id in String::from_utf8_lossy(&ids.stdout).lines() {
                    let o = std::process::Command::new("docker").args(["-H", &sock, "inspect", id]).output().unwrap();
                    if o.status.success() {
                        seen.push(String::from_utf8_lossy(&o.stdout).into_owned());
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        seen
    });
    (stop, handle)
}

#[test]
fn save_write_wipe_restore_brings_back_the_snapshot_data_and_up_changes_nothing() {
    let tb = Testbed::get();
    // cluster.yml says nothing about snapshots: RKE1's default, recurring snapshots on
    tb.write_config(&tb.cluster_yml_rke1_defaults(3, ""));
    let first = tb.up_ok(&[]);
    for h in &tb.hosts[..3] {
        assert!(tb.running(h).contains(&"stockade-etcd-snapshots".to_string()), "{}: recurring snapshots are on by default:\n{}", h.name, first.all());
        let job = std::fs::read_to_string(tb.host_path(h, "etc-kubernetes").join("stockade-etcd-snapshots.json")).unwrap();
        let job: serde_json::Value = serde_json::from_str(&job).unwrap();
        assert_eq!((job["interval_secs"].as_u64(), job["retention"].as_u64()), (Some(12 * 3600), Some(6)), "{}: RKE1's defaults", h.name);
    }
    put(&tb, tb.h(0), "before-snapshot", "kept");

    let (stop, watcher) = watch_agent_containers(&tb);
    let save = tb.stockade(&["etcd", "snapshot-save", "--name", "snap-one.zip"]);
    stop.store(true, Ordering::SeqCst);
    let inspected = watcher.join().unwrap();
    assert_eq!(save.code, 0, "{}", save.all());
    // the agent containers' Cmd, Env and Labels hold no key, certificate or state
    assert!(!inspected.is_empty(), "no agent container was seen while snapshot-save ran");
    for i in &inspected {
        for secret in ["PRIVATE KEY", "BEGIN CERTIFICATE", "certificatesBundle", "kube-node-key"] {
            assert!(!i.contains(secret), "docker inspect of an agent container shows {secret}:\n{i}");
        }
    }
    assert!(save.all().contains("healthy etcd member"), "{}", save.all());
    // the same archive on every etcd host, matching its manifest, in RKE1's layout with the state
    let mut shas = Vec::new();
    for h in &tb.hosts[..3] {
        let zip = snapshot_dir(&tb, h).join("snap-one.zip");
        assert_eq!(file_mode(&zip), 0o600, "{}", h.name);
        let (size, sha) = stockade::snapshot::manifest::digest_reader(std::fs::File::open(&zip).unwrap()).unwrap();
        let m = stockade::snapshot::manifest::Manifest::from_json(&std::fs::read_to_string(snapshot_dir(&tb, h).join("snap-one.zip.manifest.json")).unwrap(), &h.name).unwrap();
        assert_eq!((m.size, m.sha256.as_str()), (size, sha.as_str()), "{}", h.name);
        assert_eq!((m.name.as_str(), m.cluster.as_str(), m.etcd_version.as_str()), ("snap-one", "testbed", "3.4.23"));
        assert!(m.revision > 0);
        let i = stockade::snapshot::archive::inspect_zip(std::fs::File::open(&zip).unwrap(), "snap-one").unwrap();
        assert_eq!(i.snapshot_entry, "/backup/snap-one");
        assert!(i.has_state && matches!(i.integrity, stockade::snapshot::archive::Integrity::Ok { .. }));
        assert!(save.stdout.contains(&sha), "the printed sha256 is the file's: {}", save.stdout);
        shas.push(sha);
    }
    assert!(shas.windows(2).all(|w| w[0] == w[1]), "{shas:?}");
    // etcd itself accepts the snapshot inside: `etcdctl snapshot status` on the extracted entry
    let mut z = zip::ZipArchive::new(std::fs::File::open(snapshot_dir(&tb, tb.h(1)).join("snap-one.zip")).unwrap()).unwrap();
    let db = tb.work.path().join("snap-one.db");
    std::io::copy(&mut z.by_name("/backup/snap-one").unwrap(), &mut std::fs::File::create(&db).unwrap()).unwrap();
    let st = std::process::Command::new("etcdctl").env("ETCDCTL_API", "3").args(["snapshot", "status", db.to_str().unwrap()]).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));

    put(&tb, tb.h(1), "after-snapshot", "gone");
    wipe_etcd(&tb);
    assert_eq!(get(&tb, tb.h(0), "before-snapshot"), "", "the wipe left data behind");

    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", "snap-one.zip"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "before-snapshot"), "kept", "{}", h.name);
        assert_eq!(get(&tb, h, "after-snapshot"), "", "{}", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);
    let members = String::from_utf8_lossy(&tb.etcdctl(tb.h(2), &["member", "list"]).stdout).to_string();
    assert_eq!(members.lines().count(), 3, "{members}");
    // the old data went once the cluster was healthy; no agent container is left
    for h in &tb.hosts[..3] {
        assert!(!tb.host_path(h, "var-lib-etcd").join("stockade-before-restore").exists(), "{}", h.name);
        assert!(!tb.managed_containers(h).iter().any(|c| c.starts_with("stockade-agent")), "{}", h.name);
    }
    let again = tb.up_ok(&[]);
    assert!(again.all().contains("Nothing changed"), "{}", again.all());
}

#[test]
fn a_broken_or_missing_copy_is_refused_before_any_member_is_stopped() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "survivor", "yes");
    let save = tb.stockade(&["etcd", "snapshot-save", "--name", "s"]);
    assert_eq!(save.code, 0, "{}", save.all());
    let zip = |i: usize| snapshot_dir(&tb, tb.h(i)).join("s.zip");
    let original = std::fs::read(zip(1)).unwrap();
    let manifest = std::fs::read_to_string(snapshot_dir(&tb, tb.h(2)).join("s.zip.manifest.json")).unwrap();
    let before = started(&tb);
    assert!(before.iter().all(|s| s.ends_with("true")), "{before:?}");

    let refused = |what: &str, host: usize, expect: &str| {
        let r = tb.stockade(&["etcd", "snapshot-restore", "--name", "s"]);
        assert_ne!(r.code, 0, "{what}: restore went ahead:\n{}", r.all());
        let e = r.error_line();
        assert!(e.contains("nothing was stopped"), "{what}: {}", r.all());
        assert!(r.all().contains(&tb.h(host).ip) && r.all().contains(expect), "{what}: the error names the host and the reason:\n{}", r.all());
        assert!(!r.all().contains("==> Stop"), "{what}: {}", r.all());
        assert_eq!(started(&tb), before, "{what}: a container was stopped or restarted");
        assert_eq!(get(&tb, tb.h(0), "survivor"), "yes", "{what}");
    };

    // corrupted in the middle (same size): the manifest's sha256 does not match
    let mut bad = original.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    std::fs::write(zip(1), &bad).unwrap();
    refused("corrupted archive", 1, "does not match its manifest");
    std::fs::write(zip(1), &original).unwrap();

    // truncated, with a manifest rewritten to match it: the archive no longer opens
    let cut = &original[..original.len() - 100];
    std::fs::write(zip(1), cut).unwrap();
    let (size, sha) = stockade::snapshot::manifest::digest_reader(cut).unwrap();
    let mut m = stockade::snapshot::manifest::Manifest::from_json(&manifest, "m").unwrap();
    (m.size, m.sha256) = (size, sha);
    std::fs::write(snapshot_dir(&tb, tb.h(1)).join("s.zip.manifest.json"), m.to_json()).unwrap();
    refused("truncated archive", 1, "truncated or corrupted");
    std::fs::write(zip(1), &original).unwrap();
    std::fs::write(snapshot_dir(&tb, tb.h(1)).join("s.zip.manifest.json"), &manifest).unwrap();

    // a manifest with another sha256
    let mut m = stockade::snapshot::manifest::Manifest::from_json(&manifest, "m").unwrap();
    m.sha256 = "0".repeat(64);
    std::fs::write(snapshot_dir(&tb, tb.h(2)).join("s.zip.manifest.json"), m.to_json()).unwrap();
    refused("wrong sha256", 2, "does not match its manifest");
    std::fs::write(snapshot_dir(&tb, tb.h(2)).join("s.zip.manifest.json"), &manifest).unwrap();

    // on every host the same archive, matching its manifest, but the etcd database inside is
    // corrupted (zip CRC recomputed): etcd's own integrity hash refuses it
    let mut db = Vec::new();
    std::io::Read::read_to_end(&mut zip::ZipArchive::new(std::io::Cursor::new(&original)).unwrap().by_name("/backup/s").unwrap(), &mut db).unwrap();
    let mid = db.len() / 2;
    db[mid] ^= 1;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("/backup/s", zip::write::SimpleFileOptions::default()).unwrap();
    z.write_all(&db).unwrap();
    z.start_file("/etc/kubernetes/s.rkestate", zip::write::SimpleFileOptions::default()).unwrap();
    z.write_all(&std::fs::read(tb.state_path()).unwrap()).unwrap();
    let forged = z.finish().unwrap().into_inner();
    let (size, sha) = stockade::snapshot::manifest::digest_reader(&forged[..]).unwrap();
    let mut m = stockade::snapshot::manifest::Manifest::from_json(&manifest, "m").unwrap();
    (m.size, m.sha256) = (size, sha);
    for i in 0..3 {
        std::fs::write(zip(i), &forged).unwrap();
        std::fs::write(snapshot_dir(&tb, tb.h(i)).join("s.zip.manifest.json"), m.to_json()).unwrap();
    }
    refused("etcd integrity hash", 0, "integrity hash");
    for i in 0..3 {
        std::fs::write(zip(i), &original).unwrap();
        std::fs::write(snapshot_dir(&tb, tb.h(i)).join("s.zip.manifest.json"), &manifest).unwrap();
    }

    // missing on one host while another's copy does not match its manifest: nothing is copied
    // from a set of copies that does not verify (a verified copy would be shared: see
    // `a_snapshot_on_one_host_only_is_copied_to_the_others_and_restores`)
    std::fs::remove_file(zip(0)).unwrap();
    std::fs::write(zip(1), &bad).unwrap();
    refused("missing on one host, damaged on another", 0, "is not on etcd host(s)");
    assert!(!zip(0).exists(), "nothing was copied from unverified copies");
    std::fs::write(zip(0), &original).unwrap();
    std::fs::write(zip(1), &original).unwrap();

    // a name that exists nowhere
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", "no-such-snapshot"]);
    assert_ne!(r.code, 0);
    assert!(r.error_line().contains("nothing was stopped"), "{}", r.all());
    assert_eq!(started(&tb), before);
}

/// A snapshot on one etcd host only, no S3 (each host's recurring snapshot has its own name): the
/// restore is refused before anything stops unless `--copy-missing` asks to copy it host to host;
/// then each copy is verified against the manifest on its destination before anything is stopped,
/// and every member is restored from it.
#[test]
fn a_snapshot_on_one_host_only_is_copied_to_the_others_and_restores() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "before-snapshot", "kept");
    let save = tb.stockade(&["etcd", "snapshot-save", "--name", "2026-01-01T00-00-00Z_etcd"]);
    assert_eq!(save.code, 0, "{}", save.all());
    let name = "2026-01-01T00-00-00Z_etcd";
    // only h2 keeps it, as a recurring snapshot taken there would be
    for i in [0, 2] {
        std::fs::remove_file(snapshot_dir(&tb, tb.h(i)).join(format!("{name}.zip"))).unwrap();
        std::fs::remove_file(snapshot_dir(&tb, tb.h(i)).join(format!("{name}.zip.manifest.json"))).unwrap();
    }
    let kept = std::fs::read(snapshot_dir(&tb, tb.h(1)).join(format!("{name}.zip"))).unwrap();
    put(&tb, tb.h(1), "after-snapshot", "gone");

    // unasked, copying between hosts is refused before anything stops: the hosts that lack it
    // are named with the flag that copies, nothing is copied, etcd keeps its data
    let before = started(&tb);
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", name]);
    assert_ne!(r.code, 0, "{}", r.all());
    let e = r.error_line();
    assert!(e.contains("is not on etcd host(s)") && e.contains("--copy-missing") && e.contains("Nothing was stopped or changed"), "{}", r.all());
    assert!(!snapshot_dir(&tb, tb.h(0)).join(format!("{name}.zip")).exists() && !snapshot_dir(&tb, tb.h(2)).join(format!("{name}.zip")).exists(), "nothing was copied");
    assert_eq!(started(&tb), before, "a container was stopped or restarted");
    assert_eq!(get(&tb, tb.h(0), "after-snapshot"), "gone", "etcd keeps its data");

    wipe_etcd(&tb);
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", name, "--copy-missing"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let out = r.all();
    for i in [0, 2] {
        assert!(out.contains(&format!("copied from {}", tb.h(1).ip)) || out.contains(&format!("copied from {}", tb.h(1).name)), "{out}");
        // the copy arrived whole, before anything was stopped
        assert_eq!(std::fs::read(snapshot_dir(&tb, tb.h(i)).join(format!("{name}.zip"))).unwrap(), kept, "{}", tb.h(i).name);
        assert!(snapshot_dir(&tb, tb.h(i)).join(format!("{name}.zip.manifest.json")).exists());
    }
    let copied_at = out.find("copied from").unwrap();
    assert!(out.find("==> Stop").is_some_and(|stop| stop > copied_at), "copies come before anything is stopped:\n{out}");
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "before-snapshot"), "kept", "{}", h.name);
        assert_eq!(get(&tb, h, "after-snapshot"), "", "{}", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);
}

/// A zip laid out as RKE1's rke-tools writes it (entries `/backup/<name>` and
/// `/etc/kubernetes/<name>.rkestate`, Deflate, no stockade manifest), with an RKE1 name (`:`).
#[test]
fn an_rke1_layout_zip_restores() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "rke1-era", "present");
    let name = "rke_etcd_snapshot_2024-01-01T00:00:00Z";
    // etcdctl from the laptop takes the snapshot, as rke-tools does on the host
    let db = tb.work.path().join("db");
    let o = tb.etcdctl(tb.h(0), &["snapshot", "save", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let state = std::fs::read(tb.state_path()).unwrap();
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o600);
    z.start_file(format!("/backup/{name}"), opts).unwrap();
    z.write_all(&std::fs::read(&db).unwrap()).unwrap();
    z.start_file(format!("/etc/kubernetes/{name}.rkestate"), opts).unwrap();
    z.write_all(&state).unwrap();
    let bytes = z.finish().unwrap().into_inner();
    for h in &tb.hosts[..3] {
        std::fs::create_dir_all(snapshot_dir(&tb, h)).unwrap();
        std::fs::write(snapshot_dir(&tb, h).join(format!("{name}.zip")), &bytes).unwrap();
    }
    put(&tb, tb.h(1), "rke1-era", "overwritten");
    put(&tb, tb.h(1), "later", "gone");

    let ls = tb.stockade(&["etcd", "snapshot", "ls", "--output", "json"]);
    assert_eq!(ls.code, 0, "{}", ls.all());
    let rows = ls.event("snapshots")["snapshots"].clone();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r["name"] == name && r["checksum"] == "no_manifest"), "{rows:?}");

    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", name]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("no stockade manifest"), "{}", r.all());
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "rke1-era"), "present", "{}", h.name);
        assert_eq!(get(&tb, h, "later"), "", "{}", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);

    // RKE1's legacy layout: the raw etcd snapshot named `<name>` (no state inside: the local one)
    let raw = "2024-01-02T00:00:00Z_etcd";
    put(&tb, tb.h(0), "raw-era", "present");
    let o = tb.etcdctl(tb.h(0), &["snapshot", "save", db.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for h in &tb.hosts[..3] {
        std::fs::copy(&db, snapshot_dir(&tb, h).join(raw)).unwrap();
    }
    put(&tb, tb.h(0), "raw-era", "overwritten");
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", raw]);
    assert_ne!(r.code, 0, "a snapshot without a state file needs --use-local-state:\n{}", r.all());
    assert!(r.all().contains("--use-local-state"), "{}", r.all());
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", raw, "--use-local-state"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "raw-era"), "present", "{}", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);
}

#[test]
fn ls_shows_checksum_status_and_prune_keeps_the_newest() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    // the copies: host to host (a), through stockade's SSH connections when asked (b), and when
    // the copy port on h2 is taken by something that is not a stockade agent (c)
    let taken = format!("import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('{}', 2382))\ns.listen(8)\nwhile True:\n    s.accept()[0].close()\n", tb.h(1).ip);
    for (n, extra) in [("a", None), ("b", Some("0")), ("c", None)] {
        // killed when dropped, also when the test fails
        struct Killed(std::process::Child);
        impl Drop for Killed {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let mut squatter = (n == "c").then(|| Killed(tb.spawn_in_netns(tb.h(1), &["python3", "-c", &taken])));
        if let Some(Killed(c)) = squatter.as_mut() {
            std::thread::sleep(std::time::Duration::from_millis(500));
            assert!(c.try_wait().unwrap().is_none(), "the listener on h2's copy port did not start");
        }
        let mut args = vec!["--debug", "etcd", "snapshot-save", "--name", n];
        if let Some(port) = extra {
            args.extend(["--copy-port", port]);
        }
        let r = tb.stockade(&args);
        drop(squatter);
        assert_eq!(r.code, 0, "{}", r.all());
        for secret in ["PRIVATE KEY", "BEGIN CERTIFICATE", "certificatesBundle"] {
            assert!(!r.all().contains(secret), "--debug output shows {secret}");
        }
        let direct = |h: usize| r.all().contains(&format!("{}: received {n} from {} (direct, verified)", tb.h(h).ip, tb.h(0).ip));
        let through = |h: usize| r.all().contains(&format!("{}: copied {n} from {}", tb.h(h).ip, tb.h(0).ip));
        match n {
            "a" => assert!(direct(1) && direct(2) && !through(1) && !through(2), "{}", r.all()),
            "b" => assert!(through(1) && through(2) && !direct(1) && !direct(2) && !r.all().contains("direct copy"), "{}", r.all()),
            _ => {
                assert!(through(1) && direct(2), "{}", r.all());
                assert!(r.all().contains(&format!("host {}: the direct copy from {} failed", tb.h(1).ip, tb.h(0).ip)), "{}", r.all());
            }
        }
        // creation times in whole seconds: keep them apart
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    // the same name again is refused before anything is written
    let again = tb.stockade(&["etcd", "snapshot-save", "--name", "a"]);
    assert_ne!(again.code, 0);
    assert!(again.error_line().contains("already exists"), "{}", again.all());
    // a tampered copy on h2 and a file without manifest on h3
    let mut bytes = std::fs::read(snapshot_dir(&tb, tb.h(1)).join("b.zip")).unwrap();
    bytes.push(0);
    std::fs::write(snapshot_dir(&tb, tb.h(1)).join("b.zip"), bytes).unwrap();
    std::fs::remove_file(snapshot_dir(&tb, tb.h(2)).join("c.zip.manifest.json")).unwrap();

    let ls = tb.stockade(&["etcd", "snapshot", "ls", "--output", "json"]);
    assert_eq!(ls.code, 0, "{}", ls.all());
    let rows: Vec<serde_json::Value> = serde_json::from_value(ls.event("snapshots")["snapshots"].clone()).unwrap();
    assert_eq!(rows.len(), 9, "{rows:?}");
    let status = |name: &str, host: usize| {
        rows.iter().find(|r| r["name"] == name && r["host"] == tb.h(host).ip.as_str()).map(|r| r["checksum"].as_str().unwrap().to_string()).unwrap()
    };
    assert_eq!(status("a", 0), "ok");
    assert_eq!(status("b", 1), "mismatch");
    assert_eq!(status("c", 2), "no_manifest");
    assert_eq!(status("c", 0), "ok");
    let text = tb.stockade(&["etcd", "snapshot", "ls"]);
    assert!(text.stdout.contains("mismatch") && text.stdout.contains("no manifest"), "{}", text.stdout);

    let p = tb.stockade(&["etcd", "snapshot", "prune", "--retention", "2"]);
    assert_eq!(p.code, 0, "{}", p.all());
    for h in &tb.hosts[..3] {
        let mut names: Vec<String> = std::fs::read_dir(snapshot_dir(&tb, h)).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|f| f.ends_with(".zip")).collect();
        names.sort();
        assert_eq!(names, vec!["b.zip", "c.zip"], "{}", h.name);
    }
    let d = tb.stockade(&["etcd", "snapshot", "delete", "b.zip"]);
    assert_eq!(d.code, 0, "{}", d.all());
    for h in &tb.hosts[..3] {
        assert!(!snapshot_dir(&tb, h).join("b.zip").exists() && !snapshot_dir(&tb, h).join("b.zip.manifest.json").exists());
        assert!(snapshot_dir(&tb, h).join("c.zip").exists());
    }
}

/// `snapshot-restore` killed with SIGKILL in the middle of restoring the members, and again after
/// etcd came back but before `up`: the next run finishes the restore.
#[test]
fn a_restore_killed_midway_is_finished_by_running_it_again() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "from-snapshot", "yes");
    let save = tb.stockade(&["etcd", "snapshot-save", "--name", "k"]);
    assert_eq!(save.code, 0, "{}", save.all());
    put(&tb, tb.h(0), "after", "gone");
    for marker in ["restored: previous data kept", "etcd members healthy on the restored data"] {
        tb.kill_stockade_at(&["etcd", "snapshot-restore", "--name", "k"], marker);
    }
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", "k"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "from-snapshot"), "yes", "{}", h.name);
        assert_eq!(get(&tb, h, "after"), "", "{}", h.name);
        assert!(!tb.host_path(h, "var-lib-etcd").join("stockade-before-restore").exists(), "{}", h.name);
        let names = tb.docker_out(h, &["ps", "-a", "--format", "{{.Names}}"]);
        assert!(names.lines().all(|n| !n.starts_with("stockade-")), "leftover helper containers on {}: {names}", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);
    assert!(tb.up_ok(&[]).all().contains("Nothing changed"));
}

/// Issue 8 with a real S3 server (Garage): save uploads from the etcd host (streamed, checked
/// against the manifest); every local copy deleted and etcd wiped, restore --s3 downloads onto
/// each host, verifies and restores; with S3 unreachable the local copies are kept, the error
/// says so and the exit code is not 0. S3 keys travel in the environment, never on a command line.
#[test]
fn save_to_s3_and_restore_from_s3_and_an_s3_failure_keeps_the_local_copies() {
    let tb = Testbed::get();
    let s3 = s3_server();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "before-s3-snapshot", "kept");
    let folder = format!("testbed-{}", std::process::id());
    let keys = [("STOCKADE_S3_ACCESS_KEY", s3.access_key.as_str()), ("STOCKADE_S3_SECRET_KEY", s3.secret_key.as_str())];
    let flags = |endpoint: &str| -> Vec<String> {
        ["--s3", "--s3-endpoint", endpoint, "--bucket-name", &s3.bucket, "--region", &s3.region, "--folder", &folder].map(String::from).to_vec()
    };
    let mut args: Vec<String> = ["etcd", "snapshot-save", "--name", "s3-one", "--debug"].map(String::from).to_vec();
    args.extend(flags(&s3.endpoint));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let save = tb.stockade_env(&refs, &keys);
    assert_eq!(save.code, 0, "{}", save.all());
    assert!(!save.all().contains(&s3.secret_key) && !save.all().contains(&s3.access_key), "an S3 key in the output");
    // the object is in S3, byte for byte the archive on the hosts, with its manifest beside it
    let settings = stockade::snapshot::s3::S3Settings {
        endpoint: Some(s3.endpoint.clone()),
        access_key: stockade::config::secret::Secret::new(s3.access_key.clone()),
        secret_key: stockade::config::secret::Secret::new(s3.secret_key.clone()),
        bucket: s3.bucket.clone(),
        region: s3.region.clone(),
        folder: folder.clone(),
        ..Default::default()
    };
    let store = stockade::snapshot::s3::S3Store::new(&settings).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listed: Vec<String> = rt.block_on(store.list()).unwrap().into_iter().map(|o| o.name).collect();
    assert!(listed.contains(&"s3-one.zip".to_string()) && listed.contains(&"s3-one.zip.manifest.json".to_string()), "{listed:?}");
    let fetched = tb.work.path().join("from-s3.zip");
    let got = rt.block_on(store.download_to("s3-one.zip", &fetched)).unwrap();
    let (_, local_sha) = stockade::snapshot::manifest::digest_reader(std::fs::File::open(snapshot_dir(&tb, tb.h(2)).join("s3-one.zip")).unwrap()).unwrap();
    assert_eq!(got.sha256, local_sha);

    // no local copy anywhere, etcd wiped: restore from S3 alone
    put(&tb, tb.h(1), "after-s3-snapshot", "gone");
    for h in &tb.hosts[..3] {
        for f in ["s3-one.zip", "s3-one.zip.manifest.json"] {
            std::fs::remove_file(snapshot_dir(&tb, h).join(f)).unwrap();
        }
    }
    wipe_etcd(&tb);
    let mut args: Vec<String> = ["etcd", "snapshot-restore", "--name", "s3-one"].map(String::from).to_vec();
    args.extend(flags(&s3.endpoint));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = tb.stockade_env(&refs, &keys);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "before-s3-snapshot"), "kept", "{}", h.name);
        assert_eq!(get(&tb, h, "after-s3-snapshot"), "", "{}", h.name);
        assert!(snapshot_dir(&tb, h).join("s3-one.zip").exists(), "{}: the downloaded copy is kept", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);

    // S3 down (nothing listens there): the snapshot is taken and kept on every host, exit != 0
    let mut args: Vec<String> = ["etcd", "snapshot-save", "--name", "s3-down"].map(String::from).to_vec();
    let down = format!("http://{}.1:9", tb.h(0).ip.rsplitn(2, '.').nth(1).unwrap());
    args.extend(flags(&down));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = tb.stockade_env(&refs, &keys);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("uploading to S3 failed") && r.all().contains("is kept"), "{}", r.all());
    for h in &tb.hosts[..3] {
        assert!(snapshot_dir(&tb, h).join("s3-down.zip").exists(), "{}: the local copy must be kept", h.name);
    }
    let _ = rt.block_on(async {
        for o in store.list().await.unwrap_or_default() {
            let _ = store.delete(&o.name).await;
        }
    });
}

/// `--encrypt`: the archive on every host is an age file (not a zip) whose manifest records it;
/// a restore without the key or with the wrong one is refused in the preflight (nothing stopped);
/// with the key (recipient's identity file, or the passphrase) the data written before is back.
/// The passphrase appears in no agent container's `docker inspect` and in no output.
#[test]
fn an_encrypted_snapshot_restores_only_with_its_key() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "sealed-before", "kept");
    let pass = "testbed-snapshot-passphrase-7f3a";
    let (stop, watcher) = watch_agent_containers(&tb);
    let save = tb.stockade_env(&["--debug", "etcd", "snapshot-save", "--name", "sealed", "--encrypt"], &[("STOCKADE_SNAPSHOT_PASSPHRASE", pass)]);
    stop.store(true, Ordering::SeqCst);
    let inspected = watcher.join().unwrap();
    assert_eq!(save.code, 0, "{}", save.all());
    assert!(!save.all().contains(pass), "the passphrase leaked into the output");
    assert!(!inspected.is_empty());
    assert!(inspected.iter().all(|i| !i.contains(pass)), "docker inspect of an agent container shows the passphrase");
    let mut sealed = Vec::new();
    for h in &tb.hosts[..3] {
        let file = snapshot_dir(&tb, h).join("sealed.zip");
        let bytes = std::fs::read(&file).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"), "{}: not an age file", h.name);
        assert!(zip::ZipArchive::new(std::io::Cursor::new(&bytes)).is_err(), "{}: the file opens as a zip", h.name);
        let m = stockade::snapshot::manifest::Manifest::from_json(&std::fs::read_to_string(snapshot_dir(&tb, h).join("sealed.zip.manifest.json")).unwrap(), &h.name).unwrap();
        let (size, sha) = stockade::snapshot::manifest::digest_reader(&bytes[..]).unwrap();
        assert!(m.encrypted && m.size == size && m.sha256 == sha, "{}: the manifest describes the encrypted file: {m:?}", h.name);
        sealed = bytes;
    }
    // the standard age format: the age crate (as the `age`/`rage` CLIs) decrypts it to RKE1's zip
    let mut plain = Vec::new();
    let id = stockade::snapshot::crypt::Decrypt::Passphrase(stockade::config::secret::Secret::new(pass));
    id.decrypt_to(&sealed[..], &mut plain).unwrap();
    let i = stockade::snapshot::archive::inspect_zip(std::io::Cursor::new(&plain), "sealed").unwrap();
    assert!(i.has_state && matches!(i.integrity, stockade::snapshot::archive::Integrity::Ok { .. }));

    put(&tb, tb.h(1), "sealed-after", "gone");
    let before = started(&tb);
    for (what, env) in [("no key", vec![]), ("wrong passphrase", vec![("STOCKADE_SNAPSHOT_PASSPHRASE", "not-the-passphrase")])] {
        let r = tb.stockade_env(&["etcd", "snapshot-restore", "--name", "sealed"], &env);
        assert_ne!(r.code, 0, "{what}: restore went ahead:\n{}", r.all());
        assert!(r.error_line().contains("nothing was stopped"), "{what}: {}", r.all());
        let why = if what == "no key" { "is encrypted" } else { "does not decrypt" };
        assert!(r.all().contains(why), "{what}: {}", r.all());
        assert!(!r.all().contains("==> Stop"), "{what}: {}", r.all());
        assert_eq!(started(&tb), before, "{what}: a container was stopped or restarted");
    }
    // an identity file that is not the one: refused the same way
    let other = tb.work.path().join("other-key.txt");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&other, format!("{}\n", age::x25519::Identity::generate().to_string().expose_secret())).unwrap();
    }
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", "sealed", "--decrypt-identity", other.to_str().unwrap()]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.error_line().contains("nothing was stopped") && r.all().contains("does not decrypt"), "{}", r.all());
    assert_eq!(started(&tb), before);

    let pf = tb.work.path().join("pass.txt");
    std::fs::write(&pf, format!("{pass}\n")).unwrap();
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", "sealed", "--passphrase-file", pf.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.all().contains(pass));
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "sealed-before"), "kept", "{}", h.name);
        assert_eq!(get(&tb, h, "sealed-after"), "", "{}", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);
}

/// `--encrypt-recipient`: encrypted to a public key, restored with its identity file.
#[test]
fn a_snapshot_encrypted_to_a_recipient_restores_with_its_identity() {
    use age::secrecy::ExposeSecret;
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "to-recipient", "kept");
    let id = age::x25519::Identity::generate();
    let save = tb.stockade(&["etcd", "snapshot-save", "--name", "to-key", "--encrypt-recipient", &id.to_public().to_string()]);
    assert_eq!(save.code, 0, "{}", save.all());
    assert!(std::fs::read(snapshot_dir(&tb, tb.h(2)).join("to-key.zip")).unwrap().starts_with(b"age-encryption.org/v1\n"));
    put(&tb, tb.h(0), "to-recipient", "changed");
    // a passphrase does not open a file encrypted to a key
    let r = tb.stockade_env(&["etcd", "snapshot-restore", "--name", "to-key"], &[("STOCKADE_SNAPSHOT_PASSPHRASE", "whatever")]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.error_line().contains("nothing was stopped"), "{}", r.all());
    let idf = tb.work.path().join("key.txt");
    std::fs::write(&idf, format!("# test\n{}\n", id.to_string().expose_secret())).unwrap();
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", "to-key", "--decrypt-identity", idf.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(get(&tb, tb.h(1), "to-recipient"), "kept");
}

fn rolling_on(tb: &Testbed, h: &TbHost) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(snapshot_dir(tb, h))
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str().map(String::from)).filter(|n| n.ends_with("_etcd.zip")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// `services.etcd.backup_config` (retention 2, S3) with a short interval (the hidden
/// STOCKADE_SNAPSHOT_INTERVAL_SECONDS): `up` replaces RKE1's `etcd-rolling-snapshots` by
/// `stockade-etcd-snapshots` on every etcd host; snapshots appear on every host, verified against
/// their manifests, and in S3 (from one host); retention prunes both; `docker inspect` shows no S3
/// key or state; a second `up` keeps the containers; `snapshot: false` removes them.
#[test]
fn recurring_snapshots_replace_rke1s_appear_everywhere_and_are_pruned() {
    use stockade::snapshot::recurring::{CONTAINER, INTERVAL_ENV, RKE1_CONTAINER};
    let tb = Testbed::get();
    let s3 = s3_server();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    for h in &tb.hosts[..3] {
        let _ = tb.docker(h, &["rm", "-f", CONTAINER, RKE1_CONTAINER]);
        let _ = std::fs::remove_dir_all(snapshot_dir(&tb, h));
        // what an RKE1-built cluster runs
        let o = tb.docker(h, &["run", "-d", "--name", RKE1_CONTAINER, "--label", &format!("io.rancher.rke.container.name={RKE1_CONTAINER}"), TOOLS_IMAGE, "sleep", "100000"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let folder = format!("stockade-tests/recurring-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    let yml = tb.cluster_yml(
        3,
        &format!(
            "services:\n  etcd:\n    backup_config:\n      interval_hours: 12\n      retention: 2\n      s3backupconfig:\n        endpoint: {}\n        bucket_name: {}\n        region: {}\n        folder: {folder}\n        access_key: {}\n        secret_key: {}\n",
            s3.endpoint, s3.bucket, s3.region, s3.access_key, s3.secret_key
        ),
    );
    tb.write_config(&yml);
    let archive = tb.archive();
    let up = |extra: &[&str]| {
        let mut args = vec!["up", "--image-archive", archive.to_str().unwrap()];
        args.extend(extra);
        tb.stockade_env(&args, &[(INTERVAL_ENV, "8")])
    };
    let plan = up(&["--dry-run"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan.all().contains(CONTAINER) && plan.all().contains(RKE1_CONTAINER), "the dry run shows the create and the replacement:\n{}", plan.all());
    assert!(tb.running(tb.h(0)).contains(&RKE1_CONTAINER.to_string()), "the dry run changed nothing");

    let r = up(&["--debug"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.all().contains(&s3.secret_key), "the S3 secret key is in up's output");
    assert!(r.all().contains(&format!("RKE1's {RKE1_CONTAINER} replaced by {CONTAINER}")), "{}", r.all());
    for h in &tb.hosts[..3] {
        let running = tb.running(h);
        assert!(running.contains(&CONTAINER.to_string()) && !running.contains(&RKE1_CONTAINER.to_string()), "{}: {running:?}", h.name);
        let inspect = tb.docker_out(h, &["inspect", CONTAINER]);
        for secret in [s3.secret_key.as_str(), s3.access_key.as_str(), "PRIVATE KEY", "certificatesBundle"] {
            assert!(!inspect.contains(secret), "{}: docker inspect shows {secret}", h.name);
        }
        assert!(inspect.contains("\"unless-stopped\""), "{inspect}");
        assert_eq!(file_mode(&tb.host_path(h, "etc-kubernetes").join("stockade-etcd-snapshots.json")), 0o600, "{}", h.name);
    }

    // within a few intervals: a snapshot on every host, then the retention prunes (2 kept)
    let start = std::time::Instant::now();
    let mut pruned = false;
    while start.elapsed() < std::time::Duration::from_secs(150) {
        let every_host = tb.hosts[..3].iter().all(|h| !rolling_on(&tb, h).is_empty());
        // the first host also prunes in S3; the others prune locally
        if every_host && tb.docker_out(tb.h(0), &["logs", CONTAINER]).contains("pruned in S3") && tb.docker_out(tb.h(1), &["logs", CONTAINER]).contains("; pruned ") {
            pruned = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    let logs = tb.docker_out(tb.h(0), &["logs", CONTAINER]) + &tb.docker_out(tb.h(1), &["logs", CONTAINER]);
    assert!(pruned, "no pruning seen within 150 s:\n{logs}\nh1: {:?}", rolling_on(&tb, tb.h(1)));
    assert!(!logs.contains(&s3.secret_key));
    for h in &tb.hosts[..3] {
        let names = rolling_on(&tb, h);
        assert!(!names.is_empty() && names.len() <= 2, "{}: {names:?}", h.name);
        for n in &names {
            let zip = snapshot_dir(&tb, h).join(n);
            let (size, sha) = stockade::snapshot::manifest::digest_reader(std::fs::File::open(&zip).unwrap()).unwrap();
            let m = stockade::snapshot::manifest::Manifest::from_json(&std::fs::read_to_string(snapshot_dir(&tb, h).join(format!("{n}.manifest.json"))).unwrap(), n).unwrap();
            assert_eq!((m.size, m.sha256), (size, sha), "{}: {n}", h.name);
            let i = stockade::snapshot::archive::inspect_zip(std::fs::File::open(&zip).unwrap(), n.trim_end_matches(".zip")).unwrap();
            assert!(i.has_state && matches!(i.integrity, stockade::snapshot::archive::Integrity::Ok { .. }), "{}: {n}", h.name);
        }
    }
    // in S3: the first etcd host's, pruned the same way, each with its manifest
    let settings = stockade::snapshot::s3::S3Settings {
        endpoint: Some(s3.endpoint.clone()),
        access_key: stockade::config::secret::Secret::new(&s3.access_key),
        secret_key: stockade::config::secret::Secret::new(&s3.secret_key),
        bucket: s3.bucket.clone(),
        region: s3.region.clone(),
        folder: folder.clone(),
        ..Default::default()
    };
    let store = stockade::snapshot::s3::S3Store::new(&settings).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let objects: Vec<String> = rt.block_on(store.list()).unwrap().into_iter().map(|o| o.name).collect();
    let archives: Vec<&String> = objects.iter().filter(|n| n.ends_with("_etcd.zip")).collect();
    assert!(!archives.is_empty() && archives.len() <= 2, "{objects:?}");
    assert!(archives.iter().all(|a| objects.contains(&format!("{a}.manifest.json"))), "{objects:?}");

    // a second up keeps the containers as they are
    let ids: Vec<String> = tb.hosts[..3].iter().map(|h| tb.docker_out(h, &["inspect", "-f", "{{.Id}}", CONTAINER])).collect();
    let again = up(&[]);
    assert_eq!(again.code, 0, "{}", again.all());
    let after: Vec<String> = tb.hosts[..3].iter().map(|h| tb.docker_out(h, &["inspect", "-f", "{{.Id}}", CONTAINER])).collect();
    assert_eq!(ids, after, "{}", again.all());
    assert!(!again.all().contains(&format!("created {CONTAINER}")), "{}", again.all());

    // turned off: the containers go; the snapshots stay
    tb.write_config(&tb.cluster_yml(3, "services:\n  etcd:\n    snapshot: false\n"));
    let off = up(&[]);
    assert_eq!(off.code, 0, "{}", off.all());
    for h in &tb.hosts[..3] {
        assert!(!tb.running(h).contains(&CONTAINER.to_string()), "{}", h.name);
        assert!(!rolling_on(&tb, h).is_empty(), "{}", h.name);
    }
    for o in objects {
        let _ = rt.block_on(store.delete(&o));
    }
}

/// `services.etcd.backup_config.age_recipients` (a stockade extension): the recurring snapshots
/// are age files on the hosts, with `encrypted: true` in their manifests, and decrypt with the
/// identity into RKE1's zip layout; a restore of one of them (on one host only: each host takes
/// and names its own) is refused without the identity, before anything stops, and with
/// `--decrypt-identity` copies it to the other etcd hosts and restores it.
#[test]
fn recurring_snapshots_encrypted_to_a_recipient_restore_with_the_identity() {
    use age::secrecy::ExposeSecret;
    use stockade::snapshot::recurring::{CONTAINER, INTERVAL_ENV};
    let tb = Testbed::get();
    let id = age::x25519::Identity::generate();
    let yml = tb.cluster_yml(3, &format!("services:\n  etcd:\n    backup_config:\n      retention: 20\n      age_recipients:\n        - {}\n", id.to_public()));
    tb.write_config(&yml);
    let archive = tb.archive();
    let up = tb.stockade_env(&["up", "--image-archive", archive.to_str().unwrap()], &[(INTERVAL_ENV, "4")]);
    assert_eq!(up.code, 0, "{}", up.all());
    put(&tb, tb.h(0), "recurring-before", "kept");
    let put_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;

    // a recurring snapshot taken after the key was written, found on exactly one host
    let names_on = |i: usize| rolling_on(&tb, tb.h(i));
    // a snapshot of h2 taken after the key was written
    let after_put = |n: &String| {
        let m = snapshot_dir(&tb, tb.h(1)).join(format!("{n}.manifest.json"));
        std::fs::read_to_string(m).ok().and_then(|t| stockade::snapshot::manifest::Manifest::from_json(&t, n).ok()).is_some_and(|m| m.created_unix > put_at)
    };
    let start = std::time::Instant::now();
    let (host, file) = loop {
        let all: Vec<Vec<String>> = (0..3).map(names_on).collect();
        let only_on_h2 = all[1].iter().filter(|n| after_put(n)).find(|n| !all[0].contains(n) && !all[2].contains(n)).cloned();
        if let Some(n) = only_on_h2 {
            break (1usize, n);
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(90), "no recurring snapshot on h2 alone within 90 s: {all:?}\n{}", tb.docker_out(tb.h(1), &["logs", CONTAINER]));
        std::thread::sleep(std::time::Duration::from_secs(1));
    };
    // frozen: no more rounds (and no pruning) while the test restores
    for h in &tb.hosts[..3] {
        assert!(tb.docker(h, &["stop", CONTAINER]).status.success());
    }
    // names are times to the second: a round another host was still writing when h2's was seen
    // can have the same name. Chosen again from the frozen directories: on h2 alone, after the put
    let all: Vec<Vec<String>> = (0..3).map(names_on).collect();
    let alone: Vec<&String> = all[1].iter().filter(|n| after_put(n) && !all[0].contains(n) && !all[2].contains(n)).collect();
    let file = if alone.contains(&&file) { file } else { alone.first().map(|n| n.to_string()).unwrap_or_else(|| panic!("{file} is no longer on h2 alone, and no other snapshot is: {all:?}")) };
    let name = file.trim_end_matches(".zip").to_string();
    let path = snapshot_dir(&tb, tb.h(host)).join(&file);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"), "{file} is not an age file");
    let m = stockade::snapshot::manifest::Manifest::from_json(&std::fs::read_to_string(snapshot_dir(&tb, tb.h(host)).join(format!("{file}.manifest.json"))).unwrap(), &file).unwrap();
    assert!(m.encrypted, "{m:?}");
    let identity = format!("# test\n{}\n", id.to_string().expose_secret());
    let key = stockade::snapshot::crypt::Decrypt::Identities(stockade::config::secret::Secret::new(&identity));
    let mut plain = Vec::new();
    key.decrypt_to(&bytes[..], &mut plain).unwrap();
    let i = stockade::snapshot::archive::inspect_zip(std::io::Cursor::new(plain), &name).unwrap();
    assert!(i.has_state && matches!(i.integrity, stockade::snapshot::archive::Integrity::Ok { .. }), "decrypted: RKE1's zip with the state");
    assert!(!tb.docker_out(tb.h(host), &["inspect", CONTAINER]).contains("AGE-SECRET-KEY"));

    put(&tb, tb.h(0), "recurring-after", "gone");
    wipe_etcd(&tb);
    let before = started(&tb);
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", &name]);
    assert_ne!(r.code, 0, "restored without the identity:\n{}", r.all());
    assert!(r.all().contains("--decrypt-identity") && r.error_line().contains("nothing was stopped"), "{}", r.all());
    assert_eq!(started(&tb), before, "a container was stopped or restarted");

    let idf = tb.work.path().join("recurring-key.txt");
    std::fs::write(&idf, &identity).unwrap();
    let r = tb.stockade(&["etcd", "snapshot-restore", "--name", &name, "--decrypt-identity", idf.to_str().unwrap(), "--copy-missing"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "recurring-before"), "kept", "{}", h.name);
        assert_eq!(get(&tb, h, "recurring-after"), "", "{}", h.name);
        assert_eq!(std::fs::read(snapshot_dir(&tb, h).join(&file)).unwrap(), bytes, "{}: the copy is the encrypted file itself", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);
}

/// RKE1's declarative restore: `restore: {restore: true, snapshot_name: N}` in cluster.yml makes
/// `up` restore N first; the dry run says so and changes nothing; the next `up` does not restore
/// again; a missing snapshot is refused before anything stops.
#[test]
fn restore_in_cluster_yml_makes_up_restore_once() {
    let tb = Testbed::get();
    tb.write_config(&tb.cluster_yml(3, ""));
    tb.up_ok(&[]);
    put(&tb, tb.h(0), "declared-before", "kept");
    let save = tb.stockade(&["etcd", "snapshot-save", "--name", "declared"]);
    assert_eq!(save.code, 0, "{}", save.all());
    put(&tb, tb.h(0), "declared-after", "gone");

    tb.write_config(&tb.cluster_yml(3, "restore:\n  restore: true\n  snapshot_name: no-such-snapshot\n"));
    let before = started(&tb);
    let r = tb.stockade(&["up", "--image-archive", tb.archive().to_str().unwrap()]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.error_line().contains("nothing was stopped"), "{}", r.all());
    assert_eq!(started(&tb), before);

    tb.write_config(&tb.cluster_yml(3, "restore:\n  restore: true\n  snapshot_name: declared.zip\n"));
    let plan = tb.stockade(&["up", "--dry-run", "--image-archive", tb.archive().to_str().unwrap()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan.all().contains("would restore etcd from it first"), "{}", plan.all());
    assert_eq!(get(&tb, tb.h(0), "declared-after"), "gone", "the dry run restored");

    let r = tb.up_ok(&[]);
    assert!(r.all().contains("restoring etcd from it first"), "{}", r.all());
    for h in &tb.hosts[..3] {
        assert_eq!(get(&tb, h, "declared-before"), "kept", "{}", h.name);
        assert_eq!(get(&tb, h, "declared-after"), "", "{}", h.name);
    }
    assert_eq!(healthy_members(&tb), 3);
    // once: a key written now survives the next up
    put(&tb, tb.h(1), "declared-later", "stays");
    let again = tb.up_ok(&[]);
    assert!(!again.all().contains("restoring etcd"), "{}", again.all());
    assert!(again.all().contains("Nothing changed"), "{}", again.all());
    assert_eq!(get(&tb, tb.h(2), "declared-later"), "stays");
}
