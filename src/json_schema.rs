//! JSON Schema interop: export declared schemas as JSON Schema 2020-12, and validate a target's output against a
//! JSON Schema an application publishes.
//!
//! Owns: the mapping from tuskc types to JSON Schema keywords. Invariants: export is a pure function of the
//! schemas (same input, byte-identical output; `$defs` in declaration order); validation never fetches anything
//! (the validator is built without HTTP or file `$ref` resolution), and its errors point at the value's origin.

use serde_json::{json, Map, Value as Json};

use crate::diagnostic::{show_path, Code, Diagnostic};
use crate::schema::{const_value, Binding, Schemas};
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
            let mut props = Map::new();
            let mut all_of = Vec::new();
            for b in bindings {
                let t = x.ty(&b.ty, b.file);
                match b.path.split_first() {
                    None => all_of.push(t),
                    Some((first, rest)) => {
                        // `a.b: T` becomes properties.a.properties.b = T.
                        let mut t = t;
                        for seg in rest.iter().rev() {
                            t = json!({ "type": "object", "properties": { seg.clone(): t } });
                        }
                        props.insert(first.clone(), t);
                    }
                }
            }
            if !props.is_empty() {
                root.insert("properties".into(), Json::Object(props));
            }
            if !all_of.is_empty() {
                root.insert("allOf".into(), Json::Array(all_of));
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
                    if let Some((msg, _)) = &f.deprecated {
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
                    let p = json!({ "pattern": regex });
                    all_of.push(if *negated { json!({ "not": p }) } else { p });
                }
                ConstraintKind::Format(f) => {
                    if let Some(format) = crate::schema::format(&f.name) {
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
                            _ => all_of.push(fragment),
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
    crate::schema::format_validator_options()
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
