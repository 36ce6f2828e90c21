//! Loading SSH private keys and certificates once per command, asking for a passphrase at most
//! once per key. Key material never leaves this module except as parsed key objects.
use crate::config::Secret;
use anyhow::{anyhow, Context, Result};
use russh::keys::{self, Certificate, PrivateKey};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where a host's key comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeySource {
    Path(PathBuf),
    /// An inline `ssh_key`; the id is only a label for messages ("node 10.0.0.1 ssh_key").
    Inline { id: String, pem: Secret },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Path(p) => write!(f, "{}", p.display()),
            KeySource::Inline { id, .. } => write!(f, "{id}"),
        }
    }
}

#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<KeySource, Arc<PrivateKey>>>,
    /// serialises passphrase prompts so two hosts never prompt at once
    prompt: tokio::sync::Mutex<()>,
}

pub const PASSPHRASE_ENV: &str = "STOCKADE_SSH_PASSPHRASE";

impl KeyCache {
    pub async fn load(&self, src: &KeySource) -> Result<Arc<PrivateKey>> {
        if let Some(k) = self.keys.lock().unwrap().get(src) {
            return Ok(k.clone());
        }
        let _guard = self.prompt.lock().await;
        if let Some(k) = self.keys.lock().unwrap().get(src) {
            return Ok(k.clone());
        }
        let key = Arc::new(load_key(src)?);
        self.keys.lock().unwrap().insert(src.clone(), key.clone());
        Ok(key)
    }
}

fn decode(src: &KeySource, pass: Option<&str>) -> Result<PrivateKey, keys::Error> {
    match src {
        KeySource::Path(p) => keys::load_secret_key(p, pass),
        KeySource::Inline { pem, .. } => keys::decode_secret_key(pem.expose(), pass),
    }
}

/// A key that is missing, unreadable or cannot be decrypted is bad input (exit code 2).
fn load_key(src: &KeySource) -> Result<PrivateKey> {
    read_key(src).map_err(crate::exit::as_invalid)
}

fn read_key(src: &KeySource) -> Result<PrivateKey> {
    if let KeySource::Path(p) = src
        && !p.exists()
    {
        return Err(anyhow!("SSH key {} does not exist: fix ssh_key_path in cluster.yml", p.display()));
    }
    match decode(src, None) {
        Ok(k) => Ok(k),
        Err(keys::Error::KeyIsEncrypted) => {
            let pass = passphrase_for(src)?;
            decode(src, Some(pass.expose()))
                .map_err(|e| anyhow!("cannot decrypt SSH key {src}: is the passphrase (from {PASSPHRASE_ENV} or the prompt) right? ({e})"))
        }
        Err(e) => Err(anyhow!("cannot read SSH key {src}: {e} (OpenSSH, PEM and PKCS#8 keys are supported)")),
    }
}

fn passphrase_for(src: &KeySource) -> Result<Secret> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(Secret::new(p));
    }
    if crate::prompt::allowed() {
        let p = dialoguer::Password::new()
            .with_prompt(format!("Passphrase for SSH key {src}"))
            .interact()
            .context("reading the passphrase")?;
        return Ok(Secret::new(p));
    }
    Err(anyhow!(
        "SSH key {src} is encrypted: set {PASSPHRASE_ENV}, run on a terminal without --yes to be asked, or use ssh-agent (--ssh-agent-auth)"
    ))
}

pub fn load_cert(path: Option<&Path>, inline: Option<&str>) -> Result<Option<Certificate>> {
    read_cert(path, inline).map_err(crate::exit::as_invalid)
}

fn read_cert(path: Option<&Path>, inline: Option<&str>) -> Result<Option<Certificate>> {
    if let Some(text) = inline.filter(|s| !s.trim().is_empty()) {
        return Certificate::from_openssh(text.trim()).map(Some).map_err(|e| anyhow!("cannot parse ssh_cert: {e}"));
    }
    match path {
        Some(p) => keys::load_openssh_certificate(p)
            .map(Some)
            .map_err(|e| anyhow!("cannot read SSH certificate {}: {e}", p.display())),
        None => Ok(None),
    }
}

/// `~/` expansion for paths from cluster.yml.
pub fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(rest),
        None => PathBuf::from(p),
    }
}
