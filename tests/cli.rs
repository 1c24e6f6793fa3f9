//! CLI tests: run the real `tuskc` binary and check exit codes, stdout/stderr and the files it writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{stderr, stdout};

fn tuskc(args: &[&str]) -> Output {
    common::tuskc_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn builds_the_example_for_production_aws() {
    let o = tuskc(&[
        "build",
        "examples/shop",
        "--env",
        "production",
        "--provider",
        "aws",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn every_format_of_one_target() {
    for f in ["toml", "yaml", "dotenv"] {
        let o = tuskc(&[
            "build",
            "examples/shop",
            "-e",
            "staging",
            "-p",
            "gcp",
            "--format",
            f,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        insta::assert_snapshot!(format!("example_staging_gcp_{f}"), stdout(&o));
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    let a = tuskc(&["build", "examples/shop", "-e", "production", "-p", "azure"]);
    let b = tuskc(&["build", "examples/shop", "-e", "production", "-p", "azure"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn check_reports_every_mistake_and_exits_1() {
    let o = tuskc(&["check", "tests/cases/errors/syntax.tsk"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("16 errors"), "{err}");
}

/// Issue 18, point 19: a value that fails to evaluate no longer hides the schema errors of the rest of its target.
/// `check`, `build` (JSON, streamed) and `build` (YAML, the whole tree) all report the same five mistakes, each
/// once, in source order, and write nothing.
#[test]
fn five_independent_mistakes_report_five_in_check_and_build() {
    let case = "tests/cases/errors/eval_around_failures.tsk";
    let dir = tempdir();
    let json_out = dir.path().join("out.json");
    let yaml_out = dir.path().join("out.yaml");
    let runs = [
        vec!["check", case],
        vec!["build", case, "-o", json_out.to_str().unwrap()],
        vec![
            "build",
            case,
            "--format",
            "yaml",
            "-o",
            yaml_out.to_str().unwrap(),
        ],
    ];
    for args in runs {
        let mut args = args.clone();
        args.extend(["--message-format", "json"]);
        let o = tuskc(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let found: Vec<(String, u64)> = stderr(&o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|d| d["severity"] == "error")
            .map(|d| {
                let code = d["code"].as_str().unwrap().to_string();
                (code, d["range"]["start"]["line"].as_u64().unwrap())
            })
            .collect();
        let want: Vec<(String, u64)> = [
            ("TSK0504", 16),
            ("TSK0501", 17),
            ("TSK0501", 18),
            ("TSK0301", 19),
            ("TSK0302", 20),
        ]
        .iter()
        .map(|(c, l)| (c.to_string(), *l))
        .collect();
        assert_eq!(found, want, "{args:?}");
    }
    assert!(!json_out.exists() && !yaml_out.exists());
}

#[test]
fn check_clean_project_exits_0() {
    let o = tuskc(&["check", "examples/shop"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("checked 9 targets: no errors"));
}

#[test]
fn json_diagnostics_carry_code_spans_and_help() {
    let o = tuskc(&[
        "check",
        "tests/cases/errors/eval.tsk",
        "--message-format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let d = lines.iter().find(|d| d["code"] == "TSK0301").unwrap();
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "tests/cases/errors/eval.tsk");
    assert_eq!(d["range"]["start"]["line"], 5);
    assert_eq!(d["range"]["start"]["column"], 7);
    assert_eq!(d["help"], "did you mean `$port`?");
    assert!(d["range"]["start"]["byte"].as_u64().unwrap() > 0);
}

#[test]
fn unknown_environment_is_a_usage_error_with_suggestion() {
    let o = tuskc(&[
        "build",
        "examples/shop",
        "--env",
        "prodution",
        "--provider",
        "aws",
    ]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&o));
    let o = tuskc(&[
        "build",
        "examples/shop",
        "--env",
        "production",
        "--provider",
        "awz",
    ]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("unknown_provider", stderr(&o));
}

#[test]
fn missing_target_choice_is_a_usage_error() {
    let o = tuskc(&["build", "examples/shop"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&o));
}

/// TSK0224's help names only flags the command has: `get`, `explain` and `drift` build one target, never `--all`.
#[test]
fn missing_target_help_names_only_the_commands_flags() {
    let dir = tempdir();
    std::fs::write(dir.path().join("deployed.json"), "{}").unwrap();
    let deployed = dir.path().join("deployed.json");
    for args in [
        vec!["get", "app.name", "examples/shop"],
        vec!["explain", "app.name", "examples/shop"],
        vec![
            "drift",
            "examples/shop",
            "--actual",
            deployed.to_str().unwrap(),
        ],
    ] {
        let o = tuskc(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("[TSK0224]"), "{args:?}: {err}");
        assert!(!err.contains("--all"), "{args:?}: {err}");
        assert!(!err.contains("--out-dir"), "{args:?}: {err}");
        if args[0] == "get" {
            insta::assert_snapshot!("missing_target_get", err);
        }
    }
}

/// Issue 18 follow-up: a manifest that lists environments (providers) closes the list, so a misspelt `env` or
/// `provider` block is an error at its name pointing at the list, not a new target without its overlay.
#[test]
fn blocks_outside_the_manifests_lists_are_errors() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("tuskc.toml"),
        "[project]\nenvironments = [\"development\", \"staging\", \"production\"]\nproviders = [\"aws\", \"gcp\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.tsk"),
        "replicas: 1\nenv staging {\n  replicas: 2\n}\nenv prodution {\n  replicas: 6\n}\nenv qa extends staging {\n}\nprovider amazon {\n  region: \"us-east-1\"\n}\n",
    )
    .unwrap();
    let o = common::tuskc_in(dir.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    insta::assert_snapshot!(stderr(&o));
    // The build of a listed target fails too: the program has errors.
    let o = common::tuskc_in(dir.path(), &["build", ".", "-e", "production", "-p", "aws"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    // Without the lists, blocks declare their names as before.
    std::fs::write(dir.path().join("tuskc.toml"), "[project]\n").unwrap();
    let o = common::tuskc_in(dir.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn io_errors_exit_2() {
    let o = tuskc(&["build", "no/such/file.tsk"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&o));
}

#[test]
fn bad_flags_exit_2() {
    let o = tuskc(&["build", "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    let o = tuskc(&[
        "build",
        "tests/cases/ok/layers.tsk",
        "--set",
        "novalue",
        "-e",
        "production",
        "-p",
        "aws",
    ]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("set_usage", stderr(&o));
}

#[test]
fn non_utf8_and_bad_manifest() {
    let dir = tempdir();
    let f = dir.path().join("bin.tsk");
    std::fs::write(&f, b"a: \"\xff\"\n").unwrap();
    let o = tuskc(&["build", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("TSK0004"), "{}", stderr(&o));

    let proj = tempdir();
    std::fs::write(
        proj.path().join("tuskc.toml"),
        "[project]\nenvironmnts = [\"x\"]\n",
    )
    .unwrap();
    std::fs::write(proj.path().join("a.tsk"), "a: 1\n").unwrap();
    let o = tuskc(&["build", proj.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("TSK0002"), "{}", stderr(&o));
}

#[test]
fn build_all_writes_every_target_atomically() {
    let dir = tempdir();
    let out = dir.path().join("out");
    let o = tuskc(&[
        "build",
        "examples/shop",
        "--all",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut files = Vec::new();
    for env in ["development", "staging", "production"] {
        for p in ["aws", "azure", "gcp"] {
            let f = out.join(env).join(p).join("shop.json");
            let text = std::fs::read_to_string(&f).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["project"]["environment"], env);
            assert_eq!(v["project"]["cloud"], p);
            files.push(f);
        }
    }
    // No temporary files are left behind.
    let leftovers: Vec<PathBuf> = common::files_below(&out)
        .into_iter()
        .filter(|p| !p.ends_with("shop.json"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_failing_target_writes_nothing_and_keeps_previous_output() {
    let proj = tempdir();
    std::fs::write(
        proj.path().join("app.tsk"),
        "[app]\nport: 8080\nenv good { [app] replicas: 1 }\nenv bad { [app] replicas: missing_key }\nenv later { [app] replicas: 2 }\n",
    )
    .unwrap();
    let out = proj.path().join("out");
    let previous = out.join("bad").join("default").join("app.json");
    std::fs::create_dir_all(previous.parent().unwrap()).unwrap();
    std::fs::write(&previous, "previous build\n").unwrap();
    let o = tuskc(&[
        "build",
        proj.path().to_str().unwrap(),
        "--all",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("TSK0302"));
    assert!(
        stderr(&o).contains("failed targets, nothing written for them: bad/-"),
        "{}",
        stderr(&o)
    );
    assert!(out.join("good").join("default").join("app.json").is_file());
    // A target after the failing one is still built: one target's errors never block another's output.
    assert!(out.join("later").join("default").join("app.json").is_file());
    assert_eq!(
        std::fs::read_to_string(&previous).unwrap(),
        "previous build\n"
    );
}

#[test]
fn output_file_is_not_written_on_error() {
    let dir = tempdir();
    let target = dir.path().join("out.json");
    let o = tuskc(&[
        "build",
        "tests/cases/errors/eval.tsk",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!target.exists());
    let o = tuskc(&[
        "build",
        "tests/cases/ok/modules.tsk",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("db.internal"));
}

/// `-o` and `--out-dir` write through to what a path names: a device or a FIFO gets the text directly (never a regular
/// file renamed over it), a symlink's target is replaced atomically (the link stays a link), and a directory or a
/// symlink to nothing is refused with nothing written.
#[cfg(unix)]
mod output_places {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

    fn project() -> tempfile::TempDir {
        let dir = tempdir();
        std::fs::write(dir.path().join("app.tsk"), "port: 8080\n").unwrap();
        dir
    }

    fn build_to(dir: &Path, output: &Path) -> Output {
        common::tuskc_in(dir, &["build", "app.tsk", "-o", output.to_str().unwrap()])
    }

    fn is_char_device(p: &Path) -> bool {
        std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_char_device())
    }

    /// Files in `dir` other than `keep` (a temporary file left behind, or an output written in the wrong place).
    fn others(dir: &Path, keep: &[&str]) -> Vec<PathBuf> {
        common::files_below(dir)
            .into_iter()
            .filter(|p| !keep.iter().any(|k| p.ends_with(k)))
            .collect()
    }

    #[test]
    fn dev_null_stays_a_character_device() {
        // CI runs as root, where renaming over /dev/null would replace the system's; only run where it is a device.
        if !is_char_device(Path::new("/dev/null")) {
            return;
        }
        let dir = project();
        let o = build_to(dir.path(), Path::new("/dev/null"));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(is_char_device(Path::new("/dev/null")));
    }

    #[test]
    fn a_character_device_is_written_not_replaced() {
        // A device of our own (root only, as in CI): the same path as /dev/null, safe to get wrong.
        let dir = project();
        let null = dir.path().join("null");
        let made = std::process::Command::new("mknod")
            .args([null.to_str().unwrap(), "c", "1", "3"])
            .status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        let o = build_to(dir.path(), &null);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(is_char_device(&null), "the device was replaced");
    }

    #[test]
    fn a_fifo_gets_the_text() {
        let dir = project();
        let fifo = dir.path().join("out.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        let o = build_to(dir.path(), &fifo);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // Checked before joining: a FIFO renamed over would leave the reader waiting for a writer forever.
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo(),
            "the FIFO was replaced"
        );
        assert_eq!(reader.join().unwrap(), "{\n  \"port\": 8080\n}\n");
    }

    #[test]
    fn dev_stdout_is_standard_output() {
        let dir = project();
        // `/dev/fd/1` first: a regression fails here, where renaming cannot touch the system's files.
        let o = build_to(dir.path(), Path::new("/dev/fd/1"));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), "{\n  \"port\": 8080\n}\n");
        // As root a rename would replace the system's `/dev/stdout`: only where it is the usual link, checked after.
        let stdout_link = || std::fs::read_link("/dev/stdout").ok();
        let before = stdout_link();
        if before.is_none() {
            return;
        }
        let o = build_to(dir.path(), Path::new("/dev/stdout"));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), "{\n  \"port\": 8080\n}\n");
        assert_eq!(stdout_link(), before);
    }

    #[test]
    fn a_symlink_target_is_replaced_atomically_and_the_link_stays() {
        let dir = project();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let target = elsewhere.join("real.json");
        std::fs::write(&target, "old\n").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let before = std::fs::metadata(&target).unwrap().ino();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let link = out.join("link.json");
        std::os::unix::fs::symlink("../elsewhere/real.json", &link).unwrap();
        let o = build_to(dir.path(), &link);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            Path::new("../elsewhere/real.json")
        );
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "{\n  \"port\": 8080\n}\n"
        );
        let after = std::fs::metadata(&target).unwrap();
        // A new file renamed into place (readers never see a torn one), with the mode of the one it replaced.
        assert_ne!(after.ino(), before);
        assert_eq!(after.permissions().mode() & 0o777, 0o640);
        assert!(others(&out, &["link.json"]).is_empty());
        assert!(others(&elsewhere, &["real.json"]).is_empty());
    }

    #[test]
    fn build_all_writes_through_a_symlink_in_the_out_dir() {
        let dir = project();
        let target = dir.path().join("real.json");
        std::fs::write(&target, "old\n").unwrap();
        let out = dir.path().join("out");
        let place = out.join("default").join("default");
        std::fs::create_dir_all(&place).unwrap();
        std::os::unix::fs::symlink(&target, place.join("app.json")).unwrap();
        let o = common::tuskc_in(
            dir.path(),
            &["build", "app.tsk", "--all", "--out-dir", "out"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(std::fs::symlink_metadata(place.join("app.json"))
            .unwrap()
            .is_symlink());
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "{\n  \"port\": 8080\n}\n"
        );
    }

    #[test]
    fn fmt_rewrites_a_symlinked_file_in_place() {
        let dir = project();
        let real = dir.path().join("real.tsk");
        std::fs::write(&real, "port:   8080\n").unwrap();
        let link = dir.path().join("link.tsk");
        std::os::unix::fs::symlink("real.tsk", &link).unwrap();
        let o = common::tuskc_in(dir.path(), &["fmt", "link.tsk"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "port: 8080\n");
    }

    #[test]
    fn a_dangling_symlink_is_refused() {
        let dir = project();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("missing/real.json", &link).unwrap();
        let o = build_to(dir.path(), &link);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("[TSK0001]") && stderr(&o).contains("does not exist"),
            "{}",
            stderr(&o)
        );
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert!(!dir.path().join("missing").exists());
        assert!(others(dir.path(), &["app.tsk", "link.json"]).is_empty());
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = project();
        let out = dir.path().join("out.json");
        std::fs::create_dir(&out).unwrap();
        let o = build_to(dir.path(), &out);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("[TSK0001]") && stderr(&o).contains("is a directory"),
            "{}",
            stderr(&o)
        );
        assert!(common::files_below(&out).is_empty());
        assert!(others(dir.path(), &["app.tsk"]).is_empty());
    }
}

/// Two entries named alike would be written to one file: refused before anything is built or written.
#[test]
fn build_all_refuses_entries_with_the_same_output_name() {
    let proj = tempdir();
    for (dir, text) in [("a", "a: 1\n"), ("b", "b: 2\n")] {
        std::fs::create_dir(proj.path().join(dir)).unwrap();
        std::fs::write(proj.path().join(dir).join("config.tsk"), text).unwrap();
    }
    std::fs::write(
        proj.path().join("tuskc.toml"),
        "[project]\nentries = [\"a/config.tsk\", \"b/config.tsk\"]\n",
    )
    .unwrap();
    let o = common::tuskc_in(proj.path(), &["build", ".", "--all", "--out-dir", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!proj.path().join("out").exists());
    insta::assert_snapshot!(stderr(&o));
    // Names that differ only in case are one file on macOS and Windows.
    std::fs::rename(
        proj.path().join("b/config.tsk"),
        proj.path().join("b/Config.tsk"),
    )
    .unwrap();
    std::fs::write(
        proj.path().join("tuskc.toml"),
        "[project]\nentries = [\"a/config.tsk\", \"b/Config.tsk\"]\n",
    )
    .unwrap();
    let o = common::tuskc_in(proj.path(), &["build", ".", "--all", "--out-dir", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("[TSK0005]"), "{}", stderr(&o));
    assert!(!proj.path().join("out").exists());
}

#[test]
fn get_prints_one_value() {
    let o = tuskc(&[
        "get",
        "services.api.replicas",
        "examples/shop",
        "-e",
        "production",
        "-p",
        "aws",
    ]);
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "6\n"));
    let o = tuskc(&[
        "get",
        "storage.url",
        "examples/shop",
        "-e",
        "staging",
        "-p",
        "gcp",
    ]);
    assert_eq!(stdout(&o), "gs://acme-shop-staging\n");
    // A value the schema's default filled in.
    let o = tuskc(&[
        "explain",
        "services.api.database.sslmode",
        "examples/shop",
        "-e",
        "development",
        "-p",
        "gcp",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "services.api.database.sslmode = \"require\"\n  the schema default at examples/shop/schemas.tsk:83:52\n"
    );
    let o = tuskc(&[
        "get",
        "services.api.databse",
        "examples/shop",
        "-e",
        "staging",
        "-p",
        "gcp",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `services.api.database`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn get_prints_nothing_from_a_program_with_errors() {
    let dir = tempdir();
    let f = dir.path().join("dup.tsk");
    std::fs::write(&f, "[app]\nname: \"a\"\nname: \"b\"\n").unwrap();
    for cmd in ["get", "explain"] {
        let o = tuskc(&[cmd, "app.name", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            stdout(&o),
            "",
            "{cmd} printed a value from a broken program"
        );
        assert!(stderr(&o).contains("TSK0201"));
    }
}

/// A failed check prints no value (`X=$(tuskc get ...)` must not capture one the exit code disowns), and strings are
/// printed raw, a secret reference among them; everything else is JSON, and `--json` makes strings JSON too.
#[test]
fn get_prints_nothing_when_a_check_fails_and_strings_raw() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("app.tsk"),
        "schema App {\n  port: int(1..65535)\n}\n[app: App]\nport: 70000\n",
    )
    .unwrap();
    for key in ["app.port", "app"] {
        let o = common::tuskc_in(dir.path(), &["get", key, "app.tsk"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "",
            "get {key} printed a value that failed its check"
        );
        assert!(stderr(&o).contains("[TSK0504]"), "{}", stderr(&o));
    }
    std::fs::write(
        dir.path().join("app.tsk"),
        "pw: @secret(\"db/pw\")\nname: \"x\"\nn: 3\nall: { pw: @secret(\"db/pw\") }\n",
    )
    .unwrap();
    for (key, json, printed) in [
        ("pw", false, "secret://db/pw\n"),
        ("name", false, "x\n"),
        ("n", false, "3\n"),
        ("all", false, "{\n  \"pw\": \"secret://db/pw\"\n}\n"),
        ("pw", true, "\"secret://db/pw\"\n"),
        ("name", true, "\"x\"\n"),
    ] {
        let mut args = vec!["get", key, "app.tsk"];
        if json {
            args.push("--json");
        }
        let o = common::tuskc_in(dir.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), printed, "get {key} (--json: {json})");
    }
}

#[test]
fn explain_shows_layer_file_line_and_what_was_overridden() {
    let o = tuskc(&[
        "explain",
        "services.api.replicas",
        "examples/shop",
        "-e",
        "staging",
        "-p",
        "aws",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
    let o = tuskc(&[
        "explain",
        "services.api.replicas",
        "examples/shop",
        "-e",
        "staging",
        "-p",
        "aws",
        "--message-format",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["defined"]["layer"], "env staging");
    assert_eq!(j["overrode"][0]["layer"], "env production");
}

/// Issue 18, point 14: `explain` after `@replace` shows what was replaced, a deleted key names its `@delete`, a value
/// through a variable names where the variable's value was set, and an object holding a secret shows its other keys
/// (the secret masked).
#[test]
fn explain_replaced_deleted_variable_and_mixed_secret() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("main.tsk"),
        r#"$log_level: "info"
[database]
host: "db"
port: 5432
[app]
flag: true
creds { user: "svc", password: @secret("db/pw") }
[logging]
level: $log_level
env production {
  $log_level: "warn"
  database: @replace({ host: "prod-db" })
  app.flag: @delete
}
"#,
    )
    .unwrap();
    let mut all = String::new();
    for key in [
        "database",
        "database.host",
        "app.flag",
        "logging.level",
        "app.creds",
    ] {
        let o = common::tuskc_in(
            dir.path(),
            &["explain", key, "main.tsk", "-e", "production"],
        );
        all.push_str(&format!(
            "$ tuskc explain {key} (exit {:?})\n{}{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        ));
    }
    // Keys set over a whole value below (`primary: $base`): that value is what they replaced.
    std::fs::write(
        dir.path().join("whole.tsk"),
        "$base: { host: \"db\", port: 1 }\nprimary: $base\nenv production { primary.port: 5 }\n",
    )
    .unwrap();
    let o = common::tuskc_in(
        dir.path(),
        &["explain", "primary.port", "whole.tsk", "-e", "production"],
    );
    all.push_str(&format!(
        "$ tuskc explain primary.port (whole.tsk)\n{}",
        stdout(&o)
    ));
    insta::assert_snapshot!(all);
    let json = |key: &str| -> serde_json::Value {
        let o = common::tuskc_in(
            dir.path(),
            &[
                "explain",
                key,
                "main.tsk",
                "-e",
                "production",
                "--message-format",
                "json",
            ],
        );
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let j = json("logging.level");
    assert_eq!(j["variables"][0]["name"], "log_level");
    assert_eq!(j["variables"][0]["defined"]["layer"], "env production");
    assert_eq!(j["variables"][0]["overrode"]["layer"], "base");
    let j = json("database");
    assert_eq!(j["replaced"]["object"], "database");
    assert_eq!(j["replaced"]["below"][1]["key"], "database.port");
    assert_eq!(j["replaced"]["below"][1]["defined"]["source"], "5432");
}

/// Issue 18 follow-up: `explain` of a key an `@replace` dropped names the `@replace` (file:line, layer) with a label
/// there, as a deleted key names its `@delete` (`Merged::deleted_by`, the one lookup).
#[test]
fn explain_key_dropped_by_replace() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("file.tsk"),
        "cache: { conn: { host: \"a\", tls: true } }\nenv prod {\n  cache.conn: @replace({ host: \"b\" })\n}\n",
    )
    .unwrap();
    let o = common::tuskc_in(
        dir.path(),
        &["explain", "cache.conn.tls", "file.tsk", "-e", "prod"],
    );
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&o));
}

#[test]
fn set_var_and_env_file_inputs() {
    let dir = tempdir();
    let env_file = dir.path().join("prod.env");
    std::fs::write(
        &env_file,
        "# comment\nexport SHOP_RELEASE=\"2.0.0\"\nAPI_DB_PORT=6000\n",
    )
    .unwrap();
    let o = tuskc(&[
        "build",
        "examples/shop",
        "-e",
        "production",
        "-p",
        "aws",
        "--env-file",
        env_file.to_str().unwrap(),
        "--var",
        "API_DB_PORT=7000",
        "--set",
        "services.api.replicas=9",
        "--set",
        "project.name=shop-canary",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["project"]["release"], "2.0.0");
    assert_eq!(
        v["services"]["api"]["database"]["port"], 7000,
        "--var wins over --env-file and is typed by the default"
    );
    assert_eq!(v["services"]["api"]["replicas"], 9);
    assert_eq!(v["project"]["name"], "shop-canary");
}

/// Issue 18 follow-up: `explain` shows an object by its value as written (`@replace({...})`, `{ min: 1 }`, a section
/// header), not by its key, also in the "overrides" lines; an object that several layers set keys inside lists them.
#[test]
fn explain_object_shows_its_text_and_the_layers_merged_into_it() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("main.tsk"),
        "[services.api]\nname: \"api\"\npool { min: 1, max: 10 }\ndb { host: \"a\", port: 1 }\n\
         env production {\n  [services.api]\n  pool: @replace({ min: 5, max: 100 })\n  db.host: \"b\"\n}\n",
    )
    .unwrap();
    let mut all = String::new();
    for key in ["services.api.pool", "services.api.db", "services.api"] {
        let o = common::tuskc_in(
            dir.path(),
            &["explain", key, "main.tsk", "-e", "production"],
        );
        all.push_str(&format!(
            "$ tuskc explain {key} (exit {:?})\n{}{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        ));
    }
    insta::assert_snapshot!(all);
}

/// Issue 18 follow-up: `--set KEY=VALUE` lowers as the overlay line `KEY: VALUE`: an object literal deep-merges
/// into the object below (the overlay's `host` is replaced, `port` kept), and `@replace({...})` replaces it.
#[test]
fn set_object_merges_as_an_overlay_does() {
    let dir = tempdir();
    let text = "[app]\ndb { host: \"a\", port: 1 }\nenv prod { [app] db: { host: \"b\" } }\n";
    std::fs::write(dir.path().join("m.tsk"), text).unwrap();
    let build = |set: &str| {
        let o = common::tuskc_in(dir.path(), &["build", "m.tsk", "-e", "prod", "--set", set]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let merged = build("app.db={host: \"c\"}");
    assert!(
        merged.contains("\"host\": \"c\",\n      \"port\": 1"),
        "{merged}"
    );
    let replaced = build("app.db=@replace({host: \"c\"})");
    assert!(
        replaced.contains("\"db\": {\n      \"host\": \"c\"\n    }"),
        "{replaced}"
    );
}

/// Issue 18 follow-up: `--set KEY=@replace({...})` means what an overlay's `KEY: @replace({...})` means (the object,
/// nothing of the inherited one kept), not TSK0311; a malformed one is the overlay's TSK0305.
#[test]
fn set_replace_means_what_an_overlays_replace_means() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("t.tsk"),
        "db:\n  pool:\n    min: 5\n    max: 10\n  host: \"h\"\nenv production {\n  db.pool: @replace({min: 1})\n}\nenv staging {\n}\n",
    )
    .unwrap();
    let overlay = common::tuskc_in(dir.path(), &["build", "t.tsk", "-e", "production"]);
    assert_eq!(overlay.status.code(), Some(0), "{}", stderr(&overlay));
    let set = common::tuskc_in(
        dir.path(),
        &[
            "build",
            "t.tsk",
            "-e",
            "staging",
            "--set",
            "db.pool=@replace({min: 1})",
        ],
    );
    assert_eq!(set.status.code(), Some(0), "{}", stderr(&set));
    assert_eq!(stdout(&set), stdout(&overlay));
    assert!(!stdout(&set).contains("max"), "{}", stdout(&set));
    let o = common::tuskc_in(
        dir.path(),
        &[
            "build",
            "t.tsk",
            "-e",
            "staging",
            "--set",
            "db.pool=@replace({min: 1}, 2)",
        ],
    );
    // A command-line value that does not lower is a usage error (exit 2), and nothing is built.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[TSK0305] Error: `@replace` takes exactly one argument"),
        "{}",
        stderr(&o)
    );
}

/// Issue 18 follow-up: `--set KEY=@delete` of a key nothing defines warns (TSK0230) as an overlay's `@delete` does,
/// naming the argument; the build still succeeds.
#[test]
fn set_delete_of_nothing_warns() {
    let dir = tempdir();
    std::fs::write(dir.path().join("t.tsk"), "a: 1\n").unwrap();
    let o = common::tuskc_in(dir.path(), &["build", "t.tsk", "--set", "nosuch=@delete"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\n  \"a\": 1\n}\n");
    assert!(
        stderr(&o).contains("[TSK0230] Warning: `--set nosuch=@delete` removes nothing"),
        "{}",
        stderr(&o)
    );
}

/// Issue 18 follow-up: a `--set` key is a key path as the language reads one; anything else is a usage error (exit
/// 2) naming the argument, with the path quoted as it would be. A quoted key (which may hold `=`) is taken.
#[test]
fn set_key_must_be_a_key_path() {
    let dir = tempdir();
    std::fs::write(dir.path().join("t.tsk"), "a: 1\n").unwrap();
    let mut all = String::new();
    for arg in [
        "bad key=1",
        "app.b c.d=2",
        "a..b=1",
        "\"${H}\"=1",
        "$v=x",
        "$db.host=x",
    ] {
        let o = common::tuskc_in(dir.path(), &["build", "t.tsk", "--set", arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{arg}");
        all.push_str(&format!(
            "$ tuskc build t.tsk --set '{arg}'\n{}",
            stderr(&o)
        ));
    }
    insta::assert_snapshot!(all);
    let o = common::tuskc_in(
        dir.path(),
        &[
            "build",
            "t.tsk",
            "--set",
            "\"bad key\"=1",
            "--set",
            "\"x=y\".z=2",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["bad key"], 1);
    assert_eq!(v["x=y"]["z"], 2);
}

#[test]
fn explain_code_lists_and_explains() {
    let o = tuskc(&["explain-code", "TSK0302"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("undefined reference"));
    let o = tuskc(&["explain-code", "TSK9999"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn deep_reference_chains_stop_with_a_diagnostic() {
    let dir = tempdir();
    // k0 needs k1, which needs k2, ... 2,000 deep: evaluated first, so nothing is memoised yet.
    let mut text = String::from("[c]\n");
    for i in 0..2000 {
        text.push_str(&format!("k{i}: k{} + 1\n", i + 1));
    }
    text.push_str("k2000: 1\n");
    let f = dir.path().join("deep.tsk");
    std::fs::write(&f, text).unwrap();
    let o = tuskc(&["check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("TSK0315"), "{}", stderr(&o));
}

#[test]
fn help_documents_exit_codes() {
    let o = tuskc(&["build", "--help"]);
    assert!(stdout(&o).contains("2  usage or I/O error"));
}

/// Every diagnostic code is exercised by a snapshot (cases or CLI), so each one's rendering is reviewed.
#[test]
fn every_code_has_a_snapshot() {
    let mut all = String::new();
    for dir in ["tests/snapshots"] {
        for f in common::files_below(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) {
            all.push_str(&std::fs::read_to_string(f).unwrap());
        }
    }
    // Covered by assertions in this file (TSK0702: tests/fmt.rs) rather than snapshots.
    let asserted = ["TSK0002", "TSK0004", "TSK0315", "TSK0404", "TSK0702"];
    // TSK0403 guards the TOML writer's own errors, which valid trees cannot produce; TSK0701 guards the formatter
    // against its own bugs (tests/fmt_properties.rs asserts it never fires); TSK0802 guards `diff --fix` against its
    // own bugs (tests/drift.rs applies fixes and checks the outputs are unchanged).
    let unreachable = ["TSK0403", "TSK0701", "TSK0802"];
    let missing: Vec<&str> = tuskc::diagnostic::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| {
            !all.contains(&format!("[{c}]")) && !asserted.contains(c) && !unreachable.contains(c)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a rendered snapshot: {missing:?}"
    );
}

#[test]
fn docs_list_every_code() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors.md"))
        .unwrap();
    for c in tuskc::diagnostic::Code::ALL {
        assert!(
            doc.contains(&format!("## {}", c.as_str())),
            "docs/errors.md lacks {}",
            c.as_str()
        );
    }
}

/// Entries are confined to the project as `use` and `@file` are (TSK0212): listed in the manifest (`..`, an absolute
/// path, a symlink leaving the project) or found in the directory, a file outside is neither read nor quoted.
#[cfg(unix)]
#[test]
fn entries_outside_the_project_are_refused() {
    let top = tempdir();
    std::fs::write(top.path().join("x.tsk"), "leaked: \"from outside\"\n").unwrap();
    let p = top.path().join("p");
    std::fs::create_dir(&p).unwrap();
    std::fs::write(
        p.join("tuskc.toml"),
        "[project]\nentries = [\"../x.tsk\", \"/etc/passwd\", \"link.tsk\", \"../nothere.tsk\"]\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("../x.tsk", p.join("link.tsk")).unwrap();
    let o = common::tuskc_in(&p, &["check", "."]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        !err.contains("from outside") && !err.contains("root:"),
        "{err}"
    );
    insta::assert_snapshot!(err);
    let out = common::tuskc_in(&p, &["build", ".", "--all", "--out-dir", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!p.join("out").exists());
    // Without a manifest, a symlink in the directory leaving the project is refused as an entry too.
    let q = top.path().join("q");
    std::fs::create_dir(&q).unwrap();
    std::os::unix::fs::symlink("../x.tsk", q.join("a.tsk")).unwrap();
    let o = common::tuskc_in(&q, &["build", "."]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[TSK0212] Error: entry `a.tsk` is outside the project"),
        "{err}"
    );
    assert!(!stdout(&o).contains("from outside"));
}

/// A directory whose `.tsk` files are all in subdirectories has no entry: an error (exit 2) that says where tuskc
/// looked and how to name entries, never "checked 0 targets: no errors".
#[test]
fn a_directory_without_entries_is_an_error() {
    let proj = tempdir();
    std::fs::create_dir_all(proj.path().join("services/api")).unwrap();
    std::fs::write(proj.path().join("services/web.tsk"), "a: 1\n").unwrap();
    std::fs::write(proj.path().join("services/api/api.tsk"), "b: 2\n").unwrap();
    std::fs::create_dir(proj.path().join(".hidden")).unwrap();
    std::fs::write(proj.path().join(".hidden/h.tsk"), "c: 3\n").unwrap();
    let o = common::tuskc_in(proj.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!stderr(&o).contains("checked 0"), "{}", stderr(&o));
    insta::assert_snapshot!(stderr(&o));
    let o = common::tuskc_in(proj.path(), &["build", ".", "--all", "--out-dir", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("[TSK0002]"), "{}", stderr(&o));
    assert!(!proj.path().join("out").exists());
    // Named from outside, the examples are paths as the user would type them; an empty directory has none.
    let top = proj.path().parent().unwrap();
    let name = proj.path().file_name().unwrap().to_str().unwrap();
    let o = common::tuskc_in(top, &["check", name]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "found below it: {name}/services/web.tsk, {name}/services/api/api.tsk"
        )),
        "{}",
        stderr(&o)
    );
    let empty = tempdir();
    let o = common::tuskc_in(empty.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[TSK0002] Error: no .tsk entry file in `.`"),
        "{}",
        stderr(&o)
    );
}

/// Every diagnostic of the command-line error paths a user reaches first (a missing file, env file, JSON Schema,
/// deployed file or formatted file; a key `get` cannot find, at the top and below a value) carries a help that says
/// what to do (issue 18: "every diagnostic has a span, a stable code and a hint").
#[test]
fn cli_error_paths_all_have_a_help() {
    let dir = tempdir();
    std::fs::write(dir.path().join("x.tsk"), "a: 1\nb: { c: 2 }\n").unwrap();
    let runs: &[&[&str]] = &[
        &["build", "nope.tsk"],
        &["check", "nope"],
        &["build", "--env-file", "nope.env", "x.tsk"],
        &["check", "--json-schema", "nope.json", "x.tsk"],
        &["drift", "--actual", "nope.json", "x.tsk"],
        &["fmt", "nope.tsk"],
        &["get", "zzz", "x.tsk"],
        &["get", "a.b", "x.tsk"],
        &["get", "b.zzz", "x.tsk"],
        &["explain", "zzz", "x.tsk"],
    ];
    for args in runs {
        let mut all = args.to_vec();
        all.extend(["--message-format", "json"]);
        let o = common::tuskc_in(dir.path(), &all);
        let err = stderr(&o);
        let diags: Vec<serde_json::Value> = err
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert!(!diags.is_empty(), "{args:?}: no diagnostic\n{err}");
        for d in diags {
            let help = d["help"].as_str().unwrap_or("");
            assert!(!help.is_empty(), "{args:?}: no help in {d}");
        }
    }
}

/// Issue 19 (second round): an unknown provider from the command line with no near miss (`diff -p azure`) had no
/// help; an unknown `schema export --schema` name had none and did not list the types; with several entries,
/// `schema export` offered `--all --out-dir DIR`, which only `build` takes.
#[test]
fn command_line_name_errors_have_a_help_that_works() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("tuskc.toml"),
        "[project]\nname = \"x\"\nenvironments = [\"staging\", \"production\"]\nproviders = [\"aws\", \"gcp\"]\n",
    )
    .unwrap();
    for f in ["one.tsk", "two.tsk"] {
        std::fs::write(dir.path().join(f), "a: 1\n").unwrap();
    }
    std::fs::write(
        dir.path().join("three.tsk"),
        "schema Shop {\n  x: int\n}\nc: 1\n",
    )
    .unwrap();
    let help_of = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--message-format", "json"]);
        let o = common::tuskc_in(dir.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let d: serde_json::Value =
            serde_json::from_str(stderr(&o).lines().next().unwrap()).unwrap();
        (d["help"].as_str().unwrap_or("").to_string(), d.to_string())
    };
    let (help, d) = help_of(&[
        "diff",
        "-p",
        "azure",
        "-e",
        "staging",
        "-e",
        "production",
        "one.tsk",
    ]);
    assert_eq!(
        help, "pass --provider with one of the declared providers",
        "{d}"
    );
    let (help, d) = help_of(&["schema", "export", "--schema", "Nope", "three.tsk"]);
    assert!(help.contains("pass --schema with one of the types"), "{d}");
    assert!(d.contains("Shop"), "{d}");
    let (help, d) = help_of(&["schema", "export", "--schema", "Shp", "three.tsk"]);
    assert_eq!(help, "did you mean `Shop`?", "{d}");
    let (help, d) = help_of(&["schema", "export"]);
    assert_eq!(help, "pass one of the entry files", "{d}");
    let (help, d) = help_of(&["build"]);
    assert!(help.contains("--all --out-dir DIR"), "{d}");
}

/// A file without environments or providers has one target, the base: `check` names it so when it fails, never
/// `-/-`, and `get` says which target lacks the key the same way.
#[test]
fn the_base_target_is_named_for_people() {
    let dir = tempdir();
    std::fs::write(dir.path().join("x.tsk"), "a: 1 / 0\n").unwrap();
    let o = common::tuskc_in(dir.path(), &["check", "x.tsk"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    // The verdict is the last line, after the diagnostics (`tuskc check . 2>&1 | tail -1`).
    assert!(
        err.ends_with("\nfailing targets: the base target\n"),
        "{err}"
    );
    assert!(!err.contains("-/-"), "{err}");
    std::fs::write(dir.path().join("y.tsk"), "a: 1\n").unwrap();
    let o = common::tuskc_in(dir.path(), &["get", "b", "y.tsk"]);
    let err = stderr(&o);
    assert!(
        err.contains("`b` is not a key when building the base target"),
        "{err}"
    );
}

/// A `--set` value that does not lower (`@delete(1)`, `@replace(a, b)`) is a usage error: exit 2 and nothing written
/// (before, the target was built without it, printed, and `-o` written, with exit 1).
#[test]
fn a_set_value_that_does_not_lower_writes_nothing() {
    let dir = tempdir();
    std::fs::write(dir.path().join("t.tsk"), "a: 1\nb: 2\n").unwrap();
    for set in ["a=@delete(1)", "a=@replace({x: 1}, 2)"] {
        let o = common::tuskc_in(
            dir.path(),
            &["build", "t.tsk", "--set", set, "-o", "out.json"],
        );
        assert_eq!(o.status.code(), Some(2), "{set}: {}", stderr(&o));
        assert!(stderr(&o).contains("TSK0305"), "{set}: {}", stderr(&o));
        assert!(!dir.path().join("out.json").exists(), "{set}");
        let o = common::tuskc_in(dir.path(), &["build", "t.tsk", "--set", set]);
        assert_eq!(o.status.code(), Some(2), "{set}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{set}");
    }
}

/// A reader that stops reading (`tuskc check 2>&1 | head -1`) ends the output, never the compiler with a panic or an
/// abort: the write to the closed pipe fails and is ignored, and the exit code is the check's.
#[cfg(unix)]
#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::process::{Command, Stdio};
    let dir = tempdir();
    // Far more diagnostics than a pipe holds, so the writes meet the closed end whenever it closes.
    let text: String = (0..3000)
        .map(|i| format!("k{i}: $undefined{i}\n"))
        .collect();
    std::fs::write(dir.path().join("t.tsk"), text).unwrap();
    for (args, code) in [
        (&["check", "t.tsk"][..], 1),
        (&["build", "t.tsk"][..], 1),
        (&["explain-code"][..], 0),
    ] {
        for closed in ["stdout", "stderr"] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_tuskc"));
            cmd.args(args)
                .current_dir(dir.path())
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            let (out, err) = (child.stdout.take(), child.stderr.take());
            // Close one end at once; drain the other so the child never blocks on it.
            let keep = if closed == "stdout" {
                drop(out);
                err.map(|e| Box::new(e) as Box<dyn std::io::Read + Send>)
            } else {
                drop(err);
                out.map(|o| Box::new(o) as Box<dyn std::io::Read + Send>)
            };
            let drain = std::thread::spawn(move || {
                let mut sink = Vec::new();
                if let Some(mut r) = keep {
                    let _ = std::io::Read::read_to_end(&mut r, &mut sink);
                }
            });
            let status = child.wait().unwrap();
            drain.join().unwrap();
            assert_eq!(status.code(), Some(code), "{args:?} with {closed} closed");
        }
    }
}

/// A `--set` value that starts as an expression and does not parse is a usage error, never text that replaces the
/// key (`--set 'k={a: 1'` used to set the string "{a: 1", exit 0, and write the file); a bare word is still text.
/// `get` reads a key path as `--set` and files write it: `get '"bad key"'` finds the key `bad key`.
#[test]
fn an_incomplete_set_value_is_not_text() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("t.tsk"),
        "k { a: 1 }\n\"bad key\": 3\nm: \"x\"\n",
    )
    .unwrap();
    for set in [
        "k={a: 1",
        "k=@replace({a: 1}",
        "k=@delete)",
        "k=[1, 2",
        "m=\"open",
    ] {
        let o = common::tuskc_in(
            dir.path(),
            &["build", "t.tsk", "--set", set, "-o", "out.json"],
        );
        assert_eq!(o.status.code(), Some(2), "{set}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("is not a complete expression"),
            "{set}: {}",
            stderr(&o)
        );
        assert!(!dir.path().join("out.json").exists(), "{set}");
    }
    let o = common::tuskc_in(dir.path(), &["build", "t.tsk", "--set", "m=hello world"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("\"m\": \"hello world\""),
        "{}",
        stdout(&o)
    );
    for key in ["\"bad key\"", "bad key"] {
        let o = common::tuskc_in(dir.path(), &["get", key, "t.tsk"]);
        assert_eq!(o.status.code(), Some(0), "{key}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim(), "3", "{key}");
    }
}

/// `explain`'s "merged from" lists the layers in the order they apply (base, provider, env, `--set`), not in the
/// order their keys come in (a `--set` key listed before env prod's used to put `--set` in the middle).
#[test]
fn explain_lists_merged_layers_in_the_order_they_apply() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("m.tsk"),
        "[app]\ndb { host: \"a\", port: 1 }\nenv prod { [app] db.port: 2 }\nprovider aws { [app] db.zone: \"z\" }\n",
    )
    .unwrap();
    let o = common::tuskc_in(
        dir.path(),
        &[
            "explain",
            "app.db",
            "m.tsk",
            "-e",
            "prod",
            "-p",
            "aws",
            "--set",
            "app.db={user: \"u\"}",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let at = |what: &str| out.find(what).unwrap_or_else(|| panic!("{what} in {out}"));
    assert!(
        at("merged from: base") < at("provider aws (")
            && at("provider aws (") < at("env prod (")
            && at("env prod (") < at("--set ("),
        "{out}"
    );
}

/// Entry detection resolves `use` as the loader does: `use "./types"` uses `types.tsk`, which is then no entry.
#[test]
fn a_module_used_without_its_extension_is_not_an_entry() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("main.tsk"),
        "use \"./types\"\n\n[server: Server]\nport: 8080\n",
    )
    .unwrap();
    std::fs::write(d.join("types.tsk"), "schema Server {\n  port: int\n}\n").unwrap();
    let o = common::tuskc_in(d, &["build", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\n  \"server\": {\n    \"port\": 8080\n  }\n}\n"
    );
}

/// TOML output: a float whose plain form is long is written in exponent form (still a TOML float), and arrays of
/// arrays are laid out one element a line at every level; the text reads back to the same values.
#[test]
fn toml_writes_long_floats_with_an_exponent_and_lays_out_nested_arrays() {
    let dir = tempdir();
    let file = dir.path().join("main.tsk");
    std::fs::write(
        &file,
        "[a]\nbig: 1.797e308\nsmall: 1.5e-300\nplain: 2.5\nn: [[1, 2], [3, [4.5, \"x\"]], []]\nm: [[{x: 1, y: [[1]]}]]\nflat: [1, 2]\n",
    )
    .unwrap();
    let o = tuskc(&["build", file.to_str().unwrap(), "-f", "toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    insta::assert_snapshot!(text);
    let t: toml::Table = toml::from_str(&text).unwrap();
    let a = &t["a"];
    assert_eq!(a["big"].as_float(), Some(1.797e308));
    assert_eq!(a["small"].as_float(), Some(1.5e-300));
    assert_eq!(a["plain"].as_float(), Some(2.5));
    let n: toml::Value =
        toml::from_str::<toml::Table>("n = [[1, 2], [3, [4.5, \"x\"]], []]").unwrap()["n"].clone();
    assert_eq!(a["n"], n);
    let m: toml::Value =
        toml::from_str::<toml::Table>("m = [[{x = 1, y = [[1]]}]]").unwrap()["m"].clone();
    assert_eq!(a["m"], m);
    assert_eq!(a["flat"], toml::Value::Array(vec![1.into(), 2.into()]));
}

/// How `build --all` puts its outputs on disk, seen by the real `strace`: each output's temporary file starts its way
/// to disk as soon as it is written (`start_writeback`: the flush at the end then waits for almost nothing), and every
/// one is flushed (`fsync`) before the first is renamed into place, so no output appears whose text is not on disk
/// and none appears while another could still fail to be written.
#[cfg(target_os = "linux")]
#[test]
fn build_all_has_every_output_on_disk_before_renaming_any() {
    let found = std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::tool_available(found, "needs strace (Debian package strace)") {
        return;
    }
    let dir = tempdir();
    let trace = dir.path().join("trace");
    let out = dir.path().join("out");
    let o = std::process::Command::new("strace")
        .args(["-ff", "-ttt", "-qq", "-e", "signal=none"])
        .args([
            "-e",
            "trace=openat,fadvise64,fsync,fdatasync,rename,renameat,renameat2",
        ])
        .arg("-o")
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_tuskc"))
        .args(["build", "examples/shop", "--all", "--out-dir"])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("TUSKC_IDENTITY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Every thread's calls (one file each: `-ff`), in time order.
    let mut calls: Vec<(f64, String)> = Vec::new();
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let file = file.unwrap().path();
        if !file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("trace.")
        {
            continue;
        }
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let (time, call) = line.split_once(' ').unwrap();
            calls.push((time.parse().unwrap(), call.to_string()));
        }
    }
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let quoted = |call: &str, n: usize| call.split('"').nth(2 * n + 1).map(str::to_string);
    let result = |call: &str| call.rsplit("= ").next().unwrap().trim().to_string();
    let fd_arg = |call: &str| {
        let args = &call[call.find('(').unwrap() + 1..];
        args.split([',', ')']).next().unwrap().trim().to_string()
    };
    // Each temporary file: its descriptor, and what was done to it, in order.
    let mut temporaries: Vec<(String, String, Vec<&'static str>)> = Vec::new();
    let mut renamed: Vec<String> = Vec::new();
    let mut first_rename = None;
    for (i, (_, call)) in calls.iter().enumerate() {
        let name = &call[..call.find('(').unwrap()];
        match name {
            "openat" => {
                let path = quoted(call, 0).unwrap();
                if path.contains("/.tuskc-") && path.ends_with(".tmp") {
                    temporaries.push((path, result(call), Vec::new()));
                }
            }
            "fadvise64" | "fsync" | "fdatasync" => {
                let fd = fd_arg(call);
                let what = if name == "fadvise64" {
                    assert!(call.contains("POSIX_FADV_DONTNEED"), "{call}");
                    "writeback started"
                } else {
                    "flushed"
                };
                if let Some(t) = temporaries.iter_mut().rev().find(|t| t.1 == fd) {
                    t.2.push(what);
                }
            }
            _ => {
                // rename(from, to), renameat(dirfd, from, dirfd, to), renameat2(...): the two quoted paths.
                let from = quoted(call, 0).unwrap();
                if from.contains("/.tuskc-") {
                    assert_eq!(result(call), "0", "{call}");
                    first_rename.get_or_insert(i);
                    renamed.push(from);
                }
            }
        }
    }
    let outputs = common::files_below(&out);
    assert!(outputs.len() >= 4, "{outputs:?}");
    assert_eq!(temporaries.len(), outputs.len(), "{temporaries:?}");
    assert_eq!(renamed.len(), outputs.len(), "{renamed:?}");
    for (path, _, done) in &temporaries {
        assert_eq!(done, &["writeback started", "flushed"], "{path}");
        assert!(renamed.contains(path), "{path} never renamed into place");
    }
    // No temporary file is flushed after the first rename.
    let first_rename = first_rename.unwrap();
    let last_flush = calls
        .iter()
        .rposition(|(_, c)| c.starts_with("fsync(") || c.starts_with("fdatasync("))
        .unwrap();
    assert!(
        last_flush < first_rename,
        "a file was flushed after one was renamed"
    );
}
