//! JSON Schema export of every kind of type and constraint, and validation messages that point at values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tuskc::driver::Session;

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
    let bindings: Vec<&tuskc::schema::Binding> = program
        .layer(&tuskc::value::LayerId::Base)
        .unwrap()
        .bindings
        .iter()
        .collect();
    let doc = tuskc::json_schema::export(&program.schemas, &bindings, only, "s", &session.sources);
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
    assert!(tuskc::json_schema::compile(&text, "all.json").is_ok());
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
    let validator = tuskc::json_schema::compile(
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
    let diags = tuskc::json_schema::validate(&validator, &value, "app.json", &session.sources);
    let text = tuskc::render::human(&diags, &session.sources, false)
        .replace(&dir.path().display().to_string(), "<tmp>");
    // The secret-derived token is never quoted.
    assert!(!text.contains("t-secret"), "{text}");
    insta::assert_snapshot!(text);
}
