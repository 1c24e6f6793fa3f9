//! What one target's walk wrote, reused by the next targets of the same program (`build --all`, `check`).
//!
//! Owns: deciding when a subtree's text can be taken from an earlier target instead of being evaluated, checked and
//! written again. The targets of a project share most of their values: merging starts every target from the
//! program's merged base, and an object no layer of the target changes is the same allocation in every target
//! (`ir::MNode::Object`). A field's result depends only on
//! - its node: a definition (the same number in every target) or a shared object;
//! - the checks on the object it is a field of (their types, fields, order and depth: [`Shape::fingerprint`]),
//!   which decide the checks on it, and no binding beneath it;
//! - and what its values are computed from (its key, path and indentation are its node's). Only plain literals are reused (a definition, or an object whose every
//!   definition is one): they read nothing, so they are the same in every target.
//!
//! Invariant: a reused text is exactly what walking the subtree again would write, with no diagnostic either way.
//! A field is remembered (its key and value, as the sink wrote them) only when walking it reported nothing (no error, no warning, no failed value) and no
//! check on it read the target (`Checker::read_target`); a check that reports something is not reused, so every
//! target reports its own problems as before. Remembered objects are kept alive by the cache, so an address in it
//! always names the object it was taken from. One cache serves one program, one target after another on one thread
//! (`Session::each_target`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::emit::plain_literal;
use crate::ir::{MNode, MObject, Merged};
use crate::schema::check::Shape;

/// The texts remembered so far (see the module comment).
#[derive(Default)]
pub(crate) struct Reuse {
    /// Objects seen shared with other targets, kept alive, with whether every definition beneath them is a plain
    /// literal.
    objects: HashMap<usize, (Arc<MObject>, bool), foldhash::fast::RandomState>,
    /// Each set of checks on an object seen so far ([`Shape::fingerprint`]), numbered.
    checks: HashMap<Box<[usize]>, u32, foldhash::fast::RandomState>,
    /// By field and the checks on its object: the key and value its walk wrote, and which of the object's shapes
    /// declare the key (bit `i` for shape `i`: what `Checker::field_duties` told the walk).
    texts: HashMap<Place, (Box<str>, u64), foldhash::fast::RandomState>,
    /// A fingerprint being taken (a buffer reused from object to object).
    print: Vec<usize>,
}

/// A field as [`Reuse`] knows it: its node, and the checks on the object it is a field of.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Place {
    pub(crate) node: Node,
    pub(crate) checks: u32,
}

/// A node the same in several targets.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    /// A definition, by its number.
    Leaf(usize),
    /// A shared object, by its address (kept alive in [`Reuse::objects`]).
    Object(usize),
}

impl Reuse {
    /// The number of the checks `shapes` make on an object's fields.
    pub(crate) fn checks(&mut self, shapes: &[(usize, Shape)]) -> u32 {
        self.print.clear();
        for (order, shape) in shapes {
            self.print.push(*order);
            shape.fingerprint(&mut self.print);
        }
        if let Some(n) = self.checks.get(self.print.as_slice()) {
            return *n;
        }
        let n = u32::try_from(self.checks.len()).unwrap_or(u32::MAX);
        self.checks.insert(self.print.as_slice().into(), n);
        n
    }

    /// The node a field's walk can be remembered under, if it is one that can: a plain literal, or an object
    /// shared with other targets whose every definition is one.
    pub(crate) fn node(&mut self, merged: &Merged, node: &MNode) -> Option<Node> {
        match node {
            MNode::Leaf(l) => plain_literal(&merged.data(l).expr).then_some(Node::Leaf(l.id)),
            MNode::Object(o) => {
                // An object this target made or changed is its own (one owner): nothing else will have it.
                if Arc::strong_count(o) < 2 {
                    return None;
                }
                let at = Arc::as_ptr(o) as usize;
                let pure = match self.objects.get(&at) {
                    Some((_, pure)) => *pure,
                    None => {
                        let pure = all_literal(merged, o);
                        self.objects.insert(at, (o.clone(), pure));
                        pure
                    }
                };
                pure.then_some(Node::Object(at))
            }
        }
    }

    /// The key and value remembered for a field, with the shapes that declare it.
    pub(crate) fn get(&self, at: Place) -> Option<(&str, u64)> {
        self.texts.get(&at).map(|(t, declared)| (&**t, *declared))
    }

    /// Remember a field's key and value, with the shapes that declare it.
    pub(crate) fn remember(&mut self, at: Place, text: &str, declared: u64) {
        self.texts
            .entry(at)
            .or_insert_with(|| (text.into(), declared));
    }
}

/// Whether every definition beneath `o` is a plain literal.
fn all_literal(merged: &Merged, o: &MObject) -> bool {
    o.fields.values().all(|n| match n {
        MNode::Leaf(l) => plain_literal(&merged.data(l).expr),
        MNode::Object(c) => all_literal(merged, c),
    })
}
