//! Type checking: one target's value tree against the schemas bound to it.
//!
//! Owns: what it means for a value to have a type, `@env` text conversion to the declared type, filling defaults, and
//! evaluating `assert`s. Runs after `eval` and before `emit`, once per target, binding by binding
//! (`Checker::check_binding`), or value by value as `stream.rs` builds them. Both check an object's fields with the
//! same functions ("checking an object field by field"), so they report the same diagnostics in the same order (an
//! object's fields in its own order, then its missing fields in schema order). Invariants: every error points at the
//! value (with the layer and line that set it) *and* at the schema field that rejects it; values are shown with
//! [`Value::describe`], so a secret is never printed; a union tries its members in order and the first that fits wins
//! (so `int | string` converts `@env` text to an int when it parses); defaults are added after the keys the
//! configuration sets, in schema order. A value that failed to evaluate (`ValueKind::Error`, its error already
//! reported) is never checked, nor is a binding beneath it or an `assert` that reads it: each would only repeat that
//! error, and the rest of the target is checked as usual.

use crate::diagnostic::{did_you_mean, show_key, show_path, Code, Diagnostic};
use crate::ir::fold::{
    binary_kind, condition, literal, secret_content, short_circuit, unary_kind, unary_use,
    BinaryError, ConditionError, ContentUse, UnaryError,
};
use crate::ir::schema::{const_value, Binding, FieldTable, SchemaDef, Schemas, SCANNED};
use crate::ir::{MNode, MObject, Merged, Removal, Target};
use crate::schema::formats::has_format;
use crate::schema::types::declared;
use crate::source::{FileId, FileKind, SourceMap, Span};
use crate::syntax::ast::*;
use crate::value::{parse_env_text, Key, Origin, Value, ValueKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

pub(crate) type Errors = Vec<Diagnostic>;

/// The hasher of the checker's caches (small keys, made by the compiler).
type Hasher = foldhash::fast::RandomState;

/// A union's members' values, when all are constant literals.
type Literals = Option<Rc<[Value]>>;

pub(crate) fn get_path_mut<'v>(v: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    let mut cur = v;
    for seg in path {
        cur = match &mut cur.kind {
            ValueKind::Object(m) => m.get_mut(seg.as_str())?,
            _ => return None,
        };
    }
    Some(cur)
}

fn set_path(root: &mut Value, path: &[String], v: Value) {
    // The root always exists, so the path is never empty here.
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = root;
    for seg in parents {
        let origin = v.origin;
        let ValueKind::Object(m) = &mut cur.kind else {
            return;
        };
        cur = m
            .entry(Arc::from(seg.as_str()))
            .or_insert_with(|| Value::new(ValueKind::Object(Box::default()), origin));
    }
    if let ValueKind::Object(m) = &mut cur.kind {
        m.insert(Arc::from(last.as_str()), v);
    }
}

pub struct Checker<'a> {
    schemas: &'a Schemas,
    sources: &'a SourceMap,
    target: &'a Target,
    depth: u32,
    /// Deprecation warnings; kept apart so a union member that does not fit leaves none behind.
    pub warnings: Vec<Diagnostic>,
    /// The target's merged tree, when checking one: a missing field names the `@delete` or `@replace` that
    /// removed it ([`Merged::deleted_by`]).
    merged: Option<&'a Merged>,
    /// Trying union members: a mismatch only needs to be known, not explained, so its diagnostic is not built
    /// ([`Checker::check_union`] checks the member it blames again, explaining).
    probing: bool,
    /// A check read the target (an `assert` on `@environment` or `@provider`): its result may differ in another
    /// target, so the walk does not reuse it there (`driver/reuse.rs`).
    read_target: std::cell::Cell<bool>,
    /// Each union of literals met so far, its members' values (`None`: not all members are constant literals),
    /// by where it is written (a file and span spell one text, so one set of values).
    literal_unions: HashMap<(FileId, Span, usize), Literals, Hasher>,
    /// The field index ([`FieldIndex`]) of each large object type met so far: a declared schema's shared table, or
    /// one built the first time a type written in place splits a check. The schemas outlive the checker, so an
    /// address names one type for all its life.
    indexes: RefCell<HashMap<*const ObjectType, FieldIndex<'a>, Hasher>>,
    /// Each pattern constraint's compiled regex (`Schemas::regex`), by where the constraint is written (a file and
    /// span spell one pattern): found by its text once per checker, not once per value.
    regexes: RefCell<HashMap<(FileId, Span), Option<&'a regex::Regex>, Hasher>>,
}

/// Where a type was declared: for the "declared here" label.
#[derive(Clone, Copy)]
pub(crate) struct Decl<'t> {
    file: FileId,
    ty: &'t TypeExpr,
    field: Option<&'t Field>,
}

impl<'a> Checker<'a> {
    pub fn new(schemas: &'a Schemas, sources: &'a SourceMap, target: &'a Target) -> Self {
        Checker {
            schemas,
            sources,
            target,
            depth: 0,
            warnings: Vec::new(),
            merged: None,
            probing: false,
            read_target: std::cell::Cell::new(false),
            literal_unions: HashMap::default(),
            indexes: RefCell::default(),
            regexes: RefCell::default(),
        }
    }

    /// Whether a check read the target since the last call, and start counting afresh (see `read_target`).
    pub(crate) fn take_read_target(&self) -> bool {
        self.read_target.replace(false)
    }

    /// Count a read of the target (again, after [`Self::take_read_target`]).
    pub(crate) fn add_read_target(&self, read: bool) {
        if read {
            self.read_target.set(true);
        }
    }

    /// Check values of the target `merged` was merged for, so a missing field can say what removed it.
    pub fn with_merged(mut self, merged: &'a Merged) -> Self {
        self.merged = Some(merged);
        self
    }

    /// The `@delete` or `@replace` that removed `field` from the object at `path` (a path as messages show it) in
    /// this target, if that is why the object lacks it.
    fn removal(&self, path: &str, field: &str) -> Option<Removal> {
        let merged = self.merged?;
        let mut keys = Vec::new();
        let rest = if path == "the configuration" {
            ""
        } else {
            path
        };
        shown_keys(&merged.root, rest, &mut keys)?;
        keys.push(field.to_string());
        merged.deleted_by(&keys)
    }

    fn text(&self, file: FileId, span: Span) -> &str {
        self.sources.get(file).slice(span)
    }

    /// "set in env production at shop.tsk:40".
    fn set_at(&self, o: &Origin) -> String {
        let f = self.sources.get(o.file);
        let lc = f.line_col(o.span.start);
        format!("set in {} at {}:{}", o.layer, f.name, lc.line)
    }

    /// Where `key` is written for the definition set at `at`: `at` is a value's place (`key: value`,
    /// `key = value`) or already its key's (an object's). The key is read back from the text before the value and
    /// kept only when it spells `key`; a value that came from elsewhere (through a reference) keeps its own place.
    fn key_span(&self, at: &Origin, key: &str) -> Span {
        if spells_key(self.text(at.file, at.span), key) {
            return at.span;
        }
        let text = self.sources.get(at.file).text.as_ref();
        let Some(before) = text.get(..at.span.start as usize) else {
            return at.span;
        };
        let Some(before) = before
            .trim_end_matches([' ', '\t'])
            .strip_suffix([':', '='])
        else {
            return at.span;
        };
        let before = before.trim_end_matches([' ', '\t']);
        let end = before.len();
        let from = match before.strip_suffix('"') {
            // The opening quote: the nearest `"` not escaped by an odd run of backslashes.
            Some(inner) => {
                let mut upto = inner.len();
                loop {
                    let Some(q) = inner[..upto].rfind('"') else {
                        return at.span;
                    };
                    let slashes = inner[..q].bytes().rev().take_while(|&b| b == b'\\').count();
                    if slashes % 2 == 0 {
                        break q;
                    }
                    upto = q;
                }
            }
            None => before
                .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                .len(),
        };
        match text.get(from..end) {
            Some(written) if spells_key(written, key) => Span::new(from, end),
            _ => at.span,
        }
    }

    fn value_label(&self, d: Diagnostic, v: &Value, what: String) -> Diagnostic {
        self.origin_label(d, &v.origin, what)
    }

    fn origin_label(&self, d: Diagnostic, o: &Origin, what: String) -> Diagnostic {
        let at = self.set_at(o);
        d.primary(o.file, o.span, format!("{what} ({at})"))
    }

    fn decl_label(&self, d: Diagnostic, decl: Decl, path: ValuePath) -> Diagnostic {
        match decl.field {
            Some(f) => d.secondary(
                decl.file,
                f.span,
                format!(
                    "`{path}` declared as `{}` here",
                    self.text(decl.file, f.ty.span)
                ),
            ),
            None => d.secondary(
                decl.file,
                decl.ty.span,
                format!("`{path}` must be `{}`", self.text(decl.file, decl.ty.span)),
            ),
        }
    }

    fn mismatch(&self, v: &Value, decl: Decl, path: ValuePath) -> Diagnostic {
        if self.probing {
            return Diagnostic::error(Code::SchemaMismatch, String::new());
        }
        let expected = self.text(decl.file, decl.ty.span).to_string();
        let d = Diagnostic::error(
            Code::SchemaMismatch,
            format!("`{path}` must be `{expected}`, found {}", v.type_name()),
        );
        let d = self.value_label(d, v, format!("this is {}", v.describe()));
        self.decl_label(d, decl, path).help(format!(
            "write a value of type `{expected}` here, or change the type where `{path}` is declared"
        ))
    }

    /// Check the value a binding names, `root` being the value at the first `from` segments of its path. A missing
    /// section whose fields all have defaults is created from them (appended to its parent); otherwise a missing
    /// section is an error.
    pub(crate) fn check_binding(
        &mut self,
        b: &Binding,
        root: &mut Value,
        from: usize,
        errs: &mut Errors,
    ) {
        let shown = if b.path.is_empty() {
            "the configuration".to_string()
        } else {
            show_path(b.path.iter().map(String::as_str))
        };
        let rel = &b.path[from.min(b.path.len())..];
        if failed_on(root, rel) {
            return; // the value failed to evaluate, and its error is reported
        }
        if let Some(v) = get_path_mut(root, rel) {
            if let Err(e) = self.check(v, &b.ty, b.file, &shown, None) {
                errs.extend(e);
            }
            return;
        }
        let ty = self.sources.get(b.file).slice(b.ty.span).to_string();
        // A parent that exists but is not an object cannot hold the bound key.
        if let Some(depth) = (from.max(1)..b.path.len()).find(|&n| {
            root.get_path(&b.path[from..n])
                .is_some_and(|p| !matches!(p.kind, ValueKind::Object(_)))
        }) {
            let parent = show_path(b.path[..depth].iter().map(String::as_str));
            errs.push(
                Diagnostic::error(
                    Code::BoundPathMissing,
                    format!("`{shown}` is bound to `{ty}`, but `{parent}` is not an object"),
                )
                .primary(b.file, b.span, format!("`{shown}` must be a `{ty}`"))
                .help(format!("make `{parent}` an object, or bind another key")),
            );
            return;
        }
        // A missing section whose fields all have defaults is created from them.
        let origin = Origin {
            file: b.file,
            span: b.span,
            layer: b.layer,
        };
        match self.made_from_defaults(&b.ty, b.file, &shown, None, origin) {
            Ok((created, e)) => {
                errs.extend(e);
                set_path(root, rel, created);
            }
            Err(e) => {
                let mut d = Diagnostic::error(
                    Code::BoundPathMissing,
                    format!("`{shown}` is bound to `{ty}` but this target does not define it"),
                )
                .primary(b.file, b.span, format!("`{shown}` must be a `{ty}`"))
                .help(format!("define `{shown}` (for example in a `[{shown}]` section), or move the binding into the env/provider block that defines it"));
                for e in e.iter().filter(|e| e.code == Code::MissingField).take(8) {
                    d = d.note(e.message.clone());
                }
                errs.push(d);
            }
        }
    }

    /// Whether a target that leaves out the path `at` passes the bindings (in check order) at and below it:
    /// [`Self::check_binding`] run on a parent without it, so a missing section is built from its type's defaults
    /// and checked as `check` does. `schema export` marks `at` `required` where it does not.
    pub(crate) fn accepts_absent(&mut self, bindings: &[&Binding], at: &[String]) -> bool {
        let mut errs = Vec::new();
        let warnings = std::mem::take(&mut self.warnings);
        let mut parent: Option<Value> = None;
        for b in bindings.iter().filter(|b| b.path.starts_with(at)) {
            // One parent for all, so a section built from defaults is there for the bindings after it.
            let parent = parent.get_or_insert_with(|| {
                let origin = Origin {
                    file: b.file,
                    span: b.span,
                    layer: b.layer,
                };
                Value::new(ValueKind::Object(Box::default()), origin)
            });
            self.check_binding(b, parent, at.len().saturating_sub(1), &mut errs);
        }
        self.warnings = warnings;
        errs.is_empty()
    }

    /// A missing object of type `ty` created from its defaults: the object, with the assertion failures the defaults
    /// alone cause (reported, the object still created); `Err` with the reasons when a required field has no
    /// default. The one rule for a missing bound section and a missing object field.
    fn made_from_defaults(
        &mut self,
        ty: &TypeExpr,
        file: FileId,
        path: &str,
        field: Option<&Field>,
        origin: Origin,
    ) -> Result<(Value, Errors), Errors> {
        let mut empty = Value::new(ValueKind::Object(Box::default()), origin);
        match self.check(&mut empty, ty, file, path, field) {
            Ok(()) => Ok((empty, Vec::new())),
            Err(e)
                if e.iter()
                    .all(|e| matches!(e.code, Code::AssertionFailed | Code::AssertionError)) =>
            {
                Ok((empty, e))
            }
            Err(e) => Err(e),
        }
    }

    /// A required field without a default, missing from its object: when its type is an object type (inline or a
    /// named schema), created from that type's defaults ([`Self::made_from_defaults`]); `None` when it cannot be.
    fn missing_from_defaults(
        &mut self,
        f: &Field,
        file: FileId,
        path: &str,
    ) -> Option<(Value, Errors)> {
        let object = match &f.ty.kind {
            TypeKind::Object(_) => true,
            TypeKind::Named { name, .. } => self
                .schemas
                .get(&name.name)
                .is_some_and(|d| matches!(d.decl.ty.kind, TypeKind::Object(_))),
            _ => false,
        };
        if !object {
            return None;
        }
        let origin = Origin {
            file,
            span: f.span,
            layer: crate::value::LayerRef::SCHEMA_DEFAULT,
        };
        self.made_from_defaults(&f.ty, file, &join(path, &f.name.name), Some(f), origin)
            .ok()
    }

    /// A field's constant default as the field builds it into outputs (a `float` field's `1` is `1.0`, nested
    /// defaults filled): what `schema diff` compares. `None` when there is no default or it needs evaluation.
    pub fn built_default(&mut self, f: &Field, file: FileId, path: &str) -> Option<Value> {
        let mut v = const_value(f.default.as_ref()?, file)?;
        let _ = self.check(&mut v, &f.ty, file, path, Some(f));
        Some(v)
    }

    /// Check `v` against `ty` (declared in `file`). `field` is the schema field, when the type is a field's.
    pub fn check(
        &mut self,
        v: &mut Value,
        ty: &TypeExpr,
        file: FileId,
        path: &str,
        field: Option<&Field>,
    ) -> Result<(), Errors> {
        self.check_at(v, ty, file, ValuePath::Text(path), field)
    }

    /// [`Self::check`] at a path whose text is built only if a diagnostic shows it.
    fn check_at(
        &mut self,
        v: &mut Value,
        ty: &TypeExpr,
        file: FileId,
        path: ValuePath,
        field: Option<&Field>,
    ) -> Result<(), Errors> {
        let decl = Decl { file, ty, field };
        self.check_in(v, decl, ty, file, path)
    }

    /// `decl` is where the outermost type was declared (for labels); `ty`/`file` is the type being applied now,
    /// which differs once a named type has been followed.
    fn check_in(
        &mut self,
        v: &mut Value,
        decl: Decl,
        ty: &TypeExpr,
        file: FileId,
        path: ValuePath,
    ) -> Result<(), Errors> {
        if v.failed() {
            return Ok(()); // its evaluation error is reported; a check would only repeat it
        }
        match &ty.kind {
            TypeKind::Error => Ok(()),
            TypeKind::Named { name, constraints } => {
                self.check_named(v, decl, &name.name, path)?;
                self.check_constraints(v, constraints, file, decl, path)
            }
            TypeKind::Literal(e) => {
                let Some(lit) = const_value(e, file) else {
                    return Ok(()); // reported by validation
                };
                let at = v.origin;
                // A secret is never null, a number or a bool: only a string literal needs its content to decide.
                // Against any other literal it simply does not fit (and a union goes on to its next member).
                let needs_content = matches!(lit.kind, ValueKind::String(_));
                if let Some(mut d) = secret_content(v, ContentUse::LiteralType, at.file, at.span)
                    .filter(|_| needs_content)
                {
                    let set = self.set_at(&at);
                    for l in &mut d.labels {
                        l.message = format!("{} ({set})", l.message);
                    }
                    return Err(vec![self.decl_label(d, decl, path)]);
                }
                self.coerce_env(v, &lit.kind);
                if v.same(&lit) {
                    Ok(())
                } else {
                    Err(vec![self.mismatch_literal(v, &[lit], decl, path)])
                }
            }
            TypeKind::Array { item, constraints } => {
                let ValueKind::Array(items) = &mut v.kind else {
                    return Err(vec![self.mismatch(v, decl, path)]);
                };
                let mut errs = Vec::new();
                for (i, it) in items.iter_mut().enumerate() {
                    let item_decl = Decl {
                        file,
                        ty: item,
                        field: None,
                    };
                    let r = self.check_in(it, item_decl, item, file, ValuePath::Index(&path, i));
                    if let Err(e) = r {
                        errs.extend(e);
                    }
                }
                if !errs.is_empty() {
                    return Err(errs);
                }
                self.check_constraints(v, constraints, file, decl, path)
            }
            TypeKind::Map {
                key,
                value,
                constraints,
            } => {
                if !matches!(v.kind, ValueKind::Object(_)) {
                    return Err(vec![self.mismatch(v, decl, path)]);
                }
                let shape = Shape::Map {
                    key,
                    value,
                    file,
                    path: Rc::from(&*path.text()),
                    depth: self.depth,
                    docs: Docs::default(),
                };
                let mut errs = Vec::new();
                self.check_fields(v, &shape, &mut errs);
                if !errs.is_empty() {
                    return Err(errs);
                }
                self.check_constraints(v, constraints, file, decl, path)
            }
            TypeKind::Object(obj) => self.check_object(v, obj, decl, file, path),
            TypeKind::Union(members) => self.check_union(v, members, decl, file, path),
        }
    }

    fn check_named(
        &mut self,
        v: &mut Value,
        decl: Decl,
        name: &str,
        path: ValuePath,
    ) -> Result<(), Errors> {
        let ok = match name {
            "any" => true,
            "null" => matches!(v.kind, ValueKind::Null),
            "string" => matches!(v.kind, ValueKind::String(_) | ValueKind::Secret(_)),
            "secret" => {
                if v.is_secret() {
                    true
                } else {
                    let d = Diagnostic::error(
                        Code::SecretRequired,
                        format!("`{path}` is a secret and must come from `@secret(...)`"),
                    );
                    // The plain value may itself be a leaked secret: never print it, nor quote its line.
                    let d = self
                        .value_label(d, v, format!("a plain {}", v.type_name()))
                        .unquoted();
                    let d = self.decl_label(d, decl, path);
                    return Err(vec![d.help(
                        "store the value in the secrets store and write `@secret(\"name\")`; do not keep it in the configuration",
                    )]);
                }
            }
            "int" | "float" | "number" | "bool" => {
                let target_kind = match name {
                    "int" => ValueKind::Int(0),
                    "bool" => ValueKind::Bool(false),
                    _ => ValueKind::Float(0.0),
                };
                if let Some(err) = self.coerce_env_checked(v, &target_kind, name, decl, path) {
                    return Err(vec![err]);
                }
                match (&v.kind, name) {
                    (ValueKind::Int(_), "int" | "number") => true,
                    (ValueKind::Float(_) | ValueKind::Int(_), "float" | "number") => {
                        if name == "float" {
                            if let ValueKind::Int(i) = v.kind {
                                v.kind = ValueKind::Float(i as f64);
                            }
                        }
                        true
                    }
                    (ValueKind::Bool(_), "bool") => true,
                    _ => false,
                }
            }
            _ => {
                let Some(def) = self.declared(name, self.depth) else {
                    return Ok(()); // unknown names are reported by validation; or too deep
                };
                let def_ty = &def.decl.ty;
                let file = def.file;
                if matches!(def_ty.kind, TypeKind::Object(_))
                    && !matches!(v.kind, ValueKind::Object(_))
                {
                    // Named at the use site (`Node`), not as the schema's whole body.
                    return Err(vec![self.mismatch(v, decl, path)]);
                }
                self.depth += 1;
                // Object schemas report against their own fields; other aliases against the use site.
                let inner_decl = if matches!(def_ty.kind, TypeKind::Object(_)) {
                    Decl {
                        file,
                        ty: def_ty,
                        field: None,
                    }
                } else {
                    decl
                };
                let r = self.check_in(v, inner_decl, def_ty, file, path);
                self.depth -= 1;
                let doc = def.decl.doc.as_deref();
                return r.map_err(|errs| errs.into_iter().map(|d| d.with_doc(name, doc)).collect());
            }
        };
        if ok {
            Ok(())
        } else {
            Err(vec![self.mismatch(v, decl, path)])
        }
    }

    /// `@env` text converted to the kind a type wants, when it parses. Returns nothing either way.
    fn coerce_env(&self, v: &mut Value, want: &ValueKind) {
        if let (ValueKind::String(s), Some(_)) = (&v.kind, v.env_var()) {
            if let Some(k) = parse_env_text(s, want) {
                v.kind = k;
            }
        }
    }

    /// Like [`Self::coerce_env`], but text that does not parse is an error naming the variable.
    fn coerce_env_checked(
        &self,
        v: &mut Value,
        want: &ValueKind,
        ty: &str,
        decl: Decl,
        path: ValuePath,
    ) -> Option<Diagnostic> {
        let (ValueKind::String(s), Some(var)) = (&v.kind, v.env_var()) else {
            return None;
        };
        match parse_env_text(s, want) {
            Some(k) => {
                v.kind = k;
                None
            }
            None => {
                let d = Diagnostic::error(
                    Code::EnvCoercion,
                    format!(
                        "environment variable `{var}` is not {} {ty}: {s:?}",
                        if ty == "int" { "an" } else { "a" }
                    ),
                );
                let d = self.value_label(d, v, format!("{var}={s:?}"));
                let d = self.decl_label(d, decl, path);
                Some(d.help(format!(
                    "set {var} to {} {ty}{}",
                    if ty == "int" { "an" } else { "a" },
                    if ty == "bool" {
                        " (true/false, 1/0, yes/no, on/off)"
                    } else {
                        ""
                    }
                )))
            }
        }
    }

    fn mismatch_literal(
        &self,
        v: &Value,
        options: &[Value],
        decl: Decl,
        path: ValuePath,
    ) -> Diagnostic {
        if self.probing {
            return Diagnostic::error(Code::SchemaMismatch, String::new());
        }
        let shown: Vec<String> = options.iter().map(Value::describe).collect();
        let mut d = Diagnostic::error(
            Code::SchemaMismatch,
            if shown.len() == 1 {
                format!("`{path}` must be {}, found {}", shown[0], v.describe())
            } else if shown.len() > 8 {
                let ty = self.text(decl.file, decl.field.map_or(decl.ty.span, |f| f.ty.span));
                format!(
                    "`{path}` must be one of the {} values of `{ty}`, found {}",
                    shown.len(),
                    v.describe()
                )
            } else {
                format!(
                    "`{path}` must be one of {}, found {}",
                    shown.join(", "),
                    v.describe()
                )
            },
        );
        d = self.value_label(d, v, "not an allowed value".into());
        d = self.decl_label(d, decl, path);
        if let ValueKind::String(s) = &v.kind {
            if !v.secret {
                let texts: Vec<&str> = options
                    .iter()
                    .filter_map(|o| match &o.kind {
                        ValueKind::String(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect();
                if let Some(best) = did_you_mean(s, texts) {
                    d = d.help(format!("did you mean {best:?}?"));
                }
            }
        }
        if v.is_secret() {
            d = d.help("a secret is text, never null, a number or a bool: add `secret` to the type if it may be one");
        }
        if d.help.is_none() {
            d = d.help(format!(
                "write one of the allowed values, or add {} to the type where `{path}` is declared",
                v.describe()
            ));
        }
        d
    }

    fn check_union(
        &mut self,
        v: &mut Value,
        members: &[TypeExpr],
        decl: Decl,
        file: FileId,
        path: ValuePath,
    ) -> Result<(), Errors> {
        // A plain value (no secret to hide, no `@env` text to convert) against a union of literals: compared with
        // their values, which changes nothing, as trying each member would (a mismatch is explained below).
        if !v.is_secret() && v.env_var().is_none() {
            if let Some(lits) = self.literal_union(members, file) {
                if lits.iter().any(|l| v.same(l)) {
                    return Ok(());
                }
            }
        }
        // Members are tried without explaining their mismatches; if none fits, the one blamed is checked again.
        let probing = std::mem::replace(&mut self.probing, true);
        for m in members {
            let mut attempt = v.clone();
            let warnings = self.warnings.len();
            let member_decl = Decl {
                file,
                ty: m,
                field: decl.field,
            };
            match self.check_in(&mut attempt, member_decl, m, file, path) {
                Ok(()) => {
                    self.probing = probing;
                    *v = attempt;
                    return Ok(());
                }
                // Whether this member fits depends on a secret's content, so which member wins would too.
                Err(e) if e.iter().any(|d| d.code == Code::SecretContent) => {
                    self.warnings.truncate(warnings);
                    self.probing = probing;
                    if probing {
                        return Err(e);
                    }
                    // Explained: the same member, checked again (a check depends on nothing it changes).
                    let mut again = v.clone();
                    let e = self
                        .check_in(&mut again, member_decl, m, file, path)
                        .err()
                        .unwrap_or(e);
                    self.warnings.truncate(warnings);
                    return Err(e);
                }
                Err(_) => self.warnings.truncate(warnings),
            }
        }
        self.probing = probing;
        // All literals: "must be one of ...", with a suggestion.
        let literals: Option<Vec<Value>> = members
            .iter()
            .map(|m| match &m.kind {
                TypeKind::Literal(e) => const_value(e, file),
                _ => None,
            })
            .collect();
        if let Some(lits) = literals {
            return Err(vec![self.mismatch_literal(v, &lits, decl, path)]);
        }
        // Exactly one member is the right kind of value: its errors are the precise ones.
        let fitting: Vec<usize> = members
            .iter()
            .enumerate()
            .filter(|(_, m)| self.kind_fits(v, m, 0))
            .map(|(i, _)| i)
            .collect();
        if let [i] = fitting.as_slice() {
            // Its errors are the precise ones: check it again, explaining (unless an enclosing union is probing).
            let m = &members[*i];
            let member_decl = Decl {
                file,
                ty: m,
                field: decl.field,
            };
            let warnings = self.warnings.len();
            let mut again = v.clone();
            let errs = self.check_in(&mut again, member_decl, m, file, path).err();
            self.warnings.truncate(warnings);
            return Err(errs.unwrap_or_else(|| vec![self.mismatch(v, decl, path)]));
        }
        Err(vec![self.mismatch(v, decl, path)])
    }

    /// The values of a union's members (declared in `file`) when all are constant literals, computed once per
    /// union written.
    fn literal_union(&mut self, members: &[TypeExpr], file: FileId) -> Literals {
        let (first, last) = (members.first()?, members.last()?);
        let at = (file, first.span.to(last.span), members.len());
        self.literal_unions
            .entry(at)
            .or_insert_with(|| {
                members
                    .iter()
                    .map(|m| match &m.kind {
                        TypeKind::Literal(e) => const_value(e, file),
                        _ => None,
                    })
                    .collect()
            })
            .clone()
    }

    /// Is `v` the right sort of value for `ty`, ignoring details (for choosing which union member to blame)?
    fn kind_fits(&self, v: &Value, ty: &TypeExpr, depth: u32) -> bool {
        match (&ty.kind, &v.kind) {
            (TypeKind::Array { .. }, ValueKind::Array(_)) => true,
            (TypeKind::Map { .. } | TypeKind::Object(_), ValueKind::Object(_)) => true,
            (TypeKind::Literal(e), _) => {
                const_value(e, FileId(0)).is_some_and(|l| l.type_name() == v.type_name())
            }
            (TypeKind::Named { name, .. }, k) => match name.name.as_str() {
                "string" => matches!(k, ValueKind::String(_)),
                "int" => matches!(k, ValueKind::Int(_)),
                "float" | "number" => matches!(k, ValueKind::Int(_) | ValueKind::Float(_)),
                "bool" => matches!(k, ValueKind::Bool(_)),
                "null" => matches!(k, ValueKind::Null),
                "secret" => matches!(k, ValueKind::Secret(_)),
                "any" => true,
                other => {
                    depth < 8
                        && self
                            .schemas
                            .get(other)
                            .is_some_and(|d| self.kind_fits(v, &d.decl.ty, depth + 1))
                }
            },
            (TypeKind::Union(ms), _) => ms.iter().any(|m| self.kind_fits(v, m, depth + 1)),
            _ => false,
        }
    }

    /// An object schema: its fields one by one, then its missing fields and defaults (the split check
    /// `stream.rs` runs on an object it never builds, here on the built object), then, when all that passed, its
    /// `assert`s.
    fn check_object(
        &mut self,
        v: &mut Value,
        obj: &ObjectType,
        decl: Decl,
        file: FileId,
        path: ValuePath,
    ) -> Result<(), Errors> {
        if !matches!(v.kind, ValueKind::Object(_)) {
            return Err(vec![self.mismatch(v, decl, path)]);
        }
        let shape = Shape::Object {
            obj,
            // The type may not outlive the checker (`field_index_of`): a declared schema's table is looked up,
            // any other is built for this check.
            index: self
                .indexes
                .borrow()
                .get(&(obj as *const ObjectType))
                .cloned()
                .unwrap_or_else(|| field_index(obj)),
            decl,
            file,
            path: Rc::from(&*path.text()),
            depth: self.depth,
            docs: Docs::default(),
        };
        let mut errs = Vec::new();
        self.check_fields(v, &shape, &mut errs);
        if !errs.is_empty() {
            return Err(errs);
        }
        let shown = if obj.asserts.is_empty() {
            std::borrow::Cow::Borrowed("")
        } else {
            path.text()
        };
        for a in &obj.asserts {
            if let Err(d) = self.check_assert(v, a, file, &shown) {
                errs.push(d);
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    /// A split check (`shape`) run on a built object `v`: each field against the duties the shape puts on it, in
    /// the object's order, then the fields it is missing, whose defaults are added to it after the keys it has.
    fn check_fields<'t>(&mut self, v: &mut Value, shape: &Shape<'t>, errs: &mut Errors) {
        let at = v.origin;
        let ValueKind::Object(map) = &mut v.kind else {
            return;
        };
        let mut duties = Vec::new();
        let mut seen = 0;
        for (k, val) in map.iter_mut() {
            duties.clear();
            if self.field_duties(shape, 0, k, &val.origin, errs, &mut duties) {
                seen += 1;
            }
            for d in &duties {
                self.run(val, d, errs);
            }
        }
        let mut defaults = Vec::new();
        self.finish_object(
            shape,
            |name| map.contains_key(name),
            seen,
            &at,
            &mut defaults,
            errs,
        );
        for (k, dv) in defaults {
            map.insert(k, dv);
        }
    }

    /// TSK0508: a set field is marked `deprecated`.
    fn deprecated(&mut self, f: &Field, at: &Origin, file: FileId, path: &str, key: &str) {
        let Some((msg, _)) = f.deprecated.as_deref() else {
            return;
        };
        let sub = join(path, key);
        let d = Diagnostic::warning(
            Code::DeprecatedField,
            format!(
                "`{sub}` is deprecated{}",
                if msg.is_empty() {
                    String::new()
                } else {
                    format!(": {msg}")
                }
            ),
        );
        let d = self
            .origin_label(d, at, "set here".into())
            .help(if msg.is_empty() {
                format!("remove `{sub}`; the schema's comments may say what replaces it")
            } else {
                format!("remove `{sub}` and follow the schema's advice: {msg}")
            });
        self.warnings
            .push(d.secondary(file, f.span, "marked `deprecated` here"));
    }

    fn missing_field(
        &self,
        f: &Field,
        obj_origin: &Origin,
        file: FileId,
        path: &str,
    ) -> Diagnostic {
        let name = show_key(&f.name.name);
        let sub = join(path, &f.name.name);
        let at = self.set_at(obj_origin);
        let removal = self.removal(path, &f.name.name);
        let message = match &removal {
            Some(by) => format!(
                "`{path}` is missing required field `{name}`: `{name}` was {}",
                crate::eval::deleted_by_text(self.sources, by)
            ),
            None => format!("`{path}` is missing required field `{name}`"),
        };
        let d = Diagnostic::error(Code::MissingField, message)
            .primary(
                obj_origin.file,
                obj_origin.span,
                format!("`{path}` has no `{name}` ({at})"),
            )
            .secondary(file, f.span, format!("`{name}` is required here"));
        let fallback =
            format!("give the field a default (`= value`), or make it optional (`{name}?:`)");
        match removal {
            Some(by) => {
                let (label, fix) = crate::eval::removal_label_and_fix(&by, &sub);
                let o = by.origin();
                d.secondary(o.file, o.span, label).help(format!(
                    "{fix}, set `{sub}` again in a later layer, {fallback}"
                ))
            }
            None => d.help(format!("set `{sub}`, {fallback}")),
        }
    }

    fn unknown_field(
        &self,
        k: &str,
        at: &Origin,
        names: &[&str],
        decl: Decl,
        path: &str,
    ) -> Diagnostic {
        let d = Diagnostic::error(
            Code::UnknownField,
            format!("unknown field `{}` in `{path}`", show_key(k)),
        );
        let at = Origin {
            span: self.key_span(at, k),
            ..*at
        };
        let mut d = self.origin_label(d, &at, format!("`{}` is not declared", show_key(k)));
        let start = decl_span(decl).start as usize;
        let open = Span::new(start, start + 1);
        d = d.secondary(
            decl.file,
            open,
            format!("`{path}` declares: {}", names.join(", ")),
        );
        match did_you_mean(k, names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => {
                d.help("declare the field in the schema, or write `...` in it to allow extra keys")
            }
        }
    }

    fn check_assert(
        &self,
        obj: &Value,
        a: &Assert,
        file: FileId,
        path: &str,
    ) -> Result<(), Diagnostic> {
        if unreadable_in_assert(&a.cond).is_some() {
            return Ok(()); // reported once by schema validation
        }
        let result = self.eval_assert(&a.cond, obj, file);
        let cond_text = self.text(file, a.cond.span).to_string();
        match result {
            Ok(Value {
                kind: ValueKind::Bool(true),
                ..
            }) => Ok(()),
            Ok(Value {
                kind: ValueKind::Bool(false),
                ..
            }) => {
                let message = a
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("assertion `{cond_text}` failed"));
                let mut d =
                    Diagnostic::error(Code::AssertionFailed, format!("{message} (in `{path}`)"));
                let mut refs = Vec::new();
                references(&a.cond, &mut refs);
                let mut labelled = false;
                for r in refs {
                    let segs: Vec<String> = r.segments.iter().map(|s| s.name.clone()).collect();
                    if let Some(val) = obj.get_path(&segs) {
                        let at = self.set_at(&val.origin);
                        let shown = show_path(r.segments.iter().map(|s| s.name.as_str()));
                        let text = format!("`{shown}` is {} ({at})", val.describe());
                        d = if labelled {
                            d.secondary(val.origin.file, val.origin.span, text)
                        } else {
                            d.primary(val.origin.file, val.origin.span, text)
                        };
                        labelled = true;
                    }
                }
                if !labelled {
                    let at = self.set_at(&obj.origin);
                    d = d.primary(obj.origin.file, obj.origin.span, format!("`{path}` ({at})"));
                }
                Err(d.secondary(file, a.span, "asserted here").help(
                    "change the values the assertion reads so that it holds for this target, or change the assertion",
                ))
            }
            Ok(other) => Err(Diagnostic::error(
                Code::AssertionError,
                format!("assertion `{cond_text}` is not a boolean"),
            )
            .primary(file, a.cond.span, format!("this is {}", other.describe()))
            .help("an assertion must evaluate to true or false; compare explicitly")),
            Err(AssertFailure::Secret(d)) => Err(d),
            // It reads a value that failed to evaluate (reported): whether it holds is unknown.
            Err(AssertFailure::Failed) => Ok(()),
            Err(AssertFailure::Unreadable(span, why)) => Err(Diagnostic::error(
                Code::AssertionError,
                format!("assertion `{cond_text}` cannot be evaluated"),
            )
            .primary(file, span, why)
            .help("rewrite the assertion so that each operator gets operands of the types it takes (`assert` reads the object's fields, literals, `@environment` and `@provider`)")),
        }
    }

    /// Evaluate an assertion over the object's fields (after defaults). A field that is not set reads as null.
    fn eval_assert(&self, e: &Expr, obj: &Value, file: FileId) -> Result<Value, AssertFailure> {
        let origin = Origin {
            file,
            span: e.span,
            layer: obj.origin.layer,
        };
        let mk = |kind| Ok(Value::new(kind, origin));
        if let Some(s) = literal(e) {
            return mk(s.into());
        }
        match &e.kind {
            ExprKind::Str { .. } | ExprKind::Array { .. } | ExprKind::Object { .. } => {
                const_value(e, file).ok_or(AssertFailure::Unreadable(
                    e.span,
                    "only constant strings, arrays and objects are allowed in assertions".into(),
                ))
            }
            ExprKind::Paren(inner) => self.eval_assert(inner, obj, file),
            ExprKind::Reference(path) => {
                let segs: Vec<String> = path.segments.iter().map(|s| s.name.clone()).collect();
                if failed_on(obj, &segs) {
                    return Err(AssertFailure::Failed);
                }
                Ok(obj
                    .get_path(&segs)
                    .cloned()
                    .unwrap_or_else(|| Value::new(ValueKind::Null, origin)))
            }
            ExprKind::Directive(d)
                if d.args.is_empty() && matches!(d.name.name.as_str(), "environment" | "provider") =>
            {
                self.read_target.set(true);
                let which = if d.name.name == "environment" {
                    &self.target.env
                } else {
                    &self.target.provider
                };
                mk(which.clone().map_or(ValueKind::Null, ValueKind::String))
            }
            ExprKind::Unary(op, inner) => {
                let x = self.eval_assert(inner, obj, file)?;
                match unary_kind(*op, &x) {
                    Ok(kind) => mk(kind),
                    Err(UnaryError::SecretContent) => {
                        secret_used(&x, unary_use(*op), file, inner.span)?;
                        mk(ValueKind::Null)
                    }
                    // As the binary operators' overflow below (and evaluation's TSK0313).
                    Err(UnaryError::Overflow) => {
                        Err(AssertFailure::Unreadable(e.span, "number overflow".into()))
                    }
                    Err(UnaryError::Types) => Err(AssertFailure::Unreadable(
                        inner.span,
                        format!("this is {}", x.describe()),
                    )),
                }
            }
            ExprKind::Ternary(c, a, b) => {
                let cond = self.eval_assert(c, obj, file)?;
                match condition(&cond) {
                    Ok(true) => self.eval_assert(a, obj, file),
                    Ok(false) => self.eval_assert(b, obj, file),
                    Err(ConditionError::SecretContent) => {
                        secret_used(&cond, ContentUse::Condition, file, c.span)?;
                        mk(ValueKind::Null)
                    }
                    Err(ConditionError::NotBool) => Err(AssertFailure::Unreadable(
                        c.span,
                        "the condition is not a boolean".into(),
                    )),
                }
            }
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), l, r) => {
                let a = self.eval_assert(l, obj, file)?;
                let ab = assert_operand(*op, &a, file, l.span)?;
                if let Some(decided) = short_circuit(*op, ab) {
                    return mk(ValueKind::Bool(decided));
                }
                let b = self.eval_assert(r, obj, file)?;
                mk(ValueKind::Bool(assert_operand(*op, &b, file, r.span)?))
            }
            ExprKind::Binary(op, l, r) => {
                let a = self.eval_assert(l, obj, file)?;
                let b = self.eval_assert(r, obj, file)?;
                match binary_kind(*op, &a, &b) {
                    Ok(kind) => mk(kind),
                    Err(BinaryError::SecretContent) => {
                        let (v, at) = if a.is_secret() {
                            (&a, l.span)
                        } else {
                            (&b, r.span)
                        };
                        // `binary_kind` found a secret operand, so this is always the TSK0317 error.
                        secret_used(v, ContentUse::Operator(*op), file, at)?;
                        mk(ValueKind::Null)
                    }
                    Err(BinaryError::Types) => Err(AssertFailure::Unreadable(
                        e.span,
                        format!(
                            "cannot apply `{}` to {} and {}",
                            op.symbol(),
                            a.type_name(),
                            b.type_name()
                        ),
                    )),
                    Err(BinaryError::DivisionByZero) => {
                        Err(AssertFailure::Unreadable(r.span, "division by zero".into()))
                    }
                    Err(BinaryError::Overflow) => {
                        Err(AssertFailure::Unreadable(e.span, "number overflow".into()))
                    }
                }
            }
            // `$variables` and other directives were rejected by schema validation.
            _ => Err(AssertFailure::Unreadable(
                e.span,
                "not allowed in an assertion".into(),
            )),
        }
    }

    fn check_constraints(
        &self,
        v: &Value,
        cs: &[Constraint],
        file: FileId,
        decl: Decl,
        path: ValuePath,
    ) -> Result<(), Errors> {
        // A secret's value is not known at compile time (and must not be shown): constraints cannot apply.
        if v.is_secret() {
            return Ok(());
        }
        let mut errs = Vec::new();
        for c in cs {
            let ctext = self.text(file, c.span);
            let problem = match (&c.kind, &v.kind) {
                (ConstraintKind::Range(b), ValueKind::Int(i)) => {
                    (!within(*i as f64, b)).then(|| format!("{i} is outside `{ctext}`"))
                }
                (ConstraintKind::Range(b), ValueKind::Float(x)) => {
                    (!within(*x, b)).then(|| format!("{} is outside `{ctext}`", v.describe()))
                }
                (ConstraintKind::Len(b), k) => {
                    let (n, unit) = match k {
                        ValueKind::String(s) => (s.chars().count(), "characters"),
                        ValueKind::Array(a) => (a.len(), "items"),
                        ValueKind::Object(m) => (m.len(), "keys"),
                        _ => continue,
                    };
                    (!within(n as f64, b)).then(|| format!("has {n} {unit}, expected `{ctext}`"))
                }
                (ConstraintKind::Pattern { regex, negated }, ValueKind::String(s)) => {
                    let schemas = self.schemas;
                    let compiled = *self
                        .regexes
                        .borrow_mut()
                        .entry((file, c.span))
                        .or_insert_with(|| schemas.regex(regex));
                    let hit = compiled.map(|r| r.is_match(s));
                    match (hit, negated) {
                        (Some(false), false) => {
                            Some(format!("{} does not match `{ctext}`", v.describe()))
                        }
                        (Some(true), true) => {
                            Some(format!("{} matches the forbidden `{ctext}`", v.describe()))
                        }
                        _ => None,
                    }
                }
                (ConstraintKind::Format(f), ValueKind::String(s)) => (!has_format(&f.name, s))
                    .then(|| format!("{} is not a valid {}", v.describe(), f.name)),
                (ConstraintKind::Unique, ValueKind::Array(items)) => {
                    let mut dup = None;
                    'outer: for (i, a) in items.iter().enumerate() {
                        for b in &items[..i] {
                            if a.same(b) {
                                dup = Some((i, a.describe()));
                                break 'outer;
                            }
                        }
                    }
                    dup.map(|(i, d)| {
                        format!("item {i} ({d}) repeats an earlier item; the items must be unique")
                    })
                }
                _ => None,
            };
            if let Some(problem) = problem {
                let fix = match &c.kind {
                    ConstraintKind::Range(_) => format!("use a value in `{ctext}`"),
                    ConstraintKind::Len(_) => format!("make its length fit `{ctext}`"),
                    ConstraintKind::Pattern { negated: false, .. } => {
                        format!("write a value that matches `{ctext}`")
                    }
                    ConstraintKind::Pattern { negated: true, .. } => {
                        format!("write a value that does not match `{ctext}`")
                    }
                    ConstraintKind::Format(f) => format!("write a valid {}", f.name),
                    ConstraintKind::Unique => "remove the repeated item".to_string(),
                };
                // A constraint of the standard library is not the user's to change: only the value is.
                let declared = self.sources.get(file);
                let help = match declared.kind {
                    FileKind::Disk(_) => format!(
                        "{fix}, or change the constraint where `{path}` is declared ({}:{})",
                        declared.name,
                        declared.line_col(c.span.start).line
                    ),
                    _ => format!("{fix} (the constraint is declared in {})", declared.name),
                };
                let d = Diagnostic::error(Code::ConstraintViolated, format!("`{path}` {problem}"))
                    .help(help);
                let d = self.value_label(d, v, format!("this is {}", v.describe()));
                let d = match decl.field {
                    Some(_) => self.decl_label(d, decl, path),
                    None => d.secondary(file, c.span, "constraint declared here"),
                };
                errs.push(d);
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

/// Why an assertion has no value.
enum AssertFailure {
    /// It reads something assertions cannot (TSK0516): where, and why.
    Unreadable(Span, String),
    /// It needs a secret's content (TSK0317).
    Secret(Diagnostic),
    /// It reads a value that failed to evaluate.
    Failed,
}

/// Does following `path` from `v` meet a value that failed to evaluate (at the end, or where the path goes on)?
fn failed_on(v: &Value, path: &[String]) -> bool {
    let mut cur = v;
    for seg in path {
        if cur.failed() {
            return true;
        }
        match cur.get_path(std::slice::from_ref(seg)) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    cur.failed()
}

/// An operand of `&&` / `||` in an assertion, as a [`condition`].
fn assert_operand(
    op: BinaryOp,
    v: &Value,
    file: FileId,
    span: Span,
) -> Result<bool, AssertFailure> {
    match condition(v) {
        Ok(b) => Ok(b),
        Err(ConditionError::SecretContent) => {
            secret_used(v, ContentUse::Operator(op), file, span)?;
            Ok(false)
        }
        Err(ConditionError::NotBool) => Err(AssertFailure::Unreadable(
            span,
            format!("`{}` needs booleans; this is {}", op.symbol(), v.describe()),
        )),
    }
}

/// [`secret_content`] inside an assertion.
fn secret_used(v: &Value, used: ContentUse, file: FileId, span: Span) -> Result<(), AssertFailure> {
    match secret_content(v, used, file, span) {
        Some(d) => Err(AssertFailure::Secret(d)),
        None => Ok(()),
    }
}

// ----- checking an object field by field (`check_object`, the map branch of `check_in`, and `stream.rs`) -----
//
// The one implementation of checking an object against an object schema or a map type: each field is checked on
// its own value (`field_duties` says against what, `run` checks it), and what concerns the object as a whole
// (required fields, defaults) once its fields are done (`finish_object`). `check_object` and the map branch of
// `check_in` run it over a built object (`check_fields`), then add what only a whole value has: an object
// schema's `assert`s, a map's constraints. A streamed target runs it over the fields of an object it never builds,
// each as it is built, and only where nothing else applies: the object's type is an object schema without
// `assert`s, a map without constraints, or puts no requirement on it (`shape`). Anything else (unions,
// constraints, assertions, a scalar type where an object stands) is checked whole, by [`Checker::check`], on the
// value built for it. A named type's `##` docs, which `check_named` adds to an error passing back through it, are
// carried down in a [`Duty`] instead, since a split check's errors never pass back through it.

/// The `##` docs of the named types a check passed through, innermost first: each adds a note to an error found
/// beneath it, as `check_named` does when the error passes back through it.
type Docs<'a> = std::rc::Rc<Vec<(&'a str, &'a str)>>;

/// A check still to make: the value at one node against a type (what [`Checker::check`] takes), with what the
/// enclosing checks add.
#[derive(Clone)]
pub(crate) struct Duty<'a> {
    /// The position of the binding it comes from: several duties on one value run in this order, as checking
    /// the whole tree runs the bindings in layer order.
    pub order: usize,
    ty: &'a TypeExpr,
    file: FileId,
    field: Option<&'a Field>,
    /// The checked value's path as messages show it: the path of the object holding it joined with `key` (built
    /// when the check runs, into a reused buffer), or all of it when `key` is `None`.
    at: Rc<str>,
    /// Borrowed from the object being walked: a clone would be an atomic count on a key every thread shares.
    key: Option<&'a Key>,
    depth: u32,
    docs: Docs<'a>,
}

impl<'a> Duty<'a> {
    /// The check a binding asks for at its own path.
    pub(crate) fn binding(order: usize, b: &'a Binding) -> Self {
        Duty {
            order,
            ty: &b.ty,
            file: b.file,
            field: None,
            at: if b.path.is_empty() {
                Rc::from("the configuration")
            } else {
                Rc::from(show_path(b.path.iter().map(String::as_str)))
            },
            key: None,
            depth: 0,
            docs: Docs::default(),
        }
    }
}

/// A large object type's [`FieldTable`]: a declared schema's own (shared by every checker), or one built for an
/// object type written in place (once per checker); `None` when its fields are scanned.
type FieldIndex<'a> = Option<Index<'a>>;

#[derive(Clone)]
pub(crate) enum Index<'a> {
    Shared(&'a FieldTable),
    Own(Rc<FieldTable>),
}

impl Index<'_> {
    fn get(&self, fields: &[Field], name: &str) -> Option<usize> {
        match self {
            Index::Shared(t) => t.get(fields, name),
            Index::Own(t) => t.get(fields, name),
        }
    }
}

fn field_index<'a>(obj: &ObjectType) -> FieldIndex<'a> {
    FieldTable::new(&obj.fields).map(|t| Index::Own(Rc::new(t)))
}

/// How a duty on an object node splits over its fields.
pub(crate) enum Shape<'a> {
    /// Nothing to check here or beneath.
    Free,
    /// Cannot split: check the built value whole.
    Whole,
    Object {
        obj: &'a ObjectType,
        index: FieldIndex<'a>,
        decl: Decl<'a>,
        file: FileId,
        path: Rc<str>,
        depth: u32,
        docs: Docs<'a>,
    },
    Map {
        key: &'a TypeExpr,
        value: &'a TypeExpr,
        file: FileId,
        path: Rc<str>,
        depth: u32,
        docs: Docs<'a>,
    },
}

impl Shape<'_> {
    /// What checking an object's fields under this shape depends on besides the fields (its path and docs only
    /// shape messages): the types and field it checks against, the file and the depth, as numbers
    /// (`driver/reuse.rs` compares them across targets; the types live as long as the program).
    pub(crate) fn fingerprint(&self, out: &mut Vec<usize>) {
        let at = |t: &TypeExpr| std::ptr::from_ref(t) as usize;
        match self {
            Shape::Free => out.push(0),
            Shape::Whole => out.push(1),
            Shape::Object {
                obj,
                decl,
                file,
                depth,
                ..
            } => out.extend([
                2,
                std::ptr::from_ref(*obj) as usize,
                decl.file.0 as usize,
                at(decl.ty),
                decl.field.map_or(0, |f| std::ptr::from_ref(f) as usize),
                file.0 as usize,
                *depth as usize,
            ]),
            Shape::Map {
                key,
                value,
                file,
                depth,
                ..
            } => out.extend([3, at(key), at(value), file.0 as usize, *depth as usize]),
        }
    }
}

impl<'a> Checker<'a> {
    /// How `d` splits over the fields of an object node (see the section comment).
    pub(crate) fn shape(&self, d: &Duty<'a>) -> Shape<'a> {
        let decl = Decl {
            file: d.file,
            ty: d.ty,
            field: d.field,
        };
        // Shared with the duty when it is the whole path: no copy.
        let path = match &d.key {
            Some(k) => Rc::from(join(&d.at, k)),
            None => d.at.clone(),
        };
        self.shape_in(decl, d.ty, d.file, &path, d.depth, &d.docs)
    }

    fn shape_in(
        &self,
        decl: Decl<'a>,
        ty: &'a TypeExpr,
        file: FileId,
        path: &Rc<str>,
        depth: u32,
        docs: &Docs<'a>,
    ) -> Shape<'a> {
        match &ty.kind {
            TypeKind::Error => Shape::Free,
            TypeKind::Named { constraints, .. } if !constraints.is_empty() => Shape::Whole,
            TypeKind::Named { name, .. } => match name.name.as_str() {
                "any" => Shape::Free,
                "null" | "string" | "secret" | "int" | "float" | "number" | "bool" => Shape::Whole,
                other => {
                    let Some(def) = self.declared(other, depth) else {
                        return Shape::Free;
                    };
                    let def_ty = &def.decl.ty;
                    let inner = if matches!(def_ty.kind, TypeKind::Object(_)) {
                        Decl {
                            file: def.file,
                            ty: def_ty,
                            field: None,
                        }
                    } else {
                        decl
                    };
                    let docs = match def.decl.doc.as_deref() {
                        Some(doc) => {
                            let mut inner_first = vec![(other, doc)];
                            inner_first.extend(docs.iter().copied());
                            Docs::new(inner_first)
                        }
                        None => docs.clone(),
                    };
                    self.shape_in(inner, def_ty, def.file, path, depth + 1, &docs)
                }
            },
            TypeKind::Object(obj) if obj.asserts.is_empty() => Shape::Object {
                obj,
                index: self.field_index_of(obj),
                decl,
                file,
                path: path.clone(),
                depth,
                docs: docs.clone(),
            },
            TypeKind::Map {
                key,
                value,
                constraints,
            } if constraints.is_empty() => Shape::Map {
                key,
                value,
                file,
                path: path.clone(),
                depth,
                docs: docs.clone(),
            },
            _ => Shape::Whole,
        }
    }

    /// The named type `name` (`schema::types::declared`). A declared object schema's field table
    /// (`SchemaDef::field_table`) becomes known to [`Self::field_index_of`] under its type's address.
    fn declared(&self, name: &str, depth: u32) -> Option<&'a SchemaDef> {
        let def = declared(self.schemas, name, depth)?;
        if let (TypeKind::Object(obj), Some(t)) = (&def.decl.ty.kind, &def.field_table) {
            self.indexes
                .borrow_mut()
                .entry(obj as *const ObjectType)
                .or_insert(Some(Index::Shared(t)));
        }
        Some(def)
    }

    /// The field index of `obj`: a declared schema's own table (made known by [`Self::declared`]), else one built
    /// once per checker for an object type written in place.
    fn field_index_of(&self, obj: &'a ObjectType) -> FieldIndex<'a> {
        if obj.fields.len() < SCANNED {
            return None; // scanned (`field_index`), without a look in the cache
        }
        let mut indexes = self.indexes.borrow_mut();
        let ix = indexes
            .entry(obj as *const ObjectType)
            .or_insert_with(|| field_index(obj));
        ix.clone()
    }

    /// The duties a split check puts on the field `key` of its object (whose value was set at `at`), appended to
    /// `out`: one, or none, or, when a broken schema declares the field twice, one per declaration in schema
    /// order (as `check_object` checks it once per declaration). Errors about the field's presence or its key go
    /// to `errs`. Whether `key` names a field the object schema declares (for [`Self::finish_object`]).
    pub(crate) fn field_duties<'t>(
        &mut self,
        shape: &Shape<'t>,
        order: usize,
        key: &'t Key,
        at: &Origin,
        errs: &mut Errors,
        out: &mut Vec<Duty<'t>>,
    ) -> bool {
        match shape {
            Shape::Free | Shape::Whole => false,
            Shape::Object {
                obj,
                index,
                decl,
                file,
                path,
                depth,
                docs,
            } => {
                let before = out.len();
                let indexed = index
                    .as_ref()
                    .map(|ix| ix.get(&obj.fields, key).and_then(|i| obj.fields.get(i)));
                let scanned = indexed
                    .is_none()
                    .then(|| obj.fields.iter().filter(|f| f.name.name == **key));
                for f in indexed
                    .flatten()
                    .into_iter()
                    .chain(scanned.into_iter().flatten())
                {
                    self.deprecated(f, at, *file, path, key);
                    out.push(Duty {
                        order,
                        ty: &f.ty,
                        file: *file,
                        field: Some(f),
                        at: path.clone(),
                        key: Some(key),
                        depth: *depth,
                        docs: docs.clone(),
                    });
                }
                if out.len() > before {
                    return true;
                }
                let extra = match &obj.extra {
                    Some(None) => None,
                    Some(Some(t)) => Some(Duty {
                        order,
                        ty: t,
                        file: *file,
                        field: None,
                        at: path.clone(),
                        key: Some(key),
                        depth: *depth,
                        docs: docs.clone(),
                    }),
                    None => {
                        let names: Vec<&str> =
                            obj.fields.iter().map(|f| f.name.name.as_str()).collect();
                        let d = self.unknown_field(key, at, &names, *decl, path);
                        errs.push(noted(d, docs));
                        None
                    }
                };
                out.extend(extra);
                false
            }
            Shape::Map {
                key: key_ty,
                value,
                file,
                path,
                depth,
                docs,
            } => {
                let mut kv = Value::new(ValueKind::String(key.to_string()), *at);
                let key_decl = Decl {
                    file: *file,
                    ty: key_ty,
                    field: None,
                };
                let outer = self.depth;
                self.depth = *depth;
                let key_path = ValuePath::MapKey(path, key);
                if let Err(e) = self.check_in(&mut kv, key_decl, key_ty, *file, key_path) {
                    errs.extend(e.into_iter().map(|d| noted(d, docs)));
                }
                self.depth = outer;
                out.push(Duty {
                    order,
                    ty: value,
                    file: *file,
                    field: None,
                    at: path.clone(),
                    key: Some(key),
                    depth: *depth,
                    docs: docs.clone(),
                });
                false
            }
        }
    }

    /// The end of a split object check: required fields missing from the object (set at `at`; `has` tells which
    /// keys it has) are errors, missing fields with defaults get them (appended to `defaults`, in schema order).
    /// `seen`: how many of its keys (and of `defaults`) [`Self::field_duties`] found declared; when the schema's
    /// names are indexed (so distinct) and all were seen, none is missing, and no key is looked up.
    pub(crate) fn finish_object<'t>(
        &mut self,
        shape: &Shape<'t>,
        has: impl Fn(&str) -> bool,
        seen: usize,
        at: &Origin,
        defaults: &mut Vec<(Key, Value)>,
        errs: &mut Errors,
    ) {
        let Shape::Object {
            obj,
            index,
            file,
            path,
            depth,
            docs,
            ..
        } = shape
        else {
            return;
        };
        if index.is_some() && seen == obj.fields.len() {
            return;
        }
        let mut added = Vec::new();
        for f in &obj.fields {
            let name = f.name.name.as_str();
            if has(name) || defaults.iter().any(|(k, _)| &**k == name) {
                continue;
            }
            if let Some(dv) = f.default.as_ref().and_then(|d| const_value(d, *file)) {
                added.push((f, dv, true));
            } else if f.default.is_none() && !f.optional {
                let outer = self.depth;
                self.depth = *depth;
                let created = self.missing_from_defaults(f, *file, path);
                self.depth = outer;
                match created {
                    Some((dv, e)) => {
                        errs.extend(e.into_iter().map(|x| noted(x, docs)));
                        added.push((f, dv, false));
                    }
                    None => errs.push(noted(self.missing_field(f, at, *file, path), docs)),
                }
            }
        }
        for (f, mut dv, recheck) in added {
            let sub = join(path, &f.name.name);
            if recheck {
                let outer = self.depth;
                self.depth = *depth;
                let _ = self.check(&mut dv, &f.ty, *file, &sub, Some(f));
                self.depth = outer;
            }
            // A field a broken schema declares twice: the later default replaces the earlier in place, as
            // inserting into the built object does.
            match defaults.iter_mut().find(|(k, _)| **k == *f.name.name) {
                Some((_, slot)) => *slot = dv,
                None => defaults.push((Key::from(f.name.name.as_str()), dv)),
            }
        }
    }

    /// Run a duty on a built value.
    pub(crate) fn run(&mut self, v: &mut Value, d: &Duty, errs: &mut Errors) {
        let outer = self.depth;
        self.depth = d.depth;
        let path = match &d.key {
            Some(k) => ValuePath::Key(&d.at, k),
            None => ValuePath::Text(&d.at),
        };
        let r = self.check_at(v, d.ty, d.file, path, d.field);
        if let Err(e) = r {
            errs.extend(e.into_iter().map(|x| noted(x, &d.docs)));
        }
        self.depth = outer;
    }
}

/// An error found beneath the named types of `docs`, with their notes.
fn noted(d: Diagnostic, docs: &Docs) -> Diagnostic {
    docs.iter()
        .fold(d, |d, (name, doc)| d.with_doc(name, Some(doc)))
}

trait WithDoc {
    fn with_doc(self, name: &str, doc: Option<&str>) -> Self;
}

impl WithDoc for Diagnostic {
    /// The `##` doc comment of the field or type involved, as a note (once).
    fn with_doc(mut self, name: &str, doc: Option<&str>) -> Self {
        if let Some(doc) = doc {
            let note = format!("{name}: {}", doc.replace('\n', " "));
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        self
    }
}

fn decl_span(decl: Decl) -> Span {
    match decl.field {
        Some(f) => f.ty.span,
        None => decl.ty.span,
    }
}

/// Every reference an expression reads, in order.
fn references<'e>(e: &'e Expr, out: &mut Vec<&'e KeyPath>) {
    match &e.kind {
        ExprKind::Reference(p) if !out.iter().any(|o| o.dotted() == p.dotted()) => {
            out.push(p);
        }
        ExprKind::Unary(_, x) | ExprKind::Paren(x) => references(x, out),
        ExprKind::Binary(_, a, b) => {
            references(a, out);
            references(b, out);
        }
        ExprKind::Ternary(a, b, c) => {
            references(a, out);
            references(b, out);
            references(c, out);
        }
        _ => {}
    }
}

pub fn within(x: f64, b: &Bounds) -> bool {
    let lo = b
        .min
        .is_none_or(|(m, excl)| if excl { x > m } else { x >= m });
    let hi = b
        .max
        .is_none_or(|(m, excl)| if excl { x < m } else { x <= m });
    lo && hi
}

/// Does the key token `written` (a name, a number or a quoted string) spell `key`?
fn spells_key(written: &str, key: &str) -> bool {
    let Some(inner) = written.strip_prefix('"').and_then(|w| w.strip_suffix('"')) else {
        return written == key;
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let rest = chars.as_str();
                let Some(hex) = rest.strip_prefix('{').and_then(|r| r.split_once('}')) else {
                    return false;
                };
                let Some(ch) = u32::from_str_radix(hex.0, 16).ok().and_then(char::from_u32) else {
                    return false;
                };
                out.push(ch);
                chars = hex.1.chars();
            }
            Some(other) => out.push(other),
            None => return false,
        }
    }
    out == key
}

/// The path of `key` in the object at `path`, as messages show it (`show_key`).
/// The keys of the object at `shown` (a key path as [`join`] shows it) in `obj`, appended to `keys`; `None` if no
/// object is there. A key holding `.` is shown as written, so each key is tried as a prefix.
fn shown_keys(obj: &MObject, shown: &str, keys: &mut Vec<String>) -> Option<()> {
    if shown.is_empty() {
        return Some(());
    }
    for (k, node) in &obj.fields {
        let MNode::Object(o) = node else { continue };
        let Some(rest) = shown.strip_prefix(&*show_key(k)) else {
            continue;
        };
        let rest = match rest.strip_prefix('.') {
            Some(r) if !r.is_empty() => r,
            _ if rest.is_empty() => rest,
            _ => continue,
        };
        keys.push(k.to_string());
        // The first key that leads somewhere: no backtracking, so a pathological key set costs one walk.
        return Some(()).filter(|_| shown_keys(o, rest, keys).is_some());
    }
    None
}

/// A checked value's path as messages show it, kept as its parts: the text is written only when a diagnostic shows
/// it (most values check clean, and writing each one's path cost more than checking it).
#[derive(Clone, Copy)]
enum ValuePath<'p> {
    /// All of it.
    Text(&'p str),
    /// The key in the object at the path ([`join`]).
    Key(&'p str, &'p str),
    /// Item `i` of the array at the path.
    Index(&'p ValuePath<'p>, usize),
    /// The key itself of an entry in the map at the path: `a.k (key)`.
    MapKey(&'p str, &'p str),
}

impl ValuePath<'_> {
    /// The path's text: borrowed when it is all text already.
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ValuePath::Text(s) => std::borrow::Cow::Borrowed(*s),
            _ => std::borrow::Cow::Owned(self.to_string()),
        }
    }
}

impl std::fmt::Display for ValuePath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValuePath::Text(s) => f.write_str(s),
            ValuePath::Key(path, key) => f.write_str(&join(path, key)),
            ValuePath::Index(path, i) => write!(f, "{path}[{i}]"),
            ValuePath::MapKey(path, key) => write!(f, "{} (key)", join(path, key)),
        }
    }
}

/// The path of `key` in the object at `path` appended to `out`, built by hand: it runs for every checked field,
/// and `format!` cost several times the copying.
fn push_join(out: &mut String, path: &str, key: &str) {
    if !(path.is_empty() || path == "the configuration") {
        out.push_str(path);
        out.push('.');
    }
    out.push_str(&show_key(key));
}

fn join(path: &str, key: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1 + key.len());
    push_join(&mut out, path, key);
    out
}

/// The first thing in an assertion that assertions cannot read: a `$variable` or a directive other than
/// `@environment` / `@provider`.
pub(crate) fn unreadable_in_assert(e: &Expr) -> Option<(Span, String)> {
    match &e.kind {
        ExprKind::Variable(v) => Some((
            e.span,
            format!("`${}` is a variable; assertions read fields", v.name.name),
        )),
        ExprKind::Directive(d) if !matches!(d.name.name.as_str(), "environment" | "provider") => {
            Some((
                e.span,
                format!("`@{}` cannot be used in an assertion", d.name.name),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_what_format_would_write() {
        for i in [0, 7, 9, 10, 99, 100, 12_345, usize::MAX] {
            let at = ValuePath::Key("a", "b");
            assert_eq!(ValuePath::Index(&at, i).to_string(), format!("a.b[{i}]"));
        }
        assert_eq!(join("a", "b"), "a.b");
        assert_eq!(join("", "b"), "b");
        assert_eq!(join("the configuration", "b"), "b");
        assert_eq!(join("a", "b\nc"), format!("a.{}", show_key("b\nc")));
    }

    #[test]
    fn a_value_path_writes_what_joining_its_parts_would() {
        let root = ValuePath::Key("the configuration", "b");
        assert_eq!(root.to_string(), "b");
        assert_eq!(root.text(), "b");
        let text = ValuePath::Text("a.b");
        assert!(matches!(text.text(), std::borrow::Cow::Borrowed("a.b")));
        let item = ValuePath::Index(&root, 3);
        let nested = ValuePath::Index(&item, 10);
        assert_eq!(nested.to_string(), "b[3][10]");
        assert_eq!(
            ValuePath::MapKey("a", "k\n").to_string(),
            format!("a.{} (key)", show_key("k\n"))
        );
        assert_eq!(ValuePath::MapKey("", "k").text(), "k (key)");
    }
}
