//! The walk: one target evaluated and checked in a single walk of its merged tree, into a sink that either writes
//! JSON (`build` in JSON, streamed) or builds the value tree (`Session::build`: toml, yaml, dotenv, `check`,
//! `get`, `explain`, drift, the language server and the library API). One walk, so streamed and whole-tree
//! building cannot disagree about what is evaluated, checked or reported.
//!
//! Owns: the order in which a target's values are built, checked and handed to the sink ([`Sink`]). Building a
//! target's whole value tree, then checking it, then writing it, then dropping it walks a large project's tree
//! four times, each time out of cache. Here each value is built, checked and handed over while it is in cache; to
//! the JSON writer, the objects the walk passes through are never built at all: only their fields' values are (a
//! leaf, or an object that has to be checked whole), one at a time, written and dropped. The tree builder puts
//! each checked value in its place instead, and closes each object as `Evaluator::evaluate_root` builds one (its
//! `secret` and unset-`@env` marks its fields').
//!
//! Invariant: the tree is exactly the one evaluated whole and then checked binding by binding (the oracle in the
//! tests below, for every case, fixture and example), and the JSON text is that tree's: evaluation runs in the
//! tree's source order, every check runs on the same value with the same result, a binding's checks keep their
//! order on each value, and a value that failed to evaluate is checked as the whole tree checks it (skipped: see
//! `ValueKind::Error`) while the rest goes on being checked; the tree keeps it in its place, the JSON writer stops
//! writing (the target has no text). Diagnostics come in source order rather than binding order; the session
//! sorts them. `tests/cases.rs` holds the JSON writer and the tree (emitted) equal for every case, and the
//! `stream` fuzz target (fuzz/) for arbitrary input.
//!
//! Everything `Session::build` does goes through the walk: `--set` layers are merged into the tree the walk
//! reads, secrets are answered by the evaluator it calls, failed values stay in the tree. Only `--secrets
//! redact` is applied by the caller to the finished tree (`Session::build_around_failures`), where the JSON
//! writer masks each value as it writes it: the same masks, since a default a check adds is never a secret.
//!
//! Checking an object field by field (`check.rs`, "checking an object field by field": `Checker::field_duties`,
//! `run` and `finish_object`) is the one implementation `Checker::check` runs on a built object too, so the walk
//! only decides when each field's value is built; what it checks and reports is the whole object's. It splits a
//! check over an object's fields only when nothing can differ (`shape`).
//!
//! An object is built whole (rather than walked through) when a check on it does not split over its fields, or
//! when a binding beneath it names a key it does not have (checking creates the key from the schema's defaults,
//! or reports it missing, in the built object), or, for the tree builder, when no binding lies beneath it: the
//! builder walks down to the deepest binding and builds each object below whole, where checking it runs the same
//! field-by-field functions for less ([`Sink::SPLITS_UNBOUND`]).

use std::collections::HashMap;

use crate::driver::reuse::{Place, Reuse};
use crate::emit::{json_string, plain_literal, push_line, write_json, write_literal};
use crate::eval::Evaluator;
use crate::ir::schema::Binding;
use crate::ir::{MNode, MObject, Merged};
use crate::schema::check::{Checker, Duty, Errors, Shape};
use crate::secrets::redact;
use crate::syntax::ast::Expr;
use crate::value::{map_with_capacity, Key, Map, Value, ValueKind};

/// Evaluate, check and write one target. The text is `None` when a value failed to evaluate (its errors are in
/// the evaluator's sink); the check errors and warnings are returned for the caller to report (those of every
/// other value too when one failed, as the whole tree's check finds them).
pub(crate) fn json<'a>(
    ev: &mut Evaluator<'a>,
    merged: &'a Merged,
    checker: Checker<'a>,
    bindings: &[&'a Binding],
    redact: bool,
    size_hint: usize,
    reuse: Option<&mut Reuse>,
) -> (Option<String>, Errors) {
    let sink = Json {
        redact,
        out: String::with_capacity(size_hint.max(64 * 1024)),
    };
    let (mut sink, errs) = walk(ev, merged, checker, bindings, sink, reuse);
    if ev.failed() {
        return (None, errs);
    }
    sink.out.push('\n');
    (Some(sink.out), errs)
}

/// Evaluate and check one target, keeping nothing but the check errors and warnings (`tuskc check`): the walk of
/// [`json`], with nothing written.
pub(crate) fn checked<'a>(
    ev: &mut Evaluator<'a>,
    merged: &'a Merged,
    checker: Checker<'a>,
    bindings: &[&'a Binding],
    reuse: Option<&mut Reuse>,
) -> Errors {
    walk(ev, merged, checker, bindings, Nothing, reuse).1
}

/// Evaluate and check one target into its whole value tree (`Session::build`): the same walk as [`json`], with
/// the tree built instead of written. A definition that failed to evaluate is a [`ValueKind::Error`] in it
/// ([`Evaluator::failed`]) and the rest is still built and checked. Returns the tree with the check errors and
/// warnings.
pub(crate) fn tree<'a>(
    ev: &mut Evaluator<'a>,
    merged: &'a Merged,
    checker: Checker<'a>,
    bindings: &[&'a Binding],
) -> (Value, Errors) {
    let sink = Tree {
        open: Vec::new(),
        key: None,
        root: None,
    };
    let (sink, errs) = walk(ev, merged, checker, bindings, sink, None);
    // The walk always hands the root over (built whole, or an object closed); an empty object stands in
    // otherwise rather than a panic.
    let root = sink.root.unwrap_or_else(|| {
        Value::new(
            ValueKind::Object(Box::new(map_with_capacity(0))),
            merged.root.origin,
        )
    });
    (root, errs)
}

/// The one walk: the root object and everything beneath it, into `sink`, then the variables nothing used
/// ([`Evaluator::finish`]). Returns the sink with the check errors, then the warnings.
fn walk<'a, S: Sink>(
    ev: &mut Evaluator<'a>,
    merged: &'a Merged,
    checker: Checker<'a>,
    bindings: &[&'a Binding],
    sink: S,
    reuse: Option<&mut Reuse>,
) -> (S, Errors) {
    let mut trie = Trie::default();
    for (order, b) in bindings.iter().enumerate() {
        trie.insert(order, b);
    }
    let mut s = Stream {
        ev,
        checker,
        errs: Vec::new(),
        sink,
        reuse: reuse.filter(|_| S::REUSES),
    };
    s.object(&merged.root, &trie.here(), Some(&trie), 0, 0, |ev| {
        ev.take_root()
    });
    s.ev.finish();
    let mut errs = s.errs;
    errs.append(&mut s.checker.warnings);
    (s.sink, errs)
}

/// Where the walk puts a target's values, in source order: an object is opened, then each field's key followed
/// by its value (a leaf, an object built whole, or an object opened in turn), then closed. `indent` is the JSON
/// indentation of the value (or of the object) at hand; `first`, whether a key is its object's first.
trait Sink {
    /// Whether the sink still takes values once one failed to evaluate: the JSON text is dropped then (a target
    /// with a failed value has none), the value tree is kept (the language server shows what did evaluate). The
    /// walk goes on evaluating and checking either way.
    const AROUND_FAILURES: bool;
    /// Whether an object no binding lies beneath is walked through field by field when its checks split over
    /// its fields. The JSON writer gains from it: such an object is never built. The tree builder builds it
    /// either way, and checking it whole runs the same field-by-field functions (`Checker::check_object`:
    /// `field_duties`, `run`, `finish_object`) for fewer instructions than walking it (3% more for `tuskc
    /// check` on a 100-service project when walked).
    const SPLITS_UNBOUND: bool;
    /// Whether what the sink is given for a field can be taken from an earlier target ([`Reuse`]): text can, a
    /// tree's values are its own.
    const REUSES: bool;
    /// Where the sink's text is now (for [`Self::since`]); a sink without text has none.
    fn mark(&self) -> usize {
        0
    }
    /// The text given to the sink since `mark`.
    fn since(&self, _mark: usize) -> &str {
        ""
    }
    /// Text an earlier target's walk gave [`Self::since`] (a field's key and value), given again.
    fn replay(&mut self, _text: &str) {}
    /// A literal nothing checks, written straight from its expression; `false` if the sink needs its value built.
    fn literal(&mut self, e: &Expr, indent: usize) -> bool;
    fn open_object(&mut self, o: &MObject);
    /// What comes before each key of an object: `first` for the object's first.
    fn separator(&mut self, first: bool);
    fn key(&mut self, k: &Key, indent: usize);
    /// A value, checked.
    fn value(&mut self, v: Value, indent: usize);
    /// `empty`: no key was given since the object was opened.
    fn close_object(&mut self, o: &MObject, empty: bool, indent: usize);
}

/// Where a walk was: its text, its reports so far, and whether a check had read the target (see
/// [`Stream::remember`]).
struct Mark {
    text: usize,
    errs: usize,
    warnings: usize,
    reported: usize,
    read_target: bool,
}

/// The streamed JSON text.
struct Json {
    redact: bool,
    out: String,
}

impl Sink for Json {
    const AROUND_FAILURES: bool = false;
    const SPLITS_UNBOUND: bool = true;
    const REUSES: bool = true;

    fn mark(&self) -> usize {
        self.out.len()
    }
    fn since(&self, mark: usize) -> &str {
        self.out.get(mark..).unwrap_or_default()
    }
    fn replay(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn literal(&mut self, e: &Expr, indent: usize) -> bool {
        write_literal(e, indent, &mut self.out);
        true
    }

    /// The `{` comes with the first key (or `{}` at the close).
    fn open_object(&mut self, _: &MObject) {}

    /// `"key": ` on a new line inside an object being written, after its `{` or the previous field's `,`
    /// ([`Sink::separator`]).
    fn separator(&mut self, first: bool) {
        self.out.push(if first { '{' } else { ',' });
    }

    fn key(&mut self, k: &Key, indent: usize) {
        push_line(&mut self.out, indent + 1);
        json_string(k, &mut self.out);
        self.out.push_str(": ");
    }

    fn value(&mut self, mut v: Value, indent: usize) {
        if self.redact {
            redact(&mut v);
        }
        write_json(&v, indent, &mut self.out);
    }

    fn close_object(&mut self, _: &MObject, empty: bool, indent: usize) {
        if empty {
            self.out.push_str("{}");
        } else {
            push_line(&mut self.out, indent);
            self.out.push('}');
        }
    }
}

/// Nothing kept ([`checked`]): values are evaluated and checked as for the JSON writer, then dropped.
struct Nothing;

impl Sink for Nothing {
    const AROUND_FAILURES: bool = false;
    const SPLITS_UNBOUND: bool = true;
    const REUSES: bool = true;

    fn literal(&mut self, _: &Expr, _: usize) -> bool {
        true
    }
    fn open_object(&mut self, _: &MObject) {}
    fn separator(&mut self, _: bool) {}
    fn key(&mut self, _: &Key, _: usize) {}
    fn value(&mut self, _: Value, _: usize) {}
    fn close_object(&mut self, _: &MObject, _: bool, _: usize) {}
}

/// The value tree, as [`Evaluator::evaluate_root`] builds it and the checks complete it: an object's `secret` and
/// `unset_env` are its fields' (a default a check adds has neither).
struct Tree {
    /// The objects opened and not closed, innermost last, each with the key it goes under in its parent.
    open: Vec<(Option<Key>, Map<Value>)>,
    /// The key the next value goes under.
    key: Option<Key>,
    root: Option<Value>,
}

impl Tree {
    fn place(&mut self, v: Value) {
        match self.open.last_mut() {
            Some((_, fields)) => {
                if let Some(k) = self.key.take() {
                    fields.insert(k, v);
                }
            }
            None => self.root = Some(v),
        }
    }
}

impl Sink for Tree {
    const AROUND_FAILURES: bool = true;
    const SPLITS_UNBOUND: bool = false;
    const REUSES: bool = false;

    fn literal(&mut self, _: &Expr, _: usize) -> bool {
        false
    }

    fn open_object(&mut self, o: &MObject) {
        let key = self.key.take();
        self.open.push((key, map_with_capacity(o.fields.len())));
    }

    fn separator(&mut self, _: bool) {}

    fn key(&mut self, k: &Key, _: usize) {
        self.key = Some(k.clone());
    }

    fn value(&mut self, v: Value, _: usize) {
        self.place(v);
    }

    fn close_object(&mut self, o: &MObject, _: bool, _: usize) {
        let Some((key, fields)) = self.open.pop() else {
            return;
        };
        let secret = fields.values().any(|v| v.secret);
        let unset_env = Value::unset_env_of(fields.values());
        self.key = key;
        self.place(Value {
            kind: ValueKind::Object(Box::new(fields)),
            origin: o.origin,
            secret,
            env: None,
            unset_env,
        });
    }
}

/// The bindings by key path.
#[derive(Default)]
struct Trie<'a> {
    /// Bindings of this node, with their positions in binding order.
    here: Vec<(usize, &'a Binding)>,
    kids: HashMap<&'a str, Trie<'a>, foldhash::fast::RandomState>,
}

impl<'a> Trie<'a> {
    fn insert(&mut self, order: usize, b: &'a Binding) {
        let mut cur = self;
        for seg in &b.path {
            cur = cur.kids.entry(seg.as_str()).or_default();
        }
        cur.here.push((order, b));
    }

    /// The duties the bindings of this node put on it.
    fn here(&self) -> Vec<Duty<'a>> {
        self.here
            .iter()
            .map(|(order, b)| Duty::binding(*order, b))
            .collect()
    }

    /// Does a binding beneath this node name a key `obj` does not have? Checking it creates the key from the
    /// schema's defaults (or reports it missing) in the built object, so `obj` is built whole.
    fn adds_to(&self, obj: &MObject) -> bool {
        self.kids.keys().any(|k| !obj.fields.contains_key(*k))
    }

    /// Every binding strictly beneath this node.
    fn below(&self, out: &mut Vec<(usize, &'a Binding)>) {
        for kid in self.kids.values() {
            out.extend(kid.here.iter().copied());
            kid.below(out);
        }
    }
}

struct Stream<'a, 'e, S> {
    ev: &'e mut Evaluator<'a>,
    checker: Checker<'a>,
    errs: Errors,
    sink: S,
    /// What earlier targets wrote, when the caller builds several ([`Reuse`]).
    reuse: Option<&'e mut Reuse>,
}

impl<'a, S: Sink> Stream<'a, '_, S> {
    /// Whether values still go to the sink (see [`Sink::AROUND_FAILURES`]).
    fn writing(&self) -> bool {
        S::AROUND_FAILURES || !self.ev.failed()
    }

    /// How each duty on an object splits over its fields; `None` if one cannot (the object is checked whole).
    fn shapes(&self, duties: &[Duty<'a>]) -> Option<Vec<(usize, Shape<'a>)>> {
        let mut out = Vec::with_capacity(duties.len());
        for d in duties {
            match self.checker.shape(d) {
                Shape::Whole => return None,
                Shape::Free => {}
                s => out.push((d.order, s)),
            }
        }
        Some(out)
    }

    /// An object node: walked field by field when every duty on it splits and no binding beneath it adds a key
    /// (and the sink wants it walked: [`Sink::SPLITS_UNBOUND`]), else built whole (by `build`) and checked as a
    /// unit.
    fn object(
        &mut self,
        o: &'a MObject,
        duties: &[Duty<'a>],
        trie: Option<&Trie<'a>>,
        level: usize,
        indent: usize,
        build: impl FnOnce(&mut Evaluator<'a>) -> Value,
    ) {
        let bound_below = trie.is_some_and(|t| !t.kids.is_empty());
        match (S::SPLITS_UNBOUND || bound_below)
            .then(|| self.shapes(duties))
            .flatten()
            .filter(|_| !trie.is_some_and(|t| t.adds_to(o)))
        {
            Some(shapes) => self.frame(o, shapes, trie, level, indent),
            None => {
                let v = build(self.ev);
                self.unit(v, duties, trie, level, indent);
            }
        }
    }

    /// The key of a field of an object being given to the sink.
    fn key(&mut self, empty: &mut bool, k: &Key, indent: usize) {
        self.sink.separator(*empty);
        self.sink.key(k, indent);
        *empty = false;
    }

    /// An object streamed field by field: `level` is its depth in the tree, `indent` its JSON indentation.
    fn frame(
        &mut self,
        o: &'a MObject,
        shapes: Vec<(usize, Shape<'a>)>,
        trie: Option<&Trie<'a>>,
        level: usize,
        indent: usize,
    ) {
        if self.writing() {
            self.sink.open_object(o);
        }
        let mut empty = true;
        // One buffer for every field's duties: most fields have one, and allocating it per field costs more than
        // checking it.
        let mut duties = Vec::new();
        // The checks on this object, as `Reuse` tells them apart, when its fields' walks can be reused.
        let checks = self.checks(&shapes);
        // Per shape, how many keys name a field it declares (for `finish_object`): on the stack for a few shapes
        // (most objects have one), as a buffer allocated per object cost more than it saves.
        let (mut few, mut many) = ([0usize; 4], Vec::new());
        let seen: &mut [usize] = match few.get_mut(..shapes.len()) {
            Some(few) => few,
            None => {
                many.resize(shapes.len(), 0);
                &mut many
            }
        };
        for (k, node) in &o.fields {
            let kid = trie.and_then(|t| t.kids.get(&**k));
            // A field an earlier target walked under the same checks, reporting nothing: its key and value again.
            let reusable = self.reusable(node, kid.is_some(), checks);
            if let (Some(at), Some(r)) = (reusable, &self.reuse) {
                if let Some((text, declared)) = r.get(at) {
                    self.sink.separator(empty);
                    self.sink.replay(text);
                    empty = false;
                    for (i, seen) in seen.iter_mut().enumerate() {
                        *seen += usize::from(i < 64 && declared & (1 << i) != 0);
                    }
                    continue;
                }
            }
            let mut before = reusable.map(|_| self.mark());
            // A definition's value is built first: its origin is what errors about the field point at. A plain
            // literal's value is known without evaluating it (the definition's origin is its value's), and one
            // nothing checks is written straight from the expression, never built.
            let merged: &'a Merged = self.ev.merged;
            let (value, at, literal) = match node {
                MNode::Leaf(l) => {
                    let data = merged.data(l);
                    if plain_literal(&data.expr) {
                        (None, data.origin, Some(&data.expr))
                    } else {
                        let v = self.ev.take_node(node);
                        let at = v.origin;
                        (Some(v), at, None)
                    }
                }
                MNode::Object(c) => (None, c.origin, None),
            };
            duties.clear();
            // Which shapes declare the key, as bits (remembered with the field's text).
            let mut declared = 0u64;
            for (i, ((order, shape), seen)) in shapes.iter().zip(seen.iter_mut()).enumerate() {
                if self
                    .checker
                    .field_duties(shape, *order, k, &at, &mut self.errs, &mut duties)
                {
                    *seen += 1;
                    if i < 64 {
                        declared |= 1 << i;
                    }
                }
            }
            if let Some(t) = kid {
                duties.extend(t.here());
                duties.sort_by_key(|d| d.order);
            }
            if self.writing() {
                self.sink.separator(empty);
                if let Some(m) = &mut before {
                    m.text = self.sink.mark();
                }
                self.sink.key(k, indent);
                empty = false;
            }
            match node {
                MNode::Leaf(l) => match literal {
                    Some(e) if duties.is_empty() && kid.is_none() => {
                        if self.writing() && !self.sink.literal(e, indent + 1) {
                            let v = self.ev.take_node(node);
                            self.sink.value(v, indent + 1);
                        }
                    }
                    // Evaluating a literal reports nothing and reads nothing: doing it now is the same as before.
                    _ => {
                        // A plain literal's value, built without evaluating it as a reference would be.
                        let mut v = match value {
                            Some(v) => v,
                            None => self.ev.take_literal(l),
                        };
                        match kid {
                            Some(_) => self.unit(v, &duties, kid, level + 1, indent + 1),
                            // Most fields: their own duties, nothing bound beneath them (`unit` without its
                            // search for bindings below).
                            None => {
                                for d in &duties {
                                    self.checker.run(&mut v, d, &mut self.errs);
                                }
                                if self.writing() {
                                    self.sink.value(v, indent + 1);
                                }
                            }
                        }
                    }
                },
                MNode::Object(c) => self.object(c, &duties, kid, level + 1, indent + 1, |ev| {
                    ev.take_node(node)
                }),
            }
            if let (Some(at), Some(m)) = (reusable, before) {
                self.remember(at, m, declared);
            }
        }
        // Fields the object's schemas default, after the ones it sets. A default one check adds is a field like
        // any other to the checks after it (as it is when they check the built object in turn).
        let mut defaults: Vec<(Key, Value)> = Vec::new();
        for ((order, shape), mut seen) in shapes.iter().zip(seen.iter().copied()) {
            for (k, dv) in defaults.iter_mut() {
                let at = dv.origin;
                let mut duties = Vec::new();
                if self
                    .checker
                    .field_duties(shape, *order, k, &at, &mut self.errs, &mut duties)
                {
                    seen += 1;
                }
                for d in &duties {
                    self.checker.run(dv, d, &mut self.errs);
                }
            }
            self.checker.finish_object(
                shape,
                |name| o.fields.contains_key(name),
                seen,
                &o.origin,
                &mut defaults,
                &mut self.errs,
            );
        }
        if !self.writing() {
            return;
        }
        for (k, dv) in defaults {
            self.key(&mut empty, &k, indent);
            self.sink.value(dv, indent + 1);
        }
        self.sink.close_object(o, empty, indent);
    }

    /// The checks on an object whose fields' walks can be reused, as [`Reuse`] numbers them: `None` when
    /// nothing checks the object (its literals are written straight from their expressions, for less), the sink
    /// takes no reused text, or too many checks split over it.
    fn checks(&mut self, shapes: &[(usize, Shape<'a>)]) -> Option<u32> {
        // More than 64 shapes on one object (bindings on one path) would not fit `declared`'s bits.
        if shapes.is_empty() || shapes.len() > 64 {
            return None;
        }
        Some(self.reuse.as_deref_mut()?.checks(shapes))
    }

    /// Where a field's walk can be taken from an earlier target, or remembered for later ones ([`Reuse`]): not
    /// when a binding lies beneath it (its checks are its own) or nothing is written any more.
    fn reusable(&mut self, node: &MNode, bound_below: bool, checks: Option<u32>) -> Option<Place> {
        let checks = checks?;
        if bound_below || !self.writing() {
            return None;
        }
        let merged: &'a Merged = self.ev.merged;
        let node = self.reuse.as_deref_mut()?.node(merged, node)?;
        Some(Place { node, checks })
    }

    /// Where the walk is before a field it may remember.
    fn mark(&self) -> Mark {
        Mark {
            text: self.sink.mark(),
            errs: self.errs.len(),
            warnings: self.checker.warnings.len(),
            reported: self.ev.sink.len(),
            read_target: self.checker.take_read_target(),
        }
    }

    /// After walking a field from `m`: remember its text if walking it reported nothing and read no target.
    fn remember(&mut self, at: Place, m: Mark, declared: u64) {
        let read = self.checker.take_read_target();
        self.checker.add_read_target(read || m.read_target);
        let quiet = !read
            && self.writing()
            && self.errs.len() == m.errs
            && self.checker.warnings.len() == m.warnings
            && self.ev.sink.len() == m.reported;
        if let (true, Some(r)) = (quiet, self.reuse.as_deref_mut()) {
            r.remember(at, self.sink.since(m.text), declared);
        }
    }

    /// A value built whole: its duties and the bindings beneath it run on it in binding order, then it is written
    /// and dropped.
    fn unit(
        &mut self,
        mut v: Value,
        duties: &[Duty<'a>],
        trie: Option<&Trie<'a>>,
        level: usize,
        indent: usize,
    ) {
        let mut below = Vec::new();
        if let Some(t) = trie {
            t.below(&mut below);
        }
        if below.is_empty() {
            for d in duties {
                self.checker.run(&mut v, d, &mut self.errs);
            }
        } else {
            // The duties on this value and the bindings beneath it, in binding order.
            let mut steps: Vec<(usize, Result<&Duty<'a>, &'a Binding>)> =
                duties.iter().map(|d| (d.order, Ok(d))).collect();
            steps.extend(below.into_iter().map(|(order, b)| (order, Err(b))));
            steps.sort_by_key(|(order, _)| *order);
            for (_, step) in &steps {
                match step {
                    Ok(d) => self.checker.run(&mut v, d, &mut self.errs),
                    Err(b) => self.checker.check_binding(b, &mut v, level, &mut self.errs),
                }
            }
        }
        if self.writing() {
            self.sink.value(v, indent);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use crate::diagnostic::Diagnostic;
    use crate::driver::Session;
    use crate::eval::Evaluator;
    use crate::ir::schema::Binding;
    use crate::ir::Target;
    use crate::schema::check::Checker;
    use crate::value::Value;

    /// The oracle the walk is held to: the target's whole tree evaluated first, then checked binding by binding in
    /// check order (what `Session::build` did before it went through the walk), with the check diagnostics and
    /// warnings.
    fn evaluated_then_checked<'x>(
        ev: &mut Evaluator<'x>,
        bindings: &[&'x Binding],
        mut checker: Checker<'x>,
    ) -> (Value, Vec<Diagnostic>) {
        let mut v = ev.evaluate_root();
        let mut checks = Vec::new();
        for b in bindings {
            checker.check_binding(b, &mut v, 0, &mut checks);
        }
        checks.append(&mut checker.warnings);
        (v, checks)
    }

    /// The check diagnostics of the base target, in the order the checks report them (before the session sorts
    /// them): evaluated whole then checked (the oracle), then streamed as JSON.
    fn both(text: &str) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        let mut s = Session::in_memory(vec![("main.tsk".to_string(), text.to_string())]);
        let entry = s.single_entry(false).unwrap();
        let program = s.load(&entry).unwrap();
        let inputs = s.env_inputs(&[], &[], false);
        let target = Target::default();
        let (whole, _) = s.run_target(
            &program,
            &target,
            None,
            &inputs,
            |ev, _, bindings, checker| {
                (evaluated_then_checked(ev, bindings, checker).1, Vec::new())
            },
        );
        let (streamed, _) = s.run_target(
            &program,
            &target,
            None,
            &inputs,
            |ev, merged, bindings, checker| {
                (
                    super::json(ev, merged, checker, bindings, false, 0, None).1,
                    Vec::new(),
                )
            },
        );
        (whole, streamed)
    }

    /// An object's fields are checked by one implementation whether the object is built or streamed: the same
    /// diagnostics in the same order (the object's, not the schema's), before any sorting.
    #[test]
    fn whole_and_streamed_check_an_object_alike() {
        let text = concat!(
            "schema S {\n  a: int\n  b: int\n  c: int = 1\n  d: int\n  old?: int deprecated \"gone\"\n}\n\n",
            "[x: S]\nold: 1\nb: \"no\"\na: \"no\"\nextra: 1\n",
        );
        let (whole, streamed) = both(text);
        let messages = |ds: &[Diagnostic]| ds.iter().map(|d| d.message.clone()).collect::<Vec<_>>();
        assert_eq!(whole.len(), 5, "{:?}", messages(&whole));
        assert_eq!(messages(&whole), messages(&streamed));
        assert_eq!(whole, streamed);
    }

    /// A schema large enough for its fields to be indexed: a missing field is found though as many keys as it
    /// declares are set (one unknown), and a field all of whose keys are set has nothing missing; a union of
    /// literals accepts its members and rejects anything else, alike whole and streamed.
    #[test]
    fn indexed_schemas_and_literal_unions_check_alike() {
        let fields: String = (0..17).map(|i| format!("  f{i}: int\n")).collect();
        let set: String = (0..16).map(|i| format!("f{i}: {i}\n")).collect();
        let text = format!(
            "type L = \"a\" | \"b\" | 3\nschema S {{\n{fields}  l?: L\n  ls?: [L]\n}}\n\n\
             [x: S]\n{set}zz: 1\nl: \"c\"\nls: [\"a\", 3, \"b\", \"d\"]\n\n\
             [y: S]\n{set}f16: 16\nl: \"b\"\n"
        );
        let (whole, streamed) = both(&text);
        let messages = |ds: &[Diagnostic]| ds.iter().map(|d| d.message.clone()).collect::<Vec<_>>();
        let shown = messages(&whole);
        assert_eq!(whole.len(), 4, "{shown:?}");
        assert!(
            shown
                .iter()
                .any(|m| m.contains("`x` is missing required field `f16`")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|m| m.contains("unknown field `zz`")),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|m| m.starts_with("`x.l` must be one of")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|m| m.starts_with("`x.ls[3]` must be one of")),
            "{shown:?}"
        );
        assert!(!shown.iter().any(|m| m.contains("`y")), "{shown:?}");
        assert_eq!(messages(&whole), messages(&streamed));
        assert_eq!(whole, streamed);
    }

    /// `#! key: a b` header lines of a case (as tests/cases.rs reads them).
    fn header(text: &str, key: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("#! ")?.strip_prefix(key)?.strip_prefix(':'))
            .flat_map(str::split_whitespace)
            .map(str::to_string)
            .collect()
    }

    /// What one way of building a target gives: per target, the tree, whether a value failed and the check
    /// diagnostics (as a set); then the session's diagnostics, sorted.
    type Built = (Vec<(Value, bool, Vec<String>)>, Vec<Diagnostic>);

    /// Every target of every entry of `path`, built by the walk (`tree: true`) or by the oracle.
    fn build_all(path: &Path, tree: bool) -> Built {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut s = Session::open(path).unwrap();
        let overrides = s.overrides(&header(&text, "set"));
        let inputs = s.env_inputs(&header(&text, "vars"), &[], false);
        let mut out = Vec::new();
        for entry in s.project.entries.clone() {
            let Some(program) = s.load(&entry) else {
                continue;
            };
            for target in s.all_targets(&program) {
                let (r, _) = s.run_target(
                    &program,
                    &target,
                    overrides.as_ref(),
                    &inputs,
                    |ev, merged, bindings, checker| {
                        let (v, checks) = match tree {
                            true => super::tree(ev, merged, checker, bindings),
                            false => evaluated_then_checked(ev, bindings, checker),
                        };
                        // The walk reports in source order, the oracle binding by binding: the same
                        // diagnostics, which the session sorts.
                        let mut found: Vec<String> =
                            checks.iter().map(|d| format!("{d:?}")).collect();
                        found.sort();
                        ((v, ev.failed(), found), checks)
                    },
                );
                out.push(r);
            }
        }
        (out, s.take_diagnostics())
    }

    /// The `.tsk` files below `dir`, but those of `lib/` folders (which cases `use`).
    fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() && p.file_name().is_some_and(|n| n != "lib") {
                cases(&p, out);
            } else if p.extension().is_some_and(|e| e == "tsk") {
                out.push(p);
            }
        }
    }

    /// The walk's value tree (`Session::build`'s) is the tree evaluated whole and then checked, exactly: every
    /// value, origin, default, secret and unset-`@env` mark, every failed value left in place, and the same
    /// diagnostics, for every case, fixture and example.
    #[test]
    fn the_walk_builds_the_tree_evaluated_then_checked() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        cases(&root.join("tests/cases"), &mut paths);
        cases(&root.join("tests/fixtures/tusklang-corpus"), &mut paths);
        for dir in [
            "examples/shop",
            "tests/fixtures/shop-broken",
            "tests/fixtures/secrets-app",
        ] {
            paths.push(root.join(dir));
        }
        assert!(paths.len() > 40, "{paths:?}");
        let mut failed = 0;
        for path in paths {
            let (walked, oracle) = (build_all(&path, true), build_all(&path, false));
            assert!(!oracle.0.is_empty(), "{}: nothing built", path.display());
            failed += oracle.0.iter().filter(|(_, f, _)| *f).count();
            assert_eq!(walked, oracle, "{}", path.display());
        }
        assert!(failed > 0, "no case with a value that failed to evaluate");
    }
}
