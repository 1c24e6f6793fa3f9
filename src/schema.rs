//! Schemas: the table of named types, bindings, and the static checks of schema declarations.
//!
//! Owns: [`Schemas`] (every `schema` / `type` declaration of a program, the `std/types` prelude included),
//! [`Binding`] (`bind` and `[section: Type]`), string formats, and constant defaults. Invariants: names are unique
//! (TSK0510); after [`Schemas::validate`] every name a type uses resolves or was reported (TSK0509), every pattern
//! compiled (regexes are compiled once here, never per value), every constraint fits its type, every default is a
//! constant of its field's type (TSK0511). Checking *values* against types is `check.rs`.

use std::collections::HashMap;
use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde_json::{json, Value as Json};

use crate::diagnostic::{did_you_mean, Code, Diagnostic, Sink};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::*;
use crate::value::{LayerRef, Origin, Value, ValueKind};

/// Types every program knows without a declaration.
pub const BUILTINS: &[&str] = &[
    "string", "int", "float", "number", "bool", "null", "secret", "any",
];

/// A `schema` or `type` declaration and the file it is in.
#[derive(Debug, Clone)]
pub struct SchemaDef {
    pub decl: SchemaDecl,
    pub file: FileId,
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
type Patterns = HashMap<String, Regex>;

#[derive(Debug, Default)]
pub struct Schemas {
    pub defs: IndexMap<String, SchemaDef>,
    patterns: Patterns,
    /// `parity provider` / `parity env` declarations.
    pub parity: Vec<(Parity, FileId)>,
}

impl Schemas {
    /// Add a declaration; a second one with the same name is TSK0510.
    pub fn declare(&mut self, decl: &SchemaDecl, file: FileId, sink: &mut Sink) {
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
        self.defs.insert(
            decl.name.name.clone(),
            SchemaDef {
                decl: decl.clone(),
                file,
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

    /// Check every declaration and binding type once per program: names resolve, patterns compile, constraints fit,
    /// defaults are constants of the right type, and no alias is defined by itself.
    pub fn validate(&mut self, bindings: &[&Binding], sources: &SourceMap, sink: &mut Sink) {
        // Patterns are compiled into a map held apart while the declarations are walked by reference.
        let mut patterns = std::mem::take(&mut self.patterns);
        for d in self.defs.values() {
            self.validate_type(&d.decl.ty, d.file, &mut patterns, sink);
        }
        for b in bindings {
            self.validate_type(&b.ty, b.file, &mut patterns, sink);
        }
        self.patterns = patterns;
        for (name, def) in &self.defs {
            if self.unguarded_cycle(name, &def.decl.ty, &mut Vec::new()) {
                sink.push(
                    Diagnostic::error(
                        Code::InvalidSchema,
                        format!("type `{name}` is defined by itself"),
                    )
                    .primary(
                        def.file,
                        def.decl.name.span,
                        "this type's definition leads back to it",
                    )
                    .help(
                        "a type may refer to itself only inside an array, a map or an object field",
                    ),
                );
            }
        }
        // Defaults: constants that match their field's type (checked with the patterns compiled above).
        for d in self.defs.values() {
            self.validate_defaults(&d.decl.ty, d.file, sources, sink);
        }
        for b in bindings {
            self.validate_defaults(&b.ty, b.file, sources, sink);
        }
    }

    fn validate_type(&self, ty: &TypeExpr, file: FileId, patterns: &mut Patterns, sink: &mut Sink) {
        match &ty.kind {
            TypeKind::Named { name, constraints } => {
                let base = self.base_kind(&name.name, 0);
                if base.is_none() {
                    let mut d = Diagnostic::error(
                        Code::UnknownType,
                        format!("unknown type `{}`", name.name),
                    )
                    .primary(
                        file,
                        name.span,
                        "not a built-in type or a declared `schema`/`type`",
                    );
                    let candidates = BUILTINS
                        .iter()
                        .copied()
                        .chain(self.defs.keys().map(String::as_str));
                    if let Some(s) = did_you_mean(&name.name, candidates) {
                        d = d.help(format!("did you mean `{s}`?"));
                    } else {
                        d = d.help("declare it with `schema Name { ... }` or `type Name = ...`, or `use` the stdlib module that has it (`std/aws`, `std/azure`, `std/gcp`)");
                    }
                    sink.push(d);
                }
                self.validate_constraints(
                    constraints,
                    base.unwrap_or(Base::Any),
                    file,
                    patterns,
                    sink,
                );
            }
            TypeKind::Literal(e) => {
                if const_value(e, file).is_none() {
                    sink.push(
                        Diagnostic::error(Code::InvalidSchema, "a literal type must be a constant")
                            .primary(
                                file,
                                e.span,
                                "not a string, number, boolean or null literal",
                            )
                            .help(
                                "write a literal such as `\"blue\"` or `8080`, or use a type name",
                            ),
                    );
                }
            }
            TypeKind::Array { item, constraints } => {
                self.validate_type(item, file, patterns, sink);
                self.validate_constraints(constraints, Base::Array, file, patterns, sink);
            }
            TypeKind::Map {
                key,
                value,
                constraints,
            } => {
                self.validate_type(key, file, patterns, sink);
                self.validate_type(value, file, patterns, sink);
                if !matches!(self.shallow_base(key), Some(Base::String) | None) {
                    sink.push(
                        Diagnostic::error(Code::InvalidSchema, "map keys are strings").primary(
                            file,
                            key.span,
                            "the key type must be `string` or a string type",
                        )
                        .help("write the map as `map<string, T>` (a string type such as `std/types.Hostname` also fits)"),
                    );
                }
                self.validate_constraints(constraints, Base::Map, file, patterns, sink);
            }
            TypeKind::Object(obj) => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for f in &obj.fields {
                    if let Some(first) = seen.insert(&f.name.name, f.name.span) {
                        sink.push(
                            Diagnostic::error(
                                Code::InvalidSchema,
                                format!("field `{}` is declared twice", f.name.name),
                            )
                            .primary(file, f.name.span, "declared again here")
                            .secondary(file, first, "first declared here")
                            .help("remove one of the two declarations, or rename one"),
                        );
                    }
                    self.validate_type(&f.ty, file, patterns, sink);
                }
                if let Some(Some(t)) = &obj.extra {
                    self.validate_type(t, file, patterns, sink);
                }
                for a in &obj.asserts {
                    if let Some((span, why)) = unreadable_in_assert(&a.cond) {
                        sink.push(
                            Diagnostic::error(Code::AssertionError, "this assertion cannot be evaluated")
                                .primary(file, span, why)
                                .help("assertions read the object's fields (`pool.min`), `@environment` and `@provider`"),
                        );
                    }
                }
            }
            TypeKind::Union(members) => {
                for m in members {
                    self.validate_type(m, file, patterns, sink);
                }
            }
            TypeKind::Error => {}
        }
    }

    fn validate_constraints(
        &self,
        cs: &[Constraint],
        base: Base,
        file: FileId,
        patterns: &mut Patterns,
        sink: &mut Sink,
    ) {
        for c in cs {
            let fits = match &c.kind {
                ConstraintKind::Range(_) => matches!(base, Base::Number | Base::Any),
                ConstraintKind::Len(_) => {
                    matches!(base, Base::String | Base::Array | Base::Map | Base::Any)
                }
                ConstraintKind::Pattern { .. } | ConstraintKind::Format(_) => {
                    matches!(base, Base::String | Base::Any)
                }
                ConstraintKind::Unique => matches!(base, Base::Array | Base::Any),
            };
            if !fits {
                sink.push(
                    Diagnostic::error(Code::InvalidSchema, format!("this constraint does not apply to {}", base.describe()))
                        .primary(file, c.span, "does not fit the type")
                        .help("ranges apply to numbers; `len` to strings, arrays and maps; `pattern` and `format` to strings; `unique` to arrays"),
                );
            }
            match &c.kind {
                ConstraintKind::Pattern { regex, .. } if !patterns.contains_key(regex) => {
                    match Regex::new(regex) {
                        Ok(r) => {
                            patterns.insert(regex.clone(), r);
                        }
                        Err(e) => sink.push(
                            Diagnostic::error(Code::InvalidSchema, "invalid regular expression")
                                .primary(file, c.span, first_line(&e.to_string()))
                                .help("patterns use Rust regex syntax (no look-around or backreferences)"),
                        ),
                    }
                }
                ConstraintKind::Format(name) if format(&name.name).is_none() => {
                    let names = || FORMATS.iter().map(|f| f.name);
                    let mut d = Diagnostic::error(Code::InvalidSchema, format!("unknown format `{}`", name.name))
                        .primary(file, name.span, "not a known format")
                        .note(format!("formats: {}", names().collect::<Vec<_>>().join(", ")));
                    d = d.help(match did_you_mean(&name.name, names()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "use one of the formats listed below, or a `pattern`".to_string(),
                    });
                    sink.push(d);
                }
                ConstraintKind::Range(b) | ConstraintKind::Len(b) => {
                    if let (Some((lo, _)), Some((hi, _))) = (b.min, b.max) {
                        if lo > hi {
                            sink.push(
                                Diagnostic::error(Code::InvalidSchema, "empty range: the minimum is above the maximum")
                                    .primary(file, c.span, "no value can satisfy this")
                                    .help("write the smaller bound first, e.g. `1..10`"),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn validate_defaults(&self, ty: &TypeExpr, file: FileId, sources: &SourceMap, sink: &mut Sink) {
        match &ty.kind {
            TypeKind::Object(obj) => {
                for f in &obj.fields {
                    if let Some(d) = &f.default {
                        match const_value(d, file) {
                            None => sink.push(
                                Diagnostic::error(Code::InvalidSchema, format!("the default of `{}` is not a constant", f.name.name))
                                    .primary(file, d.span, "defaults must be literals: strings, numbers, booleans, null, arrays and objects of them")
                                    .help("write the default's value as a literal; a value computed from other keys belongs in the configuration, not the schema"),
                            ),
                            Some(mut v) => {
                                let target = crate::merge::Target::default();
                                let mut checker = crate::check::Checker::new(self, sources, &target);
                                if let Err(errs) = checker.check(&mut v, &f.ty, file, &f.name.name, Some(f)) {
                                    let why = errs.first().map(|e| e.message.clone()).unwrap_or_default();
                                    sink.push(
                                        Diagnostic::error(Code::InvalidSchema, format!("the default of `{}` does not match its type", f.name.name))
                                            .primary(file, d.span, why)
                                            .secondary(file, f.ty.span, "the field's type")
                                            .help("change the default to a value of the field's type, or change the type"),
                                    );
                                }
                            }
                        }
                    }
                    self.validate_defaults(&f.ty, file, sources, sink);
                }
            }
            TypeKind::Array { item, .. } => self.validate_defaults(item, file, sources, sink),
            TypeKind::Map { value, .. } => self.validate_defaults(value, file, sources, sink),
            TypeKind::Union(ms) => {
                for m in ms {
                    self.validate_defaults(m, file, sources, sink);
                }
            }
            _ => {}
        }
    }

    /// Does `ty` reach the type `name` again without passing through an array, map or object?
    fn unguarded_cycle(&self, name: &str, ty: &TypeExpr, seen: &mut Vec<String>) -> bool {
        match &ty.kind {
            TypeKind::Named { name: n, .. } => {
                if n.name == name {
                    return true;
                }
                if seen.contains(&n.name) {
                    return false;
                }
                seen.push(n.name.clone());
                self.defs
                    .get(&n.name)
                    .is_some_and(|d| self.unguarded_cycle(name, &d.decl.ty, seen))
            }
            TypeKind::Union(ms) => ms.iter().any(|m| self.unguarded_cycle(name, m, seen)),
            _ => false,
        }
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

    fn shallow_base(&self, ty: &TypeExpr) -> Option<Base> {
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

    fn describe(self) -> &'static str {
        match self {
            Base::String => "a string type",
            Base::Number => "a number type",
            Base::Array => "an array type",
            Base::Map => "an object or map type",
            Base::Any => "this type",
        }
    }
}

/// The first thing in an assertion that assertions cannot read: a `$variable` or a directive other than
/// `@environment` / `@provider`.
pub(crate) fn unreadable_in_assert(e: &Expr) -> Option<(Span, String)> {
    match &e.kind {
        ExprKind::Variable { name, .. } => Some((
            e.span,
            format!("`${}` is a variable; assertions read fields", name.name),
        )),
        ExprKind::Directive { name, .. }
            if !matches!(name.name.as_str(), "environment" | "provider") =>
        {
            Some((
                e.span,
                format!("`@{}` cannot be used in an assertion", name.name),
            ))
        }
        ExprKind::Unary(_, x) | ExprKind::Paren(x) => unreadable_in_assert(x),
        ExprKind::Binary(_, a, b) => unreadable_in_assert(a).or_else(|| unreadable_in_assert(b)),
        ExprKind::Ternary(a, b, c) => unreadable_in_assert(a)
            .or_else(|| unreadable_in_assert(b))
            .or_else(|| unreadable_in_assert(c)),
        _ => None,
    }
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// The value of a constant expression (a default or a literal type): literals, arrays and objects of them, and
/// negative numbers. `None` for anything that needs evaluation.
pub fn const_value(e: &Expr, file: FileId) -> Option<Value> {
    let origin = Origin {
        file,
        span: e.span,
        layer: LayerRef::SCHEMA_DEFAULT,
    };
    let kind = match &e.kind {
        ExprKind::Null => ValueKind::Null,
        ExprKind::Bool(b) => ValueKind::Bool(*b),
        ExprKind::Int(i) => ValueKind::Int(*i),
        ExprKind::Float(f) => ValueKind::Float(*f),
        ExprKind::Str { parts, .. } => {
            let mut s = String::new();
            for p in parts {
                match p {
                    StrPart::Lit(t) => s.push_str(t),
                    StrPart::Interp(_) => return None,
                }
            }
            ValueKind::String(s)
        }
        ExprKind::Array { items, .. } => ValueKind::Array(
            items
                .iter()
                .map(|i| const_value(i, file))
                .collect::<Option<_>>()?,
        ),
        ExprKind::Object { entries, .. } => {
            let mut m = crate::value::Map::default();
            for en in entries {
                let EntryTarget::Key(k) = &en.target else {
                    return None;
                };
                if k.segments.len() != 1 {
                    return None;
                }
                m.insert(
                    k.segments[0].name.as_str().into(),
                    const_value(&en.value, file)?,
                );
            }
            ValueKind::Object(Box::new(m))
        }
        ExprKind::Paren(inner) => return const_value(inner, file),
        ExprKind::Unary(UnaryOp::Neg, inner) => match const_value(inner, file)?.kind {
            ValueKind::Int(i) => ValueKind::Int(i.checked_neg()?),
            ValueKind::Float(f) => ValueKind::Float(-f),
            _ => return None,
        },
        _ => return None,
    };
    Some(Value::new(kind, origin))
}

// ----- formats -----

/// A `format NAME`: what it requires of a string, said once, as a JSON Schema fragment. `schema export` writes the
/// fragment and `check` runs it through the validator `check --json-schema` uses ([`format_validator_options`]), so
/// the two agree by construction (tests/json_schema.rs holds them equal on generated strings). docs/language.md
/// states each rule in words.
pub struct Format {
    pub name: &'static str,
    /// The fragment; `{"format": name}` alone when the format is JSON Schema's own.
    pub schema: fn() -> Json,
}

/// Every format, in the order diagnostics list them.
pub const FORMATS: &[Format] = &[
    // RFC 1123 host names as the `jsonschema` crate checks them (labels of letters, digits and `-`, A-labels valid
    // Punycode, no trailing dot).
    Format {
        name: "hostname",
        schema: || json!({ "format": "hostname" }),
    },
    // An absolute RFC 3986 URI (fluent-uri's parser, through `jsonschema`) with `://` after its scheme and a host or
    // a path after that: `localhost:8080` is a valid URI with the scheme `localhost`, and `https://` one with nothing
    // in it, never what a `url` field means; `file:///etc/hosts` is a URL.
    Format {
        name: "url",
        schema: || json!({ "format": "uri", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*://[^?#]" }),
    },
    // RFC 5321 addresses (the `email_address` crate, through `jsonschema`) whose domain has a dot or is a bracketed
    // address literal: `ops@localhost` is a valid address but no one's mail in a configuration.
    Format {
        name: "email",
        schema: || json!({ "format": "email", "pattern": r"@([^@]*\.[^@]*|\[[^@]*\])$" }),
    },
    Format {
        name: "ipv4",
        schema: || json!({ "format": "ipv4" }),
    },
    Format {
        name: "ipv6",
        schema: || json!({ "format": "ipv6" }),
    },
    Format {
        name: "ip",
        schema: || json!({ "anyOf": [{ "format": "ipv4" }, { "format": "ipv6" }] }),
    },
    Format {
        name: "cidr",
        schema: || json!({ "pattern": CIDR.as_str() }),
    },
    // semver.org's ECMA-262-compatible regular expression, `\d` written `[0-9]` (a Unicode-aware engine's `\d`
    // takes other digits).
    Format {
        name: "semver",
        schema: || json!({ "pattern": r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$" }),
    },
    // Not JSON Schema's `duration` (ISO 8601).
    Format {
        name: "duration",
        schema: || json!({ "pattern": r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+$" }),
    },
    Format {
        name: "bytesize",
        schema: || json!({ "pattern": r"^[0-9]+(\.[0-9]+)? ?([kKMGTP]i?B?|B)?$" }),
    },
    Format {
        name: "uuid",
        schema: || json!({ "format": "uuid" }),
    },
];

/// An IPv4 or IPv6 address (RFC 3986's grammar: dotted decimals without leading zeros, no zone) and a prefix length
/// in range, written without leading zeros.
static CIDR: LazyLock<String> = LazyLock::new(|| {
    let h16 = "[0-9A-Fa-f]{1,4}";
    let octet = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])";
    let v4 = format!(r"{octet}(\.{octet}){{3}}");
    let ls32 = format!("({h16}:{h16}|{v4})");
    let groups = |n: usize| format!("({h16}:){{{n}}}");
    // RFC 3986's `[ *n( h16 ":" ) h16 ]` before a `::`.
    let before = |n: usize| format!("(({h16}:){{0,{n}}}{h16})?");
    let v6 = [
        format!("{}{ls32}", groups(6)),
        format!("::{}{ls32}", groups(5)),
        format!("({h16})?::{}{ls32}", groups(4)),
        format!("{}::{}{ls32}", before(1), groups(3)),
        format!("{}::{}{ls32}", before(2), groups(2)),
        format!("{}::{h16}:{ls32}", before(3)),
        format!("{}::{ls32}", before(4)),
        format!("{}::{h16}", before(5)),
        format!("{}::", before(6)),
    ]
    .join("|");
    format!("^({v4}/([0-9]|[12][0-9]|3[0-2])|({v6})/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$")
});

/// The format called `name`.
pub fn format(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}

/// How every JSON Schema tuskc validates with is compiled: format assertion on, nothing fetched. One place, so a
/// format's check and `check --json-schema` run the same validator.
pub fn format_validator_options() -> jsonschema::ValidationOptions<'static> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
}

/// Each format's fragment compiled once (in table order); `None` only if a fragment were not a valid schema, which
/// a unit test rules out.
static VALIDATORS: LazyLock<Vec<Option<jsonschema::Validator>>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .map(|f| format_validator_options().build(&(f.schema)()).ok())
        .collect()
});

/// Does `s` have format `name`? Unknown formats (reported by [`Schemas::validate`]) accept everything.
pub fn has_format(name: &str, s: &str) -> bool {
    match FORMATS.iter().position(|f| f.name == name) {
        Some(i) => VALIDATORS
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|v| v.is_valid(&Json::String(s.to_owned()))),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formats() {
        for (f, good, bad) in [
            ("hostname", "db-1.example.com", "-db.example.com"),
            ("url", "https://example.com/x?y=1", "example.com"),
            ("url", "file:///etc/hosts", "http://[::1"),
            ("url", "http://[::1]:8080/", "localhost:8080"),
            ("email", "ops@example.com", "ops@"),
            ("email", "ops@[10.0.0.1]", "ops@localhost"),
            ("url", "file:///etc/hosts", "https://"),
            ("ipv4", "10.0.0.1", "10.0.0.256"),
            ("ipv6", "::1", "1::2::3"),
            ("ip", "::1", "localhost"),
            ("cidr", "10.0.0.0/16", "10.0.0.0/33"),
            ("cidr", "::ffff:10.0.0.1/128", "::1/129"),
            ("semver", "1.2.3-rc.1+build.5", "1.2"),
            ("semver", "1.0.0-0a.1", "1.0.0-01"),
            ("duration", "1h30m", "30 seconds"),
            ("bytesize", "512MiB", "512 MBs"),
            ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"),
        ] {
            assert!(has_format(f, good), "{f} should accept {good}");
            assert!(!has_format(f, bad), "{f} should reject {bad}");
        }
    }

    #[test]
    fn every_format_compiles() {
        assert_eq!(VALIDATORS.len(), FORMATS.len());
        assert!(VALIDATORS.iter().all(Option::is_some));
    }

    proptest::proptest! {
        /// The CIDR pattern says what the standard library's address parsers accept, with a prefix in range.
        #[test]
        fn cidr_is_an_address_and_a_prefix(addr in "[0-9a-fA-F:.]{0,24}|[0-9]{1,3}(\\.[0-9]{1,3}){3}|(([0-9a-f]{1,4})?:){2,8}([0-9a-f]{0,4}|[0-9]{1,3}(\\.[0-9]{1,3}){3})", bits in "[0-9]{1,3}") {
            let max = match addr.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(_)) => Some(32),
                Ok(std::net::IpAddr::V6(_)) => Some(128),
                Err(_) => None,
            };
            let expected = max.is_some_and(|m| (bits == "0" || !bits.starts_with('0')) && bits.parse::<u32>().is_ok_and(|b| b <= m));
            proptest::prop_assert_eq!(has_format("cidr", &format!("{addr}/{bits}")), expected, "{}/{}", addr, bits);
        }
    }
}
