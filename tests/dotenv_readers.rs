//! dotenv output read back by real readers: python-dotenv (the normative reader), bash (`set -a; . FILE`), the
//! `dotenvy` crate and tuskc's own reader (`drift --actual`, `--env-file`). Every target of every case, corpus
//! fixture and the example project that dotenv can hold, and generated values dense in what dotenv must quote or
//! refuse, must read back in all four as exactly the JSON of the same value flattened (names in order).
//!
//! Needs `/usr/bin/python3` with the module `dotenv` (Debian's `python3-dotenv`; `.ci/test` installs it) and bash.
//! Outside CI a missing reader skips the tests with a message; under `CI=true` it fails them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tuskc::diagnostic::Sink;
use tuskc::emit::read::parse_env_file;
use tuskc::emit::{emit, json_text, Format};
use tuskc::value::{Origin, Value, ValueKind};

/// The system python: the one Debian's `python3-dotenv` installs into (a `python3` on PATH may be another).
const PYTHON: &str = "/usr/bin/python3";

/// Reads `env<TAB>json` path pairs from stdin (the JSON a list of `[name, value]`), loads each file with
/// python-dotenv's defaults (interpolation on) and prints one line per file read otherwise; exits 1 if any was.
const READER: &str = r#"
import json, sys
from dotenv import dotenv_values
bad = 0
for line in sys.stdin:
    env_path, json_path = line.rstrip("\n").split("\t")
    with open(json_path, encoding="utf-8") as f:
        want = [tuple(p) for p in json.load(f)]
    got = list(dotenv_values(env_path, encoding="utf-8").items())
    if got != want:
        print(f"{env_path}: python-dotenv read {got!r}, want {want!r}")
        bad += 1
sys.exit(1 if bad else 0)
"#;

/// Whether python-dotenv and bash are installed. Missing: a failure under `CI=true`, else a skip that says why.
fn readers_available() -> bool {
    let python = Command::new(PYTHON)
        .args(["-c", "import dotenv"])
        .output()
        .is_ok_and(|o| o.status.success());
    let bash = Command::new("bash")
        .args(["-c", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    common::tool_available(
        python && bash,
        &format!(
            "needs bash and {PYTHON} with python-dotenv (Debian: python3-dotenv; .ci/test installs it)"
        ),
    )
}

/// The dotenv name of a key path, as docs/language.md states it (written apart from src/emit.rs on purpose).
fn name(path: &[String]) -> String {
    let mut n: String = path
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if n.starts_with(|c: char| c.is_ascii_digit()) {
        n.insert(0, '_');
    }
    n
}

/// The JSON of a target flattened as dotenv holds it: nested keys joined, leaves as text, arrays and empty objects
/// as compact JSON, null as empty.
fn flatten(j: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<(String, String)>) {
    use serde_json::Value as J;
    let text = match j {
        J::Object(m) if !m.is_empty() || path.is_empty() => {
            for (k, v) in m {
                path.push(k.clone());
                flatten(v, path, out);
                path.pop();
            }
            return;
        }
        J::Null => String::new(),
        J::Bool(b) => b.to_string(),
        // A float is written as tuskc writes floats everywhere (`1e90`, where serde_json would say `1e+90`).
        J::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => tuskc::value::format_float(f),
            _ => n.to_string(),
        },
        J::String(s) => s.clone(),
        J::Array(_) | J::Object(_) => serde_json::to_string(j).unwrap(),
    };
    out.push((name(path), text));
}

fn expected(json: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    flatten(
        &serde_json::from_str(json).unwrap(),
        &mut Vec::new(),
        &mut out,
    );
    out
}

/// What bash sees after `set -a; . FILE`, for the given names.
fn bash_reads(path: &Path, names: &[&str]) -> Result<Vec<String>, String> {
    let mut args = vec![
        "-c".to_string(),
        r#"set -a; . "$1" || exit 3; shift; for n in "$@"; do printf '%s\0' "${!n}"; done"#
            .to_string(),
        "bash".to_string(),
        path.display().to_string(),
    ];
    args.extend(names.iter().map(|n| n.to_string()));
    let out = Command::new("bash")
        .env_clear()
        .args(&args)
        .output()
        .unwrap();
    if !out.status.success() || !out.stderr.is_empty() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let mut values: Vec<String> = text.split('\0').map(str::to_string).collect();
    values.pop();
    Ok(values)
}

/// Reads every (label, dotenv, JSON) with all four readers: their complaints.
fn read_back(dir: &Path, outputs: &[(String, String, String)]) -> Vec<String> {
    let mut complaints = Vec::new();
    let mut list = String::new();
    for (i, (label, env, json)) in outputs.iter().enumerate() {
        let want = expected(json);
        let (e, j) = (
            dir.join(format!("{i:04}.env")),
            dir.join(format!("{i:04}.json")),
        );
        std::fs::write(&e, env).unwrap();
        std::fs::write(&j, serde_json::to_string(&want).unwrap()).unwrap();
        list.push_str(&format!("{}\t{}\n", e.display(), j.display()));

        let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
        let values: Vec<String> = want.iter().map(|(_, v)| v.clone()).collect();
        match bash_reads(&e, &names) {
            Ok(got) if got == values => {}
            Ok(got) => complaints.push(format!(
                "{label}: bash read {got:?}, want {values:?}\n{env}"
            )),
            Err(why) => complaints.push(format!("{label}: bash cannot source it: {why}\n{env}")),
        }
        let dotenvy: Result<Vec<(String, String)>, _> =
            dotenvy::from_read_iter(env.as_bytes()).collect();
        match dotenvy {
            Ok(got) if got == want => {}
            got => complaints.push(format!(
                "{label}: dotenvy read {got:?}, want {want:?}\n{env}"
            )),
        }
        let mut sink = Sink::default();
        let got = parse_env_file(env, tuskc::source::FileId(0), &mut sink);
        if got != want || sink.error_count() > 0 {
            complaints.push(format!(
                "{label}: tuskc's reader read {got:?}, want {want:?}\n{env}"
            ));
        }
    }
    complaints.extend(common::python_complaint(PYTHON, READER, &[], &list));
    complaints
}

#[test]
fn every_case_reads_back_the_same_in_python_dotenv_bash_dotenvy_and_tuskc() {
    if !readers_available() {
        return;
    }
    let outputs = common::built_outputs(Format::Dotenv);
    assert!(outputs.len() > 50, "only {} targets built", outputs.len());
    let dir = tempfile::tempdir().unwrap();
    let complaints = read_back(dir.path(), &outputs);
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}

/// Text dense in what dotenv must quote, escape or refuse: quotes, backslashes, `$`, `${`, backticks, `#`, `=`,
/// spaces, newlines, CR, NUL, other controls, DEL, NEL, LS, non-ASCII.
fn awkward_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[\\x00-\\x1f\\x7f\u{85}\u{a0}\u{2028}\u{e9}\u{1F600}\"'\\\\$`#={}!*?;&|<>() -]{1,4}",
        1 => prop::sample::select(vec!["${HOME}", "$HOME", "`id`", " #x", "\\n", "'", "\""]).prop_map(str::to_string),
        3 => "[a-zA-Z0-9_./:@%+,-]{1,8}",
    ];
    prop::collection::vec(piece, 0..4).prop_map(|p| p.concat())
}

fn value_tree() -> impl Strategy<Value = Value> {
    let o = Origin {
        file: tuskc::source::FileId(0),
        span: Default::default(),
        layer: tuskc::value::LayerRef::BASE,
    };
    let leaf = prop_oneof![
        1 => Just(ValueKind::Null),
        1 => any::<bool>().prop_map(ValueKind::Bool),
        1 => any::<i64>().prop_map(ValueKind::Int),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(ValueKind::Float),
        6 => awkward_text().prop_map(ValueKind::String),
        1 => "[a-z/]{1,12}".prop_map(ValueKind::Secret),
    ]
    .prop_map(move |k| Value::new(k, o));
    let tree = leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(move |a| Value::new(ValueKind::Array(a), o)),
            prop::collection::vec(("[a-z]{1,3}|[a-z .-]{0,4}|[\u{e9}A-Z_]{1,2}", inner), 0..4)
                .prop_map(move |kv| {
                    let m = kv
                        .into_iter()
                        .map(|(k, v)| (k.into(), v))
                        .collect::<tuskc::value::Map<_>>();
                    Value::new(ValueKind::Object(Box::new(m)), o)
                }),
        ]
    });
    // Top-level keys `t0`, `t1`, ...: no generated name is one of bash's own variables (`UID`, `_`, `RANDOM`).
    prop::collection::vec(tree, 1..5).prop_map(move |items| {
        let m = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("t{i}").into(), v))
            .collect::<tuskc::value::Map<_>>();
        Value::new(ValueKind::Object(Box::new(m)), o)
    })
}

/// Generated trees that dotenv output holds (the rest are refused with a diagnostic, never written): read back by
/// every reader as exactly their flattened JSON.
#[test]
fn generated_values_read_back_the_same_in_every_reader() {
    if !readers_available() {
        return;
    }
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(value_tree(), 1..12), |trees| {
        let outputs: Vec<_> = trees
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                emit(v, Format::Dotenv)
                    .ok()
                    .map(|env| (format!("tree{i}"), env, json_text(v)))
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let complaints = read_back(dir.path(), &outputs);
        prop_assert!(complaints.is_empty(), "{}", complaints.join("\n"));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
