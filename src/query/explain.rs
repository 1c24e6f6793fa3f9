//! `explain`: where a key's value in a built target came from (the layer and line that set it, what it overrode, the
//! variables it was computed from, what a replacing object hid), as text or JSON. The command line prints it; the
//! library API returns it: both ask here, so they never disagree.

use crate::emit::to_json;
use crate::ir::{MNode, Program, Target};
use crate::source::SourceMap;
use crate::value::{Origin, Value, ValueKind};

/// A key as `get` and `explain` read it: as `--set` and a file write it (`services."bad key".port`), else split at
/// dots (`bad key`). `None` when a segment is empty (not a key path).
pub fn key_path(key: &str) -> Option<Vec<String>> {
    let path: Vec<String> = match crate::syntax::parse_key_path(key, crate::source::FileId(0)) {
        Some(kp) => kp.segments.into_iter().map(|s| s.name).collect(),
        None => key.split('.').map(str::to_string).collect(),
    };
    (!path.iter().any(String::is_empty)).then_some(path)
}

fn place(sources: &SourceMap, o: &Origin) -> String {
    let f = sources.get(o.file);
    let lc = f.line_col(o.span.start);
    format!("{}:{}:{}", f.name, lc.line, lc.column)
}

fn origin_json(sources: &SourceMap, o: &Origin) -> serde_json::Value {
    let f = sources.get(o.file);
    let lc = f.line_col(o.span.start);
    serde_json::json!({
        "layer": o.layer.to_string(), "file": f.name, "line": lc.line, "column": lc.column,
        "byte_start": o.span.start, "byte_end": o.span.end,
        "source": f.slice(o.span),
    })
}

/// What `tuskc explain` prints for `path` in `target` (`value` is the value there, already masked if it holds a
/// decrypted secret): lines of text, or one pretty JSON object when `json`. Secrets are described, never quoted.
#[allow(clippy::too_many_arguments)]
pub fn explain_text(
    sources: &SourceMap,
    program: &Program,
    target: &Target,
    merged: &crate::ir::Merged,
    path: &[String],
    value: &Value,
    json: bool,
) -> String {
    // The deepest definition that holds the path (a leaf may hold a computed object the path reaches into).
    let mut defined: Option<(&Origin, &[Origin], usize)> = None;
    for depth in (1..=path.len()).rev() {
        match merged.node(&path[..depth]) {
            Some(MNode::Leaf(l)) => {
                defined = Some((&merged.data(l).origin, &l.overrode, depth));
                break;
            }
            Some(MNode::Object(o)) => {
                defined = Some((&o.origin, &o.overrode, depth));
                break;
            }
            None => {}
        }
    }
    let depth = defined.map_or(0, |(.., d)| d);
    // An object: each layer that set keys inside it, at its first definition there (the object's own first).
    let mut merged_from: Vec<Origin> = Vec::new();
    if let (true, Some(MNode::Object(o))) = (depth == path.len(), merged.node(path)) {
        layers_inside(merged, o, &mut merged_from);
        // In the order the layers apply (base first, `--set` last), not the order their keys come in.
        let order = crate::merge::layer_order(program, target);
        merged_from.sort_by_key(|o| {
            order
                .iter()
                .position(|l| l == &*o.layer)
                .unwrap_or(order.len())
        });
    }
    // A value computed from variables: each variable, where its value for this target was set and what that
    // replaced.
    let mut variables: Vec<(String, Origin, Option<Origin>)> = Vec::new();
    if let Some(MNode::Leaf(l)) = merged.node(&path[..depth]) {
        let mut names = Vec::new();
        expr_variables(&merged.data(l).expr, &mut names);
        for name in names {
            if let Some(var) = merged.vars.get(&name) {
                variables.push((name, merged.data(var).origin, var.overrode.last().copied()));
            }
        }
    }
    // Set inside an object that replaced what lower layers defined (`@replace`, or keys over a whole value): that
    // object's path, the replacing definition, and what the layers below it defined there (under `path`).
    let replaced = (1..=depth)
        .rev()
        .find_map(|d| match merged.node(&path[..d]) {
            Some(MNode::Object(o)) if !o.overrode.is_empty() => Some((d, o.origin)),
            _ => None,
        })
        .map(|(d, by)| {
            let within = path[d..].join(".");
            let below: Vec<(String, Origin)> =
                crate::merge::defined_below(program, target, &by.layer, &path[..d])
                    .into_iter()
                    .filter(|(k, _)| {
                        // A whole value below (`primary: $base`) is what keys over it replaced.
                        within.is_empty()
                            || k.is_empty()
                            || *k == within
                            || k.starts_with(&format!("{within}."))
                    })
                    .map(|(k, def)| {
                        let full = path[..d]
                            .iter()
                            .cloned()
                            .chain((!k.is_empty()).then_some(k));
                        (full.collect::<Vec<_>>().join("."), def.origin)
                    })
                    .collect();
            (path[..d].join("."), by, below)
        });
    // An object or array with a secret inside shows its other values, the secret masked (`secrets::masked`).
    let shown = match &value.kind {
        _ if !value.secret => serde_json::to_string(&crate::emit::Json(value)).unwrap_or_default(),
        ValueKind::Object(_) | ValueKind::Array(_) => {
            serde_json::to_string(&crate::emit::Json(&crate::secrets::masked(value)))
                .unwrap_or_default()
        }
        _ => value.describe(),
    };
    let key = path.join(".");
    if json {
        let j = serde_json::json!({
            "key": key,
            "value": to_json(value),
            "secret": value.secret,
            "defined": defined.map(|(o, ..)| origin_json(sources, o)),
            "defined_by": defined.map(|(.., d)| path[..d].join(".")),
            "overrode": defined.map(|(_, h, _)| h.iter().rev().map(|o| origin_json(sources, o)).collect::<Vec<_>>()),
            "merged_from": merged_from.iter().map(|o| origin_json(sources, o)).collect::<Vec<_>>(),
            "variables": variables.iter().map(|(name, at, over)| serde_json::json!({
                "name": name,
                "defined": origin_json(sources, at),
                "overrode": over.map(|o| origin_json(sources, &o)),
            })).collect::<Vec<_>>(),
            "replaced": replaced.as_ref().map(|(object, by, below)| serde_json::json!({
                "object": object,
                "by": origin_json(sources, by),
                "below": below.iter().map(|(k, o)| serde_json::json!({
                    "key": k,
                    "defined": origin_json(sources, o),
                })).collect::<Vec<_>>(),
            })),
        });
        return format!("{}\n", serde_json::to_string_pretty(&j).unwrap_or_default());
    }
    // Source text quoted only when it is one line. An object's origin is its key: its value as written follows it.
    let one_line = |o: &Origin| {
        let f = sources.get(o.file);
        if o.layer == crate::value::LayerId::Override && o.span.is_empty() {
            // A `--set` object: its file is the value as typed.
            return (!f.text.contains('\n')).then_some(&*f.text);
        }
        // Not for a value with a secret inside: its text may hold the secret's plaintext.
        if let Some(v) = value_after_key(&f.text, o.span.end as usize).filter(|_| !value.secret) {
            return Some(v);
        }
        if let Some(header) = section_header(&f.text, o.span) {
            return Some(header);
        }
        let src = f.slice(o.span);
        (!src.contains('\n')).then_some(src)
    };
    let mut s = format!("{key} = {shown}\n");
    if value.origin.layer == crate::value::LayerId::SchemaDefault {
        s.push_str(&format!(
            "  the schema default at {}\n",
            place(sources, &value.origin)
        ));
        return s;
    }
    if let Some((o, history, depth)) = defined {
        let within = if depth < path.len() {
            format!(" (inside `{}`)", path[..depth].join("."))
        } else {
            String::new()
        };
        s.push_str(&format!(
            "  set in the {} layer at {}{within}\n",
            o.layer,
            place(sources, o)
        ));
        if let Some(src) = one_line(o).filter(|src| !src.is_empty()) {
            s.push_str(&format!("    {src}\n"));
        }
        for (name, at, over) in &variables {
            let src = one_line(at)
                .map(|src| format!(": {src}"))
                .unwrap_or_default();
            let over = over
                .map(|h| format!(" (over the {} layer's, at {})", h.layer, place(sources, &h)))
                .unwrap_or_default();
            s.push_str(&format!(
                "  through `${name}`, set in the {} layer at {}{src}{over}\n",
                at.layer,
                place(sources, at)
            ));
        }
        if let Some((object, by, below)) = &replaced {
            s.push_str(&format!(
                "  `{object}` replaced by the {} layer at {}; below it, {}\n",
                by.layer,
                place(sources, by),
                if below.is_empty() {
                    format!("`{key}` was not set")
                } else {
                    "it was:".to_string()
                }
            ));
            for (k, o) in below {
                let src = one_line(o).unwrap_or("(several lines)");
                s.push_str(&format!(
                    "    {k} = {src}  ({} layer at {})\n",
                    o.layer,
                    place(sources, o)
                ));
            }
        } else if history.is_empty() && merged_from.len() < 2 {
            s.push_str("  overrides nothing\n");
        }
        if merged_from.len() > 1 {
            let layers: Vec<String> = merged_from
                .iter()
                .map(|o| format!("{} ({})", o.layer, place(sources, o)))
                .collect();
            s.push_str(&format!("  merged from: {}\n", layers.join(", ")));
        }
        if !history.is_empty() {
            s.push_str("  overrides:\n");
            for h in history.iter().rev() {
                let src = one_line(h)
                    .map(|src| format!(": {src}"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "    {} layer at {}{src}\n",
                    h.layer,
                    place(sources, h)
                ));
            }
        }
    }
    s
}

/// The layers that set `obj` or keys inside it, each once, at its first definition in key order.
fn layers_inside(merged: &crate::ir::Merged, obj: &crate::ir::MObject, out: &mut Vec<Origin>) {
    fn add(out: &mut Vec<Origin>, o: &Origin) {
        if !out.iter().any(|seen| seen.layer == o.layer) {
            out.push(*o);
        }
    }
    add(out, &obj.origin);
    for node in obj.fields.values() {
        match node {
            MNode::Leaf(l) => add(out, &merged.data(l).origin),
            MNode::Object(o) => layers_inside(merged, o, out),
        }
    }
}

/// The value written after the key that ends at byte `at` (`key: value`, `key = value`, `key { ... }`), when it is
/// on one line: `explain` shows an object, whose origin is its key, by it. Strings and brackets are followed, so the
/// value ends where it closes (`env prod { db: { host: "b" } }` gives `{ host: "b" }`).
fn value_after_key(text: &str, at: usize) -> Option<&str> {
    let rest = text.get(at..)?.trim_start_matches([' ', '\t']);
    let value = match rest.strip_prefix([':', '=']) {
        Some(v) => v.trim_start_matches([' ', '\t']),
        None if rest.starts_with('{') => rest,
        None => return None,
    };
    let (mut depth, mut quote, mut escaped) = (0u32, None, false);
    for (i, c) in value.char_indices() {
        if let Some(q) = quote {
            match c {
                '\n' => return None,
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return Some(value[..i].trim_end()),
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&value[..=i]);
                }
            }
            '\n' | '\r' | '#' | ',' if depth == 0 => return Some(value[..i].trim_end()),
            '\n' | '\r' | '#' => return None,
            _ => {}
        }
    }
    (depth == 0 && quote.is_none()).then_some(value.trim_end())
}

/// The section header (`[services.api]`) a key at `key` is written in, if it is one.
fn section_header(text: &str, key: crate::source::Span) -> Option<&str> {
    let start = text
        .get(..key.start as usize)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text
        .get(key.end as usize..)?
        .find('\n')
        .map_or(text.len(), |i| key.end as usize + i);
    let line = text.get(start..end)?.trim();
    let header = match line.find(']') {
        Some(close) if line.starts_with('[') => &line[..=close],
        _ => return None,
    };
    Some(header)
}

/// The `$variables` an expression names, each once, in source order.
fn expr_variables(e: &crate::syntax::ast::Expr, out: &mut Vec<String>) {
    if let crate::syntax::ast::ExprKind::Variable(v) = &e.kind {
        if !out.contains(&v.name.name) {
            out.push(v.name.name.clone());
        }
    }
    e.for_each_child(&mut |x| expr_variables(x, out));
}
