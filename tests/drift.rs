//! `tuskc diff` and `tuskc drift` through the real binary: classification, remediation text, formats, exit codes,
//! `--fix`, deployed files in every format, and secrets compared without being printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Output;

mod common;
use common::{stderr, stdout, tuskc_in as tuskc};

const MANIFEST: &str = r#"[project]
name = "drifty"
entries = ["app.tsk"]
environments = ["staging", "production"]
providers = ["aws", "gcp"]
"#;

/// A project with one of each kind of difference. Drift: `cache.debug_panel` (only staging), `app.port` (a string
/// in production), `cloud.*` keys of one provider each. Declared: `cache.ttl` (env override), `cache.size`
/// (`@delete` in production), `app.url` (computed from `@environment`), `cache.region_hint` (`@vary`).
const APP: &str = r#"# The drift test project.
[app]
name: "drifty"
port: 8080
url: "https://" + @environment + ".example.com"

[cache]
ttl: 300
size: 64

env staging {
  [cache]
  ttl: 60
  debug_panel: true
}

env production {
  [app]
  port: "8080"
  [cache]
  size: @delete
  region_hint: @vary("eu")
}

provider aws {
  [cloud]
  account: "123456789012"
}

provider gcp {
  [cloud]
  project: "drifty-prod"
}
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tuskc.toml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("app.tsk"), APP).unwrap();
    dir
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// (path, class) of every finding in a JSON report.
fn classes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["class"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn two_environments_classified_with_remediation() {
    let dir = project();
    let o = tuskc(
        dir.path(),
        &[
            "diff",
            "--env",
            "staging",
            "--env",
            "production",
            "--provider",
            "aws",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn json_report_has_every_finding_and_summary() {
    let dir = project();
    let o = tuskc(
        dir.path(),
        &[
            "diff",
            "-e",
            "staging",
            "-e",
            "production",
            "-p",
            "aws",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let r = json(&o);
    let mut got = classes(&r);
    got.sort();
    let want: Vec<(String, String)> = [
        ("app.port", "drift"),
        ("app.url", "declared"),
        ("cache.debug_panel", "drift"),
        ("cache.region_hint", "declared"),
        ("cache.size", "declared"),
        ("cache.ttl", "declared"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(r["summary"]["drift"], 2);
    assert_eq!(r["summary"]["declared"], 4);
    // The missing key names both sides and the line to change.
    let panel = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "cache.debug_panel")
        .unwrap();
    assert_eq!(panel["kind"], "missing");
    assert_eq!(panel["variants"][0]["defined_at"]["file"], "app.tsk");
    assert_eq!(panel["variants"][0]["defined_at"]["line"], 14);
    assert_eq!(panel["variants"][1]["value"], serde_json::Value::Null);
    assert!(panel["fix"][0]
        .as_str()
        .unwrap()
        .contains("add `cache.debug_panel: ...` to `env production` (the block at app.tsk:17"));
    assert_eq!(panel["fixable"], true);
}

#[test]
fn environments_under_every_provider_merge_identical_findings() {
    let dir = project();
    let o = tuskc(
        dir.path(),
        &["diff", "--env", "staging", "--env", "production"],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.starts_with("Comparing staging and production (under aws, gcp)"),
        "{out}"
    );
    // Reported once, for both providers.
    // The header, the reason and the fix (which spells the whole key path to add).
    assert_eq!(out.matches("cache.debug_panel").count(), 3, "{out}");
    assert!(out.contains("staging/*"), "{out}");
}

#[test]
fn two_providers_and_the_all_matrix() {
    let dir = project();
    let o = tuskc(
        dir.path(),
        &[
            "diff",
            "--provider",
            "aws",
            "--provider",
            "gcp",
            "--env",
            "production",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("providers", stdout(&o));

    let o = tuskc(dir.path(), &["diff", "--all"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("all_targets", stdout(&o));

    let o = tuskc(dir.path(), &["diff", "--all", "--format", "json"]);
    let r = json(&o);
    // Two against two: every target is an odd one out of each drift.
    assert_eq!(r["matrix"]["drift_per_target"]["staging/aws"], 4, "{r}");
    assert_eq!(r["matrix"]["environments"][1], "production");
}

#[test]
fn the_example_has_no_drift_across_all_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = tuskc(root, &["diff", "examples/shop", "--all"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("\n0 drifts, "), "{}", stdout(&o));
    // Marked keys are declared: `vary cloud`, `@vary(...)` on values, and a schema field's `@vary`.
    let o = tuskc(
        root,
        &["diff", "examples/shop", "--all", "--format", "json"],
    );
    let r = json(&o);
    let reasons = |path: &str| -> String {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["reasons"].to_string())
            .unwrap_or_else(|| panic!("no finding for {path}"))
    };
    assert!(reasons("cloud.account_id").contains("`vary cloud`"));
    assert!(reasons("storage.replica_region").contains("`@vary` on `storage.replica_region`"));
    assert!(
        reasons("storage.account").contains("schema field for `storage.account` is marked `@vary`")
    );
}

#[test]
fn only_declared_differences_exit_zero() {
    let dir = project();
    let text = APP
        .replace("  debug_panel: true\n", "")
        .replace("  port: \"8080\"\n", "  port: 9090\n")
        .replace(
            "provider gcp {\n  [cloud]",
            "vary cloud\n\nprovider gcp {\n  [cloud]",
        );
    std::fs::write(dir.path().join("app.tsk"), text).unwrap();
    let o = tuskc(dir.path(), &["diff", "--all"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 drifts, "));
}

#[test]
fn fix_is_a_dry_run_until_applied_and_changes_no_output() {
    let dir = project();
    let before_build = tuskc(dir.path(), &["build", "--all", "--out-dir", "before"]);
    assert_eq!(
        before_build.status.code(),
        Some(0),
        "{}",
        stderr(&before_build)
    );

    let o = tuskc(dir.path(), &["diff", "--all", "--fix"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.tsk")).unwrap(),
        APP
    );
    let out = stdout(&o);
    let patch = &out[out.find("--fix (dry run)").expect(&out)..];
    insta::assert_snapshot!("fix_patch", patch);

    let o = tuskc(dir.path(), &["diff", "--all", "--fix", "--apply"]);
    // The type difference (`app.port`) is not fixable: it stays drift.
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("--fix: marked 3 keys with @vary in 1 file(s)"),
        "{}",
        stdout(&o)
    );
    let o = tuskc(dir.path(), &["diff", "--all", "--format", "json"]);
    let r = json(&o);
    assert_eq!(r["summary"]["drift"], 1, "{r}");
    assert_eq!(
        classes(&r).iter().find(|(_, c)| c == "drift").unwrap().0,
        "app.port"
    );

    // Every target builds to the same bytes as before the fix.
    assert_eq!(
        tuskc(dir.path(), &["build", "--all", "--out-dir", "after"])
            .status
            .code(),
        Some(0)
    );
    for target in [
        "staging/aws",
        "staging/gcp",
        "production/aws",
        "production/gcp",
    ] {
        let a = std::fs::read(dir.path().join("before").join(target).join("app.json")).unwrap();
        let b = std::fs::read(dir.path().join("after").join(target).join("app.json")).unwrap();
        assert_eq!(a, b, "{target}");
    }
    // The fixed file is formatted.
    let o = tuskc(dir.path(), &["fmt", "--check", "app.tsk"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn usage_errors_exit_two() {
    let solo = tempfile::tempdir().unwrap();
    std::fs::write(solo.path().join("single.tsk"), "a: 1\n").unwrap();
    let o = tuskc(solo.path(), &["diff", "single.tsk", "--all"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("one target: nothing to compare"),
        "{}",
        stderr(&o)
    );
    let dir = project();
    for (args, needle) in [
        (vec!["diff", "--env", "staging"], "compares two targets"),
        (
            vec!["diff", "--env", "staging", "--env", "staging"],
            "two different targets",
        ),
        (
            vec!["diff", "--env", "stagign", "--env", "production"],
            "did you mean `staging`?",
        ),
        (
            vec![
                "drift",
                "--env",
                "production",
                "--provider",
                "aws",
                "--actual",
                "missing.json",
            ],
            "cannot read `missing.json`",
        ),
        (
            vec![
                "drift",
                "--env",
                "production",
                "--provider",
                "aws",
                "--actual",
                "app.tsk",
            ],
            "cannot tell the format",
        ),
    ] {
        let o = tuskc(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_project_with_errors_cannot_be_compared() {
    let dir = project();
    std::fs::write(
        dir.path().join("app.tsk"),
        format!("{APP}\n[broken]\nx: missing.key\n"),
    )
    .unwrap();
    let o = tuskc(dir.path(), &["diff", "--all"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).contains("cannot compare: fix the errors above first"),
        "{}",
        stderr(&o)
    );
}

/// `tuskc drift -e production -p aws --actual FILE` with more arguments.
fn drift_prod(dir: &Path, actual: &str, more: &[&str]) -> Output {
    let mut args = vec!["drift", "-e", "production", "-p", "aws", "--actual", actual];
    args.extend_from_slice(more);
    tuskc(dir, &args)
}

/// Build production/aws in `format` as the "deployed" file, then edit it as a running system would drift.
fn deployed(dir: &Path, format: &str, edit: &dyn Fn(String) -> String) -> String {
    let o = tuskc(
        dir,
        &["build", "-e", "production", "-p", "aws", "-f", format],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ext = match format {
        "dotenv" => "env",
        f => f,
    };
    let name = format!("deployed.{ext}");
    std::fs::write(dir.join(&name), edit(stdout(&o))).unwrap();
    name
}

#[test]
fn deployed_json_drift_with_which_side_to_change() {
    let dir = project();
    let name = deployed(dir.path(), "json", &|s| {
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
        v["cache"]["ttl"] = 120.into();
        v["cache"].as_object_mut().unwrap().remove("region_hint");
        v["legacy"] = serde_json::json!({ "enabled": true });
        serde_json::to_string_pretty(&v).unwrap()
    });
    let o = drift_prod(dir.path(), &name, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    insta::assert_snapshot!("deployed_json", stdout(&o));

    // The deployed file equal to the build: no drift.
    let same = deployed(dir.path(), "json", &|s| s);
    let o = drift_prod(dir.path(), &same, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn deployed_toml_yaml_and_dotenv() {
    let dir = project();
    for (format, from, to, path) in [
        ("toml", "ttl = 300", "ttl = 301", "cache.ttl"),
        ("yaml", "ttl: 300", "ttl: 302", "cache.ttl"),
        (
            "dotenv",
            "CACHE_TTL=300",
            "CACHE_TTL=303",
            "CACHE_TTL (cache.ttl)",
        ),
    ] {
        let same = deployed(dir.path(), format, &|s| s);
        let o = drift_prod(dir.path(), &same, &[]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{format}: {}{}",
            stdout(&o),
            stderr(&o)
        );

        let name = deployed(dir.path(), format, &|s| {
            assert!(s.contains(from), "{format}: {s}");
            s.replace(from, to)
                + if format == "dotenv" {
                    "EXTRA_FLAG=1\n"
                } else {
                    ""
                }
        });
        let o = drift_prod(dir.path(), &name, &["--format", "json"]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        let r = json(&o);
        let mut want = vec![(path.to_string(), "drift".to_string())];
        if format == "dotenv" {
            want.push(("EXTRA_FLAG".into(), "drift".into()));
        }
        assert_eq!(classes(&r), want, "{format}: {r}");
        let f = &r["findings"][0];
        assert!(
            f["fix"][1]
                .as_str()
                .unwrap()
                .contains("change it at app.tsk:8"),
            "{f}"
        );
    }
    let o = drift_prod(dir.path(), "deployed.yaml", &["--actual-format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    insta::assert_snapshot!("unreadable_deployed", stderr(&o));
}

#[test]
fn env_values_not_set_here_are_not_drift() {
    let dir = project();
    std::fs::write(
        dir.path().join("app.tsk"),
        format!("{APP}\n[app]\nrelease: @env(\"APP_RELEASE\", \"dev\")\n"),
    )
    .unwrap();
    let name = deployed(dir.path(), "json", &|s| s.replace("\"dev\"", "\"1.4.2\""));
    let o = drift_prod(dir.path(), &name, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("comes from the environment variable `APP_RELEASE`"),
        "{}",
        stdout(&o)
    );
    // Given the variable, the value is compared.
    let o = drift_prod(dir.path(), &name, &["--var", "APP_RELEASE=1.4.1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

/// Every `@env` value is declared while its variable is unset, whatever the default's type (int, bool, float, text),
/// in every deployed format; given the variables, the values are compared.
#[test]
fn typed_env_defaults_not_set_here_are_not_drift() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.tsk"),
        "port: @env(\"DRIFT19_P\", 5432)\ndbg: @env(\"DRIFT19_DBG\", false)\nr: @env(\"DRIFT19_R\", 1.5)\ns: @env(\"DRIFT19_S\", \"x\")\n",
    )
    .unwrap();
    let files = [
        (
            "d.json",
            "{\"port\": 1, \"dbg\": true, \"r\": 2.5, \"s\": \"y\"}\n",
        ),
        ("d.toml", "port = 1\ndbg = true\nr = 2.5\ns = \"y\"\n"),
        ("d.yaml", "port: 1\ndbg: true\nr: 2.5\ns: y\n"),
        ("d.env", "PORT=1\nDBG=true\nR=2.5\nS=y\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
        let o = tuskc(dir.path(), &["drift", "--actual", name, "--format", "json"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let r = json(&o);
        assert_eq!(r["summary"]["declared"], 4, "{name}: {r}");
        let vars = [
            "--var",
            "DRIFT19_P=2",
            "--var",
            "DRIFT19_DBG=false",
            "--var",
            "DRIFT19_R=3.5",
            "--var",
            "DRIFT19_S=z",
        ];
        let mut args = vec!["drift", "--actual", name, "--format", "json"];
        args.extend_from_slice(&vars);
        let o = tuskc(dir.path(), &args);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stdout(&o));
        assert_eq!(json(&o)["summary"]["drift"], 4, "{name}: {}", stdout(&o));
    }
}

/// Issue 19 (second round): an object of nulls (`opt: {a: null, b: {c: null}}`) is a table TOML cannot hold either:
/// a deployed TOML file lacking it, or part of it, is not drift; JSON lacking it is.
#[test]
fn objects_of_nulls_absent_from_deployed_toml_are_not_drift() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.tsk"),
        "opt: {a: null, b: {c: null}}\npart: {x: 1, y: {z: null}}\nempty: {}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("d.toml"), "[part]\nx = 1\n[empty]\n").unwrap();
    std::fs::write(
        dir.path().join("d.json"),
        "{\"part\": {\"x\": 1}, \"empty\": {}}\n",
    )
    .unwrap();
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "d.toml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(classes(&json(&o)), vec![], "{}", stdout(&o));
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "d.json", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        classes(&json(&o)),
        [("opt", "drift"), ("part.y", "drift")]
            .map(|(k, c)| (k.to_string(), c.to_string()))
            .to_vec(),
        "{}",
        stdout(&o)
    );
}

/// Issue 19 (second round): a value computed from an unset `@env` (interpolated through a variable, inside an
/// array, in arithmetic, inside an object, chosen by a conditional) cannot be checked either: declared, naming its variables; with them set
/// (`--var`), a difference is drift again.
#[test]
fn values_derived_from_unset_env_defaults_are_not_drift() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.tsk"),
        "$p: @env(\"D19_P\", 5432)\nurl: \"postgres://h:${$p}/x\"\nlist: [@env(\"D19_A\", 1), 2]\nn: @env(\"D19_N\", 1) + 1\nsum: @env(\"D19_A\", 1) + @env(\"D19_N\", 1)\nobj: {k: [$p]}\nc: @env(\"D19_C\", 1) > 0 ? \"x\" : \"y\"\nfixed: 7\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.json"),
        "{\"url\": \"postgres://h:6000/x\", \"list\": [9, 2], \"n\": 5, \"sum\": 0, \"obj\": {\"k\": [2]}, \"c\": \"y\", \"fixed\": 7}\n",
    )
    .unwrap();
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "d.json", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let r = json(&o);
    assert_eq!(r["summary"]["declared"], 6, "{r}");
    let text = r.to_string();
    assert!(
        text.contains("the environment variables `D19_A`, `D19_N`"),
        "{text}"
    );
    assert!(
        text.contains("`url` is computed from the environment variable `D19_P`"),
        "{text}"
    );
    let mut args = vec!["drift", "--actual", "d.json", "--format", "json"];
    args.extend_from_slice(&[
        "--var", "D19_P=1", "--var", "D19_A=1", "--var", "D19_N=1", "--var", "D19_C=1",
    ]);
    let o = tuskc(dir.path(), &args);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(json(&o)["summary"]["drift"], 6, "{}", stdout(&o));
}

/// Issue 19 (second round): an array or object deployed where an unset `@env` builds a scalar was "declared"; no
/// environment variable gives one: type drift. A scalar there is still declared.
#[test]
fn containers_deployed_for_an_env_scalar_are_type_drift() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.tsk"),
        "r: @env(\"D19_R\", 1.5)\ns: @env(\"D19_S\", \"x\")\nt: @env(\"D19_T\", 1)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.json"),
        "{\"r\": [1.5], \"s\": {\"a\": 1}, \"t\": 2}\n",
    )
    .unwrap();
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "d.json", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let r = json(&o);
    assert_eq!(
        classes(&r),
        [("r", "drift"), ("s", "drift"), ("t", "declared")]
            .map(|(k, c)| (k.to_string(), c.to_string()))
            .to_vec(),
        "{r}"
    );
    assert!(r.to_string().contains("deployed `r` is an array"), "{r}");
}

/// `ratio: 1.0` in one target and `1` in another build `1.0` and `1` in JSON: drift between targets, saying so (also
/// inside an array, and across `--all`). A float schema field builds both as floats: no difference.
#[test]
fn number_kinds_that_differ_in_the_output_are_drift_between_targets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tuskc.toml"),
        "[project]\nname = \"n\"\nentries = [\"app.tsk\"]\nenvironments = [\"staging\", \"production\"]\n",
    )
    .unwrap();
    let app =
        "ratio: 1.0\nlist: [1.0, 2]\nsame: 2.5\nenv production {\n  ratio: 1\n  list: [1, 2]\n}\n";
    std::fs::write(dir.path().join("app.tsk"), app).unwrap();
    let o = tuskc(dir.path(), &["diff", "-e", "staging", "-e", "production"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("1.0 (a float) vs 1 (an int)"), "{text}");
    assert!(
        text.contains("at `list[0]`: 1.0 (a float) vs 1 (an int)"),
        "{text}"
    );
    let o = tuskc(
        dir.path(),
        &[
            "diff",
            "-e",
            "staging",
            "-e",
            "production",
            "--format",
            "json",
        ],
    );
    let r = json(&o);
    assert_eq!(
        classes(&r),
        vec![
            ("ratio".to_string(), "drift".to_string()),
            ("list".to_string(), "drift".to_string())
        ],
        "{r}"
    );
    assert_eq!(r["findings"][0]["kind"], "type", "{r}");
    let o = tuskc(dir.path(), &["diff", "--all", "--format", "json"]);
    assert_eq!(json(&o)["summary"]["drift"], 2, "{}", stdout(&o));

    // A float field builds the int as a float: the outputs are the same.
    std::fs::write(
        dir.path().join("app.tsk"),
        "schema N { ratio: float }\nbind n: N\n[n]\nratio: 1.0\nenv production {\n  [n]\n  ratio: 1\n}\n",
    )
    .unwrap();
    let o = tuskc(dir.path(), &["diff", "-e", "staging", "-e", "production"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

/// Deployed numbers compare by value (formats spell them differently); a key built as null that a deployed TOML file
/// lacks is not drift (TOML cannot hold null), but is in JSON.
#[test]
fn deployed_numbers_by_value_and_toml_cannot_hold_null() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.tsk"),
        "a: 1.0\nn: null\n[s]\nm: null\nk: 2\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("d.toml"), "a = 1\n[s]\nk = 2.0\n").unwrap();
    std::fs::write(dir.path().join("d.json"), "{\"a\": 1, \"s\": {\"k\": 2}}\n").unwrap();
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "d.toml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(classes(&json(&o)), vec![], "{}", stdout(&o));
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "d.json", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        classes(&json(&o)),
        vec![
            ("n".to_string(), "drift".to_string()),
            ("s.m".to_string(), "drift".to_string())
        ],
        "{}",
        stdout(&o)
    );
}

/// Remediation for a key some targets lack: it names every block the key is missing from, spells the whole key
/// path (a block in another file, or with a `[section]` open, would put a pasted `maintenance_banner:` elsewhere),
/// and a near-miss of a key the other targets have (`replcias`) gets "did you mean" first and no automatic `@vary`.
#[test]
fn remediation_names_every_block_the_whole_path_and_near_misses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tsk"),
        "use \"./envs.tsk\"\n[api]\nport: 8080\nreplicas: 2\n\nenv production {\n  [api]\n  maintenance_banner: \"down at 5\"\n  replcias: 5\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("envs.tsk"),
        "env development {\n  debug: true\n  [db]\n  host: \"localhost\"\n}\nenv staging {\n  debug: false\n}\n",
    )
    .unwrap();
    let o = tuskc(dir.path(), &["diff", "--all", "--fix"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("Comparing all 3 targets (3 environments)\n"),
        "{out}"
    );
    insta::assert_snapshot!("remediation_blocks_paths_near_misses", out);
    // Both environments that lack the banner, each with its block; the whole path, and the header to stay above.
    assert!(out.contains("fix: add `api.maintenance_banner: ...` to `env development` (the block at envs.tsk:1, above its `[db]` header) and `env staging` (the block at envs.tsk:6)"), "{out}");
    // The typo: "did you mean" first, and --fix leaves it alone.
    assert!(out.contains("fix: did you mean `api.replicas`, set at main.tsk:4 (base)? If `replcias` is a typo, rename it at main.tsk:9"), "{out}");
    assert!(!out.contains("replcias: @vary"), "{out}");
    assert!(out.contains("--fix leaves 1 drift for you to decide (no safe fix; see its fix lines above): api.replcias"), "{out}");
    // A section missing from production is added as a section.
    assert!(
        out.contains(
            "add a section `[db]` to `env staging` (the block at envs.tsk:6) and `env production`"
        ),
        "{out}"
    );
    let o = tuskc(dir.path(), &["diff", "--all", "--format", "json"]);
    let r = json(&o);
    let typo = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "api.replcias")
        .unwrap();
    assert_eq!(typo["fixable"], false, "{typo}");
}

/// Keys that merely resemble another one (`db_host`/`db_port`, `web1`/`web2`) are new keys, not typos: `--fix`
/// marks them as usual.
#[test]
fn keys_that_only_resemble_another_are_still_fixable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tsk"),
        "db_host: \"a\"\nweb1: 1\nenv development {\n  x: 1\n}\nenv production {\n  db_port: 5\n  web2: 2\n  DB_HOST: \"b\"\n}\n",
    )
    .unwrap();
    let o = tuskc(dir.path(), &["diff", "--all", "--format", "json"]);
    let r = json(&o);
    let fixable: Vec<(String, bool)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["fixable"] == true,
            )
        })
        .collect();
    assert_eq!(
        fixable,
        vec![
            ("x".to_string(), true),
            ("db_port".to_string(), true),
            ("web2".to_string(), true),
            // Differs only by case from `db_host`: a typo.
            ("DB_HOST".to_string(), false),
        ],
        "{}",
        stdout(&o)
    );
}

/// A project without environments or providers has one target: reports name it "the base target", and never
/// suggest an `env - provider -` block. An environment without providers suggests its `env` block.
#[test]
fn deployed_drift_names_targets_as_the_docs_do() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tsk"),
        "[api]\nport: 8080\nname: \"x\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("d.json"), "{\"api\": {\"port\": 8081}}\n").unwrap();
    let o = tuskc(dir.path(), &["drift", "--actual", "d.json"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    insta::assert_snapshot!("deployed_base_target", out);
    assert!(!out.contains("-/-") && !out.contains("env -"), "{out}");

    std::fs::write(
        dir.path().join("main.tsk"),
        "[api]\nport: 8080\nname: \"x\"\nenv production {\n  [api]\n  name: \"y\"\n}\n",
    )
    .unwrap();
    let o = tuskc(
        dir.path(),
        &["drift", "--env", "production", "--actual", "d.json"],
    );
    let out = stdout(&o);
    assert!(out.contains("to change only production/-, set it in `env production` (the block at main.tsk:4, above its `[api]` header)"), "{out}");
    assert!(!out.contains("provider -"), "{out}");
}

/// A deployed dotenv line without a usable name (`APP NAME=x`, `=x`, `'A B'=x`) and a YAML alias inside the node it
/// names are unreadable files (TSK0801 at their place, exit 2, no report), not keys named so or a parser's aside.
#[test]
fn deployed_files_with_bad_names_or_recursive_aliases_are_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.tsk"), "a: 1\n").unwrap();
    for (name, text, at) in [
        ("space.env", "A=1\nAPP NAME=shop\n", "space.env:2:1"),
        ("empty.env", "=value\n", "empty.env:1:1"),
        ("quoted.env", "'APP X'=1\n", "quoted.env:1:1"),
        ("rec.yaml", "a: &a [*a]\n", "rec.yaml:1:8"),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let o = tuskc(dir.path(), &["drift", ".", "--actual", name]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert_eq!(stdout(&o), "", "{name}");
        let err = stderr(&o);
        assert!(
            err.contains("[TSK0801]") && err.contains(at),
            "{name}: {err}"
        );
        assert!(!err.contains("not supported"), "{name}: {err}");
    }
    // The same names in an `--env-file` are refused there too (one reader).
    let o = tuskc(dir.path(), &["build", "m.tsk", "--env-file", "space.env"]);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("no valid NAME"), "{}", stderr(&o));
}

/// The shop example's development store and key: deployed secrets are compared by value only with the identity,
/// and never printed either way.
#[test]
fn deployed_secrets_compared_never_printed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let key = root.join("examples/shop/keys/development.agekey");
    let key = key.to_str().unwrap();
    let resolved = tuskc(
        root,
        &[
            "build",
            "examples/shop",
            "-e",
            "development",
            "-p",
            "aws",
            "--secrets",
            "resolve",
            "--identity",
            key,
        ],
    );
    assert_eq!(resolved.status.code(), Some(0), "{}", stderr(&resolved));
    let text = stdout(&resolved);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let password = v["services"]["api"]["database"]["password"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!password.starts_with("secret://"));
    let good = dir.path().join("good.json");
    std::fs::write(&good, &text).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, text.replace(&password, "not-the-password")).unwrap();
    let drift = |file: &Path, identity: Option<&str>| {
        let mut args = vec![
            "drift",
            "examples/shop",
            "-e",
            "development",
            "-p",
            "aws",
            "--actual",
            file.to_str().unwrap(),
        ];
        if let Some(k) = identity {
            args.extend(["--identity", k]);
        }
        tuskc(root, &args)
    };
    let o = drift(&good, Some(key));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = drift(&bad, Some(key));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("is not the value of secret `shop/api/db_password`"),
        "{}",
        stdout(&o)
    );
    let o2 = drift(&good, None);
    assert_eq!(
        o2.status.code(),
        Some(0),
        "unverified is not drift: {}",
        stdout(&o2)
    );
    assert!(stdout(&o2).contains("unverified"), "{}", stdout(&o2));
    for o in [o, o2] {
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains(&password), "secret value printed");
        assert!(
            !all.contains("not-the-password"),
            "deployed secret value printed"
        );
    }
}

/// Point 7 of issue 17: a project with a production store and values derived from its secrets in every way a
/// value can be (interpolation, concatenation, lists holding a secret or an interpolation, an object holding them).
const SEALED_MANIFEST: &str = r#"[project]
name = "sealed"
entries = ["app.tsk"]
environments = ["production"]
"#;

const SEALED_APP: &str = r#"[database]
host: "db.internal"
password: @secret("db_password")
url: "postgres://app:${password}@db/app"

[api]
token: @secret("api/token")
header: "Bearer " + token
tokens: [token, "static"]
hooks: ["https://hooks.example/${token}", "https://example.com"]
auth { user: "app", pass: database.password, basic: "app:" + token }
timeout: 30
"#;

const SEALED_DB: &str = "CANARY-drift-db-5e1f";
const SEALED_TOKEN: &str = "CANARY-drift-token-77aa";

/// The sealed project in a temporary directory (`app/`), its production store holding both secrets, and the path of
/// the identity that decrypts it.
fn sealed() -> (tempfile::TempDir, std::path::PathBuf, String) {
    use std::process::Command;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("tuskc.toml"), SEALED_MANIFEST).unwrap();
    std::fs::write(root.join("app.tsk"), SEALED_APP).unwrap();
    let key = tmp.path().join("production.key");
    let key = key.to_str().unwrap().to_string();
    let o = tuskc(
        &root,
        &[
            "secrets",
            "init",
            "--env",
            "production",
            "--generate-identity",
            &key,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (name, value) in [("db_password", SEALED_DB), ("api/token", SEALED_TOKEN)] {
        let o = common::run_with_stdin(
            Command::new(env!("CARGO_BIN_EXE_tuskc"))
                .args(["secrets", "set", name, "--env", "production"])
                .current_dir(&root)
                .env("NO_COLOR", "1")
                .env_remove("TUSKC_IDENTITY"),
            value.as_bytes(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    (tmp, root, key)
}

/// `build -e production -f FORMAT --secrets resolve --identity KEY -o deployed.EXT`, then `edit` the file as a
/// running system would drift; its name.
fn deploy_resolved(
    root: &Path,
    key: &str,
    format: &str,
    edit: &dyn Fn(String) -> String,
) -> String {
    let ext = match format {
        "dotenv" => "env",
        f => f,
    };
    let name = format!("deployed.{ext}");
    let o = tuskc(
        root,
        &[
            "build",
            "-e",
            "production",
            "-f",
            format,
            "--secrets",
            "resolve",
            "--identity",
            key,
            "-o",
            &name,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
    let text = std::fs::read_to_string(root.join(&name)).unwrap();
    assert!(
        text.contains(SEALED_TOKEN),
        "{format}: not resolved: {text}"
    );
    std::fs::write(root.join(&name), edit(text)).unwrap();
    name
}

/// `drift -e production --actual FILE` with more arguments; stdout and stderr never hold a secret's value.
fn drift_sealed(root: &Path, actual: &str, more: &[&str], hidden: &[&str]) -> Output {
    let mut args = vec!["drift", "-e", "production", "--actual", actual];
    args.extend_from_slice(more);
    let o = tuskc(root, &args);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    for h in [SEALED_DB, SEALED_TOKEN].iter().chain(hidden) {
        assert!(!all.contains(h), "`{h}` printed by drift {more:?}: {all}");
    }
    o
}

#[test]
fn values_derived_from_secrets_round_trip_without_drift() {
    let (_tmp, root, key) = sealed();
    for format in ["json", "yaml", "toml", "dotenv"] {
        let name = deploy_resolved(&root, &key, format, &|s| s);
        let o = drift_sealed(&root, &name, &["--identity", &key], &[]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{format}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(
            stdout(&o).contains("0 drifts, 0 declared\n"),
            "{format}: {}",
            stdout(&o)
        );
        let o = drift_sealed(&root, &name, &["--identity", &key, "--format", "json"], &[]);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stdout(&o));
        let r = json(&o);
        assert_eq!(classes(&r), vec![], "{format}: {r}");
    }
}

#[test]
fn a_changed_value_derived_from_a_secret_is_drift_and_never_shown() {
    let (_tmp, root, key) = sealed();
    // The URL's host and the first token of the list change; the plaintext around them stays.
    let moved = "@db-moved/app";
    let name = deploy_resolved(&root, &key, "json", &|s| {
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
        v["database"]["url"] = format!("postgres://app:{SEALED_DB}{moved}").into();
        v["api"]["tokens"][0] = format!("{SEALED_TOKEN}-old").into();
        v["api"]["auth"]["basic"] = format!("app:{SEALED_TOKEN}-old").into();
        serde_json::to_string_pretty(&v).unwrap()
    });
    let o = drift_sealed(&root, &name, &["--identity", &key], &[moved, "-old"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("deployed `database.url` is not the value tuskc derives from the production store's secrets (values not shown)"),
        "{text}"
    );
    assert!(text.contains("3 drifts, 0 declared\n"), "{text}");
    let o = drift_sealed(
        &root,
        &name,
        &["--identity", &key, "--format", "json"],
        &[moved, "-old"],
    );
    assert_eq!(o.status.code(), Some(1));
    let r = json(&o);
    assert_eq!(
        classes(&r),
        vec![
            ("database.url".to_string(), "drift".to_string()),
            ("api.tokens".to_string(), "drift".to_string()),
            ("api.auth.basic".to_string(), "drift".to_string()),
        ],
        "{r}"
    );
    for f in r["findings"].as_array().unwrap() {
        assert_eq!(f["kind"], "value", "{f}");
        assert_eq!(
            f["variants"][1]["value"], "a hidden value (it is, or looks like, a secret)",
            "{f}"
        );
    }

    // The same edit in dotenv: the variable is drift, hidden the same way.
    let name = deploy_resolved(&root, &key, "dotenv", &|s| s.replace("@db/app", moved));
    let o = drift_sealed(
        &root,
        &name,
        &["--identity", &key, "--format", "json"],
        &[moved],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        classes(&json(&o)),
        vec![(
            "DATABASE_URL (database.url)".to_string(),
            "drift".to_string()
        )]
    );
}

#[test]
fn values_derived_from_secrets_are_unverified_without_an_identity() {
    let (_tmp, root, key) = sealed();
    let name = deploy_resolved(&root, &key, "json", &|s| s);
    let o = drift_sealed(&root, &name, &["--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let r = json(&o);
    let unverified = |path: &str| (path.to_string(), "unverified".to_string());
    assert_eq!(
        classes(&r),
        vec![
            unverified("database.password"),
            unverified("database.url"),
            unverified("api.token"),
            unverified("api.header"),
            unverified("api.tokens"),
            unverified("api.hooks"),
            unverified("api.auth.pass"),
            unverified("api.auth.basic"),
        ],
        "{r}"
    );
    assert!(
        r["findings"][1]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("holds a value derived from a secret, which cannot be compared without the store's identity"),
        "{r}"
    );
    // A file written with references (plain `build`) matches as it is, with or without an identity.
    let o = tuskc(&root, &["build", "-e", "production", "-o", "refs.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for more in [&[][..], &["--identity", key.as_str()][..]] {
        let o = drift_sealed(&root, "refs.json", more, &[]);
        assert_eq!(o.status.code(), Some(0), "{more:?}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("0 drifts, 0 declared\n"),
            "{}",
            stdout(&o)
        );
    }
}

/// A deployed file is the running system's: a secret's value may sit at any key there. With an identity, a deployed
/// value that equals or contains a value a secret of the target resolved to is hidden wherever it is (an undeclared
/// variable, a plain key); with or without one, so is text shaped like a credential, a URL with a password included.
/// In the human and the JSON report.
#[test]
fn deployed_values_holding_a_secret_or_a_credential_are_hidden_at_any_key() {
    let (_tmp, root, key) = sealed();
    let name = deploy_resolved(&root, &key, "dotenv", &|s| {
        format!(
            "{}\nLEGACY_DATABASE_URL=postgres://api:{SEALED_DB}@db\nAPI_DB_PASS={SEALED_DB}\nCACHE_URL=redis://cache:hunter2x@cache:6379/0\nCACHE_HOST=cache.internal\n",
            s.replace("API_TIMEOUT=30", &format!("API_TIMEOUT={SEALED_TOKEN}"))
        )
    });
    for more in [
        &["--identity", key.as_str()][..],
        &["--identity", key.as_str(), "--format", "json"][..],
    ] {
        // drift_sealed fails if either secret's value is printed.
        let o = drift_sealed(&root, &name, more, &["hunter2x"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let text = stdout(&o);
        for hidden in [
            "LEGACY_DATABASE_URL",
            "API_DB_PASS",
            "CACHE_URL",
            "API_TIMEOUT",
        ] {
            assert!(text.contains(hidden), "{hidden} not reported: {text}");
        }
        assert_eq!(
            text.matches("a hidden value (it is, or looks like, a secret)")
                .count(),
            // API_TIMEOUT: in its variant and its reason.
            5,
            "{text}"
        );
        // A plain deployed value is still shown.
        assert!(text.contains("cache.internal"), "{text}");
    }
    // Without an identity nothing tells that `API_TIMEOUT` holds the token, but the credential shape still hides
    // the URLs with a password.
    let o = tuskc(&root, &["drift", "-e", "production", "--actual", &name]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(!text.contains("hunter2x"), "{text}");
    assert!(!text.contains("postgres://api:"), "{text}");
}

/// Without an identity a secret-derived value was not compared: the report does not say it differs.
#[test]
fn unverified_values_are_not_said_to_differ() {
    let (_tmp, root, key) = sealed();
    let name = deploy_resolved(&root, &key, "json", &|s| s);
    let o = drift_sealed(&root, &name, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(
        text.contains("unverified database.password  (value not compared)"),
        "{text}"
    );
    assert!(!text.contains("differs"), "{text}");
}

/// A deployed file that cannot be used is reported without its content: toml's own message quotes the line, and a
/// file whose whole content is one value would be described by its text. Either may be a secret.
#[test]
fn unusable_deployed_files_are_reported_without_their_content() {
    let dir = project();
    let canary = "CANARY-unreadable-9c2e";
    std::fs::write(
        dir.path().join("bad.toml"),
        format!("[database]\npassword = {canary}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("one.json"), format!("\"{canary}\"")).unwrap();
    for (file, said) in [
        (
            "bad.toml",
            "cannot be read as toml: string values must be quoted",
        ),
        (
            "one.json",
            "`one.json` holds a string, not an object of keys",
        ),
    ] {
        let o = drift_prod(dir.path(), file, &[]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(!all.contains(canary), "{file}: {all}");
        assert!(all.contains(said), "{file}: {all}");
    }
}

/// Issue 18.9: `drift --actual x.env` read `"a\rb"` back as `arb`; it reads the dialect's escapes as python-dotenv.
#[test]
fn dotenv_actual_reads_a_carriage_return_escape_as_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deployed.env"), "CRLF=\"a\\rb\"\n").unwrap();
    std::fs::write(dir.path().join("same.tsk"), "crlf: \"a\\rb\"\n").unwrap();
    std::fs::write(dir.path().join("other.tsk"), "crlf: \"arb\"\n").unwrap();
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "deployed.env", "same.tsk"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("0 drifts"), "{}", stdout(&o));
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "deployed.env", "other.tsk"],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("1 drift,"), "{}", stdout(&o));
}

/// dotenv output read back by `drift --actual` is the build: quotes, backslashes, `$`, backticks, newlines, an
/// empty object and null round-trip with no drift.
#[test]
fn dotenv_build_then_drift_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.tsk"),
        "lines: \"a\\nb\\n\"\nquote: \"it's \\\\ \\\"here\\\"\"\nmoney: \"$5 `x` # not a comment\"\nempty: {}\nnothing: null\nlist: [\"a'b\", 1]\n",
    )
    .unwrap();
    let o = tuskc(dir.path(), &["build", "-f", "dotenv", "app.tsk"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(dir.path().join("deployed.env"), stdout(&o)).unwrap();
    let o = tuskc(
        dir.path(),
        &["drift", "--actual", "deployed.env", "app.tsk"],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("0 drifts"), "{}", stdout(&o));
}

/// Issue 19 (second round): a malformed deployed dotenv file was TSK0003 (the `--env-file` code) and still gave a
/// report with every key missing. Every format's unreadable file is TSK0801 with the place the parser names, no
/// report, exit 2.
#[test]
fn unreadable_deployed_files_are_tsk0801_at_their_place_in_every_format() {
    let dir = project();
    for (file, text, place) in [
        ("w2.env", "A=1\nX=\"unterminated\nY=1\n", "at w2.env:2:1"),
        ("bad.json", "{\"x\": 1,\n  \"y\": }", "at bad.json:2:8"),
        ("bad.toml", "x = 1\ny = \n", "at bad.toml:2:5"),
        ("bad.yaml", "x: [1,\n", "at bad.yaml:2:1"),
    ] {
        std::fs::write(dir.path().join(file), text).unwrap();
        let o = drift_prod(dir.path(), file, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(stdout(&o).is_empty(), "{file}: {}", stdout(&o));
        assert!(err.contains("[TSK0801]"), "{file}: {err}");
        assert!(!err.contains("TSK0003"), "{file}: {err}");
        assert!(err.contains(place), "{file}: {err}");
    }
}
