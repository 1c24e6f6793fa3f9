//! Streaming: one target evaluated, checked and written as JSON in a single walk of its merged tree.
//!
//! Owns: the order in which a streamed target's values are built, checked, written and dropped. Building a
//! target's whole value tree, then checking it, then writing it, then dropping it walks a large project's tree
//! four times, each time out of cache. Here each value is built, checked and written while it is in cache, and the
//! objects the walk passes through are never built at all: only their fields' values are (a leaf, or an object
//! that has to be checked whole), one at a time.
//!
//! Invariant: the text and the diagnostics are exactly those of `Session::build` followed by `emit::emit` (JSON):
//! evaluation runs in the same order (the tree's source order), every check runs on the same value with the same
//! result, a binding's checks keep their order on
//! each value, and a value that failed to evaluate is checked as the whole tree checks it (skipped: see
//! `ValueKind::Error`) while the rest goes on being checked, only no longer written. `tests/cases.rs` holds the two equal for every case,
//! fixture and example, and the `stream` fuzz target (fuzz/) for arbitrary input.
//!
//! Shared with the whole tree: checking an object field by field (`check.rs`, "checking an object field by field":
//! `Checker::field_duties`, `run` and `finish_object`) is the one implementation `Checker::check` runs on a built
//! object too, so the walk below only decides when each field's value is built and written; what it checks and
//! reports is the whole tree's. It splits a check over an object's fields only when nothing can differ (`shape`).
//!
//! An object is built whole (rather than streamed through) when a check on it does not split over its fields, or
//! when a binding beneath it names a key it does not have (checking creates the key from the schema's defaults,
//! or reports it missing, in the built object).

use std::collections::HashMap;

use crate::emit::{json_string, plain_literal, push_line, write_json, write_literal};
use crate::eval::Evaluator;
use crate::ir::schema::Binding;
use crate::ir::{MNode, MObject, Merged};
use crate::schema::check::{Checker, Duty, Errors, Shape};
use crate::secrets::redact;
use crate::value::{Key, Value};

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
) -> (Option<String>, Errors) {
    let mut trie = Trie::default();
    for (order, b) in bindings.iter().enumerate() {
        trie.insert(order, b);
    }
    let mut s = Stream {
        ev,
        checker,
        errs: Vec::new(),
        redact,
        out: String::with_capacity(size_hint.max(64 * 1024)),
    };
    s.object(&merged.root, trie.here(), Some(&trie), 0, 0, |ev| {
        ev.take_root()
    });
    s.ev.finish();
    let mut errs = s.errs;
    errs.append(&mut s.checker.warnings);
    if s.ev.failed() {
        return (None, errs);
    }
    s.out.push('\n');
    (Some(s.out), errs)
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

struct Stream<'a, 'e> {
    ev: &'e mut Evaluator<'a>,
    checker: Checker<'a>,
    errs: Errors,
    redact: bool,
    out: String,
}

impl<'a> Stream<'a, '_> {
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

    /// An object node: streamed field by field when every duty on it splits and no binding beneath it adds a key,
    /// else built whole (by `build`) and checked as a unit.
    fn object(
        &mut self,
        o: &'a MObject,
        duties: Vec<Duty<'a>>,
        trie: Option<&Trie<'a>>,
        level: usize,
        indent: usize,
        build: impl FnOnce(&mut Evaluator<'a>) -> Value,
    ) {
        match self
            .shapes(&duties)
            .filter(|_| !trie.is_some_and(|t| t.adds_to(o)))
        {
            Some(shapes) => self.frame(o, shapes, trie, level, indent),
            None => {
                let v = build(self.ev);
                self.unit(v, duties, trie, level, indent);
            }
        }
    }

    /// `"key": ` on a new line inside an object being written, after its `{` or the previous field's `,`.
    fn key(&mut self, first: &mut bool, k: &str, indent: usize) {
        self.out.push(if *first { '{' } else { ',' });
        *first = false;
        push_line(&mut self.out, indent + 1);
        json_string(k, &mut self.out);
        self.out.push_str(": ");
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
        let mut empty = true;
        for (k, node) in &o.fields {
            let kid = trie.and_then(|t| t.kids.get(&**k));
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
            let mut duties = Vec::new();
            for (order, shape) in &shapes {
                self.checker
                    .field_duties(shape, *order, k, &at, &mut self.errs, &mut duties);
            }
            if let Some(t) = kid {
                duties.extend(t.here());
                duties.sort_by_key(|d| d.order);
            }
            if !self.ev.failed() {
                self.key(&mut empty, k, indent);
            }
            match node {
                MNode::Leaf(_) => match literal {
                    Some(e) if duties.is_empty() && kid.is_none() => {
                        if !self.ev.failed() {
                            write_literal(e, indent + 1, &mut self.out);
                        }
                    }
                    // Evaluating a literal reports nothing and reads nothing: doing it now is the same as before.
                    Some(_) => {
                        let v = self.ev.take_node(node);
                        self.unit(v, duties, kid, level + 1, indent + 1);
                    }
                    None => {
                        let v = value.unwrap_or_else(|| self.ev.take_node(node));
                        self.unit(v, duties, kid, level + 1, indent + 1)
                    }
                },
                MNode::Object(c) => self.object(c, duties, kid, level + 1, indent + 1, |ev| {
                    ev.take_node(node)
                }),
            }
        }
        // Fields the object's schemas default, after the ones it sets. A default one check adds is a field like
        // any other to the checks after it (as it is when they check the built object in turn).
        let mut defaults: Vec<(Key, Value)> = Vec::new();
        for (order, shape) in &shapes {
            for (k, dv) in defaults.iter_mut() {
                let at = dv.origin;
                let mut duties = Vec::new();
                self.checker
                    .field_duties(shape, *order, k, &at, &mut self.errs, &mut duties);
                for d in &duties {
                    self.checker.run(dv, d, &mut self.errs);
                }
            }
            self.checker.finish_object(
                shape,
                |name| o.fields.contains_key(name),
                &o.origin,
                &mut defaults,
                &mut self.errs,
            );
        }
        if self.ev.failed() {
            return;
        }
        // Defaults are constants: never secrets, nothing to redact.
        for (k, dv) in defaults {
            self.key(&mut empty, &k, indent);
            write_json(&dv, indent + 1, &mut self.out);
        }
        if empty {
            self.out.push_str("{}");
        } else {
            push_line(&mut self.out, indent);
            self.out.push('}');
        }
    }

    /// A value built whole: its duties and the bindings beneath it run on it in binding order, then it is written
    /// and dropped.
    fn unit(
        &mut self,
        mut v: Value,
        duties: Vec<Duty<'a>>,
        trie: Option<&Trie<'a>>,
        level: usize,
        indent: usize,
    ) {
        let mut below = Vec::new();
        if let Some(t) = trie {
            t.below(&mut below);
        }
        if below.is_empty() {
            for d in &duties {
                self.checker.run(&mut v, d, &mut self.errs);
            }
        } else {
            // The duties on this value and the bindings beneath it, in binding order.
            let mut steps: Vec<(usize, Result<Duty<'a>, &'a Binding>)> =
                duties.into_iter().map(|d| (d.order, Ok(d))).collect();
            steps.extend(below.into_iter().map(|(order, b)| (order, Err(b))));
            steps.sort_by_key(|(order, _)| *order);
            for (_, step) in &steps {
                match step {
                    Ok(d) => self.checker.run(&mut v, d, &mut self.errs),
                    Err(b) => self.checker.check_binding(b, &mut v, level, &mut self.errs),
                }
            }
        }
        if self.ev.failed() {
            return;
        }
        if self.redact {
            redact(&mut v);
        }
        write_json(&v, indent, &mut self.out);
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Diagnostic;
    use crate::driver::Session;
    use crate::ir::Target;

    /// The check diagnostics of the base target, in the order the checks report them (before the session sorts
    /// them): built whole and checked (as `Session::build` does), then streamed.
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
                (
                    super::super::whole_tree(ev, bindings, checker).1,
                    Vec::new(),
                )
            },
        );
        let (streamed, _) = s.run_target(
            &program,
            &target,
            None,
            &inputs,
            |ev, merged, bindings, checker| {
                (
                    super::json(ev, merged, checker, bindings, false, 0).1,
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
}
