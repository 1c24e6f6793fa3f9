//! Secrets through the real binary and the real `age` CLI (Debian package `age`; `.ci/run` installs it): the store
//! round-trips with `age`, builds resolve/redact/reference, every failure is a clear error that writes nothing,
//! rotation keeps every value, git merges and diffs stay per secret, and no secret value ever reaches an output the
//! user did not ask for it in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DB: &str = "CANARY-db-7f3e9a1b";
const TOKEN: &str = "CANARY-token-c0ffee42";

struct Key {
    file: PathBuf,
    public: String,
}

struct Project {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    staging: Key,
    production: Key,
    stranger: Key,
}

fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    common::run_with_stdin(cmd, stdin.unwrap_or_default())
}

fn keygen(dir: &Path, name: &str) -> Key {
    let file = dir.join(format!("{name}.key"));
    let o = run(Command::new("age-keygen").arg("-o").arg(&file), None);
    assert!(o.status.success(), "age-keygen: {}", err(&o));
    let o = run(Command::new("age-keygen").arg("-y").arg(&file), None);
    Key {
        file,
        public: out(&o).trim().to_string(),
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

impl Project {
    /// The fixture project with stores for staging and production, each holding both secrets; `None` (a skip, or a
    /// failure under `CI=true`) without the real `age`.
    fn new() -> Option<Project> {
        if !common::have_age() {
            return None;
        }
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("app");
        std::fs::create_dir(&root).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets-app");
        for f in ["tuskc.toml", "app.tsk"] {
            std::fs::copy(fixture.join(f), root.join(f)).unwrap();
        }
        let p = Project {
            staging: keygen(tmp.path(), "staging"),
            production: keygen(tmp.path(), "production"),
            stranger: keygen(tmp.path(), "stranger"),
            root,
            _tmp: tmp,
        };
        for (env, key) in [("staging", &p.staging), ("production", &p.production)] {
            p.ok(
                &["secrets", "init", "--env", env, "--recipient", &key.public],
                None,
            );
            p.ok(
                &["secrets", "set", "db_password", "--env", env],
                Some(format!("{DB}\n").as_bytes()),
            );
            p.ok(
                &["secrets", "set", "api/token", "--env", env],
                Some(TOKEN.as_bytes()),
            );
            // Set without an identity, as a contributor would: sealed by someone who can read the store, who confirms
            // the recipients (the seal `init` made covers no value, so it vouches for none of them).
            p.seal(env, &p.id(key));
        }
        Some(p)
    }

    fn tuskc(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.tuskc_env(args, stdin, &[])
    }

    fn tuskc_env(&self, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tuskc"));
        cmd.args(args)
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .env_remove("TUSKC_IDENTITY")
            .env_remove("TUSKC_IDENTITY_PASSPHRASE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd, stdin)
    }

    fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let o = self.tuskc(args, stdin);
        assert_eq!(o.status.code(), Some(0), "tuskc {args:?}: {}", err(&o));
        o
    }

    /// `secrets seal --env ENV --identity ID --yes`, which must succeed.
    fn seal(&self, env: &str, id: &str) -> Output {
        self.ok(
            &["secrets", "seal", "--env", env, "--identity", id, "--yes"],
            None,
        )
    }

    /// `build -e ENV --secrets resolve --identity ID` to stdout.
    fn resolved(&self, env: &str, id: &str) -> Output {
        self.tuskc(
            &["build", "-e", env, "--secrets", "resolve", "--identity", id],
            None,
        )
    }

    fn ok_resolved(&self, env: &str, id: &str) -> Output {
        let o = self.resolved(env, id);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        o
    }

    fn store(&self, env: &str) -> PathBuf {
        self.root.join("secrets").join(format!("{env}.tsk"))
    }

    fn id(&self, key: &Key) -> String {
        key.file.display().to_string()
    }

    /// Text with the machine-specific parts (keys, temp paths) replaced, for snapshots.
    fn clean(&self, text: &str) -> String {
        let mut t = text.to_string();
        for (k, name) in [
            (&self.staging, "staging"),
            (&self.production, "production"),
            (&self.stranger, "stranger"),
        ] {
            t = t.replace(&k.public, &format!("<{name} public key>"));
            t = t.replace(&k.file.display().to_string(), &format!("<{name}.key>"));
        }
        t
    }

    /// The stored base64 text of one secret.
    fn line_value(&self, env: &str, name: &str) -> String {
        let text = std::fs::read_to_string(self.store(env)).unwrap();
        let prefix = format!("\"{name}\": \"");
        let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap();
        line[prefix.len()..line.len() - 1].to_string()
    }

    /// Put `value` in place of one secret's stored text (that line only).
    fn replace_line_value(&self, env: &str, name: &str, value: &str) {
        let text = std::fs::read_to_string(self.store(env)).unwrap();
        let prefix = format!("\"{name}\": \"");
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with(&prefix) {
                    format!("{prefix}{value}\"")
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(self.store(env), lines.join("\n") + "\n").unwrap();
    }
}

fn age_decrypt(ciphertext: &[u8], key: &Key) -> Output {
    run(
        Command::new("age").arg("-d").arg("-i").arg(&key.file),
        Some(ciphertext),
    )
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn tuskc_encrypts_what_age_decrypts_and_reads_what_age_encrypts() {
    let Some(p) = Project::new() else {
        return;
    };
    // The stored line is a plain age file: base64-decode it and `age -d` reads it.
    let raw = base64_decode(&p.line_value("staging", "db_password"));
    let o = age_decrypt(&raw, &p.staging);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), DB, "the trailing newline of stdin is not stored");
    // `secrets export` prints it armored, for `age -d` too.
    let exported = p.ok(
        &["secrets", "export", "api/token", "--env", "staging"],
        None,
    );
    assert!(out(&exported).starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    assert_eq!(out(&age_decrypt(&exported.stdout, &p.staging)), TOKEN);
    // The other environment's key cannot.
    assert!(!age_decrypt(&raw, &p.production).status.success());

    // A value encrypted by `age` (armored here) is imported as it is and readable by tuskc, with a warning
    // that it is not bound to its name.
    let o = run(
        Command::new("age").args(["-a", "-r", &p.staging.public]),
        Some(b"from-the-age-cli"),
    );
    assert!(o.status.success());
    p.ok(
        &["secrets", "import", "db_password", "--env", "staging"],
        Some(&o.stdout),
    );
    let id = p.id(&p.staging);
    let got = p.ok(
        &[
            "secrets",
            "get",
            "db_password",
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        None,
    );
    assert_eq!(out(&got), "from-the-age-cli");
    assert!(err(&got).contains("not bound to its name"), "{}", err(&got));
    let built = p.resolved("staging", &id);
    assert_eq!(built.status.code(), Some(0), "{}", err(&built));
    assert!(out(&built).contains("\"password\": \"from-the-age-cli\""));
    insta::assert_snapshot!("unbound_warning", p.clean(&err(&built)));
    // rotate binds it; the warning is gone and the value kept.
    p.ok(
        &[
            "secrets",
            "rotate",
            "--env",
            "staging",
            "--identity",
            &id,
            "--yes",
        ],
        None,
    );
    let built = p.resolved("staging", &id);
    assert!(!err(&built).contains("not bound"), "{}", err(&built));
    assert!(out(&built).contains("\"password\": \"from-the-age-cli\""));
    // The imported value is not sealed: rotate does not vouch for it, `seal` does.
    assert!(err(&built).contains("[TSK0615]"), "{}", err(&built));
    p.seal("staging", &id);
    assert_eq!(err(&p.resolved("staging", &id)), "");
}

#[test]
fn build_modes_reference_redact_resolve() {
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.production);
    let reference = p.ok(&["build", "-e", "production"], None);
    assert!(out(&reference).contains("\"password\": \"secret://db_password\""));
    let redact = p.ok(&["build", "-e", "production", "--secrets", "redact"], None);
    insta::assert_snapshot!("redacted_output", out(&redact));
    let resolved = p.ok_resolved("production", &id);
    let text = out(&resolved);
    assert!(text.contains(&format!("\"password\": \"{DB}\"")));
    assert!(text.contains(&format!(
        "\"url\": \"postgres://app:{DB}@prod-db.internal/app\""
    )));
    assert!(text.contains(&format!("\"header\": \"Bearer {TOKEN}\"")));
    // TUSKC_IDENTITY works as a path and as the key itself.
    let via_env = p.tuskc_env(
        &["build", "-e", "production", "--secrets", "resolve"],
        None,
        &[("TUSKC_IDENTITY", &id)],
    );
    assert_eq!(out(&via_env), text);
    let key_text = std::fs::read_to_string(&p.production.file).unwrap();
    let key_line = key_text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    let inline = p.tuskc_env(
        &["build", "-e", "production", "--secrets", "resolve"],
        None,
        &[("TUSKC_IDENTITY", key_line)],
    );
    assert_eq!(out(&inline), text);
    // Other formats resolve too.
    let env = p.ok(
        &[
            "build",
            "-e",
            "production",
            "--secrets",
            "resolve",
            "--identity",
            &id,
            "-f",
            "dotenv",
        ],
        None,
    );
    assert!(
        out(&env).contains(&format!("DATABASE_PASSWORD={DB}")),
        "{}",
        out(&env)
    );
}

#[cfg(unix)]
#[test]
fn resolved_files_are_private_and_others_are_not() {
    use std::os::unix::fs::PermissionsExt;
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.staging);
    let mode = |f: &Path| std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
    let plain = p.root.join("out/plain.json");
    p.ok(
        &["build", "-e", "staging", "-o", plain.to_str().unwrap()],
        None,
    );
    assert_eq!(mode(&plain), 0o644);
    let resolved = p.root.join("out/resolved.json");
    p.ok(
        &[
            "build",
            "-e",
            "staging",
            "--secrets",
            "resolve",
            "--identity",
            &id,
            "-o",
            resolved.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(mode(&resolved), 0o600);
    // Through a symlink, the file it names becomes private (the link itself has no mode of its own).
    let shared = p.root.join("shared.json");
    std::fs::write(&shared, "old\n").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = p.root.join("out/link.json");
    std::os::unix::fs::symlink(&shared, &link).unwrap();
    p.ok(
        &[
            "build",
            "-e",
            "staging",
            "--secrets",
            "resolve",
            "--identity",
            &id,
            "-o",
            link.to_str().unwrap(),
        ],
        None,
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(mode(&shared), 0o600);
    assert!(std::fs::read_to_string(&shared).unwrap().contains(DB));
    // Overwriting a resolved file with a resolved build keeps it private; a plain build keeps the old mode.
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o640)).unwrap();
    p.ok(
        &["build", "-e", "staging", "-o", plain.to_str().unwrap()],
        None,
    );
    assert_eq!(mode(&plain), 0o640);
    // --all: every resolved file 0600 (production uses its own key, so give both).
    let both = p.root.join("both.key");
    let mut keys = std::fs::read_to_string(&p.staging.file).unwrap();
    keys.push_str(&std::fs::read_to_string(&p.production.file).unwrap());
    std::fs::write(&both, keys).unwrap();
    let dist = p.root.join("dist");
    p.ok(
        &[
            "build",
            "--all",
            "--out-dir",
            dist.to_str().unwrap(),
            "--secrets",
            "resolve",
            "--identity",
            both.to_str().unwrap(),
        ],
        None,
    );
    for env in ["staging", "production"] {
        let f = dist.join(env).join("aws/app.json");
        assert_eq!(mode(&f), 0o600, "{}", f.display());
        assert!(std::fs::read_to_string(&f).unwrap().contains(DB));
    }
}

/// Each failure: its code, exit status, and nothing written. The rendered messages are one snapshot.
#[test]
fn every_failure_is_a_clear_error_and_writes_nothing() {
    let Some(p) = Project::new() else {
        return;
    };
    let staging = p.id(&p.staging);
    let target = p.root.join("out.json");
    let mut transcript = String::new();
    let mut expect = |title: &str, o: Output, code: i32, tsk: &str| {
        assert_eq!(o.status.code(), Some(code), "{title}: {}", err(&o));
        assert!(
            err(&o).contains(&format!("[{tsk}]")),
            "{title}: {}",
            err(&o)
        );
        assert!(!target.exists(), "{title} wrote the output");
        transcript.push_str(&format!("## {title}\n{}\n", p.clean(&err(&o))));
    };
    let build = |extra: &[&str]| {
        let mut args = vec![
            "build",
            "-e",
            "staging",
            "--secrets",
            "resolve",
            "-o",
            "out.json",
        ];
        args.extend_from_slice(extra);
        p.tuskc(&args, None)
    };
    expect("no identity", build(&[]), 1, "TSK0604");
    expect(
        "identity file missing",
        build(&["--identity", "nope.key"]),
        1,
        "TSK0605",
    );
    std::fs::write(p.root.join("bad.key"), "# a comment\nnot-a-key\n").unwrap();
    expect(
        "identity file invalid",
        build(&["--identity", "bad.key"]),
        1,
        "TSK0605",
    );
    let prod = p.id(&p.production);
    expect(
        "wrong identity (production's key on staging)",
        build(&["--identity", &prod]),
        1,
        "TSK0606",
    );

    // Tampered: one base64 character of the payload changed.
    let good = p.line_value("staging", "db_password");
    let mut bytes = base64_decode(&good);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    use base64::Engine as _;
    p.replace_line_value(
        "staging",
        "db_password",
        &base64::engine::general_purpose::STANDARD.encode(&bytes),
    );
    expect(
        "tampered ciphertext",
        build(&["--identity", &staging]),
        1,
        "TSK0607",
    );
    p.replace_line_value("staging", "db_password", "!!!not base64!!!");
    expect(
        "ciphertext not base64",
        build(&["--identity", &staging]),
        1,
        "TSK0607",
    );
    p.replace_line_value("staging", "db_password", &good);

    // Swapped: the two secrets' ciphertexts exchanged; and a production ciphertext copied into staging.
    let token = p.line_value("staging", "api/token");
    p.replace_line_value("staging", "api/token", &good);
    p.replace_line_value("staging", "db_password", &token);
    expect(
        "swapped ciphertexts",
        build(&["--identity", &staging]),
        1,
        "TSK0608",
    );
    p.replace_line_value("staging", "api/token", &token);
    p.replace_line_value("staging", "db_password", &good);
    let both = p.root.join("both.key");
    std::fs::write(
        &both,
        std::fs::read_to_string(&p.staging.file).unwrap()
            + &std::fs::read_to_string(&p.production.file).unwrap(),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&both, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p.replace_line_value(
        "staging",
        "db_password",
        &p.line_value("production", "db_password"),
    );
    expect(
        "ciphertext moved from production",
        build(&["--identity", both.to_str().unwrap()]),
        1,
        "TSK0608",
    );
    p.replace_line_value("staging", "db_password", &good);

    // Missing secret, missing store, broken store.
    p.ok(&["secrets", "rm", "api/token", "--env", "staging"], None);
    expect(
        "missing secret",
        build(&["--identity", &staging]),
        1,
        "TSK0602",
    );
    let saved = std::fs::read_to_string(p.store("staging")).unwrap();
    std::fs::remove_file(p.store("staging")).unwrap();
    expect(
        "missing store",
        build(&["--identity", &staging]),
        1,
        "TSK0601",
    );
    std::fs::write(p.store("staging"), saved.replace("format: 1", "format: 9")).unwrap();
    expect(
        "broken store",
        build(&["--identity", &staging]),
        1,
        "TSK0603",
    );
    std::fs::write(
        p.store("staging"),
        saved.replace("environment: \"staging\"", "environment: \"production\""),
    )
    .unwrap();
    expect(
        "store of another environment",
        build(&["--identity", &staging]),
        1,
        "TSK0603",
    );
    std::fs::write(p.store("staging"), &saved).unwrap();

    // A value that is not text (imported from `age`).
    let o = run(
        Command::new("age").args(["-r", &p.staging.public]),
        Some(&[0xff, 0xfe, 0x00]),
    );
    p.ok(
        &["secrets", "import", "db_password", "--env", "staging"],
        Some(&o.stdout),
    );
    expect(
        "secret not UTF-8",
        build(&["--identity", &staging]),
        1,
        "TSK0611",
    );

    // The secrets commands' own errors.
    expect(
        "invalid recipient",
        p.tuskc(
            &[
                "secrets",
                "recipients",
                "add",
                "age1nope",
                "--env",
                "staging",
            ],
            None,
        ),
        2,
        "TSK0612",
    );
    expect(
        "a private key given as recipient is not echoed",
        p.tuskc(
            &[
                "secrets",
                "init",
                "--env",
                "production",
                "--recipient",
                "AGE-SECRET-KEY-1QQQQQQQQ",
            ],
            None,
        ),
        2,
        "TSK0612",
    );
    expect(
        "init over an existing store",
        p.tuskc(
            &[
                "secrets",
                "init",
                "--env",
                "staging",
                "--recipient",
                &p.staging.public,
            ],
            None,
        ),
        2,
        "TSK0613",
    );
    expect(
        "invalid secret name",
        p.tuskc(
            &["secrets", "set", "bad name", "--env", "staging"],
            Some(b"x"),
        ),
        2,
        "TSK0613",
    );
    expect(
        "empty value",
        p.tuskc(
            &["secrets", "set", "empty", "--env", "staging"],
            Some(b"\n"),
        ),
        2,
        "TSK0613",
    );
    expect(
        "unknown environment",
        p.tuskc(&["secrets", "list", "--env", "prod"], None),
        2,
        "TSK0003",
    );
    expect(
        "get of an unknown name",
        p.tuskc(
            &[
                "secrets",
                "get",
                "db_pasword",
                "--env",
                "staging",
                "--identity",
                &staging,
            ],
            None,
        ),
        2,
        "TSK0602",
    );
    expect(
        "secrets get with the wrong key",
        p.tuskc(
            &[
                "secrets",
                "get",
                "db_password",
                "--env",
                "staging",
                "--identity",
                &p.id(&p.stranger),
            ],
            None,
        ),
        1,
        "TSK0606",
    );
    expect(
        "removing the last recipient",
        p.tuskc(
            &[
                "secrets",
                "recipients",
                "rm",
                &p.staging.public,
                "--env",
                "staging",
            ],
            None,
        ),
        2,
        "TSK0613",
    );
    expect(
        "import of something that is not an age file",
        p.tuskc(
            &["secrets", "import", "x", "--env", "staging"],
            Some(b"hello"),
        ),
        2,
        "TSK0607",
    );
    insta::assert_snapshot!("failures", transcript);
}

#[test]
fn reference_mode_warns_about_names_missing_from_an_existing_store() {
    let Some(p) = Project::new() else {
        return;
    };
    p.ok(&["secrets", "rm", "api/token", "--env", "production"], None);
    let o = p.tuskc(&["check"], None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    insta::assert_snapshot!("reference_missing_name", p.clean(&err(&o)));
}

#[test]
fn plaintext_secrets_are_flagged() {
    let Some(p) = Project::new() else {
        return;
    };
    std::fs::write(
        p.root.join("app.tsk"),
        std::fs::read_to_string(p.root.join("app.tsk")).unwrap()
            + "\n[legacy]\nadmin_password: \"x9$Kq2!vLp0Zr\"\naws_key_id: \"AKIAIOSFODNN7EXAMPLE\"\npassword_hint: \"short\"\n",
    )
    .unwrap();
    let o = p.tuskc(&["check"], None);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("plaintext_secret", p.clean(&err(&o)));
}

#[test]
fn rotation_and_recipient_changes_keep_every_value() {
    let Some(p) = Project::new() else {
        return;
    };
    let staging = p.id(&p.staging);
    let stranger = p.id(&p.stranger);
    let get = |id: &str, name: &str| {
        p.tuskc(
            &["secrets", "get", name, "--env", "staging", "--identity", id],
            None,
        )
    };
    let before = std::fs::read_to_string(p.store("staging")).unwrap();
    // Add a recipient: re-encrypted so the new key reads every value.
    p.ok(
        &[
            "secrets",
            "recipients",
            "add",
            &p.stranger.public,
            "--env",
            "staging",
            "--identity",
            &staging,
        ],
        None,
    );
    assert_eq!(out(&get(&stranger, "db_password")), DB);
    assert_eq!(out(&get(&stranger, "api/token")), TOKEN);
    assert_ne!(std::fs::read_to_string(p.store("staging")).unwrap(), before);
    let listed = p.ok(&["secrets", "recipients", "list", "--env", "staging"], None);
    assert_eq!(out(&listed).lines().count(), 2);
    // Remove the original key: the newcomer still reads everything, the removed one nothing.
    p.ok(
        &[
            "secrets",
            "recipients",
            "rm",
            &p.staging.public,
            "--env",
            "staging",
            "--identity",
            &stranger,
        ],
        None,
    );
    assert_eq!(out(&get(&stranger, "db_password")), DB);
    assert_eq!(get(&staging, "db_password").status.code(), Some(1));
    // rotate keeps values and changes every ciphertext.
    let lines_before = p.line_value("staging", "api/token");
    p.ok(
        &[
            "secrets",
            "rotate",
            "--env",
            "staging",
            "--identity",
            &stranger,
        ],
        None,
    );
    assert_ne!(p.line_value("staging", "api/token"), lines_before);
    assert_eq!(out(&get(&stranger, "api/token")), TOKEN);
    // --no-rotate only edits the list (no identity needed), and says so.
    let o = p.ok(
        &[
            "secrets",
            "recipients",
            "add",
            &p.staging.public,
            "--env",
            "staging",
            "--no-rotate",
        ],
        None,
    );
    assert!(err(&o).contains("still encrypted to the previous recipients"));
    assert_eq!(get(&staging, "api/token").status.code(), Some(1));
    // A rotation that cannot decrypt everything writes nothing.
    let snapshot = std::fs::read_to_string(p.store("staging")).unwrap();
    let o = p.tuskc(
        &[
            "secrets",
            "rotate",
            "--env",
            "staging",
            "--identity",
            &staging,
            "--yes",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("nothing was re-encrypted or written"),
        "{}",
        err(&o)
    );
    assert_eq!(
        std::fs::read_to_string(p.store("staging")).unwrap(),
        snapshot
    );
    // Names only from list.
    assert_eq!(
        out(&p.ok(&["secrets", "list", "--env", "staging"], None)),
        "api/token\ndb_password\n"
    );
}

#[test]
fn recipients_are_per_environment() {
    let Some(p) = Project::new() else {
        return;
    };
    let o = p.tuskc(
        &[
            "build",
            "-e",
            "production",
            "--secrets",
            "resolve",
            "--identity",
            &p.id(&p.staging),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("[TSK0606]"));
    assert!(!out(&o).contains(DB));
}

#[test]
fn init_can_generate_an_identity() {
    let Some(p) = Project::new() else {
        return;
    };
    std::fs::write(
        p.root.join("tuskc.toml"),
        "[project]\nentries = [\"app.tsk\"]\nenvironments = [\"staging\", \"production\", \"dev\"]\n",
    )
    .unwrap();
    let key = p.root.join("dev.key");
    let init = [
        "secrets",
        "init",
        "--env",
        "dev",
        "--generate-identity",
        key.to_str().unwrap(),
    ];
    let o = p.ok(&init, None);
    assert!(err(&o).contains("wrote a new identity"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The generated identity is a real age identity: `age-keygen -y` reads it and matches the store.
    let public = run(Command::new("age-keygen").arg("-y").arg(&key), None);
    assert!(public.status.success(), "{}", err(&public));
    let store = std::fs::read_to_string(p.store("dev")).unwrap();
    assert!(store.contains(out(&public).trim()));
    // The store file is itself valid TuskLang.
    let o = p.tuskc(
        &["build", p.store("dev").to_str().unwrap(), "-e", "dev"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // Refuses to overwrite an identity.
    let o = p.tuskc(&init, None);
    assert_eq!(o.status.code(), Some(2));
}

/// With several entry files, an environment declared by any of them has a store (not only the last one's).
#[test]
fn environments_of_every_entry_count() {
    let Some(p) = Project::new() else {
        return;
    };
    std::fs::write(
        p.root.join("tuskc.toml"),
        "[project]\nentries = [\"app.tsk\", \"jobs.tsk\"]\n",
    )
    .unwrap();
    std::fs::write(
        p.root.join("jobs.tsk"),
        "[jobs]\nn: 1\nenv nightly { [jobs]\nn: 2 }\n",
    )
    .unwrap();
    // production is declared by app.tsk (its store exists), nightly by jobs.tsk (no store yet).
    let o = p.tuskc(&["secrets", "list", "--env", "production"], None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = p.tuskc(&["secrets", "list", "--env", "nightly"], None);
    assert!(err(&o).contains("[TSK0601]"), "{}", err(&o));
}

#[test]
fn a_passphrase_protected_identity_works() {
    use age::secrecy::SecretString;
    let Some(p) = Project::new() else {
        return;
    };
    let plain = std::fs::read(&p.staging.file).unwrap();
    let encrypted = age::encrypt(
        &age::scrypt::Recipient::new(SecretString::from("correct horse".to_string())),
        &plain,
    )
    .unwrap();
    let file = p.root.join("staging.key.age");
    std::fs::write(&file, encrypted).unwrap();
    let args = [
        "secrets",
        "get",
        "db_password",
        "--env",
        "staging",
        "--identity",
        file.to_str().unwrap(),
    ];
    let o = p.tuskc_env(
        &args,
        None,
        &[("TUSKC_IDENTITY_PASSPHRASE", "correct horse")],
    );
    assert_eq!(out(&o), DB, "{}", err(&o));
    let o = p.tuskc_env(&args, None, &[("TUSKC_IDENTITY_PASSPHRASE", "wrong")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("passphrase is wrong"), "{}", err(&o));
    let o = p.tuskc(&args, None);
    assert!(err(&o).contains("TUSKC_IDENTITY_PASSPHRASE"), "{}", err(&o));
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let o = run(
        Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir),
        None,
    );
    assert!(o.status.success(), "git {args:?}: {}", err(&o));
    o
}

/// `git merge BRANCH` as a command to run (it may fail: a conflict).
fn git_merge(branch: &str) -> Command {
    let mut cmd = Command::new("git");
    cmd.args([
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "merge",
        "-q",
        "--no-edit",
        branch,
    ]);
    cmd
}

/// Two people adding different secrets on two branches merge without conflict, and a diff names the secret.
#[test]
fn git_diffs_name_the_secret_and_parallel_additions_merge() {
    let Some(p) = Project::new() else {
        return;
    };
    git(&p.root, &["init", "-q", "-b", "main"]);
    git(&p.root, &["add", "."]);
    git(&p.root, &["commit", "-qm", "base"]);
    git(&p.root, &["checkout", "-qb", "alice"]);
    p.ok(&["secrets", "set", "alpha", "--env", "staging"], Some(b"a"));
    git(&p.root, &["commit", "-qam", "alpha"]);
    git(&p.root, &["checkout", "-q", "main"]);
    p.ok(&["secrets", "set", "zeta", "--env", "staging"], Some(b"z"));
    git(&p.root, &["commit", "-qam", "zeta"]);
    git(&p.root, &["merge", "-q", "--no-edit", "alice"]);
    let names = p.ok(&["secrets", "list", "--env", "staging"], None);
    assert_eq!(out(&names), "alpha\napi/token\ndb_password\nzeta\n");
    // Changing one secret changes one line, which names it.
    p.ok(
        &["secrets", "set", "db_password", "--env", "staging"],
        Some(b"new"),
    );
    let diff = out(&git(&p.root, &["diff", "-U0", "--", "secrets/staging.tsk"]));
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed.len(), 2, "{diff}");
    assert!(
        changed
            .iter()
            .all(|l| l[1..].starts_with("\"db_password\": ")),
        "{diff}"
    );
}

/// Every command and error path, run over a project whose secrets are distinctive strings: the values appear only
/// where the user asked for them (`build --secrets resolve`, `get --reveal`, `secrets get`).
#[test]
fn secret_values_never_leak() {
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.staging);
    let resolve = ["--secrets", "resolve", "--identity", id.as_str()];
    let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    // A schema error on a resolved secret, and a type error, so diagnostics mention those values.
    std::fs::write(
        p.root.join("extra.tsk"),
        "use \"app.tsk\"\n[checks]\nlen: @secret(\"db_password\") * 2\nneg: -@secret(\"api/token\")\n",
    )
    .unwrap();
    let mut runs: Vec<Vec<String>> = vec![
        with(&["build", "-e", "staging"], &[]),
        with(&["build", "-e", "staging", "--secrets", "redact"], &[]),
        with(
            &[
                "build",
                "-e",
                "staging",
                "--secrets",
                "redact",
                "-f",
                "yaml",
            ],
            &[],
        ),
        with(&["check"], &resolve),
        with(&["check", "--message-format", "json"], &resolve),
        with(
            &[
                "check",
                "-e",
                "staging",
                "--set",
                "database.password=@secret(\"db_password\") + \"x\"",
            ],
            &resolve,
        ),
        with(
            &[
                "check",
                "-e",
                "staging",
                "--set",
                "database.host=@secret(\"db_password\")",
            ],
            &resolve,
        ),
        with(
            &[
                "check",
                "-e",
                "staging",
                "--set",
                "api.timeout=@secret(\"api/token\")",
            ],
            &resolve,
        ),
        with(&["build", "extra.tsk", "-e", "staging"], &resolve),
        with(
            &[
                "build",
                "extra.tsk",
                "-e",
                "staging",
                "--message-format",
                "json",
            ],
            &resolve,
        ),
        with(&["get", "database.password", "-e", "staging"], &resolve),
        with(
            &["get", "database.url", "-e", "staging", "--json"],
            &resolve,
        ),
        with(&["get", "api", "-e", "staging"], &resolve),
        with(&["explain", "database.password", "-e", "staging"], &resolve),
        with(
            &[
                "explain",
                "database.url",
                "-e",
                "staging",
                "--message-format",
                "json",
            ],
            &resolve,
        ),
        with(&["explain", "api.header", "-e", "staging"], &resolve),
        // An object with a secret inside: its other keys shown, the secret masked.
        with(&["explain", "database", "-e", "staging"], &resolve),
        with(
            &[
                "explain",
                "database",
                "-e",
                "staging",
                "--message-format",
                "json",
            ],
            &resolve,
        ),
        with(&["get", "database.nope", "-e", "staging"], &resolve),
        with(&["secrets", "list", "--env", "staging"], &[]),
        with(&["secrets", "recipients", "list", "--env", "staging"], &[]),
        with(
            &["secrets", "rotate", "--env", "staging", "--identity", &id],
            &[],
        ),
        with(
            &[
                "secrets",
                "get",
                "nope",
                "--env",
                "staging",
                "--identity",
                &id,
            ],
            &[],
        ),
        with(&["build", "-e", "production"], &resolve),
        with(
            &[
                "secrets",
                "get",
                "db_password",
                "--env",
                "production",
                "--identity",
                &id,
            ],
            &[],
        ),
    ];
    // JSON Schema validation of a resolved value that the schema rejects.
    std::fs::write(
        p.root.join("schema.json"),
        r#"{"type":"object","properties":{"database":{"type":"object","properties":{"password":{"type":"string","maxLength":3},"url":{"type":"string","pattern":"^mysql:"}}}}}"#,
    )
    .unwrap();
    runs.push(with(
        &["check", "-e", "staging", "--json-schema", "schema.json"],
        &resolve,
    ));
    runs.push(with(
        &[
            "check",
            "-e",
            "staging",
            "--json-schema",
            "schema.json",
            "--message-format",
            "json",
        ],
        &resolve,
    ));
    // What needs a secret's content (TSK0317): directive arguments, comparisons, conditions, arithmetic, overflow,
    // literal types and asserts; and JSON Schema violations whose instance holds secrets in objects and arrays. In
    // every mode, every format, with and without `-o` (whose file must not be written, or hold no secret).
    std::fs::write(
        p.root.join("taint.tsk"),
        "use \"app.tsk\"\n[taint]\nenv_arg: @env(api.token)\nenv_default: @env(api.token, 5)\n\
         file_arg: @file(database.password)\nsecret_arg: @secret(api.token)\n\
         interpolated: @env(\"X_${database.password}\")\n\
         guess: api.token == \"CANARY\" ? \"yes\" : \"no\"\nlt: database.password < \"m\"\n\
         cond: database.url ? 1 : 2\nminus: api.token - 1\noverflow: api.token * 9223372036854775807\n\
         div: database.password / 0\nneg: -api.header\nnot: !api.token\nboth: [api.token] == [database.password]\n",
    )
    .unwrap();
    std::fs::write(
        p.root.join("taint_schema.tsk"),
        "use \"app.tsk\"\nschema Api {\n  token: secret\n  ...\n  assert token != \"CANARY\" : \"guessed\"\n}\n\
         bind api: Api\nbind database.password: \"CANARY\" | \"other\"\nbind database.url: int | \"x\"\n",
    )
    .unwrap();
    std::fs::write(p.root.join("array.json"), r#"{"type":"array"}"#).unwrap();
    std::fs::write(
        p.root.join("nested.json"),
        r#"{"properties":{"database":{"type":"array"},"api":{"required":["nope"]},"list":{"maxItems":0}}}"#,
    )
    .unwrap();
    let redact = ["--secrets", "redact"];
    for mode in [&[][..], &redact[..], &resolve[..]] {
        for file in ["taint.tsk", "taint_schema.tsk"] {
            for extra in [
                &[][..],
                &["--message-format", "json"][..],
                &["-f", "yaml", "-o", "out.yaml"][..],
                &["-o", "out.json"][..],
            ] {
                let mut run = with(&["build", file, "-e", "staging"], extra);
                run.extend(mode.iter().map(|s| s.to_string()));
                runs.push(run);
            }
            runs.push(with(&["check", file], mode));
            runs.push(with(&["check", file, "--message-format", "json"], mode));
        }
        for schema in ["array.json", "nested.json"] {
            runs.push(with(&["check", "--json-schema", schema], mode));
            runs.push(with(
                &["check", "--json-schema", schema, "--message-format", "json"],
                mode,
            ));
        }
    }
    std::fs::write(
        p.root.join("listed.tsk"),
        "use \"app.tsk\"\nlist: [database.password, { t: api.token }]\n",
    )
    .unwrap();
    for mode in [&[][..], &redact[..], &resolve[..]] {
        runs.push(with(
            &[
                "check",
                "listed.tsk",
                "-e",
                "staging",
                "--json-schema",
                "nested.json",
            ],
            mode,
        ));
    }
    // `--all` where every target fails: nothing is written, and no staged file stays behind.
    let stranger = p.id(&p.stranger);
    runs.push(with(
        &[
            "build",
            "--all",
            "--out-dir",
            "dist",
            "--secrets",
            "resolve",
            "--identity",
            &stranger,
        ],
        &[],
    ));
    let mut diagnosed = 0;
    let mut content = 0;
    // Every run gets its own temporary directory, which must hold no plaintext afterwards.
    let tmpdir = p.root.parent().unwrap().join("tmp");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let tmp = tmpdir.to_str().unwrap().to_string();
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = p.tuskc_env(&args, None, &[("TMPDIR", &tmp)]);
        if err(&o).contains("TSK0317") {
            content += 1;
        }
        for written in ["out.json", "out.yaml"] {
            if let Ok(text) = std::fs::read_to_string(p.root.join(written)) {
                std::fs::remove_file(p.root.join(written)).unwrap();
                assert!(
                    !text.contains(DB) && !text.contains(TOKEN),
                    "{args:?} wrote a secret to {written}"
                );
            }
        }
        for canary in [DB, TOKEN] {
            assert!(
                !out(&o).contains(canary),
                "stdout of {args:?} leaks {canary}:\n{}",
                out(&o)
            );
            assert!(
                !err(&o).contains(canary),
                "stderr of {args:?} leaks {canary}:\n{}",
                err(&o)
            );
        }
        if !err(&o).is_empty() {
            diagnosed += 1;
        }
    }
    // No file left behind, in the project (outputs, staging files of `-o` and `--all`) or the temporary directory,
    // holds a value.
    for dir in [&p.root, &tmpdir] {
        for file in common::files_below(dir) {
            let bytes = std::fs::read(&file).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(DB) && !text.contains(TOKEN),
                "{} holds a secret",
                file.display()
            );
        }
    }
    let o = p.tuskc(
        &[
            "explain",
            "database.password",
            "-e",
            "staging",
            "--reveal",
            "--identity",
            &id,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!out(&o).contains(DB) && !err(&o).contains(DB));
    assert!(
        diagnosed >= 12,
        "the error paths were not exercised ({diagnosed} runs printed diagnostics)"
    );
    assert!(
        content >= 36,
        "the uses of a secret's content were not exercised ({content} runs reported TSK0317)"
    );
    // ... and they do appear where asked for, so the checks above look at real values.
    assert!(out(&p.ok(
        &with(&["build", "-e", "staging"], &resolve)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        None
    ))
    .contains(DB));
    assert!(out(&p.ok(
        &[
            "get",
            "database.password",
            "-e",
            "staging",
            "--reveal",
            "--identity",
            &id
        ],
        None
    ))
    .contains(DB));
    assert!(out(&p.ok(
        &[
            "secrets",
            "get",
            "api/token",
            "--env",
            "staging",
            "--identity",
            &id
        ],
        None
    ))
    .contains(TOKEN));
    // The store on disk holds no plaintext either.
    let store = std::fs::read_to_string(p.store("staging")).unwrap();
    assert!(!store.contains(DB) && !store.contains(TOKEN));
}

/// The bundled example's development store resolves with its committed example identity (as the docs show).
#[test]
fn the_example_resolves_its_development_secrets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = run(
        Command::new(env!("CARGO_BIN_EXE_tuskc"))
            .args([
                "build",
                "examples/shop",
                "-e",
                "development",
                "-p",
                "aws",
                "--secrets",
                "resolve",
            ])
            .env("TUSKC_IDENTITY", "examples/shop/keys/development.agekey")
            .env("NO_COLOR", "1")
            .current_dir(root),
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("\"password\": \"dev-db-password\""));
    // Production has no store: resolving it is a clear error, reference builds are unaffected.
    let o = run(
        Command::new(env!("CARGO_BIN_EXE_tuskc"))
            .args([
                "build",
                "examples/shop",
                "-e",
                "production",
                "-p",
                "aws",
                "--secrets",
                "resolve",
            ])
            .env("TUSKC_IDENTITY", "examples/shop/keys/development.agekey")
            .current_dir(root),
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("[TSK0601]"));
}

/// `check` and `build` cannot answer "is my guess right": with a right and a wrong guess, in reference and resolve
/// mode, a comparison, a condition, arithmetic or a JSON Schema `const` on a secret give the same exit code and
/// the same diagnostics (issue 17; docs/language.md, "What may be done with a secret").
#[test]
fn a_guess_gets_the_same_answer_right_or_wrong() {
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.staging);
    let uses = [
        "api.token == @env(\"GUESS\")",
        "@env(\"GUESS\") != database.password",
        "api.token == @env(\"GUESS\") ? \"yes\" : \"no\"",
        "api.token < @env(\"GUESS\")",
        "[api.token] == [@env(\"GUESS\")]",
        "api.token - 1",
    ];
    for (i, expr) in uses.iter().enumerate() {
        let file = format!("guess{i}.tsk");
        std::fs::write(
            p.root.join(&file),
            format!("use \"app.tsk\"\n[guess]\nanswer: {expr}\n"),
        )
        .unwrap();
        for command in ["check", "build"] {
            let mut answers = Vec::new();
            for guess in [TOKEN, DB, "wrong"] {
                let var = format!("GUESS={guess}");
                for mode in [
                    &["--secrets", "reference"][..],
                    &["--secrets", "resolve", "--identity", &id][..],
                ] {
                    let mut args = vec![command, file.as_str(), "-e", "staging", "--var", &var];
                    args.extend(mode);
                    let o = p.tuskc(&args, None);
                    answers.push((o.status.code(), out(&o), err(&o), args.join(" ")));
                }
            }
            let (code, stdout, stderr, _) = &answers[0];
            assert_eq!(*code, Some(1), "{expr}: {stderr}");
            assert!(stderr.contains("[TSK0317]"), "{expr}: {stderr}");
            for (c, o, e, args) in &answers[1..] {
                assert_eq!(
                    (c, o, e),
                    (code, stdout, stderr),
                    "{args} answers differently"
                );
            }
        }
    }
    // A JSON Schema sees every secret as `********`: `const` cannot test a guess either.
    let mut answers = Vec::new();
    for guess in [TOKEN, "wrong"] {
        let schema = format!(
            r#"{{"properties":{{"api":{{"properties":{{"token":{{"const":{guess:?}}}}}}}}}}}"#
        );
        std::fs::write(p.root.join("guess.json"), schema).unwrap();
        for mode in [
            &["--secrets", "reference"][..],
            &["--secrets", "resolve", "--identity", &id][..],
        ] {
            let mut args = vec!["check", "-e", "staging", "--json-schema", "guess.json"];
            args.extend(mode);
            let o = p.tuskc(&args, None);
            answers.push((o.status.code(), err(&o).replace(guess, "GUESS")));
        }
    }
    // Not checked on a secret at all (as tuskc's own constraints), so the answer is the same for every guess.
    assert_eq!(answers[0].0, Some(0), "{}", answers[0].1);
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:#?}");
    // Keywords about text do not fail on the mask: a URL built from a secret still passes `format`/`pattern`, and
    // its type is still checked.
    std::fs::write(
        p.root.join("url.json"),
        r#"{"properties":{"database":{"properties":{"url":{"type":"string","format":"uri","pattern":"^postgres://"},"password":{"type":"integer"}}}}}"#,
    )
    .unwrap();
    for mode in [
        &["--secrets", "reference"][..],
        &["--secrets", "redact"][..],
        &["--secrets", "resolve", "--identity", &id][..],
    ] {
        let mut args = vec!["check", "-e", "staging", "--json-schema", "url.json"];
        args.extend(mode);
        let o = p.tuskc(&args, None);
        assert_eq!(o.status.code(), Some(1), "{mode:?}: {}", err(&o));
        assert!(!err(&o).contains("/database/url"), "{mode:?}: {}", err(&o));
        assert!(
            err(&o).contains("/database/password"),
            "{mode:?}: {}",
            err(&o)
        );
    }
}

/// Issue 17 point 1: key material handed to tuskc where a path or a public key goes is used as a key where a key is
/// wanted, and never echoed (the common CI habit: the whole `age-keygen` file pasted into TUSKC_IDENTITY).
#[test]
fn key_material_is_never_echoed() {
    let Some(p) = Project::new() else {
        return;
    };
    let key_text = std::fs::read_to_string(&p.staging.file).unwrap();
    assert!(key_text.starts_with("# created:"), "{key_text}");
    let secret_line = key_text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap()
        .to_string();
    let build = ["build", "-e", "staging", "--secrets", "resolve"];
    // The whole key file in the variable works.
    let o = p.tuskc_env(&build, None, &[("TUSKC_IDENTITY", &key_text)]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains(DB));
    // So does the key text given to --identity.
    let mut args = build.to_vec();
    args.extend(["--identity", key_text.as_str()]);
    let o = p.tuskc(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // A mangled key file (a character lost in the paste), and other text: errors that show none of it.
    let mangled = key_text.replace(&secret_line, &secret_line[..secret_line.len() - 1]);
    let body = &secret_line["AGE-SECRET-KEY-".len()..];
    // One character mistyped: the checksum fails.
    let pos = "AGE-SECRET-KEY-".len() + 10;
    let swapped = if &secret_line[pos..=pos] == "Q" {
        "P"
    } else {
        "Q"
    };
    let typo = format!(
        "{}{swapped}{}",
        &secret_line[..pos],
        &secret_line[pos + 1..]
    );
    for (value, json) in [
        (mangled.as_str(), false),
        (mangled.as_str(), true),
        ("# created: 2026\n# public key: age1xyz\n", false),
        (typo.as_str(), false),
    ] {
        let mut args = build.to_vec();
        if json {
            args.extend(["--message-format", "json"]);
        }
        let o = p.tuskc_env(&args, None, &[("TUSKC_IDENTITY", value)]);
        assert_eq!(o.status.code(), Some(1), "{}", err(&o));
        assert!(err(&o).contains("TSK0605"), "{}", err(&o));
        for shown in [out(&o), err(&o)] {
            assert!(
                !shown.contains(&body[..20])
                    && !shown.to_lowercase().contains(&body[..20].to_lowercase()),
                "{shown}"
            );
            assert!(!shown.contains("# created"), "{shown}");
        }
    }
    // A path in the variable that does not exist is not shown either (it may be a mangled key).
    let o = p.tuskc_env(&build, None, &[("TUSKC_IDENTITY", "S3CR3T-NOT-A-PATH")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!err(&o).contains("S3CR3T-NOT-A-PATH"), "{}", err(&o));
    assert!(err(&o).contains("named by $TUSKC_IDENTITY"), "{}", err(&o));
    // `recipients rm` and `recipients add` with a private key: refused, not echoed.
    for verb in ["rm", "add"] {
        let o = p.tuskc(
            &[
                "secrets",
                "recipients",
                verb,
                &secret_line,
                "--env",
                "staging",
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(2), "{}", err(&o));
        assert!(!err(&o).contains(body), "{verb}: {}", err(&o));
    }
    // Key material or a value typed where a name, an environment, a variable or a recipient goes, or a malformed line
    // of an env file: not echoed.
    std::fs::write(p.root.join("bad.env"), "DB_PASSWORD S3CR3T-VALUE-9\n").unwrap();
    let hostile: Vec<Vec<&str>> = vec![
        vec!["build", "-e", "staging", "--env-file", "bad.env"],
        vec!["secrets", "set", &secret_line, "--env", "staging"],
        vec![
            "secrets",
            "set",
            "db_password=S3CR3T-VALUE-9",
            "--env",
            "staging",
        ],
        vec![
            "secrets",
            "set",
            "db_password",
            ".",
            "S3CR3T-VALUE-9",
            "--env",
            "staging",
        ],
        vec![
            "secrets",
            "import",
            "db_password",
            ".",
            "S3CR3T-VALUE-9",
            "--env",
            "staging",
        ],
        vec!["secrets", "get", &secret_line, "--env", "staging"],
        vec![
            "secrets",
            "recipients",
            "add",
            "S3CR3T-VALUE-9",
            "--env",
            "staging",
        ],
        vec!["build", "-e", &secret_line],
        vec!["build", "-e", "staging", "--var", &secret_line],
        vec![
            "build",
            "-e",
            "staging",
            "--secrets",
            "resolve",
            "--identity",
            body,
        ],
    ];
    for args in &hostile {
        let before = std::fs::read_to_string(p.store("staging")).unwrap();
        let o = p.tuskc(args, Some(b"x"));
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        for shown in [out(&o), err(&o)] {
            assert!(
                !shown.contains(body) && !shown.contains("S3CR3T-VALUE-9"),
                "{args:?}: {shown}"
            );
        }
        assert_eq!(std::fs::read_to_string(p.store("staging")).unwrap(), before);
    }
    // A value typed where the path goes is not echoed, and nothing is stored.
    let before = std::fs::read_to_string(p.store("staging")).unwrap();
    let o = p.tuskc(
        &[
            "secrets",
            "set",
            "db_password",
            "S3CR3T-VALUE-9",
            "--env",
            "staging",
        ],
        Some(b"x"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!err(&o).contains("S3CR3T-VALUE-9"), "{}", err(&o));
    assert!(
        err(&o).contains("never from the command line"),
        "{}",
        err(&o)
    );
    assert_eq!(std::fs::read_to_string(p.store("staging")).unwrap(), before);
}

/// `build --secrets resolve --require-sealed`, with nothing written, else a warning naming the change.
fn sealed_build(p: &Project, id: &str) -> (Output, bool) {
    let dest = p.root.join("sealed.json");
    let _ = std::fs::remove_file(&dest);
    let o = p.tuskc(
        &[
            "build",
            "-e",
            "staging",
            "--secrets",
            "resolve",
            "--identity",
            id,
            "--require-sealed",
            "-o",
            dest.to_str().unwrap(),
        ],
        None,
    );
    (o, dest.exists())
}

/// Issue 17 point 6: a line restored from history, a line copied from another store with the same environment, name
/// and recipients, and a value added by someone without a key all decrypt, but none is covered by the seal:
/// `--require-sealed` refuses them, other reads name them, `tuskc secrets seal` vouches for them again.
#[test]
fn the_seal_catches_rollback_copies_and_forgeries() {
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.staging);
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(written && err(&o).is_empty(), "{}", err(&o));

    // Rollback: the old line of db_password after a sealed change.
    let old = p.line_value("staging", "db_password");
    p.ok(
        &[
            "secrets",
            "set",
            "db_password",
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        Some(b"rotated-password"),
    );
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a set with an identity re-seals: {}",
        err(&o)
    );
    assert!(written);
    p.replace_line_value("staging", "db_password", &old);
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(!written);
    assert!(err(&o).contains("[TSK0615] Error"), "{}", err(&o));
    assert!(err(&o).contains("`db_password`"), "{}", err(&o));
    assert!(!err(&o).contains(DB), "{}", err(&o));
    // Without --require-sealed the old value is used, with a warning naming it.
    let o = p.ok_resolved("staging", &id);
    assert!(out(&o).contains(DB));
    assert!(err(&o).contains("[TSK0615] Warning"), "{}", err(&o));
    // The reference-mode check compares fingerprints only, and still sees it.
    let o = p.tuskc(&["check", "-e", "staging", "--require-sealed"], None);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("TSK0615"), "{}", err(&o));

    // Sealing vouches for what the store holds now.
    let o = p.seal("staging", &id);
    assert!(
        err(&o).contains("`db_password`"),
        "seal names what it newly covers: {}",
        err(&o)
    );
    assert_eq!(sealed_build(&p, &id).0.status.code(), Some(0));

    // A line copied from another project whose store has the same environment, name and recipient.
    let other = tempfile::tempdir().unwrap();
    for f in ["tuskc.toml", "app.tsk"] {
        std::fs::copy(p.root.join(f), other.path().join(f)).unwrap();
    }
    let in_other = |args: &[&str], stdin: Option<&[u8]>| {
        let o = run(
            Command::new(env!("CARGO_BIN_EXE_tuskc"))
                .args(args)
                .current_dir(other.path())
                .env_remove("TUSKC_IDENTITY"),
            stdin,
        );
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    };
    in_other(
        &[
            "secrets",
            "init",
            "--env",
            "staging",
            "--recipient",
            &p.staging.public,
        ],
        None,
    );
    in_other(
        &["secrets", "set", "db_password", "--env", "staging"],
        Some(b"other-project-password"),
    );
    let text = std::fs::read_to_string(other.path().join("secrets/staging.tsk")).unwrap();
    let copied = text
        .lines()
        .find_map(|l| l.strip_prefix("\"db_password\": \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    p.replace_line_value("staging", "db_password", &copied);
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(!written && err(&o).contains("TSK0615"), "{}", err(&o));
    p.seal("staging", &id);

    // A value added by a contributor without a key is stored, unsealed until someone with a key seals it.
    p.ok(
        &["secrets", "set", "api/token", "--env", "staging"],
        Some(b"proposed-token"),
    );
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(!written && err(&o).contains("`api/token`"), "{}", err(&o));
    p.seal("staging", &id);
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(written);

    // An edited seal line is TSK0616 (it does not verify), and `seal` refuses a store it cannot read whole.
    let text = std::fs::read_to_string(p.store("staging")).unwrap();
    let seal_line = text.lines().find(|l| l.starts_with("seal: ")).unwrap();
    let mac = seal_line.split(' ').nth(2).unwrap();
    let forged_mac: String = mac
        .chars()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .collect();
    std::fs::write(p.store("staging"), text.replace(mac, &forged_mac)).unwrap();
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(!written && err(&o).contains("[TSK0616]"), "{}", err(&o));
    insta::assert_snapshot!("seal_does_not_verify", p.clean(&err(&o)));
    let o = p.tuskc(
        &[
            "secrets",
            "seal",
            "--env",
            "staging",
            "--identity",
            &p.id(&p.production),
            "--yes",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains("`api/token`") && err(&o).contains("`db_password`"),
        "{}",
        err(&o)
    );
}

/// Issue 17 point 5: a recipient added without an identity (`--no-rotate`) is listed and marked by `set` and
/// `rotate`, which change nothing without a yes; with `--yes` they encrypt to it.
#[test]
fn recipients_added_since_the_seal_need_a_yes() {
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.staging);
    p.ok(
        &[
            "secrets",
            "recipients",
            "add",
            &p.stranger.public,
            "--env",
            "staging",
            "--no-rotate",
        ],
        None,
    );
    let before = std::fs::read_to_string(p.store("staging")).unwrap();
    for args in [
        vec!["secrets", "set", "new_one", "--env", "staging"],
        vec![
            "secrets",
            "set",
            "new_one",
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        vec!["secrets", "rotate", "--env", "staging", "--identity", &id],
        vec!["secrets", "seal", "--env", "staging", "--identity", &id],
    ] {
        let o = p.tuskc(&args, Some(b"value"));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        let e = p.clean(&err(&o));
        assert!(e.contains("[TSK0617]"), "{e}");
        assert!(
            e.contains("<stranger public key>   [not covered by the seal"),
            "{args:?}: {e}"
        );
        assert!(e.contains("<staging public key>\n"), "{e}");
        assert_eq!(std::fs::read_to_string(p.store("staging")).unwrap(), before);
    }
    // A seal line edited to cover the stranger (its fingerprint added) is caught once an identity checks the MAC,
    // also when the editor makes the MAC uncheckable (a bogus sealed value that is "gone") or keys it by nothing
    // (no sealed value at all).
    let fingerprint = |key: &str| {
        use sha2::Digest as _;
        let d = sha2::Sha256::new()
            .chain_update(b"r\0staging\0")
            .chain_update(key.as_bytes())
            .finalize();
        d[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let seal_line = before
        .lines()
        .find(|l| l.starts_with("seal: "))
        .unwrap()
        .to_string();
    let stranger_fp = fingerprint(&p.stranger.public);
    let with_stranger = seal_line.replace(" r:", &format!(" r:{stranger_fp},"));
    let bogus_gone = with_stranger.replace(" s:", " s:0123456789ab,");
    // What anyone can compute: a seal keyed by no value's file key, covering both recipients and no secret.
    let no_secrets = {
        use base64::Engine as _;
        use hmac::Mac as _;
        type H = hmac::Hmac<sha2::Sha256>;
        let mut kdf = H::new_from_slice(b"tuskc-seal-v1 key").unwrap();
        kdf.update(b"staging\0");
        let key = kdf.finalize().into_bytes();
        let mut m = H::new_from_slice(&key).unwrap();
        m.update(b"tuskc-seal-v1\0staging\0");
        let mut keys = [p.staging.public.clone(), p.stranger.public.clone()];
        keys.sort();
        for k in &keys {
            m.update(b"r\0");
            m.update(k.as_bytes());
            m.update(b"\0");
        }
        let mac = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
        format!(
            "seal: \"1 {mac} r:{},{stranger_fp} s:\"",
            fingerprint(&p.staging.public)
        )
    };
    for forged in [&bogus_gone, &no_secrets] {
        std::fs::write(p.store("staging"), before.replace(&seal_line, forged)).unwrap();
        let o = p.tuskc(
            &[
                "secrets",
                "set",
                "new_one",
                "--env",
                "staging",
                "--identity",
                &id,
            ],
            Some(b"value"),
        );
        assert_eq!(o.status.code(), Some(2), "{forged}: {}", err(&o));
        assert!(err(&o).contains("[TSK0617]"), "{}", err(&o));
    }
    std::fs::write(p.store("staging"), &before).unwrap();
    insta::assert_snapshot!(
        "unconfirmed_recipient",
        p.clean(&err(&p.tuskc(
            &["secrets", "set", "x", "--env", "staging"],
            Some(b"v")
        )))
    );
    // With --yes the value is encrypted to the new recipient too.
    p.ok(
        &["secrets", "set", "new_one", "--env", "staging", "--yes"],
        Some(b"for-everyone"),
    );
    let o = p.ok(
        &[
            "secrets",
            "get",
            "new_one",
            "--env",
            "staging",
            "--identity",
            &p.id(&p.stranger),
        ],
        None,
    );
    assert_eq!(out(&o), "for-everyone");
    // Sealing with a yes covers the recipient; then no question is asked.
    p.ok(
        &[
            "secrets",
            "rotate",
            "--env",
            "staging",
            "--identity",
            &id,
            "--yes",
        ],
        None,
    );
    p.seal("staging", &id);
    p.ok(
        &["secrets", "set", "another", "--env", "staging"],
        Some(b"v"),
    );
}

/// Issue 17 point 6, merges: two branches that each set a secret and seal conflict on the seal line only; with
/// `tuskc secrets merge` as the git merge driver they merge, and the result is sealed.
#[test]
fn the_merge_driver_merges_sealed_branches_and_reseals() {
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.staging);
    git(&p.root, &["init", "-q", "-b", "main"]);
    git(&p.root, &["add", "."]);
    git(&p.root, &["commit", "-qm", "base"]);
    git(&p.root, &["checkout", "-qb", "alice"]);
    p.ok(
        &[
            "secrets",
            "set",
            "alpha",
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        Some(b"a"),
    );
    git(&p.root, &["commit", "-qam", "alpha"]);
    git(&p.root, &["checkout", "-q", "main"]);
    p.ok(
        &[
            "secrets",
            "set",
            "zeta",
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        Some(b"z"),
    );
    git(&p.root, &["commit", "-qam", "zeta"]);
    // Without the driver: a conflict, and only on the seal line.
    let o = run(git_merge("alice").current_dir(&p.root), None);
    assert!(!o.status.success());
    let text = std::fs::read_to_string(p.store("staging")).unwrap();
    let mut inside = false;
    let mut conflicted = Vec::new();
    for line in text.lines() {
        if line.starts_with("<<<<<<<") || line.starts_with("=======") {
            inside = true;
        } else if line.starts_with(">>>>>>>") {
            inside = false;
        } else if inside {
            conflicted.push(line);
        }
    }
    assert_eq!(conflicted.len(), 2, "{text}");
    assert!(conflicted.iter().all(|l| l.starts_with("seal: ")), "{text}");
    git(&p.root, &["merge", "--abort"]);
    // With the driver, as docs/secrets.md sets it up.
    std::fs::write(
        p.root.join(".gitattributes"),
        "secrets/*.tsk merge=tuskc-secrets\n",
    )
    .unwrap();
    let driver = format!("{} secrets merge %O %A %B", env!("CARGO_BIN_EXE_tuskc"));
    git(&p.root, &["config", "merge.tuskc-secrets.driver", &driver]);
    let o = run(
        git_merge("alice")
            .env("TUSKC_IDENTITY", &id)
            .current_dir(&p.root),
        None,
    );
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let names = p.ok(&["secrets", "list", "--env", "staging"], None);
    assert_eq!(out(&names), "alpha\napi/token\ndb_password\nzeta\n");
    let (o, written) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(written);
    // The same merge where the driver has no identity: clean, but unsealed until someone seals it.
    git(&p.root, &["reset", "-q", "--hard", "HEAD~1"]);
    let o = run(
        git_merge("alice")
            .env_remove("TUSKC_IDENTITY")
            .current_dir(&p.root),
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    let (o, _) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("`alpha`"), "{}", err(&o));
    // Both sides changing one secret differently: both lines kept, exit 1, and the store reports it.
    git(&p.root, &["reset", "-q", "--hard", "HEAD~1"]);
    git(&p.root, &["checkout", "-qb", "bob"]);
    p.ok(
        &["secrets", "set", "zeta", "--env", "staging"],
        Some(b"bob"),
    );
    git(&p.root, &["commit", "-qam", "bob"]);
    git(&p.root, &["checkout", "-q", "main"]);
    p.ok(
        &["secrets", "set", "zeta", "--env", "staging"],
        Some(b"main"),
    );
    git(&p.root, &["commit", "-qam", "main"]);
    let o = run(git_merge("bob").current_dir(&p.root), None);
    assert!(!o.status.success());
    let o = p.tuskc(&["secrets", "list", "--env", "staging"], None);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("`zeta` is stored twice"), "{}", err(&o));
    git(&p.root, &["merge", "--abort"]);
    // The sides' recipients differ (one added a key and re-encrypted, the other added a value for the old list):
    // merged, but not sealed, since the new value is not encrypted to the added key.
    p.seal("staging", &id);
    git(&p.root, &["commit", "-qam", "sealed"]);
    git(&p.root, &["checkout", "-qb", "carol"]);
    p.ok(
        &[
            "secrets",
            "recipients",
            "add",
            &p.stranger.public,
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        None,
    );
    git(&p.root, &["commit", "-qam", "carol"]);
    git(&p.root, &["checkout", "-q", "main"]);
    p.ok(
        &[
            "secrets",
            "set",
            "omega",
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        Some(b"o"),
    );
    git(&p.root, &["commit", "-qam", "omega"]);
    let o = run(
        git_merge("carol")
            .env("TUSKC_IDENTITY", &id)
            .current_dir(&p.root),
        None,
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("recipients differ"), "{}", err(&o));
    let (o, _) = sealed_build(&p, &id);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
}

/// Issue 17 point 8: parallel changes to one store lose nothing, and the store stays sealed.
#[test]
fn parallel_sets_lose_no_update() {
    let Some(p) = Project::new() else {
        return;
    };
    let id = p.id(&p.staging);
    let children: Vec<_> = (0..12)
        .map(|i| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_tuskc"))
                .args([
                    "secrets",
                    "set",
                    &format!("parallel/s{i}"),
                    "--env",
                    "staging",
                    "--identity",
                    &id,
                ])
                .current_dir(&p.root)
                .env_remove("TUSKC_IDENTITY")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("value-{i}").as_bytes())
                .unwrap();
            child
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", err(&o));
    }
    let names = out(&p.ok(&["secrets", "list", "--env", "staging"], None));
    for i in 0..12 {
        assert!(names.contains(&format!("parallel/s{i}\n")), "{names}");
        let o = p.ok(
            &[
                "secrets",
                "get",
                &format!("parallel/s{i}"),
                "--env",
                "staging",
                "--identity",
                &id,
            ],
            None,
        );
        assert_eq!(out(&o), format!("value-{i}"));
        assert!(
            !err(&o).contains("TSK0615") && !err(&o).contains("TSK0616"),
            "{}",
            err(&o)
        );
    }
}

/// Issue 17 point 9: the smaller things.
#[test]
fn identity_files_others_can_read_and_undecryptable_values_are_explained() {
    let Some(p) = Project::new() else {
        return;
    };
    // An identity file others can read: used, with a warning (once).
    let open = p.root.join("open.key");
    std::fs::copy(&p.staging.file, &open).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let o = p.ok_resolved("staging", open.to_str().unwrap());
    assert_eq!(err(&o).matches("[TSK0614]").count(), 1, "{}", err(&o));
    assert!(
        err(&o).contains("mode 644") && err(&o).contains("chmod 600"),
        "{}",
        err(&o)
    );
    insta::assert_snapshot!(
        "identity_exposed",
        err(&o).replace(&p.root.display().to_string(), "<project>")
    );
    // A value imported for other recipients: not "encrypted before your key was added".
    let foreign = run(
        Command::new("age").args(["-r", &p.production.public]),
        Some(b"for production only"),
    );
    p.ok(
        &["secrets", "import", "foreign", "--env", "staging"],
        Some(&foreign.stdout),
    );
    p.ok(
        &["secrets", "import", "foreign2", "--env", "staging"],
        Some(&foreign.stdout),
    );
    let id = p.id(&p.staging);
    let o = p.tuskc(
        &[
            "secrets",
            "get",
            "foreign",
            "--env",
            "staging",
            "--identity",
            &id,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        !err(&o).contains("encrypted before it was added"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains("imported for other recipients"),
        "{}",
        err(&o)
    );
    // A rotation that fails names every secret that failed.
    let o = p.tuskc(
        &["secrets", "rotate", "--env", "staging", "--identity", &id],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("1 more secret failed: `foreign2`"),
        "{}",
        err(&o)
    );
}
