//! Harness for the testbed tests: finds the running testbed (fails loudly when there is none),
//! resets hosts between tests without using stockade, runs the stockade binary, and inspects
//! hosts from the laptop side (each host's Docker socket and private directories).
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

pub mod rke1;

/// Tests share the hosts, so they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

pub struct Testbed {
    pub dir: PathBuf,
    pub hosts: Vec<TbHost>,
    pub work: tempfile::TempDir,
    _guard: MutexGuard<'static, ()>,
}

#[derive(Clone)]
pub struct TbHost {
    pub name: String,
    pub ip: String,
    pub socket: String,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    /// The events of `--output json`: every stdout line is one JSON object, and the last one is
    /// the outcome (checked here, for every test that reads events).
    pub fn events(&self) -> Vec<serde_json::Value> {
        let events: Vec<serde_json::Value> =
            self.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", self.all()))).collect();
        let last = events.last().unwrap_or_else(|| panic!("no events: {}", self.all()));
        assert_eq!(last["event"], "outcome", "the outcome is the last line: {}", self.stdout);
        assert_eq!(last["exit_code"], self.code, "the outcome says the exit code: {}", self.all());
        events
    }
    /// The one event of this kind (a command's result: `plan`, `report`, `snapshots`).
    pub fn event(&self, kind: &str) -> serde_json::Value {
        let mut found: Vec<serde_json::Value> = self.events().into_iter().filter(|e| e["event"] == kind).collect();
        assert_eq!(found.len(), 1, "one {kind} event: {}", self.stdout);
        found.remove(0)
    }
    /// The single `error:` line stockade prints on failure.
    pub fn error_line(&self) -> String {
        self.stderr.lines().filter(|l| l.starts_with("error: ")).collect::<Vec<_>>().join("\n")
    }
}

pub const ETCD_IMAGE: &str = "stockade-testbed/etcd:v3.4.23";
pub const TOOLS_IMAGE: &str = "stockade-testbed/tools:v1";
/// tests/standin: takes the place of the Kubernetes components (not Kubernetes)
pub const K8S_STANDIN_IMAGE: &str = "stockade-testbed/kubernetes-standin:v1.31.1";
/// host directories a stockade run may touch, as named under `hosts/hN/fs`
pub const HOST_DIRS: [&str; 6] = ["etc-kubernetes", "var-lib-etcd", "opt-rke", "etc-cni", "var-lib-kubelet", "var-log-kube-audit"];

impl Testbed {
    /// The running testbed with every host reset to empty (no containers, no cluster files).
    pub fn get() -> Testbed {
        let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let dir = PathBuf::from(std::env::var("STOCKADE_TESTBED_DIR").unwrap_or_else(|_| "/tmp/stockade-testbed".into()));
        let list = std::fs::read_to_string(dir.join("hosts.txt")).unwrap_or_else(|_| {
            panic!("no testbed at {}: start it with `sudo tests/testbed/up.sh 3` (or run tests/run.sh)", dir.display())
        });
        let hosts: Vec<TbHost> = list
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                TbHost { name: f[0].into(), ip: f[1].into(), socket: f[2].into() }
            })
            .collect();
        assert!(hosts.len() >= 5, "the testbed needs 5 hosts (testbed/up.sh 5), has {}", hosts.len());
        let tb = Testbed { dir, hosts, work: tempfile::tempdir().unwrap(), _guard: guard };
        for h in &tb.hosts {
            assert!(tb.docker(h, &["version"]).status.success(), "dockerd of {} does not answer", h.name);
        }
        tb.reset();
        tb
    }

    pub fn h(&self, i: usize) -> &TbHost {
        &self.hosts[i]
    }

    pub fn docker(&self, h: &TbHost, args: &[&str]) -> Output {
        Command::new("docker").arg("-H").arg(format!("unix://{}", h.socket)).args(args).output().expect("docker CLI")
    }

    pub fn docker_out(&self, h: &TbHost, args: &[&str]) -> String {
        let o = self.docker(h, args);
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// Removes every container and the cluster directories on every host, directly.
    pub fn reset(&self) {
        for h in &self.hosts {
            let ids = self.docker_out(h, &["ps", "-aq"]);
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f"];
                args.extend(ids.lines());
                self.docker(h, &args);
            }
            for d in HOST_DIRS {
                let p = self.host_path(h, d);
                if let Ok(entries) = std::fs::read_dir(&p) {
                    for e in entries.flatten() {
                        let _ = std::fs::remove_dir_all(e.path()).or_else(|_| std::fs::remove_file(e.path()));
                    }
                }
            }
        }
    }

    /// Laptop-side path of a host's private directory (`etc-kubernetes` → its /etc/kubernetes).
    pub fn host_path(&self, h: &TbHost, mangled: &str) -> PathBuf {
        self.dir.join("hosts").join(&h.name).join("fs").join(mangled)
    }

    pub fn container_id(&self, h: &TbHost, name: &str) -> String {
        self.docker_out(h, &["inspect", "-f", "{{.Id}}", name])
    }

    pub fn has_image(&self, h: &TbHost, image: &str) -> bool {
        self.docker(h, &["image", "inspect", image]).status.success()
    }

    pub fn managed_containers(&self, h: &TbHost) -> Vec<String> {
        let out = self.docker_out(h, &["ps", "-a", "--filter", "label=io.stockade.managed", "--format", "{{.Names}}"]);
        out.lines().map(String::from).collect()
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.join("keys/id_ed25519")
    }
    pub fn archive(&self) -> PathBuf {
        self.dir.join("images/stockade-testbed-images.tar")
    }

    /// A cluster.yml for the first `n` hosts with every role; `extra` is appended verbatim.
    pub fn cluster_yml(&self, n: usize, extra: &str) -> String {
        let roles: Vec<(usize, &str)> = (0..n).map(|i| (i, "[etcd, controlplane, worker]")).collect();
        self.cluster_yml_roles(&roles, extra)
    }

    /// A cluster.yml for the given hosts (index into the testbed) and roles, with recurring etcd
    /// snapshots off (`services.etcd.snapshot: false`) unless `extra` speaks of snapshots: tests
    /// about other things need no `stockade-etcd-snapshots` container on every etcd host. The
    /// RKE1 default (recurring snapshots on) is exercised through `cluster_yml_rke1_defaults`.
    pub fn cluster_yml_roles(&self, hosts: &[(usize, &str)], extra: &str) -> String {
        self.cluster_yml_roles_as_given(hosts, &without_recurring_snapshots(extra))
    }

    /// A cluster.yml that leaves recurring snapshots at RKE1's default (on: every 12 h, 6 kept).
    pub fn cluster_yml_rke1_defaults(&self, n: usize, extra: &str) -> String {
        let roles: Vec<(usize, &str)> = (0..n).map(|i| (i, "[etcd, controlplane, worker]")).collect();
        self.cluster_yml_roles_as_given(&roles, extra)
    }

    /// A cluster.yml for the given hosts (index into the testbed) and roles, `extra` as given.
    pub fn cluster_yml_roles_as_given(&self, hosts: &[(usize, &str)], extra: &str) -> String {
        let mut s = format!("cluster_name: testbed\nssh_key_path: {}\nnodes:\n", self.key().display());
        for (i, roles) in hosts {
            let h = &self.hosts[*i];
            s.push_str(&format!("  - address: {}\n    user: root\n    role: {roles}\n    hostname_override: {}\n", h.ip, h.name));
        }
        s.push_str(&format!(
            "system_images:\n  etcd: {ETCD_IMAGE}\n  alpine: {TOOLS_IMAGE}\n  nginx_proxy: {TOOLS_IMAGE}\n  cert_downloader: {TOOLS_IMAGE}\n  kubernetes_services_sidecar: {TOOLS_IMAGE}\n  kubernetes: {K8S_STANDIN_IMAGE}\n  pod_infra_container: {TOOLS_IMAGE}\n"
        ));
        s.push_str(extra);
        s
    }

    /// Names of the running containers on a host, sorted.
    pub fn running(&self, h: &TbHost) -> Vec<String> {
        let mut v: Vec<String> = self.docker_out(h, &["ps", "--format", "{{.Names}}"]).lines().map(String::from).collect();
        v.sort();
        v
    }

    pub fn write_config(&self, text: &str) -> PathBuf {
        let p = self.work.path().join("cluster.yml");
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn state_path(&self) -> PathBuf {
        self.work.path().join("cluster.rkestate")
    }

    /// Runs stockade in the work directory with the testbed's known_hosts and image archive.
    pub fn stockade(&self, args: &[&str]) -> Run {
        self.stockade_env(args, &[])
    }

    pub fn stockade_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stockade"));
        cmd.current_dir(self.work.path())
            .args(args)
            .env("STOCKADE_KNOWN_HOSTS", self.known_hosts())
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("STOCKADE_SSH_PASSPHRASE")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let o = cmd.output().expect("run stockade");
        let r = Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        eprintln!("$ stockade {}\n{}{}(exit {})", args.join(" "), r.stdout, r.stderr, r.code);
        r
    }

    /// `up` with the image archive, expected to succeed.
    pub fn up_ok(&self, extra: &[&str]) -> Run {
        let archive = self.archive();
        let mut args = vec!["up", "--image-archive", archive.to_str().unwrap()];
        args.extend(extra);
        let r = self.stockade(&args);
        assert_eq!(r.code, 0, "stockade up failed:\n{}", r.all());
        r
    }

    /// Writes the CA and kube-node client certificate from the state file to the work dir.
    pub fn client_certs(&self) -> (PathBuf, PathBuf, PathBuf) {
        let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(self.state_path()).unwrap()).unwrap();
        let b = &s["currentState"]["certificatesBundle"];
        let w = |name: &str, v: &serde_json::Value| {
            let p = self.work.path().join(name);
            std::fs::write(&p, v.as_str().expect("PEM in state")).unwrap();
            p
        };
        (w("ca.pem", &b["kube-ca"]["certificatePEM"]), w("node.pem", &b["kube-node"]["certificatePEM"]), w("node-key.pem", &b["kube-node"]["keyPEM"]))
    }

    /// etcdctl from the laptop against one member, with the state's client certificates.
    pub fn etcdctl(&self, h: &TbHost, args: &[&str]) -> Output {
        let (ca, cert, key) = self.client_certs();
        Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints=https://{}:2379", h.ip))
            .arg(format!("--cacert={}", ca.display()))
            .arg(format!("--cert={}", cert.display()))
            .arg(format!("--key={}", key.display()))
            .arg("--dial-timeout=5s")
            .args(args)
            .output()
            .expect("etcdctl")
    }

    /// Runs stockade with `args` and SIGKILLs it as soon as a line of its stderr contains
    /// `marker` (a run interrupted at a known point); fails when it finished before that.
    pub fn kill_stockade_at(&self, args: &[&str], marker: &str) {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_stockade"))
            .current_dir(self.work.path())
            .args(args)
            .env("STOCKADE_KNOWN_HOSTS", self.known_hosts())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut seen = Vec::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            seen.push(line.clone());
            if line.contains(marker) {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
        let status = child.wait().unwrap();
        assert!(!status.success(), "stockade {args:?} finished before {marker:?}: {seen:?}");
        eprintln!("killed at {marker:?} after:\n{}", seen.join("\n"));
    }

    /// Runs a command inside host `h`'s network namespace (as testbed/lib.sh names it).
    pub fn in_netns(&self, h: &TbHost, cmd: &[&str]) -> Output {
        Command::new("ip").args(["netns", "exec", &netns(h)]).args(cmd).output().expect("ip netns exec")
    }

    /// Starts a command inside host `h`'s network namespace and leaves it running (the caller kills it).
    pub fn spawn_in_netns(&self, h: &TbHost, cmd: &[&str]) -> std::process::Child {
        Command::new("ip").args(["netns", "exec", &netns(h)]).args(cmd).stdout(std::process::Stdio::null()).spawn().expect("ip netns exec")
    }

    /// Makes host `h`'s Docker report `os` as its OperatingSystem (`None`: its own again), by
    /// testbed/host-os.sh (restarts that host's dockerd). The returned guard puts the host's own
    /// back when dropped, also when the test fails.
    pub fn host_os(&self, h: &TbHost, os: &str) -> HostOsGuard {
        run_host_os(h, os);
        HostOsGuard { host: h.clone() }
    }
    /// True when no host has a stockade container or any file in the cluster directories.
    pub fn hosts_untouched(&self) -> bool {
        self.hosts.iter().all(|h| {
            self.managed_containers(h).is_empty()
                && HOST_DIRS.iter().all(|d| std::fs::read_dir(self.host_path(h, d)).map(|mut e| e.next().is_none()).unwrap_or(true))
        })
    }
}

/// `extra` with `services.etcd.snapshot: false` merged in, unless it already says anything about
/// snapshots (`snapshot:`, `backup_config:`).
pub fn without_recurring_snapshots(extra: &str) -> String {
    if extra.contains("snapshot:") || extra.contains("backup_config:") {
        return extra.to_string();
    }
    let at_line_start = |key: &str| extra.find(key).filter(|&i| i == 0 || extra.as_bytes()[i - 1] == b'\n');
    if let Some(i) = at_line_start("services:\n  etcd:\n") {
        let end = i + "services:\n  etcd:\n".len();
        return format!("{}    snapshot: false\n{}", &extra[..end], &extra[end..]);
    }
    if let Some(i) = at_line_start("services:\n") {
        let end = i + "services:\n".len();
        return format!("{}  etcd:\n    snapshot: false\n{}", &extra[..end], &extra[end..]);
    }
    let sep = if extra.is_empty() || extra.ends_with('\n') { "" } else { "\n" };
    format!("{extra}{sep}services:\n  etcd:\n    snapshot: false\n")
}

pub fn file_mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The testbed's real S3 server (testbed/s3.sh: one Garage node on the bridge), from
/// `$STOCKADE_TESTBED_DIR/s3.env`. Fails loudly when it is not there: S3 tests never skip.
pub struct S3Server {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    /// A second S3 server (moto) behind TLS, for the custom-CA path: Garage has no TLS listener.
    pub tls_endpoint: String,
    /// PEM of the CA that signed the TLS server's certificate.
    pub tls_ca_pem: String,
    /// A Python with boto3 (testbed/s3.sh), for checks the client under test does not offer.
    pub tools_python: String,
}

impl S3Server {
    /// Multipart uploads begun and neither completed nor aborted under `prefix` (ListMultipartUploads,
    /// through boto3: object_store does not list them).
    pub fn pending_multipart_uploads(&self, prefix: &str) -> Vec<String> {
        let script = "import boto3,sys\n\
c=boto3.client('s3',endpoint_url=sys.argv[1],region_name=sys.argv[2],aws_access_key_id=sys.argv[4],aws_secret_access_key=sys.argv[5])\n\
r=c.list_multipart_uploads(Bucket=sys.argv[3],Prefix=sys.argv[6])\n\
[print(u['Key']) for u in r.get('Uploads',[])]\n";
        let out = std::process::Command::new(&self.tools_python)
            .args(["-c", script, &self.endpoint, &self.region, &self.bucket, &self.access_key, &self.secret_key, prefix])
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.tools_python));
        assert!(out.status.success(), "ListMultipartUploads failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }
}

pub fn s3_server() -> S3Server {
    let dir = PathBuf::from(std::env::var("STOCKADE_TESTBED_DIR").unwrap_or_else(|_| "/tmp/stockade-testbed".into()));
    let file = dir.join("s3.env");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!("no S3 server for the testbed ({}: {e}): start it with `testbed/s3.sh` after `testbed/up.sh` (tests/run.sh does both)", file.display())
    });
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{} has no {k}", file.display()))
            .to_string()
    };
    let s = S3Server {
        endpoint: get("S3_ENDPOINT"),
        region: get("S3_REGION"),
        bucket: get("S3_BUCKET"),
        access_key: get("S3_ACCESS_KEY"),
        secret_key: get("S3_SECRET_KEY"),
        tls_endpoint: get("S3_TLS_ENDPOINT"),
        tls_ca_pem: std::fs::read_to_string(get("S3_TLS_CA")).expect("S3_TLS_CA names a readable PEM file"),
        tools_python: get("S3_TOOLS_PYTHON"),
    };
    let addr = s.endpoint.trim_start_matches("http://").trim_end_matches('/').to_string();
    let sock: std::net::SocketAddr = addr.parse().unwrap_or_else(|_| panic!("S3_ENDPOINT {} is not http://ip:port", s.endpoint));
    std::net::TcpStream::connect_timeout(&sock, std::time::Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("the testbed's S3 server at {} does not answer ({e}): run testbed/s3.sh", s.endpoint));
    s
}

fn run_host_os(h: &TbHost, os: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testbed/host-os.sh");
    let out = Command::new(&script).arg(h.name.trim_start_matches('h')).arg(os).output().expect("testbed/host-os.sh");
    assert!(out.status.success(), "testbed/host-os.sh {} {os:?}: {}", h.name, String::from_utf8_lossy(&out.stderr));
}

/// Gives a host its own operating system back (see `Testbed::host_os`).
pub struct HostOsGuard {
    host: TbHost,
}

impl Drop for HostOsGuard {
    fn drop(&mut self) {
        run_host_os(&self.host, "--reset");
    }
}

/// Host `h`'s network namespace, as testbed/lib.sh names it.
fn netns(h: &TbHost) -> String {
    let prefix = std::env::var("STOCKADE_TESTBED_NAME").unwrap_or_else(|_| "stk".into());
    format!("{prefix}{}", h.name.trim_start_matches('h'))
}
