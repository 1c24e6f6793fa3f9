//! Schema evolution rules, one pair of versions per rule family; the classified changes are snapshotted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tuskc::driver::Session;
use tuskc::schema::diff::{diff_program, Impact};

fn load(dir: &std::path::Path, name: &str, text: &str) -> (Session, tuskc::ir::Program) {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    (session, program)
}

fn changes(old: &str, new: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (a, pa) = load(dir.path(), "old.tsk", old);
    let (b, pb) = load(dir.path(), "new.tsk", new);
    diff_program(&pa, &a.sources, &pb, &b.sources)
        .iter()
        .map(|c| {
            let tag = if c.impact == Impact::Breaking {
                "breaking  "
            } else {
                "compatible"
            };
            format!("{tag}  {}: {}\n", c.path, c.what)
        })
        .collect()
}

#[test]
fn containers_extras_and_assertions() {
    insta::assert_snapshot!(changes(
        r#"schema S {
  list: [int](len 1..5)
  map: {string: int}(len ..10)
  open: { a: int, ...: int }
  any_extra: { a: int, ... }
  typed_extra: { a: int, ...: int }
  n: int
  assert n > 0 : "positive"
}
type Gone = string
"#,
        r#"schema S {
  list: [number](len 1..)
  map: {string: string}(len ..5)
  open: { a: int, ...: string }
  any_extra: { a: int, ...: int }
  typed_extra: { a: int, ... }
  n: int
  assert n > 1 : "more than one"
}
"#
    ));
}

#[test]
fn ranges_lengths_and_types() {
    insta::assert_snapshot!(changes(
        r#"schema R {
  a: int(1..10)
  b: int(>= 0)
  c: int(1..10)
  d: string
  e: float(> 0)
  f: int
  g: "x" | "y"
  h: string(len 1..10)
  i: int
  j: bool
  k: 1 | 2
}
"#,
        r#"schema R {
  a: int(0..20)
  b: int(> 0)
  c: int(5..20)
  d: string(len 1..)
  e: float
  f: number
  g: string
  h: string
  i: string
  j: bool | null
  k: 1 | 2 | 3.5
}
"#
    ));
}

#[test]
fn identical_schemas_have_no_changes() {
    let text = "schema A { x: int(1..5) = 3, y?: [string](unique) }\n";
    assert_eq!(changes(text, text), "");
}

#[test]
fn bindings_added_removed_and_retyped() {
    insta::assert_snapshot!(changes(
        r#"schema S { a: int }
schema T { a: int }
bind gone: S
bind retyped: S
[s]
a = 1
"#,
        r#"schema S { a: int }
schema T { a: int }
bind retyped: T
[s: S]
a = 1
"#
    ));
}

#[test]
fn union_reorders_and_defaults() {
    insta::assert_snapshot!(changes(
        r#"schema U {
  g: int | string
  lit: "a" | "b"
  w?: string
  x: string = "x"
  y: int = 1
  z: string = "z"
}
"#,
        r#"schema U {
  g: string | int
  lit: "b" | "a"
  w: string = "z"
  x?: string
  y: int = 2
  z: string = "z"
}
"#
    ));
}

#[test]
fn a_type_renamed_with_its_uses_is_one_compatible_change() {
    insta::assert_snapshot!(changes(
        r#"schema A { x: int, y?: string }
schema Root { a: A, list: [A] }
[s: A]
x = 1
"#,
        r#"schema B {
  x: int, y?: string
}
schema Root { a: B, list: [B] }
[s: B]
x = 1
"#
    ));
}

#[test]
fn a_field_added_with_a_default_changes_every_output() {
    let out = changes(
        "schema S { a: int = 1 }\nbind s: S\n",
        "schema S { a: int = 1, b: int = 2, c?: int }\nbind s: S\n",
    );
    assert_eq!(
        out,
        "breaking    S.b: field added with default 2: every output gains `b` where it is not set\n\
         compatible  S.c: field added\n"
    );
}

#[test]
fn a_union_member_inserted_before_existing_ones_is_breaking() {
    insta::assert_snapshot!(changes(
        r#"schema S {
  a: string
  b: string
  c: int | string
  d: "x" | "y"
}
"#,
        r#"schema S {
  a: int | string
  b: string | int
  c: int | bool | string
  d: "w" | "x" | "y"
}
"#
    ));
}

#[test]
fn int_to_float_changes_the_output_spelling() {
    insta::assert_snapshot!(changes(
        "schema S {\n  a: int\n  b: int | string\n  c: 5 | 6\n  d: int\n}\n",
        "schema S {\n  a: float\n  b: float | string\n  c: float\n  d: number\n}\n"
    ));
}

#[test]
fn reordering_literals_of_different_types_is_breaking() {
    insta::assert_snapshot!(changes(
        r#"schema S {
  a: 5 | "5"
  b: true | "true"
  c: "a" | "b" | "c"
  d: 1 | 2
}
"#,
        r#"schema S {
  a: "5" | 5
  b: "true" | true
  c: "c" | "a" | "b"
  d: 2 | 1
}
"#
    ));
}

#[test]
fn defaults_are_compared_as_the_field_builds_them() {
    let out = changes(
        "schema S {\n  b: float = 1\n  c: int = 1\n  d: [float] = [1, 2]\n  e: string = \"x\"\n}\n",
        "schema S {\n  b: float = 1.0\n  c: number = 1.0\n  d: [float] = [1.0, 2.0]\n  e: string = 'x'\n}\n",
    );
    assert_eq!(
        out,
        "breaking    S.c: default changed from 1 to 1.0 (resolved output changes where it is not set)\n\
         breaking    S.c: type changed from `int` to `number`: `int` values from `@env` text now build as floats (`7` becomes `7.0`)\n"
    );
}

#[test]
fn renames_ignore_layout_and_docs() {
    let old = "## An A.\nschema A { x: int, y?: string }\nschema Root { a: A }\nbind s: A\n";
    for new in [
        "## An A.\nschema B { x:int, y?: string }\nschema Root { a: B }\nbind s: B\n",
        "## An A.\nschema B { x: int, y?: string, }\nschema Root { a: B }\nbind s: B\n",
        "## An A.\nschema B {\n  x: int\n  y?: string\n}\nschema Root { a: B }\nbind s: B\n",
        "## A B, documented anew.\nschema B { x: int, y?: string }\nschema Root { a: B }\nbind s: B\n",
    ] {
        assert_eq!(
            changes(old, new),
            "compatible  A: type `A` renamed to `B` (same definition)\n",
            "{new}"
        );
    }
}

#[test]
fn a_renamed_type_inside_a_union_follows_the_rename() {
    assert_eq!(
        changes(
            "schema A { x: int }\nschema S { u: A | string, v: [A | int] }\n",
            "schema B { x: int }\nschema S { u: B | string, v: [B | int] }\n",
        ),
        "compatible  A: type `A` renamed to `B` (same definition)\n"
    );
}
