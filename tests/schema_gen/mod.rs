//! A generator of typed projects for the property tests (tests/properties.rs, tests/schema_properties.rs): named
//! schemas with fields of every kind (ranges, patterns, literal unions, bools, floats, lists, maps, references to
//! other schemas, unions of records, inline records, lists of records), optional fields, defaults, `...` open
//! schemas, bound as sections or at nested key paths (`bind a.b.c: S`), with `env` and `provider` overlays that
//! replace field values (dotted keys and sections). Every value is valid, unless the project is `broken`: then
//! exactly one overlay sets a scalar field to a value its type rejects.
#![allow(dead_code)]

use proptest::prelude::*;

/// A field's type: `Ref`/`RecUnion`/`RecList` name earlier schemas (no cycles).
#[derive(Clone, Debug)]
enum Ty {
    Int(i64, i64),
    Ident,
    Lits,
    Bool,
    Float,
    List(i64),
    Map,
    Ref(usize),
    RecUnion(usize, usize),
    Inline,
    RecList(usize),
}

#[derive(Clone, Debug)]
struct Field {
    ty: Ty,
    optional: bool,
    default: bool,
}

#[derive(Clone, Debug)]
struct Schema {
    fields: Vec<Field>,
    open: bool,
}

const IDENT: &str = "^[a-z][a-z0-9-]*$";
const LITS: [&str; 3] = ["low", "medium", "high"];
const WORDS: [&str; 4] = ["api", "db", "edge", "mail"];

fn ty(kind: u8, param: u16, index: usize) -> Ty {
    let p = i64::from(param);
    match kind {
        0 => Ty::Int(p % 50 - 10, p % 50 - 10 + p % 97),
        1 => Ty::Ident,
        2 => Ty::Lits,
        3 => Ty::Bool,
        4 => Ty::Float,
        5 => Ty::List(p % 20 + 1),
        6 => Ty::Map,
        7 if index > 0 => Ty::Ref(param as usize % index),
        8 if index > 1 => {
            let a = param as usize % index;
            Ty::RecUnion(a, (a + 1) % index)
        }
        9 => Ty::Inline,
        10 if index > 0 => Ty::RecList(param as usize % index),
        _ => Ty::Ident,
    }
}

fn type_text(t: &Ty) -> String {
    match t {
        Ty::Int(lo, hi) => format!("int({lo}..{hi})"),
        Ty::Ident => format!("string(pattern {IDENT:?})"),
        Ty::Lits => LITS.map(|l| format!("{l:?}")).join(" | "),
        Ty::Bool => "bool".into(),
        Ty::Float => "float(>= 0)".into(),
        Ty::List(hi) => format!("[int(0..{hi})](len ..4)"),
        Ty::Map => format!("{{string: {}}}", LITS.map(|l| format!("{l:?}")).join(" | ")),
        Ty::Ref(i) => format!("S{i}"),
        Ty::RecUnion(a, b) => format!("S{a} | S{b}"),
        Ty::Inline => "{ x: int(0..9), y?: string, ... }".into(),
        Ty::RecList(i) => format!("[S{i}]"),
    }
}

/// A valid value of `t` (the same for the same salt).
fn value(schemas: &[Schema], t: &Ty, salt: usize) -> String {
    match t {
        Ty::Int(lo, hi) => (lo + (salt as i64) % (hi - lo + 1)).to_string(),
        Ty::Ident => format!("\"{}-{}\"", WORDS[salt % 4], salt % 100),
        Ty::Lits => format!("{:?}", LITS[salt % 3]),
        Ty::Bool => salt.is_multiple_of(2).to_string(),
        Ty::Float => format!("{}.5", salt % 10),
        Ty::List(hi) => {
            let items: Vec<String> = (0..salt % 4)
                .map(|i| ((salt as i64 + i as i64) % (hi + 1)).to_string())
                .collect();
            format!("[{}]", items.join(", "))
        }
        Ty::Map => {
            let entries: Vec<String> = (0..salt % 3)
                .map(|i| format!("k{i}: {:?}", LITS[(salt + i) % 3]))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        Ty::Ref(i) | Ty::RecUnion(i, _) => record(schemas, *i, salt),
        Ty::Inline => format!("{{ x: {}, z: {} }}", salt % 10, salt % 2 == 1),
        Ty::RecList(i) => {
            let items: Vec<String> = (0..salt % 3)
                .map(|k| record(schemas, *i, salt + k))
                .collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A value of `t` its type rejects, for the scalar types that have one.
fn invalid(t: &Ty) -> Option<String> {
    match t {
        Ty::Int(_, hi) => Some((hi + 1).to_string()),
        Ty::Ident => Some("\"Bad_Ident!\"".into()),
        Ty::Lits => Some("\"extreme\"".into()),
        Ty::Bool => Some("\"yes\"".into()),
        Ty::Float => Some("-1.5".into()),
        _ => None,
    }
}

/// Whether a field is left out of a value (optional ones and ones with a default, now and then).
fn omitted(f: &Field, salt: usize, i: usize) -> bool {
    (f.optional && (salt + i).is_multiple_of(3)) || (f.default && (salt + i).is_multiple_of(2))
}

/// The fields of schema `i` as `name: value` entries, and an extra key where the schema is open.
fn entries(schemas: &[Schema], i: usize, salt: usize) -> Vec<String> {
    let s = &schemas[i];
    let mut out: Vec<String> = s
        .fields
        .iter()
        .enumerate()
        .filter(|(fi, f)| !omitted(f, salt, *fi))
        .map(|(fi, f)| format!("f{fi}: {}", value(schemas, &f.ty, salt + fi)))
        .collect();
    if s.open {
        out.push(format!("extra{}: {}", salt % 3, salt));
    }
    out
}

fn record(schemas: &[Schema], i: usize, salt: usize) -> String {
    format!("{{ {} }}", entries(schemas, i, salt).join(", "))
}

/// A generated project: its one file's text, and whether every value in it is valid.
#[derive(Clone, Debug)]
pub struct Project {
    pub text: String,
    pub valid: bool,
}

/// One binding: schema index and whether it sits at a nested path (`bind nest.bK.c: S`) or is a section.
type Binding = (usize, bool);
/// One overlay line: block (development, production, provider aws, provider gcp), binding, field, salt.
type Overlay = (usize, usize, usize, usize);

fn render(
    schemas: &[Schema],
    bindings: &[Binding],
    overlays: &[Overlay],
    broken: Option<usize>,
) -> Project {
    let mut text = format!("type Ident = string(pattern {IDENT:?})\n");
    for (i, s) in schemas.iter().enumerate() {
        text.push_str(&format!("schema S{i} {{\n"));
        for (fi, f) in s.fields.iter().enumerate() {
            let q = if f.optional { "?" } else { "" };
            let d = if f.default {
                format!(" = {}", value(schemas, &f.ty, 7))
            } else {
                String::new()
            };
            text.push_str(&format!("  f{fi}{q}: {}{d}\n", type_text(&f.ty)));
        }
        if s.open {
            text.push_str("  ...\n");
        }
        text.push_str("}\n");
    }
    let path = |k: usize, nested: bool| {
        if nested {
            format!("nest.b{k}.c")
        } else {
            format!("s{k}")
        }
    };
    // Base: nested bindings and their values first (at the root), then the sections.
    for (k, &(si, nested)) in bindings.iter().enumerate() {
        if nested {
            text.push_str(&format!(
                "bind {}: S{si}\n{}: {}\n",
                path(k, true),
                path(k, true),
                record(schemas, si, k)
            ));
        }
    }
    for (k, &(si, nested)) in bindings.iter().enumerate() {
        if !nested {
            text.push_str(&format!("[s{k}: S{si}]\n"));
            for e in entries(schemas, si, k) {
                text.push_str(&e);
                text.push('\n');
            }
        }
    }
    let mut valid = true;
    // The (block, binding, field) each overlay line sets; a provider's value is hidden in the targets whose
    // environment block sets the same field (an environment overlays its providers).
    let key = |&(ob, k, fi, _): &Overlay| {
        let k = k % bindings.len();
        (ob % 4, k, fi % schemas[bindings[k].0].fields.len())
    };
    let set_by =
        |block: usize, k: usize, fi: usize| overlays.iter().any(|o| key(o) == (block, k, fi));
    let hidden = |o: &Overlay| {
        let (b, k, fi) = key(o);
        b >= 2 && set_by(0, k, fi) && set_by(1, k, fi)
    };
    let blocks = [
        "env development",
        "env production",
        "provider aws",
        "provider gcp",
    ];
    for (b, block) in blocks.iter().enumerate() {
        text.push_str(&format!("{block} {{\n"));
        // One layer sets a key once (else TSK0201): a second overlay line for the same field is left out.
        let mut seen = std::collections::HashSet::new();
        let (mut dotted, mut sections) = (String::new(), String::new());
        for (o, &(ob, k, fi, salt)) in overlays.iter().enumerate() {
            let (si, nested) = bindings[k % bindings.len()];
            let fields = &schemas[si].fields;
            let fi = fi % fields.len();
            if ob % blocks.len() != b || !seen.insert((k % bindings.len(), fi)) {
                continue;
            }
            let bad = (broken == Some(o) && !hidden(&overlays[o]))
                .then(|| invalid(&fields[fi].ty))
                .flatten();
            valid &= bad.is_none();
            let v = bad.unwrap_or_else(|| value(schemas, &fields[fi].ty, salt));
            // Nested bindings as dotted keys (before any header: a header lasts to the block's end), sections
            // as `[sK]` headers.
            if nested {
                dotted.push_str(&format!(
                    "  {}.f{fi}: {v}\n",
                    path(k % bindings.len(), true)
                ));
            } else {
                sections.push_str(&format!("  [s{}]\n  f{fi}: {v}\n", k % bindings.len()));
            }
        }
        text.push_str(&dotted);
        text.push_str(&sections);
        text.push_str("}\n");
    }
    Project { text, valid }
}

/// Projects with 1 to 4 schemas, 1 to 4 bindings and up to 8 overlay lines; about one in three is broken.
pub fn project() -> impl Strategy<Value = Project> {
    let field = (0u8..12, any::<u16>(), 0u8..4);
    let schema = (prop::collection::vec(field, 1..6), any::<bool>());
    (
        prop::collection::vec(schema, 1..5),
        prop::collection::vec((0usize..8, any::<bool>()), 1..5),
        prop::collection::vec((0usize..4, 0usize..8, 0usize..8, 0usize..1000), 0..9),
        prop::option::weighted(0.35, 0usize..9),
    )
        .prop_map(|(raw, bindings, overlays, broken)| {
            let schemas: Vec<Schema> = raw
                .iter()
                .enumerate()
                .map(|(i, (fields, open))| Schema {
                    fields: fields
                        .iter()
                        .map(|&(kind, param, flags)| {
                            let ty = ty(kind, param, i);
                            let scalar = invalid(&ty).is_some();
                            Field {
                                ty,
                                optional: flags & 1 == 1,
                                default: flags & 2 == 2 && flags & 1 == 0 && scalar,
                            }
                        })
                        .collect(),
                    open: *open,
                })
                .collect();
            let bindings: Vec<Binding> = bindings
                .into_iter()
                .map(|(si, nested)| (si % schemas.len(), nested))
                .collect();
            render(&schemas, &bindings, &overlays, broken)
        })
}
