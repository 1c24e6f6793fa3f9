//! Merging: the layers of one target into one tree of definitions.
//!
//! Owns: precedence and merge rules. For a target (environment × provider) the layers apply in this order, later
//! winning: base, provider, then for each environment of the `extends` chain (root ancestor first) its `env` block and
//! its env+provider block, then `--set` overrides. Objects deep-merge; scalars and arrays replace; `@delete`
//! removes; `@replace({...})` replaces an object wholesale. Invariants: a key keeps the position where it was first
//! defined (new keys from later layers come after); every definition remembers the definitions it overrode.
//! Nothing is evaluated here: references are resolved after merging (late binding), in `eval.rs`.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::ir::merged::Defs;
use crate::ir::{
    Layer, LeafData, MNode, MObject, Merged, MergedLeaf, Node, ObjectNode, Program, Removal, Target,
};
use crate::value::{LayerId, LayerRef, Map, Origin};

/// The layers that apply to `target`, lowest precedence first.
pub fn layer_order(program: &Program, target: &Target) -> Vec<LayerId> {
    let mut order = vec![LayerId::Base];
    let provider: Option<Arc<str>> = target.provider.as_deref().map(Arc::from);
    if let Some(p) = &provider {
        order.push(LayerId::Provider(p.clone()));
    }
    let chain: Vec<Arc<str>> = target
        .env
        .as_deref()
        .map(|e| program.env_chain(e))
        .unwrap_or_default()
        .iter()
        .map(|e| Arc::from(e.as_str()))
        .collect();
    // A more specific environment wins over its parent, and within one environment its provider block wins over its
    // body: `env stg extends prod` overrides what `env prod provider aws` sets.
    for e in &chain {
        order.push(LayerId::Env(e.clone()));
        if let Some(p) = &provider {
            order.push(LayerId::EnvProvider(e.clone(), p.clone()));
        }
    }
    order
}

/// What the layers of `target` below layer `by` define at `path`, as sub-key paths (dotted, `""` for a value at
/// `path` itself) with their definitions, in merge order: the object an `@replace` (or an object over a value) in
/// `by` replaced, for `explain`. The same rules as `merge_object`, restricted to one path.
pub fn defined_below(
    program: &Program,
    target: &Target,
    by: &LayerId,
    path: &[String],
) -> Vec<(String, Arc<LeafData>)> {
    let mut out: IndexMap<String, Arc<LeafData>> = IndexMap::new();
    for id in layer_order(program, target) {
        if &id == by {
            break;
        }
        let Some(layer) = program.layer(&id) else {
            continue;
        };
        let mut node = None;
        let mut cur = &layer.root;
        for (i, seg) in path.iter().enumerate() {
            match cur.fields.get(seg.as_str()) {
                Some(Node::Object(o)) if i + 1 < path.len() => cur = o,
                found => {
                    node = found.filter(|_| i + 1 == path.len());
                    break;
                }
            }
        }
        match node {
            Some(Node::Object(o)) => {
                if o.replace {
                    out.clear();
                }
                out.shift_remove("");
                collect_below(o, "", &mut out);
            }
            Some(Node::Leaf(l)) => {
                out.clear();
                out.insert(String::new(), l.clone());
            }
            Some(Node::Delete(_)) => out.clear(),
            None => {}
        }
    }
    out.into_iter().collect()
}

fn collect_below(obj: &ObjectNode, prefix: &str, out: &mut IndexMap<String, Arc<LeafData>>) {
    for (key, node) in &obj.fields {
        let at = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        let inside = format!("{at}.");
        match node {
            Node::Leaf(l) => {
                out.retain(|k, _| !k.starts_with(&inside));
                out.insert(at, l.clone());
            }
            Node::Object(o) => {
                out.shift_remove(&at);
                if o.replace {
                    out.retain(|k, _| !k.starts_with(&inside));
                }
                collect_below(o, &at, out);
            }
            Node::Delete(_) => out.retain(|k, _| k != &at && !k.starts_with(&inside)),
        }
    }
}

/// Merge the layers of `target`, then `overrides` (the `--set` layer) if any.
pub fn merge(program: &Program, target: &Target, overrides: Option<&Layer>) -> Merged {
    let mut root = program
        .merged_base
        .get_or_init(|| {
            let base = program.layer(&LayerId::Base);
            let mut root = MObject {
                fields: Map::default(),
                origin: base.map_or_else(
                    || Origin {
                        file: crate::source::FileId(0),
                        span: Default::default(),
                        layer: LayerRef::BASE,
                    },
                    |l| l.root.origin,
                ),
                overrode: vec![],
                deleted: vec![],
            };
            if let Some(base) = base {
                let defs = Defs {
                    program: program.defs.clone(),
                    set: Vec::new(),
                };
                merge_object(&mut root, &base.root, 0, &defs);
            }
            root
        })
        .clone();
    let defs = Defs {
        program: program.defs.clone(),
        set: overrides.map(|l| l.defs.clone()).unwrap_or_default(),
    };
    let mut vars: IndexMap<String, MergedLeaf> = IndexMap::new();
    let layers = layer_order(program, target)
        .into_iter()
        .filter_map(|id| program.layer(&id))
        .chain(overrides);
    let mut slots = program.leaves();
    for layer in layers {
        // The `--set` layer numbers its own definitions: they come after the program's.
        let offset = if layer.id == LayerId::Override {
            slots = program.leaves()
                + last_id(&layer.root)
                    .max(layer.vars.values().map(|l| l.id + 1).max().unwrap_or(0));
            program.leaves()
        } else {
            0
        };
        // The base layer's tree is already in `root`; its variables are merged with the others' below.
        if layer.id != LayerId::Base {
            merge_object(&mut root, &layer.root, offset, &defs);
        }
        for (name, leaf) in &layer.vars {
            let overrode = vars
                .get(name)
                .map(|old| history(&old.overrode, &defs.get(old.id).origin))
                .unwrap_or_default();
            vars.insert(
                name.clone(),
                MergedLeaf {
                    overrode,
                    id: offset + leaf.id,
                },
            );
        }
    }
    Merged {
        root,
        vars,
        slots,
        defs,
    }
}

/// One more than the largest definition number in `obj` (0 if it has none).
fn last_id(obj: &ObjectNode) -> usize {
    obj.fields
        .values()
        .map(|node| match node {
            Node::Leaf(l) => l.id + 1,
            Node::Object(o) => last_id(o),
            Node::Delete(_) => 0,
        })
        .max()
        .unwrap_or(0)
}

fn history(before: &[Origin], last: &Origin) -> Vec<Origin> {
    let mut h = before.to_vec();
    h.push(*last);
    h
}

fn node_history(node: &MNode, defs: &Defs) -> Vec<Origin> {
    match node {
        MNode::Leaf(l) => history(&l.overrode, &defs.get(l.id).origin),
        MNode::Object(o) => history(&o.overrode, &o.origin),
    }
}

fn merge_object(dst: &mut MObject, src: &ObjectNode, offset: usize, defs: &Defs) {
    for (key, node) in &src.fields {
        if !dst.deleted.is_empty() {
            // Defined again (or deleted again) by this layer.
            dst.deleted.retain(|(k, _)| k != key);
        }
        match node {
            Node::Delete(origin) => {
                dst.fields.shift_remove(key);
                dst.deleted.push((key.clone(), Removal::Deleted(*origin)));
            }
            Node::Leaf(leaf) => {
                let id = offset + leaf.id;
                // One lookup for both cases: most keys are new to the object.
                match dst.fields.entry(key.clone()) {
                    indexmap::map::Entry::Occupied(mut at) => {
                        let overrode = node_history(at.get(), defs);
                        at.insert(MNode::Leaf(MergedLeaf { overrode, id }));
                    }
                    indexmap::map::Entry::Vacant(at) => {
                        at.insert(MNode::Leaf(MergedLeaf {
                            overrode: Vec::new(),
                            id,
                        }));
                    }
                }
            }
            Node::Object(obj) => match dst.fields.get_mut(key) {
                Some(MNode::Object(existing)) if !obj.replace => {
                    merge_object(Arc::make_mut(existing), obj, offset, defs)
                }
                // `a.b.c: @delete` where no object `a` is: nothing to delete (TSK0230 says so), and no empty `a`
                // to create, nor a value `a` to replace by one.
                _ if obj.only_deletes() => {}
                existing => {
                    let overrode = existing
                        .as_deref()
                        .map(|e| node_history(e, defs))
                        .unwrap_or_default();
                    let mut fresh = MObject {
                        // Room for the keys about to be merged in, rather than rehashing as they come.
                        fields: crate::value::map_with_capacity(obj.fields.len()),
                        origin: obj.origin,
                        overrode,
                        deleted: vec![],
                    };
                    merge_object(&mut fresh, obj, offset, defs);
                    if let (true, Some(MNode::Object(old))) = (obj.replace, existing.as_deref()) {
                        dropped(old, &mut fresh, obj.origin);
                    }
                    dst.fields
                        .insert(key.clone(), MNode::Object(Arc::new(fresh)));
                }
            },
        }
    }
}

/// Record in `new`, the object an `@replace` (written at `at`) put in place of `old`, the keys of `old` it does not
/// define, at every depth: [`Merged::deleted_by`] names the `@replace` for them.
fn dropped(old: &MObject, new: &mut MObject, at: Origin) {
    for (key, node) in &old.fields {
        match (new.fields.get_mut(key), node) {
            (None, _) => new.deleted.push((key.clone(), Removal::Replaced(at))),
            (Some(MNode::Object(n)), MNode::Object(o)) => dropped(o, Arc::make_mut(n), at),
            _ => {}
        }
    }
}
