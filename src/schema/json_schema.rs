//! JSON Schema interop: export declared schemas as JSON Schema 2020-12, and validate a target's output against a
//! JSON Schema an application publishes.
//!
//! Owns: the mapping from tuskc types to JSON Schema keywords. Invariants: export is a pure function of the
//! schemas (same input, byte-identical output; `$defs` in declaration order); validation never fetches anything
//! (the validator is built without HTTP or file `$ref` resolution), and its errors point at the value's origin.

use serde_json::{json, Map, Value as Json};

use crate::diagnostic::{show_path, Code, Diagnostic};
use crate::ir::schema::{const_value, Binding, Schemas};
use crate::ir::Target;
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::*;
use crate::value::{Value, ValueKind};

pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A document with every schema the bindings use (and, with `only`, just that schema as the root).
pub fn export(
    schemas: &Schemas,
    bindings: &[&Binding],
    only: Option<&str>,
    title: &str,
    target: &Target,
    sources: &SourceMap,
) -> Json {
    let mut x = Exporter {
        schemas,
        sources,
        used: Vec::new(),
    };
    let mut root = Map::new();
    root.insert("$schema".into(), json!(DIALECT));
    match only {
        Some(name) => {
            if let Some(def) = schemas.get(name) {
                root.insert("title".into(), json!(name));
                if let Some(doc) = &def.decl.doc {
                    root.insert("description".into(), json!(doc));
                }
                root.extend(x.ty_object(&def.decl.ty, def.file));
            }
        }
        None => {
            root.insert("title".into(), json!(title));
            root.insert("type".into(), json!("object"));
            // Every binding that applies constrains its value (`check` checks each, in order), so bindings at one
            // path, or at a path and one inside it, are combined with `allOf`.
            let mut tree = Bound::default();
            for b in bindings {
                let t = x.ty(&b.ty, b.file);
                let mut node = &mut tree;
                for seg in &b.path {
                    node = node.key(seg);
                }
                node.types.push(t);
            }
            // A bound path (or a section on the way to one) is required where `check` rejects a target without it.
            let mut checker = crate::schema::check::Checker::new(schemas, sources, target);
            tree.mark_required(&mut Vec::new(), &mut |at| {
                !checker.accepts_absent(bindings, at)
            });
            let (props, required) = tree.keys_json();
            if !props.is_empty() {
                root.insert("properties".into(), Json::Object(props));
            }
            if !required.is_empty() {
                root.insert("required".into(), Json::Array(required));
            }
            if !tree.types.is_empty() {
                root.insert("allOf".into(), Json::Array(tree.types));
            }
            // Every user-declared type, so editors can use them even when unbound.
            for (name, def) in &schemas.defs {
                if !matches!(
                    sources.get(def.file).kind,
                    crate::source::FileKind::Stdlib(_)
                ) && !x.used.contains(name)
                {
                    x.used.push(name.clone());
                }
            }
        }
    }
    // `$defs`: every named type reached, transitively, in first-use order.
    let mut defs = Map::new();
    let mut i = 0;
    while i < x.used.len() {
        let name = x.used[i].clone();
        if let Some(def) = schemas.get(&name) {
            let mut body = x.ty_object(&def.decl.ty, def.file);
            if let Some(doc) = &def.decl.doc {
                body.insert("description".into(), json!(doc));
            }
            defs.insert(name, Json::Object(body));
        }
        i += 1;
    }
    if only.is_some() {
        defs.remove(only.unwrap_or_default());
    }
    if !defs.is_empty() {
        root.insert("$defs".into(), Json::Object(defs));
    }
    Json::Object(root)
}

/// The bound paths as a tree: the types bound at each path, in check order, and the keys bound below it.
#[derive(Default)]
struct Bound {
    types: Vec<Json>,
    keys: Vec<(String, Bound)>,
    /// Whether `check` rejects a target without the path (`Checker::accepts_absent`).
    required: bool,
}

impl Bound {
    fn key(&mut self, seg: &str) -> &mut Bound {
        let i = match self.keys.iter().position(|(k, _)| k == seg) {
            Some(i) => i,
            None => {
                self.keys.push((seg.to_owned(), Bound::default()));
                self.keys.len() - 1
            }
        };
        &mut self.keys[i].1
    }

    /// Mark each key below `path` (this node's path) that `required_at` says must be present.
    fn mark_required(
        &mut self,
        path: &mut Vec<String>,
        required_at: &mut impl FnMut(&[String]) -> bool,
    ) {
        for (k, node) in &mut self.keys {
            path.push(k.clone());
            node.required = required_at(path);
            node.mark_required(path, required_at);
            path.pop();
        }
    }

    /// `properties` for the keys bound below, in first-binding order, and the `required` ones.
    fn keys_json(&mut self) -> (Map<String, Json>, Vec<Json>) {
        let mut props = Map::new();
        let mut required = Vec::new();
        for (k, node) in std::mem::take(&mut self.keys) {
            if node.required {
                required.push(json!(k));
            }
            props.insert(k, node.into_json());
        }
        (props, required)
    }

    /// Every type bound here and, when keys below are bound too, an object schema for them: one, or their `allOf`.
    fn into_json(mut self) -> Json {
        let mut parts = std::mem::take(&mut self.types);
        if !self.keys.is_empty() {
            let (props, required) = self.keys_json();
            let mut inner = json!({ "type": "object", "properties": props });
            if !required.is_empty() {
                inner["required"] = Json::Array(required);
            }
            parts.push(inner);
        }
        match parts.len() {
            1 => parts.pop().unwrap_or_default(),
            _ => json!({ "allOf": parts }),
        }
    }
}

struct Exporter<'a> {
    schemas: &'a Schemas,
    sources: &'a SourceMap,
    /// Named types referenced, in first-use order.
    used: Vec<String>,
}

impl Exporter<'_> {
    /// The schema of `t` as an object, so keywords (`description`, `default`, ...) can be added beside it.
    fn ty_object(&mut self, t: &TypeExpr, file: FileId) -> Map<String, Json> {
        match self.ty(t, file) {
            Json::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("allOf".into(), json!([other]));
                m
            }
        }
    }

    fn ty(&mut self, t: &TypeExpr, file: FileId) -> Json {
        match &t.kind {
            TypeKind::Error => json!({}),
            TypeKind::Named { name, constraints } => {
                let mut base = match name.name.as_str() {
                    "string" => json!({ "type": "string" }),
                    "int" => json!({ "type": "integer" }),
                    "float" | "number" => json!({ "type": "number" }),
                    "bool" => json!({ "type": "boolean" }),
                    "null" => json!({ "type": "null" }),
                    "any" => json!({}),
                    "secret" => json!({
                        "type": "string",
                        "x-tuskc-secret": true,
                        "description": "A secret: `secret://NAME` in reference mode, the secret's value when resolved.",
                    }),
                    other => {
                        if self.schemas.get(other).is_some()
                            && !self.used.iter().any(|u| u == other)
                        {
                            self.used.push(other.to_string());
                        }
                        json!({ "$ref": format!("#/$defs/{other}") })
                    }
                };
                self.constraints(&mut base, constraints);
                base
            }
            TypeKind::Literal(e) => {
                json!({ "const": const_value(e, file).map_or(Json::Null, |v| crate::emit::to_json(&v)) })
            }
            TypeKind::Array { item, constraints } => {
                let mut j = json!({ "type": "array", "items": self.ty(item, file) });
                self.constraints(&mut j, constraints);
                j
            }
            TypeKind::Map {
                key,
                value,
                constraints,
            } => {
                let mut j =
                    json!({ "type": "object", "additionalProperties": self.ty(value, file) });
                if !matches!(&key.kind, TypeKind::Named { name, constraints } if name.name == "string" && constraints.is_empty())
                {
                    j["propertyNames"] = self.ty(key, file);
                }
                self.constraints(&mut j, constraints);
                j
            }
            TypeKind::Union(members) => {
                let lits: Option<Vec<Json>> = members
                    .iter()
                    .map(|m| match &m.kind {
                        TypeKind::Literal(e) => {
                            const_value(e, file).map(|v| crate::emit::to_json(&v))
                        }
                        _ => None,
                    })
                    .collect();
                match lits {
                    Some(values) => json!({ "enum": values }),
                    None => {
                        json!({ "anyOf": members.iter().map(|m| self.ty(m, file)).collect::<Vec<_>>() })
                    }
                }
            }
            TypeKind::Object(obj) => {
                let mut props = Map::new();
                let mut required = Vec::new();
                for f in &obj.fields {
                    let mut p = self.ty_object(&f.ty, file);
                    if let Some(doc) = &f.doc {
                        p.insert("description".into(), json!(doc));
                    }
                    if let Some(v) = f.default.as_ref().and_then(|d| const_value(d, file)) {
                        p.insert("default".into(), crate::emit::to_json(&v));
                    } else if !f.optional {
                        required.push(json!(f.name.name));
                    }
                    if let Some((msg, _)) = f.deprecated.as_deref() {
                        p.insert("deprecated".into(), json!(true));
                        if !msg.is_empty() {
                            p.insert("x-tuskc-deprecated".into(), json!(msg));
                        }
                    }
                    props.insert(f.name.name.clone(), Json::Object(p));
                }
                let mut j = Map::new();
                j.insert("type".into(), json!("object"));
                j.insert("properties".into(), Json::Object(props));
                if !required.is_empty() {
                    j.insert("required".into(), Json::Array(required));
                }
                let extra = match &obj.extra {
                    None => json!(false),
                    Some(None) => json!(true),
                    Some(Some(t)) => self.ty(t, file),
                };
                j.insert("additionalProperties".into(), extra);
                if !obj.asserts.is_empty() {
                    // JSON Schema cannot express them; kept for readers (tuskc checks them itself).
                    let text: Vec<Json> = obj
                        .asserts
                        .iter()
                        .map(|a| {
                            json!(self
                                .sources
                                .get(file)
                                .slice(a.span)
                                .trim_start_matches("assert")
                                .trim())
                        })
                        .collect();
                    j.insert("x-tuskc-asserts".into(), Json::Array(text));
                }
                Json::Object(j)
            }
        }
    }

    fn constraints(&self, j: &mut Json, cs: &[Constraint]) {
        let is_string = j.get("type") == Some(&json!("string"));
        let is_array = j.get("type") == Some(&json!("array"));
        let mut all_of: Vec<Json> = Vec::new();
        for c in cs {
            match &c.kind {
                ConstraintKind::Range(b) => {
                    if let Some((v, excl)) = b.min {
                        j[if excl { "exclusiveMinimum" } else { "minimum" }] = number(v);
                    }
                    if let Some((v, excl)) = b.max {
                        j[if excl { "exclusiveMaximum" } else { "maximum" }] = number(v);
                    }
                }
                ConstraintKind::Len(b) => {
                    let (lo, hi) = if is_string {
                        ("minLength", "maxLength")
                    } else if is_array {
                        ("minItems", "maxItems")
                    } else {
                        ("minProperties", "maxProperties")
                    };
                    if let Some((v, excl)) = b.min {
                        j[lo] =
                            json!((if excl { v.floor() + 1.0 } else { v.ceil() }).max(0.0) as u64);
                    }
                    if let Some((v, excl)) = b.max {
                        j[hi] =
                            json!((if excl { v.ceil() - 1.0 } else { v.floor() }).max(0.0) as u64);
                    }
                }
                ConstraintKind::Pattern { regex, negated } => {
                    let p = json!({ "pattern": ecma_pattern(regex) });
                    all_of.push(if *negated { json!({ "not": p }) } else { p });
                }
                ConstraintKind::Format(f) => {
                    if let Some(format) = crate::schema::formats::format(&f.name) {
                        let fragment = (format.schema)();
                        let standard = fragment == json!({ "format": f.name });
                        if !standard {
                            // Not JSON Schema's format of that name: named for readers, checked by the fragment.
                            j["x-tuskc-format"] = json!(f.name);
                        }
                        match fragment.get("format") {
                            Some(name) if standard && j.get("format").is_none() => {
                                j["format"] = name.clone();
                            }
                            _ => all_of.push(end_anchored_fragment(fragment)),
                        }
                    }
                }
                ConstraintKind::Unique => j["uniqueItems"] = json!(true),
            }
        }
        match all_of.len() {
            0 => {}
            // A lone `{"pattern": ...}` (and nothing else) needs no `allOf`.
            1 if j.get("pattern").is_none()
                && all_of[0]
                    .as_object()
                    .is_some_and(|o| o.len() == 1 && o.contains_key("pattern")) =>
            {
                j["pattern"] = all_of[0]["pattern"].clone();
            }
            _ => j["allOf"] = Json::Array(all_of),
        }
    }
}

/// `regex` (Rust syntax, as `check` runs it) written in ECMA-262 syntax, the dialect JSON Schema recommends, read
/// with code-point (`u` flag) semantics as the `jsonschema` crate and Python's `re` read it: printed from regex's own
/// parse, so flags such as `(?i)` are already folded into classes and `\p{L}`, `\d`, `\w` and `.` (Unicode-aware in
/// Rust, ASCII or absent in ECMA and Python) become explicit classes. The end anchor `$` becomes `END` (Python's
/// `$` also matches before a final `\n`), and `(?m)`'s `^` and `$` lookarounds. A construct with no equivalent (a
/// Unicode word boundary, a CRLF anchor) leaves the pattern as written, and so does a pattern that already means the
/// same in both (most do: it stays as its author wrote it, but for `$`).
pub fn ecma_pattern(regex: &str) -> String {
    if means_the_same_in_ecma(regex) {
        return end_anchored(regex);
    }
    regex_syntax::Parser::new()
        .parse(regex)
        .ok()
        .and_then(|hir| {
            let mut out = String::new();
            ecma(&hir, &mut out).map(|()| out)
        })
        .unwrap_or_else(|| regex.to_owned())
}

/// The end of the text, read the same by every engine: Python's `re` (Python's `jsonschema`) lets `$` match before
/// a final `\n` as well, which `check` (Rust's `$`, ECMA-262's without the `m` flag) does not.
const END: &str = r"(?![\s\S])";

/// `regex` (a pattern outside character classes reads the same in both) with each end anchor `$` written as
/// [`END`]. Also applied to the patterns of format fragments, which are written in ECMA-262 syntax.
pub(crate) fn end_anchored(regex: &str) -> String {
    let mut out = String::with_capacity(regex.len());
    let mut chars = regex.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(e) = chars.next() {
                    out.push(e);
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class => out.push_str(END),
            _ => out.push(c),
        }
    }
    out
}

/// Whether `regex` reads the same in Rust and ECMA-262 (and Python) syntax, conservatively: no escaped letter or
/// digit (`\p{L}`, `\d`, `\b`, `\x41`: Unicode-aware or absent in the others), no group but `(?:` (flags), no `.`
/// (Rust's takes `\r`), and classes without nesting, set operations or a leading `]`.
fn means_the_same_in_ecma(regex: &str) -> bool {
    let mut chars = regex.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_alphanumeric() => return false,
                Some(_) => {}
                None => return false,
            },
            '[' if in_class => return false,
            '[' => {
                in_class = true;
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    return false;
                }
            }
            ']' if in_class => in_class = false,
            '&' | '-' | '~' if in_class && chars.peek() == Some(&c) => return false,
            '(' if !in_class && chars.peek() == Some(&'?') => {
                chars.next();
                if chars.next() != Some(':') {
                    return false;
                }
            }
            '.' if !in_class => return false,
            '{' if !in_class && chars.peek() == Some(&',') => return false,
            _ => {}
        }
    }
    !in_class
}

fn ecma(hir: &regex_syntax::hir::Hir, out: &mut String) -> Option<()> {
    use regex_syntax::hir::{Class, HirKind, Look};
    match hir.kind() {
        HirKind::Empty => {}
        HirKind::Literal(lit) => {
            for c in std::str::from_utf8(&lit.0).ok()?.chars() {
                ecma_char(c, "\\.+*?()|[]{}^$", out);
            }
        }
        HirKind::Class(Class::Unicode(class)) => {
            let ranges: Vec<(char, char)> = class.iter().map(|r| (r.start(), r.end())).collect();
            ecma_class(&ranges, out);
        }
        HirKind::Class(Class::Bytes(class)) => {
            let ranges = class
                .iter()
                .map(|r| (r.end() < 0x80).then(|| (char::from(r.start()), char::from(r.end()))))
                .collect::<Option<Vec<_>>>()?;
            ecma_class(&ranges, out);
        }
        HirKind::Look(Look::Start) => out.push('^'),
        HirKind::Look(Look::End) => out.push_str(END),
        // `(?m)`: at the start or after a `\n`; at the end or before a `\n` (no flag needed, none to fold).
        HirKind::Look(Look::StartLF) => out.push_str(r"(?:(?<![\s\S])|(?<=\n))"),
        HirKind::Look(Look::EndLF) => out.push_str(r"(?=\n|(?![\s\S]))"),
        HirKind::Look(Look::WordAscii) => out.push_str("\\b"),
        HirKind::Look(Look::WordAsciiNegate) => out.push_str("\\B"),
        HirKind::Look(_) => return None,
        HirKind::Repetition(rep) => {
            let single = match rep.sub.kind() {
                HirKind::Literal(lit) => std::str::from_utf8(&lit.0).ok()?.chars().count() == 1,
                HirKind::Class(_) | HirKind::Capture(_) => true,
                _ => false,
            };
            if !single {
                out.push_str("(?:");
            }
            ecma(&rep.sub, out)?;
            if !single {
                out.push(')');
            }
            match (rep.min, rep.max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (min, None) => out.push_str(&format!("{{{min},}}")),
                (min, Some(max)) if min == max => out.push_str(&format!("{{{min}}}")),
                (min, Some(max)) => out.push_str(&format!("{{{min},{max}}}")),
            }
            if !rep.greedy {
                out.push('?');
            }
        }
        HirKind::Capture(cap) => {
            out.push('(');
            ecma(&cap.sub, out)?;
            out.push(')');
        }
        HirKind::Concat(subs) => {
            for sub in subs {
                let group = matches!(sub.kind(), HirKind::Alternation(_));
                if group {
                    out.push_str("(?:");
                }
                ecma(sub, out)?;
                if group {
                    out.push(')');
                }
            }
        }
        HirKind::Alternation(subs) => {
            for (i, sub) in subs.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                ecma(sub, out)?;
            }
        }
    }
    Some(())
}

/// A character class; an empty one (which Python rejects as `[]`) as a lookahead that never matches.
fn ecma_class(ranges: &[(char, char)], out: &mut String) {
    if ranges.is_empty() {
        out.push_str("(?!)");
        return;
    }
    out.push('[');
    for &(lo, hi) in ranges {
        ecma_char(lo, "\\]-[^", out);
        if hi != lo {
            if u32::from(hi) > u32::from(lo) + 1 {
                out.push('-');
            }
            ecma_char(hi, "\\]-[^", out);
        }
    }
    out.push(']');
}

/// One character: escaped if special (`special`), an ASCII control as `\xHH`, else as itself.
fn ecma_char(c: char, special: &str, out: &mut String) {
    if special.contains(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_ascii_control() {
        out.push_str(&format!("\\x{:02X}", u32::from(c)));
    } else {
        out.push(c);
    }
}

/// A format fragment with its `pattern` end-anchored as every reader takes it ([`end_anchored`]).
fn end_anchored_fragment(mut fragment: Json) -> Json {
    if let Some(p) = fragment.get("pattern").and_then(Json::as_str) {
        fragment["pattern"] = json!(end_anchored(p));
    }
    fragment
}

fn number(v: f64) -> Json {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// A validator for an application's JSON Schema (offline: no remote `$ref`s), or why it cannot be used.
pub fn compile(schema_text: &str, name: &str) -> Result<jsonschema::Validator, Diagnostic> {
    let schema: Json = serde_json::from_str(schema_text).map_err(|e| {
        Diagnostic::error(
            Code::InvalidJsonSchema,
            format!("`{name}` is not JSON: {e}"),
        )
    })?;
    crate::schema::formats::format_validator_options()
        .build(&schema)
        .map_err(|e| {
            Diagnostic::error(
                Code::InvalidJsonSchema,
                format!("`{name}` is not a usable JSON Schema: {e}"),
            )
            .help("remote `$ref`s are not fetched; inline them or put them under `$defs`")
        })
}

/// Whether `keyword` judges the content of a secret inside `at` (which the validator sees masked): the text of a
/// secret-derived scalar, or the items of an array holding a secret (two different secrets have the same mask, and
/// which items `contains` matches depends on their content).
fn about_content(at: &Value, keyword: &str) -> bool {
    match &at.kind {
        ValueKind::Object(_) => false,
        ValueKind::Array(_) => matches!(keyword, "uniqueItems" | "contains") && at.holds_secret(),
        _ => {
            at.secret
                && matches!(
                    keyword,
                    "const"
                        | "enum"
                        | "pattern"
                        | "format"
                        | "minLength"
                        | "maxLength"
                        | "contentEncoding"
                        | "contentMediaType"
                )
        }
    }
}

/// Validate one target's resolved output. Each error points at the value's origin (the deepest value the JSON
/// pointer reaches). The validator sees the output with every secret-derived leaf masked ([`crate::secrets::masked`]),
/// in every `--secrets` mode: its messages quote that instance, so they never show a secret, and its verdict never
/// depends on a secret's content, so a JSON Schema cannot test a guess. Keywords about a masked scalar's text
/// (`pattern`, `format`, `const`, lengths, ...), and `uniqueItems` and `contains` (with `minContains`/`maxContains`)
/// on an array holding a secret, are not checked there, as tuskc's own constraints skip secrets.
pub fn validate(
    validator: &jsonschema::Validator,
    value: &Value,
    schema_name: &str,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    let instance = crate::emit::to_json(&crate::secrets::masked(value));
    let mut out = Vec::new();
    for e in validator.iter_errors(&instance) {
        let pointer = e.instance_path().to_string();
        let segs: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut at = value;
        let mut reached = 0;
        for s in &segs {
            match at.get_path(std::slice::from_ref(s)) {
                Some(next) => {
                    at = next;
                    reached += 1;
                }
                None => break,
            }
        }
        // A keyword about a secret-derived scalar's text saw only the mask: like tuskc's own constraints, it is not
        // checked on secrets (its type still is: the mask is text, as the value is in every mode).
        if reached == segs.len() && about_content(at, e.kind().keyword()) {
            continue;
        }
        let shown = if pointer.is_empty() {
            "/".to_string()
        } else {
            pointer.clone()
        };
        // An object or array holding a secret is shown by its shape (its masked text is in the message).
        let shown_value = match &at.kind {
            ValueKind::Object(m) => format!("an object with {} keys", m.len()),
            ValueKind::Array(a) => format!("an array of {} items", a.len()),
            _ => at.describe(),
        };
        let message = e.to_string();
        let f = sources.get(at.origin.file);
        let lc = f.line_col(at.origin.span.start);
        let mut d = Diagnostic::error(Code::JsonSchemaViolation, format!("{shown}: {message}"))
            .primary(
                at.origin.file,
                at.origin.span,
                format!(
                    "{shown_value} (set in {} at {}:{})",
                    at.origin.layer, f.name, lc.line
                ),
            )
            .note(format!(
                "rejected by `{schema_name}` at {}",
                e.schema_path()
            ));
        if reached < segs.len() {
            d = d.note(format!(
                "`{}` is not set",
                show_path(segs[..=reached].iter().map(|s| s.as_ref()))
            ));
        }
        out.push(d);
    }
    out
}
