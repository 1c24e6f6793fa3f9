//! Data-driven tests: every `tests/cases/**/*.tsk` is compiled for each of its targets, and the rendered
//! diagnostics (no colour) and the JSON output of each target are snapshotted together.
//!
//! Header lines steer a case: `#! vars: NAME=VALUE ...` (the only @env inputs; the process environment is never
//! read), `#! format: toml|yaml|dotenv|json` (emit format), `#! set: KEY=VALUE` (a --set override).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::case_header as header;

use tuskc::driver::Session;
use tuskc::emit::{emit, Format};

pub fn run_case(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let format = match header(&text, "format").first().map(String::as_str) {
        Some("toml") => Format::Toml,
        Some("yaml") => Format::Yaml,
        Some("dotenv") => Format::Dotenv,
        _ => Format::Json,
    };
    let vars = header(&text, "vars");
    let sets = header(&text, "set");
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path);
    let mut session = Session::open(rel).unwrap();
    let overrides = session.overrides(&sets);
    let inputs = session.env_inputs(&vars, &[], false);
    let program = session.load(rel).unwrap();
    let mut out = String::new();
    for target in session.all_targets(&program) {
        out.push_str(&format!("== {target} ==\n"));
        let errors = session.sink.error_count();
        match session.build(&program, &target, overrides.as_ref(), &inputs) {
            Some(_) if session.sink.error_count() > errors => out.push_str("(failed)\n"),
            Some((_, v)) => match emit(&v, format) {
                Ok(t) => out.push_str(&t),
                Err(ds) => {
                    out.push_str("(not representable)\n");
                    session.sink.extend(ds)
                }
            },
            None => out.push_str("(failed)\n"),
        }
    }
    let diags = session.take_diagnostics();
    let rendered = tuskc::diagnostic::render::human(&diags, &session.sources, false);
    let mut unhelped = WITHOUT_HELP.lock().unwrap();
    for d in diags
        .iter()
        .filter(|d| d.help.as_deref().is_none_or(str::is_empty))
    {
        unhelped.push(format!("{}: [{}] {}", rel.display(), d.code, d.message));
    }
    format!("== diagnostics ==\n{rendered}{out}")
}

/// The diagnostics of the cases rendered without a help line (`run_case` collects them; `cases` fails on any):
/// every diagnostic says what to do.
static WITHOUT_HELP: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[test]
fn cases() {
    // The working directory is the crate root, so file names in diagnostics are stable (`tests/cases/...`).
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    insta::glob!("cases/**/*.tsk", |path| {
        if path.components().any(|c| c.as_os_str() == "lib") {
            return; // modules used by other cases, not cases themselves
        }
        insta::assert_snapshot!(run_case(path));
    });
    let unhelped = std::mem::take(&mut *WITHOUT_HELP.lock().unwrap());
    assert!(
        unhelped.is_empty(),
        "diagnostics without a help:\n{}",
        unhelped.join("\n")
    );
}

/// Every target of `path` (a case file or a project directory) written as JSON twice: by building the whole value
/// tree and emitting it, and by `Session::build_text`, which streams (src/stream.rs). Returns the two transcripts:
/// each target's text (or "(failed)") and the rendered diagnostics.
fn whole_and_streamed(path: &Path, vars: &[String], sets: &[String], redact: bool) -> [String; 2] {
    [false, true].map(|streamed| {
        let mut session = Session::open(path).unwrap();
        if redact {
            session.secrets.mode = tuskc::secrets::SecretMode::Redact;
        }
        let overrides = session.overrides(sets);
        let inputs = session.env_inputs(vars, &[], false);
        let entries = if path.is_dir() {
            session.project.entries.clone()
        } else {
            vec![path.to_path_buf()]
        };
        let mut out = String::new();
        for entry in entries {
            let Some(program) = session.load(&entry) else {
                out.push_str("(not loaded)\n");
                continue;
            };
            for target in session.all_targets(&program) {
                out.push_str(&format!("== {} {target} ==\n", entry.display()));
                let text = if streamed {
                    session.build_text(
                        &program,
                        &target,
                        overrides.as_ref(),
                        &inputs,
                        Format::Json,
                        0,
                    )
                } else {
                    let errors = session.sink.error_count();
                    session
                        .build(&program, &target, overrides.as_ref(), &inputs)
                        .filter(|_| !program.has_errors && session.sink.error_count() == errors)
                        .map(|(_, v)| emit(&v, Format::Json).unwrap())
                };
                out.push_str(text.as_deref().unwrap_or("(failed)\n"));
            }
        }
        let diags = session.take_diagnostics();
        format!(
            "{}{out}",
            tuskc::diagnostic::render::human(&diags, &session.sources, false)
        )
    })
}

/// Streaming a target must not change a byte of its output or of its diagnostics: every case, fixture and example,
/// with secrets as references and redacted. (tests/cases/schema/streaming.tsk exercises every way a check splits.)
#[test]
fn streamed_json_is_the_whole_tree_json() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    common::case_files(Path::new("tests/cases"), &mut paths);
    common::case_files(Path::new("tests/fixtures/tusklang-corpus"), &mut paths);
    for dir in [
        "examples/shop",
        "tests/fixtures/shop-broken",
        "tests/fixtures/secrets-app",
    ] {
        paths.push(dir.into());
    }
    assert!(paths.len() > 40, "{paths:?}");
    for path in paths {
        let text = if path.is_file() {
            std::fs::read_to_string(&path).unwrap()
        } else {
            String::new()
        };
        let vars = header(&text, "vars");
        let sets = header(&text, "set");
        for redact in [false, true] {
            let [whole, streamed] = whole_and_streamed(&path, &vars, &sets, redact);
            assert!(whole.contains("=="), "{}: nothing built", path.display());
            assert_eq!(whole, streamed, "{} (redact: {redact})", path.display());
        }
    }
}

/// A diagnostic as compared across compiles: code, message and primary place (file number, byte).
type Found = (String, String, Option<(u32, u32)>);

/// The schema diagnostics (TSK05xx) one compile of `path` reports, streamed (`build_text`) or whole (`build`): code,
/// message and primary place.
fn schema_diagnostics(path: &Path, streamed: bool) -> Vec<Found> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut session = Session::open(path).unwrap();
    let overrides = session.overrides(&header(&text, "set"));
    let inputs = session.env_inputs(&header(&text, "vars"), &[], false);
    let Some(program) = session.load(path) else {
        return Vec::new();
    };
    for target in session.all_targets(&program) {
        if streamed {
            let o = overrides.as_ref();
            session.build_text(&program, &target, o, &inputs, Format::Json, 0);
        } else {
            session.build(&program, &target, overrides.as_ref(), &inputs);
        }
    }
    session
        .take_diagnostics()
        .into_iter()
        .filter(|d| d.code.as_str().starts_with("TSK05"))
        .map(|d| {
            let at = d.labels.iter().find(|l| l.primary);
            let at = at.map(|l| (l.file.0, l.span.start));
            (d.code.as_str().to_string(), d.message, at)
        })
        .collect()
}

/// Adding an independent mistake to a case (a new section whose key refers to nothing) never removes a schema
/// diagnostic the case had, in the whole-tree check or the streamed build: a value that fails to evaluate hides
/// nothing else of its target (issue 18, point 19). Cases whose root schema is closed (the new section is then an
/// unknown field, which rightly stops the root's `assert`s) are left out.
#[test]
fn an_undefined_reference_hides_no_schema_diagnostic() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("cases");
    common::copy_dir(Path::new("tests/cases"), &root);
    let mut paths = Vec::new();
    common::case_files(&root, &mut paths);
    let mut compared = 0;
    for path in paths {
        for streamed in [false, true] {
            let before = schema_diagnostics(&path, streamed);
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(
                &path,
                format!("{text}\n[zz_point19]\nbroken: zz_undefined_19\n"),
            )
            .unwrap();
            let after = schema_diagnostics(&path, streamed);
            std::fs::write(&path, &text).unwrap();
            if after.iter().any(|(_, m, _)| m.contains("zz_point19")) {
                continue;
            }
            compared += usize::from(!before.is_empty());
            for d in &before {
                assert!(
                    after.contains(d),
                    "{} (streamed: {streamed}): {d:?} is gone once another value fails",
                    path.display()
                );
            }
        }
    }
    assert!(
        compared >= 10,
        "only {compared} cases with schema diagnostics compared"
    );
}
