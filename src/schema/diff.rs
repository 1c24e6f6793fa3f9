//! Schema evolution: classify the differences between two versions of a program's schemas.
//!
//! Owns: the compatibility rules. A change is *breaking* when configuration that the old schema accepted may be
//! rejected by the new one (a field removed from a closed object, a field that became required without a default, a
//! type narrowed, an enum value removed, a range or length tightened, a pattern or format added or changed, an
//! object closed, a binding added), or when the same configuration may resolve to different output (a union's members
//! reordered or one inserted ahead of them, an int now built as a float, a field added with a default, a default
//! added, removed or changed as the field builds it), and *compatible* otherwise (optional fields added, members
//! appended to a union, types widened, ranges loosened, docs changed, a binding removed). Invariant: the comparison
//! is structural and deterministic (old declaration order, then new types, then bindings in layer order), and when it
//! cannot prove a change safe it calls it breaking.

use crate::ir::schema::{const_value, Binding, Schemas};
use crate::ir::{Program, Target};
use crate::schema::check::Checker;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::*;
use crate::value::{format_float, Value, ValueKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    Breaking,
    Compatible,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub impact: Impact,
    /// `Database.pool.max`, `AwsRegion`.
    pub path: String,
    pub what: String,
}

struct Side<'a> {
    schemas: &'a Schemas,
    sources: &'a SourceMap,
    /// Types renamed (old name, new name): only in one version each, with the same definition.
    renames: Vec<(String, String)>,
    /// The old version: its names are spelled as renamed when put in [`canon`]ical form.
    old: bool,
}

/// The two sides of a comparison, with the renames between them: a type only in `old` and one only in `new` whose
/// definitions have the same [`canon`]ical form (layout, docs and the rename itself aside) are one type renamed,
/// paired in declaration order.
fn sides<'a>(
    old: &'a Schemas,
    old_src: &'a SourceMap,
    new: &'a Schemas,
    new_src: &'a SourceMap,
) -> (Side<'a>, Side<'a>) {
    let mut o = Side {
        schemas: old,
        sources: old_src,
        renames: Vec::new(),
        old: true,
    };
    let mut n = Side {
        schemas: new,
        sources: new_src,
        renames: Vec::new(),
        old: false,
    };
    let mut renames: Vec<(String, String)> = Vec::new();
    // Again while a pass finds one: a type that uses a renamed type reads the same only once that rename is known.
    loop {
        let known = renames.len();
        for (a, od) in old.defs.iter().filter(|(a, _)| new.get(a).is_none()) {
            if renames.iter().any(|(x, _)| x == a) {
                continue;
            }
            let found = new.defs.iter().find(|(b, nd)| {
                if old.get(b).is_some() || renames.iter().any(|(_, r)| r == *b) {
                    return false;
                }
                let mut with = renames.clone();
                with.push((a.clone(), (*b).clone()));
                canon(old_src, od.file, &od.decl.ty, &with)
                    == canon(new_src, nd.file, &nd.decl.ty, &[])
            });
            if let Some((b, _)) = found {
                renames.push((a.clone(), b.clone()));
            }
        }
        if renames.len() == known {
            break;
        }
    }
    o.renames = renames.clone();
    n.renames = renames;
    (o, n)
}

impl Side<'_> {
    /// The definition a constraint-free name of a non-object alias stands for.
    fn alias<'t>(&'t self, t: &TypeExpr) -> Option<(&'t TypeExpr, FileId)> {
        let TypeKind::Named { name, constraints } = &t.kind else {
            return None;
        };
        let def = self.schemas.get(&name.name)?;
        (constraints.is_empty() && !matches!(def.decl.ty.kind, TypeKind::Object(_)))
            .then_some((&def.decl.ty, def.file))
    }

    /// Does old type `a` stand for new type `b`: the same name, or a rename?
    fn same_type(&self, a: &str, b: &str) -> bool {
        a == b || self.renames.iter().any(|(x, y)| x == a && y == b)
    }

    fn text(&self, file: FileId, t: &TypeExpr) -> String {
        text(self.sources, file, t.span)
    }

    /// [`canon`], the old version's names spelled as renamed.
    fn canon(&self, file: FileId, t: &TypeExpr) -> String {
        canon(
            self.sources,
            file,
            t,
            if self.old { &self.renames } else { &[] },
        )
    }

    /// A field's default as the field builds it, in [`canon_value`] form; its text when it needs evaluation.
    fn built_default(&self, f: &Field, file: FileId, path: &str) -> Option<String> {
        let d = f.default.as_ref()?;
        let target = Target::default();
        Some(
            Checker::new(self.schemas, self.sources, &target)
                .built_default(f, file, path)
                .map_or_else(|| text(self.sources, file, d.span), |v| canon_value(&v)),
        )
    }
}

/// Source text with its whitespace runs read as one space.
fn text(sources: &SourceMap, file: FileId, span: Span) -> String {
    sources
        .get(file)
        .slice(span)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A type as written, without spans, layout or docs, names in `renames` spelled as renamed: two definitions mean
/// the same when their canonical forms are equal.
fn canon(src: &SourceMap, file: FileId, t: &TypeExpr, renames: &[(String, String)]) -> String {
    let c = |t: &TypeExpr| canon(src, file, t, renames);
    let cs = |cs: &[Constraint]| -> String {
        if cs.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = cs
            .iter()
            .map(|c| match &c.kind {
                ConstraintKind::Range(b) => show(b),
                ConstraintKind::Len(b) => format!("len {}", show(b)),
                ConstraintKind::Pattern { regex, negated } => {
                    format!("{}pattern {regex:?}", if *negated { "not " } else { "" })
                }
                ConstraintKind::Format(f) => format!("format {}", f.name),
                ConstraintKind::Unique => "unique".into(),
            })
            .collect();
        format!("({})", parts.join(", "))
    };
    let value = |e: &Expr| {
        const_value(e, file).map_or_else(|| text(src, file, e.span), |v| canon_value(&v))
    };
    match &t.kind {
        TypeKind::Named { name, constraints } => {
            let spelled = renames
                .iter()
                .find(|(a, _)| *a == name.name)
                .map_or(name.name.as_str(), |(_, b)| b.as_str());
            format!("{spelled}{}", cs(constraints))
        }
        TypeKind::Literal(e) => value(e),
        TypeKind::Array { item, constraints } => format!("[{}]{}", c(item), cs(constraints)),
        TypeKind::Map {
            key,
            value: v,
            constraints,
        } => format!("{{{}: {}}}{}", c(key), c(v), cs(constraints)),
        TypeKind::Object(obj) => {
            let mut parts: Vec<String> = obj
                .fields
                .iter()
                .map(|f| {
                    let mut s = format!(
                        "{}{}: {}",
                        f.name.name,
                        if f.optional { "?" } else { "" },
                        c(&f.ty)
                    );
                    if let Some(d) = &f.default {
                        s.push_str(&format!(" = {}", value(d)));
                    }
                    if let Some((m, _)) = f.deprecated.as_deref() {
                        s.push_str(&format!(" deprecated {m:?}"));
                    }
                    s
                })
                .collect();
            parts.extend(obj.asserts.iter().map(|a| {
                format!(
                    "assert {}{}",
                    text(src, file, a.cond.span),
                    a.message
                        .as_ref()
                        .map_or(String::new(), |m| format!(" : {m:?}"))
                )
            }));
            match &obj.extra {
                Some(None) => parts.push("...".into()),
                Some(Some(x)) => parts.push(format!("...: {}", c(x))),
                None => {}
            }
            format!("{{ {} }}", parts.join(", "))
        }
        TypeKind::Union(ms) => ms.iter().map(c).collect::<Vec<_>>().join(" | "),
        TypeKind::Error => text(src, file, t.span),
    }
}

/// A constant value as it is output: `1` and `1.0` differ, keys in order, strings whole.
fn canon_value(v: &Value) -> String {
    match &v.kind {
        ValueKind::Array(items) => format!(
            "[{}]",
            items.iter().map(canon_value).collect::<Vec<_>>().join(", ")
        ),
        ValueKind::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, x)| format!("{k:?}: {}", canon_value(x)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => v.describe_within(usize::MAX),
    }
}

/// Compare every named type of `old` with the one of the same name in `new`. Types only in the stdlib prelude are
/// skipped unless the user's schemas changed them.
pub fn diff(old: &Schemas, old_src: &SourceMap, new: &Schemas, new_src: &SourceMap) -> Vec<Change> {
    let (o, n) = sides(old, old_src, new, new_src);
    let mut out = Vec::new();
    for (name, od) in &old.defs {
        if let Some((_, to)) = o.renames.iter().find(|(from, _)| from == name) {
            // Every use moved with it, or the new version would not load (TSK0509, unknown type): compatible.
            out.push(Change {
                impact: Impact::Compatible,
                path: name.clone(),
                what: format!("type `{name}` renamed to `{to}` (same definition)"),
            });
            continue;
        }
        match new.get(name) {
            None => out.push(Change {
                impact: Impact::Breaking,
                path: name.clone(),
                what: format!("type `{name}` removed"),
            }),
            Some(nd) => compare(
                &o,
                od.file,
                &od.decl.ty,
                &n,
                nd.file,
                &nd.decl.ty,
                name,
                &mut out,
            ),
        }
    }
    for name in new.defs.keys() {
        if old.get(name).is_none() && !n.renames.iter().any(|(_, to)| to == name) {
            out.push(Change {
                impact: Impact::Compatible,
                path: name.clone(),
                what: format!("type `{name}` added"),
            });
        }
    }
    out
}

/// [`diff`] of the programs' schemas, then their bindings: a binding added checks (and closes) what was unchecked, so
/// it is breaking; one removed checks less, so it is compatible; one whose type changed is compared like a field.
pub fn diff_program(
    old: &Program,
    old_src: &SourceMap,
    new: &Program,
    new_src: &SourceMap,
) -> Vec<Change> {
    let mut out = diff(&old.schemas, old_src, &new.schemas, new_src);
    let (o, n) = sides(&old.schemas, old_src, &new.schemas, new_src);
    let all = |p: &'_ Program| -> Vec<(String, Binding)> {
        p.layers
            .values()
            .flat_map(|l| &l.bindings)
            .map(|b| (binding_path(b), b.clone()))
            .collect()
    };
    let (ba, bb) = (all(old), all(new));
    // The k-th binding of a path and layer in one version pairs with the k-th of the same in the other.
    let nth =
        |xs: &[(String, Binding)], i: usize| xs[..i].iter().filter(|(k, _)| *k == xs[i].0).count();
    let find = |xs: &[(String, Binding)], key: &str, k: usize| {
        xs.iter()
            .filter(|(x, _)| x == key)
            .nth(k)
            .map(|(_, b)| b.clone())
    };
    for (i, (key, a)) in ba.iter().enumerate() {
        match find(&bb, key, nth(&ba, i)) {
            Some(b) => compare(&o, a.file, &a.ty, &n, b.file, &b.ty, key, &mut out),
            None => out.push(Change {
                impact: Impact::Compatible,
                path: key.clone(),
                what: format!(
                    "binding to `{}` removed: this configuration is no longer checked against it",
                    o.text(a.file, &a.ty)
                ),
            }),
        }
    }
    for (i, (key, b)) in bb.iter().enumerate() {
        if find(&ba, key, nth(&bb, i)).is_none() {
            out.push(Change {
                impact: Impact::Breaking,
                path: key.clone(),
                what: format!(
                    "binding to `{}` added: this configuration is now checked against it (and closed where it is)",
                    n.text(b.file, &b.ty)
                ),
            });
        }
    }
    out
}

/// `bind app.db`, `bind (whole configuration)`, `bind app.db (env prod)`.
fn binding_path(b: &Binding) -> String {
    let path = if b.path.is_empty() {
        "(whole configuration)".to_string()
    } else {
        b.path.join(".")
    };
    let layer = b.layer.to_string();
    if layer == "base" {
        format!("bind {path}")
    } else {
        format!("bind {path} ({layer})")
    }
}

#[allow(clippy::too_many_arguments)]
fn compare(
    o: &Side,
    of: FileId,
    ot: &TypeExpr,
    n: &Side,
    nf: FileId,
    nt: &TypeExpr,
    path: &str,
    out: &mut Vec<Change>,
) {
    // A named alias on one side only (`Hostname` → `string`): compare what it stands for.
    let same_name = matches!((&ot.kind, &nt.kind), (TypeKind::Named { name: a, .. }, TypeKind::Named { name: b, .. }) if n.same_type(&a.name, &b.name));
    if !same_name && path.matches('→').count() < 8 {
        if let Some((t, f)) = o.alias(ot) {
            return compare(o, f, t, n, nf, nt, &format!("{path}→"), out);
        }
        if let Some((t, f)) = n.alias(nt) {
            return compare(o, of, ot, n, f, t, &format!("{path}→"), out);
        }
    }
    let path = path.trim_end_matches('→');
    let change = |impact, what: String| Change {
        impact,
        path: path.to_string(),
        what,
    };
    match (&ot.kind, &nt.kind) {
        (TypeKind::Object(a), TypeKind::Object(b)) => {
            for fa in &a.fields {
                let sub = format!("{path}.{}", fa.name.name);
                match b.fields.iter().find(|fb| fb.name.name == fa.name.name) {
                    None => out.push(Change {
                        impact: if b.extra.is_some() {
                            Impact::Compatible
                        } else {
                            Impact::Breaking
                        },
                        path: sub,
                        what: "field removed".into(),
                    }),
                    Some(fb) => {
                        let was_required = !fa.optional && fa.default.is_none();
                        let is_required = !fb.optional && fb.default.is_none();
                        if is_required && !was_required {
                            out.push(Change {
                                impact: Impact::Breaking,
                                path: sub.clone(),
                                what: "became required without a default".into(),
                            });
                        } else if was_required && !is_required {
                            out.push(Change {
                                impact: Impact::Compatible,
                                path: sub.clone(),
                                what: "no longer required".into(),
                            });
                        }
                        let da = fa
                            .default
                            .as_ref()
                            .map(|d| o.sources.get(of).slice(d.span).to_string());
                        let db = fb
                            .default
                            .as_ref()
                            .map(|d| n.sources.get(nf).slice(d.span).to_string());
                        if da.is_none() && db.is_some() && fa.optional {
                            // An optional field with no default was absent from outputs where it was not set.
                            out.push(Change {
                                impact: Impact::Breaking,
                                path: sub.clone(),
                                what: format!(
                                    "default {} added: outputs gain `{}` where it is not set",
                                    db.clone().unwrap_or_default(),
                                    fb.name.name
                                ),
                            });
                        } else if da.is_some() && db.is_none() && !is_required {
                            out.push(Change {
                                impact: Impact::Breaking,
                                path: sub.clone(),
                                what: format!(
                                    "default {} removed: outputs lose `{}` where it is not set",
                                    da.clone().unwrap_or_default(),
                                    fa.name.name
                                ),
                            });
                        }
                        // Compared as the field builds them: `float = 1` and `float = 1.0` are the same output.
                        let built_changed =
                            o.built_default(fa, of, &sub) != n.built_default(fb, nf, &sub);
                        if da.is_some() && db.is_some() && built_changed {
                            out.push(Change {
                                impact: Impact::Breaking,
                                path: sub.clone(),
                                what: format!(
                                    "default changed from {} to {} (resolved output changes where it is not set)",
                                    da.unwrap_or_default(),
                                    db.unwrap_or_default()
                                ),
                            });
                        }
                        if fa.deprecated.is_none() && fb.deprecated.is_some() {
                            out.push(Change {
                                impact: Impact::Compatible,
                                path: sub.clone(),
                                what: "deprecated".into(),
                            });
                        }
                        compare(o, of, &fa.ty, n, nf, &fb.ty, &sub, out);
                    }
                }
            }
            for fb in &b.fields {
                if a.fields.iter().any(|fa| fa.name.name == fb.name.name) {
                    continue;
                }
                let required = !fb.optional && fb.default.is_none();
                let (impact, what) = match &fb.default {
                    _ if required => (
                        Impact::Breaking,
                        "required field added without a default".into(),
                    ),
                    // Every object of this type that does not set it now builds it.
                    Some(d) => (
                        Impact::Breaking,
                        format!(
                            "field added with default {}: every output gains `{}` where it is not set",
                            n.sources.get(nf).slice(d.span),
                            fb.name.name
                        ),
                    ),
                    None => (Impact::Compatible, "field added".into()),
                };
                out.push(Change {
                    impact,
                    path: format!("{path}.{}", fb.name.name),
                    what,
                });
            }
            match (&a.extra, &b.extra) {
                (Some(_), None) => out.push(change(
                    Impact::Breaking,
                    "closed: extra keys are no longer allowed".into(),
                )),
                (None, Some(_)) => out.push(change(
                    Impact::Compatible,
                    "opened: extra keys are now allowed".into(),
                )),
                (Some(Some(x)), Some(Some(y))) => {
                    compare(o, of, x, n, nf, y, &format!("{path}.*"), out)
                }
                (Some(Some(_)), Some(None)) => out.push(change(
                    Impact::Compatible,
                    "extra keys of any type are now allowed".into(),
                )),
                (Some(None), Some(Some(_))) => out.push(change(
                    Impact::Breaking,
                    "extra keys now have a type".into(),
                )),
                _ => {}
            }
            let asserts = |x: &ObjectType, s: &Side, f: FileId| -> Vec<String> {
                x.asserts
                    .iter()
                    .map(|a| s.sources.get(f).slice(a.cond.span).to_string())
                    .collect()
            };
            let (aa, ab) = (asserts(a, o, of), asserts(b, n, nf));
            for x in &ab {
                if !aa.contains(x) {
                    out.push(change(Impact::Breaking, format!("assertion added: {x}")));
                }
            }
            for x in &aa {
                if !ab.contains(x) {
                    out.push(change(
                        Impact::Compatible,
                        format!("assertion removed: {x}"),
                    ));
                }
            }
        }
        (
            TypeKind::Array {
                item: ia,
                constraints: ca,
            },
            TypeKind::Array {
                item: ib,
                constraints: cb,
            },
        ) => {
            compare(o, of, ia, n, nf, ib, &format!("{path}[]"), out);
            constraints(ca, cb, path, out);
        }
        (
            TypeKind::Map {
                key: ka,
                value: va,
                constraints: ca,
            },
            TypeKind::Map {
                key: kb,
                value: vb,
                constraints: cb,
            },
        ) => {
            compare(o, of, ka, n, nf, kb, &format!("{path} (keys)"), out);
            compare(o, of, va, n, nf, vb, &format!("{path}.*"), out);
            constraints(ca, cb, path, out);
        }
        (
            TypeKind::Named {
                name: a,
                constraints: ca,
            },
            TypeKind::Named {
                name: b,
                constraints: cb,
            },
        ) if n.same_type(&a.name, &b.name) => {
            constraints(ca, cb, path, out);
        }
        _ => {
            // Different shapes: compare as lists of alternatives (unions, literals, named types). The first member
            // that fits wins, so where each old alternative lands in the new list decides what a value builds.
            let alts_a = alternatives(o, of, ot);
            let alts_b = alternatives(n, nf, nt);
            let landing: Vec<Option<(usize, bool)>> =
                alts_a.iter().map(|x| lands(x, &alts_b)).collect();
            // Two members whose order flipped may both accept one value (`@env("G", "5")` under `int | string`, or
            // `5 | "5"`): it builds differently. Literals of one type never accept the same value.
            let flipped = (0..alts_a.len()).any(|i| {
                (i + 1..alts_a.len()).any(|j| {
                    matches!((landing[i], landing[j]), (Some((x, _)), Some((y, _))) if x > y)
                        && !same_kind_literals(&alts_a[i], &alts_a[j])
                })
            });
            if flipped {
                out.push(change(
                    Impact::Breaking,
                    format!(
                        "union reordered from `{}` to `{}` (the first member that fits wins)",
                        o.text(of, ot),
                        n.text(nf, nt)
                    ),
                ));
            }
            let single = alts_a.len() == 1 && alts_b.len() == 1;
            for (x, l) in alts_a.iter().zip(&landing) {
                match l {
                    None if !single => {
                        out.push(change(
                            Impact::Breaking,
                            format!("no longer accepts {}", x.text),
                        ));
                    }
                    Some((i, false)) if !single => {
                        out.push(change(Impact::Breaking, respelled(x, &alts_b[*i])));
                    }
                    _ => {}
                }
            }
            let added: Vec<(usize, &Alt)> = alts_b
                .iter()
                .enumerate()
                .filter(|(_, y)| !alts_a.iter().any(|x| x.text == y.text))
                .collect();
            for (k, y) in &added {
                // Inserted ahead of an old member, it takes the values both accept (`@env` text) from it.
                let ahead_of = alts_a
                    .iter()
                    .zip(&landing)
                    .find(|(x, l)| matches!(l, Some((i, _)) if i > k) && !same_kind_literals(x, y));
                match ahead_of {
                    Some((x, _)) => out.push(change(
                        Impact::Breaking,
                        format!(
                            "now also accepts {}, ahead of {} (the first member that fits wins: a value both accept now builds as {})",
                            y.text, x.text, y.text
                        ),
                    )),
                    None if !single => out.push(change(
                        Impact::Compatible,
                        format!("now also accepts {}", y.text),
                    )),
                    None => {}
                }
            }
            if single {
                let (from, to) = (o.text(of, ot), n.text(nf, nt));
                match landing[0] {
                    None => out.push(change(
                        Impact::Breaking,
                        format!("type changed from `{from}` to `{to}`"),
                    )),
                    Some((i, false)) => out.push(change(
                        Impact::Breaking,
                        format!(
                            "type changed from `{from}` to `{to}`: {}",
                            respelled(&alts_a[0], &alts_b[i])
                        ),
                    )),
                    Some((_, true)) if !added.is_empty() => out.push(change(
                        Impact::Compatible,
                        format!("type widened from `{from}` to `{to}`"),
                    )),
                    Some(_) => {}
                }
            }
        }
    }
}

/// One alternative a type accepts: a literal value (`"a"`, `5`) with its type, or a non-literal member in
/// [`canon`]ical form between backticks.
struct Alt {
    text: String,
    literal: Option<&'static str>,
}

fn alternatives(s: &Side, file: FileId, t: &TypeExpr) -> Vec<Alt> {
    match &t.kind {
        TypeKind::Union(ms) => ms.iter().flat_map(|m| alternatives(s, file, m)).collect(),
        TypeKind::Literal(e) => vec![match const_value(e, file) {
            Some(v) => Alt {
                text: canon_value(&v),
                literal: Some(v.type_name()),
            },
            None => Alt {
                text: s.text(file, t),
                literal: None,
            },
        }],
        _ => vec![Alt {
            text: format!("`{}`", s.canon(file, t)),
            literal: None,
        }],
    }
}

/// Two literals of one type: no value fits both, so their order never matters.
fn same_kind_literals(x: &Alt, y: &Alt) -> bool {
    x.literal.is_some() && x.literal == y.literal
}

/// Where old alternative `x` lands among the new ones: the index of itself, or else of the first member that
/// accepts what it accepted; and whether it builds the same output there (`false`: an int built as a float).
fn lands(x: &Alt, new: &[Alt]) -> Option<(usize, bool)> {
    if let Some(i) = new.iter().position(|y| y.text == x.text) {
        return Some((i, true));
    }
    let int = x.text == "`int`" || x.literal == Some("int");
    new.iter().enumerate().find_map(|(i, y)| {
        let same = match y.text.as_str() {
            "`any`" => Some(true),
            // `number` keeps an int written as one, but converts `@env` text as a float.
            "`number`" | "`float`" if int => Some(false),
            "`number`" if x.literal == Some("float") => Some(true),
            "`float`" if x.literal == Some("float") => Some(true),
            // A literal by its own base type: `"a"` by `string`, `5` by `int`.
            t => x.literal.filter(|l| t == format!("`{l}`")).map(|_| true),
        };
        same.map(|same| (i, same))
    })
}

/// Why int alternative `x` landing on `to` (`float`, or `number` for `@env` text) changes outputs.
fn respelled(x: &Alt, to: &Alt) -> String {
    let from_env = if to.text == "`number`" {
        " from `@env` text"
    } else {
        ""
    };
    match x.text.parse::<i64>() {
        Ok(i) => format!(
            "{}{from_env} now builds as {}",
            x.text,
            format_float(i as f64)
        ),
        Err(_) => format!(
            "{} values{from_env} now build as floats (`7` becomes `7.0`)",
            x.text
        ),
    }
}

fn constraints(a: &[Constraint], b: &[Constraint], path: &str, out: &mut Vec<Change>) {
    let push = |impact, what: String, out: &mut Vec<Change>| {
        out.push(Change {
            impact,
            path: path.to_string(),
            what,
        })
    };
    let range = |cs: &[Constraint], len: bool| -> Option<Bounds> {
        cs.iter().find_map(|c| match (&c.kind, len) {
            (ConstraintKind::Range(b), false) | (ConstraintKind::Len(b), true) => Some(b.clone()),
            _ => None,
        })
    };
    for (len, what) in [(false, "range"), (true, "length")] {
        let (ra, rb) = (range(a, len), range(b, len));
        match (ra, rb) {
            (None, Some(r)) => push(Impact::Breaking, format!("{what} added: {}", show(&r)), out),
            (Some(r), None) => push(
                Impact::Compatible,
                format!("{what} removed (was {})", show(&r)),
                out,
            ),
            (Some(x), Some(y)) if x != y => {
                let tighter = lower_raised(&x, &y) || upper_lowered(&x, &y);
                let looser = lower_raised(&y, &x) || upper_lowered(&y, &x);
                let impact = if tighter {
                    Impact::Breaking
                } else {
                    Impact::Compatible
                };
                let verb = match (tighter, looser) {
                    (true, false) => "tightened",
                    (false, _) => "loosened",
                    (true, true) => "changed",
                };
                push(
                    impact,
                    format!("{what} {verb} from {} to {}", show(&x), show(&y)),
                    out,
                );
            }
            _ => {}
        }
    }
    let others = |cs: &[Constraint]| -> Vec<String> {
        cs.iter()
            .filter_map(|c| match &c.kind {
                ConstraintKind::Pattern { regex, negated } => Some(format!(
                    "{}pattern {regex:?}",
                    if *negated { "not " } else { "" }
                )),
                ConstraintKind::Format(f) => Some(format!("format {}", f.name)),
                ConstraintKind::Unique => Some("unique".into()),
                _ => None,
            })
            .collect()
    };
    let (oa, ob) = (others(a), others(b));
    for x in &ob {
        if !oa.contains(x) {
            push(Impact::Breaking, format!("constraint added: {x}"), out);
        }
    }
    for x in &oa {
        if !ob.contains(x) {
            push(Impact::Compatible, format!("constraint removed: {x}"), out);
        }
    }
}

/// Does `new` demand more at the low end than `old`?
fn lower_raised(old: &Bounds, new: &Bounds) -> bool {
    match (old.min, new.min) {
        (None, Some(_)) => true,
        (Some((a, ae)), Some((b, be))) => b > a || (b == a && be && !ae),
        _ => false,
    }
}

fn upper_lowered(old: &Bounds, new: &Bounds) -> bool {
    match (old.max, new.max) {
        (None, Some(_)) => true,
        (Some((a, ae)), Some((b, be))) => b < a || (b == a && be && !ae),
        _ => false,
    }
}

fn show(b: &Bounds) -> String {
    let n = |v: f64| {
        if v.fract() == 0.0 {
            format!("{}", v as i64)
        } else {
            v.to_string()
        }
    };
    match (b.min, b.max) {
        (Some((lo, false)), Some((hi, false))) if lo == hi => n(lo),
        (Some((lo, false)), Some((hi, false))) => format!("{}..{}", n(lo), n(hi)),
        _ => {
            let mut parts = Vec::new();
            if let Some((v, e)) = b.min {
                parts.push(format!("{} {}", if e { ">" } else { ">=" }, n(v)));
            }
            if let Some((v, e)) = b.max {
                parts.push(format!("{} {}", if e { "<" } else { "<=" }, n(v)));
            }
            parts.join(", ")
        }
    }
}
