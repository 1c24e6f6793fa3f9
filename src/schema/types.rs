//! Walking schema types without a value: named types followed to what they stand for, and the type of a key
//! inside a type.
//!
//! Owns: [`MAX_TYPE_DEPTH`] and [`declared`], the one rule for following a name (the checker and the editor's
//! queries both follow names here, equally far); [`members`], a type's union members with names followed; and
//! [`sub_key`], the type a key inside a type has (an object's field, a map's value, an array's item, the first union
//! member that has the key, as the checker tries members in order). Must not know: values, the command line, editors.

use std::collections::HashSet;

use crate::ir::schema::{SchemaDef, Schemas};
use crate::source::FileId;
use crate::syntax::ast::{Field, TypeExpr, TypeKind};

/// Named types nest at most this deep (a guard against self-referential aliases, which validation reports): while
/// checking one value, and while walking a type for the editor.
pub const MAX_TYPE_DEPTH: u32 = 64;

/// The declaration the name `name` stands for, when it is followed `depth` names deep. `None`: a built-in or unknown
/// name (unknown names are reported by validation), or past [`MAX_TYPE_DEPTH`].
pub fn declared<'s>(schemas: &'s Schemas, name: &str, depth: u32) -> Option<&'s SchemaDef> {
    let def = schemas.get(name)?;
    (depth < MAX_TYPE_DEPTH).then_some(def)
}

/// A type as written and the file it is written in.
#[derive(Clone, Copy, Debug)]
pub struct Member<'s> {
    pub ty: &'s TypeExpr,
    pub file: FileId,
}

/// The alternatives `ty` (written in `file`) allows, in the order a union tries them: unions flattened and declared
/// names followed, so no member is a union or a declared name (built-in names such as `bool` stay). A name is
/// followed once per walk, so a union of unions of the same names costs the size of the table, not its powers.
pub fn members<'s>(schemas: &'s Schemas, ty: &'s TypeExpr, file: FileId) -> Vec<Member<'s>> {
    let mut out = Vec::new();
    flatten(schemas, ty, file, 0, &mut HashSet::new(), &mut out);
    out
}

fn flatten<'s>(
    schemas: &'s Schemas,
    ty: &'s TypeExpr,
    file: FileId,
    depth: u32,
    seen: &mut HashSet<&'s str>,
    out: &mut Vec<Member<'s>>,
) {
    match &ty.kind {
        TypeKind::Union(ms) => {
            for m in ms {
                // Only names count towards the depth, as in the checker: written nesting is bounded by the parser.
                flatten(schemas, m, file, depth, seen, out);
            }
        }
        TypeKind::Named { name, .. } => match declared(schemas, &name.name, depth) {
            Some(def) => {
                if seen.insert(name.name.as_str()) {
                    flatten(schemas, &def.decl.ty, def.file, depth + 1, seen, out);
                }
            }
            None => out.push(Member { ty, file }),
        },
        _ => out.push(Member { ty, file }),
    }
}

/// The type of the key `key` inside a value of type `ty` (written in `file`).
#[derive(Clone, Copy, Debug)]
pub struct SubKey<'s> {
    pub ty: &'s TypeExpr,
    /// Where `ty` is written.
    pub file: FileId,
    /// The object field that declares the key (its doc and its whole declaration), when an object's field does.
    pub field: Option<&'s Field>,
}

/// The type of `key` inside `ty`: an object's field, a map's value, an array's item (for an index), through declared
/// names; in a union, the first member that has the key. `None`: no member has it.
pub fn sub_key<'s>(
    schemas: &'s Schemas,
    ty: &'s TypeExpr,
    file: FileId,
    key: &str,
) -> Option<SubKey<'s>> {
    members(schemas, ty, file)
        .into_iter()
        .find_map(|m| match &m.ty.kind {
            TypeKind::Object(o) => o
                .fields
                .iter()
                .find(|f| f.name.name == key)
                .map(|f| SubKey {
                    ty: &f.ty,
                    file: m.file,
                    field: Some(f),
                }),
            TypeKind::Map { value, .. } => Some(SubKey {
                ty: value,
                file: m.file,
                field: None,
            }),
            TypeKind::Array { item, .. } if key.parse::<usize>().is_ok() => Some(SubKey {
                ty: item,
                file: m.file,
                field: None,
            }),
            _ => None,
        })
}

/// The fields of the objects `ty` allows (every union member's, in member order), the first of each name, with the
/// file each is declared in.
pub fn fields<'s>(
    schemas: &'s Schemas,
    ty: &'s TypeExpr,
    file: FileId,
) -> Vec<(&'s Field, FileId)> {
    let mut out: Vec<(&Field, FileId)> = Vec::new();
    for m in members(schemas, ty, file) {
        if let TypeKind::Object(o) = &m.ty.kind {
            for f in &o.fields {
                if !out.iter().any(|(g, _)| g.name.name == f.name.name) {
                    out.push((f, m.file));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::diagnostic::Sink;
    use crate::syntax::ast::Item;

    fn table(text: &str) -> Schemas {
        let mut sink = Sink::new();
        let ast = crate::syntax::parser::parse(text, FileId(0), &mut sink);
        let mut schemas = Schemas::default();
        for item in &ast.items {
            if let Item::Schema(d) = item {
                schemas.declare(d, FileId(0), &mut sink);
            }
        }
        schemas
    }

    fn named<'s>(schemas: &'s Schemas, name: &str) -> &'s TypeExpr {
        &schemas.get(name).unwrap().decl.ty
    }

    #[test]
    fn a_union_of_unions_of_one_name_is_walked_once() {
        // `T0 = T1 | T1`, … : 2^60 paths through the names, one object at the end.
        let mut text = String::new();
        for i in 0..60 {
            text.push_str(&format!("type T{i} = T{n} | T{n}\n", n = i + 1));
        }
        text.push_str("schema T60 { a: int }\n");
        let schemas = table(&text);
        let t0 = named(&schemas, "T0");
        assert_eq!(members(&schemas, t0, FileId(0)).len(), 1);
        assert!(sub_key(&schemas, t0, FileId(0), "a").is_some());
        assert!(sub_key(&schemas, t0, FileId(0), "b").is_none());
    }

    #[test]
    fn names_are_followed_as_deep_as_the_checker_follows_them() {
        // `Start` is `T0`, as a binding `x: T0` is: the checker follows `T0` at depth 0 and `Tn` at depth n.
        let chain = |n: u32| {
            let mut text = String::from("type Start = T0\n");
            for i in 0..n {
                text.push_str(&format!("type T{i} = T{}\n", i + 1));
            }
            text.push_str(&format!("schema T{n} {{ a: int }}\n"));
            table(&text)
        };
        let near = chain(MAX_TYPE_DEPTH - 1);
        assert!(sub_key(&near, named(&near, "Start"), FileId(0), "a").is_some());
        let past = chain(MAX_TYPE_DEPTH);
        assert!(sub_key(&past, named(&past, "Start"), FileId(0), "a").is_none());
        // A name that names itself ends, reported by validation.
        let own = table("type Loop = Loop\n");
        assert!(members(&own, named(&own, "Loop"), FileId(0)).is_empty());
    }
}
