//! `tuskc secrets ...`: create and change the per-environment stores.
//!
//! Exit codes: 0 done; 1 the store's content is wrong (damaged, swapped or undecryptable values, a broken store
//! file); 2 usage or I/O (unknown environment or secret, invalid recipient, missing store or identity, new
//! recipients not confirmed). Invariants: a value is read from stdin or a no-echo prompt, never from the command
//! line, and no argument that could be a value or a key is echoed; plaintext goes only to the stdout of `get`; a
//! command that fails writes nothing; every change holds the store's lock from read to write and writes atomically,
//! and only the lines of the secrets that changed (and the seal line) differ; a command re-seals the store only
//! when it was sealed before (it vouches for its own change, never for someone else's), except `seal`, which shows
//! what it vouches for; nothing is encrypted to a recipient the seal does not cover without a confirmation.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use age::x25519;
use zeroize::Zeroizing;

use crate::cli::args::{RecipientsCommand, SecretsCommand, StoreArgs};
use crate::cli::output::Output;
use crate::cli::write::write_output;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::driver::Session;
use crate::secrets::store::{self, Entry, Recipient, Store};
use crate::secrets::{
    crypto, looks_like_key_material, open_entry, quoted_list, seal, seal_problem, shown_argument,
    IdentitySource, StoreDir, StoreState,
};

/// A failed command: the diagnostic and the exit code.
type Fail = (Diagnostic, u8);

fn usage(d: Diagnostic) -> Fail {
    (d, 2)
}

pub fn run(cmd: &SecretsCommand, out: &mut Output) -> u8 {
    let result = match cmd {
        SecretsCommand::Init {
            at,
            recipients,
            generate_identity,
        } => init(at, recipients, generate_identity.as_ref(), out),
        SecretsCommand::Set { name, at, yes } => set(name, at, *yes, out),
        SecretsCommand::Get { name, at } => get(name, at, out),
        SecretsCommand::List { at } => Opened::new(at).and_then(|o| {
            let store = o.store()?;
            let mut stdout = std::io::stdout().lock();
            for name in store.entries.keys() {
                let _ = writeln!(stdout, "{name}");
            }
            o.warn_unsealed(&store, None, out);
            Ok(())
        }),
        SecretsCommand::Rm { name, at } => rm(name, at, out),
        SecretsCommand::Rotate { at, yes } => Opened::new(at).and_then(|o| {
            let (mut store, _lock) = o.store_locked()?;
            let ids = o.identities(out)?;
            let sealed = o.sealed(&store, &ids);
            o.confirm_recipients(&store, Some(&ids), *yes, "encrypting to", out)?;
            let n = rotate(&o, &mut store, &ids)?;
            o.finish(&mut store, sealed.then_some(&ids[..]), out)?;
            out.say(&format!(
                "re-encrypted {n} secret{} in `{}` to {} recipient{}",
                plural(n),
                o.shown,
                store.recipients.len(),
                plural(store.recipients.len())
            ));
            Ok(())
        }),
        SecretsCommand::Seal { at, yes } => seal(at, *yes, out),
        SecretsCommand::Merge {
            base,
            ours,
            theirs,
            identity,
        } => merge(base, ours, theirs, identity.as_deref(), out),
        SecretsCommand::Recipients(c) => recipients(c, out),
        SecretsCommand::Export { name, at } => export(name, at),
        SecretsCommand::Import { name, at } => import(name, at, out),
    };
    match result {
        Ok(()) => 0,
        Err((d, code)) => out.fail(d, code),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The project, the environment (checked against the declared ones) and its store file.
struct Opened {
    env: String,
    dir: StoreDir,
    shown: String,
    identity: IdentitySource,
}

impl Opened {
    fn new(at: &StoreArgs) -> Result<Opened, Fail> {
        // A value typed where the path goes (`tuskc secrets set NAME VALUE`) must not be echoed back.
        if !at.path.exists() {
            return Err(usage(
                Diagnostic::error(
                    Code::Usage,
                    "the project path given to `tuskc secrets` does not exist (it is not shown: it may be a value)",
                )
                .note("`tuskc secrets set` reads the value from stdin or a no-echo prompt, never from the command line")
                .help("give a .tsk file or a project directory, or none for the current directory; pipe a value in: `printf %s \"$VALUE\" | tuskc secrets set NAME --env ENV`"),
            ));
        }
        let mut session = Session::open(&at.path).map_err(usage)?;
        let env = at.env.as_str();
        if !store::valid_env(env) {
            return Err(usage(Diagnostic::error(
                Code::Usage,
                format!("`{env}` is not an environment name"),
            )));
        }
        // The environments the project declares (manifest and source); a store for any other would never be read.
        let mut declared: Vec<String> = session.project.manifest.project.environments().to_vec();
        for entry in session.project.entries.clone() {
            if let Some(program) = session.load(&entry) {
                // `declared` starts with the manifest's; each entry adds those its source declares.
                for e in session.declared(&program).0 {
                    if !declared.contains(&e) {
                        declared.push(e);
                    }
                }
            }
        }
        let known = if declared.is_empty() {
            env == "default"
        } else {
            declared.iter().any(|d| d == env)
        };
        if !known {
            let mut d = Diagnostic::error(
                Code::Usage,
                format!("`{env}` is not an environment of this project"),
            );
            d = if declared.is_empty() {
                d.note(
                    "the project declares no environments, so its targets read the store `default`",
                )
                .help("use `--env default`")
            } else {
                let help = match did_you_mean(env, declared.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("environments: {}", declared.join(", ")),
                };
                d.help(help)
            };
            return Err(usage(d));
        }
        let dir = session.project.store_dir();
        Ok(Opened {
            env: env.to_string(),
            shown: dir.display_file(env),
            dir,
            identity: IdentitySource::from_flag_or_env(at.identity.as_deref()),
        })
    }

    /// The store, which must exist and be readable.
    fn store(&self) -> Result<Store, Fail> {
        match self.dir.read(&self.env) {
            StoreState::Ready(s) => Ok(s),
            StoreState::Absent => Err(usage(
                Diagnostic::error(
                    Code::SecretStoreMissing,
                    format!(
                        "environment `{}` has no secrets store: `{}` does not exist",
                        self.env, self.shown
                    ),
                )
                .help(format!(
                    "create it with `tuskc secrets init --env {} --recipient AGE_PUBLIC_KEY`",
                    self.env
                )),
            )),
            StoreState::Broken(d) if d.code == Code::Io => Err((d, 2)),
            StoreState::Broken(d) => Err((d, 1)),
        }
    }

    /// The store, read under its lock (held until the returned guard is dropped, after the write).
    fn store_locked(&self) -> Result<(Store, std::fs::File), Fail> {
        let lock = self.dir.lock(&self.env).map_err(|e| {
            usage(Diagnostic::error(
                Code::Io,
                format!("cannot lock `{}`: {e}", self.shown),
            ))
        })?;
        let store = self.store()?;
        match lock {
            Some(lock) => Ok((store, lock)),
            // Created between the two calls: read it again under a lock.
            None => self.store_locked(),
        }
    }

    fn identities(&self, out: &Output) -> Result<Vec<x25519::Identity>, Fail> {
        load_identities(&self.identity, out)
    }

    /// The identities, when one was given (`--identity` or `TUSKC_IDENTITY`); commands that work without one use it
    /// to re-seal.
    fn optional_identities(&self, out: &Output) -> Result<Option<Vec<x25519::Identity>>, Fail> {
        match self.identity {
            IdentitySource::None => Ok(None),
            _ => self.identities(out).map(Some),
        }
    }

    /// Whether the seal covers the store exactly and verifies with `ids`.
    fn sealed(&self, store: &Store, ids: &[x25519::Identity]) -> bool {
        seal::sealed(store, ids).is_ok()
    }

    /// The store's seal problem as a warning (reads), if any.
    fn warn_unsealed(&self, store: &Store, ids: Option<&[x25519::Identity]>, out: &Output) {
        if let Some(d) = seal_problem(store, &self.shown, ids, false) {
            out.warn(d);
        }
    }

    /// Write the changed store: re-sealed with `reseal` (the identities of someone who found it sealed before the
    /// change), else with its old seal line, which no longer covers the change (said, with the way to seal it).
    fn finish(
        &self,
        store: &mut Store,
        reseal: Option<&[x25519::Identity]>,
        out: &Output,
    ) -> Result<(), Fail> {
        if let Some(ids) = reseal {
            match seal::seal(store, ids) {
                Ok(s) => store.seal = Some(s),
                Err(_) => self.say_unsealed(store, out),
            }
        } else if !seal::coverage(store).complete() {
            self.say_unsealed(store, out);
        }
        self.write(store)
    }

    fn say_unsealed(&self, store: &Store, out: &Output) {
        let c = seal::coverage(store);
        if c.complete() {
            return;
        }
        out.say(&format!(
            "note: the store is not sealed{}; review the change and seal it with an identity: `tuskc secrets seal --env {}`",
            if c.secrets.is_empty() {
                String::new()
            } else {
                format!(" (not covered: {})", quoted_list(&c.secrets))
            },
            self.env
        ));
    }

    /// List the recipients values will be encrypted to, marking those the seal does not cover (added since it was
    /// sealed: by `recipients add --no-rotate`, a merge, or an edit). Encrypting to such a recipient needs a yes: on a
    /// terminal a question, elsewhere `--yes`; otherwise TSK0617 and nothing changes. With `ids` the seal must verify
    /// and be anchored ([`seal::trusted_recipients`]), else it vouches for no recipient.
    fn confirm_recipients(
        &self,
        store: &Store,
        ids: Option<&[x25519::Identity]>,
        yes: bool,
        doing: &str,
        out: &Output,
    ) -> Result<(), Fail> {
        self.confirm_recipients_of(store, store, ids, yes, doing, out)
    }

    /// [`Self::confirm_recipients`] for a store that this command has already changed from `before` (whose seal is
    /// the one to trust).
    fn confirm_recipients_of(
        &self,
        before: &Store,
        store: &Store,
        ids: Option<&[x25519::Identity]>,
        yes: bool,
        doing: &str,
        out: &Output,
    ) -> Result<(), Fail> {
        let covered = seal::coverage(before);
        let trusted = seal::trusted_recipients(before, ids);
        let unconfirmed: Vec<&Recipient> = store
            .recipients
            .iter()
            .filter(|r| !trusted.contains(&r.key))
            .collect();
        // Why the seal does not vouch for a recipient (the same for all but those added since it was made).
        let why = if covered.unsealed_store {
            "the store has no seal"
        } else if !seal::anchored_by(before, &covered) && !before.entries.is_empty() {
            "the seal covers no value yet, so it vouches for no recipient"
        } else if covered.gone_secrets > 0 || covered.gone_recipients > 0 {
            "sealed values or recipients were changed or removed since, so the seal cannot be checked"
        } else if ids.is_some_and(|ids| {
            matches!(
                seal::verify_covered(before, ids, &covered),
                Err(seal::SealFailure::Undecryptable(_))
            )
        }) {
            "the seal cannot be checked with this identity"
        } else {
            "the seal does not verify"
        };
        out.say(&format!(
            "{doing} {} recipient{} of `{}`:",
            store.recipients.len(),
            plural(store.recipients.len()),
            self.shown
        ));
        for r in &store.recipients {
            let mark = if !unconfirmed.iter().any(|u| u.key == r.key) {
                String::new()
            } else if covered.recipients.contains(&r.key) && !covered.unsealed_store {
                "   [not covered by the seal: added since the store was sealed]".to_string()
            } else {
                format!("   [not covered: {why}]")
            };
            match &r.comment {
                Some(c) => out.say(&format!("  {}  # {c}{mark}", r.key)),
                None => out.say(&format!("  {}{mark}", r.key)),
            }
        }
        if unconfirmed.is_empty() || yes {
            return Ok(());
        }
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            eprint!(
                "go on {doing} the {} recipient{} marked above? [y/N] ",
                unconfirmed.len(),
                plural(unconfirmed.len())
            );
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
                return Ok(());
            }
        }
        Err(usage(
            Diagnostic::error(
                Code::RecipientsUnconfirmed,
                format!(
                    "{} recipient{} of `{}` {} not covered by the store's seal; nothing was changed",
                    unconfirmed.len(),
                    plural(unconfirmed.len()),
                    self.shown,
                    if unconfirmed.len() == 1 { "is" } else { "are" }
                ),
            )
            .note(format!(
                "not covered: {}",
                quoted_list(&unconfirmed.iter().map(|r| r.key.clone()).collect::<Vec<_>>())
            ))
            .help(format!(
                "check that each belongs to someone who should read `{}` secrets, then run again with `--yes` (or on a terminal and answer y); remove a stranger with `tuskc secrets recipients rm KEY --env {}`",
                self.env, self.env
            )),
        ))
    }

    fn write(&self, store: &Store) -> Result<(), Fail> {
        write_output(&self.dir.file(&self.env), store.render().as_bytes(), false).map_err(|e| {
            usage(Diagnostic::error(
                Code::Io,
                format!("cannot write `{}`: {e}", self.shown),
            ))
        })
    }

    fn entry<'s>(&self, store: &'s Store, name: &str) -> Result<&'s Entry, Fail> {
        store.entries.get(name).ok_or_else(|| {
            let mut d = Diagnostic::error(
                Code::SecretNotFound,
                format!(
                    "secret `{}` is not in the `{}` store",
                    shown_argument(name),
                    self.env
                ),
            );
            if let Some(s) = did_you_mean(name, store.entries.keys().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            } else {
                d = d.help(format!(
                    "`tuskc secrets list --env {}` lists the names",
                    self.env
                ));
            }
            usage(d)
        })
    }

    fn open(
        &self,
        store: &Store,
        ids: &[x25519::Identity],
        name: &str,
    ) -> Result<crypto::Decrypted, Fail> {
        let entry = self.entry(store, name)?;
        open_entry(store, entry, ids, name, &self.shown, &self.identity).map_err(|d| (d, 1))
    }
}

/// A name given on the command line must be a valid secret name, and not key material; an invalid one is not echoed
/// (it may be a value typed where the name goes, `set db_password=hunter2`, or a key).
/// The identities of `source`; a file other users can read is used, with its warning printed.
fn load_identities(source: &IdentitySource, out: &Output) -> Result<Vec<x25519::Identity>, Fail> {
    let (ids, exposed) = source.load().map_err(usage)?;
    if let Some(d) = exposed {
        out.warn(d);
    }
    Ok(ids)
}

fn check_name(name: &str) -> Result<(), Fail> {
    if store::valid_name(name) {
        return Ok(());
    }
    let mut d = Diagnostic::error(
        Code::SecretsCommand,
        "the secret name given is not valid (it is not shown, in case it is a value or a key)",
    )
    .help("use letters, digits and `_ . / -`, starting with a letter, digit or `_` (e.g. `shop/db_password`)");
    if looks_like_key_material(name) {
        d = d.note("it holds an age private key: a secret's name is stored in the clear");
    } else if name.contains('=') {
        d = d.note("`NAME=VALUE` is not accepted: the value is read from stdin or a no-echo prompt, never from the command line");
    }
    Err(usage(d))
}

fn parse_recipients(store: &Store) -> Result<Vec<x25519::Recipient>, Fail> {
    store
        .recipients
        .iter()
        .map(|r| {
            crypto::parse_recipient(&r.key).map_err(|why| {
                (
                    Diagnostic::error(
                        Code::InvalidRecipient,
                        format!(
                            "the store lists an invalid recipient `{}`: {why}",
                            shown_argument(&r.key)
                        ),
                    ),
                    1,
                )
            })
        })
        .collect()
}

fn parse_recipient_arg(key: &str) -> Result<x25519::Recipient, Fail> {
    crypto::parse_recipient(key).map_err(|why| {
        // Echoed only when it was meant as a public key: other text may be a private key or a value.
        let shown = if key.trim().starts_with("age1") && !looks_like_key_material(key) {
            format!("`{}`", key.trim())
        } else {
            "the argument (not shown)".to_string()
        };
        usage(
            Diagnostic::error(
                Code::InvalidRecipient,
                format!("{shown} is not a recipient: {why}"),
            )
            .help("a recipient is an age public key: `age-keygen -y KEYFILE` prints it"),
        )
    })
}

fn encrypt(
    value: &[u8],
    recipients: &[x25519::Recipient],
    env: &str,
    name: &str,
) -> Result<Vec<u8>, Fail> {
    crypto::encrypt(value, recipients, env, name).map_err(|e| {
        usage(Diagnostic::error(
            Code::SecretsCommand,
            format!("cannot encrypt `{name}`: {e}"),
        ))
    })
}

fn init(
    at: &StoreArgs,
    keys: &[String],
    generate: Option<&PathBuf>,
    out: &Output,
) -> Result<(), Fail> {
    // Arguments first: nothing is looked at or written when one is wrong.
    let parsed: Vec<String> = keys
        .iter()
        .map(|k| parse_recipient_arg(k).map(|r| r.to_string()))
        .collect::<Result<_, _>>()?;
    let o = Opened::new(at)?;
    if o.dir.file(&o.env).exists() {
        return Err(usage(
            Diagnostic::error(
                Code::SecretsCommand,
                format!("`{}` already exists", o.shown),
            )
            .help(format!(
                "add people with `tuskc secrets recipients add AGE_PUBLIC_KEY --env {}`",
                o.env
            )),
        ));
    }
    let mut recipients: Vec<Recipient> = Vec::new();
    let mut add = |key: String, comment: Option<String>| {
        if !recipients.iter().any(|r| r.key == key) {
            recipients.push(Recipient { key, comment });
        }
    };
    for k in parsed {
        add(k, None);
    }
    if keys.is_empty() && generate.is_none() && !matches!(o.identity, IdentitySource::None) {
        for id in o.identities(out)? {
            add(id.to_public().to_string(), None);
        }
    }
    let mut generated = None;
    if let Some(file) = generate {
        if file.exists() {
            return Err(usage(
                Diagnostic::error(
                    Code::SecretsCommand,
                    format!(
                        "`{}` already exists; not overwriting an identity",
                        file.display()
                    ),
                )
                .help("choose another file, or pass its public key with --recipient"),
            ));
        }
        let (text, public) = crypto::generate_identity();
        add(public.clone(), Some(format!("identity {}", file.display())));
        generated = Some((file, text, public));
    }
    if recipients.is_empty() {
        return Err(usage(
            Diagnostic::error(Code::SecretsCommand, "a store needs at least one recipient")
                .help("pass `--recipient AGE_PUBLIC_KEY`, `--generate-identity FILE`, or `--identity FILE`"),
        ));
    }
    // The identity first: a store nobody can decrypt is worse than an identity without a store.
    if let Some((file, text, public)) = &generated {
        write_output(file, text.as_bytes(), true).map_err(|e| {
            usage(Diagnostic::error(
                Code::Io,
                format!("cannot write `{}`: {e}", file.display()),
            ))
        })?;
        out.say(&format!(
            "wrote a new identity to `{}` (public key {public}); keep it private",
            file.display()
        ));
    }
    let mut store = Store::new(&o.env, recipients);
    // A store without values: its seal records the recipients it starts with (and proves nothing: docs/secrets.md).
    store.seal = seal::seal(&store, &[]).ok();
    // Never over a store another command created meanwhile.
    crate::cli::write::write_new(&o.dir.file(&o.env), store.render().as_bytes()).map_err(|e| {
        usage(Diagnostic::error(
            Code::Io,
            format!("cannot create `{}`: {e}", o.shown),
        ))
    })?;
    out.say(&format!(
        "created `{}` with {} recipient{}",
        o.shown,
        store.recipients.len(),
        plural(store.recipients.len())
    ));
    Ok(())
}

/// The value to store: a no-echo prompt (twice) on a terminal, else all of stdin less one trailing newline.
fn read_value(name: &str, env: &str) -> Result<Zeroizing<Vec<u8>>, Fail> {
    let io = |e: std::io::Error| {
        usage(Diagnostic::error(
            Code::Io,
            format!("cannot read the value: {e}"),
        ))
    };
    let value = if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password(format!("value for `{name}`: ")).map_err(io)?,
        );
        let again = Zeroizing::new(rpassword::prompt_password("again: ").map_err(io)?);
        if first != again {
            return Err(usage(Diagnostic::error(
                Code::SecretsCommand,
                "the two entries differ; nothing was stored",
            )));
        }
        Zeroizing::new(first.as_bytes().to_vec())
    } else {
        let mut buf = Zeroizing::new(Vec::new());
        std::io::stdin().read_to_end(&mut buf).map_err(io)?;
        let len = buf.len();
        if buf.ends_with(b"\r\n") {
            buf.truncate(len - 2);
        } else if buf.ends_with(b"\n") {
            buf.truncate(len - 1);
        }
        buf
    };
    if value.is_empty() {
        return Err(usage(
            Diagnostic::error(
                Code::SecretsCommand,
                format!("the value for `{name}` is empty; nothing was stored"),
            )
            .help(format!(
                "pipe the value in: `printf %s \"$VALUE\" | tuskc secrets set {name} --env {env}`"
            )),
        ));
    }
    if std::str::from_utf8(&value).is_err() {
        return Err(usage(
            Diagnostic::error(
                Code::SecretNotText,
                format!("the value for `{name}` is not UTF-8 text"),
            )
            .help("store binary material base64-encoded"),
        ));
    }
    Ok(value)
}

fn set(name: &str, at: &StoreArgs, yes: bool, out: &Output) -> Result<(), Fail> {
    check_name(name)?;
    let o = Opened::new(at)?;
    // Confirm and read the value without the lock (a prompt may wait for a person), then lock, and go on only if the
    // recipients are still the ones confirmed.
    let seen = o.store()?;
    let ids = o.optional_identities(out)?;
    o.confirm_recipients(&seen, ids.as_deref(), yes, "encrypting to", out)?;
    let value = read_value(name, &o.env)?;
    let (mut store, _lock) = o.store_locked()?;
    if store.recipients != seen.recipients {
        return Err(usage(
            Diagnostic::error(
                Code::SecretsCommand,
                format!(
                    "the recipients of `{}` changed while the value was read; nothing was stored",
                    o.shown
                ),
            )
            .help("run the command again"),
        ));
    }
    let recipients = parse_recipients(&store)?;
    let sealed = ids.as_deref().filter(|ids| o.sealed(&store, ids));
    let ct = encrypt(&value, &recipients, &o.env, name)?;
    drop(value);
    let updated = store.put(name, &ct);
    o.finish(&mut store, sealed, out)?;
    out.say(&format!(
        "{} `{name}` in `{}` (encrypted to {} recipient{})",
        if updated { "updated" } else { "added" },
        o.shown,
        recipients.len(),
        plural(recipients.len())
    ));
    Ok(())
}

fn get(name: &str, at: &StoreArgs, out: &Output) -> Result<(), Fail> {
    let o = Opened::new(at)?;
    let store = o.store()?;
    o.entry(&store, name)?;
    let ids = o.identities(out)?;
    let d = o.open(&store, &ids, name)?;
    o.warn_unsealed(&store, Some(&ids), out);
    if !d.bound {
        out.say(&format!(
            "warning: `{name}` is not bound to its name (encrypted by another age tool); `tuskc secrets rotate --env {}` binds it",
            o.env
        ));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&d.plaintext);
    if stdout.is_terminal() {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
    Ok(())
}

fn rm(name: &str, at: &StoreArgs, out: &Output) -> Result<(), Fail> {
    let o = Opened::new(at)?;
    let (mut store, _lock) = o.store_locked()?;
    o.entry(&store, name)?;
    let ids = o.optional_identities(out)?;
    let sealed = ids.as_deref().filter(|ids| o.sealed(&store, ids));
    store.entries.remove(name);
    o.finish(&mut store, sealed, out)?;
    out.say(&format!("removed `{name}` from `{}`", o.shown));
    Ok(())
}

/// Decrypt every value, then re-encrypt each to the store's recipients with its binding. Any failure: nothing
/// changes (every failing secret is reported, by name).
fn rotate(o: &Opened, store: &mut Store, ids: &[x25519::Identity]) -> Result<usize, Fail> {
    let recipients = parse_recipients(store)?;
    if store.entries.is_empty() {
        return Ok(0);
    }
    let mut fresh = Vec::new();
    let mut failures: Vec<(String, Diagnostic)> = Vec::new();
    for name in store.entries.keys() {
        match o.open(store, ids, name) {
            Ok(d) => fresh.push((name.clone(), d.plaintext)),
            Err((d, _)) => failures.push((name.clone(), d)),
        }
    }
    if let Some((_, first)) = failures.first() {
        let mut d = first.clone();
        if failures.len() > 1 {
            d = d.note(format!(
                "{} more secret{} failed: {}",
                failures.len() - 1,
                plural(failures.len() - 1),
                failures[1..]
                    .iter()
                    .map(|(name, f)| format!("`{name}`: {}", f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        return Err((d.note("nothing was re-encrypted or written"), 1));
    }
    for (name, plaintext) in &fresh {
        let ct = encrypt(plaintext, &recipients, &o.env, name)?;
        store.put(name, &ct);
    }
    Ok(fresh.len())
}

/// `tuskc secrets seal`: every value must decrypt; the user sees what the seal newly covers and confirms new
/// recipients.
fn seal(at: &StoreArgs, yes: bool, out: &Output) -> Result<(), Fail> {
    let o = Opened::new(at)?;
    let (mut store, _lock) = o.store_locked()?;
    let ids = o.identities(out)?;
    // Say what sealing now vouches for that the current seal did not.
    if let Some(d) = seal_problem(&store, &o.shown, Some(&ids), false) {
        out.warn(d);
    }
    o.confirm_recipients(&store, Some(&ids), yes, "sealing for", out)?;
    let sealed = seal::seal(&store, &ids).map_err(|f| match f {
        seal::SealFailure::Undecryptable(failed) => {
            let mut d = Diagnostic::error(
                Code::SealInvalid,
                format!(
                    "cannot seal `{}`: {} value{} do{} not decrypt with {}",
                    o.shown,
                    failed.len(),
                    plural(failed.len()),
                    if failed.len() == 1 { "es" } else { "" },
                    o.identity.describe()
                ),
            );
            for (name, why) in &failed {
                let why = match why {
                    crypto::DecryptFailure::NotARecipient => "not encrypted to this identity".to_string(),
                    crypto::DecryptFailure::Damaged(w) => format!("damaged: {w}"),
                    crypto::DecryptFailure::Misbound { env, name } => {
                        format!("encrypted for `{name}` in `{env}`")
                    }
                };
                d = d.note(format!("`{name}`: {why}"));
            }
            (
                d.note("nothing was written")
                    .help("sealing vouches for every value: restore or set again the ones that fail, then seal"),
                1,
            )
        }
        seal::SealFailure::BadMac | seal::SealFailure::Incomplete => {
            usage(Diagnostic::error(Code::SealInvalid, "cannot compute the seal"))
        }
    })?;
    store.seal = Some(sealed);
    o.write(&store)?;
    out.say(&format!(
        "sealed `{}`: {} secret{} and {} recipient{}",
        o.shown,
        store.entries.len(),
        plural(store.entries.len()),
        store.recipients.len(),
        plural(store.recipients.len())
    ));
    Ok(())
}

fn recipients(cmd: &RecipientsCommand, out: &Output) -> Result<(), Fail> {
    match cmd {
        RecipientsCommand::List { at } => {
            let o = Opened::new(at)?;
            let store = o.store()?;
            let mut stdout = std::io::stdout().lock();
            for r in &store.recipients {
                let _ = match &r.comment {
                    Some(c) => writeln!(stdout, "{}  # {c}", r.key),
                    None => writeln!(stdout, "{}", r.key),
                };
            }
            o.warn_unsealed(&store, None, out);
            Ok(())
        }
        RecipientsCommand::Add {
            key,
            at,
            no_rotate,
            yes,
        } => {
            let key = parse_recipient_arg(key)?.to_string();
            let o = Opened::new(at)?;
            let (mut store, _lock) = o.store_locked()?;
            if store.recipients.iter().any(|r| r.key == key) {
                out.say(&format!("`{key}` is already a recipient of `{}`", o.shown));
                return Ok(());
            }
            let ids = if *no_rotate {
                None
            } else {
                Some(o.identities(out)?)
            };
            if let Some(ids) = &ids {
                o.confirm_recipients(&store, Some(ids), *yes, "encrypting to", out)?;
            }
            let sealed = ids.as_deref().filter(|ids| o.sealed(&store, ids));
            store.recipients.push(Recipient {
                key: key.clone(),
                comment: None,
            });
            finish_recipients(
                &o,
                &mut store,
                ids.as_deref(),
                sealed,
                out,
                &format!("added `{key}` to"),
            )
        }
        RecipientsCommand::Rm {
            key,
            at,
            no_rotate,
            yes,
        } => {
            let o = Opened::new(at)?;
            let (mut store, _lock) = o.store_locked()?;
            let was = store.clone();
            store.recipients.retain(|r| r.key != key.trim());
            if store.recipients.len() == was.recipients.len() {
                // A private key (or other text) given where a public key goes: say what it is, do not echo it.
                parse_recipient_arg(key)?;
                return Err(usage(
                    Diagnostic::error(
                        Code::SecretsCommand,
                        format!(
                            "`{}` is not a recipient of `{}`",
                            shown_argument(key),
                            o.shown
                        ),
                    )
                    .help(format!(
                        "`tuskc secrets recipients list --env {}` lists them",
                        o.env
                    )),
                ));
            }
            if store.recipients.is_empty() {
                return Err(usage(
                    Diagnostic::error(Code::SecretsCommand, "cannot remove the last recipient")
                        .help("add the new recipient first, then remove this one"),
                ));
            }
            let ids = if *no_rotate {
                None
            } else {
                Some(o.identities(out)?)
            };
            let mut sealed = None;
            if let Some(ids) = &ids {
                o.confirm_recipients_of(&was, &store, Some(ids), *yes, "encrypting to", out)?;
                // Sealed before the removal: the seal covered the list with the removed key in it.
                sealed = o.sealed(&was, ids).then_some(&ids[..]);
            }
            finish_recipients(
                &o,
                &mut store,
                ids.as_deref(),
                sealed,
                out,
                &format!("removed `{}` from", key.trim()),
            )?;
            out.say("note: the removed key can still read the old ciphertexts in version control history; change the credentials themselves");
            Ok(())
        }
    }
}

/// After a recipient change: re-encrypt with `ids` (none: `--no-rotate`), re-seal with `sealed`, write.
fn finish_recipients(
    o: &Opened,
    store: &mut Store,
    ids: Option<&[x25519::Identity]>,
    sealed: Option<&[x25519::Identity]>,
    out: &Output,
    what: &str,
) -> Result<(), Fail> {
    let n = match ids {
        Some(ids) => Some(rotate(o, store, ids)?),
        None => None,
    };
    o.finish(store, sealed, out)?;
    out.say(&format!("{what} the recipients of `{}`", o.shown));
    match n {
        Some(n) => out.say(&format!("re-encrypted {n} secret{} to {} recipient{}", plural(n), store.recipients.len(), plural(store.recipients.len()))),
        None => out.say(&format!(
            "the values are still encrypted to the previous recipients; run `tuskc secrets rotate --env {}`",
            o.env
        )),
    }
    Ok(())
}

fn export(name: &str, at: &StoreArgs) -> Result<(), Fail> {
    let o = Opened::new(at)?;
    let store = o.store()?;
    let entry = o.entry(&store, name)?;
    let bytes = entry.bytes().map_err(|why| {
        (
            Diagnostic::error(
                Code::SecretTampered,
                format!("secret `{name}` in the `{}` store is damaged: {why}", o.env),
            ),
            1,
        )
    })?;
    let mut armored = Vec::new();
    let written =
        age::armor::ArmoredWriter::wrap_output(&mut armored, age::armor::Format::AsciiArmor)
            .and_then(|mut w| {
                w.write_all(&bytes)?;
                w.finish()
            });
    if let Err(e) = written {
        return Err(usage(Diagnostic::error(
            Code::Io,
            format!("cannot armor `{name}`: {e}"),
        )));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&armored);
    let _ = stdout.write_all(b"\n");
    Ok(())
}

fn import(name: &str, at: &StoreArgs, out: &Output) -> Result<(), Fail> {
    check_name(name)?;
    let o = Opened::new(at)?;
    o.store()?;
    let mut raw = Vec::new();
    std::io::stdin().read_to_end(&mut raw).map_err(|e| {
        usage(Diagnostic::error(
            Code::Io,
            format!("cannot read stdin: {e}"),
        ))
    })?;
    // Locked only once the input is read: stdin may be slow.
    let (mut store, _lock) = o.store_locked()?;
    // De-armor into the binary age file, then check that its header parses.
    let mut bytes = Vec::new();
    let read = age::armor::ArmoredReader::new(&raw[..]).read_to_end(&mut bytes);
    let not_age = || {
        usage(
            Diagnostic::error(Code::SecretTampered, "stdin is not an age file")
                .help(format!("encrypt with the store's recipients: `age -r AGE_PUBLIC_KEY ... | tuskc secrets import {name} --env {}`", o.env)),
        )
    };
    if read.is_err() || age::Decryptor::new(&bytes[..]).is_err() {
        return Err(not_age());
    }
    store.put(name, &bytes);
    // A value nobody here decrypted is never sealed by this command.
    o.finish(&mut store, None, out)?;
    out.say(&format!(
        "imported `{name}` into `{}`; it is not bound to its name until `tuskc secrets rotate --env {}`",
        o.shown, o.env
    ));
    Ok(())
}

/// `tuskc secrets merge BASE OURS THEIRS`: git's three versions of one store. Per secret and per recipient, a change
/// made on one side is taken; the same one changed differently on both sides keeps both lines (which reading the
/// store reports, TSK0603) and exits 1. The result replaces OURS. It is re-sealed only when both sides' seals cover
/// them and verify with the identity: then every line of the result was vouched for on one side.
fn merge(
    base: &std::path::Path,
    ours: &std::path::Path,
    theirs: &std::path::Path,
    identity: Option<&std::path::Path>,
    out: &Output,
) -> Result<(), Fail> {
    let read = |path: &std::path::Path, may_be_empty: bool| -> Result<Option<Store>, Fail> {
        let text = crate::user_file::read_to_string(path).map_err(|e| {
            usage(Diagnostic::error(
                Code::Io,
                format!("cannot read `{}`: {e}", path.display()),
            ))
        })?;
        if may_be_empty && text.trim().is_empty() {
            return Ok(None);
        }
        Store::parse(&text).map(Some).map_err(|errors| {
            let mut d = Diagnostic::error(
                Code::SecretStoreInvalid,
                format!(
                    "`{}` is not a secrets store tuskc can merge",
                    path.display()
                ),
            );
            for e in errors {
                d = d.note(format!("line {}: {}", e.line, e.message));
            }
            (
                d.help("resolve this file by hand, then run `tuskc secrets seal`"),
                1,
            )
        })
    };
    // git gives an empty ancestor when both sides added the file.
    let base = read(base, true)?;
    let (Some(ours_store), Some(theirs_store)) = (read(ours, false)?, read(theirs, false)?) else {
        return Err(usage(Diagnostic::error(
            Code::Io,
            "a side of the merge is empty",
        )));
    };
    if ours_store.env != theirs_store.env {
        return Err(usage(Diagnostic::error(
            Code::SecretStoreInvalid,
            format!(
                "the two sides are stores of different environments (`{}` and `{}`)",
                ours_store.env, theirs_store.env
            ),
        )));
    }
    let base = base.unwrap_or_else(|| Store::new(&ours_store.env, Vec::new()));
    let mut merged = ours_store.clone();
    let mut conflicts: Vec<String> = Vec::new();

    // Secrets: a three-way choice per name.
    let all: std::collections::BTreeSet<&String> = base
        .entries
        .keys()
        .chain(ours_store.entries.keys())
        .chain(theirs_store.entries.keys())
        .collect();
    let mut conflicted_lines: Vec<(String, Entry)> = Vec::new();
    for name in all {
        let text = |s: &Store| s.entries.get(name).map(|e| e.ciphertext.trim().to_string());
        let (b, o, t) = (text(&base), text(&ours_store), text(&theirs_store));
        if o == t || t == b {
            continue; // ours already holds the result
        }
        if o == b {
            match theirs_store.entries.get(name) {
                Some(e) => {
                    merged.entries.insert(name.clone(), e.clone());
                }
                None => {
                    merged.entries.remove(name);
                }
            }
            continue;
        }
        conflicts.push(name.clone());
        if let Some(e) = theirs_store.entries.get(name) {
            conflicted_lines.push((name.clone(), e.clone()));
        }
    }

    // Recipients: additions and removals from their side, applied to ours.
    let keys = |s: &Store| -> Vec<String> { s.recipients.iter().map(|r| r.key.clone()).collect() };
    let (base_keys, their_keys) = (keys(&base), keys(&theirs_store));
    for r in &theirs_store.recipients {
        if !base_keys.contains(&r.key) && !merged.recipients.iter().any(|m| m.key == r.key) {
            merged.recipients.push(r.clone());
        }
    }
    merged
        .recipients
        .retain(|r| !base_keys.contains(&r.key) || their_keys.contains(&r.key));

    // The seal: only when both sides were sealed, checked with an identity.
    let source = IdentitySource::from_flag_or_env(identity);
    let mut resealed = false;
    if conflicts.is_empty() && !matches!(source, IdentitySource::None) {
        let ids = load_identities(&source, out)?;
        // Each value of the result was encrypted to its side's recipients: re-sealing is right only when both sides
        // (and so the result) have the same ones; otherwise values may be readable by a removed key, or unreadable
        // by an added one, until someone rotates.
        let same = |a: &Store, b: &Store| {
            let mut x = keys(a);
            let mut y = keys(b);
            x.sort();
            y.sort();
            x == y
        };
        let agree = same(&ours_store, &theirs_store) && same(&ours_store, &merged);
        if agree
            && seal::sealed(&ours_store, &ids).is_ok()
            && seal::sealed(&theirs_store, &ids).is_ok()
        {
            if let Ok(s) = seal::seal(&merged, &ids) {
                merged.seal = Some(s);
                resealed = true;
            }
        }
    }
    let mut text = merged.render();
    // Both sides of a conflicting secret stay, theirs right after ours, for a person to choose.
    for (name, entry) in &conflicted_lines {
        let ours_line = format!("\"{name}\": \"");
        if let Some(at) = text.find(&ours_line) {
            let end = text[at..].find('\n').map_or(text.len(), |n| at + n + 1);
            text.insert_str(end, &format!("\"{name}\": \"{}\"\n", entry.ciphertext));
        } else {
            text.push_str(&format!("\"{name}\": \"{}\"\n", entry.ciphertext));
        }
    }
    crate::cli::write::write_output(ours, text.as_bytes(), false).map_err(|e| {
        usage(Diagnostic::error(
            Code::Io,
            format!("cannot write `{}`: {e}", ours.display()),
        ))
    })?;
    if !conflicts.is_empty() {
        return Err((
            Diagnostic::error(
                Code::SecretStoreInvalid,
                format!(
                    "the `{}` store: {} changed differently on both sides",
                    merged.env,
                    quoted_list(&conflicts)
                ),
            )
            .note("both values are kept in the file; reading the store reports them")
            .help("keep one line of each (or set the secret again), then `tuskc secrets seal`"),
            1,
        ));
    }
    if resealed {
        out.say(&format!("merged the `{}` store and sealed it", merged.env));
    } else {
        out.say(&format!(
            "merged the `{}` store; it is not sealed (a side was not sealed, the sides' recipients differ, or no identity was given): review it, run `tuskc secrets rotate --env {}` if the recipients changed, then `tuskc secrets seal --env {}`",
            merged.env, merged.env, merged.env
        ));
    }
    Ok(())
}
