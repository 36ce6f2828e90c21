//! OpenSSH `known_hosts`, checked the way `ssh` with `StrictHostKeyChecking` checks it.
//!
//! Written here rather than taken from russh because its check answers "unknown" when the host
//! is recorded only with a key of another algorithm: `--ssh-accept-new` then accepted a
//! substituted key of a different type as new, and a host recorded only with its RSA key was
//! refused because the server showed its Ed25519 key first. Here any recorded key for the host
//! with none matching is a *changed* key, and `preferred_algorithms` makes the client ask only
//! for the key types recorded for that host. Hashed names (`|1|salt|hash`), `[host]:port`,
//! patterns (`*`, `?`, `!`), `@revoked` and `@cert-authority` lines are understood.
use anyhow::{anyhow, Context, Result};
use base64::Engine;
use russh::keys::ssh_key::{Algorithm, HashAlg, PublicKey};
use std::io::Write;
use std::path::Path;

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// a recorded key for the host matches
    Known,
    /// the host is not in the file at all
    Unknown,
    /// the host is recorded, but with other keys; `line` is the first of them (1-based)
    Changed { line: usize },
    /// the key is listed under `@revoked`
    Revoked { line: usize },
}

/// One host-key line (not `@cert-authority`, not a comment).
struct Entry {
    line: usize,
    revoked: bool,
    patterns: String,
    key: Option<PublicKey>,
}

/// How the host appears in known_hosts: `host` on port 22, `[host]:port` otherwise; lowercased
/// as OpenSSH does before matching and hashing (`Node1.Example.org` is `node1.example.org`).
pub fn host_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 { host } else { format!("[{host}]:{port}") }
}

fn entries(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut fields = l.split_whitespace();
        let mut first = fields.next().unwrap_or_default();
        let mut revoked = false;
        if first.starts_with('@') {
            match first {
                "@revoked" => revoked = true,
                // a CA for host certificates, not a host key: never matched against a plain key
                _ => continue,
            }
            first = fields.next().unwrap_or_default();
        }
        let (kind, data) = (fields.next().unwrap_or_default(), fields.next().unwrap_or_default());
        // a line whose key cannot be read still records the host (so it is never "unknown")
        let key = PublicKey::from_openssh(&format!("{kind} {data}")).ok();
        out.push(Entry { line: i + 1, revoked, patterns: first.to_string(), key });
    }
    out
}

/// `host` matches one comma-separated pattern list (with negation), or a hashed entry.
fn matches(patterns: &str, host: &str) -> bool {
    if let Some(hashed) = patterns.strip_prefix("|1|") {
        return hashed_matches(hashed, host);
    }
    let mut hit = false;
    for p in patterns.split(',') {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg, host) {
                return false;
            }
        } else if glob(p, host) {
            hit = true;
        }
    }
    hit
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, host))`, as `ssh-keygen -H` writes it.
fn hashed_matches(hashed: &str, host: &str) -> bool {
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some((salt, hash)) = hashed.split_once('|') else { return false };
    let (Ok(salt), Ok(hash)) = (b64.decode(salt), b64.decode(hash)) else { return false };
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(&salt) else { return false };
    mac.update(host.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// OpenSSH's pattern language: `*` any run, `?` one character, case-insensitive.
fn glob(p: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(p.as_bytes(), s.as_bytes())
}

fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    a.key_data() == b.key_data()
}

/// The verdict for `key` presented by `host:port`, from the file's text.
pub fn check(text: &str, host: &str, port: u16, key: &PublicKey) -> Verdict {
    let name = host_name(host, port);
    let mine: Vec<Entry> = entries(text).into_iter().filter(|e| matches(&e.patterns, &name)).collect();
    if let Some(e) = mine.iter().find(|e| e.revoked && e.key.as_ref().is_some_and(|k| same_key(k, key))) {
        return Verdict::Revoked { line: e.line };
    }
    let recorded: Vec<&Entry> = mine.iter().filter(|e| !e.revoked).collect();
    if recorded.iter().any(|e| e.key.as_ref().is_some_and(|k| same_key(k, key))) {
        return Verdict::Known;
    }
    match recorded.first() {
        Some(e) => Verdict::Changed { line: e.line },
        None => Verdict::Unknown,
    }
}

/// The host-key algorithms to ask the server for: those recorded for the host (RSA in its
/// SHA-2 signature forms first), or `None` when the host is not recorded (any algorithm, for
/// `--ssh-accept-new`).
pub fn preferred_algorithms(text: &str, host: &str, port: u16) -> Option<Vec<Algorithm>> {
    let name = host_name(host, port);
    let mut algs: Vec<Algorithm> = Vec::new();
    for e in entries(text).into_iter().filter(|e| !e.revoked && matches(&e.patterns, &name)) {
        let Some(k) = e.key else { continue };
        let forms = match k.algorithm() {
            Algorithm::Rsa { .. } => vec![
                Algorithm::Rsa { hash: Some(HashAlg::Sha512) },
                Algorithm::Rsa { hash: Some(HashAlg::Sha256) },
                Algorithm::Rsa { hash: None },
            ],
            a => vec![a],
        };
        for a in forms {
            if !algs.contains(&a) {
                algs.push(a);
            }
        }
    }
    (!algs.is_empty()).then_some(algs)
}

/// Appends `host key` to the file: directory 0700, file 0600 when created, one write, flushed
/// and synced before the connection goes on.
pub fn learn(path: &Path, host: &str, port: u16, key: &PublicKey) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let line = format!("{} {}\n", host_name(host, port), key.to_openssh().map_err(|e| anyhow!("encoding the host key: {e}"))?);
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path).with_context(|| format!("opening {}", path.display()))?;
    // a file not ending in a newline would glue the new entry to its last line
    let needs_newline = std::fs::read(path).map(|b| !b.is_empty() && !b.ends_with(b"\n")).unwrap_or(false);
    let text = if needs_newline { format!("\n{line}") } else { line };
    f.write_all(text.as_bytes()).and_then(|_| f.flush()).and_then(|_| f.sync_all()).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAYHKNg3rtc7hgN2pv+nNGTuO8PbeQZqsQ3uTlYOC1SU";
    const ED2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2MkNP/1oYZWi5tWKyUCvCW+GNGWii5TF0sOLmM7vAq";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKPPOtWaAsd5xWXxK4v4MqIX0jTrTe52e2F5dMnt7RkQ2QznCEcr4tGPohohwjgWnE3YRGOzekd8cMNr/3LAm/s=";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    #[test]
    fn a_recorded_key_of_another_algorithm_is_a_changed_key() {
        let file = format!("# comment\n10.0.0.1 {ECDSA}\n");
        assert_eq!(check(&file, "10.0.0.1", 22, &key(ED)), Verdict::Changed { line: 2 });
        assert_eq!(check(&file, "10.0.0.2", 22, &key(ED)), Verdict::Unknown);
        assert_eq!(check(&file, "10.0.0.1", 22, &key(ECDSA)), Verdict::Known);
    }

    #[test]
    fn ports_patterns_and_hashed_names() {
        let file = format!("[10.0.0.1]:2222 {ED}\n*.example.org,!bad.example.org {ED}\n");
        assert_eq!(check(&file, "10.0.0.1", 2222, &key(ED)), Verdict::Known);
        assert_eq!(check(&file, "10.0.0.1", 22, &key(ED)), Verdict::Unknown, "port 22 is a different entry");
        assert_eq!(check(&file, "a.example.org", 22, &key(ED)), Verdict::Known);
        assert_eq!(check(&file, "bad.example.org", 22, &key(ED)), Verdict::Unknown);
        // `ssh-keygen -H` form of "10.9.8.7" (salt and HMAC computed here)
        use hmac::{KeyInit, Mac};
        let salt = b"0123456789abcdefghij";
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(salt).unwrap();
        mac.update(b"10.9.8.7");
        let b64 = base64::engine::general_purpose::STANDARD;
        let hashed = format!("|1|{}|{} {ED}\n", b64.encode(salt), b64.encode(mac.finalize().into_bytes()));
        assert_eq!(check(&hashed, "10.9.8.7", 22, &key(ED)), Verdict::Known);
        assert_eq!(check(&hashed, "10.9.8.7", 22, &key(ED2)), Verdict::Changed { line: 1 });
        assert_eq!(check(&hashed, "10.9.8.6", 22, &key(ED)), Verdict::Unknown);
        // names are matched (and hashed) lowercased, as OpenSSH does
        let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(salt).unwrap();
        mac.update(b"node1.example.org");
        let hashed = format!("|1|{}|{} {ED}\n", b64.encode(salt), b64.encode(mac.finalize().into_bytes()));
        assert_eq!(check(&hashed, "Node1.Example.ORG", 22, &key(ED)), Verdict::Known);
    }

    #[test]
    fn revoked_keys_and_cert_authorities() {
        let file = format!("@cert-authority *.example.org {ED2}\n@revoked * {ED}\nh {ED}\n");
        assert_eq!(check(&file, "h", 22, &key(ED)), Verdict::Revoked { line: 2 });
        assert_eq!(check(&file, "a.example.org", 22, &key(ED2)), Verdict::Unknown, "a CA line is not a host key");
    }

    #[test]
    fn the_client_asks_only_for_recorded_algorithms() {
        let file = format!("h {ECDSA}\n");
        let algs = preferred_algorithms(&file, "h", 22).unwrap();
        assert_eq!(algs, vec![key(ECDSA).algorithm()]);
        assert_eq!(preferred_algorithms(&file, "other", 22), None);
    }

    #[test]
    fn learning_appends_one_flushed_line_in_a_private_directory() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh/known_hosts");
        learn(&path, "10.0.0.1", 2222, &key(ED)).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"# no newline at the end").unwrap();
        learn(&path, "10.0.0.2", 22, &key(ED2)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(check(&text, "10.0.0.1", 2222, &key(ED)), Verdict::Known);
        assert_eq!(check(&text, "10.0.0.2", 22, &key(ED2)), Verdict::Known);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
