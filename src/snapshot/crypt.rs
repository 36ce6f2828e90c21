//! Client-side encryption of snapshot archives with age (`--encrypt`): the RKE1 zip is encrypted as
//! it is written on the etcd host, so the file on the hosts and the object in S3 are age files
//! (`age-encryption.org/v1`) that the `age`/`rage` CLIs decrypt (`age -d -i key.txt N.zip >
//! N.plain.zip`). The name stays `<name>.zip` so that every tool that finds, copies, lists and prunes
//! snapshots keeps working; the manifest says `encrypted: true` and its size and sha256 are those of
//! the encrypted file, what lies on disk and in the bucket.
//!
//! The keys travel to the agent only inside its job file (never Cmd/Env/Labels), and `Debug` of
//! both key types prints no key.
use crate::config::secret::Secret;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::str::FromStr;

/// First bytes of every (binary) age file.
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";

/// How a snapshot is encrypted.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Encrypt {
    /// scrypt passphrase (`age -p`)
    Passphrase(Secret),
    /// age X25519 recipients (`age1…` public keys): only their identities decrypt
    Recipients(Vec<String>),
}

/// How an encrypted snapshot is decrypted.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Decrypt {
    Passphrase(Secret),
    /// the text of an age identity file (`AGE-SECRET-KEY-1…` lines, as `age-keygen` writes)
    Identities(Secret),
}

impl std::fmt::Debug for Encrypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Encrypt::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            // public keys: not secret
            Encrypt::Recipients(r) => f.debug_tuple("Recipients").field(r).finish(),
        }
    }
}

impl std::fmt::Debug for Decrypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Decrypt::Passphrase(_) => "Passphrase(<redacted>)",
            Decrypt::Identities(_) => "Identities(<redacted>)",
        })
    }
}

impl Encrypt {
    /// Refuses an empty passphrase, no recipient, or a recipient that is not an age X25519 key,
    /// naming the bad one.
    pub fn validate(&self) -> Result<()> {
        match self {
            Encrypt::Passphrase(p) if p.expose().trim().is_empty() => bail!("the snapshot passphrase is empty"),
            Encrypt::Passphrase(_) => Ok(()),
            Encrypt::Recipients(r) if r.is_empty() => bail!("no age recipient to encrypt to"),
            Encrypt::Recipients(r) => {
                for k in r {
                    age::x25519::Recipient::from_str(k.trim()).map_err(|e| anyhow!("{k:?} is not an age recipient (age1…): {e}"))?;
                }
                Ok(())
            }
        }
    }

    /// Wraps `out`: what is written to the returned writer reaches `out` encrypted. Call
    /// `finish()` on it to write the last chunk.
    pub fn wrap<W: Write>(&self, out: W) -> Result<age::stream::StreamWriter<W>> {
        let encryptor = match self {
            Encrypt::Passphrase(p) => age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(p.expose().to_string())),
            Encrypt::Recipients(r) => {
                let keys = r
                    .iter()
                    .map(|k| age::x25519::Recipient::from_str(k.trim()).map_err(|e| anyhow!("{k:?} is not an age recipient: {e}")))
                    .collect::<Result<Vec<_>>>()?;
                age::Encryptor::with_recipients(keys.iter().map(|k| k as &dyn age::Recipient)).map_err(|e| anyhow!("age: {e}"))?
            }
        };
        encryptor.wrap_output(out).context("starting the age encryption")
    }
}

impl Decrypt {
    /// Refuses a passphrase that is empty or an identity file that holds no usable identity.
    pub fn validate(&self) -> Result<()> {
        self.identities().map(|_| ())
    }

    fn identities(&self) -> Result<Vec<Box<dyn age::Identity>>> {
        match self {
            Decrypt::Passphrase(p) if p.expose().is_empty() => bail!("the snapshot passphrase is empty"),
            Decrypt::Passphrase(p) => Ok(vec![Box::new(age::scrypt::Identity::new(age::secrecy::SecretString::from(p.expose().to_string())))]),
            Decrypt::Identities(text) => {
                let ids = age::IdentityFile::from_buffer(text.expose().as_bytes())
                    .context("the identity file is not an age identity file")?
                    .into_identities()
                    .map_err(|e| anyhow!("the identity file is not usable: {e}"))?;
                if ids.is_empty() {
                    bail!("the identity file holds no age identity (AGE-SECRET-KEY-1…)");
                }
                Ok(ids)
            }
        }
    }

    /// A reader of the plaintext of the age file `r`; fails at once (before any plaintext) when no
    /// identity or passphrase opens it.
    pub fn open<R: Read>(&self, r: R) -> Result<age::stream::StreamReader<R>> {
        let ids = self.identities()?;
        let d = age::Decryptor::new(r).map_err(|e| anyhow!("not a readable age file: {e}"))?;
        d.decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity)).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => anyhow!("the identity given does not decrypt it (it was encrypted to other recipients)"),
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => anyhow!("the key or passphrase given does not decrypt it"),
            other => anyhow!("cannot decrypt it: {other}"),
        })
    }

    /// Decrypts all of `r` into `w` (authenticated chunk by chunk: a truncated or altered file
    /// fails). Returns the plaintext size.
    pub fn decrypt_to<R: Read>(&self, r: R, mut w: impl Write) -> Result<u64> {
        let mut plain = self.open(r)?;
        std::io::copy(&mut plain, &mut w).map_err(|e| anyhow!("decrypting: {e}: the encrypted file is truncated or corrupted"))
    }
}

/// Whether these first bytes are an age file's.
pub fn is_age(head: &[u8]) -> bool {
    head.starts_with(AGE_MAGIC)
}

/// Whether the file at `path` is an age file.
pub fn file_is_age(path: &std::path::Path) -> Result<bool> {
    let mut head = [0u8; 21];
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(is_age(&head[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh key pair: (identity file text, recipient).
    fn keypair() -> (String, String) {
        use age::secrecy::ExposeSecret;
        let id = age::x25519::Identity::generate();
        (format!("# test key\n{}\n", id.to_string().expose_secret()), id.to_public().to_string())
    }

    fn seal(e: &Encrypt, data: &[u8]) -> Vec<u8> {
        let mut w = e.wrap(Vec::new()).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn recipients_and_passphrases_round_trip_and_wrong_keys_are_refused() {
        let (identity, recipient) = keypair();
        let data = b"PK\x03\x04 a zip, really".repeat(5000);
        let sealed = seal(&Encrypt::Recipients(vec![recipient]), &data);
        assert!(is_age(&sealed) && !sealed.windows(4).any(|w| w == b"PK\x03\x04"));
        let mut back = Vec::new();
        Decrypt::Identities(Secret::new(&identity)).decrypt_to(&sealed[..], &mut back).unwrap();
        assert_eq!(back, data);
        let e = Decrypt::Identities(Secret::new(keypair().0)).decrypt_to(&sealed[..], Vec::new()).unwrap_err().to_string();
        assert!(e.contains("does not decrypt"), "{e}");
        let e = Decrypt::Passphrase(Secret::new("nope")).decrypt_to(&sealed[..], Vec::new()).unwrap_err().to_string();
        assert!(e.contains("does not decrypt") || e.contains("cannot decrypt"), "{e}");

        let sealed = seal(&Encrypt::Passphrase(Secret::new("correct horse")), &data);
        let mut back = Vec::new();
        Decrypt::Passphrase(Secret::new("correct horse")).decrypt_to(&sealed[..], &mut back).unwrap();
        assert_eq!(back, data);
        let e = Decrypt::Passphrase(Secret::new("wrong horse")).decrypt_to(&sealed[..], Vec::new()).unwrap_err().to_string();
        assert!(e.contains("does not decrypt"), "{e}");
        // truncated: refused, never a short plaintext
        assert!(Decrypt::Passphrase(Secret::new("correct horse")).decrypt_to(&sealed[..sealed.len() - 100], Vec::new()).is_err());
    }

    #[test]
    fn bad_keys_are_named_and_debug_shows_no_key() {
        let (identity, _) = keypair();
        let e = Encrypt::Recipients(vec!["age1nothing".into()]).validate().unwrap_err().to_string();
        assert!(e.contains("age1nothing"), "{e}");
        assert!(Encrypt::Passphrase(Secret::new(" ")).validate().is_err());
        assert!(Decrypt::Identities(Secret::new("hello\n")).validate().is_err());
        assert!(Decrypt::Identities(Secret::new(&identity)).validate().is_ok());
        let d = format!("{:?} {:?}", Encrypt::Passphrase(Secret::new("pw-123")), Decrypt::Identities(Secret::new(&identity)));
        assert!(!d.contains("pw-123") && !d.contains("AGE-SECRET"), "{d}");
    }
}
