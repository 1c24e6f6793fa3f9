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
