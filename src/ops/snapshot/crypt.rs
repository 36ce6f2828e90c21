//! The operator's encryption flags resolved into keys (files read here, before any host is
//! contacted). A passphrase comes from a file or `STOCKADE_SNAPSHOT_PASSPHRASE`, never from a flag's
//! value (command lines are visible to every user of the machine); recipients are public keys.
use crate::config::secret::Secret;
use crate::exit::Invalid;
use crate::snapshot::crypt::{Decrypt, Encrypt};
use anyhow::Result;
use std::path::PathBuf;

/// Environment variable holding the snapshot passphrase (save with `--encrypt`, restore).
pub const PASSPHRASE_ENV: &str = "STOCKADE_SNAPSHOT_PASSPHRASE";

/// `snapshot-save`'s encryption flags as given.
#[derive(Debug, Clone, Default)]
pub struct EncryptFlags {
    /// `--encrypt`: with a passphrase (file or environment) unless recipients are given
    pub encrypt: bool,
    /// `--encrypt-recipient age1…` (repeatable; implies --encrypt)
    pub recipients: Vec<String>,
    /// `--passphrase-file PATH` (implies --encrypt)
    pub passphrase_file: Option<PathBuf>,
}

/// `snapshot-restore`'s decryption flags as given.
#[derive(Debug, Clone, Default)]
pub struct DecryptFlags {
    /// `--decrypt-identity FILE`: an age identity file
    pub identity_file: Option<PathBuf>,
    /// `--passphrase-file PATH`
    pub passphrase_file: Option<PathBuf>,
}

fn passphrase(file: Option<&PathBuf>, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Secret>> {
    if let Some(p) = file {
        let text = std::fs::read_to_string(p).map_err(|e| Invalid(format!("--passphrase-file {}: {e}", p.display())))?;
        // a passphrase file ends with a newline like any text file: it is not part of the passphrase
        let pass = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
        if pass.is_empty() {
            return Err(Invalid(format!("--passphrase-file {}: the file is empty", p.display())).into());
        }
        return Ok(Some(Secret::new(pass)));
    }
    Ok(env(PASSPHRASE_ENV).filter(|p| !p.is_empty()).map(Secret::new))
}

/// The encryption of a save, or None (not asked for).
pub fn encryption(f: &EncryptFlags, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Encrypt>> {
    let e = if !f.recipients.is_empty() {
        if f.passphrase_file.is_some() {
            return Err(Invalid("give --encrypt-recipient or --passphrase-file, not both (age encrypts to recipients or to one passphrase)".into()).into());
        }
        Encrypt::Recipients(f.recipients.iter().map(|r| r.trim().to_string()).collect())
    } else if f.encrypt || f.passphrase_file.is_some() {
        match passphrase(f.passphrase_file.as_ref(), env)? {
            Some(p) => Encrypt::Passphrase(p),
            None => {
                return Err(Invalid(format!(
                    "--encrypt needs a key: --encrypt-recipient age1… (a public key from `age-keygen`), or a passphrase in {PASSPHRASE_ENV} or --passphrase-file FILE"
                ))
                .into())
            }
        }
    } else {
        return Ok(None);
    };
    e.validate().map_err(|e| Invalid(format!("--encrypt: {e:#}")))?;
    Ok(Some(e))
}

/// The key a restore decrypts with, or None (none given: an encrypted snapshot is then refused in
/// the preflight).
pub fn decryption(f: &DecryptFlags, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Decrypt>> {
    let d = if let Some(p) = &f.identity_file {
        if f.passphrase_file.is_some() {
            return Err(Invalid("give --decrypt-identity or --passphrase-file, not both".into()).into());
        }
        let text = std::fs::read_to_string(p).map_err(|e| Invalid(format!("--decrypt-identity {}: {e}", p.display())))?;
        Decrypt::Identities(Secret::new(text))
    } else {
        match passphrase(f.passphrase_file.as_ref(), env)? {
            Some(p) => Decrypt::Passphrase(p),
            None => return Ok(None),
        }
    };
    d.validate().map_err(|e| Invalid(format!("--decrypt-identity: {e:#}")))?;
    Ok(Some(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_flags_files_and_environment() {
        let none = |_: &str| None;
        let env = |k: &str| (k == PASSPHRASE_ENV).then(|| "from-env".to_string());
        assert!(encryption(&EncryptFlags::default(), &env).unwrap().is_none(), "not asked for");
        assert_eq!(encryption(&EncryptFlags { encrypt: true, ..Default::default() }, &env).unwrap(), Some(Encrypt::Passphrase(Secret::new("from-env"))));
        let e = encryption(&EncryptFlags { encrypt: true, ..Default::default() }, &none).unwrap_err().to_string();
        assert!(e.contains(PASSPHRASE_ENV) && e.contains("--encrypt-recipient"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let pf = d.path().join("pass");
        std::fs::write(&pf, "file pass\n").unwrap();
        assert_eq!(encryption(&EncryptFlags { passphrase_file: Some(pf.clone()), ..Default::default() }, &env).unwrap(), Some(Encrypt::Passphrase(Secret::new("file pass"))));
        assert!(encryption(&EncryptFlags { recipients: vec!["nope".into()], ..Default::default() }, &none).is_err());
        assert!(decryption(&DecryptFlags::default(), &none).unwrap().is_none());
        assert_eq!(decryption(&DecryptFlags { passphrase_file: Some(pf), ..Default::default() }, &none).unwrap(), Some(Decrypt::Passphrase(Secret::new("file pass"))));
        let idf = d.path().join("id");
        std::fs::write(&idf, "not a key\n").unwrap();
        assert!(decryption(&DecryptFlags { identity_file: Some(idf), ..Default::default() }, &none).is_err());
    }
}
