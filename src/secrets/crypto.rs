//! The age layer: recipients, identities, and one value's encryption and decryption.
//!
//! Every value is its own age file (age-encryption.org/v1), encrypted to the environment's X25519 recipients. Next
//! to the recipient stanzas, the header carries one more stanza, `-> tuskc-bind <env> <name>`, with an empty body.
//! It wraps nothing (age implementations skip stanzas they do not know, so `age -d` reads these files), but the
//! header MAC, keyed by the file key, covers it: nobody without the file key can change it, so a ciphertext moved
//! to another name or environment is detected on decryption. Invariants: no home-made cryptography (the `age`
//! crate does all of it; the store's seal in `seal.rs` is a standard HMAC-SHA256 keyed from the file keys age
//! unwraps); plaintext and file keys are returned only to the caller that asked, never put into an error.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use age::x25519;
use age_core::format::{FileKey, Stanza};
use zeroize::Zeroizing;

/// The tag of the binding stanza.
pub const BIND_TAG: &str = "tuskc-bind";

/// A recipient from its text, or a message saying what a recipient looks like.
pub fn parse_recipient(text: &str) -> Result<x25519::Recipient, String> {
    let t = text.trim();
    x25519::Recipient::from_str(t).map_err(|_| {
        if t.starts_with("AGE-SECRET-KEY-") {
            "this is a private key (an identity), not a recipient: give its public key, `age-keygen -y KEYFILE` prints it".to_string()
        } else if t.starts_with("ssh-") {
            "SSH keys are not supported as recipients; use an age X25519 key (`age-keygen`)".to_string()
        } else {
            "not an age X25519 public key (`age1` followed by 58 characters)".to_string()
        }
    })
}

/// The X25519 identities in an identity file's text (as `age-keygen` writes: `#` comments, blank lines, one
/// `AGE-SECRET-KEY-1...` per line). Errors name the line, never its content.
pub fn parse_identities(text: &str) -> Result<Vec<x25519::Identity>, String> {
    let mut ids = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match x25519::Identity::from_str(line) {
            Ok(id) => ids.push(id),
            Err(_) if line.starts_with("AGE-PLUGIN-") => {
                return Err(format!(
                    "line {} is an age plugin identity; tuskc reads X25519 identities only",
                    i + 1
                ))
            }
            Err(_) => {
                return Err(format!(
                    "line {} is not an age identity (`AGE-SECRET-KEY-1...`)",
                    i + 1
                ))
            }
        }
    }
    if ids.is_empty() {
        return Err("it holds no identity (`AGE-SECRET-KEY-1...` line)".into());
    }
    Ok(ids)
}

/// Whether a file's bytes are an age file (binary or armored) rather than an identity list: a
/// passphrase-protected identity file made with `age -p`.
pub fn is_age_file(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
        || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

/// Decrypt a passphrase-protected identity file (scrypt recipient).
pub fn decrypt_with_passphrase(
    bytes: &[u8],
    passphrase: &str,
) -> Result<Zeroizing<Vec<u8>>, String> {
    let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_string()));
    let reader = age::armor::ArmoredReader::new(bytes);
    let decryptor = age::Decryptor::new(reader).map_err(|e| format!("not an age file ({e})"))?;
    let mut out = Zeroizing::new(Vec::new());
    decryptor
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
                "the passphrase is wrong".to_string()
            }
            other => other.to_string(),
        })?
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// The `Recipient` that adds the binding stanza. It wraps nothing and declares no labels, so it combines with any
/// X25519 recipients.
struct Binding<'a> {
    env: &'a str,
    name: &'a str,
}

impl age::Recipient for Binding<'_> {
    fn wrap_file_key(
        &self,
        _file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        Ok((
            vec![Stanza {
                tag: BIND_TAG.into(),
                args: vec![self.env.to_string(), self.name.to_string()],
                body: Vec::new(),
            }],
            HashSet::new(),
        ))
    }
}

/// Encrypt one value to `recipients`, bound to `env` and `name` (both valid store names).
pub fn encrypt(
    plaintext: &[u8],
    recipients: &[x25519::Recipient],
    env: &str,
    name: &str,
) -> Result<Vec<u8>, String> {
    let binding = Binding { env, name };
    let all = recipients
        .iter()
        .map(|r| r as &dyn age::Recipient)
        .chain(std::iter::once(&binding as &dyn age::Recipient));
    let encryptor = age::Encryptor::with_recipients(all).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(plaintext.len() + 300);
    let mut w = encryptor.wrap_output(&mut out).map_err(|e| e.to_string())?;
    w.write_all(plaintext).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Why a value could not be decrypted. Carries no plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptFailure {
    /// No identity matches any recipient stanza.
    NotARecipient,
    /// Not an age file, a broken header, a bad header MAC, or a payload that fails authentication.
    Damaged(String),
    /// The binding stanza names another environment or secret.
    Misbound { env: String, name: String },
}

/// Records the binding stanza while the real identities unwrap the file key. It never unwraps anything itself.
struct BindingReader {
    seen: RefCell<Option<Vec<String>>>,
}

impl age::Identity for BindingReader {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        if stanza.tag == BIND_TAG {
            *self.seen.borrow_mut() = Some(stanza.args.clone());
        }
        None
    }
}

/// Wraps a real identity and keeps a copy of the file key it unwraps, which the store's seal is keyed with
/// (`seal.rs`). Used only when the whole file then decrypts, so the header MAC has proved the key authentic.
struct KeyCapture<'a> {
    inner: &'a x25519::Identity,
    key: RefCell<Option<Zeroizing<[u8; 16]>>>,
}

impl age::Identity for KeyCapture<'_> {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        let unwrapped = self.inner.unwrap_stanza(stanza);
        if let Some(Ok(key)) = &unwrapped {
            *self.key.borrow_mut() = Some(Zeroizing::new(*key.expose_secret()));
        }
        unwrapped
    }
}

/// A decrypted value, whether it carried the binding (values encrypted by plain `age` do not), and its file key
/// (random per value, known only to those who can decrypt it: what the store's seal is keyed with). Both secret
/// parts are wiped when dropped.
pub struct Decrypted {
    pub plaintext: Zeroizing<Vec<u8>>,
    pub bound: bool,
    pub file_key: Zeroizing<[u8; 16]>,
}

/// Decrypt one stored value and check its binding against `env` and `name`.
pub fn decrypt(
    ciphertext: &[u8],
    identities: &[x25519::Identity],
    env: &str,
    name: &str,
) -> Result<Decrypted, DecryptFailure> {
    let damaged = |what: &str| DecryptFailure::Damaged(what.to_string());
    let reader = age::armor::ArmoredReader::new(ciphertext);
    let decryptor = age::Decryptor::new(reader).map_err(|e| match e {
        age::DecryptError::UnknownFormat => damaged("it is not an age v1 file"),
        _ => damaged("its age header is malformed"),
    })?;
    let binding = BindingReader {
        seen: RefCell::new(None),
    };
    let captures: Vec<KeyCapture> = identities
        .iter()
        .map(|inner| KeyCapture {
            inner,
            key: RefCell::new(None),
        })
        .collect();
    let ids = std::iter::once(&binding as &dyn age::Identity)
        .chain(captures.iter().map(|i| i as &dyn age::Identity));
    let mut stream = decryptor.decrypt(ids).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => DecryptFailure::NotARecipient,
        age::DecryptError::InvalidMac => damaged("its header fails authentication (header MAC)"),
        _ => damaged("its recipient stanzas are malformed"),
    })?;
    let mut plaintext = Zeroizing::new(Vec::new());
    stream
        .read_to_end(&mut plaintext)
        .map_err(|_| damaged("its payload fails authentication"))?;
    let file_key = captures
        .iter()
        .find_map(|c| c.key.borrow_mut().take())
        .ok_or_else(|| damaged("its file key was not unwrapped by a known identity"))?;
    // The header MAC was verified before the payload key was derived, so the recorded stanza is authentic.
    let seen = binding.seen.into_inner();
    match seen.as_deref() {
        None => Ok(Decrypted {
            plaintext,
            bound: false,
            file_key,
        }),
        Some([e, n]) if e == env && n == name => Ok(Decrypted {
            plaintext,
            bound: true,
            file_key,
        }),
        Some([e, n]) => Err(DecryptFailure::Misbound {
            env: e.clone(),
            name: n.clone(),
        }),
        Some(_) => Err(damaged("its binding stanza is malformed")),
    }
}

/// A new identity: the file text (as `age-keygen` writes it, without the clock) and its public key.
pub fn generate_identity() -> (Zeroizing<String>, String) {
    let id = x25519::Identity::generate();
    let public = id.to_public().to_string();
    let text = Zeroizing::new(format!(
        "# tuskc identity (age X25519). Keep this file private; never commit it.\n# public key: {public}\n{}\n",
        id.to_string().expose_secret()
    ));
    (text, public)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_binding_and_failures() {
        let (text, public) = generate_identity();
        let ids = parse_identities(&text).unwrap();
        let r = parse_recipient(&public).unwrap();
        let ct = encrypt(b"hunter2", std::slice::from_ref(&r), "prod", "db").unwrap();
        let d = decrypt(&ct, &ids, "prod", "db").unwrap();
        assert_eq!(&d.plaintext[..], b"hunter2");
        assert!(d.bound);
        assert_eq!(
            decrypt(&ct, &ids, "prod", "other").err(),
            Some(DecryptFailure::Misbound {
                env: "prod".into(),
                name: "db".into()
            })
        );
        let (other, _) = generate_identity();
        assert_eq!(
            decrypt(&ct, &parse_identities(&other).unwrap(), "prod", "db").err(),
            Some(DecryptFailure::NotARecipient)
        );
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(matches!(
            decrypt(&bad, &ids, "prod", "db"),
            Err(DecryptFailure::Damaged(_))
        ));
        assert!(matches!(
            decrypt(b"hello", &ids, "prod", "db"),
            Err(DecryptFailure::Damaged(_))
        ));
    }

    #[test]
    fn identity_errors_name_lines_not_content() {
        let e = parse_identities("# c\n\nAGE-SECRET-KEY-1NOTREALLY\n")
            .err()
            .unwrap();
        assert!(e.contains("line 3") && !e.contains("NOTREALLY"), "{e}");
        assert!(parse_identities("# nothing\n").err().is_some());
        assert!(parse_recipient("AGE-SECRET-KEY-1X")
            .unwrap_err()
            .contains("private key"));
    }
}
