//! `tuskc fmt`: the real binary on real files, and the formatter over every `.tsk` file in the repository (examples,
//! cases, fixtures, the secrets stores tuskc writes): formatting keeps the compiled output of every target, is
//! idempotent, and the committed examples are already formatted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{copy_dir, tuskc_in as tuskc};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tuskc::diagnostic::Sink;
use tuskc::source::FileId;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tsk_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            tsk_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "tsk") {
            out.push(p);
        }
    }
}

/// Every target of every entry of the project at `dir`, as JSON text (or the failure).
fn compile_project(dir: &Path) -> Vec<String> {
    let mut session = tuskc::driver::Session::open(dir).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    let mut out = Vec::new();
    for entry in session.project.entries.clone() {
        let Some(program) = session.load(&entry) else {
            out.push("unreadable".into());
            continue;
        };
        for t in session.all_targets(&program) {
            out.push(match session.build(&program, &t, None, &inputs) {
                Some((_, v)) if !program.has_errors => {
                    tuskc::emit::emit(&v, tuskc::emit::Format::Json).unwrap_or_default()
                }
                _ => "failed".into(),
            });
        }
    }
    out
}

#[test]
fn every_repository_file_formats_idempotently() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in ["examples", "tests/cases", "tests/fixtures", "stdlib"] {
        tsk_files(&root.join(d), &mut files);
    }
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut formatted = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let mut parse_errors = Sink::new();
        tuskc::syntax::parse(&src, FileId(0), &mut parse_errors);
        let mut sink = Sink::new();
        let once = tuskc::syntax::fmt::format_text(&src, FileId(0), &mut sink);
        if parse_errors.has_errors() {
            assert!(
                once.is_none(),
                "{}: a broken file must be left alone",
                f.display()
            );
            continue;
        }
        let once = once.unwrap_or_else(|| panic!("{}: {:?}", f.display(), sink.into_sorted()));
        let twice = tuskc::syntax::fmt::format_text(&once, FileId(0), &mut Sink::new()).unwrap();
        assert_eq!(twice, once, "{}: not idempotent", f.display());
        formatted += 1;
    }
    assert!(formatted > 40);
}

#[test]
fn formatting_projects_keeps_every_targets_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for project in [
        "examples/shop",
        "tests/fixtures/secrets-app",
        "tests/fixtures/tusklang-corpus",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        copy_dir(&root.join(project), &dir);
        let before = compile_project(&dir);
        assert!(
            before.iter().any(|o| o != "failed"),
            "{project}: nothing compiles"
        );
        // Make the layout ugly first, so the formatter has real work: every line indented and spaced oddly where
        // that keeps its meaning is hard to guarantee by hand, so reformat what the formatter itself produced
        // from a version with comments shuffled to line ends and blank lines doubled.
        let mut files = Vec::new();
        tsk_files(&dir, &mut files);
        for f in &files {
            let src = std::fs::read_to_string(f).unwrap();
            std::fs::write(f, src.replace("\n\n", "\n\n\n").replace(": ", ":   ")).unwrap();
        }
        let o = tuskc(&dir, &["fmt", "."]);
        assert_eq!(o.status.code(), Some(0), "{project}: {}", text(&o.stderr));
        assert_eq!(
            compile_project(&dir),
            before,
            "{project}: formatting changed an output"
        );
        let o = tuskc(&dir, &["fmt", "--check", "."]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{project}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
}

#[test]
fn committed_examples_and_stores_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = tuskc(
        root,
        &["fmt", "--check", "examples", "tests/fixtures/secrets-app"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stderr).contains("already formatted"));
}

#[test]
fn secrets_stores_written_by_tuskc_are_formatted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("app.tsk"),
        "env dev {}\n[db]\npassword: @secret(\"db/password\")\n",
    )
    .unwrap();
    let o = tuskc(
        dir,
        &[
            "secrets",
            "init",
            "--env",
            "dev",
            "--generate-identity",
            "id.agekey",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tuskc"))
        .args(["secrets", "set", "db/password", "--env", "dev"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hunter2\n").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let o = tuskc(dir, &["fmt", "--check", "secrets"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

#[test]
fn check_lists_files_that_would_change_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("good.tsk"), "a: 1\n").unwrap();
    std::fs::write(dir.join("sub/ugly.tsk"), "a:1\n[b]\nc  =   [1,2]\n").unwrap();
    std::fs::create_dir(dir.join(".hidden")).unwrap();
    std::fs::write(dir.join(".hidden/skip.tsk"), "a:1\n").unwrap();
    let o = tuskc(dir, &["fmt", "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "sub/ugly.tsk\n");
    assert!(
        text(&o.stderr).contains("1 file would be reformatted"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/ugly.tsk")).unwrap(),
        "a:1\n[b]\nc  =   [1,2]\n"
    );

    let o = tuskc(
        dir,
        &["--message-format", "json", "fmt", "--check", "sub/ugly.tsk"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("\"TSK0702\""),
        "{}",
        text(&o.stderr)
    );

    let o = tuskc(dir, &["fmt"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/ugly.tsk")).unwrap(),
        "a: 1\n[b]\nc = [1, 2]\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".hidden/skip.tsk")).unwrap(),
        "a:1\n"
    );
    assert!(
        text(&o.stderr).contains("formatted 1 file, 1 already formatted"),
        "{}",
        text(&o.stderr)
    );
    let o = tuskc(dir, &["fmt", "--check"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "");
}

#[cfg(unix)]
#[test]
fn rewriting_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("x.tsk");
    std::fs::write(&f, "a:1\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = tuskc(tmp.path(), &["fmt", "x.tsk"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn files_with_syntax_errors_are_reported_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("bad.tsk"), "a: [1,\nb:2\n").unwrap();
    std::fs::write(dir.join("ok.tsk"), "b:2\n").unwrap();
    let o = tuskc(dir, &["fmt", "bad.tsk", "ok.tsk"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("TSK0111") && err.contains("bad.tsk:2:1"),
        "{err}"
    );
    assert!(err.contains("1 file not formatted"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("bad.tsk")).unwrap(),
        "a: [1,\nb:2\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("ok.tsk")).unwrap(),
        "b: 2\n"
    );

    let o = tuskc(dir, &["fmt", "missing.tsk"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn standard_input_to_standard_output() {
    let tmp = tempfile::tempdir().unwrap();
    let o = common::run_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_tuskc"))
            .args(["fmt", "-"])
            .current_dir(tmp.path()),
        "x =1 # c\ny:{a:2}\n".as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "x = 1  # c\ny: { a: 2 }\n");
    assert_eq!(text(&o.stderr), "");
}

#[test]
fn canonical_layout_snapshot() {
    let src = r#"# Every construct, written carelessly.
use   "./common.tsk"
$domain:"example.com"   # a variable
[app]
name :  "shop"
ports: [ 8080,8081 ]
hosts: [
  "a.internal",   # first
  # the second
  "b.internal"
]
labels:{tier:"backend",team:"payments"}
limits:
     cpu: 2
     memory:
         limit: "512Mi"
servers:
    - name: "one"
      port: 8080
    -   "two"
cache >
   ttl: "5m"
   region:@vary( "eu" )
<
url: "https://"+$domain+"/"+( @environment=="production" ? "" : @environment )
text: """
    kept exactly
    """


database {    # the database
  host: "localhost"



  port: 5432
}
schema App {
  ## The name.
  name: string( len 1..32 ,pattern "^[a-z]+$")
  port?: int(1..65535) = 8080
  old: string deprecated   "use name"
  zone: string   @vary
  assert port > 0:"positive"
  ...: string
}
type Level = "debug"|"info"
bind app: App
parity provider app.name,app.port
vary   app.zone ,cache
env staging extends production provider aws { [app] name: "x" }
provider aws {
}
"#;
    let mut sink = Sink::new();
    let out = tuskc::syntax::fmt::format_text(src, FileId(0), &mut sink);
    assert!(sink.is_empty(), "{:?}", sink.into_sorted());
    insta::assert_snapshot!(out.unwrap());
}

/// The real binary under umask 022, which narrows a 0664 file created with that mode to 0644.
#[cfg(unix)]
fn tuskc_umask_022(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tuskc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A replaced file keeps its mode exactly, past the umask: `fmt` and `build -o` (one writer for every command).
#[cfg(unix)]
#[test]
fn replaced_files_keep_group_write_past_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let f = tmp.path().join("x.tsk");
    std::fs::write(&f, "a:1\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o664)).unwrap();
    let o = tuskc_umask_022(tmp.path(), &["fmt", "x.tsk"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "a: 1\n");
    assert_eq!(mode(&f), 0o664);

    let out = tmp.path().join("out.json");
    std::fs::write(&out, "old\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o664)).unwrap();
    let o = tuskc_umask_022(tmp.path(), &["build", "x.tsk", "-o", "out.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\n  \"a\": 1\n}\n");
    assert_eq!(mode(&out), 0o664);

    // A new file is 0644 less the umask, as before.
    let o = tuskc_umask_022(tmp.path(), &["build", "x.tsk", "-o", "new.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(mode(&tmp.path().join("new.json")), 0o644);
}

/// `fmt DIR` does not follow symlinks: a `ln -s ..` loop finishes, and each file is formatted once (also when two
/// paths name it). A file outside the tree reached by a link is not the user's to rewrite and is left alone.
#[cfg(unix)]
#[test]
fn fmt_walk_does_not_follow_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("proj");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a.tsk"), "a:1\n").unwrap();
    std::fs::write(dir.join("sub/b.tsk"), "b:1\n").unwrap();
    std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("self")).unwrap();
    std::fs::write(tmp.path().join("outside.tsk"), "o:1\n").unwrap();
    std::os::unix::fs::symlink("../outside.tsk", dir.join("link.tsk")).unwrap();
    let o = tuskc(&dir, &["fmt", "--check", ".", "sub"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "a.tsk\nsub/b.tsk\n");
    let o = tuskc(&dir, &["fmt"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("formatted 2 files, 0 already formatted"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("outside.tsk")).unwrap(),
        "o:1\n"
    );
    // Named on the command line, a link is followed as any path is.
    let o = tuskc(&dir, &["fmt", "link.tsk"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("outside.tsk")).unwrap(),
        "o: 1\n"
    );
}

/// `.gitignore`d files are not formatted by `fmt DIR` (in a git repository or not); named explicitly they are.
#[test]
fn fmt_walk_skips_gitignored_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("gen")).unwrap();
    std::fs::write(dir.join(".gitignore"), "gen/\nscratch.tsk\n").unwrap();
    std::fs::write(dir.join("a.tsk"), "a:1\n").unwrap();
    std::fs::write(dir.join("scratch.tsk"), "s:1\n").unwrap();
    std::fs::write(dir.join("gen/out.tsk"), "g:1\n").unwrap();
    let o = tuskc(dir, &["fmt", "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "a.tsk\n");
    let o = tuskc(dir, &["fmt", "--check", "scratch.tsk"]);
    assert_eq!(text(&o.stdout), "scratch.tsk\n");
}

#[test]
fn quoted_directives_are_rewritten_to_the_form_that_means_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("x.txt"), "from a file").unwrap();
    let f = tmp.path().join("c.tsk");
    std::fs::write(
        &f,
        "a: \"@env('TUSKC_FMT_UNSET')\"\nb: \"@env('TUSKC_FMT_UNSET', 'd')\"  # kept\nc: \"@env('TUSKC_FMT_UNSET', 8080)\"\nd: \"@file('x.txt')\"\ne: \"@env is text\"\n",
    )
    .unwrap();
    let before = tuskc(tmp.path(), &["build", "c.tsk"]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before.stderr));
    assert!(
        text(&before.stderr).contains("TSK0318"),
        "{}",
        text(&before.stderr)
    );
    let o = tuskc(tmp.path(), &["fmt", "c.tsk"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "a: @env(\"TUSKC_FMT_UNSET\", \"\")\nb: @env(\"TUSKC_FMT_UNSET\", \"d\")  # kept\nc: @env(\"TUSKC_FMT_UNSET\", 8080)\nd: @file(\"x.txt\")\ne: \"@env is text\"\n"
    );
    let after = tuskc(tmp.path(), &["build", "c.tsk"]);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stderr));
    assert_eq!(text(&after.stdout), text(&before.stdout));
    // The canonical form says what it means: no quoting warning, no unset-variable warning.
    assert_eq!(text(&after.stderr), "");
}
