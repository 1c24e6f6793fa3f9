//! Hostile and degenerate input meets a limit with a clear diagnostic (never a stack overflow, a hang or memory
//! exhaustion), and unusual but valid files (empty, BOM, CRLF, very long lines, huge arrays) build. Each case runs
//! the real binary on a generated file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{stderr, stdout, tuskc_in};

/// Build `text` as `f.tsk`; returns (exit code, stdout, stderr).
fn build(text: impl AsRef<[u8]>) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.tsk"), text).unwrap();
    let o = tuskc_in(dir.path(), &["build", "f.tsk"]);
    (o.status.code(), stdout(&o), stderr(&o))
}

/// The run failed with exactly the given code, once, said in a few lines, and wrote nothing.
fn fails_with(text: impl AsRef<[u8]>, code: &str, message: &str) {
    let (status, out, err) = build(text);
    assert_eq!(status, Some(1), "{err}");
    assert!(out.is_empty());
    assert!(err.contains(&format!("[{code}]")), "{err}");
    assert!(err.contains(message), "{err}");
    assert!(err.len() < 4000, "the report is {} bytes", err.len());
}

#[test]
fn a_hundred_thousand_open_braces() {
    fails_with(
        format!("a: {}\n", "{ b: ".repeat(100_000)),
        "TSK0116",
        "nesting deeper than 128 levels",
    );
}

#[test]
fn deep_arrays_and_parentheses() {
    fails_with(
        format!("a: {}\n", "[".repeat(100_000)),
        "TSK0116",
        "nesting deeper",
    );
    fails_with(
        format!("a: {}1{}\n", "(".repeat(100_000), ")".repeat(100_000)),
        "TSK0116",
        "nesting deeper",
    );
    fails_with(
        format!("a: {}1\n", "-".repeat(100_000)),
        "TSK0116",
        "nesting deeper",
    );
}

#[test]
fn key_paths_too_deep() {
    // One dotted key of 100,000 segments.
    fails_with(
        format!("a{}: 1\n", ".a".repeat(100_000)),
        "TSK0116",
        "a key path of more than 128 segments",
    );
    // Blocks and dotted keys together: each alone is within the limits.
    let mut text = String::new();
    for _ in 0..100 {
        text.push_str("k { ");
    }
    text.push_str(&format!("x{}: 1", ".y".repeat(100)));
    text.push_str(&" }".repeat(100));
    fails_with(text, "TSK0116", "keys nest more than 128 levels deep");
}

#[test]
fn long_operator_chains() {
    fails_with(
        format!("a: {}1\n", "1 + ".repeat(200_000)),
        "TSK0116",
        "more than 1000 operators in one expression",
    );
    // A long but reasonable chain is fine.
    let (status, out, err) = build(format!("a: {}1\n", "1 + ".repeat(999)));
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("\"a\": 1000"), "{out}");
}

#[test]
fn deep_reference_chains() {
    // Defined from the top: evaluating k0 needs 100,000 nested references.
    let mut text: String = (0..100_000)
        .map(|i| format!("k{i}: k{}\n", i + 1))
        .collect();
    text.push_str("k100000: 1\n");
    let (status, _, err) = build(text);
    assert_eq!(status, Some(1));
    assert!(err.contains("[TSK0315]"), "{err}");
    // Defined from the bottom: each step is already evaluated, so any length builds.
    let mut text = String::from("k0: 1\n");
    text.extend((1..20_000).map(|i| format!("k{i}: k{}\n", i - 1)));
    let (status, out, err) = build(text);
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("\"k19999\": 1"));
}

#[test]
fn exponential_growth_through_references() {
    // Strings: interpolation and `+`, through keys and through variables.
    let interp: String = (1..64)
        .map(|i| format!("a{i}: \"${{a{}}}${{a{}}}\"\n", i - 1, i - 1))
        .collect();
    fails_with(
        format!("a0: \"xx\"\n{interp}"),
        "TSK0316",
        "a string longer than 16 MiB",
    );
    let vars: String = (1..64)
        .map(|i| format!("$a{i}: \"${{$a{}}}${{$a{}}}\"\n", i - 1, i - 1))
        .collect();
    fails_with(
        format!("$a0: \"xx\"\n{vars}x: $a63\n"),
        "TSK0316",
        "a string longer than 16 MiB",
    );
    let add: String = (1..64)
        .map(|i| format!("a{i}: a{} + a{}\n", i - 1, i - 1))
        .collect();
    fails_with(
        format!("a0: \"xx\"\n{add}"),
        "TSK0316",
        "a string longer than 16 MiB",
    );
    // Arrays and objects: copies made by references.
    fails_with(
        format!("a0: [1]\n{add}"),
        "TSK0316",
        "references copy more than 500000 values",
    );
    let objects: String = (1..64)
        .map(|i| format!("a{i} {{ l: a{}, r: a{} }}\n", i - 1, i - 1))
        .collect();
    fails_with(
        format!("a0 {{ x: 1 }}\n{objects}"),
        "TSK0316",
        "references copy more than 500000 values",
    );
}

#[test]
fn many_errors_are_all_reported_quickly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.tsk"), "}\n".repeat(50_000)).unwrap();
    // People get the first 200 and the count of the rest; JSON gets every one.
    let o = tuskc_in(dir.path(), &["build", "f.tsk"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.matches("[TSK0110]").count(), 200);
    assert!(
        err.contains(
            "... and 49800 more diagnostics, not shown (`--message-format json` prints every one)"
        ),
        "{}",
        &err[err.len() - 300..]
    );
    assert!(
        err.trim_end().ends_with("50000 errors"),
        "{}",
        &err[err.len() - 200..]
    );
    let o = tuskc_in(dir.path(), &["build", "f.tsk", "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o).lines().count(), 50_000);
}

/// Many diagnostics on one long line (issue 18: quadratic before, 40,000 took 15 s): every one has its column, which
/// is counted in characters also on a long line with multibyte text (the line index and its character samples).
#[test]
fn many_errors_on_one_long_line_have_their_columns() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("f.tsk"),
        format!("{}\n", "é: 1, ".repeat(20_000)),
    )
    .unwrap();
    let o = tuskc_in(dir.path(), &["check", "f.tsk", "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 19_999, "{}", lines.len());
    // Each `é: 1, ` is six characters (seven bytes): the n-th `é` (an unexpected character) is at column 6n + 1.
    let columns: Vec<u64> = lines
        .iter()
        .filter(|d| d["code"] == "TSK0101")
        .map(|d| d["range"]["start"]["column"].as_u64().unwrap())
        .collect();
    assert!(!columns.is_empty(), "{:?}", lines.first());
    assert!(
        columns.iter().all(|c| (c - 1) % 6 == 0),
        "{:?}",
        &columns[..5.min(columns.len())]
    );
    let o = tuskc_in(dir.path(), &["check", "f.tsk"]);
    assert!(stderr(&o).contains("more diagnostics, not shown"));
}

#[test]
fn long_lines_are_not_quoted_in_diagnostics() {
    let (status, _, err) = build(format!("a: \"{}\" 1\n", "x".repeat(1_000_000)));
    assert_eq!(status, Some(1));
    assert!(err.contains("[TSK0115]"), "{err}");
    assert!(err.contains("f.tsk:1:"), "{err}");
    assert!(err.contains("not quoted"), "{err}");
    assert!(err.len() < 2000, "the report is {} bytes", err.len());
}

#[test]
fn very_long_lines_and_huge_arrays_build() {
    let (status, out, err) = build(format!("a: \"{}\"\n", "x".repeat(20_000_000)));
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(out.len(), 20_000_000 + "{\n  \"a\": \"\"\n}\n".len());
    let items: Vec<String> = (0..200_000).map(|i| i.to_string()).collect();
    let (status, out, err) = build(format!("a: [{}]\n", items.join(", ")));
    assert_eq!(status, Some(0), "{err}");
    assert!(out.contains("    199999\n  ]"));
}

#[test]
fn empty_bom_and_crlf_files() {
    assert_eq!(build(""), (Some(0), "{}\n".into(), String::new()));
    assert_eq!(build("\n\n# only a comment\n").1, "{}\n");
    let plain = build("a: 1\n[s]\nb: \"x\"\n");
    assert_eq!(plain.0, Some(0));
    assert_eq!(build("\u{feff}a: 1\n[s]\nb: \"x\"\n"), plain);
    assert_eq!(build("a: 1\r\n[s]\r\nb: \"x\"\r\n"), plain);
    assert_eq!(build("\u{feff}a: 1\r\n[s]\r\nb: \"x\""), plain);
    // Line numbers count CRLF as one line end.
    let (status, _, err) = build("a: 1\r\nb: 1 2\r\n");
    assert_eq!(status, Some(1));
    assert!(err.contains("f.tsk:2:"), "{err}");
}

#[test]
fn non_utf8_files() {
    let (status, out, err) = build(b"a: \"\xff\xfe\"\n");
    assert_eq!(status, Some(2), "{err}");
    assert!(out.is_empty());
    assert!(err.contains("[TSK0004]"), "{err}");
    assert!(
        err.contains("is not UTF-8 (invalid byte at offset 4)"),
        "{err}"
    );
    // A module that is not UTF-8 is reported at the `use` that loads it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tsk"), "use \"./m.tsk\"\nx: 1\n").unwrap();
    std::fs::write(dir.path().join("m.tsk"), b"y: \xc3\x28\n").unwrap();
    let o = tuskc_in(dir.path(), &["build", "main.tsk"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("not UTF-8"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn import_cycles_through_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("main.tsk"), "use \"./a.tsk\"\nx: 1\n").unwrap();
    std::fs::write(d.join("a.tsk"), "use \"./link/a.tsk\"\ny: 2\n").unwrap();
    std::os::unix::fs::symlink(".", d.join("link")).unwrap();
    // A second loop: a symlinked file that points back at the entry.
    std::fs::create_dir(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("../main.tsk", d.join("sub/again.tsk")).unwrap();
    std::fs::write(d.join("b.tsk"), "use \"./sub/again.tsk\"\n").unwrap();
    for entry in ["main.tsk", "b.tsk"] {
        let o = tuskc_in(d, &["build", entry]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{entry}: {err}");
        assert!(err.contains("[TSK0211]"), "{entry}: {err}");
        assert!(err.contains("import cycle"), "{entry}: {err}");
    }
}

/// Run the real binary in `dir` like `tuskc_in`, but kill it after 20 s and fail: a read that blocks (on a FIFO)
/// fails the test instead of hanging the run.
#[cfg(unix)]
fn tuskc_within_20s(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tuskc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TUSKC_IDENTITY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "`tuskc {}` still running after 20 s: blocked reading a FIFO?",
                args.join(" ")
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `args` run in `dir` ends (within 20 s) with `code`, naming `file` as not a regular file under the diagnostic code.
#[cfg(unix)]
fn refuses_fifo(dir: &std::path::Path, args: &[&str], exit: i32, code: &str, file: &str) {
    let o = tuskc_within_20s(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(exit), "{args:?}: {err}");
    assert!(err.contains(&format!("[{code}]")), "{args:?}: {err}");
    assert!(err.contains(file), "{args:?}: {err}");
    assert!(
        err.contains("not a regular file (it is a named pipe)"),
        "{args:?}: {err}"
    );
}

#[cfg(unix)]
#[test]
fn sources_that_are_fifos_are_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mkfifo(&d.join("fifo"));
    mkfifo(&d.join("pipe.tsk"));
    std::os::unix::fs::symlink("pipe.tsk", d.join("link.tsk")).unwrap();
    std::fs::write(d.join("data.tsk"), "a: @file(\"fifo\")\n").unwrap();
    std::fs::write(d.join("uses.tsk"), "use \"./link\"\nb: 1\n").unwrap();
    refuses_fifo(d, &["build", "data.tsk"], 1, "TSK0310", "`fifo`");
    refuses_fifo(d, &["build", "uses.tsk"], 1, "TSK0001", "`link.tsk`");
    refuses_fifo(d, &["build", "pipe.tsk"], 2, "TSK0001", "`pipe.tsk`");
    // A directory with a FIFO named like a source: `fmt --check` reports it and still checks the rest.
    let f = tempfile::tempdir().unwrap();
    mkfifo(&f.path().join("x.tsk"));
    std::fs::write(f.path().join("y.tsk"), "a: 1\n").unwrap();
    refuses_fifo(f.path(), &["fmt", "--check", "."], 2, "TSK0001", "x.tsk");
}

#[cfg(unix)]
#[test]
fn a_manifest_and_its_entries_that_are_fifos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("tuskc.toml"),
        "[project]\nentries = [\"pipe.tsk\"]\n",
    )
    .unwrap();
    mkfifo(&d.join("pipe.tsk"));
    refuses_fifo(d, &["check", "."], 2, "TSK0001", "pipe.tsk");
    let m = tempfile::tempdir().unwrap();
    mkfifo(&m.path().join("tuskc.toml"));
    std::fs::write(m.path().join("a.tsk"), "a: 1\n").unwrap();
    refuses_fifo(m.path(), &["check", "."], 2, "TSK0001", "tuskc.toml");
}

#[cfg(unix)]
#[test]
fn command_line_files_that_are_fifos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.tsk"), "env prod {}\na: 1\n").unwrap();
    mkfifo(&d.join("fifo"));
    mkfifo(&d.join("deployed.json"));
    refuses_fifo(
        d,
        &["build", "a.tsk", "--env-file", "fifo"],
        2,
        "TSK0001",
        "`fifo`",
    );
    refuses_fifo(
        d,
        &["check", "a.tsk", "--json-schema", "fifo"],
        2,
        "TSK0001",
        "`fifo`",
    );
    refuses_fifo(
        d,
        &["drift", "a.tsk", "-e", "prod", "--actual", "deployed.json"],
        2,
        "TSK0001",
        "`deployed.json`",
    );
    refuses_fifo(
        d,
        &["secrets", "merge", "fifo", "fifo", "fifo"],
        2,
        "TSK0001",
        "`fifo`",
    );
}

#[cfg(unix)]
#[test]
fn secrets_stores_and_identities_that_are_fifos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("a.tsk"),
        "env prod {}\nenv dev {}\na: @secret(\"x\")\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("secrets")).unwrap();
    mkfifo(&d.join("secrets/prod.tsk"));
    mkfifo(&d.join("fifo"));
    let store = "`secrets/prod.tsk`";
    refuses_fifo(d, &["build", "a.tsk", "-e", "prod"], 1, "TSK0001", store);
    refuses_fifo(
        d,
        &["secrets", "list", "--env", "prod"],
        2,
        "TSK0001",
        store,
    );
    // `rm` locks the store before reading it.
    refuses_fifo(
        d,
        &["secrets", "rm", "x", "--env", "prod"],
        2,
        "TSK0001",
        store,
    );
    // An identity file: a real store holding `x`, read with a FIFO as the identity.
    if !common::have_age() {
        return;
    }
    let key = d.join("k.key");
    let status = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let recipient = std::process::Command::new("age-keygen")
        .arg("-y")
        .arg(&key)
        .output()
        .unwrap();
    let recipient = String::from_utf8(recipient.stdout).unwrap();
    let init = tuskc_in(
        d,
        &[
            "secrets",
            "init",
            "--env",
            "dev",
            "--recipient",
            recipient.trim(),
        ],
    );
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let mut set = std::process::Command::new(env!("CARGO_BIN_EXE_tuskc"))
        .args(["secrets", "set", "x", "--env", "dev"])
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut set.stdin.take().unwrap(), b"value").unwrap();
    assert!(set.wait().unwrap().success());
    refuses_fifo(
        d,
        &["secrets", "get", "x", "--env", "dev", "--identity", "fifo"],
        2,
        "TSK0605",
        "`fifo`",
    );
}

/// Issue 19 (second round): a deployed YAML file of 13 lines whose aliases expand to 16 million values took 50 s
/// and 12.7 GB. It is refused (TSK0801) before the aliases are expanded, quickly and within 1 GB of address space.
#[cfg(unix)]
#[test]
fn deployed_yaml_alias_bombs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from("a0: &a0 [1]\n");
    for i in 1..=12 {
        let p = i - 1;
        bomb.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    std::fs::write(dir.path().join("x.yaml"), bomb).unwrap();
    std::fs::write(dir.path().join("main.tsk"), "a0: [1]\n").unwrap();
    let start = std::time::Instant::now();
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 1000000 && exec "$0" drift --actual x.yaml main.tsk"#)
        .arg(env!("CARGO_BIN_EXE_tuskc"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("[TSK0801]"), "{err}");
    assert!(err.contains("too large after expanding aliases"), "{err}");
    assert!(err.contains("at x.yaml:"), "{err}");
    assert!(stdout(&o).is_empty());
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

/// A system that refuses new threads (a process limit) costs speed, not the build: a long file is parsed in parts
/// and its targets are built on the calling thread alone, with the same output as on one thread.
#[test]
fn threads_the_system_refuses_are_done_without() {
    // Root ignores the process limit: the build runs as `nobody` (setpriv), allowed the process and one thread.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let setpriv = ["setpriv", "prlimit"].iter().all(|tool| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !common::tool_available(
        root && setpriv,
        "needs root, setpriv and prlimit (Debian: util-linux) to run tuskc as `nobody` under a process limit",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut text: String = (0..30_000).map(|i| format!("a{i}: {i}\n")).collect();
    text.push_str("env staging {\n  a1: 0\n}\nenv production {\n  a2: 0\n}\n");
    std::fs::write(dir.path().join("long.tsk"), text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = |jobs: &str, limited: bool| {
        let limit: &[&str] = if limited {
            &["prlimit", "--nproc=3", "--"]
        } else {
            &[]
        };
        let nobody = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ];
        let mut command = limit.iter().chain(&nobody);
        std::process::Command::new(command.next().unwrap())
            .args(command)
            .arg(env!("CARGO_BIN_EXE_tuskc"))
            .args(["build", "long.tsk", "--all", "--out-dir", "out", "-j", jobs])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let one = run("1", false);
    assert!(one.status.success(), "{}", stderr(&one));
    let first = std::fs::read(dir.path().join("out/staging/default/long.json")).unwrap();
    let limited = run("4", true);
    assert!(limited.status.success(), "{}", stderr(&limited));
    assert_eq!(stderr(&limited), stderr(&one));
    assert_eq!(
        std::fs::read(dir.path().join("out/staging/default/long.json")).unwrap(),
        first
    );
}
