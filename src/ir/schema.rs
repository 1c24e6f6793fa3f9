//! The table of named types and bindings, as lowering builds it.
//!
//! Owns: [`Schemas`] (every `schema` / `type` declaration of a program, the `std/types` prelude included),
//! [`Binding`] (`bind` and `[section: Type]`); constant expressions ([`const_value`]) are folded by
//! [`crate::ir::fold`]. Invariant: names are
//! unique (TSK0510). The static checks of the declarations are `crate::schema::validate`; checking *values* against
//! types is `crate::schema::check`. Must not know: checking, evaluation.

use std::collections::HashMap;

use indexmap::IndexMap;
use regex::Regex;

use crate::diagnostic::{Code, Diagnostic, Sink};
use crate::source::{FileId, Span};
use crate::syntax::ast::*;
use crate::value::LayerRef;

pub use crate::ir::fold::const_value;

/// Types every program knows without a declaration.
pub const BUILTINS: &[&str] = &[
    "string", "int", "float", "number", "bool", "null", "secret", "any",
];

/// A `schema` or `type` declaration and the file it is in.
#[derive(Debug, Clone)]
pub struct SchemaDef {
    pub decl: SchemaDecl,
    pub file: FileId,
    /// The field table of an object type (`schema S { ... }`), built once when it is declared and shared by every
    /// check of every target.
    pub(crate) field_table: Option<FieldTable>,
}

/// Object types with fewer fields than this have no [`FieldTable`]: scanning their fields costs less.
pub(crate) const SCANNED: usize = 16;

/// Where a large object type declares each field, so a key finds its field without a scan of the type's fields.
/// Holds field numbers only, hashed by the names in the type itself.
#[derive(Debug, Clone)]
pub(crate) struct FieldTable {
    table: hashbrown::HashTable<u32>,
}

impl FieldTable {
    /// The table of `fields`; `None` for fewer than [`SCANNED`], or when a name is declared twice (a broken schema:
    /// scanned, to find every declaration).
    pub(crate) fn new(fields: &[Field]) -> Option<FieldTable> {
        if fields.len() < SCANNED || fields.len() > u32::MAX as usize {
            return None;
        }
        let mut table = hashbrown::HashTable::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let name = f.name.name.as_str();
            match table.entry(
                name_hash(name),
                |&j: &u32| fields[j as usize].name.name == name,
                |&j: &u32| name_hash(&fields[j as usize].name.name),
            ) {
                hashbrown::hash_table::Entry::Occupied(_) => return None,
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(i as u32);
                }
            }
        }
        Some(FieldTable { table })
    }

    /// The number of the field of `fields` (the ones the table was built from) named `name`.
    pub(crate) fn get(&self, fields: &[Field], name: &str) -> Option<usize> {
        self.table
            .find(name_hash(name), |&j| {
                fields.get(j as usize).is_some_and(|f| f.name.name == name)
            })
            .map(|&j| j as usize)
    }
}

fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0).hash_one(name)
}

/// `bind a.b: Type`, `bind Type` or `[a.b: Type]`: the value at `path` must have type `ty`.
#[derive(Debug, Clone)]
pub struct Binding {
    /// Empty: the whole configuration.
    pub path: Vec<String>,
    pub ty: TypeExpr,
    pub file: FileId,
    /// The `bind` item or section header.
    pub span: Span,
    pub layer: LayerRef,
}

/// Compiled `pattern` constraints, by their source text.
pub(crate) type Patterns = HashMap<String, Regex, foldhash::fast::RandomState>;

#[derive(Debug, Default)]
pub struct Schemas {
    /// Keyed by foldhash, as `value::Map` is (its reasons in Cargo.toml): looked up once per named type per use.
    pub defs: IndexMap<String, SchemaDef, foldhash::fast::RandomState>,
    pub(crate) patterns: Patterns,
    /// `parity provider` / `parity env` declarations.
    pub parity: Vec<(Parity, FileId)>,
}

impl Schemas {
    /// [`Schemas::declare_owned`] with a copy: for tests that keep their syntax tree.
    #[cfg(test)]
    pub fn declare(&mut self, decl: &SchemaDecl, file: FileId, sink: &mut Sink) {
        self.declare_owned(decl.clone(), file, sink);
    }

    /// Add a declaration; a second one with the same name is TSK0510. Taken by value: lowering moves it out of a
    /// syntax tree it drops.
    pub fn declare_owned(&mut self, decl: SchemaDecl, file: FileId, sink: &mut Sink) {
        if let Some(first) = self.defs.get(&decl.name.name) {
            sink.push(
                Diagnostic::error(Code::DuplicateSchema, format!("type `{}` is declared twice", decl.name.name))
                    .primary(file, decl.name.span, "declared again here")
                    .secondary(first.file, first.decl.name.span, "first declared here")
                    .help("type names are global across the project and the stdlib modules it uses; rename one"),
            );
            return;
        }
        if BUILTINS.contains(&decl.name.name.as_str()) {
            sink.push(
                Diagnostic::error(
                    Code::DuplicateSchema,
                    format!("`{}` is a built-in type", decl.name.name),
                )
                .primary(file, decl.name.span, "cannot be redeclared")
                .help("choose another name"),
            );
            return;
        }
        let field_table = match &decl.ty.kind {
            TypeKind::Object(obj) => FieldTable::new(&obj.fields),
            _ => None,
        };
        self.defs.insert(
            decl.name.name.clone(),
            SchemaDef {
                decl,
                file,
                field_table,
            },
        );
    }

    pub fn get(&self, name: &str) -> Option<&SchemaDef> {
        self.defs.get(name)
    }

    /// The compiled regex of a `pattern` constraint (compiled by [`Schemas::validate`]).
    pub fn regex(&self, pattern: &str) -> Option<&Regex> {
        self.patterns.get(pattern)
    }

    /// What kind of value a named type holds, following aliases. `None`: unknown name.
    pub fn base_kind(&self, name: &str, depth: u32) -> Option<Base> {
        Some(match name {
            "string" => Base::String,
            "int" | "float" | "number" => Base::Number,
            "bool" | "null" | "secret" | "any" => Base::Any,
            _ => {
                let def = self.defs.get(name)?;
                if depth > 32 {
                    return Some(Base::Any);
                }
                match &def.decl.ty.kind {
                    TypeKind::Named { name, .. } => {
                        self.base_kind(&name.name, depth + 1).unwrap_or(Base::Any)
                    }
                    other => Base::of(other, &|n| self.base_kind(n, depth + 1)),
                }
            }
        })
    }

    /// Key paths whose schema field is marked `@vary`, under the given bindings (for drift detection), with the
    /// file and span of each mark. Fields under arrays and maps are not keyed by name, so they are not followed.
    pub fn vary_paths(&self, bindings: &[&Binding]) -> Vec<(Vec<String>, FileId, Span)> {
        let mut out = Vec::new();
        for b in bindings {
            self.vary_in(&b.ty, b.file, &mut b.path.clone(), &mut out, 0);
        }
        out
    }

    fn vary_in(
        &self,
        ty: &TypeExpr,
        file: FileId,
        path: &mut Vec<String>,
        out: &mut Vec<(Vec<String>, FileId, Span)>,
        depth: u32,
    ) {
        if depth > 32 {
            return; // self-referential types (reported by validation)
        }
        match &ty.kind {
            TypeKind::Named { name, .. } => {
                if let Some(def) = self.defs.get(&name.name) {
                    self.vary_in(&def.decl.ty, def.file, path, out, depth + 1);
                }
            }
            TypeKind::Object(obj) => {
                for f in &obj.fields {
                    path.push(f.name.name.clone());
                    if let Some(span) = f.vary {
                        out.push((path.clone(), file, span));
                    }
                    self.vary_in(&f.ty, file, path, out, depth + 1);
                    path.pop();
                }
            }
            TypeKind::Union(members) => {
                for m in members {
                    self.vary_in(m, file, path, out, depth + 1);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn shallow_base(&self, ty: &TypeExpr) -> Option<Base> {
        match &ty.kind {
            TypeKind::Named { name, .. } => self.base_kind(&name.name, 0),
            other => Some(Base::of(other, &|n| self.base_kind(n, 1))),
        }
    }
}

/// The coarse kind of value a type holds, for deciding which constraints fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    String,
    Number,
    Array,
    Map,
    Any,
}

impl Base {
    fn of(kind: &TypeKind, named: &dyn Fn(&str) -> Option<Base>) -> Base {
        match kind {
            TypeKind::Literal(e) => match e.kind {
                ExprKind::Str { .. } => Base::String,
                ExprKind::Int(_) | ExprKind::Float(_) => Base::Number,
                _ => Base::Any,
            },
            TypeKind::Array { .. } => Base::Array,
            TypeKind::Map { .. } | TypeKind::Object(_) => Base::Map,
            TypeKind::Named { name, .. } => named(&name.name).unwrap_or(Base::Any),
            TypeKind::Union(ms) => {
                let bases: Vec<Base> = ms.iter().map(|m| Base::of(&m.kind, named)).collect();
                match bases.first() {
                    Some(b) if bases.iter().all(|x| x == b) => *b,
                    _ => Base::Any,
                }
            }
            TypeKind::Error => Base::Any,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Base::String => "a string type",
            Base::Number => "a number type",
            Base::Array => "an array type",
            Base::Map => "an object or map type",
            Base::Any => "this type",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema `S` declared by `text`, as lowering declares it.
    fn declared(text: &str) -> SchemaDef {
        let mut sink = Sink::new();
        let ast = crate::syntax::parse(text, FileId(0), &mut sink);
        let mut schemas = Schemas::default();
        for item in ast.items {
            if let Item::Schema(d) = item {
                schemas.declare_owned(*d, FileId(0), &mut sink);
            }
        }
        schemas.get("S").cloned().expect("S declared")
    }

    fn schema(names: &[String]) -> String {
        let fields: String = names.iter().map(|n| format!("  {n}: int\n")).collect();
        format!("schema S {{\n{fields}}}\n")
    }

    /// A declared object schema of `SCANNED` fields or more has a table that finds each field by its name and
    /// nothing else; a smaller one, or one declaring a name twice, has none (its fields are scanned).
    #[test]
    fn field_table_finds_every_field_of_a_large_schema() {
        let names: Vec<String> = (0..40).map(|i| format!("f{i:02}")).collect();
        let def = declared(&schema(&names));
        let TypeKind::Object(obj) = &def.decl.ty.kind else {
            panic!("an object type")
        };
        let table = def.field_table.as_ref().expect("a table for 40 fields");
        for (i, n) in names.iter().enumerate() {
            assert_eq!(table.get(&obj.fields, n), Some(i), "{n}");
        }
        for missing in ["f40", "f0", "", "F01", "f01 "] {
            assert_eq!(table.get(&obj.fields, missing), None, "{missing:?}");
        }
        assert!(declared(&schema(&names[..SCANNED - 1])).field_table.is_none());
        assert!(declared(&schema(&names[..SCANNED])).field_table.is_some());
        let mut twice = names.clone();
        twice.push("f07".into());
        assert!(declared(&schema(&twice)).field_table.is_none());
    }
}
