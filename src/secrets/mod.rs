//! Secrets: the per-environment encrypted store, identities, and `@secret` resolution during a build.
//!
//! Owns: the store format (`store.rs`), the age layer (`crypto.rs`), and [`SecretResolver`], which the evaluator
//! asks about every `@secret("name")`. Invariants: a secret's value is decrypted only in `--secrets resolve` (and
//! by `tuskc secrets get`/`export`/`rotate`), and then only into values marked `secret`, which every printer
//! masks; diagnostics name secrets, stores and identity files, never a value or a key; each store and each value
//! is read and decrypted at most once per run, however many targets use it; a problem with a whole store or
//! identity is reported once per target, at the first `@secret` that needed it.

pub mod crypto;
pub mod detect;
pub mod seal;
pub mod store;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard, OnceLock};

use age::x25519;
use zeroize::Zeroizing;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::Target;
use crate::source::{FileId, Span};
use crate::value::{Value, ValueKind};

pub use detect::{looks_like_key_material, shown_argument};
pub use store::Store;

/// What `@secret("name")` becomes in the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum SecretMode {
    /// A stable reference, `secret://name`, for a deploy step to resolve.
    #[default]
    Reference,
    /// A fixed mask, for sharing or reviewing output.
    Redact,
    /// The decrypted value (needs an identity); output files are written with mode 0600.
    Resolve,
}

/// The text `--secrets redact` puts in place of every value a secret went into.
pub const MASK: &str = "********";

/// The environment variable naming the identity file (or holding the identity itself).
pub const IDENTITY_VAR: &str = "TUSKC_IDENTITY";
/// The environment variable holding the passphrase of a passphrase-protected identity file.
pub const PASSPHRASE_VAR: &str = "TUSKC_IDENTITY_PASSPHRASE";

/// Where the identity comes from: `--identity FILE`, else `TUSKC_IDENTITY` (a path, or the key file's text itself).
#[derive(Clone, Default)]
pub enum IdentitySource {
    #[default]
    None,
    /// A file named on the command line (`from_env: false`) or by `TUSKC_IDENTITY` (`from_env: true`, and then its
    /// path is never printed: a variable meant to hold a key may hold a mangled one).
    File { path: PathBuf, from_env: bool },
    /// Identity text from the environment variable or the flag (never printed).
    Inline(Zeroizing<String>),
}

impl std::fmt::Debug for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentitySource::None => f.write_str("None"),
            IdentitySource::File { from_env: true, .. } => {
                f.write_str("File(<from the environment>)")
            }
            IdentitySource::File { path, .. } => write!(f, "File({path:?})"),
            IdentitySource::Inline(_) => f.write_str("Inline(<hidden>)"),
        }
    }
}

impl IdentitySource {
    /// The flag wins; otherwise the environment variable; otherwise none. Text that may be key material is taken as
    /// the identity itself, wherever it came from.
    pub fn from_flag_or_env(flag: Option<&Path>) -> Self {
        if let Some(p) = flag {
            let text = p.to_string_lossy();
            if looks_like_key_material(&text) {
                return IdentitySource::Inline(Zeroizing::new(text.into_owned()));
            }
            return IdentitySource::File {
                path: p.to_path_buf(),
                from_env: false,
            };
        }
        match std::env::var(IDENTITY_VAR) {
            Ok(v) if looks_like_key_material(&v) => IdentitySource::Inline(Zeroizing::new(v)),
            Ok(v) if !v.trim().is_empty() => IdentitySource::File {
                path: PathBuf::from(v),
                from_env: true,
            },
            _ => IdentitySource::None,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            IdentitySource::None => "no identity".into(),
            IdentitySource::File { from_env: true, .. } => {
                format!("the identity file named by ${IDENTITY_VAR}")
            }
            IdentitySource::File { path, .. } => format!("`{}`", path.display()),
            IdentitySource::Inline(_) => "the identity given inline".to_string(),
        }
    }

    /// Read and parse the identities, with a warning when the file is readable by other users. Errors are
    /// TSK0604/TSK0605 and never quote the file, nor the variable's content.
    pub fn load(&self) -> Result<Loaded, Diagnostic> {
        let mut warning = None;
        let bytes: Zeroizing<Vec<u8>> = match self {
            IdentitySource::None => {
                return Err(Diagnostic::error(Code::IdentityMissing, "decrypting secrets needs an age identity")
                    .help(format!("pass `--identity FILE` (a file `age-keygen` wrote) or set {IDENTITY_VAR} to its path or its text")))
            }
            IdentitySource::Inline(text) => Zeroizing::new(text.as_bytes().to_vec()),
            IdentitySource::File { path, .. } => {
                let bytes = crate::user_file::read(path).map_err(|e| {
                    // A path that names nothing may be a key pasted without its prefix: not echoed.
                    // Shown only when it reads as a path (a separator or an extension).
                    let looks_like_path = |p: &Path| {
                        let t = p.to_string_lossy();
                        t.contains(std::path::MAIN_SEPARATOR) || t.contains('/') || t.contains('.')
                    };
                    let what = if e.kind() == std::io::ErrorKind::NotFound {
                        match self {
                            IdentitySource::File {
                                path,
                                from_env: false,
                            } if !looks_like_path(path) => {
                                "the identity file given to --identity (not shown)".to_string()
                            }
                            _ => self.describe_file(),
                        }
                    } else {
                        self.describe_file()
                    };
                    Diagnostic::error(
                        Code::IdentityInvalid,
                        format!("cannot read {what}: {}", io_reason(&e)),
                    )
                    .help(format!("pass `--identity FILE`, or set {IDENTITY_VAR} to an existing file or to the key file's text"))
                })?;
                warning = self.permission_warning(path);
                Zeroizing::new(bytes)
            }
        };
        let invalid = |why: String| {
            Diagnostic::error(Code::IdentityInvalid, format!("{} cannot be used: {why}", self.describe()))
                .help("an identity file is what `age-keygen -o FILE` writes: `AGE-SECRET-KEY-1...` lines and `#` comments")
        };
        let bytes = if crypto::is_age_file(&bytes) {
            let passphrase = passphrase().ok_or_else(|| {
                invalid(format!(
                    "it is passphrase-protected and no passphrase was given (set {PASSPHRASE_VAR}, or run on a terminal to be asked)"
                ))
            })?;
            crypto::decrypt_with_passphrase(&bytes, &passphrase).map_err(invalid)?
        } else {
            bytes
        };
        let text =
            std::str::from_utf8(&bytes).map_err(|_| invalid("it is not UTF-8 text".into()))?;
        let ids = crypto::parse_identities(text).map_err(invalid)?;
        Ok((ids, warning))
    }

    /// "the identity file `PATH`", or the variable's name when the path came from it.
    fn describe_file(&self) -> String {
        match self {
            IdentitySource::File {
                path,
                from_env: false,
            } => {
                format!("the identity file `{}`", path.display())
            }
            _ => self.describe(),
        }
    }

    /// TSK0614 when an identity file can be read by users other than its owner (ssh refuses such keys; tuskc warns).
    #[cfg(unix)]
    fn permission_warning(&self, path: &Path) -> Option<Diagnostic> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            let fix = match self {
                IdentitySource::File {
                    from_env: false, ..
                } => format!("chmod 600 {}", path.display()),
                _ => format!("chmod 600 \"${IDENTITY_VAR}\""),
            };
            Diagnostic::warning(
                Code::IdentityExposed,
                format!(
                    "{} is readable by other users (mode {mode:o})",
                    self.describe_file()
                ),
            )
            .note("anyone who can read it can decrypt every secret it is a recipient of")
            .help(format!("make it private: `{fix}`"))
        })
    }

    #[cfg(not(unix))]
    fn permission_warning(&self, _path: &Path) -> Option<Diagnostic> {
        None
    }
}

fn passphrase() -> Option<Zeroizing<String>> {
    if let Ok(p) = std::env::var(PASSPHRASE_VAR) {
        return Some(Zeroizing::new(p));
    }
    // Only the tool prompts on a terminal: a library (built without `cli`) must not block its host on a prompt, so
    // there the passphrase comes from the environment only.
    #[cfg(feature = "cli")]
    {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            return rpassword::prompt_password("passphrase for the tuskc identity: ")
                .ok()
                .map(Zeroizing::new);
        }
    }
    None
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        _ => e.to_string(),
    }
}

/// Where a project keeps its stores: `<root>/<dir>/<env>.tsk`.
#[derive(Debug, Clone)]
pub struct StoreDir {
    /// The directory on disk.
    pub dir: PathBuf,
    /// The directory as the user would type it (for messages).
    pub display: PathBuf,
}

/// A store file's state, as read once per run.
pub enum StoreState {
    Absent,
    Broken(Diagnostic),
    Ready(Store),
}

impl StoreDir {
    pub fn file(&self, env: &str) -> PathBuf {
        self.dir.join(format!("{env}.tsk"))
    }

    pub fn display_file(&self, env: &str) -> String {
        crate::user_file::normalize(&self.display.join(format!("{env}.tsk")))
            .display()
            .to_string()
    }

    /// Lock the store file of `env` for a read-modify-write (an exclusive advisory lock, waited for), so two
    /// `tuskc secrets` commands never lose each other's change. The store is replaced by renaming a new file over it,
    /// so after the lock is granted the path is checked to still name the locked file; if another writer replaced it
    /// meanwhile, the new file is locked instead. `Ok(None)`: the store does not exist.
    pub fn lock(&self, env: &str) -> std::io::Result<Option<std::fs::File>> {
        let path = self.file(env);
        for _ in 0..1000 {
            let file = match crate::user_file::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            file.lock()?;
            if same_file(&file, &path) {
                return Ok(Some(file));
            }
        }
        Err(std::io::Error::other(
            "the store kept being replaced while waiting for its lock",
        ))
    }

    /// Read and parse the store of `env`.
    pub fn read(&self, env: &str) -> StoreState {
        let shown = self.display_file(env);
        let text = match crate::user_file::read(&self.file(env)) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    return StoreState::Broken(Diagnostic::error(
                        Code::SecretStoreInvalid,
                        format!("the secrets store `{shown}` is not UTF-8 text"),
                    ))
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return StoreState::Absent,
            Err(e) => {
                return StoreState::Broken(Diagnostic::error(
                    Code::Io,
                    format!("cannot read the secrets store `{shown}`: {e}"),
                ))
            }
        };
        match Store::parse(&text) {
            Ok(s) if s.env == env => StoreState::Ready(s),
            Ok(s) => StoreState::Broken(
                Diagnostic::error(
                    Code::SecretStoreInvalid,
                    format!("the secrets store `{shown}` belongs to environment `{}`", s.env),
                )
                .note("a store file was copied or renamed from another environment; its values are encrypted for that one")
                .help(format!("restore `{shown}` from version control, or create it with `tuskc secrets init --env {env}`")),
            ),
            Err(errors) => {
                let mut d = Diagnostic::error(
                    Code::SecretStoreInvalid,
                    format!("the secrets store `{shown}` cannot be read"),
                );
                for e in errors {
                    d = d.note(if e.line == 0 {
                        e.message
                    } else {
                        format!("{shown}:{}: {}", e.line, e.message)
                    });
                }
                StoreState::Broken(d.help("restore the file from version control; `tuskc secrets` commands write it. After a merge: a secret stored twice keeps one of its two lines (the first is ours, the second theirs); conflict markers mean the merge is not finished (`git merge --abort`, or set up `tuskc secrets merge` as the merge driver: docs/secrets.md#merging)"))
            }
        }
    }
}

/// Whether the open `file` is still the one at `path` (not replaced by a rename since it was opened).
#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &std::fs::File, path: &Path) -> bool {
    // Elsewhere a file cannot be renamed over while it is open, so the path still names it.
    path.exists()
}

/// What the evaluator does with one `@secret("name")`. Each carries the diagnostics to report at that site (a
/// missing name, an unbound value, an unsealed store, a world-readable identity; each store-wide one once per target).
pub enum Lookup {
    /// Emit the reference (reference and redact modes).
    Reference(Vec<Diagnostic>),
    /// The decrypted value (wiped from memory when the last copy of the cache's handle is dropped).
    Resolved(Arc<Zeroizing<String>>, Vec<Diagnostic>),
    /// The secret cannot be had; the list is empty when this target was already told why.
    Failed(Vec<Diagnostic>),
}

/// A decrypted value (and whether it was bound), or why not; cached per (environment, name).
type Decryption = Result<(Arc<Zeroizing<String>>, bool), Diagnostic>;

/// Identities as loaded, with the warning about a file others can read.
type Loaded = (Vec<x25519::Identity>, Option<Diagnostic>);

/// Answers the evaluator's `@secret` questions for a whole run, caching stores and decrypted values.
pub struct SecretResolver {
    pub mode: SecretMode,
    pub stores: StoreDir,
    /// `--require-sealed`: a store whose seal does not cover it exactly, or does not verify, is an error.
    pub require_sealed: bool,
    identity: IdentitySource,
    ids: OnceLock<Result<Loaded, Diagnostic>>,
    cache: Mutex<HashMap<String, Arc<StoreState>>>,
    values: Mutex<HashMap<(String, String), Decryption>>,
    /// Each store's seal problem (`None`: sealed), found once per run.
    seals: Mutex<HashMap<String, Option<Diagnostic>>>,
    /// Whole-store and identity problems already reported, per target.
    told: Mutex<HashSet<(String, String)>>,
}

/// The store a target reads: its environment's, or `default` for a target without one.
pub fn store_env(target: &Target) -> &str {
    target.env.as_deref().unwrap_or("default")
}

/// TSK0615/TSK0616 for a store whose seal does not cover it exactly or does not verify (with `ids`); `None` when
/// sealed. Without identities only the fingerprints are compared (nothing proven). Names, never values.
pub fn seal_problem(
    store: &Store,
    shown: &str,
    ids: Option<&[x25519::Identity]>,
    required: bool,
) -> Option<Diagnostic> {
    let env = &store.env;
    let severity = |d: Diagnostic| {
        if required {
            d
        } else {
            Diagnostic {
                severity: crate::diagnostic::Severity::Warning,
                ..d
            }
        }
    };
    let covered = seal::coverage(store);
    if !covered.complete() {
        let mut d = Diagnostic::error(
            Code::StoreUnsealed,
            if covered.unsealed_store {
                format!("the `{env}` secrets store `{shown}` has no seal (it was never sealed, or its seal line was removed)")
            } else {
                format!("the seal of the `{env}` secrets store `{shown}` does not cover all of it")
            },
        );
        if !covered.unsealed_store {
            if !covered.secrets.is_empty() {
                d = d.note(format!(
                    "secrets added or changed since it was sealed: {}",
                    quoted_list(&covered.secrets)
                ));
            }
            if !covered.recipients.is_empty() {
                d = d.note(format!(
                    "recipients added since it was sealed: {}",
                    quoted_list(&covered.recipients)
                ));
            }
            if covered.gone_secrets > 0 {
                d = d.note(format!(
                    "{} sealed secret value{} no longer in the store (removed, replaced, or restored from history)",
                    covered.gone_secrets,
                    if covered.gone_secrets == 1 { " is" } else { "s are" }
                ));
            }
            if covered.gone_recipients > 0 {
                d = d.note(format!(
                    "{} sealed recipient{} been removed",
                    covered.gone_recipients,
                    if covered.gone_recipients == 1 {
                        " has"
                    } else {
                        "s have"
                    }
                ));
            }
        }
        d = d.note("a value set without an identity, a merge made where `tuskc secrets merge` did not run, a line restored from history or copied from another store all look like this");
        return Some(severity(d.help(format!(
            "review the changes (`git log -p {shown}`), then seal them with an identity: `tuskc secrets seal --env {env}`"
        ))));
    }
    let ids = ids?;
    match seal::verify_covered(store, ids, &covered) {
        Ok(()) => None,
        Err(seal::SealFailure::BadMac | seal::SealFailure::Incomplete) => Some(severity(
            Diagnostic::error(
                Code::SealInvalid,
                format!("the seal of the `{env}` secrets store `{shown}` does not verify"),
            )
            .note("the seal line was edited, or a sealed value was replaced by a forged one: the store may have been tampered with")
            .help(format!("restore `{shown}` from a trusted revision; if every value is right, `tuskc secrets seal --env {env}` seals it again")),
        )),
        // Values this identity cannot read fail where they are used; the seal is worth a word only when demanded.
        Err(seal::SealFailure::Undecryptable(_)) if !required => None,
        Err(seal::SealFailure::Undecryptable(failed)) => Some(severity(
            Diagnostic::error(
                Code::SealInvalid,
                format!("the seal of the `{env}` secrets store `{shown}` cannot be checked with this identity"),
            )
            .note(format!(
                "checking it decrypts every sealed value, and these do not decrypt: {}",
                quoted_list(&failed.into_iter().map(|(n, _)| n).collect::<Vec<_>>())
            ))
            .help(format!("use an identity that can read every value of `{env}`, or have someone who can run `tuskc secrets rotate --env {env}`")),
        )),
    }
}

/// Names as a message lists them: `a`, `b`.
pub(crate) fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SecretResolver {
    pub fn new(mode: SecretMode, stores: StoreDir, identity: IdentitySource) -> Self {
        SecretResolver {
            mode,
            stores,
            require_sealed: false,
            identity,
            ids: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
            values: Mutex::new(HashMap::new()),
            seals: Mutex::new(HashMap::new()),
            told: Mutex::new(HashSet::new()),
        }
    }

    fn store(&self, env: &str) -> Arc<StoreState> {
        // Held while the store is read: one read per store, whichever thread asks first.
        let mut cache = locked(&self.cache);
        if let Some(s) = cache.get(env) {
            return s.clone();
        }
        let s = Arc::new(self.stores.read(env));
        cache.insert(env.to_string(), s.clone());
        s
    }

    /// A whole-store or identity problem: reported at the first site of each target, silent after.
    fn once(
        &self,
        target: &Target,
        what: &str,
        d: &Diagnostic,
        file: FileId,
        span: Span,
    ) -> Option<Diagnostic> {
        let fresh = locked(&self.told).insert((target.to_string(), what.to_string()));
        fresh.then(|| {
            let mut d = d.clone();
            d.labels.clear();
            d.primary(file, span, "needed here")
        })
    }

    /// The store's seal problem, if any (checked once per run; with the identity when resolving).
    fn seal_of(&self, store: &Store, ids: Option<&[x25519::Identity]>) -> Option<Diagnostic> {
        let mut seals = locked(&self.seals);
        if let Some(found) = seals.get(&store.env) {
            return found.clone();
        }
        let shown = self.stores.display_file(&store.env);
        let found = seal_problem(store, &shown, ids, self.require_sealed);
        seals.insert(store.env.clone(), found.clone());
        found
    }

    /// The evaluator's question: what does `@secret(name)` at `file`/`span` give in `target`?
    pub fn lookup(&self, target: &Target, name: &str, file: FileId, span: Span) -> Lookup {
        let env = store_env(target);
        let state = self.store(env);
        let once = |what: &str, d: &Diagnostic| self.once(target, what, d, file, span);
        let store = match (&*state, self.mode) {
            (StoreState::Absent, SecretMode::Resolve) => {
                let shown = self.stores.display_file(env);
                let d = Diagnostic::error(
                    Code::SecretStoreMissing,
                    format!("environment `{env}` has no secrets store: `{shown}` does not exist"),
                )
                .help(format!("create it with `tuskc secrets init --env {env} --recipient AGE_PUBLIC_KEY`, then `tuskc secrets set NAME --env {env}`"));
                return Lookup::Failed(once(&format!("store:{env}"), &d).into_iter().collect());
            }
            (StoreState::Absent, _) => return Lookup::Reference(Vec::new()),
            (StoreState::Broken(d), SecretMode::Resolve) => {
                return Lookup::Failed(once(&format!("store:{env}"), d).into_iter().collect())
            }
            (StoreState::Broken(d), _) => {
                return Lookup::Reference(once(&format!("store:{env}"), d).into_iter().collect())
            }
            (StoreState::Ready(s), _) => s,
        };
        let Some(entry) = store.entries.get(name) else {
            let shown = self.stores.display_file(env);
            let mut d = Diagnostic::error(
                Code::SecretNotFound,
                format!("secret `{name}` is not in the `{env}` store"),
            )
            .primary(file, span, format!("not in `{shown}`"))
            .help(format!("add it: `tuskc secrets set {name} --env {env}` (the value is read from stdin or a prompt)"));
            if let Some(s) =
                crate::diagnostic::did_you_mean(name, store.entries.keys().map(String::as_str))
            {
                d = d.note(format!("the store has `{s}`"));
            }
            if self.mode != SecretMode::Resolve {
                d.severity = crate::diagnostic::Severity::Warning;
                return Lookup::Reference(vec![d]);
            }
            return Lookup::Failed(vec![d]);
        };
        if self.mode != SecretMode::Resolve {
            // Without keys only the fingerprints can be compared: checked when asked to (`--require-sealed`).
            let seal = self
                .require_sealed
                .then(|| self.seal_of(store, None))
                .flatten()
                .and_then(|d| once(&format!("seal:{env}"), &d));
            return match seal {
                Some(d) if d.severity == crate::diagnostic::Severity::Error => {
                    Lookup::Failed(vec![d])
                }
                seal => Lookup::Reference(seal.into_iter().collect()),
            };
        }
        let (ids, exposed) = match self.ids.get_or_init(|| self.identity.load()) {
            Ok((ids, exposed)) => (ids, exposed),
            Err(d) => return Lookup::Failed(once("identity", d).into_iter().collect()),
        };
        let mut notes: Vec<Diagnostic> = Vec::new();
        if let Some(d) = exposed {
            notes.extend(once("identity-mode", d));
        }
        if let Some(d) = self.seal_of(store, Some(ids)) {
            if let Some(d) = once(&format!("seal:{env}"), &d) {
                if d.severity == crate::diagnostic::Severity::Error {
                    notes.push(d);
                    return Lookup::Failed(notes);
                }
                notes.push(d);
            }
        }
        let mut values = locked(&self.values);
        let opened = values
            .entry((env.to_string(), name.to_string()))
            .or_insert_with(|| self.decrypt(store, entry, ids, name));
        let opened = &*opened;
        match opened {
            Ok((text, bound)) => {
                if !bound {
                    notes.push(Diagnostic::warning(Code::SecretUnbound, format!("secret `{name}` in the `{env}` store is not bound to its name"))
                        .primary(file, span, "resolved from a ciphertext without tuskc's binding")
                        .note("it was encrypted by another age tool; a swap with another ciphertext would go unnoticed")
                        .help(format!("bind it: `tuskc secrets rotate --env {env}`")));
                }
                Lookup::Resolved(text.clone(), notes)
            }
            Err(d) if d.code == Code::SecretDecrypt => {
                notes.extend(once(&format!("decrypt:{env}"), d));
                Lookup::Failed(notes)
            }
            Err(d) => {
                let mut d = d.clone();
                d.labels.clear();
                notes.push(d.primary(file, span, "cannot be resolved"));
                Lookup::Failed(notes)
            }
        }
    }

    fn decrypt(
        &self,
        store: &Store,
        entry: &store::Entry,
        ids: &[x25519::Identity],
        name: &str,
    ) -> Decryption {
        let env = &store.env;
        let shown = self.stores.display_file(env);
        let d = open_entry(store, entry, ids, name, &shown, &self.identity)?;
        let text = std::str::from_utf8(&d.plaintext).map_err(|_| {
            Diagnostic::error(Code::SecretNotText, format!("secret `{name}` in the `{env}` store is not UTF-8 text"))
                .help(format!("store binary material base64-encoded: `base64 FILE | tuskc secrets set {name} --env {env}`"))
        })?;
        Ok((Arc::new(Zeroizing::new(text.to_string())), d.bound))
    }
}

/// Decrypt one entry of a store, turning every failure into its diagnostic (no value in any of them).
pub fn open_entry(
    store: &Store,
    entry: &store::Entry,
    ids: &[x25519::Identity],
    name: &str,
    shown: &str,
    identity: &IdentitySource,
) -> Result<crypto::Decrypted, Diagnostic> {
    let env = &store.env;
    let place = if entry.line > 0 {
        format!("{shown}:{}", entry.line)
    } else {
        shown.to_string()
    };
    let bytes = entry.bytes().map_err(|why| {
        Diagnostic::error(Code::SecretTampered, format!("secret `{name}` in the `{env}` store is damaged: {why}"))
            .note(format!("at {place}"))
            .help(format!("restore the line from version control, or set it again: `tuskc secrets set {name} --env {env}`"))
    })?;
    crypto::decrypt(&bytes, ids, env, name).map_err(|f| match f {
        crypto::DecryptFailure::NotARecipient => {
            let mine: Vec<String> = ids.iter().map(|i| i.to_public().to_string()).collect();
            let listed = store.recipients.iter().any(|r| mine.contains(&r.key));
            let mut d = Diagnostic::error(
                Code::SecretDecrypt,
                format!("{} cannot decrypt the `{env}` secrets", identity.describe()),
            );
            d = if listed {
                // age's X25519 stanzas do not say whom they are for, so a value encrypted to other keys (before
                // yours was added, or imported for other recipients) and a damaged stanza look the same.
                d.note(format!("your public key is listed in `{shown}`, but no recipient stanza of `{name}` opens with it"))
                    .note(format!("`{name}` was encrypted to other keys (before yours was added, or imported for other recipients), or its recipient stanza is damaged"))
                    .help(format!("if someone can read it, they run `tuskc secrets rotate --env {env}`; if nobody can, set it again: `tuskc secrets set {name} --env {env}` (or remove it with `tuskc secrets rm`)"))
            } else {
                d.note(format!(
                    "your public key ({}) is not one of the {} recipients of `{shown}`",
                    mine.join(", "),
                    store.recipients.len()
                ))
                .help(format!("use the identity for `{env}`, or ask someone with access to run `tuskc secrets recipients add YOUR_PUBLIC_KEY --env {env}`"))
            };
            d
        }
        crypto::DecryptFailure::Damaged(why) => Diagnostic::error(
            Code::SecretTampered,
            format!("secret `{name}` in the `{env}` store is damaged: {why}"),
        )
        .note(format!("at {place}; the ciphertext was edited or corrupted"))
        .help(format!("restore the line from version control, or set it again: `tuskc secrets set {name} --env {env}`")),
        crypto::DecryptFailure::Misbound { env: e2, name: n2 } => Diagnostic::error(
            Code::SecretMisbound,
            format!("the ciphertext stored as `{name}` in the `{env}` store was encrypted for `{n2}` in `{e2}`"),
        )
        .note(format!("at {place}; a ciphertext was moved or swapped between names or environments"))
        .help(format!("restore the line from version control, or set it again: `tuskc secrets set {name} --env {env}`")),
    })
}

/// `--secrets redact`: every value a secret went into becomes the mask (containers keep their shape).
pub fn redact(v: &mut Value) {
    if !v.secret {
        return;
    }
    match &mut v.kind {
        ValueKind::Array(items) => items.iter_mut().for_each(redact),
        ValueKind::Object(map) => map.values_mut().for_each(redact),
        kind => *kind = ValueKind::String(MASK.to_string()),
    }
}

/// `value` as it may be shown to people: a copy with every leaf a secret went into masked, as `--secrets redact`
/// writes it, and the rest as it is. Every message, report or printout that shows a value (or a JSON Schema
/// instance) takes it from here, so a resolved secret is never shown and a reference shows the same as a resolved
/// value.
pub fn masked(value: &Value) -> Value {
    let mut copy = value.clone();
    redact(&mut copy);
    copy
}

/// Why a literal `value` at key `key` looks like a credential that belongs in the store (TSK0610), if it does:
/// a known credential shape, or a credential-like key name holding random-looking text.
pub fn looks_like_secret(key: &str, value: &str) -> Option<&'static str> {
    let v = value.trim();
    // An age file (a store's line, base64 of `age-encryption.org/v1...`, or armored) is ciphertext, not plaintext.
    if v.starts_with(AGE_BASE64) || v.starts_with("-----BEGIN AGE ENCRYPTED FILE-----") {
        return None;
    }
    fn upper_alnum(s: &str) -> bool {
        s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    }
    fn token_chars(s: &str) -> bool {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
    // Every string value of a file goes through here while it loads: the shapes are tried in order, each only
    // when the ones before it missed, and nothing is allocated.
    if v.len() == 20 && (v.starts_with("AKIA") || v.starts_with("ASIA")) && upper_alnum(v) {
        return Some("it has the shape of an AWS access key ID");
    }
    if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
        .iter()
        .any(|p| v.starts_with(p) && v.len() >= 36 && token_chars(v))
    {
        return Some("it has the shape of a GitHub token");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]
        .iter()
        .any(|p| v.starts_with(p) && v.len() >= 20)
    {
        return Some("it has the shape of a Slack token");
    }
    if (v.starts_with("sk_live_") || v.starts_with("rk_live_")) && v.len() >= 20 {
        return Some("it has the shape of a Stripe live key");
    }
    if v.starts_with("AIza") && v.len() == 39 && token_chars(v) {
        return Some("it has the shape of a Google API key");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("it holds a private key block");
    }
    if detect::contains_ignore_ascii_case(v, "AGE-SECRET-KEY-1") {
        return Some("it holds an age private key");
    }
    if url_with_password(v) {
        return Some("it is a URL with a password in it");
    }
    if credential_name(key)
        && v.chars().count() >= 10
        && !v.contains(char::is_whitespace)
        && !v.contains("://")
        && entropy(v) >= 3.0
    {
        return Some("the key is named like a credential and the text looks random");
    }
    None
}

/// The base64 of `age-encryption.org/v1`: how every stored value begins.
const AGE_BASE64: &str = "YWdlLWVuY3J5cHRpb24ub3JnL3Yx";

/// Whether `text` holds a URL with a password in its userinfo: `scheme://user:password@host`.
pub(crate) fn url_with_password(text: &str) -> bool {
    // Most text has no `@` at all: then it has no userinfo either, and the `://` need not be looked for.
    if memchr::memchr(b'@', text.as_bytes()).is_none() {
        return false;
    }
    text.match_indices("://").any(|(at, _)| {
        let scheme = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let authority = text[at + 3..]
            .split(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .next()
            .unwrap_or_default();
        scheme
            && authority
                .rsplit_once('@')
                .and_then(|(userinfo, _)| userinfo.split_once(':'))
                .is_some_and(|(_, password)| !password.is_empty())
    })
}

/// Key names like `password`, `db_password`, `apiKey`, `auth-token`, `signing_key` (not a bare `key`).
///
/// The key is cut into words at `_`, `-`, `.` and at an upper-case letter after a word not all in upper case, each
/// word lower-cased; it is a credential name when a word is a strong one or, with more than one word, the last is
/// `key`. Words are read into a small buffer on the stack: none of the words looked for is longer.
fn credential_name(key: &str) -> bool {
    const STRONG: [&[u8]; 10] = [
        b"password",
        b"passwd",
        b"pwd",
        b"passphrase",
        b"secret",
        b"token",
        b"apikey",
        b"credential",
        b"credentials",
        b"privatekey",
    ];
    /// The word being read: its lower-cased text while it is ASCII and short enough to be one looked for.
    struct Word {
        text: [u8; 11],
        len: usize,
        chars: usize,
        /// Whether every (lower-cased) char of it is upper case, as `char::is_uppercase` says.
        all_upper: bool,
        /// Too long, or not ASCII: not a word looked for.
        other: bool,
    }
    impl Word {
        fn new() -> Word {
            Word {
                text: [0; 11],
                len: 0,
                chars: 0,
                all_upper: true,
                other: false,
            }
        }
        #[inline]
        fn push_lower(&mut self, c: char) {
            if c.is_ascii() {
                // `to_lowercase` of an ASCII char, without the Unicode tables: one char, not upper case.
                self.chars += 1;
                self.all_upper = false;
                match self.text.get_mut(self.len) {
                    Some(slot) => {
                        *slot = c.to_ascii_lowercase() as u8;
                        self.len += 1;
                    }
                    None => self.other = true,
                }
                return;
            }
            for l in c.to_lowercase() {
                self.chars += 1;
                self.all_upper &= l.is_uppercase();
                match self.text.get_mut(self.len) {
                    Some(slot) if l.is_ascii() => {
                        *slot = l as u8;
                        self.len += 1;
                    }
                    _ => self.other = true,
                }
            }
        }
        fn text(&self) -> Option<&[u8]> {
            (!self.other).then_some(&self.text[..self.len])
        }
    }
    let (mut words, mut strong, mut last_is_key) = (0usize, false, false);
    let mut end = |w: &mut Word| {
        if w.chars > 0 {
            words += 1;
            let text = w.text();
            strong |= text.is_some_and(|t| STRONG.contains(&t));
            last_is_key = text == Some(b"key".as_slice());
        }
        *w = Word::new();
    };
    let mut cur = Word::new();
    for c in key.chars() {
        if c == '_' || c == '-' || c == '.' {
            end(&mut cur);
        } else if c.is_uppercase() && cur.chars > 0 && !cur.all_upper {
            end(&mut cur);
            cur.push_lower(c);
        } else {
            cur.push_lower(c);
        }
    }
    end(&mut cur);
    strong || (words >= 2 && last_is_key)
}

/// Shannon entropy in bits per character (ASCII text counted in an array, other text in a map).
fn entropy(s: &str) -> f64 {
    let n = s.chars().count() as f64;
    let bits = |c: usize| {
        let p = c as f64 / n;
        -p * p.log2()
    };
    if s.is_ascii() {
        let mut counts = [0usize; 128];
        for b in s.bytes() {
            counts[usize::from(b)] += 1;
        }
        return counts.iter().filter(|&&c| c > 0).map(|&c| bits(c)).sum();
    }
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
    }
    counts.values().map(|&c| bits(c)).sum()
}

/// A lock on one of the resolver's caches. A thread that panicked while holding it cannot have left a cache half
/// updated (each update is one insert), so a poisoned lock is taken as it is rather than propagating the panic.
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_a_password_in_their_userinfo() {
        for yes in [
            "postgres://api:pw@db",
            "redis://:pw@cache:6379/0",
            "DSN=mysql://u:p@h/db?x=1",
            "see https://example.com and amqp://guest:guest@mq",
        ] {
            assert!(url_with_password(yes), "{yes}");
        }
        for no in [
            "https://example.com/a:b@c",
            "postgres://api@db",
            "postgres://api:@db",
            "https://host?u=a:b@c",
            "://a:b@c",
            "user:pass@host",
        ] {
            assert!(!url_with_password(no), "{no}");
        }
    }

    /// The heuristic as it was written before it was made allocation-free: what `looks_like_secret` must still
    /// answer.
    fn looks_like_secret_as_before(key: &str, value: &str) -> Option<&'static str> {
        fn credential_name(key: &str) -> bool {
            let mut words: Vec<String> = Vec::new();
            let mut cur = String::new();
            for c in key.chars() {
                if c == '_' || c == '-' || c == '.' {
                    words.push(std::mem::take(&mut cur));
                } else if c.is_uppercase()
                    && !cur.is_empty()
                    && !cur.chars().all(char::is_uppercase)
                {
                    words.push(std::mem::take(&mut cur));
                    cur.extend(c.to_lowercase());
                } else {
                    cur.extend(c.to_lowercase());
                }
            }
            words.push(cur);
            words.retain(|w| !w.is_empty());
            let strong = [
                "password",
                "passwd",
                "pwd",
                "passphrase",
                "secret",
                "token",
                "apikey",
                "credential",
                "credentials",
                "privatekey",
            ];
            words.iter().any(|w| strong.contains(&w.as_str()))
                || (words.len() >= 2 && words.last().is_some_and(|w| w == "key"))
        }
        fn entropy(s: &str) -> f64 {
            let mut counts: HashMap<char, usize> = HashMap::new();
            let mut n = 0usize;
            for c in s.chars() {
                *counts.entry(c).or_default() += 1;
                n += 1;
            }
            let n = n as f64;
            counts
                .values()
                .map(|&c| -(c as f64 / n) * (c as f64 / n).log2())
                .sum()
        }
        fn url_with_password(text: &str) -> bool {
            text.match_indices("://").any(|(at, _)| {
                let scheme = text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric());
                let authority = text[at + 3..]
                    .split(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
                    .next()
                    .unwrap_or_default();
                scheme
                    && authority
                        .rsplit_once('@')
                        .and_then(|(userinfo, _)| userinfo.split_once(':'))
                        .is_some_and(|(_, password)| !password.is_empty())
            })
        }
        let v = value.trim();
        if v.starts_with(AGE_BASE64) || v.starts_with("-----BEGIN AGE ENCRYPTED FILE-----") {
            return None;
        }
        let upper_alnum = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        let token_chars = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        let shapes: [(bool, &'static str); 8] = [
            (
                v.len() == 20 && (v.starts_with("AKIA") || v.starts_with("ASIA")) && upper_alnum(v),
                "it has the shape of an AWS access key ID",
            ),
            (
                ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
                    .iter()
                    .any(|p| v.starts_with(p) && v.len() >= 36 && token_chars(v)),
                "it has the shape of a GitHub token",
            ),
            (
                ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]
                    .iter()
                    .any(|p| v.starts_with(p) && v.len() >= 20),
                "it has the shape of a Slack token",
            ),
            (
                (v.starts_with("sk_live_") || v.starts_with("rk_live_")) && v.len() >= 20,
                "it has the shape of a Stripe live key",
            ),
            (
                v.starts_with("AIza") && v.len() == 39 && token_chars(v),
                "it has the shape of a Google API key",
            ),
            (
                v.contains("-----BEGIN") && v.contains("PRIVATE KEY"),
                "it holds a private key block",
            ),
            (
                v.to_ascii_uppercase().contains("AGE-SECRET-KEY-1"),
                "it holds an age private key",
            ),
            (url_with_password(v), "it is a URL with a password in it"),
        ];
        if let Some((_, why)) = shapes.iter().find(|(hit, _)| *hit) {
            return Some(why);
        }
        if credential_name(key)
            && v.chars().count() >= 10
            && !v.contains(char::is_whitespace)
            && !v.contains("://")
            && entropy(v) >= 3.0
        {
            return Some("the key is named like a credential and the text looks random");
        }
        None
    }

    /// Many keys and values, built from the pieces every rule looks at (cases, separators, non-ASCII letters whose
    /// lower case is ASCII or longer, credential words, token prefixes, URL parts) by a fixed pseudo-random walk.
    fn keys_and_values() -> Vec<(String, String)> {
        let key_parts = [
            "password",
            "Password",
            "PASSWORD",
            "pass",
            "Word",
            "db",
            "DB",
            "api",
            "Key",
            "key",
            "KEY",
            "_",
            "-",
            ".",
            "token",
            "Token",
            "secret",
            "SECRET",
            "signing",
            "private",
            "Credentials",
            "credential",
            "pwd",
            "passwd",
            "Passphrase",
            "apiKey",
            "URL",
            "x",
            "\u{212A}ey",
            "\u{130}",
            "\u{3D2}",
            "\u{1C5}",
            "\u{C9}",
            "\u{E9}t\u{E9}",
            "privateKEY",
            "2",
            "",
        ];
        let value_parts = [
            "AKIA",
            "ASIA",
            "IOSFODNN7EXAMPLE",
            "ghp_",
            "github_pat_",
            "xoxb-",
            "sk_live_",
            "rk_live_",
            "AIza",
            "-----BEGIN",
            " RSA ",
            "PRIVATE KEY",
            "-----",
            "AGE-SECRET-KEY-1",
            "age-secret-key-1",
            "Age-Secret-Key-",
            "AGE-SECRET-KEY",
            "-1",
            "postgres",
            "://",
            "app",
            ":",
            "hunter2",
            "@",
            "db",
            "/",
            "?",
            "#",
            " ",
            "\n",
            "b3f1c9a07d2e",
            "x9$Kq2!vLp0Z",
            "aaaa",
            "Tr0ub4dor&3",
            "\u{212A}",
            "\u{E9}\u{17F}",
            "\u{1F511}",
            "_",
            "-",
            AGE_BASE64,
            "Q",
            "0123456789",
            "",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut out = Vec::new();
        for _ in 0..40_000 {
            let key: String = (0..1 + next(4))
                .map(|_| key_parts[next(key_parts.len())])
                .collect();
            let value: String = (0..1 + next(6))
                .map(|_| value_parts[next(value_parts.len())])
                .collect();
            out.push((key, value));
        }
        out
    }

    #[test]
    fn plaintext_secret_heuristic_answers_as_before() {
        let (mut flagged, mut by_name) = (0, 0);
        for (key, value) in keys_and_values() {
            let (now, before) = (
                looks_like_secret(&key, &value),
                looks_like_secret_as_before(&key, &value),
            );
            assert_eq!(now, before, "key {key:?}, value {value:?}");
            flagged += usize::from(now.is_some());
            by_name += usize::from(
                now == Some("the key is named like a credential and the text looks random"),
            );
            for needle in ["AGE-SECRET-KEY-", "AGE-SECRET-KEY-1"] {
                assert_eq!(
                    detect::contains_ignore_ascii_case(&value, needle),
                    value.to_ascii_uppercase().contains(needle),
                    "{value:?}"
                );
            }
        }
        // The walk reaches every kind of answer, not only the common one.
        assert!(
            flagged > 1000 && by_name > 100,
            "{flagged} flagged, {by_name} by name"
        );
    }

    #[test]
    fn plaintext_secret_heuristic() {
        assert!(looks_like_secret("password", "x9$Kq2!vLp0Z").is_some());
        assert!(looks_like_secret("dbPassword", "Tr0ub4dor&3xyz").is_some());
        assert!(looks_like_secret("signing_key", "b3f1c9a07d2e4f6a8b0c").is_some());
        assert!(looks_like_secret("anything", "AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(looks_like_secret("note", "-----BEGIN RSA PRIVATE KEY-----\nabc").is_some());
        assert!(looks_like_secret("k2", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQ").is_some());
        assert!(looks_like_secret("dsn", "postgres://app:hunter2@db/app").is_some());
        assert!(looks_like_secret("dsn", "postgres://app@db/app").is_none());
        // Not flagged: short, placeholders, low entropy, URLs, ordinary key names.
        assert!(looks_like_secret("password", "changeme").is_none());
        assert!(looks_like_secret("password", "aaaaaaaaaaaaaaaa").is_none());
        assert!(looks_like_secret("token_url", "https://auth.example.com/token").is_none());
        assert!(looks_like_secret("key", "b3f1c9a07d2e4f6a8b0c").is_none());
        assert!(looks_like_secret("keyspace", "b3f1c9a07d2e4f6a8b0c").is_none());
        assert!(looks_like_secret("region", "eu-west-1-abcdefgh").is_none());
        // A store's ciphertext line is not a plaintext secret (the editor opens store files too).
        assert!(looks_like_secret(
            "shop/db_password",
            "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBIq8Zk3vQ2mR7pLwXy"
        )
        .is_none());
    }
}

#[cfg(test)]
mod leak_tests {
    use super::*;
    use crate::value::{LayerRef, Origin};

    /// A resolved value prints no plaintext through `Debug` (as `{:?}` in logs or panics would use), nor through
    /// the description diagnostics use; an inline identity source hides its key.
    #[test]
    fn debug_and_describe_hide_resolved_values() {
        let origin = Origin {
            file: FileId(0),
            span: Span { start: 0, end: 1 },
            layer: LayerRef::BASE,
        };
        let v = Value {
            kind: ValueKind::String("CANARY-resolved".into()),
            origin,
            secret: true,
            env: None,
            unset_env: None,
        };
        let holder = Value {
            kind: ValueKind::Array(vec![v.clone()]),
            ..v.clone()
        };
        for text in [format!("{v:?}"), format!("{holder:?}"), v.describe()] {
            assert!(!text.contains("CANARY"), "{text}");
        }
        let inline = IdentitySource::Inline(Zeroizing::new("AGE-SECRET-KEY-1CANARY".into()));
        assert!(!format!("{inline:?}").contains("CANARY"));
        let mut redacted = holder.clone();
        redact(&mut redacted);
        assert!(!format!("{:?}", redacted.kind).contains("CANARY"));
    }
}
