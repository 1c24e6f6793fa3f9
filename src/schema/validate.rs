//! The static checks of schema declarations, run once per program after lowering: every name a type uses resolves
//! (TSK0509), every pattern compiles (compiled once here into the table, never per value), every constraint fits its
//! type, every default is a constant of its field's type (TSK0511, checked by the same [`Checker`](crate::schema::check::Checker) that checks
//! values), and no alias is defined by itself.
//!
//! Must not know: lowering or evaluation; it reads only the table ([`Schemas`]) and the bindings.

use std::collections::HashMap;

use regex::Regex;

use crate::diagnostic::{did_you_mean, Code, Diagnostic, Sink};
use crate::ir::schema::{const_value, Base, Binding, Patterns, Schemas, BUILTINS};
use crate::schema::check::unreadable_in_assert;
use crate::schema::formats::{self, FORMATS};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::*;

impl Schemas {
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
                // Sized once and hashed with foldhash (short keys): a 100-field schema grew and rehashed this map
                // seven times, through SipHash.
                let mut seen: HashMap<&str, Span, foldhash::fast::RandomState> =
                    HashMap::with_capacity_and_hasher(obj.fields.len(), Default::default());
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
                ConstraintKind::Format(name) if formats::format(&name.name).is_none() => {
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
                                let target = crate::ir::Target::default();
                                let mut checker = crate::schema::check::Checker::new(self, sources, &target);
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
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}
