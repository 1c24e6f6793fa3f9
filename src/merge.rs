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

use crate::lower::{Layer, LeafData, Node, ObjectNode, Program};
use crate::value::{Key, LayerId, LayerRef, Map, Origin};

/// One build target. `None` means the project declares no environments (or providers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub env: Option<String>,
    pub provider: Option<String>,
}

impl Target {
    /// The target as messages name it to people: `env/provider` (`-` for a dimension not chosen), or "the base
    /// target" for a file without environments or providers, where `-/-` would mean nothing to its author.
    /// (`Display` keeps the `env/provider` form for machine-readable output such as the JSON `targets`.)
    pub fn describe(&self) -> String {
        if self.env.is_none() && self.provider.is_none() {
            "the base target".to_string()
        } else {
            self.to_string()
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            self.env.as_deref().unwrap_or("-"),
            self.provider.as_deref().unwrap_or("-")
        )
    }
}

/// A definition in a merged tree: its number (the definition itself is [`Merged::data`]) and what it replaced.
#[derive(Clone, Debug)]
pub struct MergedLeaf {
    /// Definitions this one replaced, oldest first.
    pub overrode: Vec<Origin>,
    /// Index into the evaluator's memo table: the definition's [`LeafData::id`], after the program's definitions for
    /// the `--set` layer.
    pub id: usize,
}

#[derive(Clone, Debug)]
pub enum MNode {
    /// Shared, copy-on-write: every target starts from the merged base layer and copies only the objects its own
    /// layers change (an untouched object is the same allocation in all targets).
    Object(Arc<MObject>),
    Leaf(MergedLeaf),
}

#[derive(Clone, Debug)]
pub struct MObject {
    pub fields: Map<MNode>,
    pub origin: Origin,
    pub overrode: Vec<Origin>,
    /// Keys an `@delete` or an `@replace` removed and no later layer defined again, with what removed them (see
    /// [`Merged::deleted_by`]).
    pub deleted: Vec<(Key, Removal)>,
}

/// What removed a key from a target's merged tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// `key: @delete` (or `--set key=@delete`), at this origin.
    Deleted(Origin),
    /// An `@replace({...})` of an object holding the key, which does not define it: the replacing object's origin.
    Replaced(Origin),
}

impl Removal {
    /// Where the `@delete` or the `@replace`'s object is written.
    pub fn origin(&self) -> Origin {
        match self {
            Removal::Deleted(o) | Removal::Replaced(o) => *o,
        }
    }
}

#[derive(Debug)]
pub struct Merged {
    pub root: MObject,
    pub vars: IndexMap<String, MergedLeaf>,
    /// Number of leaves and variables (ids are `0..slots`).
    pub slots: usize,
    defs: Defs,
}

/// The definitions a merged tree's numbers name: the program's, then the `--set` layer's.
#[derive(Debug, Clone, Default)]
struct Defs {
    program: Arc<Vec<Arc<LeafData>>>,
    set: Vec<Arc<LeafData>>,
}

impl Defs {
    fn get(&self, id: usize) -> &LeafData {
        match self.program.get(id) {
            Some(d) => d,
            None => &self.set[id - self.program.len()],
        }
    }
}

impl Merged {
    /// The definition a merged leaf stands for.
    pub fn data(&self, l: &MergedLeaf) -> &LeafData {
        self.defs.get(l.id)
    }

    /// The `@delete`, or the `@replace` of an object around it, that removed `path` (or an object it lies in) from
    /// this target, if that is why the tree lacks it: the one answer for references to a removed key and for
    /// `explain`.
    pub fn deleted_by(&self, path: &[String]) -> Option<Removal> {
        let mut cur = &self.root;
        for seg in path {
            match cur.fields.get(seg.as_str()) {
                Some(MNode::Object(o)) => cur = o,
                Some(MNode::Leaf(_)) => return None,
                None => {
                    return cur
                        .deleted
                        .iter()
                        .find(|(k, _)| **k == **seg)
                        .map(|(_, o)| *o)
                }
            }
        }
        None
    }

    /// The node at a key path, if the merged tree has one.
    pub fn node(&self, path: &[String]) -> Option<&MNode> {
        let mut cur = self.root.fields.get(path.first()?.as_str())?;
        for seg in &path[1..] {
            cur = match cur {
                MNode::Object(o) => o.fields.get(seg.as_str())?,
                MNode::Leaf(_) => return None,
            };
        }
        Some(cur)
    }
}

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
/// `by` replaced, for `explain`. The same rules as [`merge_object`], restricted to one path.
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
                let overrode = dst
                    .fields
                    .get(key)
                    .map(|n| node_history(n, defs))
                    .unwrap_or_default();
                dst.fields.insert(
                    key.clone(),
                    MNode::Leaf(MergedLeaf {
                        overrode,
                        id: offset + leaf.id,
                    }),
                );
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
                        fields: Map::default(),
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
