//! Evaluation: the merged definitions of one target to a value tree.
//!
//! Owns: the meaning of expressions, references, variables and directives. Invariants: references and variables are
//! resolved against the *merged* tree (late binding), each definition is evaluated at most twice per target (once
//! into the tree; once more into the memo table if a reference reaches it after it moved into the tree; evaluation is
//! pure, so both give the same value), a cycle is reported once with every member, nothing undefined silently
//! becomes "" or null, and the only outside reads are the environment variables that `@env` names and the files that
//! `@file` names (through the loader). An error yields `None` after reporting; callers propagate `None` without
//! reporting again, so a value computed from a failed one fails silently. In the target's tree a failed definition
//! is a [`ValueKind::Error`] (never inside a value a reference copies), so one mistake costs only its own
//! definition: every other value is still evaluated, and checked.

pub mod resolve;

use indexmap::IndexMap;

use crate::diagnostic::{did_you_mean, show_key, show_path, Code, Diagnostic, Sink};
use crate::ir::fold::{
    binary_kind, condition, display, literal, short_circuit, unary_kind, unary_use, BinaryError,
    ConditionError, UnaryError,
};
use crate::ir::LeafData;
use crate::ir::{MNode, MObject, Merged, MergedLeaf, Removal, Target};
use crate::lower::ModuleLoader;
use crate::secrets::Lookup;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::*;
use crate::value::{map_with_capacity, parse_env_text, Map, Origin, Value, ValueKind};
use resolve::Resolution;
use std::sync::Arc;

// The operators' meaning and the secret rule live in `ir::fold`, below every interpreter; re-exported here, where
// the rest of evaluation's vocabulary is.
pub use crate::ir::fold::{secret_content, ContentUse};

/// Deepest chain of references followed before giving up with TSK0315 (instead of overflowing the stack).
pub const MAX_EVAL_DEPTH: usize = 400;
/// The longest string evaluation may build (interpolation, `+`).
pub const MAX_TEXT: usize = 16 << 20;
/// The longest array evaluation may build (`+`).
pub const MAX_ITEMS: usize = 1_000_000;
/// Values (nodes of arrays and objects, scalars) references may copy into one target: references that refer twice to
/// a key that refers twice ... grow exponentially, and this stops them long before memory runs out.
pub const MAX_COPIED: usize = 500_000;

/// Where `@env` looks, in order: `--var`, `--env-file` (already merged into `vars` by the caller), then the process
/// environment if allowed.
#[derive(Debug, Default, Clone)]
pub struct EnvInputs {
    pub vars: IndexMap<String, String>,
    pub process_env: bool,
    /// Every process environment variable a lookup read, with what it found, in order (a name may repeat): the
    /// library's cache compares them on the next request (`api::cache`). One push per `@env` the process answers.
    pub read: std::cell::RefCell<Vec<(String, Option<String>)>>,
}

impl EnvInputs {
    /// The same inputs with nothing read yet: for a thread that builds targets beside others (`read` is per
    /// builder, in its own order).
    pub fn fork(&self) -> EnvInputs {
        EnvInputs {
            vars: self.vars.clone(),
            process_env: self.process_env,
            read: Default::default(),
        }
    }
    pub fn lookup(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned().or_else(|| {
            if self.process_env {
                let found = std::env::var(name).ok();
                self.read
                    .borrow_mut()
                    .push((name.to_string(), found.clone()));
                found
            } else {
                None
            }
        })
    }
}

pub struct Evaluator<'a> {
    pub merged: &'a Merged,
    pub sources: &'a SourceMap,
    pub loader: &'a mut dyn ModuleLoader,
    pub sink: &'a mut Sink,
    pub target: &'a Target,
    pub inputs: &'a EnvInputs,
    /// Answers `@secret`: references by default; decrypted values with `--secrets resolve`.
    pub secrets: Option<&'a crate::secrets::SecretResolver>,
    /// Where each definition is (one byte each, indexed by [`MergedLeaf::id`]).
    memo: Vec<Slot>,
    /// The values of definitions in [`Slot::Done`]: those a reference needed before the tree took them. Most
    /// definitions never come here (the tree takes their value as they are evaluated).
    values: std::collections::HashMap<usize, Value, foldhash::fast::RandomState>,
    stack: Vec<Frame>,
    /// Values copied by references so far (see [`MAX_COPIED`]); past the limit, one error and no more copies.
    copied: usize,
    /// How many `${...}` interpolations are being evaluated (a reference there that names nothing was probably meant
    /// as text, or as an environment variable).
    interpolating: usize,
    /// A definition of the tree failed: its place holds a [`ValueKind::Error`], and the target has no value to emit.
    failed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Not evaluated yet, or evaluated and moved into the tree.
    Todo,
    Busy,
    /// Evaluated; the value is in `Evaluator::values`.
    Done,
    Failed,
}

struct Frame {
    /// The definition being evaluated; its name is looked up only when a message needs it.
    id: usize,
    /// The reference that led into this definition.
    via: Option<(FileId, Span)>,
}

/// What an expression is evaluated against: the definition it belongs to.
struct Ctx<'l> {
    leaf: &'l LeafData,
}

impl<'l> Ctx<'l> {
    fn file(&self) -> FileId {
        self.leaf.origin.file
    }
    fn origin(&self, span: Span) -> Origin {
        Origin {
            file: self.leaf.origin.file,
            span,
            layer: self.leaf.origin.layer,
        }
    }
}

const DIRECTIVES: &[&str] = &[
    "env",
    "secret",
    "file",
    "environment",
    "provider",
    "delete",
    "replace",
    "vary",
];

/// "deleted by env production at main.tsk:63", "dropped by the `@replace` in env production at main.tsk:12",
/// "deleted by `--set app.debug=@delete`": how a reference error, a missing required field and `explain` name what removed a key ([`Merged::deleted_by`]).
pub fn deleted_by_text(sources: &SourceMap, by: &Removal) -> String {
    let at = by.origin();
    let f = sources.get(at.file);
    let line = f.line_col(at.span.start).line;
    // A `--set` is named as it was typed (its file is named `--set KEY`); it has no line to point at.
    if at.layer == crate::value::LayerRef::OVERRIDE {
        return match by {
            Removal::Deleted(_) => format!("deleted by `{}=@delete`", f.name),
            Removal::Replaced(_) => format!("dropped by the `@replace` of `{}`", f.name),
        };
    }
    match by {
        Removal::Deleted(_) => format!("deleted by {} at {}:{line}", at.layer, f.name),
        Removal::Replaced(_) => {
            format!(
                "dropped by the `@replace` in {} at {}:{line}",
                at.layer, f.name
            )
        }
    }
}

/// The label at what removed `dotted` ([`deleted_by_text`]), and the edit there that keeps the key (the other is to
/// define it again in a later layer).
pub fn removal_label_and_fix(by: &Removal, dotted: &str) -> (String, &'static str) {
    match by {
        Removal::Deleted(_) => (format!("`{dotted}` deleted here"), "remove the `@delete`"),
        Removal::Replaced(_) => (
            format!("this `@replace` does not define `{dotted}`"),
            "add the key to the `@replace`'s object",
        ),
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(
        merged: &'a Merged,
        sources: &'a SourceMap,
        loader: &'a mut dyn ModuleLoader,
        sink: &'a mut Sink,
        target: &'a Target,
        inputs: &'a EnvInputs,
    ) -> Self {
        Evaluator {
            merged,
            sources,
            loader,
            sink,
            target,
            inputs,
            secrets: None,
            memo: vec![Slot::Todo; merged.slots],
            values: Default::default(),
            stack: vec![],
            copied: 0,
            interpolating: 0,
            failed: false,
        }
    }

    /// Whether a definition of the tree failed to evaluate (the tree holds a [`ValueKind::Error`] in its place).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Evaluate the whole tree, in one pass in source order. A definition that fails is reported and leaves a
    /// [`ValueKind::Error`] in its place ([`Self::failed`]), so the rest is still evaluated and checked. Builds
    /// go through the walk (`driver/stream.rs`); this is the oracle its tests hold it to.
    #[cfg(test)]
    pub fn evaluate_root(&mut self) -> Value {
        let value = self.tree_object(&self.merged.root);
        self.finish();
        value
    }

    /// After the tree: variables nobody used are still evaluated, so a broken definition is never silently ignored.
    pub(crate) fn finish(&mut self) {
        for leaf in self.merged.vars.values() {
            if self.memo[leaf.id] == Slot::Todo {
                self.evaluate(leaf, None);
            }
        }
    }

    /// The value of one node of the tree being built (see [`Self::tree_object`]), taken rather than copied: a
    /// target streamed field by field (`stream.rs`) evaluates the nodes it does not stream through this.
    pub(crate) fn take_node(&mut self, node: &MNode) -> Value {
        match node {
            MNode::Leaf(l) => self.take_leaf(l),
            MNode::Object(o) => self.tree_object(o),
        }
    }

    /// The root object built whole, taken (the tree's value, as evaluating the whole tree builds it).
    pub(crate) fn take_root(&mut self) -> Value {
        self.tree_object(&self.merged.root)
    }

    /// A definition's value for the tree; if it fails, a [`ValueKind::Error`] at the definition (its error
    /// reported once, by evaluation).
    fn take_leaf(&mut self, l: &MergedLeaf) -> Value {
        let v = match self.memo[l.id] {
            Slot::Failed => None,
            Slot::Done => {
                self.memo[l.id] = Slot::Todo;
                self.values.remove(&l.id)
            }
            Slot::Todo | Slot::Busy => self.evaluate(l, None),
        };
        v.unwrap_or_else(|| {
            self.failed = true;
            Value::new(ValueKind::Error, self.merged.data(l).origin)
        })
    }

    /// A definition written as a plain literal (`emit::plain_literal`: no reference, variable or directive in it),
    /// its value for the tree as [`Self::take_node`] gives it, built without the frame evaluating a reference needs:
    /// a literal reads nothing, so it can neither form a cycle nor nest. Anything but a fresh slot at the top of
    /// the walk goes the usual way.
    pub(crate) fn take_literal(&mut self, l: &MergedLeaf) -> Value {
        if self.memo[l.id] != Slot::Todo || !self.stack.is_empty() {
            return self.take_leaf(l);
        }
        let data = self.merged.data(l);
        match self.eval(&data.expr, &Ctx { leaf: data }) {
            Some(v) => v,
            None => {
                self.memo[l.id] = Slot::Failed;
                self.failed = true;
                Value::new(ValueKind::Error, data.origin)
            }
        }
    }

    /// An object of the tree being built: every definition's value moved in, a failed one as a
    /// [`ValueKind::Error`].
    fn tree_object(&mut self, obj: &MObject) -> Value {
        let mut out = map_with_capacity(obj.fields.len());
        for (k, node) in &obj.fields {
            let v = self.take_node(node);
            out.insert(k.clone(), v);
        }
        let secret = out.values().any(|v| v.secret);
        let unset_env = Value::unset_env_of(out.values());
        Value {
            kind: ValueKind::Object(Box::new(out)),
            origin: obj.origin,
            secret,
            env: None,
            unset_env,
        }
    }

    /// The value of an object a reference points at: each definition evaluated and copied; `None` (silently: the
    /// failure is reported where it happened) if one fails. The tree itself is built by [`Self::tree_object`], which
    /// moves each definition's value out of the memo into the tree, no copy; a reference reaching it later
    /// evaluates it again (evaluation is pure: the same value, and any diagnostic it repeats is merged with the
    /// first).
    fn object_value(&mut self, obj: &MObject) -> Option<Value> {
        let mut out = map_with_capacity(obj.fields.len());
        let mut ok = true;
        for (k, node) in &obj.fields {
            let v = match node {
                MNode::Leaf(l) => self.eval_leaf(l, None),
                MNode::Object(o) => self.object_value(o),
            };
            match v {
                Some(v) => {
                    out.insert(k.clone(), v);
                }
                None => ok = false,
            }
        }
        let secret = out.values().any(|v| v.secret);
        let unset_env = Value::unset_env_of(out.values());
        ok.then(|| Value {
            kind: ValueKind::Object(Box::new(out)),
            origin: obj.origin,
            secret,
            env: None,
            unset_env,
        })
    }

    fn eval_node(&mut self, node: &MNode, via: Option<(FileId, Span)>) -> Option<Value> {
        match node {
            MNode::Leaf(l) => self.eval_leaf(l, via),
            MNode::Object(o) => self.object_value(o),
        }
    }

    /// The dotted key path (or `$name`) of a definition, for messages. A search of the merged tree: only errors
    /// pay for it.
    fn name_of(&self, id: usize) -> String {
        fn find(obj: &MObject, id: usize, path: &mut Vec<String>) -> bool {
            for (k, node) in &obj.fields {
                path.push(k.to_string());
                let found = match node {
                    MNode::Leaf(l) => l.id == id,
                    MNode::Object(o) => find(o, id, path),
                };
                if found {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        if find(&self.merged.root, id, &mut path) {
            return show_path(path.iter().map(String::as_str));
        }
        self.merged
            .vars
            .iter()
            .find(|(_, l)| l.id == id)
            .map_or_else(String::new, |(name, _)| format!("${name}"))
    }

    /// The value of a definition (a copy of the memoised one).
    fn eval_leaf(&mut self, leaf: &MergedLeaf, via: Option<(FileId, Span)>) -> Option<Value> {
        match self.memo[leaf.id] {
            Slot::Failed => return None,
            Slot::Done => {}
            Slot::Todo | Slot::Busy => {
                let v = self.evaluate(leaf, via)?;
                self.values.insert(leaf.id, v);
                self.memo[leaf.id] = Slot::Done;
            }
        }
        let v = self.values.get(&leaf.id)?;
        if self.copied <= MAX_COPIED {
            self.copied += weight(v, MAX_COPIED + 1 - self.copied);
            if self.copied <= MAX_COPIED {
                return Some(v.clone());
            }
            let at = self.merged.data(leaf).origin;
            let (file, span) = via.unwrap_or((at.file, at.span));
            self.value_too_large(
                format!("references copy more than {MAX_COPIED} values into this target"),
                file,
                span,
                "the limit was reached copying this value",
            );
        }
        None
    }

    fn too_large(&mut self, what: String, span: Span, ctx: &Ctx) -> Option<Value> {
        self.value_too_large(what, ctx.file(), span, "built here");
        None
    }

    /// TSK0316 at `span`.
    fn value_too_large(&mut self, what: String, file: FileId, span: Span, label: &str) {
        self.sink.push(
            Diagnostic::error(Code::ValueTooLarge, what)
                .primary(file, span, label)
                .help("a key probably refers to another more than once, and that one to another: the size doubles at each step"),
        );
    }

    /// Evaluate a definition that is not being evaluated already (`Todo`; `Busy` is a cycle, reported here). Leaves
    /// it `Todo` with its value returned (the caller keeps it), or `Failed`.
    fn evaluate(&mut self, leaf: &MergedLeaf, via: Option<(FileId, Span)>) -> Option<Value> {
        if self.memo[leaf.id] == Slot::Busy {
            self.report_cycle(leaf.id, via);
            return None;
        }
        if self.stack.len() >= MAX_EVAL_DEPTH {
            let name = self.name_of(leaf.id);
            let at = self.merged.data(leaf).origin;
            let (file, span) = via.unwrap_or((at.file, at.span));
            self.sink.push(
                Diagnostic::error(
                    Code::EvalTooDeep,
                    format!("references nest more than {MAX_EVAL_DEPTH} deep"),
                )
                .primary(
                    file,
                    span,
                    format!("evaluating `{name}` needs a longer chain of references"),
                )
                .help("shorten the chain of keys that refer to each other"),
            );
            self.memo[leaf.id] = Slot::Failed;
            return None;
        }
        self.memo[leaf.id] = Slot::Busy;
        self.stack.push(Frame { id: leaf.id, via });
        let data = self.merged.data(leaf);
        let ctx = Ctx { leaf: data };
        let v = self.eval(&data.expr, &ctx);
        self.stack.pop();
        // A cycle found further down already marked this slot failed.
        if self.memo[leaf.id] == Slot::Failed {
            return None;
        }
        self.memo[leaf.id] = if v.is_some() {
            Slot::Todo
        } else {
            Slot::Failed
        };
        v
    }

    fn report_cycle(&mut self, id: usize, via: Option<(FileId, Span)>) {
        let Some(pos) = self.stack.iter().position(|f| f.id == id) else {
            return;
        };
        let name = self.name_of(id);
        let mut names: Vec<String> = self.stack[pos..]
            .iter()
            .map(|f| self.name_of(f.id))
            .collect();
        names.push(name.clone());
        let itself = names.len() == 2;
        let mut d = Diagnostic::error(
            Code::Cycle,
            if itself {
                format!("reference cycle: `{name}` refers to itself")
            } else {
                format!("reference cycle: {}", names.join(" → "))
            },
        );
        if let Some((f, s)) = via {
            let label = if itself {
                "the value of this key cannot be itself".to_string()
            } else {
                format!("`{}` refers back to `{name}`", names[names.len() - 2])
            };
            d = d.primary(f, s, label);
        }
        for w in self.stack[pos + 1..].iter() {
            if let Some((f, s)) = w.via {
                d = d.secondary(f, s, format!("refers to `{}`", self.name_of(w.id)));
            }
        }
        self.sink.push(d.help(if itself {
            "give the key a value of its own, or refer to another key"
        } else {
            "break the cycle: one of these values must not depend on the others"
        }));
        for f in &self.stack[pos..] {
            self.memo[f.id] = Slot::Failed;
        }
    }

    // ----- expressions -----

    fn eval(&mut self, e: &Expr, ctx: &Ctx) -> Option<Value> {
        let origin = || ctx.origin(e.span);
        if let Some(s) = literal(e) {
            return Some(Value::new(s.into(), origin()));
        }
        match &e.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Int(_) | ExprKind::Float(_) => None,
            ExprKind::Str { parts, .. } => self.eval_string(parts, e.span, ctx),
            ExprKind::Array { items, .. } => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.eval(item, ctx) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                let secret = out.iter().any(|v| v.secret);
                let unset_env = Value::unset_env_of(&out);
                ok.then(|| Value {
                    kind: ValueKind::Array(out),
                    origin: origin(),
                    secret,
                    env: None,
                    unset_env,
                })
            }
            ExprKind::Object { entries, .. } => {
                // Objects nested inside expressions (arrays, conditionals): plain values, no merging.
                let mut out: Map<Value> = Map::default();
                let mut ok = true;
                for entry in entries {
                    let EntryTarget::Key(k) = &entry.target else {
                        continue;
                    };
                    match self.eval(&entry.value, ctx) {
                        Some(v) => set_path(&mut out, &k.segments, v),
                        None => ok = false,
                    }
                }
                let secret = out.values().any(|v| v.secret);
                let unset_env = Value::unset_env_of(out.values());
                ok.then(|| Value {
                    kind: ValueKind::Object(Box::new(out)),
                    origin: origin(),
                    secret,
                    env: None,
                    unset_env,
                })
            }
            ExprKind::Paren(inner) => self.eval(inner, ctx),
            ExprKind::Variable(v) => self.eval_variable(&v.name, &v.path, ctx),
            ExprKind::Reference(path) => self.eval_reference(path, ctx),
            ExprKind::Directive(d) => {
                self.eval_directive(&d.name, &d.args, d.parens, d.implied_default, e.span, ctx)
            }
            ExprKind::Unary(op, inner) => {
                let v = self.eval(inner, ctx)?;
                let kind = match unary_kind(*op, &v) {
                    Ok(kind) => kind,
                    Err(UnaryError::SecretContent) => {
                        self.sink.extend(secret_content(
                            &v,
                            unary_use(*op),
                            ctx.file(),
                            inner.span,
                        ));
                        return None;
                    }
                    Err(UnaryError::Overflow) => return self.overflow(e.span, ctx),
                    Err(UnaryError::Types) if *op == UnaryOp::Not => {
                        return self.not_bool(&v, inner.span, "`!`", ctx)
                    }
                    Err(UnaryError::Types) => {
                        self.sink.push(
                            Diagnostic::error(
                                Code::TypeMismatch,
                                format!("cannot negate {}", v.type_name()),
                            )
                            .primary(
                                ctx.file(),
                                inner.span,
                                format!("this is {}", v.describe()),
                            ),
                        );
                        return None;
                    }
                };
                Some(Value {
                    kind,
                    origin: origin(),
                    secret: v.secret,
                    env: None,
                    unset_env: v.unset_env,
                })
            }
            ExprKind::Binary(op, l, r) => self.eval_binary(*op, l, r, e.span, ctx),
            ExprKind::Ternary(c, a, b) => {
                let cond = self.eval(c, ctx)?;
                let chosen = match condition(&cond) {
                    Ok(true) => self.eval(a, ctx),
                    Ok(false) => self.eval(b, ctx),
                    Err(ConditionError::SecretContent) => {
                        let d = secret_content(&cond, ContentUse::Condition, ctx.file(), c.span);
                        self.sink.extend(d);
                        return None;
                    }
                    Err(ConditionError::NotBool) => {
                        self.not_bool(&cond, c.span, "the condition of `? :`", ctx)
                    }
                };
                // The branch an unset variable's default chose is computed from that default too.
                chosen.map(|v| Value {
                    unset_env: crate::value::unset_env_union([
                        cond.unset_env.as_ref(),
                        v.unset_env.as_ref(),
                    ]),
                    ..v
                })
            }
            ExprKind::Error => None,
        }
    }

    /// An operand of `&&` / `||` as a [`condition`], or its error reported.
    fn operand(&mut self, op: BinaryOp, v: &Value, span: Span, ctx: &Ctx) -> Option<bool> {
        match condition(v) {
            Ok(b) => Some(b),
            Err(ConditionError::SecretContent) => {
                let d = secret_content(v, ContentUse::Operator(op), ctx.file(), span);
                self.sink.extend(d);
                None
            }
            Err(ConditionError::NotBool) => {
                self.not_bool(v, span, &format!("`{}`", op.symbol()), ctx);
                None
            }
        }
    }

    fn not_bool(&mut self, v: &Value, span: Span, what: &str, ctx: &Ctx) -> Option<Value> {
        self.sink.push(
            Diagnostic::error(
                Code::NotABool,
                format!("{what} needs a boolean, found {}", v.type_name()),
            )
            .primary(ctx.file(), span, format!("this is {}", v.describe()))
            .help("compare explicitly, e.g. `x == \"yes\"` or `x != null`"),
        );
        None
    }

    fn overflow(&mut self, span: Span, ctx: &Ctx) -> Option<Value> {
        self.sink.push(
            Diagnostic::error(Code::Overflow, "number overflow")
                .primary(
                    ctx.file(),
                    span,
                    "the result does not fit in a 64-bit integer or finite float",
                )
                .help("use floats (e.g. `1.0 * x`) for very large numbers"),
        );
        None
    }

    fn eval_string(&mut self, parts: &[StrPart], span: Span, ctx: &Ctx) -> Option<Value> {
        // Sized for the literal text (all of it, for the usual string without `${...}`): one allocation.
        let literal: usize = parts
            .iter()
            .map(|p| match p {
                StrPart::Lit(t) => t.len(),
                StrPart::Interp(_) => 0,
            })
            .sum();
        let mut s = String::with_capacity(literal);
        let mut ok = true;
        let mut secret = false;
        let mut unset_env = None;
        for part in parts {
            match part {
                StrPart::Lit(t) => s.push_str(t),
                StrPart::Interp(e) => {
                    self.interpolating += 1;
                    let v = self.eval(e, ctx);
                    self.interpolating -= 1;
                    match v {
                        Some(v) => {
                            secret |= v.secret;
                            unset_env = crate::value::unset_env_union([
                                unset_env.as_ref(),
                                v.unset_env.as_ref(),
                            ]);
                            match display(&v) {
                                Some(t) if s.len() + t.len() > MAX_TEXT => {
                                    return self.too_large(
                                        format!("a string longer than {} MiB", MAX_TEXT >> 20),
                                        span,
                                        ctx,
                                    );
                                }
                                Some(t) => s.push_str(&t),
                                None => {
                                    self.sink.push(
                                    Diagnostic::error(Code::BadInterpolation, format!("cannot interpolate {} into a string", v.type_name()))
                                        .primary(ctx.file(), e.span, format!("this is {}", v.describe()))
                                        .help("interpolate one of its fields instead, e.g. `${x.name}`"),
                                );
                                    ok = false;
                                }
                            }
                        }
                        None => ok = false,
                    }
                }
            }
        }
        ok.then(|| Value {
            kind: ValueKind::String(s),
            origin: ctx.origin(span),
            secret,
            env: None,
            unset_env,
        })
    }

    fn eval_variable(&mut self, name: &Ident, path: &[Ident], ctx: &Ctx) -> Option<Value> {
        let Some(leaf) = self.merged.vars.get(&name.name) else {
            let mut d = Diagnostic::error(
                Code::UndefinedVariable,
                format!("undefined variable `${}`", name.name),
            )
            .primary(ctx.file(), name.span, "not defined for this target");
            if let Some(s) = did_you_mean(&name.name, self.merged.vars.keys().map(String::as_str)) {
                d = d.help(format!("did you mean `${s}`?"));
            } else {
                d = d.help(format!("define it: `${}: value`", name.name));
            }
            self.sink.push(d);
            return None;
        };
        let v = self.eval_leaf(leaf, Some((ctx.file(), name.span)))?;
        self.descend(v, path, &format!("${}", name.name), ctx)
    }

    /// Step into `v` along `path` (`$db.host`, or a reference that reaches past a computed value).
    fn descend(&mut self, v: Value, path: &[Ident], shown: &str, ctx: &Ctx) -> Option<Value> {
        let mut cur = v;
        let mut shown = shown.to_string();
        for seg in path {
            let next = match &cur.kind {
                ValueKind::Object(m) => m.get(seg.name.as_str()).cloned(),
                ValueKind::Array(a) => seg
                    .name
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| a.get(i).cloned()),
                _ => None,
            };
            match next {
                Some(n) => cur = n,
                None => {
                    let mut d = Diagnostic::error(
                        Code::BadPath,
                        format!("`{shown}` has no `{}`", show_key(&seg.name)),
                    )
                    .primary(
                        ctx.file(),
                        seg.span,
                        format!("`{shown}` is {}", cur.describe()),
                    );
                    let close = match &cur.kind {
                        ValueKind::Object(m) => did_you_mean(&seg.name, m.keys().map(|k| &**k)),
                        _ => None,
                    };
                    d = d.help(match close {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "`{shown}` is {}: shorten the path, or add `{}` where `{shown}` is defined",
                            cur.describe(),
                            show_key(&seg.name)
                        ),
                    });
                    self.sink.push(d);
                    return None;
                }
            }
            shown = format!("{shown}.{}", seg.name);
        }
        Some(cur)
    }

    fn eval_reference(&mut self, path: &KeyPath, ctx: &Ctx) -> Option<Value> {
        let first = &path.segments[0].name;
        let scope = &ctx.leaf.scope;
        // The key path a resolution names; built only for messages.
        let full = |base: usize, consumed: usize| -> Vec<String> {
            scope[..base]
                .iter()
                .cloned()
                .chain(path.segments[..consumed].iter().map(|s| s.name.clone()))
                .collect()
        };
        match resolve::resolve(self.merged, scope, &path.segments) {
            Resolution::Reached {
                base,
                consumed,
                node,
            } => {
                let via = Some((ctx.file(), path.span));
                let v = self.eval_node(node, via)?;
                let rest = &path.segments[consumed..];
                let v = if rest.is_empty() {
                    v
                } else {
                    let shown = show_path(full(base, consumed).iter().map(String::as_str));
                    self.descend(v, rest, &shown, ctx)?
                };
                return Some(Value {
                    origin: ctx.origin(path.span),
                    ..v
                });
            }
            Resolution::Missing {
                base,
                consumed,
                object: o,
            } => {
                let full = full(base, consumed);
                let seg = &path.segments[consumed];
                let mut gone = full.clone();
                gone.push(seg.name.clone());
                if let Some(d) = self.deleted_reference(&gone, ctx.file(), seg.span) {
                    self.sink.push(d);
                    return None;
                }
                let mut d = Diagnostic::error(
                    Code::UndefinedReference,
                    format!(
                        "`{}` has no key `{}`",
                        show_path(full.iter().map(String::as_str)),
                        show_key(&seg.name)
                    ),
                )
                .primary(ctx.file(), seg.span, "no such key in this target");
                d = d.help(
                    match did_you_mean(&seg.name, o.fields.keys().map(|k| &**k)) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "define `{}` in `{}` for this target, or refer to one of its keys",
                            show_key(&seg.name),
                            show_path(full.iter().map(String::as_str))
                        ),
                    },
                );
                self.sink.push(d);
                return None;
            }
            Resolution::Undefined => {}
        }
        // Deleted by an overlay: say so rather than suggest quoting (innermost scope first, as the lookup goes).
        let written: Vec<String> = path.segments.iter().map(|s| s.name.clone()).collect();
        for k in (0..=scope.len()).rev() {
            let full = [&scope[..k], &written[..]].concat();
            if let Some(d) = self.deleted_reference(&full, ctx.file(), path.span) {
                self.sink.push(d);
                return None;
            }
        }
        let dotted = path.dotted();
        let mut d = Diagnostic::error(
            Code::UndefinedReference,
            format!(
                "undefined reference `{}`",
                show_path(path.segments.iter().map(|s| s.name.as_str()))
            ),
        )
        .primary(ctx.file(), path.span, "no key of this name in this target");
        let mut candidates: Vec<&str> = self.merged.root.fields.keys().map(|k| &**k).collect();
        if let Some(o) = resolve::object_at(self.merged, scope) {
            candidates.extend(o.fields.keys().map(|k| &**k));
        }
        // Not the key being defined: suggesting it would only lead to a cycle.
        let own = self
            .stack
            .last()
            .map(|f| self.name_of(f.id))
            .unwrap_or_default();
        let own = own.rsplit('.').next().unwrap_or("");
        candidates.retain(|c| *c != own);
        // Inside `${...}` the text would be written `\${...}`, and a shell habit (`${HOME}`) means the variable.
        let literally = if self.interpolating > 0 {
            format!("if you meant the text, escape it: `\\${{{dotted}}}`; for the environment variable, `${{@env('{dotted}')}}`")
        } else {
            format!("if you meant the text, quote it: \"{dotted}\"")
        };
        d = match did_you_mean(first, candidates) {
            Some(s) => d.help(format!("did you mean `{s}`? If not, {literally}")),
            None => d.help(literally),
        };
        self.sink
            .push(d.note("bare names refer to other keys; strings must be quoted"));
        None
    }

    /// TSK0302 for a reference to `path` when an `@delete` or an `@replace` removed it from this target
    /// (`Merged::deleted_by`): which layer removed it and where, with a label there.
    fn deleted_reference(&self, path: &[String], file: FileId, span: Span) -> Option<Diagnostic> {
        let by = self.merged.deleted_by(path)?;
        let at = by.origin();
        let dotted = path.join(".");
        let (label, fix) = removal_label_and_fix(&by, &dotted);
        Some(
            Diagnostic::error(
                Code::UndefinedReference,
                format!("`{dotted}` was {}", deleted_by_text(self.sources, &by)),
            )
            .primary(file, span, "refers to a key this target removed")
            .secondary(at.file, at.span, label)
            .help(format!(
                "{fix}, define `{dotted}` again in a later layer, or stop referring to it"
            )),
        )
    }

    fn eval_directive(
        &mut self,
        name: &Ident,
        args: &[Expr],
        parens: bool,
        implied_default: bool,
        span: Span,
        ctx: &Ctx,
    ) -> Option<Value> {
        let file = ctx.file();
        let arity = |this: &mut Self, form: &str| {
            this.sink.push(
                Diagnostic::error(
                    Code::DirectiveArguments,
                    format!("wrong arguments for `@{}`", name.name),
                )
                .primary(file, span, format!("expected `{form}`"))
                .help(format!("write it as `{form}`")),
            );
            None
        };
        match name.name.as_str() {
            "environment" | "provider" => {
                if parens {
                    return arity(self, &format!("@{}", name.name));
                }
                let v = if name.name == "environment" {
                    &self.target.env
                } else {
                    &self.target.provider
                };
                let kind = v
                    .as_ref()
                    .map_or(ValueKind::Null, |s| ValueKind::String(s.clone()));
                Some(Value::new(kind, ctx.origin(span)))
            }
            "env" => {
                if args.is_empty() || args.len() > 2 {
                    return arity(self, "@env(\"NAME\") or @env(\"NAME\", default)");
                }
                let var = self.string_arg(&args[0], "the variable name", "env", ctx)?;
                match self.inputs.lookup(&var) {
                    Some(text) => {
                        let default = match args.get(1) {
                            Some(d) => Some(self.eval(d, ctx)?),
                            None => None,
                        };
                        self.env_value(&var, text, default.as_ref(), span, ctx)
                    }
                    None => match args.get(1) {
                        // The default stands in for the variable's value, so it keeps the variable's name
                        // whatever its type (`tuskc drift` declares every `@env` value it cannot check); a text
                        // default is `@env` text too: a schema converts it like the variable's value. A secret
                        // default is passed whole: never converted, so never read.
                        Some(d) => {
                            if implied_default {
                                self.sink.push(
                                    Diagnostic::warning(Code::EnvVarEmpty, format!("environment variable `{var}` is not set: built as \"\""))
                                        .primary(file, span, "the quoted TuskLang form builds an unset variable to \"\"")
                                        .help(format!("set {var} in the environment or pass `--var {var}=VALUE`, or write `@env(\"{var}\", \"\")` to mean \"\" (`tuskc fmt` rewrites the quoted form to it)")),
                                );
                            }
                            self.eval(d, ctx).map(|v| {
                                let unset: Arc<str> = var.as_str().into();
                                let unset_env = crate::value::unset_env_union([
                                    Some(&Arc::new(vec![unset.clone()])),
                                    v.unset_env.as_ref(),
                                ]);
                                if v.secret {
                                    Value { unset_env, ..v }
                                } else {
                                    Value {
                                        env: Some(unset),
                                        unset_env,
                                        ..v
                                    }
                                }
                            })
                        }
                        None => {
                            self.sink.push(
                                Diagnostic::error(Code::EnvVarMissing, format!("environment variable `{var}` is not set"))
                                    .primary(file, span, "needs a value and has no default")
                                    .help(format!("set {var} in the environment, pass `--var {var}=VALUE`, or give a default: `@env(\"{var}\", \"...\")`")),
                            );
                            None
                        }
                    },
                }
            }
            "secret" => {
                if args.len() != 1 {
                    return arity(self, "@secret(\"name\")");
                }
                let secret_name = self.string_arg(&args[0], "the secret name", "secret", ctx)?;
                if !crate::secrets::store::valid_name(&secret_name) {
                    self.sink
                        .push(invalid_secret_name(&secret_name, file, args[0].span));
                    return None;
                }
                // A resolved value keeps the secret's name, so it is described and typed as the reference is.
                let name: Arc<str> = secret_name.as_str().into();
                let kind = match self
                    .secrets
                    .map(|r| r.lookup(self.target, &secret_name, file, span))
                {
                    None => ValueKind::Secret(secret_name),
                    Some(Lookup::Reference(notes)) => {
                        notes.into_iter().for_each(|d| self.sink.push(d));
                        ValueKind::Secret(secret_name)
                    }
                    Some(Lookup::Resolved(text, notes)) => {
                        notes.into_iter().for_each(|d| self.sink.push(d));
                        ValueKind::String(text.as_str().to_owned())
                    }
                    Some(Lookup::Failed(notes)) => {
                        notes.into_iter().for_each(|d| self.sink.push(d));
                        return None;
                    }
                };
                // Resolved or not, the value is marked: every printer masks it and everything derived from it.
                Some(Value {
                    kind,
                    origin: ctx.origin(span),
                    secret: true,
                    env: Some(name),
                    unset_env: None,
                })
            }
            "file" => {
                if args.len() != 1 {
                    return arity(self, "@file(\"path\")");
                }
                let path = self.string_arg(&args[0], "the file path", "file", ctx)?;
                match self
                    .loader
                    .read_data(self.sources, file, &path, args[0].span)
                {
                    Ok(text) => Some(Value::new(
                        ValueKind::String(text.to_string()),
                        ctx.origin(span),
                    )),
                    Err(d) => {
                        self.sink.push(d);
                        None
                    }
                }
            }
            "delete" | "replace" | "vary" => {
                self.sink.push(
                    Diagnostic::error(
                        Code::MisplacedDirective,
                        format!("`@{}` must be the whole value of a key", name.name),
                    )
                    .primary(file, span, "used inside an expression")
                    .help(match name.name.as_str() {
                        "delete" => "write `key: @delete` in an overlay",
                        "replace" => "write `key: @replace({ ... })`",
                        _ => {
                            "write `key: @vary(value)`, or declare `vary key.path` at the top level"
                        }
                    }),
                );
                None
            }
            other => {
                let mut d = Diagnostic::error(
                    Code::UnknownDirective,
                    format!("unknown directive `@{other}`"),
                )
                .primary(file, name.span, "not a directive tuskc knows");
                d = match did_you_mean(other, DIRECTIVES.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `@{s}`?")),
                    None => d.help(format!(
                        "directives: {}",
                        DIRECTIVES
                            .iter()
                            .map(|d| format!("@{d}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.sink.push(d);
                None
            }
        }
    }

    /// An `@env` value is text; with a typed default it takes the default's type (`@env("PORT", 8080)` is an int).
    fn env_value(
        &mut self,
        var: &str,
        text: String,
        default: Option<&Value>,
        span: Span,
        ctx: &Ctx,
    ) -> Option<Value> {
        let kind = match default.map(|d| &d.kind) {
            Some(want @ (ValueKind::Int(_) | ValueKind::Float(_) | ValueKind::Bool(_))) => {
                parse_env_text(&text, want)
            }
            _ => Some(ValueKind::String(text.clone())),
        };
        match kind {
            Some(kind) => Some(Value {
                env: Some(var.into()),
                ..Value::new(kind, ctx.origin(span))
            }),
            None => {
                let ty = default.map_or("string", |d| d.type_name());
                let a = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                self.sink.push(
                    Diagnostic::error(
                        Code::EnvCoercion,
                        format!("environment variable `{var}` is not a valid {ty}"),
                    )
                    .primary(
                        ctx.file(),
                        span,
                        format!("{var}={text:?}, but the default is {a} {ty}"),
                    )
                    .help(format!(
                        "set {var} to {a} {ty}, or make the default a string"
                    )),
                );
                None
            }
        }
    }

    /// An argument that selects an input (`@env`'s variable, `@secret`'s name, `@file`'s path): a string that no
    /// secret went into.
    fn string_arg(
        &mut self,
        e: &Expr,
        what: &str,
        directive: &'static str,
        ctx: &Ctx,
    ) -> Option<String> {
        let v = self.eval(e, ctx)?;
        if let Some(d) = secret_content(&v, ContentUse::SelectInput(directive), ctx.file(), e.span)
        {
            self.sink.push(d);
            return None;
        }
        match v.kind {
            ValueKind::String(s) => Some(s),
            _ => {
                self.sink.push(
                    Diagnostic::error(Code::DirectiveArguments, format!("{what} must be a string"))
                        .primary(ctx.file(), e.span, format!("this is {}", v.describe()))
                        .help(format!(
                            "write {what} as a quoted string, e.g. `@{directive}(\"NAME\")`"
                        )),
                );
                None
            }
        }
    }

    fn eval_binary(
        &mut self,
        op: BinaryOp,
        l: &Expr,
        r: &Expr,
        span: Span,
        ctx: &Ctx,
    ) -> Option<Value> {
        use ValueKind::*;
        // Short-circuit operators evaluate the right side only when needed.
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let a = self.eval(l, ctx)?;
            let ab = self.operand(op, &a, l.span, ctx)?;
            if let Some(decided) = short_circuit(op, ab) {
                return Some(Value::new(Bool(decided), ctx.origin(span)));
            }
            let b = self.eval(r, ctx)?;
            let bb = self.operand(op, &b, r.span, ctx)?;
            return Some(Value::new(Bool(bb), ctx.origin(span)));
        }
        let a = self.eval(l, ctx);
        let b = self.eval(r, ctx);
        let (a, b) = (a?, b?);
        let secret = a.secret || b.secret;
        let unset_env = Value::unset_env_of([&a, &b]);
        if op == BinaryOp::Add {
            match (&a.kind, &b.kind) {
                (Array(x), Array(y)) if x.len() + y.len() > MAX_ITEMS => {
                    return self.too_large(
                        format!("an array of more than {MAX_ITEMS} items"),
                        span,
                        ctx,
                    );
                }
                (String(x), String(y)) if x.len() + y.len() > MAX_TEXT => {
                    return self.too_large(
                        format!("a string longer than {} MiB", MAX_TEXT >> 20),
                        span,
                        ctx,
                    );
                }
                _ => {}
            }
        }
        let kind = match binary_kind(op, &a, &b) {
            Ok(kind) => Some(kind),
            Err(BinaryError::Overflow) => return self.overflow(span, ctx),
            Err(BinaryError::DivisionByZero) => {
                self.sink.push(
                    Diagnostic::error(Code::DivisionByZero, "division by zero").primary(
                        ctx.file(),
                        r.span,
                        "this is 0",
                    )
                    .help("make the divisor non-zero for this target, or guard it: `d != 0 ? x / d : 0`"),
                );
                return None;
            }
            Err(BinaryError::Types) => None,
            Err(BinaryError::SecretContent) => {
                let (v, at) = if a.is_secret() {
                    (&a, l.span)
                } else {
                    (&b, r.span)
                };
                self.sink
                    .extend(secret_content(v, ContentUse::Operator(op), ctx.file(), at));
                return None;
            }
        };
        match kind {
            Some(kind) => Some(Value {
                kind,
                origin: ctx.origin(span),
                secret,
                env: None,
                unset_env,
            }),
            None => {
                self.sink.push(
                    Diagnostic::error(Code::TypeMismatch, format!("cannot apply `{}` to {} and {}", op.symbol(), a.type_name(), b.type_name()))
                        .primary(ctx.file(), l.span, format!("this is {}", a.describe()))
                        .secondary(ctx.file(), r.span, format!("this is {}", b.describe()))
                        .help(match op {
                            BinaryOp::Add => "`+` joins two strings (or a string and a number), adds numbers, or concatenates arrays",
                            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => "compare two numbers or two strings",
                            _ => "arithmetic needs two numbers",
                        }),
                );
                None
            }
        }
    }
}

/// `@secret`'s argument is not a name a store can hold (TSK0305, in every mode). The name is echoed unless it may
/// be key material (a key pasted where the name goes).
fn invalid_secret_name(name: &str, file: FileId, span: Span) -> Diagnostic {
    let (message, label) = if crate::secrets::looks_like_key_material(name) {
        (
            "the secret name is not valid".to_string(),
            "not a secret name (not shown: it may be key material)".to_string(),
        )
    } else if name.is_empty() {
        (
            "the secret name is empty".to_string(),
            "an empty name".to_string(),
        )
    } else if name.len() > 200 {
        (
            format!("the secret name is {} bytes long", name.len()),
            "at most 200 bytes".to_string(),
        )
    } else {
        (
            format!("`{}` is not a valid secret name", name.escape_debug()),
            "not a valid secret name".to_string(),
        )
    };
    Diagnostic::error(Code::DirectiveArguments, message)
        .primary(file, span, label)
        .help("a secret name has letters, digits and `_ . / -`, starts with a letter, digit or `_`, and is at most 200 bytes (e.g. `shop/db_password`)")
}

fn set_path(map: &mut Map<Value>, path: &[Ident], v: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = map;
    for seg in parents {
        let origin = v.origin;
        let entry = cur
            .entry(Arc::from(seg.name.as_str()))
            .or_insert_with(|| Value::new(ValueKind::Object(Box::default()), origin));
        if !matches!(entry.kind, ValueKind::Object(_)) {
            *entry = Value::new(ValueKind::Object(Box::default()), origin);
        }
        let ValueKind::Object(m) = &mut entry.kind else {
            return;
        };
        cur = m;
    }
    cur.insert(Arc::from(last.name.as_str()), v);
}

/// How many values `v` holds (itself, and every item and field below it), counting no further than `limit`.
fn weight(v: &Value, limit: usize) -> usize {
    let mut n = 1;
    let mut stack: Vec<&Value> = vec![v];
    while let Some(v) = stack.pop() {
        if n >= limit {
            break;
        }
        match &v.kind {
            ValueKind::Array(a) => {
                n += a.len();
                stack.extend(a);
            }
            ValueKind::Object(m) => {
                n += m.len();
                stack.extend(m.values());
            }
            _ => {}
        }
    }
    n
}
