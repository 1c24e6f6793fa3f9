//! Helpers shared by test files.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use tuskc::diagnostic::Diagnostic;
use tuskc::driver::Session;

/// Compile `text` as a one-file project in `dir`, building every target; the diagnostics and their rendering.
pub fn compile(dir: &std::path::Path, text: &str) -> (Vec<Diagnostic>, String) {
    let file = dir.join("case.tsk");
    std::fs::write(&file, text).unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    for target in session.all_targets(&program) {
        session.build(&program, &target, None, &inputs);
    }
    let diags = session.take_diagnostics();
    // The temporary directory's name changes every run: show it as `<tmp>` so snapshots are stable.
    let text = tuskc::diagnostic::render::human(&diags, &session.sources, false)
        .replace(&dir.display().to_string(), "<tmp>");
    (diags, text)
}

/// Copy a directory tree (a fixture project into a temporary directory).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Run the real `tuskc` in `dir` with a clean environment: no colour, no identity, none of the example's `@env`
/// variables (so results never depend on the shell the tests run from).
pub fn tuskc_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tuskc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TUSKC_IDENTITY")
        .env_remove("SHOP_RELEASE")
        .env_remove("API_DB_PORT")
        .env_remove("SMTP_HOST")
        .env_remove("SMTP_PORT")
        .output()
        .unwrap()
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether a tool a test drives is there. Missing: a failure under `CI=true` (CI installs it), else a skip that says
/// why (`why` names the tool and how to get it).
pub fn tool_available(found: bool, why: &str) -> bool {
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        // The test harness owns stderr; a closed pipe is not a case here.
        #[allow(clippy::disallowed_macros)]
        {
            eprintln!("skipped: this test {why}");
        }
    }
    found
}

/// `#! key: a b` header lines of a case: the words after `key:` (how tests/cases.rs steers a case).
pub fn case_header(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("#! ")
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix(':'))
        })
        .flat_map(|l| l.split_whitespace())
        .map(str::to_string)
        .collect()
}

/// The `.tsk` files below `dir` (but `lib/` folders, which cases `use`), sorted.
pub fn case_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && p.file_name().is_some_and(|n| n != "lib") {
            case_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "tsk") {
            out.push(p);
        }
    }
}

/// Every target that builds without errors, of every case, corpus fixture and of the example project: its name and
/// its value tree (what the output-format readers' tests write in each format).
pub fn built_values() -> Vec<(String, tuskc::value::Value)> {
    use std::path::Path;
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut paths = Vec::new();
    case_files(Path::new("tests/cases"), &mut paths);
    case_files(Path::new("tests/fixtures/tusklang-corpus"), &mut paths);
    paths.push("examples/shop".into());
    let mut values = Vec::new();
    for path in paths {
        let text = if path.is_file() {
            std::fs::read_to_string(&path).unwrap()
        } else {
            String::new()
        };
        let mut session = Session::open(&path).unwrap();
        let overrides = session.overrides(&case_header(&text, "set"));
        let inputs = session.env_inputs(&case_header(&text, "vars"), &[], false);
        let entries = if path.is_dir() {
            session.project.entries.clone()
        } else {
            vec![path.clone()]
        };
        for entry in entries {
            let Some(program) = session.load(&entry) else {
                continue;
            };
            for target in session.all_targets(&program) {
                let errors = session.sink.error_count();
                let built = session.build(&program, &target, overrides.as_ref(), &inputs);
                if let Some((_, v)) =
                    built.filter(|_| !program.has_errors && session.sink.error_count() == errors)
                {
                    values.push((format!("{} {target}", entry.display()), v));
                }
            }
        }
    }
    values
}

/// Every file below `dir`, at any depth (unordered).
pub fn files_below(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every target [`built_values`] gives that `format` can hold: its name, its text in `format`, and its JSON.
pub fn built_outputs(format: tuskc::emit::Format) -> Vec<(String, String, String)> {
    use tuskc::emit::{emit, Format};
    built_values()
        .into_iter()
        .filter_map(
            |(name, v)| match (emit(&v, format), emit(&v, Format::Json)) {
                (Ok(text), Ok(json)) => Some((name, text, json)),
                _ => None,
            },
        )
        .collect()
}

/// Run `cmd` with `input` on stdin, its output captured. A command that exits without reading stdin (one that
/// refuses its arguments) may close the pipe under the write: that is its answer, not a test failure.
#[allow(dead_code)] // each test crate uses what it needs of this module
pub fn run_with_stdin(cmd: &mut std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {cmd:?}: {e} (.ci/test installs the tools tests drive)")
        });
    let mut stdin = child.stdin.take().unwrap();
    match stdin.write_all(input) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            panic!("writing stdin of {cmd:?}: {e}")
        }
        _ => {}
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// Run `python -c script args...` with `input` on stdin: `None` when it exits 0, else what it printed.
pub fn python_complaint(python: &str, script: &str, args: &[&str], input: &str) -> Option<String> {
    let out = run_with_stdin(
        std::process::Command::new(python)
            .args(["-c", script])
            .args(args),
        input.as_bytes(),
    );
    (!out.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// How [`transcript`] builds a project's targets.
#[derive(Clone, Copy, Debug)]
pub enum Way {
    /// Each target's whole value tree, emitted (`Session::build`).
    Whole,
    /// Each target streamed on its own (`Session::build_text`): nothing reused from other targets.
    Streamed,
    /// All targets at once on this many threads (`Session::build_texts`, what `build --all` does): later targets
    /// reuse what earlier ones wrote.
    All(usize),
    /// All targets checked at once on this many threads (`Session::check_targets`, what `check` does): no text,
    /// only whether each failed.
    Checked(usize),
}

/// One transcript of building every target of `file` in one session: each target's JSON ("(failed)" when it has
/// none; for [`Way::Checked`], "(checked)" or "(failed)"), and the rendered diagnostics. Every way must give the
/// same diagnostics, and every way but `Checked` the same texts.
pub fn transcript(file: &std::path::Path, way: Way) -> (String, String) {
    use tuskc::emit::Format;
    let mut session = Session::open(file).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    let mut out = String::new();
    if let Some(program) = session.load(file) {
        let targets = session.all_targets(&program);
        let failed = "(failed)\n";
        match way {
            Way::Whole | Way::Streamed => {
                for t in &targets {
                    let text = if matches!(way, Way::Streamed) {
                        session.build_text(&program, t, None, &inputs, Format::Json, 0)
                    } else {
                        let errors = session.sink.error_count();
                        session
                            .build(&program, t, None, &inputs)
                            .filter(|_| !program.has_errors && session.sink.error_count() == errors)
                            .map(|(_, v)| tuskc::emit::emit(&v, Format::Json).unwrap())
                    };
                    out.push_str(text.as_deref().unwrap_or(failed));
                }
            }
            Way::All(jobs) => {
                session.build_texts(
                    &program,
                    &targets,
                    None,
                    &inputs,
                    Format::Json,
                    jobs,
                    |_, text| text,
                    |_, _, text| {
                        out.push_str(text.as_deref().unwrap_or(failed));
                    },
                );
            }
            Way::Checked(jobs) => {
                // A target of a program with errors fails (as `build` has no text for it); `check` reports those
                // errors once, before the targets.
                let broken = program.has_errors;
                session.check_targets(
                    &program,
                    &targets,
                    None,
                    &inputs,
                    jobs,
                    None,
                    |_, _, bad| {
                        out.push_str(if bad || broken { failed } else { "(checked)\n" });
                    },
                );
            }
        }
    }
    let diags = session.take_diagnostics();
    (
        out,
        tuskc::diagnostic::render::human(&diags, &session.sources, false),
    )
}

/// Whether the real `age` and `age-keygen` run (the secrets tests' interop partner); if not, a skip that says why (a
/// failure under `CI=true`).
pub fn have_age() -> bool {
    let runs = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    tool_available(
        runs("age") && runs("age-keygen"),
        "needs `age` and `age-keygen` on PATH (Debian package `age`; .ci/test installs it)",
    )
}

/// The peers' workload generator, vendored (bench/peers/gen.py): the typed workload and its expected JSON, computed
/// in Python (tests/oracle.rs, tests/typed_workload.rs).
pub const GEN_PY: &str = "bench/peers/gen.py";

/// Whether python3 runs (to run [`GEN_PY`]); if not, a skip that says why (a failure under `CI=true`).
pub fn have_python() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    tool_available(
        found,
        "needs python3 on PATH to run bench/peers/gen.py (standard library only)",
    )
}

/// [`GEN_PY`]'s workload for S services × P parameters (optionally with a planted error, `--bad KIND`) in
/// `dir/name`; the workload's folder.
pub fn gen_py(
    dir: &std::path::Path,
    name: &str,
    s: usize,
    p: usize,
    bad: Option<&str>,
) -> std::path::PathBuf {
    let out = dir.join(name);
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GEN_PY))
        .arg(&out)
        .args(["-S", &s.to_string(), "-P", &p.to_string()]);
    if let Some(bad) = bad {
        cmd.args(["--bad", bad]);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "gen.py failed: {}", stderr(&o));
    out
}

/// Every file under `dir` (none if it does not exist), by path relative to it, with its bytes, in path order.
pub fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}
