//! What a compilation read, remembered so that asking again for an unchanged target costs a few `stat` calls, not a
//! recompile (issue 20: a configuration served to many callers, reloaded when its files change).
//!
//! Owns the fingerprints: a file's stat (size, modification time, inode) and the SHA-256 of the bytes the compiler
//! used; an environment variable's value (or absence) as its SHA-256. Invariant: a fingerprint never says "unchanged"
//! for content other than what the compiler read. A stat that differs from the recorded one makes the file be read
//! and hashed again (an edit that keeps size, inode and modification time to the nanosecond goes unseen: the same
//! trade as make and cargo). When a file is stamped after it was read, it is read once more and compared with what
//! the compiler used, so an edit in between is never taken for the old content.
//!
//! Why SHA-256: the inputs may be adversarial (a file another user can write, a variable set by a caller), so a
//! collision must not be something one can make; sha2 is already in the tree (the store's seal), and a file is hashed
//! only when its stat changed.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

type Hash = [u8; 32];

fn hash(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// The parts of a file's metadata that change when it is written or replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stat {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

fn stat(path: &Path) -> Option<Stat> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stat {
        len: meta.len(),
        modified: meta.modified().ok(),
        inode,
    })
}

/// One file as a compilation used it (`None`: it was absent or unreadable).
#[derive(Debug)]
pub(super) struct FileStamp {
    path: PathBuf,
    stat: Option<Stat>,
    digest: Option<Hash>,
    /// The stat belongs to the content `digest` names (else the next check reads the file).
    trusted: bool,
}

impl FileStamp {
    /// `path` as the compiler read it: `used` is the content it used (`None`: none, the file was absent).
    pub(super) fn new(path: &Path, used: Option<&[u8]>) -> FileStamp {
        let before = stat(path);
        let now = std::fs::read(path).ok().map(|b| hash(&b));
        let digest = used.map(hash);
        FileStamp {
            path: path.to_path_buf(),
            stat: before,
            trusted: now == digest,
            digest,
        }
    }

    /// `path` as it is now (for a file the compiler is about to read: a later edit is seen by [`Self::unchanged`]).
    pub(super) fn now(path: &Path) -> FileStamp {
        let before = stat(path);
        let digest = std::fs::read(path).ok().map(|b| hash(&b));
        FileStamp {
            path: path.to_path_buf(),
            stat: before,
            digest,
            trusted: true,
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file still holds what the compiler used: a stat, and a read and hash only if the stat changed.
    pub(super) fn unchanged(&mut self) -> bool {
        let now = stat(&self.path);
        if self.trusted && now == self.stat {
            return true;
        }
        let digest = std::fs::read(&self.path).ok().map(|b| hash(&b));
        if digest != self.digest {
            return false;
        }
        self.stat = now;
        self.trusted = true;
        true
    }
}

/// The process environment variables a compilation read, with a hash of what each held.
#[derive(Debug, Default)]
pub(super) struct EnvStamp(Vec<(String, Option<Hash>)>);

impl EnvStamp {
    pub(super) fn new(read: &[(String, Option<String>)]) -> EnvStamp {
        EnvStamp(
            read.iter()
                .map(|(name, value)| (name.clone(), value.as_deref().map(|v| hash(v.as_bytes()))))
                .collect(),
        )
    }

    /// Whether every variable still holds what the compilation read (the same lookup `@env` makes).
    pub(super) fn unchanged(&self) -> bool {
        self.0
            .iter()
            .all(|(name, digest)| std::env::var(name).ok().map(|v| hash(v.as_bytes())) == *digest)
    }
}
