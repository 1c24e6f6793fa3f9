//! The store's seal: one line that says which secrets and recipients someone who could decrypt the store vouched
//! for, and a MAC that proves it.
//!
//! ```text
//! seal: "1 <MAC, base64> r:<fp>,<fp> s:<fp>,<fp>"
//! ```
//!
//! Each value is its own age file, encrypted to public keys, so anyone who can write the file can add a correctly
//! bound value, restore an older line from git, or copy a line from another project; decryption alone cannot tell.
//! The seal can: it is an HMAC-SHA256 over the environment, the sealed recipients and every sealed secret's name and
//! ciphertext digest, keyed by a key derived from the sealed values' **file keys** (random per value, 128 bits, known
//! only to those who can decrypt the value; age's header MAC proves each one authentic). Nobody who cannot decrypt
//! every sealed value can compute it, and it reveals nothing about any plaintext. A line rolled back, copied or forged
//! no longer matches its fingerprint, so the seal no longer covers it.
//!
//! The fingerprints (12 hex digits of a SHA-256) are in the clear so that a command without an identity can still
//! say *which* secrets and recipients the seal does not cover (added or changed since, a hosted merge, `set` without
//! an identity); only the MAC, checked with an identity, proves the rest. Invariants: the seal is computed and
//! checked only here; it never holds or depends on a plaintext; a store with no values has nothing secret to key the
//! MAC with, so its seal records the recipients but proves nothing (docs/secrets.md says so).

use std::collections::BTreeMap;

use age::x25519;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::crypto;
use super::store::{Entry, Seal, Store};

fn short(digest: &[u8]) -> String {
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint of a recipient (its public key) in the store of `env`. The environment is in it so that a seal
/// line copied from another environment's store covers nothing here (fingerprints prove nothing: anyone can compute
/// them; this only stops copies made without thought).
pub(crate) fn recipient_fingerprint(env: &str, key: &str) -> String {
    short(
        &Sha256::new()
            .chain_update(b"r\0")
            .chain_update(env.as_bytes())
            .chain_update(b"\0")
            .chain_update(key.as_bytes())
            .finalize(),
    )
}

/// The fingerprint of a stored secret of the store of `env`: its name and its stored text.
pub(crate) fn secret_fingerprint(env: &str, name: &str, entry: &Entry) -> String {
    short(
        &Sha256::new()
            .chain_update(b"s\0")
            .chain_update(env.as_bytes())
            .chain_update(b"\0")
            .chain_update(name.as_bytes())
            .chain_update(b"\0")
            .chain_update(entry.ciphertext.trim().as_bytes())
            .finalize(),
    )
}

/// What the seal covers and what it does not, read from the fingerprints alone (no identity needed, nothing proven).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The store has no seal line at all.
    pub unsealed_store: bool,
    /// Secrets the seal does not cover: added or changed since it was made.
    pub secrets: Vec<String>,
    /// Recipients the seal does not cover: added since it was made.
    pub recipients: Vec<String>,
    /// Sealed secrets no longer in the store (removed, or changed: a changed one is also in `secrets`).
    pub gone_secrets: usize,
    /// Sealed recipients no longer in the store.
    pub gone_recipients: usize,
}

impl Coverage {
    /// Whether the seal covers the store exactly (what `--require-sealed` demands, before the MAC is checked).
    pub fn complete(&self) -> bool {
        !self.unsealed_store
            && self.secrets.is_empty()
            && self.recipients.is_empty()
            && self.gone_secrets == 0
            && self.gone_recipients == 0
    }
}

/// Compare the store with its seal's fingerprints.
pub fn coverage(store: &Store) -> Coverage {
    let Some(seal) = &store.seal else {
        return Coverage {
            unsealed_store: true,
            secrets: store.entries.keys().cloned().collect(),
            recipients: store.recipients.iter().map(|r| r.key.clone()).collect(),
            ..Coverage::default()
        };
    };
    let entry_fps: Vec<String> = store
        .entries
        .iter()
        .map(|(n, e)| secret_fingerprint(&store.env, n, e))
        .collect();
    let recipient_fps: Vec<String> = store
        .recipients
        .iter()
        .map(|r| recipient_fingerprint(&store.env, &r.key))
        .collect();
    Coverage {
        unsealed_store: false,
        secrets: store
            .entries
            .keys()
            .zip(&entry_fps)
            .filter(|(_, fp)| !seal.secrets.contains(fp))
            .map(|(n, _)| n.clone())
            .collect(),
        recipients: store
            .recipients
            .iter()
            .zip(&recipient_fps)
            .filter(|(_, fp)| !seal.recipients.contains(fp))
            .map(|(r, _)| r.key.clone())
            .collect(),
        gone_secrets: seal
            .secrets
            .iter()
            .filter(|f| !entry_fps.contains(f))
            .count(),
        gone_recipients: seal
            .recipients
            .iter()
            .filter(|f| !recipient_fps.contains(f))
            .count(),
    }
}

/// Why the seal could not be made or checked. Carries names, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealFailure {
    /// These secrets do not decrypt with the identity (each with its reason).
    Undecryptable(Vec<(String, crypto::DecryptFailure)>),
    /// The MAC does not match: the seal line was edited, or a sealed line was replaced by one with the same
    /// fingerprint.
    BadMac,
    /// Something the seal covers is gone from the store (removed, or replaced by another line): the MAC cannot be
    /// checked, and nothing the seal says can be trusted ([`Coverage`] names what changed).
    Incomplete,
}

/// The MAC over the given recipients and secrets (each with its decrypted file key).
fn mac(env: &str, recipients: &[&str], secrets: &Keyed) -> Result<Hmac<Sha256>, SealFailure> {
    // HMAC takes a key of any length, so `new_from_slice` cannot fail; `BadMac` is only a never-taken path.
    let keyed =
        |key: &[u8]| <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| SealFailure::BadMac);
    // The key: HKDF-Extract (an HMAC under a fixed salt) of every sealed value's file key, in name order.
    let mut kdf = keyed(b"tuskc-seal-v1 key")?;
    kdf.update(env.as_bytes());
    kdf.update(b"\0");
    for (name, (_, key)) in secrets {
        kdf.update(name.as_bytes());
        kdf.update(b"\0");
        kdf.update(&key[..]);
    }
    let key = Zeroizing::new(kdf.finalize().into_bytes());
    let mut m = keyed(&key)?;
    m.update(b"tuskc-seal-v1\0");
    m.update(env.as_bytes());
    m.update(b"\0");
    let mut sorted: Vec<&str> = recipients.to_vec();
    sorted.sort_unstable();
    for r in sorted {
        m.update(b"r\0");
        m.update(r.as_bytes());
        m.update(b"\0");
    }
    for (name, (entry, _)) in secrets {
        m.update(b"s\0");
        m.update(name.as_bytes());
        m.update(b"\0");
        m.update(&Sha256::digest(entry.ciphertext.trim().as_bytes()));
    }
    Ok(m)
}

/// Sealed entries by name, each with its value's file key.
type Keyed<'s> = BTreeMap<&'s str, (&'s Entry, Zeroizing<[u8; 16]>)>;

/// Decrypt the named entries, keeping each file key; every failure is collected.
fn file_keys<'s>(
    store: &'s Store,
    names: impl Iterator<Item = &'s String>,
    ids: &[x25519::Identity],
) -> Result<Keyed<'s>, SealFailure> {
    let mut keys = BTreeMap::new();
    let mut failures = Vec::new();
    for name in names {
        let Some(entry) = store.entries.get(name) else {
            continue;
        };
        let opened = entry
            .bytes()
            .map_err(crypto::DecryptFailure::Damaged)
            .and_then(|bytes| crypto::decrypt(&bytes, ids, &store.env, name));
        match opened {
            Ok(d) => {
                keys.insert(name.as_str(), (entry, d.file_key));
            }
            Err(f) => failures.push((name.clone(), f)),
        }
    }
    if failures.is_empty() {
        Ok(keys)
    } else {
        Err(SealFailure::Undecryptable(failures))
    }
}

/// Seal the whole store as it is: every value must decrypt with `ids` (for a store without values, no identity is
/// needed and the seal proves nothing).
pub fn seal(store: &Store, ids: &[x25519::Identity]) -> Result<Seal, SealFailure> {
    let keys = file_keys(store, store.entries.keys(), ids)?;
    let recipients: Vec<&str> = store.recipients.iter().map(|r| r.key.as_str()).collect();
    let tag = mac(&store.env, &recipients, &keys)?.finalize().into_bytes();
    use base64::Engine as _;
    Ok(Seal {
        mac: base64::engine::general_purpose::STANDARD.encode(tag),
        recipients: store
            .recipients
            .iter()
            .map(|r| recipient_fingerprint(&store.env, &r.key))
            .collect(),
        secrets: store
            .entries
            .iter()
            .map(|(n, e)| secret_fingerprint(&store.env, n, e))
            .collect(),
    })
}

/// Check the seal's MAC over what it covers: the covered secrets and recipients, all still in the store (something
/// sealed that is gone is [`SealFailure::Incomplete`]). A store without a seal verifies trivially (its [`Coverage`]
/// says it is unsealed). What the MAC proves is only as strong as the file keys it is keyed with: see `anchored_by`.
#[cfg(test)]
pub fn verify(store: &Store, ids: &[x25519::Identity]) -> Result<(), SealFailure> {
    verify_covered(store, ids, &coverage(store))
}

/// [`verify`] with the store's [`Coverage`] already computed (fingerprinting hashes every entry).
pub(crate) fn verify_covered(
    store: &Store,
    ids: &[x25519::Identity],
    covered: &Coverage,
) -> Result<(), SealFailure> {
    let Some(seal) = &store.seal else {
        return Ok(());
    };
    if covered.gone_secrets > 0 || covered.gone_recipients > 0 {
        return Err(SealFailure::Incomplete);
    }
    let names = store
        .entries
        .keys()
        .filter(|n| !covered.secrets.contains(n));
    let keys = file_keys(store, names, ids)?;
    let recipients: Vec<&str> = store
        .recipients
        .iter()
        .map(|r| r.key.as_str())
        .filter(|k| !covered.recipients.iter().any(|c| c == k))
        .collect();
    use base64::Engine as _;
    let Ok(tag) = base64::engine::general_purpose::STANDARD.decode(&seal.mac) else {
        return Err(SealFailure::BadMac);
    };
    mac(&store.env, &recipients, &keys)?
        .verify_slice(&tag)
        .map_err(|_| SealFailure::BadMac)
}

/// Whether the seal covers the whole store exactly and its MAC verifies with `ids`: what `--require-sealed` demands,
/// and what a command checks before it re-seals (it vouches only for its own change).
pub fn sealed(store: &Store, ids: &[x25519::Identity]) -> Result<(), SealFailure> {
    let covered = coverage(store);
    if !covered.complete() {
        return Err(SealFailure::Incomplete);
    }
    verify_covered(store, ids, &covered)
}

/// Whether a verified seal proves anything: its MAC is keyed by at least one value's file key, which a writer
/// without a key cannot know. A seal that covers no secret (an empty store, or a seal line with an empty `s:`) is
/// keyed by nothing secret, so anyone can write one.
pub(crate) fn anchored_by(store: &Store, covered: &Coverage) -> bool {
    !covered.unsealed_store && store.entries.keys().any(|n| !covered.secrets.contains(n))
}

/// The recipients a verified, anchored seal covers (checked with `ids`); without identities, those its fingerprints
/// cover, which proves nothing (anyone who can write the file can edit them).
pub fn trusted_recipients(store: &Store, ids: Option<&[x25519::Identity]>) -> Vec<String> {
    let covered = coverage(store);
    let by_fingerprint = || {
        store
            .recipients
            .iter()
            .map(|r| r.key.clone())
            .filter(|k| !covered.recipients.contains(k))
            .collect()
    };
    match ids {
        None if covered.unsealed_store => Vec::new(),
        None => by_fingerprint(),
        // A store without values has nothing to key a MAC with: its fingerprints are all there is.
        Some(_) if store.entries.is_empty() && !covered.unsealed_store => by_fingerprint(),
        Some(ids)
            if anchored_by(store, &covered) && verify_covered(store, ids, &covered).is_ok() =>
        {
            by_fingerprint()
        }
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::secrets::store::Recipient;

    fn store_with(values: &[(&str, &str)]) -> (Store, Vec<x25519::Identity>, x25519::Recipient) {
        let (text, public) = crypto::generate_identity();
        let ids = crypto::parse_identities(&text).unwrap();
        let r = crypto::parse_recipient(&public).unwrap();
        let mut s = Store::new(
            "prod",
            vec![Recipient {
                key: public,
                comment: None,
            }],
        );
        for (n, v) in values {
            let ct = crypto::encrypt(v.as_bytes(), std::slice::from_ref(&r), "prod", n).unwrap();
            s.put(n, &ct);
        }
        (s, ids, r)
    }

    #[test]
    fn a_sealed_store_verifies_and_every_change_shows() {
        let (mut s, ids, r) = store_with(&[("a", "1"), ("b", "2")]);
        assert!(coverage(&s).unsealed_store);
        s.seal = Some(seal(&s, &ids).unwrap());
        assert!(coverage(&s).complete());
        verify(&s, &ids).unwrap();
        assert_eq!(Seal::parse(&s.seal.as_ref().unwrap().render()), s.seal);

        // Rolled back / replaced: a new ciphertext of the same name is not covered, and the old one is gone.
        let old = s.clone();
        let ct = crypto::encrypt(b"forged", std::slice::from_ref(&r), "prod", "a").unwrap();
        s.put("a", &ct);
        let c = coverage(&s);
        assert_eq!(
            (c.secrets.clone(), c.gone_secrets),
            (vec!["a".to_string()], 1)
        );
        assert!(!c.complete());

        // A seal line edited to cover the forged line (new fingerprints, the old MAC) fails the MAC.
        let mut forged = s.clone();
        let mut seal_line = old.seal.clone().unwrap();
        seal_line.secrets = s
            .entries
            .iter()
            .map(|(n, e)| secret_fingerprint("prod", n, e))
            .collect();
        forged.seal = Some(seal_line);
        assert!(coverage(&forged).complete());
        assert_eq!(verify(&forged, &ids), Err(SealFailure::BadMac));

        // A seal made by someone who cannot decrypt the other values: impossible (no file key).
        let (text, _) = crypto::generate_identity();
        let stranger = crypto::parse_identities(&text).unwrap();
        assert!(matches!(
            seal(&s, &stranger),
            Err(SealFailure::Undecryptable(_))
        ));
    }

    #[test]
    fn a_recipient_added_without_sealing_is_named() {
        let (mut s, ids, _) = store_with(&[("a", "1")]);
        s.seal = Some(seal(&s, &ids).unwrap());
        let (_, other) = crypto::generate_identity();
        s.recipients.push(Recipient {
            key: other.clone(),
            comment: None,
        });
        let c = coverage(&s);
        assert_eq!(c.recipients, vec![other]);
        // What the seal does cover still verifies, and vouches for the first recipient only.
        verify(&s, &ids).unwrap();
        assert_eq!(trusted_recipients(&s, Some(&ids)).len(), 1);
        // A seal edited to cover no secret is keyed by nothing secret: it vouches for no recipient.
        let mut unanchored = s.clone();
        let mut line = unanchored.seal.clone().unwrap();
        line.secrets.clear();
        line.recipients = s
            .recipients
            .iter()
            .map(|r| recipient_fingerprint("prod", &r.key))
            .collect();
        unanchored.seal = Some(line);
        assert!(!anchored_by(&unanchored, &coverage(&unanchored)));
        assert!(trusted_recipients(&unanchored, Some(&ids)).is_empty());
        // A bogus fingerprint of a "gone" secret does not make the rest trusted either.
        let mut gone = s.clone();
        let mut line = gone.seal.clone().unwrap();
        line.secrets.push("0123456789ab".into());
        line.recipients = s
            .recipients
            .iter()
            .map(|r| recipient_fingerprint("prod", &r.key))
            .collect();
        gone.seal = Some(line);
        assert_eq!(verify(&gone, &ids), Err(SealFailure::Incomplete));
        assert!(trusted_recipients(&gone, Some(&ids)).is_empty());
    }

    #[test]
    fn the_seal_line_parses_strictly() {
        assert!(Seal::parse("1 abc r: s:").is_some());
        assert!(Seal::parse("2 abc r: s:").is_none());
        assert!(Seal::parse("1 abc r:xyz s:").is_none());
        assert!(Seal::parse("1 abc r: s: extra").is_none());
        assert!(Seal::parse("").is_none());
    }
}
