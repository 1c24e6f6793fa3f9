//! An independent oracle for the build: `bench/peers/gen.py` (a copy of `../shared/bench/gen.py`, the peers'
//! benchmark workload) writes a project in tuskc's language and, computed in Python from the same model, every
//! target's expected JSON. The real binary must produce exactly those values (`build --all`, the streamed one-target
//! `build`, and `-f yaml` / `-f toml` read back), with keys in the order the `.tsk` source declares them, and must
//! reject each `--bad` workload with the expected code at the planted key.
//!
//! Needs `python3` on PATH (the standard library only). Outside CI a missing python skips the tests with a message;
//! under `CI=true` it fails them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first place two values differ (`None` if equal as JSON values: object key order aside).
fn difference(got: &Value, want: &Value, path: &str) -> Option<String> {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let mut gk: Vec<_> = g.keys().collect();
            let mut wk: Vec<_> = w.keys().collect();
            gk.sort();
            wk.sort();
            if gk != wk {
                return Some(format!("{path}: keys {gk:?} != expected {wk:?}"));
            }
            w.iter()
                .find_map(|(k, wv)| difference(&g[k], wv, &format!("{path}.{k}")))
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (g, w))| difference(g, w, &format!("{path}[{i}]"))),
        _ if got == want => None,
        _ => Some(format!("{path}: {got} != expected {want}")),
    }
}

fn assert_same(got: &Value, want: &Value, what: &str) {
    if let Some(d) = difference(got, want, "") {
        panic!("{what} differs from the oracle at {d}");
    }
    assert_eq!(got, want, "{what}");
}

/// The `.tsk` source's declared order, read from the text gen.py wrote (not from tuskc): the sections in order
/// with their schema, and every schema's fields in order with their type.
struct SourceOrder {
    sections: Vec<(String, String)>,
    schemas: HashMap<String, Vec<(String, String)>>,
}

fn source_order(tsk: &str) -> SourceOrder {
    let mut sections = Vec::new();
    let mut schemas = HashMap::new();
    let mut open: Option<(String, Vec<(String, String)>)> = None;
    for line in tsk.lines() {
        if let Some((name, fields)) = open.as_mut() {
            if line == "}" {
                schemas.insert(std::mem::take(name), std::mem::take(fields));
                open = None;
            } else {
                let (f, t) = line.trim().split_once(": ").unwrap();
                fields.push((f.to_string(), t.to_string()));
            }
        } else if let Some(name) = line
            .strip_prefix("schema ")
            .and_then(|l| l.strip_suffix(" {"))
        {
            open = Some((name.to_string(), Vec::new()));
        } else if let Some(head) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (s, t) = head.split_once(": ").unwrap();
            sections.push((s.to_string(), t.to_string()));
        }
    }
    assert!(!sections.is_empty() && !schemas.is_empty());
    SourceOrder { sections, schemas }
}

/// Every object of a target's output has its keys in the order its schema declares them in the source.
fn assert_source_order(config: &Value, order: &SourceOrder, what: &str) {
    fn walk(v: &Value, ty: &str, order: &SourceOrder, path: &str, what: &str) {
        let Some(fields) = order.schemas.get(ty) else {
            return;
        };
        let obj = v.as_object().unwrap();
        let got: Vec<&str> = obj.keys().map(String::as_str).collect();
        let want: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(got, want, "{what}: key order of {path} (schema {ty})");
        for (f, t) in fields {
            walk(&obj[f], t, order, &format!("{path}.{f}"), what);
        }
    }
    let obj = config.as_object().unwrap();
    let got: Vec<&str> = obj.keys().map(String::as_str).collect();
    let want: Vec<&str> = order.sections.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(got, want, "{what}: section order");
    for (s, t) in &order.sections {
        walk(&obj[s], t, order, s, what);
    }
}

/// `OUT/<env>/<provider>/config.json` assembled as `{env: {provider: config}}`, in directory-name order.
fn assemble(out: &Path) -> Map<String, Value> {
    let dirs = |p: &Path| {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    let mut all = Map::new();
    for env in dirs(out) {
        let mut providers = Map::new();
        for prov in dirs(&env) {
            let files = dirs(&prov);
            assert_eq!(files, [prov.join("config.json")], "one output per target");
            let name = prov.file_name().unwrap().to_string_lossy().into_owned();
            providers.insert(name, read_json(&files[0]));
        }
        let name = env.file_name().unwrap().to_string_lossy().into_owned();
        all.insert(name, Value::Object(providers));
    }
    all
}

/// A YAML document read by yaml-rust2, as a JSON value (mapping order kept).
fn yaml_to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml as Y;
    match y {
        Y::Integer(i) => Value::from(*i),
        Y::Real(r) => Value::from(r.parse::<f64>().unwrap()),
        Y::String(s) => Value::from(s.as_str()),
        Y::Boolean(b) => Value::from(*b),
        Y::Null => Value::Null,
        Y::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Y::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| (k.as_str().unwrap().to_string(), yaml_to_json(v)))
                .collect(),
        ),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

/// One size: every target through `build --all`, production/aws streamed, and as YAML and TOML.
fn matches_oracle(s: usize, p: usize) {
    if !common::have_python() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let w = common::gen_py(tmp.path(), "w", s, p, None);
    let tsk = std::fs::read_to_string(w.join("tuskc/config.tsk")).unwrap();
    let order = source_order(&tsk);
    assert_eq!(order.sections.len(), s);

    // Every target: `build --all`, assembled as {env: {provider: config}}.
    let o = common::tuskc_in(
        &w,
        &["build", "tuskc/config.tsk", "--all", "--out-dir", "out"],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let all = assemble(&w.join("out"));
    let expected_all = read_json(&w.join("expected-all.json"));
    assert_eq!(all.len(), 3);
    assert!(all.values().all(|e| e.as_object().unwrap().len() == 3));
    assert_same(&Value::Object(all.clone()), &expected_all, "build --all");
    // gen.py writes the expected files with sorted keys, so the order is checked against the source instead.
    for (env, providers) in &all {
        for (prov, config) in providers.as_object().unwrap() {
            assert_source_order(config, &order, &format!("{env}/{prov}"));
        }
    }

    // production/aws alone, streamed to stdout.
    let expected_one = read_json(&w.join("expected-one.json"));
    let target = ["-e", "production", "-p", "aws"];
    let o = common::tuskc_in(&w, &[&["build", "tuskc/config.tsk"][..], &target].concat());
    assert!(o.status.success(), "{}", common::stderr(&o));
    let one: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_same(&one, &expected_one, "build -e production -p aws");
    assert_source_order(&one, &order, "streamed production/aws");

    // The same target as YAML and as TOML, read back by their own crates.
    let o = common::tuskc_in(
        &w,
        &[&["build", "tuskc/config.tsk", "-f", "yaml"][..], &target].concat(),
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    let docs = yaml_rust2::YamlLoader::load_from_str(&common::stdout(&o)).unwrap();
    assert_eq!(docs.len(), 1);
    let yaml = yaml_to_json(&docs[0]);
    assert_same(&yaml, &expected_one, "build -f yaml");
    assert_source_order(&yaml, &order, "production/aws as YAML");

    let o = common::tuskc_in(
        &w,
        &[&["build", "tuskc/config.tsk", "-f", "toml"][..], &target].concat(),
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    // Values only: TOML writes a table's scalar keys before its sub-tables, so source order cannot always hold.
    let toml: Value = toml::from_str(&common::stdout(&o)).unwrap();
    assert_same(&toml, &expected_one, "build -f toml");
}

#[test]
fn every_target_matches_the_oracle_6x20() {
    matches_oracle(6, 20);
}

#[test]
fn every_target_matches_the_oracle_20x100() {
    matches_oracle(20, 100);
}

/// A planted error (gen.py `--bad KIND` at 6×20) is rejected by `check` and `build` with `code`, at the planted line
/// and key of production/svc0000; the other environments still build to the oracle's values.
fn rejects(kind: &str, code: &str) {
    if !common::have_python() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let good = common::gen_py(tmp.path(), "good", 6, 20, None);
    let bad = common::gen_py(tmp.path(), &format!("bad-{kind}"), 6, 20, Some(kind));
    // Where the error was planted: the first line that differs from the same workload without it.
    let good_tsk = std::fs::read_to_string(good.join("tuskc/config.tsk")).unwrap();
    let bad_tsk = std::fs::read_to_string(bad.join("tuskc/config.tsk")).unwrap();
    let (index, planted) = bad_tsk
        .lines()
        .zip(good_tsk.lines().chain(std::iter::repeat("")))
        .enumerate()
        .find(|(_, (b, g))| b != g)
        .map(|(i, (b, _))| (i, b))
        .unwrap();
    let line = index + 1;
    let key = planted.trim().split_once(':').unwrap().0;
    // ... inside `env production { [svc0000] ... }`.
    let before: Vec<&str> = bad_tsk.lines().take(index).collect();
    let section = before
        .iter()
        .rev()
        .find(|l| l.trim().starts_with('['))
        .unwrap();
    let block = before
        .iter()
        .rev()
        .find(|l| !l.starts_with(' ') && l.ends_with('{'))
        .unwrap();
    assert_eq!((section.trim(), *block), ("[svc0000]", "env production {"));

    let diagnostics = |o: &std::process::Output| -> Vec<Value> {
        let err = common::stderr(o);
        let diags: Vec<Value> = err
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!diags.is_empty(), "no diagnostic: {err}");
        diags
    };
    let assert_planted = |d: &Value, what: &str| {
        assert_eq!(d["code"], code, "{what}: {d}");
        assert_eq!(d["severity"], "error", "{what}: {d}");
        assert_eq!(d["file"], "tuskc/config.tsk", "{what}: {d}");
        assert_eq!(d["range"]["start"]["line"], line, "{what}: {d}");
        let message = d["message"].as_str().unwrap();
        assert!(message.contains(&format!("`svc0000.{key}`")), "{what}: {d}");
        assert!(
            d["help"].as_str().is_some_and(|h| !h.is_empty()),
            "{what}: {d}"
        );
    };

    let o = common::tuskc_in(
        &bad,
        &["check", "tuskc/config.tsk", "--message-format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "check --bad {kind}");
    let diags = diagnostics(&o);
    assert_eq!(diags.len(), 1, "check --bad {kind}: {diags:?}");
    assert_planted(&diags[0], "check");
    assert_eq!(
        diags[0]["targets"],
        serde_json::json!(["production/aws", "production/azure", "production/gcp"])
    );

    let o = common::tuskc_in(
        &bad,
        &[
            "build",
            "tuskc/config.tsk",
            "-e",
            "production",
            "-p",
            "aws",
            "--message-format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "build --bad {kind}");
    assert!(o.stdout.is_empty(), "nothing printed for a failing target");
    let diags = diagnostics(&o);
    assert_eq!(diags.len(), 1, "build --bad {kind}: {diags:?}");
    assert_planted(&diags[0], "build");

    let o = common::tuskc_in(
        &bad,
        &[
            "build",
            "tuskc/config.tsk",
            "--all",
            "--out-dir",
            "out",
            "--message-format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "build --all --bad {kind}");
    assert_planted(&diagnostics(&o)[0], "build --all");
    let mut all = assemble(&bad.join("out"));
    assert!(
        all.remove("production").is_none(),
        "nothing written for production"
    );
    let mut expected = read_json(&bad.join("expected-all.json"));
    expected.as_object_mut().unwrap().remove("production");
    assert_same(&Value::Object(all), &expected, "the other environments");
}

#[test]
fn bad_range_is_rejected() {
    rejects("range", "TSK0504");
}

#[test]
fn bad_enum_is_rejected() {
    rejects("enum", "TSK0501");
}

#[test]
fn bad_regex_is_rejected() {
    rejects("regex", "TSK0504");
}

/// The vendored generator stays the shared one, byte for byte (skipped where ../shared is not there).
#[test]
fn generator_copy_matches_the_shared_one() {
    let shared = repo().join("../shared/bench/gen.py");
    let Ok(shared) = std::fs::read_to_string(&shared) else {
        #[allow(clippy::disallowed_macros)]
        {
            eprintln!("skipped: {} is not there to compare with", shared.display());
        }
        return;
    };
    let copy = std::fs::read_to_string(repo().join(common::GEN_PY)).unwrap();
    assert!(
        copy == shared,
        "bench/peers/gen.py differs from ../shared/bench/gen.py: copy the shared file again"
    );
}
