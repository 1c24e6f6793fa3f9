//! Hover, completion, go to definition and document symbols over an [`Analysis`]. Pure functions of the analysis
//! and a byte offset; the protocol types appear only in what they return.

use std::path::Path;

use lsp_types::{
    CompletionItem, CompletionItemKind, DocumentSymbol, Location, SymbolKind, TextEdit, Uri,
};

use super::analysis::Analysis;
use super::locate::{hit_at, object_path_at, Hit};
use super::text::{path_to_uri, range};
use crate::ir::schema::BUILTINS;
use crate::query::schema_at::{self, one_line, schema_at};
use crate::source::{FileId, Span};
use crate::syntax::ast::*;

/// What each directive does, for hover and completion.
pub const DIRECTIVES: &[(&str, &str, &str)] = &[
    ("env", "@env(\"NAME\", default)", "The environment variable `NAME` when compiling (from `--var`, `--env-file` or the process environment), else `default`. Without a default an unset variable is an error. A schema converts the text to the declared type (`\"8080\"` → `8080` for an `int`)."),
    ("secret", "@secret(\"name\")", "A secret from the environment's encrypted store (`secrets/<env>.tsk`). Output holds the reference `secret://name` unless built with `--secrets resolve`; the editor never decrypts or shows it."),
    ("file", "@file(\"path\")", "The text of a file inside the project, relative to this file."),
    ("environment", "@environment", "The name of the environment being built (`null` when the project declares none)."),
    ("provider", "@provider", "The name of the provider being built (`null` when the project declares none)."),
    ("delete", "@delete", "Removes the key inherited from lower layers, in the targets this layer applies to."),
    ("replace", "@replace({ ... })", "Replaces the inherited object instead of merging into it."),
    ("vary", "@vary(value)", "The value, marked as expected to differ between targets: `tuskc diff` reports its differences (including targets that lack the key) as declared, not drift. `vary a.b` at the top level marks a key or section the same way."),
];

pub fn uri_of(a: &Analysis, file: FileId) -> Option<Uri> {
    a.path(file).and_then(|p| path_to_uri(p).parse().ok())
}

fn location(a: &Analysis, file: FileId, span: Span) -> Option<Location> {
    Some(Location {
        uri: uri_of(a, file)?,
        range: range(a.text(file), span),
    })
}

// ----- hover -----

/// Markdown for what is at `off` in `doc`, and the span it describes.
pub fn hover(a: &Analysis, doc: &Path, off: u32) -> Option<(String, Span)> {
    let (_, ast, prog) = a.document(doc)?;
    let hit = hit_at(ast, off)?;
    match hit {
        Hit::Key { path, span } => Some((key_hover(a, prog, &path), span)),
        Hit::Reference {
            written,
            scope,
            span,
        } => {
            // The path the first built target resolves it to (the others show their values under it).
            let path = a
                .resolve_reference(prog, &scope, &written)
                .into_iter()
                .next()
                .map_or(written, |r| r.path);
            Some((key_hover(a, prog, &path), span))
        }
        Hit::Variable { name, span } => {
            let mut s = format!("```tusk\n${name}\n```\nVariable (not emitted).\n");
            let defs = a.variable_definitions(prog, &name);
            if defs.is_empty() {
                s.push_str("\nNot defined.");
            }
            for (f, _, layer, value_span) in defs {
                let text = a.text(f).get(value_span.range()).unwrap_or("");
                let text: String = text.lines().next().unwrap_or("").chars().take(80).collect();
                s.push_str(&format!("\n- {layer}: `{text}`"));
            }
            Some((s, span))
        }
        Hit::Directive { name, span } => {
            let (_, form, what) = DIRECTIVES.iter().find(|(n, ..)| *n == name)?;
            Some((format!("```tusk\n{form}\n```\n{what}"), span))
        }
        Hit::Type { name, span } => Some((type_hover(a, prog, &name), span)),
        Hit::Use { path, span } => Some((
            format!("Module `{path}`: its keys, variables and types join this file's."),
            span,
        )),
        Hit::Env { name, span } => {
            let decl = a.programs.get(prog)?.environments.get(&name);
            let mut s = format!("environment `{name}`");
            if let Some((parent, ..)) = decl.and_then(|d| d.extends.as_ref()) {
                s.push_str(&format!(", extends `{parent}`"));
            }
            Some((s, span))
        }
        Hit::Provider { name, span } => Some((format!("provider `{name}`"), span)),
    }
}

fn key_hover(a: &Analysis, prog: usize, path: &[String]) -> String {
    let key = path.join(".");
    let mut s = String::new();
    let info = a
        .programs
        .get(prog)
        .and_then(|p| schema_at(p, &a.session.sources, path));
    match info {
        Some(info) => {
            s.push_str(&format!("```tusk\n{key}: {}\n```\n", info.ty));
            if let Some(doc) = info.doc {
                s.push_str(&format!("{doc}\n"));
            }
        }
        None => s.push_str(&format!("```tusk\n{key}\n```\n")),
    }
    let values = a.values(prog, path);
    if !values.is_empty() {
        s.push_str("\n**Value per target**\n");
        for (shown, targets) in values {
            s.push_str(&format!("- `{}`: `{shown}`\n", targets.join("`, `")));
        }
    }
    s
}

fn type_hover(a: &Analysis, prog: usize, name: &str) -> String {
    if BUILTINS.contains(&name) {
        return format!("```tusk\n{name}\n```\nBuilt-in type.");
    }
    let Some(def) = a.programs.get(prog).and_then(|p| p.schemas.get(name)) else {
        return format!("`{name}`: unknown type");
    };
    let text = a.text(def.file).get(def.decl.span.range()).unwrap_or("");
    let shown: Vec<&str> = text.lines().take(20).collect();
    let mut s = format!("```tusk\n{}\n```\n", shown.join("\n"));
    if let Some(doc) = &def.decl.doc {
        s.push_str(doc);
    }
    s
}

// ----- definition -----

pub fn definition(a: &Analysis, doc: &Path, off: u32) -> Vec<Location> {
    let Some((_, ast, prog)) = a.document(doc) else {
        return vec![];
    };
    let Some(hit) = hit_at(ast, off) else {
        return vec![];
    };
    let spans: Vec<(FileId, Span)> = match hit {
        Hit::Key { path, .. } => a
            .definitions(prog, &path)
            .into_iter()
            .map(|(f, s, _)| (f, s))
            .collect(),
        // What `build` uses: the definition evaluation reaches in each target checked, without repeats.
        Hit::Reference { written, scope, .. } => {
            let mut spans = Vec::new();
            for at in a
                .resolve_reference(prog, &scope, &written)
                .into_iter()
                .filter_map(|r| r.at)
            {
                if !spans.contains(&at) {
                    spans.push(at);
                }
            }
            spans
        }
        Hit::Variable { name, .. } => a.variable_in_targets(prog, &name),
        Hit::Type { name, .. } => a
            .programs
            .get(prog)
            .and_then(|p| p.schemas.get(&name))
            .map(|d| vec![(d.file, d.decl.name.span)])
            .unwrap_or_default(),
        Hit::Env { name, .. } => a
            .programs
            .get(prog)
            .and_then(|p| p.environments.get(&name))
            .map(|d| vec![(d.file, d.span)])
            .unwrap_or_default(),
        Hit::Provider { name, .. } => a
            .programs
            .get(prog)
            .and_then(|p| p.providers.get(&name))
            .map(|d| vec![(d.file, d.span)])
            .unwrap_or_default(),
        Hit::Use { path, .. } => {
            // The used module: the file `use` loaded (stdlib modules have no file to open).
            let dir = doc.parent().unwrap_or(Path::new("/"));
            let mut target = dir.join(&path);
            if target.extension().is_none() {
                target.set_extension("tsk");
            }
            let target = std::fs::canonicalize(&target).unwrap_or(target);
            return a
                .session
                .sources
                .find(&crate::source::FileKind::Disk(target))
                .and_then(|f| location(a, f, Span::new(0, 0)))
                .into_iter()
                .collect();
        }
        Hit::Directive { .. } => vec![],
    };
    spans
        .into_iter()
        .filter_map(|(f, s)| location(a, f, s))
        .collect()
}

// ----- completion -----

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: Option<String>,
    edit: Option<(lsp_types::Range, String)>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        text_edit: edit.map(|(range, new_text)| {
            lsp_types::CompletionTextEdit::Edit(TextEdit { range, new_text })
        }),
        ..CompletionItem::default()
    }
}

/// Completion at `off` in `doc` (whose current text is `text`).
pub fn completion(a: &Analysis, doc: &Path, text: &str, off: u32) -> Vec<CompletionItem> {
    let off_us = (off as usize).min(text.len());
    let line_start = text[..off_us].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..off_us];
    let trimmed = before.trim_start();
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let word_range = range(text, Span::new(line_start + word_start, off_us));
    let document = a.document(doc);
    let prog = document.map(|(_, _, p)| p);
    let program = prog.and_then(|p| a.programs.get(p));
    let mut out = Vec::new();

    // `use "...`: project files and stdlib modules.
    if let Some(rest) = trimmed.strip_prefix("use") {
        let rest = rest.trim_start();
        if let Some(partial) = rest.strip_prefix('"') {
            let start = off_us - partial.len();
            let r = range(text, Span::new(start, off_us));
            for (name, _) in crate::stdlib::MODULES {
                out.push(item(
                    name,
                    CompletionItemKind::MODULE,
                    Some("standard library".into()),
                    Some((r, name.to_string())),
                ));
            }
            if let Some(dir) = doc.parent() {
                let mut files = Vec::new();
                module_files(dir, dir, 0, &mut files);
                for f in files {
                    if dir.join(&f) != doc {
                        let label = format!("./{f}");
                        out.push(item(
                            &label,
                            CompletionItemKind::FILE,
                            None,
                            Some((r, label.clone())),
                        ));
                    }
                }
            }
            return out;
        }
    }
    // `@directive`
    if before[..word_start].ends_with('@') {
        for (name, form, what) in DIRECTIVES {
            let mut c = item(
                name,
                CompletionItemKind::FUNCTION,
                Some(form.to_string()),
                Some((word_range, name.to_string())),
            );
            c.documentation = Some(lsp_types::Documentation::String(what.to_string()));
            out.push(c);
        }
        return out;
    }
    // `$variable`
    if before[..word_start].ends_with('$') {
        if let Some(p) = program {
            let mut seen = std::collections::HashSet::new();
            for l in p.layers.values() {
                for name in l.vars.keys() {
                    if seen.insert(name.clone()) {
                        out.push(item(
                            name,
                            CompletionItemKind::VARIABLE,
                            None,
                            Some((word_range, name.clone())),
                        ));
                    }
                }
            }
        }
        return out;
    }
    // Environment and provider names after the keywords.
    let words: Vec<&str> = before.split_whitespace().collect();
    let last_kw = if before.ends_with(char::is_whitespace) {
        words.last().copied()
    } else {
        words
            .len()
            .checked_sub(2)
            .and_then(|i| words.get(i))
            .copied()
    };
    if let (Some(kw), Some(p)) = (last_kw, program) {
        let (envs, providers) = a.session.declared(p);
        let names = match kw {
            "env" | "extends" => Some((envs, CompletionItemKind::ENUM_MEMBER)),
            "provider" => Some((providers, CompletionItemKind::ENUM_MEMBER)),
            _ => None,
        };
        if let Some((names, kind)) = names {
            for n in names {
                out.push(item(&n, kind, None, Some((word_range, n.clone()))));
            }
            return out;
        }
    }
    // Type positions: `bind x: T`, `[section: T]`, `type X = T`, a schema field's type.
    let in_schema = document.is_some_and(|(_, ast, _)| {
        ast.items
            .iter()
            .any(|i| matches!(i, Item::Schema(d) if d.span.start < off && off <= d.span.end))
    });
    let type_position = (trimmed.starts_with("bind") && trimmed.contains(':'))
        || (trimmed.starts_with('[') && trimmed.contains(':'))
        || (trimmed.starts_with("type ") && trimmed.contains('='))
        || (in_schema && trimmed.contains(':'));
    if type_position {
        for b in BUILTINS {
            out.push(item(
                b,
                CompletionItemKind::KEYWORD,
                Some("built-in type".into()),
                Some((word_range, b.to_string())),
            ));
        }
        if let Some(p) = program {
            for (name, def) in &p.schemas.defs {
                out.push(item(
                    name,
                    CompletionItemKind::STRUCT,
                    def.decl.doc.clone(),
                    Some((word_range, name.clone())),
                ));
            }
        }
        return out;
    }
    let Some((_, ast, prog)) = document else {
        return out;
    };
    // Value position: `key: |` — enum literals of the field's type, booleans, variables, directives.
    if let Some(sep) = trimmed.find([':', '=']) {
        let key = trimmed[..sep].trim();
        if !key.is_empty() && !key.contains(char::is_whitespace) {
            let mut path = object_path_at(ast, text, off);
            path.extend(key.split('.').map(str::to_string));
            if let Some(p) = a.programs.get(prog) {
                if let Some(info) = schema_at(p, &a.session.sources, &path) {
                    for text in schema_at::literals(p, &info) {
                        out.push(item(
                            &text,
                            CompletionItemKind::ENUM_MEMBER,
                            None,
                            Some((word_range, text.clone())),
                        ));
                    }
                }
            }
            for (name, form, _) in DIRECTIVES.iter().take(3) {
                out.push(item(
                    &format!("@{name}"),
                    CompletionItemKind::FUNCTION,
                    Some(form.to_string()),
                    Some((word_range, format!("@{name}"))),
                ));
            }
            return out;
        }
    }
    // Section header: `[` + the bound schema's top-level fields and the objects layers define.
    if trimmed.starts_with('[') {
        let mut seen = std::collections::HashSet::new();
        for f in fields_at(a, prog, &[]) {
            if seen.insert(f.name.clone()) {
                let mut c = item(
                    &f.name,
                    CompletionItemKind::MODULE,
                    None,
                    Some((word_range, f.name.clone())),
                );
                c.documentation = f.doc.map(lsp_types::Documentation::String);
                out.push(c);
            }
        }
        if let Some(p) = a.programs.get(prog) {
            for l in p.layers.values() {
                for (k, node) in &l.root.fields {
                    if let crate::ir::Node::Object(o) = node {
                        if seen.insert(k.to_string()) {
                            out.push(item(
                                k,
                                CompletionItemKind::MODULE,
                                None,
                                Some((word_range, k.to_string())),
                            ));
                        }
                        for (k2, n2) in &o.fields {
                            let full = format!("{k}.{k2}");
                            if matches!(n2, crate::ir::Node::Object(_)) && seen.insert(full.clone())
                            {
                                out.push(item(
                                    &full,
                                    CompletionItemKind::MODULE,
                                    None,
                                    Some((word_range, full.clone())),
                                ));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }
    // Key position: fields of the bound schema here, then keys other layers define here.
    let path = object_path_at(ast, text, off);
    let mut seen = std::collections::HashSet::new();
    for f in fields_at(a, prog, &path) {
        if seen.insert(f.name.clone()) {
            let mut c = item(
                &f.name,
                CompletionItemKind::FIELD,
                Some(f.decl),
                Some((word_range, f.name.clone())),
            );
            c.documentation = f.doc.map(lsp_types::Documentation::String);
            out.push(c);
        }
    }
    if let Some(p) = a.programs.get(prog) {
        for l in p.layers.values() {
            let mut cur = Some(&l.root);
            for seg in &path {
                cur = cur.and_then(|o| match o.fields.get(seg.as_str()) {
                    Some(crate::ir::Node::Object(x)) => Some(&**x),
                    _ => None,
                });
            }
            if let Some(o) = cur {
                for k in o.fields.keys() {
                    if seen.insert(k.to_string()) {
                        out.push(item(
                            k,
                            CompletionItemKind::PROPERTY,
                            None,
                            Some((word_range, k.to_string())),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The schema fields of the objects at `path`.
fn fields_at(a: &Analysis, prog: usize, path: &[String]) -> Vec<schema_at::FieldInfo> {
    let Some(p) = a.programs.get(prog) else {
        return vec![];
    };
    schema_at(p, &a.session.sources, path)
        .map(|info| schema_at::fields(p, &a.session.sources, &info))
        .unwrap_or_default()
}

/// `.tsk` files under `dir` (three levels, no hidden directories), relative to `base`.
fn module_files(base: &Path, dir: &Path, depth: u32, out: &mut Vec<String>) {
    if depth > 3 {
        return;
    }
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = read.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            module_files(base, &p, depth + 1, out);
        } else if name.ends_with(".tsk") {
            if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
}

// ----- document symbols -----

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be named to build the struct.
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    text: &str,
    span: Span,
    sel: Span,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    let sel = if sel.start >= span.start && sel.end <= span.end {
        sel
    } else {
        span
    };
    DocumentSymbol {
        name: if name.is_empty() { "?".into() } else { name },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: range(text, span),
        selection_range: range(text, sel),
        children: if children.is_empty() {
            None
        } else {
            Some(children)
        },
    }
}

/// The outline of a file: sections with their keys, blocks, environments, providers, schemas and their fields.
pub fn symbols(ast: &Ast, text: &str) -> Vec<DocumentSymbol> {
    let mut out: Vec<DocumentSymbol> = Vec::new();
    let mut section: Option<(DocumentSymbol, Span)> = None;
    let flush = |section: &mut Option<(DocumentSymbol, Span)>, out: &mut Vec<DocumentSymbol>| {
        if let Some((mut s, span)) = section.take() {
            s.range = range(text, span);
            out.push(s);
        }
    };
    for item in &ast.items {
        let sym = match item {
            Item::Section(s) => {
                flush(&mut section, &mut out);
                section = Some((
                    symbol(
                        format!("[{}]", s.path.dotted()),
                        None,
                        SymbolKind::NAMESPACE,
                        text,
                        s.span,
                        s.path.span,
                        vec![],
                    ),
                    s.span,
                ));
                continue;
            }
            Item::Entry(e) => entry_symbol(e, text),
            Item::Env(EnvBlock {
                name, items, span, ..
            })
            | Item::Provider(ProviderBlock { name, items, span }) => {
                flush(&mut section, &mut out);
                let word = if matches!(item, Item::Env(_)) {
                    "env"
                } else {
                    "provider"
                };
                let inner = Ast {
                    file: ast.file,
                    items: items.clone(),
                    comments: vec![],
                };
                Some(symbol(
                    format!("{word} {}", name.name),
                    None,
                    SymbolKind::MODULE,
                    text,
                    *span,
                    name.span,
                    symbols(&inner, text),
                ))
            }
            Item::Schema(d) => {
                flush(&mut section, &mut out);
                let fields = match &d.ty.kind {
                    TypeKind::Object(o) => o
                        .fields
                        .iter()
                        .map(|f| {
                            symbol(
                                f.name.name.clone(),
                                Some(one_line(text.get(f.ty.span.range()).unwrap_or(""))),
                                SymbolKind::FIELD,
                                text,
                                f.span,
                                f.name.span,
                                vec![],
                            )
                        })
                        .collect(),
                    _ => vec![],
                };
                Some(symbol(
                    d.name.name.clone(),
                    Some(if d.alias { "type" } else { "schema" }.into()),
                    if d.alias {
                        SymbolKind::INTERFACE
                    } else {
                        SymbolKind::STRUCT
                    },
                    text,
                    d.span,
                    d.name.span,
                    fields,
                ))
            }
            _ => None,
        };
        if let Some(sym) = sym {
            match &mut section {
                Some((s, span)) if matches!(item, Item::Entry(_)) => {
                    *span = span.to(crate::syntax::fmt::item_span(item));
                    s.children.get_or_insert_with(Vec::new).push(sym);
                }
                _ => out.push(sym),
            }
        }
    }
    flush(&mut section, &mut out);
    out
}

fn entry_symbol(e: &Entry, text: &str) -> Option<DocumentSymbol> {
    let (name, sel, kind) = match &e.target {
        EntryTarget::Key(k) => (k.dotted(), k.span, SymbolKind::PROPERTY),
        EntryTarget::Variable(v) => (format!("${}", v.name), v.span, SymbolKind::VARIABLE),
    };
    let (children, kind) = match &e.value.kind {
        ExprKind::Object { entries, .. } => (
            entries
                .iter()
                .filter_map(|x| entry_symbol(x, text))
                .collect(),
            SymbolKind::OBJECT,
        ),
        ExprKind::Array { .. } => (vec![], SymbolKind::ARRAY),
        _ => (vec![], kind),
    };
    Some(symbol(name, None, kind, text, e.span, sel, children))
}
