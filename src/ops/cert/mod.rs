//! `stockade cert check-expiration`: when each certificate of the state file expires, read from
//! the state file alone, and with `--live` also what every host serves and stores (`live`); the
//! verdict — does anything expire within the warning window — is here, `cli::cert` only prints
//! it. `stockade cert rotate` is `rotate`.
pub mod custom;
pub mod live;
pub mod rotate;

use crate::exit::{Code, Invalid};
use crate::pki::{self, Bundle};
use crate::state::{self, FullState};
use anyhow::Result;
use serde::Serialize;
use super::ConnectSettings;
use crate::transport::Hosts;
use crate::ui::Ui;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// `up` warns about certificates that expire within this many days (also the default window).
pub const WARN_DAYS: i64 = 30;

/// What renews what (pki::reconcile): said with every expiry warning.
pub const RENEWAL: &str = "`stockade up` re-issues leaf certificates that expire within 30 days (keeping their keys); it does not renew a CA (kube-ca, kube-apiserver-requestheader-ca): `stockade cert rotate` re-issues certificates with new keys, `--rotate-ca` the CAs too";

/// One certificate of the state file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Expiry {
    /// the `certificatesBundle` entry (`kube-apiserver`, `kube-etcd-10-0-0-1`, ...)
    pub name: String,
    pub subject: String,
    /// RFC 3339, UTC; empty when the certificate cannot be read
    pub not_after: String,
    /// whole days until `not_after`, negative once expired
    pub days_left: i64,
    /// `current`: what the last successful `up` deployed; `desired`: issued by a run that has not
    /// finished yet (not on every host)
    pub state: &'static str,
    /// expires within the warning window (or has expired, or cannot be read)
    pub expiring: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub state_file: String,
    pub warn_days: i64,
    pub certificates: Vec<Expiry>,
    /// with `--live`: what the hosts serve and store
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Vec<live::LiveCert>>,
}

impl Report {
    pub fn expiring(&self) -> Vec<&Expiry> {
        self.certificates.iter().chain(self.live.iter().flatten().map(|l| &l.expiry)).filter(|c| c.expiring).collect()
    }

    /// What `--live` could not read (host, source and why).
    pub fn unread(&self) -> Vec<String> {
        self.live.iter().flatten().filter_map(|l| l.expiry.error.as_ref().map(|e| format!("{} {}: {e}", l.host, l.source))).collect()
    }

    /// The check's verdict (`crate::exit::Code`): 2 when anything expires within the window; else
    /// 1 when `--live` could not read a certificate (the check is incomplete: never "all good"
    /// for what was not seen); else 0.
    pub fn code(&self) -> Code {
        if !self.expiring().is_empty() {
            Code::Invalid
        } else if !self.unread().is_empty() {
            Code::Failed
        } else {
            Code::Ok
        }
    }

    /// What to warn about, if anything expires within the window.
    pub fn warning(&self) -> Option<String> {
        let mut names: Vec<&str> = self.expiring().iter().map(|c| c.name.as_str()).collect();
        names.dedup();
        (!names.is_empty()).then(|| format!("expiring within {} days: {}. {RENEWAL}", self.warn_days, names.join(", ")))
    }
}

/// Every certificate the state file records, as of `now`: the current set, then the entries of
/// the desired set that differ from it.
pub fn expirations(full: &FullState, now: OffsetDateTime, warn_days: i64) -> Vec<Expiry> {
    let mut out = entries(&full.current.certificates, "current", now, warn_days);
    let differing: Bundle = full
        .desired
        .certificates
        .iter()
        .filter(|(n, c)| full.current.certificates.get(*n).is_none_or(|cur| cur.certificate_pem != c.certificate_pem))
        .map(|(n, c)| (n.clone(), c.clone()))
        .collect();
    out.extend(entries(&differing, "desired", now, warn_days));
    out
}

fn entries(bundle: &Bundle, state: &'static str, now: OffsetDateTime, warn_days: i64) -> Vec<Expiry> {
    bundle
        .iter()
        // entries without a certificate (none in RKE1's bundle today) have nothing to expire
        .filter(|(_, c)| !c.certificate_pem.trim().is_empty())
        .map(|(name, c)| match pki::cert_info(&c.certificate_pem) {
            Some(info) => {
                // rounded down: a certificate that expired an hour ago has -1 days left, not 0
                let days_left = (info.not_after - now).whole_seconds().div_euclid(86_400);
                Expiry {
                    name: name.clone(),
                    subject: info.subject,
                    not_after: info.not_after.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    days_left,
                    state,
                    expiring: info.not_after <= now + time::Duration::days(warn_days),
                    error: None,
                }
            }
            None => Expiry {
                name: name.clone(),
                subject: String::new(),
                not_after: String::new(),
                days_left: 0,
                state,
                expiring: true,
                error: Some("the certificate PEM cannot be read".into()),
            },
        })
        .collect()
}

/// The report for the state file of `config_path` (the cluster file itself is not read, so a
/// cluster.yml that does not validate does not hide expiring certificates).
pub fn check_expiration(config_path: &Path, warn_days: i64) -> Result<Report> {
    if warn_days < 0 {
        return Err(Invalid(format!("--warn-days {warn_days}: give a number of days, 0 or more")).into());
    }
    let path = crate::config::state_path_for(config_path);
    let full = state::load(&path)?.ok_or_else(|| {
        Invalid(format!("{}: no state file, so no certificates to check (it is written by `stockade up`; pass --config for another cluster)", path.display()))
    })?;
    let certificates = expirations(&full, OffsetDateTime::now_utc(), warn_days);
    if certificates.is_empty() {
        return Err(Invalid(format!("{}: the state file records no certificates", path.display())).into());
    }
    Ok(Report { state_file: path.display().to_string(), warn_days, certificates, live: None })
}

/// `check-expiration`'s options.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub config_path: PathBuf,
    pub warn_days: i64,
    /// `--live`: how to reach the hosts
    pub live: Option<ConnectSettings>,
}

/// The state file's report and, with `--live`, every host's served and stored certificates.
pub async fn check(opts: &CheckOptions, ui: &Ui) -> Result<Report> {
    let mut report = check_expiration(&opts.config_path, opts.warn_days)?;
    let Some(connect) = &opts.live else { return Ok(report) };
    let loaded = crate::config::load(&opts.config_path)?;
    let cfg = &loaded.config;
    let full = state::load(&loaded.state_path())?.unwrap_or_default();
    // compared with what the last finished run deployed (else what the unfinished one issued)
    let bundle = if full.current.certificates.is_empty() { full.desired.certificates.clone() } else { full.current.certificates.clone() };
    let copts = connect.options(cfg);
    let keys = crate::transport::hosts::load_keys(cfg, &cfg.nodes, &[], copts.force_agent).await?;
    ui.phase("Connect");
    let hosts = Hosts::connect(cfg, &cfg.nodes, &keys, &copts, &|w| ui.warn(&w)).await?;
    ui.finish_bar();
    let image = cfg.system_images.alpine.clone().unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let reads = hosts.hosts.iter().map(|h| live::host_certs(h, &image, h.prefixed(cfg, crate::pki::bundle::SSL_DIR), &bundle, now, opts.warn_days, connect.command_timeout)).collect();
    let found: Vec<live::LiveCert> = crate::transport::hosts::bounded(hosts.concurrency, reads).await.into_iter().flatten().collect();
    hosts.close().await;
    report.live = Some(found);
    let unread = report.unread();
    if !unread.is_empty() {
        ui.warn(&format!("not read (listed without an expiry; the check exits 1):\n{}", unread.join("\n")));
    }
    Ok(report)
}

/// `cert rotate`'s options.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    pub config_path: PathBuf,
    pub connect: ConnectSettings,
    pub request: crate::pki::rotate::Request,
    pub etcd_health_timeout: std::time::Duration,
    pub health_timeout: std::time::Duration,
}

/// `stockade cert rotate`: `up` with the rotation (`rotate`), so the rolling and health rules are
/// `up`'s.
pub async fn rotate(opts: &RotateOptions, ui: &Ui) -> Result<()> {
    let up = super::up::UpOptions {
        config_path: opts.config_path.clone(),
        connect: opts.connect.clone(),
        dry_run: false,
        output: super::up::Output::Text,
        offline: false,
        etcd_health_timeout: opts.etcd_health_timeout,
        health_timeout: opts.health_timeout,
        rotation: Some(opts.request.clone()),
        custom_certs: None,
        no_snapshot: false,
        restored: false,
    };
    super::up::run(&up, ui).await?;
    ui.info(&format!("certificates rotated ({})", opts.request.describe()));
    Ok(())
}

/// `up`'s warning: the certificates the state records that expire within `WARN_DAYS`.
pub fn expiry_warning(full: &FullState, now: OffsetDateTime) -> Option<String> {
    let soon: Vec<String> = expirations(full, now, WARN_DAYS)
        .into_iter()
        .filter(|e| e.expiring && e.error.is_none())
        .map(|e| if e.days_left < 0 { format!("{} (expired {})", e.name, e.not_after) } else { format!("{} ({} days, {})", e.name, e.days_left, e.not_after) })
        .collect();
    (!soon.is_empty()).then(|| format!("certificates in the state file expire within {WARN_DAYS} days: {}. {RENEWAL}", soon.join(", ")))
}

/// The report as text: one certificate a line.
pub fn render_text(r: &Report) -> String {
    let width = r.certificates.iter().map(|c| c.name.len()).max().unwrap_or(4).max(4);
    let mut out = format!("{:width$}  {:20}  {:>9}  {:7}  SUBJECT\n", "NAME", "NOT AFTER", "DAYS LEFT", "STATE");
    for c in &r.certificates {
        let days = if c.error.is_some() { "-".to_string() } else { c.days_left.to_string() };
        let subject = c.error.clone().unwrap_or_else(|| c.subject.clone());
        let warn = if c.expiring { "  <- expires within the window" } else { "" };
        out.push_str(&format!("{:width$}  {:20}  {:>9}  {:7}  {subject}{warn}\n", c.name, c.not_after, days, c.state));
    }
    let n = r.expiring().len();
    if let Some(live) = &r.live {
        let hw = live.iter().map(|l| l.host.len()).max().unwrap_or(4).max(4);
        let sw = live.iter().map(|l| l.source.len()).max().unwrap_or(6).max(6);
        out.push_str(&format!("\nLIVE: served and stored on the hosts\n{:hw$}  {:sw$}  {:20}  {:>9}  {:20}  SAME AS STATE\n", "HOST", "SOURCE", "NOT AFTER", "DAYS LEFT", "STATE NOT AFTER"));
        for l in live {
            let e = &l.expiry;
            let days = if e.error.is_some() { "-".to_string() } else { e.days_left.to_string() };
            let same = match (l.same_as_state, &e.error) {
                (_, Some(err)) => format!("not read: {err}"),
                (Some(true), _) => "yes".into(),
                (Some(false), _) => "NO".into(),
                (None, _) => "-".into(),
            };
            let warn = if e.expiring { "  <- expires within the window" } else { "" };
            let state_after = l.state_not_after.clone().unwrap_or_else(|| "-".into());
            out.push_str(&format!("{:hw$}  {:sw$}  {:20}  {:>9}  {:20}  {same}{warn}\n", l.host, l.source, e.not_after, days, state_after));
        }
    }
    let total = r.certificates.len() + r.live.as_ref().map_or(0, Vec::len);
    out.push_str(&if n == 0 {
        format!("{total} certificates, none expires within {} days\n", r.warn_days)
    } else {
        format!("{n} of {total} certificates expire within {} days (or cannot be read)\n", r.warn_days)
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::CertificatePki;
    use time::Duration;

    fn cert(cn: &str, not_after: OffsetDateTime) -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.not_before = not_after - Duration::days(365);
        p.not_after = not_after;
        p.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn current_then_what_an_unfinished_run_issued_with_days_rounded_down() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let entry = |n: &str, pem: String| (n.to_string(), CertificatePki::named(n, n, "", pem, String::new()));
        let mut full = FullState::default();
        let ca = cert("kube-ca", now + Duration::days(40) - Duration::minutes(1));
        full.current.certificates = [
            entry("kube-ca", ca.clone()),
            entry("kube-apiserver", cert("kube-apiserver", now - Duration::hours(1))),
            entry("kube-broken", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into()),
            entry("kube-no-cert", String::new()),
        ]
        .into();
        full.desired.certificates = [entry("kube-ca", ca), entry("kube-apiserver", cert("kube-apiserver", now + Duration::days(3650)))].into();
        let got = expirations(&full, now, 30);
        let row = |name: &str, state: &str| got.iter().find(|e| e.name == name && e.state == state).unwrap_or_else(|| panic!("{name} {state}: {got:?}"));
        assert_eq!(got.len(), 4, "the CA once, the re-issued apiserver twice, the unreadable one, no empty entry: {got:?}");
        assert_eq!((row("kube-ca", "current").days_left, row("kube-ca", "current").expiring), (39, false));
        assert_eq!(row("kube-ca", "current").subject, "CN=kube-ca");
        assert_eq!((row("kube-apiserver", "current").days_left, row("kube-apiserver", "current").expiring), (-1, true), "an hour ago is -1 day");
        assert_eq!((row("kube-apiserver", "desired").days_left, row("kube-apiserver", "desired").expiring), (3650, false));
        assert!(row("kube-broken", "current").expiring && row("kube-broken", "current").error.is_some());
        // 40 days: the CA is inside the window
        assert!(expirations(&full, now, 40).iter().any(|e| e.name == "kube-ca" && e.expiring));

        let w = expiry_warning(&full, now).unwrap();
        let listed = w.split(". ").next().unwrap();
        assert!(listed.ends_with(": kube-apiserver (expired 2027-01-15T07:00:00Z)"), "{w}");
        let report = Report { state_file: "s".into(), warn_days: 30, certificates: got, live: None };
        let text = render_text(&report);
        assert!(text.lines().next().unwrap().starts_with("NAME"), "{text}");
        assert!(text.ends_with("2 of 4 certificates expire within 30 days (or cannot be read)\n"), "{text}");
    }

    #[test]
    fn an_unread_live_certificate_fails_the_check_and_an_expiring_one_outranks_it() {
        let expiry = |expiring: bool, error: Option<&str>| Expiry {
            name: "kube-apiserver".into(),
            subject: String::new(),
            not_after: String::new(),
            days_left: 0,
            state: "current",
            expiring,
            error: error.map(String::from),
        };
        let live = |e: Expiry| live::LiveCert { host: "h1".into(), kind: "served", source: "127.0.0.1:6443 (kube-apiserver)".into(), name: None, expiry: e, serial: String::new(), state_not_after: None, same_as_state: None };
        let mut report = Report { state_file: "s".into(), warn_days: 30, certificates: vec![expiry(false, None)], live: Some(vec![live(expiry(false, None))]) };
        assert_eq!(report.code(), Code::Ok);
        report.live.as_mut().unwrap().push(live(expiry(false, Some("connection refused"))));
        assert_eq!(report.code(), Code::Failed, "what was not read is not all good");
        assert_eq!(report.unread(), ["h1 127.0.0.1:6443 (kube-apiserver): connection refused"]);
        report.certificates.push(expiry(true, None));
        assert_eq!(report.code(), Code::Invalid);
    }
}
