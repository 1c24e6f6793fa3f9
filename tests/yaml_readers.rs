//! YAML output read back by real readers: PyYAML (a YAML 1.1 reader) and ruamel.yaml (YAML 1.2). Every target of
//! every case, corpus fixture and the example project, and generated values dense in what YAML must quote or
//! escape, must load in both to exactly the JSON of the same value (floats compared as numbers, keys in order).
//!
//! Needs `/usr/bin/python3` with the modules `yaml` and `ruamel.yaml` (Debian's `python3-yaml` and
//! `python3-ruamel.yaml`; `.ci/test` installs them). Outside CI a missing reader skips the tests with a message;
//! under `CI=true` it fails them. One python process per reader reads all the files of a test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tuskc::emit::{json_text, yaml_text, Format};
use tuskc::value::{Origin, Value, ValueKind};

/// The system python: the one Debian's reader packages install into (a `python3` on PATH may be another).
const PYTHON: &str = "/usr/bin/python3";

/// Reads `yaml<TAB>json` path pairs from stdin, loads each YAML file with the reader named in argv[1] and compares
/// it with the JSON; prints one line per file that differs or does not load, and exits 1 if any did.
const READER: &str = r#"
import json, math, sys
if sys.argv[1] == "pyyaml":
    import yaml
    load = lambda b: yaml.load(b, Loader=yaml.SafeLoader)
else:
    from ruamel.yaml import YAML
    load = YAML(typ="safe", pure=True).load

def differs(got, want, path):
    if isinstance(want, dict):
        if not isinstance(got, dict) or list(got) != list(want):
            return f"{path}: keys {list(got) if isinstance(got, dict) else got!r} != {list(want)!r}"
        return next((d for k in want for d in [differs(got[k], want[k], f"{path}.{k!r}")] if d), None)
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{path}: {got!r} != {want!r}"
        return next((d for i, w in enumerate(want) for d in [differs(got[i], w, f"{path}[{i}]")] if d), None)
    if isinstance(want, float):
        same = type(got) is float and got == want and math.copysign(1, got) == math.copysign(1, want)
    else:
        same = type(got) is type(want) and got == want
    return None if same else f"{path}: {got!r} ({type(got).__name__}) != {want!r} ({type(want).__name__})"

bad = 0
for line in sys.stdin:
    yaml_path, json_path = line.rstrip("\n").split("\t")
    with open(yaml_path, "rb") as f:
        text = f.read()
    with open(json_path, "rb") as f:
        want = json.loads(f.read().decode("utf-8"))
    try:
        got = load(text)
    except Exception as e:
        print(f"{yaml_path}: {sys.argv[1]} cannot read it: {e}")
        bad += 1
        continue
    d = differs(got, want, "$")
    if d:
        print(f"{yaml_path}: {sys.argv[1]}: {d}")
        bad += 1
sys.exit(1 if bad else 0)
"#;

/// Whether both readers are installed. Missing: a failure under `CI=true`, else a skip that says why.
fn readers_available() -> bool {
    let found = Command::new(PYTHON)
        .args(["-c", "import yaml, ruamel.yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    common::tool_available(
        found,
        &format!(
            "needs {PYTHON} with PyYAML and ruamel.yaml (Debian: python3-yaml python3-ruamel.yaml; .ci/test installs them)"
        ),
    )
}

/// Writes each (name, YAML, JSON) into `dir` and loads them with both readers, one process each: their complaints.
fn read_back(dir: &Path, outputs: &[(String, String, String)]) -> Vec<String> {
    let mut list = String::new();
    for (i, (name, yaml, json)) in outputs.iter().enumerate() {
        let stem: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let (y, j) = (
            dir.join(format!("{i:04}-{stem}.yaml")),
            dir.join(format!("{i:04}-{stem}.json")),
        );
        std::fs::write(&y, yaml).unwrap();
        std::fs::write(&j, json).unwrap();
        list.push_str(&format!("{}\t{}\n", y.display(), j.display()));
    }
    let mut complaints = Vec::new();
    for reader in ["pyyaml", "ruamel"] {
        complaints.extend(common::python_complaint(PYTHON, READER, &[reader], &list));
    }
    complaints
}

#[test]
fn every_case_reads_back_the_same_in_yaml_1_1_and_1_2_readers() {
    if !readers_available() {
        return;
    }
    let outputs = common::built_outputs(Format::Yaml);
    assert!(outputs.len() > 50, "only {} targets built", outputs.len());
    let dir = tempfile::tempdir().unwrap();
    let complaints = read_back(dir.path(), &outputs);
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
}

/// Words and numbers a YAML 1.1 or 1.2 reader resolves to something other than a string when plain, and indicators.
const LOOKALIKES: &[&str] = &[
    "yes",
    "no",
    "Yes",
    "NO",
    "on",
    "off",
    "On",
    "OFF",
    "y",
    "n",
    "Y",
    "N",
    "true",
    "False",
    "TRUE",
    "null",
    "Null",
    "~",
    "1e3",
    "1E3",
    "1e+3",
    "0x10",
    "0o10",
    "010",
    "0b101",
    "1_000",
    "+1",
    "-1",
    ".5",
    "1.",
    "0.0",
    "-0",
    "1:30",
    "1:20:30",
    ".inf",
    "-.Inf",
    ".nan",
    "NaN",
    "inf",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "=",
    "<<",
    "---",
    "...",
    "-",
    "?",
    "|",
    ">",
    "!tag",
    "&a",
    "*a",
    "%x",
    "@x",
    "`x",
    ": ",
    " #",
    "# x",
    "- x",
    "a: b",
    "'",
    "\"",
    "\\",
    " ",
    "\t",
    "",
];

/// Text dense in what YAML must quote or escape: controls, DEL, C1 (NEL), LS, PS, BOM, non-characters, quotes,
/// indicators, look-alike keywords and numbers, leading and trailing spaces.
fn awkward_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[\\x00-\\x1f\\x7f\u{80}-\u{9f}\u{a0}\u{2028}\u{2029}\u{feff}\u{fffe}\u{ffff}\u{e9}\u{1F600}\"'\\\\:#&*!|>%@`,?{}\\[\\] -]{1,4}",
        3 => prop::sample::select(LOOKALIKES).prop_map(str::to_string),
        2 => "[a-zA-Z0-9_./-]{1,8}",
    ];
    prop::collection::vec(piece, 0..4).prop_map(|p| p.concat())
}

/// Keys: awkward text, and now and then one near or over the longest implicit key (1024 characters, escapes counted).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => awkward_text(),
        1 => "[a-z]{990,1030}",
        1 => "[a\u{85}]{140,200}",
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        any::<i32>().prop_map(f64::from),
        prop::sample::select(vec![
            1e16,
            1e-6,
            1.5e300,
            -1.5e300,
            1e15,
            1e17,
            1e-5,
            1e-7,
            -0.0,
            0.0,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            1e22,
            123456789012345680.0,
        ]),
    ]
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
        3 => float().prop_map(ValueKind::Float),
        4 => awkward_text().prop_map(ValueKind::String),
        1 => "[a-z/]{1,12}".prop_map(ValueKind::Secret),
    ]
    .prop_map(move |k| Value::new(k, o));
    leaf.prop_recursive(3, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(move |a| Value::new(ValueKind::Array(a), o)),
            prop::collection::vec((key(), inner), 0..5).prop_map(move |kv| {
                let m = kv
                    .into_iter()
                    .map(|(k, v)| (k.into(), v))
                    .collect::<tuskc::value::Map<_>>();
                Value::new(ValueKind::Object(Box::new(m)), o)
            }),
        ]
    })
}

/// Generated trees (a batch per run of the readers) read back by both readers as exactly their JSON.
#[test]
fn generated_values_read_back_the_same_in_yaml_1_1_and_1_2_readers() {
    if !readers_available() {
        return;
    }
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(value_tree(), 1..10), |trees| {
        let outputs: Vec<_> = trees
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("tree{i}"), yaml_text(v), json_text(v)))
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
