//! The peers' typed workload has two generators: `bench/peers/gen.py` (the peers' files and the expected JSON,
//! computed in Python) and `benches/support/typed.rs` (the tuskc half, for the criterion benches and
//! `cargo run --example gen -- --typed`). They must write the same `config.tsk` for the same sizes and `--bad`
//! variants, and `tuskc build --all` on it must give gen.py's `expected-all.json`.
//!
//! Needs `python3` on PATH (the standard library only; `.ci/test` installs it). Outside CI a missing python skips the
//! tests with a message; under `CI=true` it fails them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "../benches/support/typed.rs"]
mod typed;

use std::path::Path;

use serde_json::{Map, Value};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Rust generator writes gen.py's `tuskc/config.tsk` byte for byte: small and odd sizes (the `sample` of few
/// keys from a small pool and from a large one), the benchmark's 10 × 100, and every `--bad` variant.
#[test]
fn rust_generator_writes_gen_py_text() {
    if !common::have_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(usize, usize, Option<&str>)] = &[
        (1, 1, None),
        (3, 7, None),
        (7, 60, None),
        (10, 100, None),
        (2, 250, None),
        (10, 100, Some("range")),
        (10, 100, Some("enum")),
        (3, 20, Some("regex")),
    ];
    for (i, &(s, p, bad)) in cases.iter().enumerate() {
        let out = common::gen_py(dir.path(), &format!("w{i}"), s, p, bad);
        let py = std::fs::read_to_string(out.join("tuskc/config.tsk")).unwrap();
        let rs = typed::config(s, p, bad.and_then(typed::Bad::parse)).unwrap();
        if py != rs {
            let line = py
                .lines()
                .zip(rs.lines())
                .position(|(a, b)| a != b)
                .map_or(py.lines().count().min(rs.lines().count()), |n| n);
            panic!(
                "-S {s} -P {p} --bad {bad:?}: texts differ at line {}:\n  gen.py: {:?}\n  typed.rs: {:?}",
                line + 1,
                py.lines().nth(line),
                rs.lines().nth(line)
            );
        }
    }
}

/// Where gen.py itself fails (`--bad regex` with no identifier field in svc0000), the Rust generator errors too.
#[test]
fn bad_without_a_field_of_its_kind_is_an_error() {
    assert!(typed::config(2, 3, Some(typed::Bad::Regex)).is_err());
    assert!(typed::config(0, 100, Some(typed::Bad::Range)).is_err());
    assert!(typed::config(2, 3, Some(typed::Bad::Range)).is_ok());
}

/// `tuskc build --all` on the Rust generator's file gives gen.py's `expected-all.json` (as JSON values).
#[test]
fn build_all_equals_expected_all() {
    if !common::have_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = common::gen_py(dir.path(), "w", 10, 100, None);
    let project = dir.path().join("rs");
    typed::write(&project, 10, 100, None).unwrap();
    let o = common::tuskc_in(
        &project,
        &["build", "config.tsk", "--all", "--out-dir", "out"],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let mut all = Map::new();
    for env in ["development", "staging", "production"] {
        let mut per = Map::new();
        for provider in ["aws", "azure", "gcp"] {
            let file = project.join(format!("out/{env}/{provider}/config.json"));
            let text = std::fs::read_to_string(&file).unwrap();
            per.insert(provider.into(), serde_json::from_str(&text).unwrap());
        }
        all.insert(env.into(), Value::Object(per));
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("expected-all.json")).unwrap())
            .unwrap();
    assert!(
        Value::Object(all) == expected,
        "build --all differs from expected-all.json"
    );
}

/// The fuzz targets' seeds (fuzz/seeds): the hand-written schema seed and the typed workload's 2 × 12 build clean,
/// the `--bad range` one fails on its planted value only; the typed seeds are the generator's current text.
#[test]
fn fuzz_seeds_are_current_and_check_as_expected() {
    let seeds = repo().join("fuzz/seeds");
    let read = |name: &str| std::fs::read_to_string(seeds.join(name)).unwrap();
    assert_eq!(
        read("typed.tsk"),
        typed::config(2, 12, None).unwrap(),
        "regenerate: cargo run --example gen -- --typed --services 2 --params 12 --out DIR"
    );
    assert_eq!(
        read("typed-bad-range.tsk"),
        typed::config(2, 12, Some(typed::Bad::Range)).unwrap()
    );
    let dir = tempfile::tempdir().unwrap();
    for name in ["schemas.tsk", "typed.tsk"] {
        let (diags, text) = common::compile(dir.path(), &read(name));
        assert!(diags.is_empty(), "{name}:\n{text}");
    }
    let (diags, text) = common::compile(dir.path(), &read("typed-bad-range.tsk"));
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["TSK0504"], "{text}");
    // The dictionary: comments and one quoted token a line.
    for line in std::fs::read_to_string(repo().join("fuzz/tsk.dict"))
        .unwrap()
        .lines()
    {
        assert!(
            line.starts_with('#')
                || (line.len() >= 2 && line.starts_with('"') && line.ends_with('"')),
            "fuzz/tsk.dict: {line}"
        );
    }
}
