//! JSON Schema export of every kind of type and constraint, and validation messages that point at values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tuskc::driver::Session;

mod common;

const SCHEMAS: &str = r#"
## Everything JSON Schema can say.
schema All {
  ## A documented field.
  name: string(len 1..10, pattern "^[a-z]", not pattern "x$")
  count: int(> 0, < 100)
  ratio: float(0.5..1.5)
  kind: "a" | "b"
  one: "only"
  either: int | string
  list: [string](len 1..3, unique)
  map: {string(len 1..): int}(len ..4)
  plain_map: {string: bool}
  extra: { a: int, ...: string }
  open: { ... }
  ip: string(format ip)
  net: string(format cidr)
  when: Duration
  size: ByteSize
  version: Semver
  site: Url
  id: Uuid
  old?: int deprecated "use count"
  gone?: int deprecated
  pw: secret
  port: Port(>= 1024)
  assert count < 50 : "small"
}
bind all: All
bind nested.deep.value: int
"#;

fn export(only: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.tsk");
    std::fs::write(&file, SCHEMAS).unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    let bindings: Vec<&tuskc::ir::schema::Binding> = program
        .layer(&tuskc::value::LayerId::Base)
        .unwrap()
        .bindings
        .iter()
        .collect();
    let doc = tuskc::schema::json_schema::export(
        &program.schemas,
        &bindings,
        only,
        "s",
        &tuskc::ir::Target::default(),
        &session.sources,
    );
    serde_json::to_string_pretty(&doc).unwrap()
}

#[test]
fn export_covers_every_type_and_constraint() {
    insta::assert_snapshot!(export(None));
}

#[test]
fn export_one_documented_schema_with_its_dependencies() {
    let text = export(Some("All"));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["title"], "All");
    assert_eq!(doc["description"], "Everything JSON Schema can say.");
    assert!(doc["$defs"]["Port"].is_object());
    assert!(doc["$defs"].get("All").is_none());
    // The exported document is itself a valid JSON Schema.
    assert!(tuskc::schema::json_schema::compile(&text, "all.json").is_ok());
}

#[test]
fn validation_points_at_values_and_missing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.tsk");
    std::fs::write(
        &file,
        r#"[app]
list: [1, "two"]
token: "t-" + @secret("tok")
"#,
    )
    .unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    let target = session.all_targets(&program).remove(0);
    let (_, value) = session.build(&program, &target, None, &inputs).unwrap();
    let validator = tuskc::schema::json_schema::compile(
        r#"{
          "type": "object",
          "properties": {
            "app": {
              "type": "object",
              "required": ["name"],
              "properties": {
                "list": { "type": "array", "items": { "type": "integer" } },
                "token": { "type": "integer" },
                "missing": { "type": "object", "required": ["x"] }
              }
            },
            "other": { "type": "object" }
          },
          "required": ["other"]
        }"#,
        "app.json",
    )
    .unwrap();
    let diags =
        tuskc::schema::json_schema::validate(&validator, &value, "app.json", &session.sources);
    let text = tuskc::diagnostic::render::human(&diags, &session.sources, false)
        .replace(&dir.path().display().to_string(), "<tmp>");
    // The secret-derived token is never quoted.
    assert!(!text.contains("t-secret"), "{text}");
    insta::assert_snapshot!(text);
}

/// The validator sees every secret as the same mask, so `uniqueItems` and `contains` on an array holding a secret
/// would judge the masks (two different secrets "equal", a `const` never found): they are not checked there, in
/// every mode. On arrays without secrets they still are. Through the real binary.
#[test]
fn unique_items_and_contains_skip_arrays_holding_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.tsk"),
        r#"[app]
tokens: [@secret("a"), @secret("b")]
nested: [{ t: @secret("a") }, { t: @secret("b") }]
mixed: ["x", "Bearer " + @secret("c")]
plain: ["x", "x"]
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.json"),
        r#"{"properties":{"app":{"properties":{
            "tokens":{"type":"array","uniqueItems":true,"contains":{"const":"sk-live"},"minContains":2},
            "nested":{"uniqueItems":true,"contains":{"const":{"t":"guess"}}},
            "mixed":{"uniqueItems":true,"contains":{"const":"Bearer guess"},"maxContains":0},
            "plain":{"uniqueItems":true,"contains":{"const":"y"}}}}}}"#,
    )
    .unwrap();
    for mode in ["reference", "redact"] {
        let o = common::tuskc_in(
            dir.path(),
            &[
                "check",
                "c.tsk",
                "--json-schema",
                "s.json",
                "--secrets",
                mode,
            ],
        );
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        // Only the plain array's two violations.
        assert_eq!(err.matches("[TSK0513]").count(), 2, "{mode}: {err}");
        assert!(err.contains("/app/plain: "), "{err}");
        for key in ["tokens", "nested", "mixed"] {
            assert!(!err.contains(&format!("/app/{key}")), "{mode}: {err}");
        }
    }
}

/// A tusk string literal holding exactly `s`.
fn tusk_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `check`'s verdict on `s` as a `string(format NAME)`, and the verdict of `check --json-schema` on the schema
/// `schema export` writes for the same project: (tuskc, jsonschema).
fn format_verdicts(name: &str, s: &str) -> (bool, bool) {
    verdicts(&format!("string(format {name})"), &tusk_string(s))
}

/// `check`'s verdict on the value `literal` (tusk source) bound as a `ty` (the cloud modules of the standard library
/// in scope), and the verdict of `check --json-schema` on the schema `schema export` writes for the same project:
/// (tuskc, jsonschema).
fn verdicts(ty: &str, literal: &str) -> (bool, bool) {
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::tempdir().unwrap();
    }
    DIR.with(|dir| {
        let file = dir.path().join("f.tsk");
        std::fs::write(
            &file,
            format!(
                "use \"std/aws\"\nuse \"std/azure\"\nuse \"std/gcp\"\nbind v: {ty}\nv: {literal}\n"
            ),
        )
        .unwrap();
        let mut session = Session::open(&file).unwrap();
        let program = session.load(&file).unwrap();
        let inputs = session.env_inputs(&[], &[], false);
        let target = session.all_targets(&program).remove(0);
        let built = session.build(&program, &target, None, &inputs);
        let mut diags = session.take_diagnostics();
        // Warnings (a URL with a password in it looks like a credential) are not verdicts.
        diags.retain(|d| d.severity == tuskc::diagnostic::Severity::Error);
        assert!(
            diags
                .iter()
                .all(|d| ["TSK0501", "TSK0504"].contains(&d.code.as_str())),
            "{ty} {literal}: {diags:?}"
        );
        let (_, value) = built.unwrap();
        let bindings: Vec<&tuskc::ir::schema::Binding> = program
            .layer(&tuskc::value::LayerId::Base)
            .unwrap()
            .bindings
            .iter()
            .collect();
        let doc = tuskc::schema::json_schema::export(
            &program.schemas,
            &bindings,
            None,
            "f",
            &tuskc::ir::Target::default(),
            &session.sources,
        );
        let validator = tuskc::schema::json_schema::compile(&doc.to_string(), "f.json").unwrap();
        let violations =
            tuskc::schema::json_schema::validate(&validator, &value, "f.json", &session.sources);
        (diags.is_empty(), violations.is_empty())
    })
}
/// Strings near the seeds: each with up to 3 edits (insert, remove or replace a character from `alphabet`).
fn mutated(
    seeds: &'static [&'static str],
    alphabet: &'static [char],
) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    let edit = (0usize..64, 0u8..3, proptest::sample::select(alphabet));
    (
        proptest::sample::select(seeds),
        proptest::collection::vec(edit, 0..4),
    )
        .prop_map(|(seed, edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (at, kind, c) in edits {
                let at = at % (chars.len() + 1);
                match kind {
                    0 => chars.insert(at, c),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ if at < chars.len() => chars[at] = c,
                    _ => chars.push(c),
                }
            }
            chars.into_iter().collect()
        })
}

/// Strings near each format: valid samples, near misses, and random edits of both.
fn near_formats() -> impl proptest::strategy::Strategy<Value = String> {
    const SEEDS: &[&str] = &[
        "https://example.com/x?y=1#z",
        "file:///etc/hosts",
        "http://[::1]:8080/",
        "http://[::1",
        "localhost:8080",
        "mailto:ops@example.com",
        "http://user@host/p%20q",
        "http://a b/",
        "ops@example.com",
        "\"quoted local\"@example.com",
        "ops@[10.0.0.1]",
        "ops@@example.com",
        "db-1.example.com",
        "xn--bcher-kva.example",
        "ab--c.example",
        "example.com.",
        "10.0.0.1",
        "010.0.0.1",
        "::ffff:10.0.0.1",
        "fe80::1%eth0",
        "1::2::3",
        "10.0.0.0/16",
        "2001:db8::/32",
        "1.0.0-rc.1+build.5",
        "1.0.0-01",
        "1.0.0-0a",
        "01.0.0",
        "1.2",
        "123e4567-e89b-12d3-a456-426614174000",
        "123E4567-E89B-12D3-A456-42661417400G",
        "1h30m",
        "512MiB",
        "",
    ];
    // Near-misses: each seed with up to 3 characters inserted, removed or replaced.
    mutated(
        SEEDS,
        &[
            ':', '/', '@', '.', '[', ']', '%', '-', '+', '#', '?', '0', '9', 'a', 'Z', 'é', ' ',
            '"', '\\',
        ],
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// `check` and `check --json-schema` on the exported schema give the same verdict on every format.
    #[test]
    fn format_checks_agree_with_the_exported_schema(
        s in near_formats(),
        name in proptest::sample::select(&[
            "hostname", "url", "email", "ipv4", "ipv6", "ip", "cidr", "semver", "duration", "bytesize", "uuid",
        ][..]),
    ) {
        let (tuskc, jsonschema) = format_verdicts(name, &s);
        proptest::prop_assert_eq!(tuskc, jsonschema, "{} {:?}", name, s);
    }
}

/// Every standard-library type whose values are strings.
const STD_STRING_TYPES: &[&str] = &[
    "Hostname",
    "Host",
    "Url",
    "HttpUrl",
    "Email",
    "IPv4",
    "IPv6",
    "IP",
    "Cidr",
    "Semver",
    "Duration",
    "ByteSize",
    "Uuid",
    "LogLevel",
    "NonEmptyString",
    "DnsLabel",
    "EnvVarName",
    "EnvironmentName",
    "AwsRegion",
    "AwsAvailabilityZone",
    "AwsAccountId",
    "S3BucketName",
    "AwsInstanceType",
    "AwsTagKey",
    "AwsTagValue",
    "AwsArn",
    "AwsRoleArn",
    "AzureLocation",
    "AzureStorageAccountName",
    "AzureContainerName",
    "AzureResourceGroupName",
    "AzureVmSize",
    "AzureSubscriptionId",
    "AzureTagName",
    "AzureTagValue",
    "AzureResourceId",
    "GcpRegion",
    "GcpZone",
    "GcpProjectId",
    "GcsBucketName",
    "GcpMachineType",
    "GcpLabelKey",
    "GcpLabelValue",
    "GcpResourceName",
    "GcpServiceAccount",
];

/// Strings near the standard library's string types: valid samples, near misses, and random edits of both, with
/// letters outside ASCII (which `\p{L}` takes, `(?i)` folds, and an ASCII-only reading of a pattern would not).
fn near_std_strings() -> impl proptest::strategy::Strategy<Value = String> {
    const SEEDS: &[&str] = &[
        "us-east-1a",
        "us-gov-west-1b",
        "123456789012",
        "my-bucket.logs",
        "xn--bucket",
        "m5.xlarge",
        "team:owner",
        "aws:created-by",
        "AWS:x",
        "Kostenstelle Straße",
        "arn:aws:s3:::bucket/key",
        "arn:aws:iam::123456789012:role/deploy",
        "rg-prod.eu",
        "Standard_D2s_v3",
        "/subscriptions/123e4567-e89b-12d3-a456-426614174000/resourceGroups/rg/providers/Microsoft.Web/sites/app",
        "europe-west1-b",
        "my-project-42",
        "n2-standard-8",
        "équipe",
        "team_日本",
        "projects/my-project-42/topics/t",
        "deployer@my-project-42.iam.gserviceaccount.com",
        "https://example.com/x",
        "10.0.0.0/8",
        "1h30m",
        "5µs",
        "10.0.0.0/8\n",
        "1.0.0\n",
        "30s\n",
        "us-east-1\n",
        "info",
        "production",
        "eastus2",
        "PATH",
        "web-1",
        "",
    ];
    // Near-misses: each seed with up to 3 characters inserted, removed or replaced.
    mutated(
        SEEDS,
        &[
            ':', '/', '.', '-', '_', '@', ' ', '0', 'a', 'Z', 's', 'ſ', 'K', '\u{212A}', 'é', 'É',
            '日', '٣', '\u{a0}', '\u{2028}', '\n', '%', '<', '(', '𝒜',
        ],
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

    /// `check` and `check --json-schema` on the exported schema give the same verdict on every standard-library
    /// string type (patterns with `\p{L}` and `(?i)` included).
    #[test]
    fn std_types_agree_with_the_exported_schema(
        s in near_std_strings(),
        ty in proptest::sample::select(STD_STRING_TYPES),
    ) {
        let (tuskc, jsonschema) = verdicts(ty, &tusk_string(&s));
        proptest::prop_assert_eq!(tuskc, jsonschema, "{} {:?}", ty, s);
    }

    /// The same for the numeric ones.
    #[test]
    fn std_number_types_agree_with_the_exported_schema(
        n in proptest::prop_oneof![-2i64..2, 0i64..70000, 1020i64..1030, 65530i64..65540],
        frac in proptest::sample::select(&["", ".5"][..]),
        ty in proptest::sample::select(&["Port", "UnprivilegedPort", "Ratio", "Percent"][..]),
    ) {
        let (tuskc, jsonschema) = verdicts(ty, &format!("{n}{frac}"));
        proptest::prop_assert_eq!(tuskc, jsonschema, "{} {}{}", ty, n, frac);
    }
}

/// Patterns the standard library writes in Rust syntax (`\p{L}`, a mid-pattern `(?i)`), on values where an
/// ECMA-262 or ASCII reading of the pattern as written would differ from `check`.
#[test]
fn std_pattern_verdicts_on_named_cases() {
    for (ty, s, ok) in [
        ("AwsTagKey", "AWS:x", false),
        ("AwsTagKey", "awſ:x", false),
        ("AwsTagKey", "Straße", true),
        ("AzureResourceGroupName", "équipe", true),
        ("GcpLabelKey", "équipe", true),
        ("GcpLabelKey", "Équipe", false),
        ("GcpLabelValue", "日本", true),
    ] {
        assert_eq!(verdicts(ty, &tusk_string(s)), (ok, ok), "{ty} {s:?}");
    }
}

/// The cases the issue names, and each format's table entry used by both sides.
#[test]
fn format_verdicts_on_named_cases() {
    for (name, s, ok) in [
        ("url", "file:///etc/hosts", true),
        ("url", "http://[::1", false),
        ("url", "localhost:8080", false),
        ("semver", "1.0.0-01", false),
        ("semver", "1.0.0-0a", true),
        ("cidr", "999.1.1.1/99", false),
        ("cidr", "10.0.0.0/33", false),
        ("cidr", "::1/129", false),
        ("cidr", "::1/128", true),
        ("url", "mailto:a@b.c", false),
        ("duration", "5µs", true),
        ("duration", "5us", true),
    ] {
        assert_eq!(format_verdicts(name, s), (ok, ok), "{name} {s:?}");
    }
}

/// A project binding one field of every standard-library type.
fn every_std_type() -> String {
    let mut text =
        String::from("use \"std/aws\"\nuse \"std/azure\"\nuse \"std/gcp\"\nschema All {\n");
    for ty in STD_STRING_TYPES.iter().chain(&[
        "Port",
        "UnprivilegedPort",
        "Ratio",
        "Percent",
        "AwsTags",
        "AzureTags",
        "GcpLabels",
    ]) {
        text.push_str(&format!("  f{ty}?: {ty}\n"));
    }
    text.push_str("}\nbind all: All\n");
    text
}

/// Exported patterns are ECMA-262 as other readers take them: written in Rust syntax (`\p{L}`, a mid-pattern
/// `(?i)`), Python's `re` (which Python's `jsonschema` checks `pattern` and `format: regex` with) rejects them.
#[test]
fn exported_patterns_compile_in_python() {
    const PYTHON: &str = "/usr/bin/python3";
    const SCRIPT: &str = r#"
import json, re, sys
def patterns(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "pattern" and isinstance(v, str):
                yield v
            else:
                yield from patterns(v)
    elif isinstance(x, list):
        for v in x:
            yield from patterns(v)
bad = 0
for p in patterns(json.load(sys.stdin)):
    try:
        re.compile(p)
    except re.error as e:
        print(f"{p[:80]!r}: {e}")
        bad += 1
sys.exit(1 if bad else 0)
"#;
    let found = std::process::Command::new(PYTHON)
        .args(["-c", "import re"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::tool_available(found, &format!("needs {PYTHON}")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.tsk"), every_std_type()).unwrap();
    let out = common::tuskc_in(dir.path(), &["schema", "export", "s.tsk"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let schema = common::stdout(&out);
    assert!(schema.contains("\"AwsTagKey\""), "{schema}");
    assert_eq!(common::python_complaint(PYTHON, SCRIPT, &[], &schema), None);
}

/// Flags are folded into the classes they mean and Unicode classes spelt out; patterns that are already ECMA-262
/// come out as written.
#[test]
fn ecma_patterns() {
    use tuskc::schema::json_schema::ecma_pattern;
    assert_eq!(ecma_pattern("^(?i)aws:"), "^[Aa][Ww][Ssſ]:");
    // `$` is the end of the text, which Python's `$` (also before a final newline) is not: written as a lookahead.
    assert_eq!(
        ecma_pattern("^[a-z]{2}(-gov)?-[0-9]+$"),
        r"^[a-z]{2}(-gov)?-[0-9]+(?![\s\S])"
    );
    assert_eq!(
        ecma_pattern(r"^(ab)*?x|y\.$[$]\$"),
        r"^(ab)*?x|y\.(?![\s\S])[$]\$"
    );
    assert_eq!(ecma_pattern("(?:ab)+"), "(?:ab)+");
    assert_eq!(ecma_pattern(r"\d"), ecma_pattern(r"\p{Nd}"));
    assert_eq!(
        ecma_pattern("^a.b$"),
        "^a[\\x00-\\x09\\x0B-\u{10FFFF}]b(?![\\s\\S])"
    );
    assert_eq!(ecma_pattern("[a&&b]"), "(?!)");
    // Multi-line anchors as lookarounds.
    assert_eq!(
        ecma_pattern("(?m)^a$"),
        r"(?:(?<![\s\S])|(?<=\n))a(?=\n|(?![\s\S]))"
    );
    let letters = ecma_pattern(r"^\p{L}+$");
    let re = fancy_regex::Regex::new(&letters).unwrap();
    let is_match = |s: &str| re.is_match(s).unwrap();
    assert!(
        !letters.contains(r"\p") && is_match("équipe日本") && !is_match("a1") && !is_match("a\n")
    );
    // A Unicode word boundary has no ECMA-262 spelling: left as written.
    assert_eq!(ecma_pattern(r"\bx"), r"\bx");
}

/// Bindings made in the base, a provider and an env block, nested inside one another and at one path.
const BOUND: &str = r#"
schema A { port: Port, b: { c: int } }
schema Audit { sink: string }
schema Opt { level: int = 1 }
schema Lo { level: int = 1 }
schema Hi { level: int(>= 5) }
schema S1 { a: int(0..10) }
schema S2 { a: int(5..20) }
bind w: Lo
bind w: Hi
w: { level: 6 }
bind n.m: string
n: { m: "10" }
[a: A]
port: 80
b: { c: 3 }
[audit: Audit]
sink: "x"
[opt: Opt]
level: 2
bind opt.level: int(>= 0)
[s: S1]
a: 7
env prod { bind a.b: { c: int(>= 2) } }
provider aws { [s: S2] }
"#;

/// The exported schema of BOUND (`args` choosing the target), as a validator.
fn bound_validator(dir: &std::path::Path, args: &[&str]) -> jsonschema::Validator {
    let mut all = vec!["schema", "export", "m.tsk"];
    all.extend(args);
    let o = common::tuskc_in(dir, &all);
    assert!(o.status.success(), "{}", common::stderr(&o));
    tuskc::schema::json_schema::compile(&common::stdout(&o), "m.json").unwrap()
}

/// Every binding that applies constrains the value (an outer one beside a nested one, two at one path, as `check`
/// applies each), and a bound path `check` requires (one it cannot build from defaults) is `required`, at each level.
#[test]
fn export_applies_every_binding_and_requires_what_check_requires() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.tsk"), BOUND).unwrap();
    let check = |set: &str| {
        let o = common::tuskc_in(dir.path(), &["check", "m.tsk", "--set", set]);
        (o.status.success(), common::stderr(&o))
    };
    // What `check` does: a missing section it cannot build from defaults is TSK0514; one built from defaults passes,
    // unless another binding at its path rejects the defaults; both bindings at `s` apply.
    assert!(check("audit=@delete").1.contains("TSK0514"));
    assert!(check("opt=@delete").0);
    assert!(!check("w=@delete").0);
    assert!(!check("n.m=@delete").0);
    assert!(check("s.a=15").1.contains("TSK0504"));
    assert!(check("s.a=3").1.contains("TSK0504"));
    assert!(!check("a.port=70000").0);

    let base = bound_validator(dir.path(), &[]);
    let target = bound_validator(dir.path(), &["--env", "prod", "--provider", "aws"]);
    let good = serde_json::json!({
        "a": { "port": 80, "b": { "c": 3 } },
        "audit": { "sink": "x" },
        "opt": { "level": 2 },
        "w": { "level": 6 },
        "s": { "a": 7 },
        "n": { "m": "10" },
    });
    let with = |pointer: &str, v: Option<serde_json::Value>| {
        let mut g = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let obj = g.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        match v {
            Some(v) => obj.insert(key.to_string(), v),
            None => obj.remove(key),
        };
        g
    };
    for v in [&base, &target] {
        assert!(v.is_valid(&good));
        assert!(!v.is_valid(&with("/audit", None)));
        assert!(v.is_valid(&with("/opt", None)));
        assert!(!v.is_valid(&with("/w", None)));
        assert!(!v.is_valid(&with("/n", None)));
        assert!(!v.is_valid(&with("/n/m", None)));
        // `bind opt.level` beside `[opt: Opt]`: Opt (closed) still applies.
        assert!(!v.is_valid(&with("/opt/extra", Some(1.into()))));
    }
    // `bind a.b` in `env prod` beside `[a: A]`: A still applies, and so does the nested binding.
    assert!(!target.is_valid(&with("/a/port", Some(70000.into()))));
    assert!(!target.is_valid(&with("/a/b", Some(serde_json::json!({ "c": 1 })))));
    // `[s: S2]` in `provider aws` beside `[s: S1]`: both apply.
    assert!(!target.is_valid(&with("/s/a", Some(15.into()))));
    assert!(!target.is_valid(&with("/s/a", Some(3.into()))));
    assert!(base.is_valid(&with("/s/a", Some(3.into()))));
}

/// Python's `re` as Python's `jsonschema` applies a `pattern` (`re.search`; `$` also matches before a final newline)
/// gives `check`'s verdict on values with a trailing newline, for standard-library patterns, format fragments and user
/// patterns (multi-line ones included). The script follows `$ref`, `allOf`, `anyOf` and `not` to each `pattern`
/// (and `enum`, `const`).
#[test]
fn python_re_reads_end_anchors_as_check_does() {
    const PYTHON: &str = "/usr/bin/python3";
    const SCRIPT: &str = r#"
import json, re, sys
doc = json.load(sys.stdin)
def ok(schema, s):
    if not isinstance(schema, dict):
        return schema is not False
    if "$ref" in schema and not ok(doc["$defs"][schema["$ref"].rsplit("/", 1)[1]], s):
        return False
    if "pattern" in schema and re.search(schema["pattern"], s) is None:
        return False
    if s not in schema.get("enum", [s]) or schema.get("const", s) != s:
        return False
    if "not" in schema and ok(schema["not"], s):
        return False
    if not all(ok(x, s) for x in schema.get("allOf", [])):
        return False
    return "anyOf" not in schema or any(ok(x, s) for x in schema["anyOf"])
for s in json.loads(sys.argv[1]):
    print("ok" if ok(doc["properties"]["v"], s) else "bad")
"#;
    let found = std::process::Command::new(PYTHON)
        .args(["-c", "import re"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::tool_available(found, &format!("needs {PYTHON}")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (ty, values) in [
        ("Cidr", &["10.0.0.0/8", "10.0.0.0/8\n"][..]),
        ("Semver", &["1.0.0", "1.0.0\n"]),
        ("Duration", &["30s", "30s\n"]),
        ("AwsRegion", &["us-east-1", "us-east-1\n"]),
        ("AwsAvailabilityZone", &["us-east-1a", "us-east-1a\n"]),
        (r#"string(pattern "^[a-z]+$")"#, &["abc", "abc\n"]),
        (
            r#"string(pattern "(?m)^b$")"#,
            &["a\nb", "b\nc", "ab", "a\nbc", "b\n"],
        ),
        (r#"string(not pattern "x$")"#, &["ax", "ax\n"]),
    ] {
        std::fs::write(
            dir.path().join("f.tsk"),
            format!("use \"std/aws\"\nbind v: {ty}\nv: \"\"\n"),
        )
        .unwrap();
        let o = common::tuskc_in(dir.path(), &["schema", "export", "f.tsk"]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        let out = common::run_with_stdin(
            std::process::Command::new(PYTHON)
                .args(["-c", SCRIPT])
                .arg(serde_json::to_string(values).unwrap()),
            common::stdout(&o).as_bytes(),
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
        let python: Vec<bool> = common::stdout(&out).lines().map(|l| l == "ok").collect();
        // The `jsonschema` crate's verdict on the same export agrees too.
        let tuskc: Vec<bool> = values
            .iter()
            .map(|s| {
                let (tuskc, jsonschema) = verdicts(ty, &tusk_string(s));
                assert_eq!(tuskc, jsonschema, "{ty} {s:?}");
                tuskc
            })
            .collect();
        assert_eq!(python, tuskc, "{ty} {values:?}");
    }
}

/// The one known place the export is looser than `check` (docs/language.md, "JSON Schema"): a whole-number float
/// for an integer type. JSON Schema calls `80.0` an integer; `check` calls it a float.
#[test]
fn a_whole_float_for_an_int_is_the_known_looser_place() {
    assert_eq!(verdicts("Port", "80.0"), (false, true));
    assert_eq!(verdicts("Port", "80.5"), (false, false));
}
