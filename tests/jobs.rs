//! `build --all` and `check` build targets on several threads (`--jobs`, default one per core): whatever the
//! number, the files written, the diagnostics and the exit code are those of building the targets one after
//! another. Held for every case project and the bundled example, with errors, warnings and failing targets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

fn projects() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                // `lib/` folders hold modules the cases `use`, not cases.
                if p.file_name().is_some_and(|n| n != "lib") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|e| e == "tsk") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![root.join("examples/shop")];
    walk(&root.join("tests/cases"), &mut out);
    out
}

/// What a run shows: exit code, stdout, stderr, and (for `build`) the files it wrote under `out`.
type Shown = (Option<i32>, String, String, Vec<(PathBuf, Vec<u8>)>);

fn run(project: &Path, args: &[&str]) -> Shown {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![args[0], project.to_str().unwrap()];
    all.extend(&args[1..]);
    let o = common::tuskc_in(dir.path(), &all);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        common::files_under(&dir.path().join("out")),
    )
}

#[test]
fn build_all_is_the_same_on_any_number_of_threads() {
    let mut failing = 0;
    for project in projects() {
        for format in ["json", "yaml"] {
            let one = run(
                &project,
                &[
                    "build",
                    "--all",
                    "--out-dir",
                    "out",
                    "-f",
                    format,
                    "-j",
                    "1",
                ],
            );
            for jobs in ["2", "5"] {
                let many = run(
                    &project,
                    &[
                        "build",
                        "--all",
                        "--out-dir",
                        "out",
                        "-f",
                        format,
                        "-j",
                        jobs,
                    ],
                );
                assert_eq!(one, many, "{} -f {format} -j {jobs}", project.display());
            }
            failing += usize::from(one.0 != Some(0));
        }
    }
    // The cases include failing projects: the comparison covers diagnostics merged from several threads.
    assert!(failing > 10, "only {failing} failing builds");
}

#[test]
fn check_is_the_same_on_any_number_of_threads() {
    let keep = tempfile::tempdir().unwrap();
    let schema = keep.path().join("schema.json");
    std::fs::write(&schema, r#"{"type": "object", "maxProperties": 3}"#).unwrap();
    for project in projects() {
        for extra in [
            &[][..],
            &["--json-schema", schema.to_str().unwrap()][..],
            &["--message-format", "json"][..],
        ] {
            let mut args = vec!["check"];
            args.extend(extra);
            let one = run(&project, &[&args[..], &["-j", "1"]].concat());
            let many = run(&project, &[&args[..], &["-j", "3"]].concat());
            assert_eq!(one, many, "{} {extra:?}", project.display());
        }
    }
}

#[test]
fn jobs_must_be_a_positive_number() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = common::tuskc_in(root, &["check", "examples/shop", "-j", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--jobs"));
}

/// Building every target at once (later targets reuse the text of fields earlier ones wrote: `driver/reuse.rs`)
/// gives each target the text and the diagnostics it gets built on its own, and checking them at once (nothing
/// written, reused the same way) the diagnostics of building each whole tree: for every case project and the
/// example, on one thread and on several.
#[test]
fn targets_built_together_are_what_each_is_alone() {
    use common::{transcript, Way};
    for project in projects() {
        let file = if project.is_dir() {
            project.join("shop.tsk")
        } else {
            project.clone()
        };
        let (alone, alone_diags) = transcript(&file, Way::Streamed);
        let (whole, whole_diags) = transcript(&file, Way::Whole);
        assert_eq!(
            (&alone, &alone_diags),
            (&whole, &whole_diags),
            "{}",
            file.display()
        );
        for jobs in [1, 3] {
            let together = transcript(&file, Way::All(jobs));
            assert_eq!(
                (&alone, &alone_diags),
                (&together.0, &together.1),
                "{} -j {jobs}",
                file.display()
            );
            let (marks, checked) = transcript(&file, Way::Checked(jobs));
            assert_eq!(alone_diags, checked, "{} check -j {jobs}", file.display());
            let failed = |t: &str| t.matches("(failed)\n").count();
            assert_eq!(
                failed(&alone),
                failed(&marks),
                "{} check -j {jobs}",
                file.display()
            );
        }
    }
}

/// A value that cannot be written in the format asked for is a problem of the targets it is in, named as any other
/// (the JSON `targets`, the human "in ..." note).
#[test]
fn an_unwritable_value_names_its_targets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.tsk"),
        "env dev {}\nenv prod {}\nprovider aws {}\nx_y { z: 1 }\nenv prod { x { y_z: 2 } }\n",
    )
    .unwrap();
    let o = common::tuskc_in(
        dir.path(),
        &[
            "build",
            "p.tsk",
            "--all",
            "--out-dir",
            "out",
            "-f",
            "dotenv",
            "--message-format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    let line = text.lines().find(|l| l.contains("TSK0402")).expect(&text);
    let d: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(d["targets"], serde_json::json!(["prod/aws"]), "{line}");
    assert!(dir.path().join("out/dev/aws/p.env").exists());
}

/// With several entries, `check` names a failing target with its entry, as `build --all` does.
#[test]
fn check_names_the_entry_of_a_failing_target() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tuskc.toml"),
        "[project]\nentries = [\"a.tsk\", \"b.tsk\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.tsk"), "env prod {}\nx: 1\n").unwrap();
    std::fs::write(dir.path().join("b.tsk"), "env prod { y: $nope }\nx: 1\n").unwrap();
    let o = common::tuskc_in(dir.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("failing targets: prod/- (b.tsk)"), "{err}");
}

/// A long file (cut into parts and parsed on several threads with more than one job): the same files, messages and
/// exit code as on one thread, clean and with mistakes of every kind around the places it may be cut (an unclosed
/// list, a `"""` string over lines that could start an item, a bad character, a mistake in the last part).
#[test]
fn a_long_file_builds_the_same_on_any_number_of_threads() {
    let mut clean =
        String::from("schema Svc {\n  port: int(1..65535)\n  host: string\n  tags: [string]\n}\n");
    for i in 0..4000 {
        clean.push_str(&format!(
            "## service {i}\n[svc{i}: Svc]\nport: {}\nhost: \"h{i}.example\"\ntags: [\"a\", \"b{i}\"]\n\n",
            1000 + i
        ));
    }
    clean
        .push_str("env production {\n  svc7.port: 8\n}\nprovider aws {\n  svc8.host: \"aws\"\n}\n");
    assert!(clean.len() > 3 * 64 * 1024, "long enough to be cut");
    let lines: Vec<&str> = clean.lines().collect();
    let n = lines.len();
    let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    broken[n / 5] = "tags: [\"unclosed\"".into();
    // A string over more than a part's length: some cut falls inside it.
    broken[2 * n / 5] = "note: \"\"\"".into();
    broken[2 * n / 5 + 6000] = "\"\"\"".into();
    broken[3 * n / 5] = "port: 5 ~".into();
    broken[n - 3] = "  svc8.host: ]".into();
    let broken = broken.join("\n");
    for (name, text) in [("clean", clean), ("broken", broken)] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("long.tsk");
        std::fs::write(&file, text).unwrap();
        for command in [
            &["build", "--all", "--out-dir", "out"][..],
            &["check"],
            &[
                "build",
                "-e",
                "production",
                "-p",
                "aws",
                "-o",
                "out/one.json",
            ],
        ] {
            let args = |jobs: &'static str| {
                let mut a = command.to_vec();
                a.extend(["-j", jobs, "--color", "never"]);
                a
            };
            let one = run(&file, &args("1"));
            let many = run(&file, &args("3"));
            assert_eq!(one, many, "{name}: {command:?}");
            assert_eq!(
                one.0 == Some(0),
                name == "clean",
                "{name}: {command:?}: {}",
                one.2
            );
        }
    }
}
