//! Schemas through the real binary: `check` on the example and its broken copy, `schema export`, `check
//! --json-schema` (validated by the jsonschema crate), and `schema diff` between files and real git revisions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{stderr, stdout, tuskc_in};

fn tuskc(args: &[&str]) -> Output {
    tuskc_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

#[test]
fn the_example_checks_clean_in_every_target() {
    let o = tuskc(&["check", "examples/shop"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "checked 9 targets: no errors\n");
}

#[test]
fn the_broken_shop_shows_every_kind_of_schema_error() {
    let o = tuskc(&["check", "tests/fixtures/shop-broken"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for code in [
        "TSK0117", "TSK0501", "TSK0502", "TSK0503", "TSK0504", "TSK0505", "TSK0506", "TSK0507",
        "TSK0508", "TSK0509", "TSK0510", "TSK0511", "TSK0512", "TSK0514", "TSK0516",
    ] {
        assert!(
            err.contains(&format!("[{code}]")),
            "{code} missing from:\n{err}"
        );
    }
    // Errors name the targets they fail in.
    assert!(
        err.contains("Note: in production/*") || err.contains("in production/*"),
        "{err}"
    );
    insta::assert_snapshot!(err);
    // build writes nothing for a failing target.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let o = tuskc(&[
        "build",
        "tests/fixtures/shop-broken",
        "-e",
        "production",
        "-p",
        "aws",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
}

#[test]
fn env_text_is_converted_to_the_declared_type() {
    let o = tuskc(&[
        "get",
        "services.worker.smtp.port",
        "tests/fixtures/shop-broken",
        "-e",
        "staging",
        "-p",
        "aws",
        "--var",
        "SMTP_PORT=2525",
    ]);
    // The broken copy fails elsewhere, so `get` prints nothing; the conversion error for SMTP_PORT is gone.
    assert!(!stderr(&o).contains("SMTP_PORT"), "{}", stderr(&o));
    let o = tuskc(&[
        "check",
        "tests/fixtures/shop-broken",
        "--var",
        "SMTP_PORT=many",
    ]);
    assert!(stderr(&o).contains("environment variable `SMTP_PORT` is not an int: \"many\""));
}

#[test]
fn schema_export_round_trips_through_check_json_schema() {
    let o = tuskc(&["schema", "export", "examples/shop"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    insta::assert_snapshot!("shop_json_schema", text);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        doc["$defs"]["Database"]["properties"]["host"]["$ref"],
        "#/$defs/Hostname"
    );
    assert_eq!(doc["$defs"]["Hostname"]["format"], "hostname");
    assert_eq!(
        doc["$defs"]["Database"]["properties"]["password"]["x-tuskc-secret"],
        true
    );
    // Every target's output satisfies the exported schema.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.schema.json");
    std::fs::write(&file, &text).unwrap();
    let o = tuskc(&[
        "check",
        "examples/shop",
        "--json-schema",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // -o writes the same document.
    let out = dir.path().join("again.json");
    let o = tuskc(&[
        "schema",
        "export",
        "examples/shop",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(out).unwrap(), text);
}

/// `--env`/`--provider` export a target: the bindings made inside its provider and env blocks too (the shop binds
/// `storage` and `cloud` only per provider), and that target's output satisfies the document.
#[test]
fn schema_export_of_one_target() {
    let o = tuskc(&["schema", "export", "examples/shop"]);
    let base: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(base["properties"]["storage"].is_null(), "{base}");
    let dir = tempfile::tempdir().unwrap();
    for (provider, storage) in [
        ("aws", "AwsStorage"),
        ("azure", "AzureShopStorage"),
        ("gcp", "GcpStorage"),
    ] {
        let o = tuskc(&[
            "schema",
            "export",
            "examples/shop",
            "--env",
            "production",
            "--provider",
            provider,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(
            doc["properties"]["storage"]["$ref"],
            format!("#/$defs/{storage}")
        );
        assert!(doc["$defs"][storage]["properties"]["region"].is_object());
        let file = dir.path().join(format!("{provider}.json"));
        std::fs::write(&file, stdout(&o)).unwrap();
        let o = tuskc(&[
            "check",
            "examples/shop",
            "--env",
            "production",
            "--provider",
            provider,
            "--json-schema",
            file.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    // A target named as `build` names one: an unknown provider, or a missing environment, is a usage error.
    let o = tuskc(&["schema", "export", "examples/shop", "--provider", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("TSK0221"), "{}", stderr(&o));
    let o = tuskc(&["schema", "export", "examples/shop", "--provider", "aws"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("TSK0224"), "{}", stderr(&o));
}

#[test]
fn schema_export_of_one_schema() {
    let o = tuskc(&["schema", "export", "examples/shop", "--schema", "Database"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("database_json_schema", stdout(&o));
    let o = tuskc(&["schema", "export", "examples/shop", "--schema", "Databse"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `Database`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_against_an_application_json_schema() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.schema.json");
    std::fs::write(
        &file,
        r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["services"],
  "properties": {
    "services": {
      "type": "object",
      "properties": {
        "web": { "type": "object", "properties": { "replicas": { "type": "integer", "maximum": 4 } } },
        "api": { "type": "object", "required": ["region"] }
      }
    }
  }
}"#,
    )
    .unwrap();
    let o = tuskc(&[
        "check",
        "examples/shop",
        "--json-schema",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o).replace(file.to_str().unwrap(), "app.schema.json");
    assert!(err.contains("[TSK0513]"));
    insta::assert_snapshot!(err);

    // A file that is not a JSON Schema, or not JSON, is a usage error.
    std::fs::write(&file, r#"{"type": 12}"#).unwrap();
    let o = tuskc(&[
        "check",
        "examples/shop",
        "--json-schema",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("[TSK0515]"), "{}", stderr(&o));
    std::fs::write(&file, "not json").unwrap();
    let o = tuskc(&[
        "check",
        "examples/shop",
        "--json-schema",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(
        "json_schema_not_json",
        stderr(&o).replace(file.to_str().unwrap(), "app.schema.json")
    );
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const V1: &str = r#"schema Database {
  ## Primary host.
  host: Hostname
  port: int(1..65535) = 5432
  sslmode: "disable" | "require" | "verify-full" = "require"
  replicas?: int
  tags: [string] = []
  timeout: Duration = "30s"
}
[database: Database]
host: "db.internal"
"#;

const V2_COMPATIBLE: &str = r#"schema Database {
  ## Primary host.
  host: string
  port: int(1..65535) = 5432
  sslmode: "disable" | "require" | "verify-full" | "prefer" = "require"
  replicas?: int
  tags: [string] = []
  timeout: Duration = "30s"
  pool?: int
}
[database: Database]
host: "db.internal"
"#;

const V3_BREAKING: &str = r#"schema Database {
  host: Hostname
  port: int(1024..65535) = 5432
  sslmode: "require" | "verify-full" = "require"
  tags: [string](unique) = []
  timeout: Duration
  user: string
}
type Extra = int
[database: Database]
host: "db.internal"
timeout: "1s"
user: "app"
"#;

#[test]
fn schema_diff_between_files_and_git_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    std::fs::write(d.join("app.tsk"), V1).unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1"]);
    std::fs::write(d.join("app.tsk"), V2_COMPATIBLE).unwrap();
    git(d, &["commit", "-q", "-am", "v2"]);

    // Revision against revision: only compatible changes, exit 0.
    let o = tuskc_in(
        d,
        &["schema", "diff", "HEAD~1", "HEAD", "--path", "app.tsk"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("diff_compatible", stdout(&o));

    // The working file against a revision (`REV:FILE` form): breaking changes, exit 1.
    std::fs::write(d.join("app.tsk"), V3_BREAKING).unwrap();
    let o = tuskc_in(d, &["schema", "diff", "HEAD~1:app.tsk", "app.tsk"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    insta::assert_snapshot!("diff_breaking", stdout(&o));

    // JSON report.
    let o = tuskc_in(
        d,
        &[
            "--message-format",
            "json",
            "schema",
            "diff",
            "HEAD",
            "app.tsk",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(j["breaking"].as_u64().unwrap() >= 5, "{j}");
    assert!(j["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["path"] == "Database.port" && c["impact"] == "breaking"));

    // Two plain files; identical schemas have no changes.
    std::fs::write(d.join("copy.tsk"), V3_BREAKING).unwrap();
    let o = tuskc_in(d, &["schema", "diff", "app.tsk", "copy.tsk"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "0 changes: 0 breaking, 0 compatible\n");

    // Something that is neither a file nor a revision.
    let o = tuskc_in(d, &["schema", "diff", "nope", "app.tsk"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("neither a file nor a git revision"),
        "{}",
        stderr(&o)
    );
}

/// A revision is read from git's tree, not through `git archive`: a schema file marked `export-ignore` is still
/// there, and a project in a subdirectory (with its manifest and a module it `use`s) is read as it was, with nothing
/// else of the repository written. A symlink leading out of the project is not followed (a warning names it).
#[test]
fn schema_diff_reads_the_revision_tree_not_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let project = d.join("deploy/config");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(d.join(".gitattributes"), "schemas.tsk export-ignore\n").unwrap();
    std::fs::write(
        project.join("tuskc.toml"),
        "[project]\nentries = [\"app.tsk\"]\n",
    )
    .unwrap();
    std::fs::write(
        project.join("schemas.tsk"),
        V1.split("[database").next().unwrap(),
    )
    .unwrap();
    std::fs::write(
        project.join("app.tsk"),
        "use \"schemas.tsk\"\n[database: Database]\nhost: \"db.internal\"\n",
    )
    .unwrap();
    std::fs::write(d.join("outside.tsk"), "schema Outside { a: int }\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../../outside.tsk", project.join("escape.tsk")).unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1"]);

    // The working tree and HEAD are the same project: no changes, from the top and from inside the project.
    let o = tuskc_in(
        d,
        &[
            "schema",
            "diff",
            "HEAD",
            "deploy/config",
            "--path",
            "deploy/config",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0 changes: 0 breaking, 0 compatible\n");
    #[cfg(unix)]
    assert!(
        stderr(&o).contains("`HEAD:deploy/config/escape.tsk` is a symlink leading outside"),
        "{}",
        stderr(&o)
    );
    let o = tuskc_in(&project, &["schema", "diff", "HEAD:app.tsk", "app.tsk"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "0 changes: 0 breaking, 0 compatible\n");

    // A breaking change in the export-ignored module is seen against the revision.
    std::fs::write(
        project.join("schemas.tsk"),
        V3_BREAKING.split("type Extra").next().unwrap(),
    )
    .unwrap();
    let o = tuskc_in(
        d,
        &[
            "schema",
            "diff",
            "HEAD",
            "deploy/config",
            "--path",
            "deploy/config",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("breaking    Database.port: range tightened"),
        "{}",
        stdout(&o)
    );
}

/// Diagnostics about a side read from a revision name it as the user would (`REV:path`, relative to the current
/// directory), never by the temporary directory it was checked out into: a project with no entry at the repository's
/// top, a broken file at the revision, from the top and from a subdirectory.
#[test]
fn schema_diff_names_a_revision_as_written_not_its_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let cfg = d.join("infra/cfg");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("main.tsk"), "a: (\n").unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1"]);
    let runs: [(&Path, &[&str], &[&str]); 3] = [
        // A bare revision is the project at --path (here the top, which has no entry).
        (
            d,
            &["schema", "diff", "HEAD", "infra/cfg"],
            &["`HEAD:.`", "HEAD:infra/cfg/main.tsk"],
        ),
        (
            d,
            &["schema", "diff", "HEAD:infra/cfg/main.tsk", "infra/cfg"],
            &["HEAD:infra/cfg/main.tsk:1"],
        ),
        (
            cfg.parent().unwrap(),
            &["schema", "diff", "HEAD:cfg/main.tsk", "cfg"],
            &["HEAD:cfg/main.tsk:1"],
        ),
    ];
    for (cwd, args, wanted) in runs {
        let o = tuskc_in(cwd, args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?}: {err}");
        assert!(!err.contains("tuskc-rev-"), "{args:?}: {err}");
        for w in wanted {
            assert!(err.contains(w), "{args:?}: no {w} in\n{err}");
        }
    }
}

/// Git runs where the project is, and the project's path in the repository is found from there: the same diff
/// from the repository's root, from the project's subdirectory, and from outside the repository with `--path`.
#[test]
fn schema_diff_of_revisions_from_a_subdirectory_and_from_outside() {
    let outside = tempfile::tempdir().unwrap();
    let d = &outside.path().join("repo");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    git(d, &["init", "-q"]);
    std::fs::write(d.join("sub/main.tsk"), V1).unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "v1"]);
    std::fs::write(d.join("sub/main.tsk"), V2_COMPATIBLE).unwrap();
    git(d, &["commit", "-q", "-am", "v2"]);

    let expected = {
        let o = tuskc_in(
            d,
            &["schema", "diff", "HEAD~1", "HEAD", "--path", "sub/main.tsk"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    assert!(expected.contains("compatible"), "{expected}");
    let runs: [(&Path, &[&str]); 5] = [
        (&d.join("sub"), &["--path", "main.tsk"]),
        (&d.join("sub"), &[]),
        (&d.join("sub"), &["--path", "../sub/main.tsk"]),
        (outside.path(), &["--path", "repo/sub/main.tsk"]),
        (outside.path(), &["--path", "repo/sub"]),
    ];
    for (cwd, path) in runs {
        let mut args = vec!["schema", "diff", "HEAD~1", "HEAD"];
        args.extend(path);
        let o = tuskc_in(cwd, &args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), expected, "{args:?}");
    }
    // `REV:FILE` from outside, against the working file.
    let o = tuskc_in(
        outside.path(),
        &[
            "schema",
            "diff",
            "HEAD~1:repo/sub/main.tsk",
            "repo/sub/main.tsk",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), expected);

    // A revision's file is named relative to the current directory, wherever it is: `HEAD:repo/sub/main.tsk` from
    // outside the repository, `HEAD:main.tsk` from the project's directory.
    std::fs::write(
        d.join("sub/main.tsk"),
        format!("{V2_COMPATIBLE}\ntwice: 1\ntwice: 2\n"),
    )
    .unwrap();
    git(d, &["commit", "-q", "-am", "v3"]);
    for (cwd, path, named) in [
        (outside.path(), "repo/sub", "HEAD:repo/sub/main.tsk:"),
        (&d.join("sub"), ".", "HEAD:main.tsk:"),
        (d.as_path(), "sub", "HEAD:sub/main.tsk:"),
    ] {
        let o = tuskc_in(cwd, &["schema", "diff", "HEAD~1", "HEAD", "--path", path]);
        assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains(named), "{named}: {}", stderr(&o));
        assert!(!stderr(&o).contains("tuskc-rev-"), "{}", stderr(&o));
    }
}

/// The command sees bindings, not only types: a section bound to a schema is checked (and closed) from then on.
#[test]
fn schema_diff_reports_a_binding_added_as_breaking() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let schema = "schema S {\n  a: int\n}\n";
    std::fs::write(d.join("old.tsk"), format!("{schema}[s]\na: 1\n")).unwrap();
    std::fs::write(d.join("new.tsk"), format!("{schema}[s: S]\na: 1\n")).unwrap();
    let o = tuskc_in(d, &["schema", "diff", "old.tsk", "new.tsk"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "breaking    bind s: binding to `S` added: this configuration is now checked against it (and closed where \
         it is)\n1 change: 1 breaking, 0 compatible\n"
    );
    let o = tuskc_in(d, &["schema", "diff", "new.tsk", "old.tsk"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
