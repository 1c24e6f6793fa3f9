//! `tuskc secrets ...`: create and change the per-environment stores.
//!
//! Exit codes: 0 done; 1 the store's content is wrong (damaged, swapped or undecryptable values, a broken store
//! file); 2 usage or I/O (unknown environment or secret, invalid recipient, missing store or identity). Invariants:
//! a value is read from stdin or a no-echo prompt, never from the command line; plaintext goes only to the stdout
//! of `get`; a command that fails writes nothing; the store is written atomically, and only the lines of the
//! secrets that changed differ.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use age::x25519;
use clap::{Args, Subcommand};

use crate::cli::{write_output, Output};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::driver::Session;
use crate::secrets::store::{self, Entry, Recipient, Store};
use crate::secrets::{crypto, open_entry, IdentitySource, StoreDir, StoreState};

const EXIT_HELP: &str = "Exit codes:\n  0  done\n  1  the store's content is wrong (damaged, swapped or undecryptable values)\n  2  usage or I/O error (unknown environment or secret, invalid recipient, missing store or identity)";

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// The environment whose store to use (secrets/<env>.tsk; `default` for a project without environments).
    #[arg(long = "env", short = 'e')]
    pub env: String,
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The age identity file to decrypt with (default: $TUSKC_IDENTITY, a path or the key itself).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Create the environment's store, encrypted to the given recipients.
    #[command(after_help = EXIT_HELP)]
    Init {
        #[command(flatten)]
        at: StoreArgs,
        /// An age public key (`age1...`) that may decrypt this environment's secrets; repeat for more. Default:
        /// the public key of --identity / $TUSKC_IDENTITY.
        #[arg(long = "recipient", value_name = "AGE_PUBLIC_KEY")]
        recipients: Vec<String>,
        /// Also create a new identity in FILE (mode 0600; refused if FILE exists) and make it a recipient.
        #[arg(long, value_name = "FILE")]
        generate_identity: Option<PathBuf>,
    },
    /// Encrypt a value (from stdin, or a no-echo prompt on a terminal) and store it as NAME.
    #[command(after_help = EXIT_HELP)]
    Set {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Decrypt NAME and print its value to stdout.
    #[command(after_help = EXIT_HELP)]
    Get {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Print the names in the store, one per line (never values).
    #[command(after_help = EXIT_HELP)]
    List {
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Remove NAME from the store.
    #[command(after_help = EXIT_HELP)]
    Rm {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Re-encrypt every value to the store's current recipients (and bind unbound ones); all or nothing.
    #[command(after_help = EXIT_HELP)]
    Rotate {
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Add, remove or list the recipients of the environment's store.
    #[command(subcommand)]
    Recipients(RecipientsCommand),
    /// Print NAME's stored ciphertext as an ASCII-armored age file (for `age -d`).
    #[command(after_help = EXIT_HELP)]
    Export {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Store an age file read from stdin (made with `age -r ...`, binary or armored) as NAME, as it is.
    #[command(after_help = EXIT_HELP)]
    Import {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum RecipientsCommand {
    /// Add a recipient, then re-encrypt every value so it can read them (needs an identity unless --no-rotate).
    #[command(after_help = EXIT_HELP)]
    Add {
        #[arg(value_name = "AGE_PUBLIC_KEY")]
        key: String,
        #[command(flatten)]
        at: StoreArgs,
        /// Only change the list; the values stay encrypted to the old recipients until `tuskc secrets rotate`.
        #[arg(long)]
        no_rotate: bool,
    },
    /// Remove a recipient, then re-encrypt every value without it (needs an identity unless --no-rotate).
    #[command(after_help = EXIT_HELP)]
    Rm {
        #[arg(value_name = "AGE_PUBLIC_KEY")]
        key: String,
        #[command(flatten)]
        at: StoreArgs,
        /// Only change the list; the values stay readable by the removed key until `tuskc secrets rotate`.
        #[arg(long)]
        no_rotate: bool,
    },
    /// Print the recipients, one per line.
    #[command(after_help = EXIT_HELP)]
    List {
        #[command(flatten)]
        at: StoreArgs,
    },
}

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
        SecretsCommand::Set { name, at } => set(name, at, out),
        SecretsCommand::Get { name, at } => get(name, at, out),
        SecretsCommand::List { at } => Opened::new(at).and_then(|o| {
            let store = o.store()?;
            let mut stdout = std::io::stdout().lock();
            for name in store.entries.keys() {
                let _ = writeln!(stdout, "{name}");
            }
            Ok(())
        }),
        SecretsCommand::Rm { name, at } => rm(name, at, out),
        SecretsCommand::Rotate { at } => Opened::new(at).and_then(|o| {
            let mut store = o.store()?;
            let n = rotate(&o, &mut store)?;
            o.write(&store)?;
            out.say(&format!(
                "re-encrypted {n} secret{} in `{}` to {} recipient{}",
                plural(n),
                o.shown,
                store.recipients.len(),
                plural(store.recipients.len())
            ));
            Ok(())
        }),
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
        let mut session = Session::open(&at.path).map_err(usage)?;
        let env = at.env.as_str();
        if !store::valid_env(env) {
            return Err(usage(Diagnostic::error(
                Code::Usage,
                format!("`{env}` is not an environment name"),
            )));
        }
        // The environments the project declares (manifest and source); a store for any other would never be read.
        let mut declared: Vec<String> = session.project.manifest.project.environments.clone();
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

    fn identities(&self) -> Result<Vec<x25519::Identity>, Fail> {
        self.identity.load().map_err(usage)
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
                format!("secret `{name}` is not in the `{}` store", self.env),
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

fn check_name(name: &str) -> Result<(), Fail> {
    if store::valid_name(name) {
        return Ok(());
    }
    Err(usage(
        Diagnostic::error(
            Code::SecretsCommand,
            format!("`{name}` is not a valid secret name"),
        )
        .help("use letters, digits and `_ . / -`, starting with a letter, digit or `_` (e.g. `shop/db_password`)"),
    ))
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
                        format!("the store lists an invalid recipient `{}`: {why}", r.key),
                    ),
                    1,
                )
            })
        })
        .collect()
}

fn parse_recipient_arg(key: &str) -> Result<x25519::Recipient, Fail> {
    crypto::parse_recipient(key).map_err(|why| {
        // Never echo what looks like a private key.
        let shown = if key.trim().starts_with("AGE-SECRET-KEY-") {
            "AGE-SECRET-KEY-…".to_string()
        } else {
            key.to_string()
        };
        usage(
            Diagnostic::error(
                Code::InvalidRecipient,
                format!("`{shown}` is not a recipient: {why}"),
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
        for id in o.identities()? {
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
    let store = Store::new(&o.env, recipients);
    o.write(&store)?;
    out.say(&format!(
        "created `{}` with {} recipient{}",
        o.shown,
        store.recipients.len(),
        plural(store.recipients.len())
    ));
    Ok(())
}

/// The value to store: a no-echo prompt (twice) on a terminal, else all of stdin less one trailing newline.
fn read_value(name: &str) -> Result<Vec<u8>, Fail> {
    let io = |e: std::io::Error| {
        usage(Diagnostic::error(
            Code::Io,
            format!("cannot read the value: {e}"),
        ))
    };
    let value = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("value for `{name}`: ")).map_err(io)?;
        let again = rpassword::prompt_password("again: ").map_err(io)?;
        if first != again {
            return Err(usage(Diagnostic::error(
                Code::SecretsCommand,
                "the two entries differ; nothing was stored",
            )));
        }
        first.into_bytes()
    } else {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(io)?;
        if buf.ends_with(b"\r\n") {
            buf.truncate(buf.len() - 2);
        } else if buf.ends_with(b"\n") {
            buf.truncate(buf.len() - 1);
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
                "pipe the value in: `printf %s \"$VALUE\" | tuskc secrets set {name} --env ENV`"
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

fn set(name: &str, at: &StoreArgs, out: &Output) -> Result<(), Fail> {
    check_name(name)?;
    let o = Opened::new(at)?;
    let mut store = o.store()?;
    let recipients = parse_recipients(&store)?;
    let value = read_value(name)?;
    let ct = encrypt(&value, &recipients, &o.env, name)?;
    let updated = store.put(name, &ct);
    o.write(&store)?;
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
    let ids = o.identities()?;
    let d = o.open(&store, &ids, name)?;
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
    let mut store = o.store()?;
    o.entry(&store, name)?;
    store.entries.remove(name);
    o.write(&store)?;
    out.say(&format!("removed `{name}` from `{}`", o.shown));
    Ok(())
}

/// Decrypt every value, then re-encrypt each to the store's recipients with its binding. Any failure: nothing
/// changes (every failing secret is reported).
fn rotate(o: &Opened, store: &mut Store) -> Result<usize, Fail> {
    let recipients = parse_recipients(store)?;
    if store.entries.is_empty() {
        return Ok(0);
    }
    let ids = o.identities()?;
    let mut fresh = Vec::new();
    let mut failures: Vec<Diagnostic> = Vec::new();
    for name in store.entries.keys() {
        match o.open(store, &ids, name) {
            Ok(d) => fresh.push((name.clone(), d.plaintext)),
            Err((d, _)) => failures.push(d),
        }
    }
    if let Some(first) = failures.first() {
        let mut d = first.clone();
        if failures.len() > 1 {
            d = d.note(format!(
                "{} more secrets failed: {}",
                failures.len() - 1,
                failures[1..]
                    .iter()
                    .map(|f| f.message.clone())
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
            Ok(())
        }
        RecipientsCommand::Add { key, at, no_rotate } => {
            let key = parse_recipient_arg(key)?.to_string();
            let o = Opened::new(at)?;
            let mut store = o.store()?;
            if store.recipients.iter().any(|r| r.key == key) {
                out.say(&format!("`{key}` is already a recipient of `{}`", o.shown));
                return Ok(());
            }
            store.recipients.push(Recipient {
                key: key.clone(),
                comment: None,
            });
            finish_recipients(
                &o,
                &mut store,
                *no_rotate,
                out,
                &format!("added `{key}` to"),
            )
        }
        RecipientsCommand::Rm { key, at, no_rotate } => {
            let o = Opened::new(at)?;
            let mut store = o.store()?;
            let before = store.recipients.len();
            store.recipients.retain(|r| r.key != key.trim());
            if store.recipients.len() == before {
                return Err(usage(
                    Diagnostic::error(
                        Code::SecretsCommand,
                        format!("`{key}` is not a recipient of `{}`", o.shown),
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
            finish_recipients(
                &o,
                &mut store,
                *no_rotate,
                out,
                &format!("removed `{}` from", key.trim()),
            )?;
            out.say("note: the removed key can still read the old ciphertexts in version control history; change the credentials themselves");
            Ok(())
        }
    }
}

fn finish_recipients(
    o: &Opened,
    store: &mut Store,
    no_rotate: bool,
    out: &Output,
    what: &str,
) -> Result<(), Fail> {
    let n = if no_rotate {
        None
    } else {
        Some(rotate(o, store)?)
    };
    o.write(store)?;
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
    let mut store = o.store()?;
    let mut raw = Vec::new();
    std::io::stdin().read_to_end(&mut raw).map_err(|e| {
        usage(Diagnostic::error(
            Code::Io,
            format!("cannot read stdin: {e}"),
        ))
    })?;
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
    o.write(&store)?;
    out.say(&format!(
        "imported `{name}` into `{}`; it is not bound to its name until `tuskc secrets rotate --env {}`",
        o.shown, o.env
    ));
    Ok(())
}
