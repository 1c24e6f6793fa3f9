//! Data-driven tests: every `tests/cases/**/*.tsk` is compiled for each of its targets, and the rendered
//! diagnostics (no colour) and the JSON output of each target are snapshotted together.
//!
//! Header lines steer a case: `#! vars: NAME=VALUE ...` (the only @env inputs; the process environment is never
//! read), `#! format: toml|yaml|dotenv|json` (emit format), `#! set: KEY=VALUE` (a --set override).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tuskc::driver::Session;
use tuskc::emit::{emit, Format};

fn header<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|l| {
            l.strip_prefix("#! ")
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix(':'))
        })
        .flat_map(|l| l.split_whitespace())
        .collect()
}

pub fn run_case(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let format = match header(&text, "format").first().copied() {
        Some("toml") => Format::Toml,
        Some("yaml") => Format::Yaml,
        Some("dotenv") => Format::Dotenv,
        _ => Format::Json,
    };
    let vars: Vec<String> = header(&text, "vars")
        .iter()
        .map(|s| s.to_string())
        .collect();
    let sets: Vec<String> = header(&text, "set").iter().map(|s| s.to_string()).collect();
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
    format!(
        "== diagnostics ==\n{}{out}",
        tuskc::render::human(&diags, &session.sources, false)
    )
}

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
}
