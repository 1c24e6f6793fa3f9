//! The schema type at a key path: what hover shows for a key and what completion offers inside it.
//!
//! Owns: [`schema_at`] (the type bound at a path, through `bind`/`[section: Type]` in layer order and then key by
//! key with [`crate::schema::types::sub_key`], so unions and named types are walked as the checker walks them),
//! [`fields`] and [`literals`] of a type, and the one-line display of a declaration. Must not know: the protocol.

use crate::ir::Program;
use crate::schema::types::{self, members};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{ExprKind, StrPart, TypeExpr, TypeKind};

/// The type at a key path.
#[derive(Clone, Debug)]
pub struct SchemaInfo<'p> {
    /// The field's declaration as written, on one line (`port?: int(1..65535) = 8080`), or the bound type.
    pub ty: String,
    /// The field's doc, else the named type's.
    pub doc: Option<String>,
    /// The type, for completion of enum literals and nested fields.
    pub expr: &'p TypeExpr,
    /// Where `expr` is written.
    pub file: FileId,
}

/// The schema type bound at `path`: the first binding (in layer order) at or above `path` whose type has every
/// further key of `path`.
pub fn schema_at<'p>(
    p: &'p Program,
    sources: &SourceMap,
    path: &[String],
) -> Option<SchemaInfo<'p>> {
    p.layers
        .values()
        .flat_map(|layer| &layer.bindings)
        .filter(|b| b.path.len() <= path.len() && path[..b.path.len()] == b.path[..])
        .find_map(|b| {
            let mut cur = types::SubKey {
                ty: &b.ty,
                file: b.file,
                field: None,
            };
            for seg in &path[b.path.len()..] {
                cur = types::sub_key(&p.schemas, cur.ty, cur.file, seg)?;
            }
            let shown = match cur.field {
                Some(f) => Span::new(f.ty.span.start as usize, f.span.end as usize),
                None => cur.ty.span,
            };
            let doc = cur
                .field
                .and_then(|f| f.doc.clone())
                .or_else(|| match &cur.ty.kind {
                    TypeKind::Named { name, .. } => {
                        p.schemas.get(&name.name).and_then(|d| d.decl.doc.clone())
                    }
                    _ => None,
                });
            Some(SchemaInfo {
                ty: one_line(text(sources, cur.file, shown)),
                doc,
                expr: cur.ty,
                file: cur.file,
            })
        })
}

fn text(sources: &SourceMap, file: FileId, span: Span) -> &str {
    sources.get(file).text.get(span.range()).unwrap_or("")
}

/// The first line of a declaration, with ` … }` when it goes on.
pub fn one_line(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    if text.contains('\n') {
        format!("{first} … }}")
    } else {
        first.to_string()
    }
}

/// A field a type's objects have, for key completion.
#[derive(Clone, Debug)]
pub struct FieldInfo {
    pub name: String,
    /// The whole declaration, on one line.
    pub decl: String,
    pub doc: Option<String>,
}

/// The fields of the objects `info`'s type allows (every union member's, in member order, first of each name).
pub fn fields(p: &Program, sources: &SourceMap, info: &SchemaInfo) -> Vec<FieldInfo> {
    types::fields(&p.schemas, info.expr, info.file)
        .into_iter()
        .map(|(f, file)| FieldInfo {
            name: f.name.name.clone(),
            decl: one_line(text(sources, file, f.span)),
            doc: f.doc.clone(),
        })
        .collect()
}

/// The values `info`'s type allows that can be written out, as they are written: its literal members (`"strict"`,
/// `8080`, `null`) and `true`/`false` for a `bool`, in member order.
pub fn literals(p: &Program, info: &SchemaInfo) -> Vec<String> {
    let mut out = Vec::new();
    for m in members(&p.schemas, info.expr, info.file) {
        match &m.ty.kind {
            TypeKind::Literal(e) => {
                let text = match &e.kind {
                    ExprKind::Str { parts, .. } => match parts.as_slice() {
                        [StrPart::Lit(s)] => format!("{s:?}"),
                        [] => "\"\"".to_string(),
                        _ => continue,
                    },
                    ExprKind::Int(i) => i.to_string(),
                    ExprKind::Bool(b) => b.to_string(),
                    ExprKind::Null => "null".to_string(),
                    _ => continue,
                };
                out.push(text);
            }
            TypeKind::Named { name, .. } if name.name == "bool" => {
                out.extend(["true".to_string(), "false".to_string()]);
            }
            _ => {}
        }
    }
    out
}
