//! What is under the cursor: a walk of one file's syntax tree that knows the key path each entry defines (sections,
//! blocks, dotted keys, `env`/`provider` blocks) and the object a bare reference is resolved from.

use crate::source::Span;
use crate::syntax::ast::*;

#[derive(Clone, Debug, PartialEq)]
pub enum Hit {
    /// A key being defined (an entry's key, a section header, a `bind` path): its full path.
    Key {
        path: Vec<String>,
        span: Span,
    },
    /// A bare reference in a value, as written, and the object path it is resolved from.
    Reference {
        written: Vec<String>,
        scope: Vec<String>,
        span: Span,
    },
    Variable {
        name: String,
        span: Span,
    },
    Directive {
        name: String,
        span: Span,
    },
    /// A type name (in a schema, `bind`, `[section: Type]`, or a declaration's own name).
    Type {
        name: String,
        span: Span,
    },
    Use {
        path: String,
        span: Span,
    },
    Env {
        name: String,
        span: Span,
    },
    Provider {
        name: String,
        span: Span,
    },
}

fn inside(span: Span, off: u32) -> bool {
    span.start <= off && off <= span.end
}

fn names(k: &KeyPath) -> Vec<String> {
    k.segments.iter().map(|s| s.name.clone()).collect()
}

/// The innermost named thing at byte offset `off`.
pub fn hit_at(ast: &Ast, off: u32) -> Option<Hit> {
    items(&ast.items, off)
}

fn items(list: &[Item], off: u32) -> Option<Hit> {
    let mut section: Vec<String> = Vec::new();
    for item in list {
        match item {
            Item::Section(s) => {
                let base = names(&s.path);
                for (i, seg) in s.path.segments.iter().enumerate() {
                    if inside(seg.span, off) {
                        return Some(Hit::Key {
                            path: base[..=i].to_vec(),
                            span: seg.span,
                        });
                    }
                }
                if let Some(t) = &s.schema {
                    if let Some(h) = ty(t, off) {
                        return Some(h);
                    }
                }
                section = base;
            }
            Item::Entry(e) if inside(e.span, off) => return entry(e, &section, off),
            Item::Env(b) if inside(b.span, off) => {
                if inside(b.name.span, off) {
                    return Some(Hit::Env {
                        name: b.name.name.clone(),
                        span: b.name.span,
                    });
                }
                if let Some(p) = b.extends.as_ref().filter(|p| inside(p.span, off)) {
                    return Some(Hit::Env {
                        name: p.name.clone(),
                        span: p.span,
                    });
                }
                if let Some(p) = b.provider.as_ref().filter(|p| inside(p.span, off)) {
                    return Some(Hit::Provider {
                        name: p.name.clone(),
                        span: p.span,
                    });
                }
                return items(&b.items, off);
            }
            Item::Provider(b) if inside(b.span, off) => {
                if inside(b.name.span, off) {
                    return Some(Hit::Provider {
                        name: b.name.name.clone(),
                        span: b.name.span,
                    });
                }
                return items(&b.items, off);
            }
            Item::Use(u) if inside(u.path_span, off) => {
                return Some(Hit::Use {
                    path: u.path.clone(),
                    span: u.path_span,
                })
            }
            Item::Schema(d) if inside(d.span, off) => {
                if inside(d.name.span, off) {
                    return Some(Hit::Type {
                        name: d.name.name.clone(),
                        span: d.name.span,
                    });
                }
                return ty(&d.ty, off);
            }
            Item::Bind(b) if inside(b.span, off) => {
                let path: Vec<String> = b.path.iter().map(|i| i.name.clone()).collect();
                for (i, seg) in b.path.iter().enumerate() {
                    if inside(seg.span, off) {
                        return Some(Hit::Key {
                            path: path[..=i].to_vec(),
                            span: seg.span,
                        });
                    }
                }
                return ty(&b.ty, off);
            }
            Item::Parity(Parity { keys, span, .. }) | Item::Vary(Vary { keys, span })
                if inside(*span, off) =>
            {
                for k in keys {
                    for (i, seg) in k.segments.iter().enumerate() {
                        if inside(seg.span, off) {
                            return Some(Hit::Key {
                                path: names(k)[..=i].to_vec(),
                                span: seg.span,
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn entry(e: &Entry, ctx: &[String], off: u32) -> Option<Hit> {
    let mut full = ctx.to_vec();
    match &e.target {
        EntryTarget::Key(k) => {
            for (i, seg) in k.segments.iter().enumerate() {
                if inside(seg.span, off) {
                    let mut path = ctx.to_vec();
                    path.extend(names(k)[..=i].iter().cloned());
                    return Some(Hit::Key {
                        path,
                        span: seg.span,
                    });
                }
            }
            full.extend(names(k));
        }
        EntryTarget::Variable(v) => {
            if inside(v.span, off) {
                return Some(Hit::Variable {
                    name: v.name.clone(),
                    span: v.span,
                });
            }
        }
    }
    if inside(e.value.span, off) {
        return expr(&e.value, &full, off);
    }
    None
}

/// `path`: the key path of the value `e` (references inside resolve from its parent object).
fn expr(e: &Expr, path: &[String], off: u32) -> Option<Hit> {
    if !inside(e.span, off) {
        return None;
    }
    match &e.kind {
        ExprKind::Object { entries, .. } => entries
            .iter()
            .filter(|x| inside(x.span, off))
            .find_map(|x| entry(x, path, off)),
        ExprKind::Array { items, .. } => items.iter().enumerate().find_map(|(i, x)| {
            let mut p = path.to_vec();
            p.push(i.to_string());
            expr(x, &p, off)
        }),
        ExprKind::Reference(k) => Some(Hit::Reference {
            written: names(k),
            scope: path[..path.len().saturating_sub(1)].to_vec(),
            span: k.span,
        }),
        ExprKind::Variable(v) => Some(Hit::Variable {
            name: v.name.name.clone(),
            span: v.name.span,
        }),
        ExprKind::Directive(d) => {
            let Directive { name, args, .. } = &**d;
            if inside(name.span, off) {
                return Some(Hit::Directive {
                    name: name.name.clone(),
                    span: name.span,
                });
            }
            args.iter().find_map(|a| expr(a, path, off))
        }
        ExprKind::Str { parts, .. } => parts.iter().find_map(|p| match p {
            StrPart::Interp(x) => expr(x, path, off),
            StrPart::Lit(_) => None,
        }),
        ExprKind::Unary(_, x) | ExprKind::Paren(x) => expr(x, path, off),
        ExprKind::Binary(_, a, b) => expr(a, path, off).or_else(|| expr(b, path, off)),
        ExprKind::Ternary(a, b, c) => expr(a, path, off)
            .or_else(|| expr(b, path, off))
            .or_else(|| expr(c, path, off)),
        _ => None,
    }
}

fn ty(t: &TypeExpr, off: u32) -> Option<Hit> {
    if !inside(t.span, off) {
        return None;
    }
    match &t.kind {
        TypeKind::Named { name, .. } if inside(name.span, off) => Some(Hit::Type {
            name: name.name.clone(),
            span: name.span,
        }),
        TypeKind::Array { item, .. } => ty(item, off),
        TypeKind::Map { key, value, .. } => ty(key, off).or_else(|| ty(value, off)),
        TypeKind::Union(ms) => ms.iter().find_map(|m| ty(m, off)),
        TypeKind::Object(o) => o.fields.iter().find_map(|f| ty(&f.ty, off)).or_else(|| {
            o.extra
                .as_ref()
                .and_then(|x| x.as_ref())
                .and_then(|x| ty(x, off))
        }),
        _ => None,
    }
}

/// The object path new keys typed at `off` would go into, for key completion: sections, `{ }` and `> <` blocks,
/// and indented blocks (a line indented more than `key:` belongs to it).
pub fn object_path_at(ast: &Ast, text: &str, off: u32) -> Vec<String> {
    let col = column_of_line(text, off);
    items_path(&ast.items, text, off, col)
}

fn column_of_line(text: &str, off: u32) -> usize {
    let off = (off as usize).min(text.len());
    let start = text[..off].rfind('\n').map_or(0, |i| i + 1);
    text[start..off].len() - text[start..off].trim_start().len()
}

fn items_path(list: &[Item], text: &str, off: u32, col: usize) -> Vec<String> {
    let mut section: Vec<String> = Vec::new();
    for item in list {
        match item {
            Item::Section(s) if s.span.start <= off => section = names(&s.path),
            Item::Env(b) if inside_block(b.span, off) => {
                return items_path(&b.items, text, off, col);
            }
            Item::Provider(b) if inside_block(b.span, off) => {
                return items_path(&b.items, text, off, col);
            }
            Item::Entry(e) if e.span.start < off => {
                if let Some(p) = entry_path(e, &section, text, off, col) {
                    return p;
                }
            }
            _ => {}
        }
    }
    section
}

fn inside_block(span: Span, off: u32) -> bool {
    span.start < off && off < span.end
}

fn entry_path(e: &Entry, ctx: &[String], text: &str, off: u32, col: usize) -> Option<Vec<String>> {
    let EntryTarget::Key(k) = &e.target else {
        return None;
    };
    let mut full = ctx.to_vec();
    full.extend(names(k));
    let key_col = column_of_line(text, k.span.start);
    match &e.value.kind {
        ExprKind::Object { entries, style } => {
            let within = match style {
                ObjectStyle::Braces | ObjectStyle::Angle => inside_block(e.value.span, off),
                ObjectStyle::Indented => {
                    col > key_col && indented_region(text, k.span.start, key_col) > off
                }
            };
            if !within {
                return None;
            }
            for x in entries {
                if x.span.start < off {
                    if let Some(p) = entry_path(x, &full, text, off, col) {
                        return Some(p);
                    }
                }
            }
            Some(full)
        }
        // `key:` with nothing below yet.
        ExprKind::Error if col > key_col && indented_region(text, k.span.start, key_col) > off => {
            Some(full)
        }
        _ => None,
    }
}

/// Where an indented block that starts with a key at `from` (column `key_col`) ends: the first later non-blank line
/// indented at most `key_col`.
fn indented_region(text: &str, from: u32, key_col: usize) -> u32 {
    let from = from as usize;
    let Some(nl) = text[from.min(text.len())..].find('\n') else {
        return text.len() as u32;
    };
    let mut pos = from + nl + 1;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = &text[pos..end];
        let indent = line.len() - line.trim_start().len();
        if !line.trim().is_empty() && indent <= key_col {
            return pos as u32;
        }
        pos = end + 1;
    }
    text.len() as u32
}
