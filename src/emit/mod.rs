//! Emitting: a resolved value tree as JSON, TOML, YAML or dotenv text; [`read`] reads deployed files back.
//!
//! Invariants: output is a pure function of the value tree (byte-identical for identical input), keys come out in
//! tree order, secrets come out as their reference (`secret://name`), never as a value, and anything a format cannot
//! hold (null in TOML, two keys with one dotenv name) is a diagnostic pointing at where the value was defined.

pub mod read;

use indexmap::IndexMap;

use crate::diagnostic::{show_path, Code, Diagnostic};
use crate::ir::fold::{literal, literal_text, Scalar};
use crate::syntax::ast::{Expr, ExprKind, StrPart};
use crate::value::{format_float, secret_reference, Value, ValueKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    Json,
    Toml,
    Yaml,
    Dotenv,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Toml => "toml",
            Format::Yaml => "yaml",
            Format::Dotenv => "env",
        }
    }
}

/// Emit `v` in `format`. Every problem is reported; text only when there is none.
pub fn emit(v: &Value, format: Format) -> Result<String, Vec<Diagnostic>> {
    emit_sized(v, format, 0)
}

/// [`emit`], with the expected length of the text (`build --all`: the previous target's), so the JSON buffer is not
/// regrown and copied as it fills.
pub fn emit_sized(v: &Value, format: Format, size_hint: usize) -> Result<String, Vec<Diagnostic>> {
    match format {
        Format::Json => Ok(json_text_sized(v, size_hint)),
        Format::Toml => toml_text(v),
        Format::Yaml => Ok(yaml_text(v)),
        Format::Dotenv => dotenv_text(v),
    }
}

pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match &v.kind {
        ValueKind::Null => J::Null,
        ValueKind::Bool(b) => J::Bool(*b),
        ValueKind::Int(i) => J::from(*i),
        ValueKind::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        ValueKind::String(s) => J::String(s.clone()),
        ValueKind::Secret(name) => J::String(secret_reference(name)),
        // Never emitted (a target holding a failed value writes nothing): null, like a non-finite float.
        ValueKind::Error => J::Null,
        ValueKind::Array(a) => J::Array(a.iter().map(to_json).collect()),
        ValueKind::Object(m) => {
            J::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect())
        }
    }
}

/// A value as serde sees it: serialised straight from the tree (no intermediate `serde_json::Value`, whose
/// building and dropping cost twice the writing), with exactly the same text.
pub struct Json<'a>(pub &'a Value);

impl serde::Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match &self.0.kind {
            ValueKind::Null => s.serialize_unit(),
            ValueKind::Bool(b) => s.serialize_bool(*b),
            ValueKind::Int(i) => s.serialize_i64(*i),
            // As `serde_json::Number::from_f64`: a non-finite float (never produced by evaluation) is null.
            ValueKind::Float(f) if f.is_finite() => s.serialize_f64(*f),
            ValueKind::Float(_) | ValueKind::Error => s.serialize_unit(),
            ValueKind::String(t) => s.serialize_str(t),
            ValueKind::Secret(name) => s.serialize_str(&secret_reference(name)),
            ValueKind::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for item in a {
                    seq.serialize_element(&Json(item))?;
                }
                seq.end()
            }
            ValueKind::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, item) in m.iter() {
                    map.serialize_entry(&**k, &Json(item))?;
                }
                map.end()
            }
        }
    }
}

/// Pretty JSON, two-space indent, the same text `serde_json::to_string_pretty` gives (a property test holds the two
/// equal), written straight into one buffer: `build --all` spends most of its emitting time here.
#[cfg(feature = "internals")]
pub fn json_text(v: &Value) -> String {
    json_text_sized(v, 0)
}

fn json_text_sized(v: &Value, size_hint: usize) -> String {
    let mut out = String::with_capacity(size_hint.max(64 * 1024));
    write_json(v, 0, &mut out);
    out.push('\n');
    out
}

pub(crate) fn write_json(v: &Value, indent: usize, out: &mut String) {
    match &v.kind {
        ValueKind::Null | ValueKind::Error => write_scalar(Scalar::Null, out),
        ValueKind::Bool(b) => write_scalar(Scalar::Bool(*b), out),
        ValueKind::Int(i) => write_scalar(Scalar::Int(*i), out),
        ValueKind::Float(f) => write_scalar(Scalar::Float(*f), out),
        ValueKind::String(s) => json_string(s, out),
        // `secret://name`: the prefix needs no escaping.
        ValueKind::Secret(name) => {
            out.push_str("\"secret://");
            json_string_body(name, out);
            out.push('"');
        }
        ValueKind::Array(a) => json_array(a, indent, out, write_json),
        ValueKind::Object(m) if m.is_empty() => out.push_str("{}"),
        ValueKind::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_line(out, indent + 1);
                json_string(k, out);
                out.push_str(": ");
                write_json(item, indent + 1, out);
            }
            push_line(out, indent);
            out.push('}');
        }
    }
}

/// A null, boolean or number as JSON. serde_json's own float text (shortest round-trip); a non-finite float is
/// null, as in `to_json`.
#[inline(always)]
fn write_scalar(s: Scalar, out: &mut String) {
    match s {
        Scalar::Null => out.push_str("null"),
        Scalar::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Scalar::Int(i) => push_int(i, out),
        Scalar::Float(f) if f.is_finite() => {
            out.push_str(&serde_json::to_string(&f).unwrap_or_else(|_| "null".into()))
        }
        Scalar::Float(_) => out.push_str("null"),
    }
}

/// Is `e` a plain literal: null, a boolean, a number, a string without `${...}`, or an array of them? Its value
/// is then known without evaluating it, and [`write_literal`] writes it.
pub(crate) fn plain_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Float(_) => true,
        ExprKind::Str { parts, .. } => parts.iter().all(|p| matches!(p, StrPart::Lit(_))),
        ExprKind::Array { items, .. } => items.iter().all(plain_literal),
        _ => false,
    }
}

/// A [`plain_literal`] written exactly as [`write_json`] writes the value it evaluates to. It reads the literal
/// with the constant folder's own rules (`ir::fold::literal`, `literal_text`), so its meaning is defined once, but
/// builds no value: the streamed build writes most definitions this way, and allocating each string and array to
/// write it at once costs about a tenth of `build --all` on a project without schemas.
pub(crate) fn write_literal(e: &Expr, indent: usize, out: &mut String) {
    if let Some(s) = literal(e) {
        return write_scalar(s, out);
    }
    match &e.kind {
        ExprKind::Str { parts, .. } => {
            out.push('"');
            for t in literal_text(parts).into_iter().flatten() {
                json_string_body(t, out);
            }
            out.push('"');
        }
        ExprKind::Array { items, .. } => json_array(items, indent, out, write_literal),
        // Nothing else is a plain literal.
        _ => out.push_str("null"),
    }
}

/// `[`, the items one per line at `indent + 1`, `]` (`[]` when empty): every JSON array's layout, whether written
/// from a value or from a literal.
fn json_array<T>(items: &[T], indent: usize, out: &mut String, item: fn(&T, usize, &mut String)) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_line(out, indent + 1);
        item(it, indent + 1, out);
    }
    push_line(out, indent);
    out.push(']');
}

/// A line break and the indentation of `level`, in one copy for the usual depths.
pub(crate) fn push_line(out: &mut String, level: usize) {
    const LINE: &str = concat!(
        "\n",
        "                                                                ",
        "                                                                "
    );
    let n = 1 + level * 2;
    if n <= LINE.len() {
        out.push_str(&LINE[..n]);
        return;
    }
    out.push_str(LINE);
    for _ in LINE.len()..n {
        out.push(' ');
    }
}

/// A JSON string literal with serde_json's escapes: `"` `\\` and the C0 controls (short forms where JSON has them,
/// otherwise `\u00xx`); everything else, non-ASCII included, as is.
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    json_string_body(s, out);
    out.push('"');
}

/// Whether a byte needs an escape in a JSON string.
const ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Whether any byte of `s` needs an escape: eight bytes at a time (a byte below 0x20, `"` or `\\` in a word), the
/// rest one by one. A word test may also fire past a real match, never without one; it only sends the text to the
/// exact loop.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a);
        let quote = x ^ (ONES * b'"' as u64);
        let slash = x ^ (ONES * b'\\' as u64);
        let hit = (x.wrapping_sub(ONES * 0x20) & !x)
            | (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash);
        if hit & HIGH != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&b| ESCAPED[b as usize])
}

fn json_string_body(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    // Most keys and values need no escape at all: one scan, one copy.
    if !needs_escape(bytes) {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Decimal digits of an integer without going through `fmt` (a hot path: every integer of every target).
fn push_int(i: i64, out: &mut String) {
    if i < 0 {
        out.push('-');
    }
    push_uint(i.unsigned_abs(), out);
}

/// Decimal digits of an unsigned integer without going through `fmt` (also the checker's `path[i]`).
pub(crate) fn push_uint(mut n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // ASCII digits: always UTF-8.
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

// ----- TOML -----

// The toml crate lays out the document (tables, arrays of tables, strings and keys). Two of its value spellings are
// rewritten afterwards, at the spans its own parser gives, so nothing else in the text changes: a float is written
// as every other format writes it ([`format_float`]: exponent form past 16 digits, `1.797e308`, not 309 digits), and
// an array holding arrays is laid out one element a line at every level, 4 spaces deeper each (the crate indents
// the inner arrays' elements as the outer ones and puts their `]` at the margin).

fn toml_text(v: &Value) -> Result<String, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut respell = false;
    let root = match to_toml(v, &mut Vec::new(), Within::Key, &mut errors, &mut respell) {
        Some(toml::Value::Table(t)) => t,
        _ => toml::Table::new(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let text =
        toml::to_string_pretty(&root).map_err(|e| {
            vec![
                Diagnostic::error(Code::Unrepresentable, format!("cannot write TOML: {e}"))
                    .primary(v.origin.file, v.origin.span, "in this value"),
            ]
        })?;
    Ok(if respell { toml_respell(text) } else { text })
}

/// The crate's text with its long floats and nested arrays respelled (see above); unchanged should it not parse.
fn toml_respell(text: String) -> String {
    let Ok(doc) = toml::de::DeTable::parse(&text) else {
        return text;
    };
    let mut edits = Vec::new();
    for (_, v) in doc.get_ref().iter() {
        toml_edits(&text, v, &mut edits);
    }
    if edits.is_empty() {
        return text;
    }
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, with) in edits {
        out.push_str(text.get(at..range.start).unwrap_or_default());
        out.push_str(&with);
        at = range.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// The replacements under `v`, in text order: a float respelled, or an inline array holding arrays laid out anew.
fn toml_edits(
    text: &str,
    v: &toml::Spanned<toml::de::DeValue<'_>>,
    edits: &mut Vec<(std::ops::Range<usize>, String)>,
) {
    use toml::de::DeValue as D;
    let span = v.span();
    // A value written after `key =`; tables under a `[header]` and arrays of tables (`[[a.b]]`) span their header.
    let inline = text
        .get(..span.start)
        .is_some_and(|before| before.trim_end_matches(' ').ends_with('='));
    match v.get_ref() {
        D::Float(_) => {
            let raw = text.get(span.clone()).unwrap_or_default();
            let with = toml_float(raw);
            if with != raw {
                edits.push((span, with));
            }
        }
        D::Array(_) | D::Table(_) if inline && holds_nested_array(v.get_ref()) => {
            let mut with = String::new();
            toml_inline(text, v, 0, true, &mut with);
            edits.push((span, with));
        }
        D::Array(items) => {
            for i in items {
                toml_edits(text, i, edits);
            }
        }
        D::Table(t) => {
            for (_, i) in t.iter() {
                toml_edits(text, i, edits);
            }
        }
        D::String(_) | D::Integer(_) | D::Boolean(_) | D::Datetime(_) => {}
    }
}

/// Whether an array directly holds an array anywhere under `v`.
fn holds_nested_array(v: &toml::de::DeValue<'_>) -> bool {
    use toml::de::DeValue as D;
    match v {
        D::Array(items) => items
            .iter()
            .any(|i| matches!(i.get_ref(), D::Array(_)) || holds_nested_array(i.get_ref())),
        D::Table(t) => t.iter().any(|(_, i)| holds_nested_array(i.get_ref())),
        _ => false,
    }
}

/// An inline value, scalars as the crate wrote them (floats respelled). Arrays outside inline tables (`lines`) put
/// one element a line, `indent + 4` spaces in, with a trailing comma; inside an inline table, which TOML keeps on
/// one line, `[a, b]`.
fn toml_inline(
    text: &str,
    v: &toml::Spanned<toml::de::DeValue<'_>>,
    indent: usize,
    lines: bool,
    out: &mut String,
) {
    use toml::de::DeValue as D;
    let raw = text.get(v.span()).unwrap_or_default();
    match v.get_ref() {
        D::Float(_) => out.push_str(&toml_float(raw)),
        D::Array(items) if items.is_empty() => out.push_str("[]"),
        D::Array(items) if lines => {
            out.push_str("[\n");
            for i in items {
                out.push_str(&" ".repeat(indent + 4));
                toml_inline(text, i, indent + 4, true, out);
                out.push_str(",\n");
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
        }
        D::Array(items) => {
            out.push('[');
            for (n, i) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                toml_inline(text, i, indent, false, out);
            }
            out.push(']');
        }
        D::Table(t) if t.is_empty() => out.push_str("{}"),
        D::Table(t) => {
            out.push_str("{ ");
            for (n, (k, i)) in t.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                out.push_str(text.get(k.span()).unwrap_or_default());
                out.push_str(" = ");
                toml_inline(text, i, indent, false, out);
            }
            out.push_str(" }");
        }
        D::String(_) | D::Integer(_) | D::Boolean(_) | D::Datetime(_) => out.push_str(raw),
    }
}

/// A float as the crate wrote it (Rust's `Display`, never an exponent), respelled as [`format_float`] does.
fn toml_float(raw: &str) -> String {
    match raw.parse::<f64>() {
        Ok(f) if f.is_finite() => format_float(f),
        _ => raw.to_string(),
    }
}

/// `within`: where `v` sits (what can remove a null there).
/// Where a value sits, for TSK0401's help: what can remove a null depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    /// A key of an object outside any array: an overlay's `@delete` removes it.
    Key,
    /// An element of an array.
    Element,
    /// A key of an object inside an array element: nothing but the array's own text reaches it.
    InsideElement,
}

fn to_toml(
    v: &Value,
    path: &mut Vec<String>,
    within: Within,
    errors: &mut Vec<Diagnostic>,
    respell: &mut bool,
) -> Option<toml::Value> {
    use toml::Value as T;
    Some(match &v.kind {
        ValueKind::Null => {
            errors.push(toml_null(v, path, within));
            return None;
        }
        // Never emitted (a target holding a failed value writes nothing); its error is already reported.
        ValueKind::Error => return None,
        ValueKind::Bool(b) => T::Boolean(*b),
        ValueKind::Int(i) => T::Integer(*i),
        ValueKind::Float(f) => {
            *respell |= format_float(*f).contains('e');
            T::Float(*f)
        }
        ValueKind::String(s) => T::String(s.clone()),
        ValueKind::Secret(name) => T::String(secret_reference(name)),
        ValueKind::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, item) in a.iter().enumerate() {
                *respell |= matches!(item.kind, ValueKind::Array(_));
                path.push(i.to_string());
                if let Some(x) = to_toml(item, path, Within::Element, errors, respell) {
                    out.push(x);
                }
                path.pop();
            }
            T::Array(out)
        }
        ValueKind::Object(m) => {
            let mut t = toml::Table::new();
            for (k, item) in m.iter() {
                path.push(k.to_string());
                let inner = match within {
                    Within::Key => Within::Key,
                    Within::Element | Within::InsideElement => Within::InsideElement,
                };
                if let Some(x) = to_toml(item, path, inner, errors, respell) {
                    t.insert(k.to_string(), x);
                }
                path.pop();
            }
            T::Table(t)
        }
    })
}

/// TSK0401 for the null at `path`. `@delete` removes a key, not an array element nor anything inside one: those get
/// their own help.
fn toml_null(v: &Value, path: &[String], within: Within) -> Diagnostic {
    Diagnostic::error(
        Code::TomlNull,
        format!("`{}` is null, which TOML cannot represent", shown(path)),
    )
    .primary(
        v.origin.file,
        v.origin.span,
        format!("null, set in the {} layer", v.origin.layer),
    )
    .help(match within {
        Within::Element => "a TOML array cannot hold null: remove the element from the array, or put a placeholder value its reader understands (such as `\"\"` or `0`) in its place, or emit JSON or YAML",
        Within::InsideElement => "this key is inside an array element, where `@delete` cannot reach: write that object without the key, or give it a value its reader understands (such as `\"\"` or `0`), or emit JSON or YAML",
        Within::Key => "give it a value, remove it for this target with `@delete`, or emit JSON or YAML",
    })
}

fn shown(path: &[String]) -> String {
    if path.is_empty() {
        "the root".to_string()
    } else {
        show_path(path.iter().map(String::as_str))
    }
}

// ----- YAML -----

/// YAML 1.2 block style. Strings are plain only when no YAML 1.1 or 1.2 reader could take them for anything else.
pub fn yaml_text(v: &Value) -> String {
    let mut out = String::new();
    match &v.kind {
        ValueKind::Object(m) if !m.is_empty() => yaml_object(m, 0, &mut out),
        ValueKind::Array(a) if !a.is_empty() => yaml_array(a, 0, &mut out),
        _ => {
            out.push_str(&yaml_scalar(v));
            out.push('\n');
        }
    }
    out
}

/// The longest key written as `key: value`. Readers refuse an implicit key over 1024 characters (YAML 1.2 §7.4.2;
/// PyYAML and ruamel.yaml alike), so a longer one is written explicitly: `? key` then `: value` on the next line.
const LONGEST_IMPLICIT_KEY: usize = 1000;

fn yaml_object(m: &crate::value::Map<Value>, indent: usize, out: &mut String) {
    for (k, v) in m {
        let key = yaml_string(k);
        out.push_str(&" ".repeat(indent));
        if key.len() > LONGEST_IMPLICIT_KEY && key.chars().count() > LONGEST_IMPLICIT_KEY {
            out.push_str("? ");
            out.push_str(&key);
            out.push('\n');
            out.push_str(&" ".repeat(indent));
        } else {
            out.push_str(&key);
        }
        out.push(':');
        yaml_child(v, indent, out);
    }
}

fn yaml_array(a: &[Value], indent: usize, out: &mut String) {
    for v in a {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match &v.kind {
            ValueKind::Object(m) if !m.is_empty() => {
                // `- first: 1` then the other keys aligned under `first`.
                let mut inner = String::new();
                yaml_object(m, indent + 2, &mut inner);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            ValueKind::Array(x) if !x.is_empty() => {
                let mut inner = String::new();
                yaml_array(x, indent + 2, &mut inner);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            _ => {
                out.push(' ');
                out.push_str(&yaml_scalar(v));
                out.push('\n');
            }
        }
    }
}

fn yaml_child(v: &Value, indent: usize, out: &mut String) {
    match &v.kind {
        ValueKind::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_object(m, indent + 2, out);
        }
        ValueKind::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_array(a, indent + 2, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&yaml_scalar(v));
            out.push('\n');
        }
    }
}

fn yaml_scalar(v: &Value) -> String {
    match &v.kind {
        ValueKind::Null | ValueKind::Error => "null".into(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::Float(f) => yaml_float(*f),
        ValueKind::String(s) => yaml_string(s),
        ValueKind::Secret(name) => yaml_string(&secret_reference(name)),
        ValueKind::Array(_) => "[]".into(),
        ValueKind::Object(_) => "{}".into(),
    }
}

fn yaml_string(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    let plain = s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
    if plain {
        s.to_string()
    } else {
        yaml_quoted(s)
    }
}

/// A double-quoted scalar, escaped as JSON escapes (so ordinary text reads the same in both) and further: DEL, the
/// C1 controls (NEL among them), LS, PS, the BOM and U+FFFE/U+FFFF. A YAML 1.1 reader refuses a file holding DEL or
/// C1 raw, NEL/LS/PS raw are line breaks that a reader folds into a space, and a BOM may be dropped.
fn yaml_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    // JSON's escapes (a quoted YAML scalar is a superset of a JSON string), plus `\uXXXX` for what YAML readers
    // refuse or take for a line break raw.
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        ) {
            json_string_body(&s[start..i], &mut out);
            out.push_str(&format!("\\u{:04x}", c as u32));
            start = i + c.len_utf8();
        }
    }
    json_string_body(&s[start..], &mut out);
    out.push('"');
    out
}

/// A float that YAML 1.1 and 1.2 readers both take as a float. YAML 1.1 wants a `.` in the mantissa and a sign on
/// the exponent (PyYAML reads `1e16` as a string), so the shortest round-trip text `1e16` is written `1.0e+16`.
fn yaml_float(f: f64) -> String {
    if !f.is_finite() {
        // Evaluation refuses non-finite floats; should one come, YAML has a name for it.
        return if f.is_nan() {
            ".nan"
        } else if f > 0.0 {
            ".inf"
        } else {
            "-.inf"
        }
        .to_string();
    }
    let text = format_float(f);
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let point = if mantissa.contains('.') { "" } else { ".0" };
            let sign = if exponent.starts_with('-') { "" } else { "+" };
            format!("{mantissa}{point}e{sign}{exponent}")
        }
        None => text,
    }
}

// ----- dotenv -----
//
// One dialect, the subset bash (`set -a; . file`), python-dotenv and dotenvy read alike; python-dotenv is the
// normative reader and `driver::parse_env_file` reads it back. Names are `[A-Z0-9_]`, not starting with a digit.
// Values are bare when made only of `[A-Za-z0-9_./:@%+,-]`; else in single quotes (literal for every reader) when
// they hold no `'` or `\`; else in double quotes with `\\` and `\"` when they hold no `$` or backtick (which bash
// would expand). What none of these spell the same for all readers is refused (TSK0403): NUL, CR (python reads it as
// a line break), `${` (python-dotenv expands it even in single quotes), and a `'` or `\` together with `$` or `` ` ``.

/// `KEY=value` lines: the key path upper-cased and joined with `_`; arrays and objects (empty ones too) as JSON; null
/// as an empty value.
fn dotenv_text(v: &Value) -> Result<String, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut out = String::new();
    for (name, path, leaf) in dotenv_leaves(v, &mut errors) {
        let plain = dotenv_plain(leaf);
        match dotenv_quote(&plain) {
            Ok(text) => {
                out.push_str(&name);
                out.push('=');
                out.push_str(&text);
                out.push('\n');
            }
            Err(why) => errors.push(
                Diagnostic::error(
                    Code::Unrepresentable,
                    format!("the value of `{}` cannot be written as dotenv", shown(&path)),
                )
                .primary(leaf.origin.file, leaf.origin.span, format!("it holds {why}"))
                .help(
                    "bash and python-dotenv read no spelling of it alike: change the value, or emit JSON, TOML or YAML",
                ),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The dotenv name of a key path; `None` when a key has no faithful name (empty, or not ASCII).
fn dotenv_name(path: &[String]) -> Option<String> {
    if path.is_empty() || path.iter().any(|k| k.is_empty() || !k.is_ascii()) {
        return None;
    }
    let mut name: String = path
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    Some(name)
}

/// The variables of dotenv output in order: name, key path and leaf (a scalar, an array or an empty object). A key
/// with no dotenv name, or a second key with a name already taken, is a diagnostic in `errors` and no variable.
fn dotenv_leaves<'v>(
    v: &'v Value,
    errors: &mut Vec<Diagnostic>,
) -> Vec<(String, Vec<String>, &'v Value)> {
    fn go<'v>(
        v: &'v Value,
        path: &mut Vec<String>,
        out: &mut IndexMap<String, (Vec<String>, &'v Value)>,
        errors: &mut Vec<Diagnostic>,
    ) {
        if let ValueKind::Object(m) = &v.kind {
            if !m.is_empty() || path.is_empty() {
                for (k, item) in m.iter() {
                    path.push(k.to_string());
                    go(item, path, out, errors);
                    path.pop();
                }
                return;
            }
        }
        let dotted = shown(path);
        let Some(name) = dotenv_name(path) else {
            let key = path.last().map(String::as_str).unwrap_or_default();
            errors.push(
                Diagnostic::error(
                    Code::Unrepresentable,
                    format!("the key {key:?} has no dotenv name"),
                )
                .primary(v.origin.file, v.origin.span, format!("`{dotted}` set here"))
                .help("dotenv names are ASCII letters, digits and `_`: rename the key, or emit JSON, TOML or YAML"),
            );
            return;
        };
        if let Some((first_path, first)) = out.get(&name) {
            let first_path = shown(first_path);
            errors.push(
                Diagnostic::error(
                    Code::DotenvCollision,
                    format!("`{dotted}` and `{first_path}` both become `{name}` in dotenv"),
                )
                .primary(v.origin.file, v.origin.span, format!("`{dotted}` set here"))
                .secondary(
                    first.origin.file,
                    first.origin.span,
                    format!("`{first_path}` set here"),
                )
                .help("rename one of the keys, or emit JSON, TOML or YAML"),
            );
            return;
        }
        out.insert(name, (path.clone(), v));
    }
    let mut out = IndexMap::new();
    go(v, &mut Vec::new(), &mut out, errors);
    out.into_iter().map(|(k, (p, v))| (k, p, v)).collect()
}

/// A value as a dotenv reader sees it (unquoted): scalars as text, a secret as its reference, arrays and objects as
/// JSON.
fn dotenv_plain(v: &Value) -> String {
    match &v.kind {
        ValueKind::Null | ValueKind::Error => String::new(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::Float(f) => format_float(*f),
        ValueKind::String(s) => s.clone(),
        ValueKind::Secret(n) => secret_reference(n),
        ValueKind::Array(_) | ValueKind::Object(_) => {
            serde_json::to_string(&Json(v)).unwrap_or_default()
        }
    }
}

/// The variables dotenv output holds, in order: name, key path, and the value as a dotenv reader sees it (a string
/// keeping the leaf's origin and marks; a secret stays a reference). Keys dotenv output refuses are left out.
pub fn dotenv_vars(v: &Value) -> Vec<(String, Vec<String>, Value)> {
    dotenv_leaves(v, &mut Vec::new())
        .into_iter()
        .map(|(name, path, leaf)| {
            let text = match &leaf.kind {
                ValueKind::Secret(_) => leaf.clone(),
                _ => Value {
                    kind: ValueKind::String(dotenv_plain(leaf)),
                    ..leaf.clone()
                },
            };
            (name, path, text)
        })
        .collect()
}

/// The dialect's spelling of a value, or what in it no spelling carries to every reader.
fn dotenv_quote(s: &str) -> Result<String, &'static str> {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_./:@%+,-".contains(&b))
    {
        return Ok(s.to_string());
    }
    if s.contains('\0') {
        return Err("a NUL character, which no environment variable can hold");
    }
    if s.contains('\r') {
        return Err("a carriage return, which python-dotenv reads as a line break");
    }
    if s.contains("${") {
        return Err("`${`, which python-dotenv expands even in quotes");
    }
    if !s.contains(['\'', '\\']) {
        return Ok(format!("'{s}'"));
    }
    if s.contains(['$', '`']) {
        return Err("a quote or backslash together with `$` or a backtick, which bash expands in double quotes");
    }
    if s.ends_with('\\') {
        // Written `"...\\"`, python-dotenv takes the last `\"` for an escaped quote and reads on into the next line.
        return Err(
            "a backslash at its end, which python-dotenv reads as escaping the closing quote",
        );
    }
    let mut q = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    Ok(q)
}
