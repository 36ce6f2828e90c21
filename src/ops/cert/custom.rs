//! The certificate directory of an operator whose CA lives elsewhere (RKE1's `--cert-dir`):
//! `cert generate-csr` writes a request and key per certificate into it, `up --custom-certs`
//! reads the signed certificates back (`pki::custom` decides whether they fit the cluster).
use crate::config;
use crate::exit::Invalid;
use crate::pki;
use crate::state;
use crate::ui::Ui;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// RKE1's default: `<cluster.yml without its extension>_certs` next to it.
pub fn default_dir(config_path: &Path) -> PathBuf {
    let stem = config_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "cluster".into());
    config_path.with_file_name(format!("{stem}_certs"))
}

/// The `.pem` files of the directory (requests excluded), by file name.
fn read_dir(dir: &Path) -> Result<BTreeMap<String, String>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Invalid(format!("the certificate directory {} cannot be read: {e}", dir.display())))?;
    let mut files = BTreeMap::new();
    for e in entries {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".pem") && !name.ends_with("-csr.pem") && e.file_type()?.is_file() {
            let text = std::fs::read_to_string(e.path()).with_context(|| format!("reading {}", e.path().display()))?;
            files.insert(name, text);
        }
    }
    Ok(files)
}

/// The cluster's certificates from `dir`, or one error naming every missing or wrong file
/// (exit 2): checked before any host is contacted.
pub fn load(dir: &Path, cfg: &config::ClusterConfig, ui: &Ui) -> Result<pki::Bundle> {
    let files = read_dir(dir)?;
    match pki::custom::bundle_from(&files, cfg) {
        Ok(c) => {
            for w in c.warnings {
                ui.warn(&format!("{}: {w}", dir.display()));
            }
            Ok(c.bundle)
        }
        Err(problems) => Err(Invalid(format!("custom certificates in {}: {}. Nothing was changed", dir.display(), problems.join("; "))).into()),
    }
}

pub struct CsrOptions {
    pub config_path: PathBuf,
    pub cert_dir: Option<PathBuf>,
}

/// `cert generate-csr`: a request and a key per certificate, written to the certificate
/// directory (keys 0600). Keys the state already holds are reused. Returns the directory.
pub fn generate_csr(opts: &CsrOptions, ui: &Ui) -> Result<PathBuf> {
    let loaded = config::load(&opts.config_path)?;
    let full = state::load(&loaded.state_path())?.unwrap_or_default();
    let dir = opts.cert_dir.clone().unwrap_or_else(|| default_dir(&loaded.path));
    let requests = pki::custom::requests(&loaded.config, &full.certificates())?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for r in &requests {
        write(&dir.join(format!("{}-csr.pem", r.name)), &r.csr_pem, 0o644)?;
        write(&dir.join(format!("{}-key.pem", r.name)), &r.key_pem, 0o600)?;
    }
    ui.info(&format!("wrote {} certificate requests and their keys to {}", requests.len(), dir.display()));
    Ok(dir)
}

/// Written whole or not at all (a temporary file renamed), with `mode` from the start.
fn write(path: &Path, content: &str, mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("pem.tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(content.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
