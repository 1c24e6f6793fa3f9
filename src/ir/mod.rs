//! The intermediate representation: the data the pipeline's stages hand each other, and the operators' meaning.
//!
//! Owns: [`Program`] (the lowered project: one [`Layer`] of unevaluated definitions per base / provider / env /
//! env+provider, declared environments and providers, the schema table), the merged tree of one target
//! ([`merged`]), the table of declared types ([`schema`]), and what each operator does to values with the constant
//! folder ([`fold`], below every interpreter of an expression). Must not know: how any of it is built or used
//! (lowering, merging, evaluation, checking); it imports only the ground floor and the syntax tree.

pub mod fold;
pub mod merged;
pub mod schema;

pub use merged::{LeafData, MNode, MObject, Merged, MergedLeaf, Removal, Target};

use std::sync::Arc;

use indexmap::IndexMap;

use crate::ir::schema::{Binding, Schemas};
use crate::source::{FileId, Span};
use crate::syntax::ast::*;
use crate::value::{LayerId, Map, Origin};

#[derive(Clone, Debug)]
pub enum Node {
    /// Boxed: a leaf is one pointer, an object node 96 bytes.
    Object(Box<ObjectNode>),
    Leaf(Arc<LeafData>),
    /// `key: @delete`: remove the key inherited from lower layers.
    Delete(Origin),
}

#[derive(Clone, Debug)]
pub struct ObjectNode {
    pub fields: Map<Node>,
    /// Where the object was opened (the key span; for the root, the file start).
    pub origin: Origin,
    /// `@replace({...})`: replaces the inherited object instead of merging into it.
    pub replace: bool,
}

impl ObjectNode {
    /// Does this object only delete keys (at any depth, none of it an `@replace`), defining nothing? Merged where
    /// no object is, it changes nothing: no empty object is made to delete from, nor a value replaced by one.
    pub fn only_deletes(&self) -> bool {
        !self.replace
            && !self.fields.is_empty()
            && self.fields.values().all(|n| match n {
                Node::Delete(_) => true,
                Node::Object(o) => o.only_deletes(),
                Node::Leaf(_) => false,
            })
    }

    pub fn new(origin: Origin) -> Self {
        ObjectNode {
            fields: Map::default(),
            origin,
            replace: false,
        }
    }
}

#[derive(Debug)]
pub struct Layer {
    pub id: LayerId,
    pub root: ObjectNode,
    pub vars: IndexMap<String, Arc<LeafData>>,
    /// `bind` / `[section: Type]` in this layer, in source order.
    pub bindings: Vec<Binding>,
    /// The `--set` layer's definitions by id (it numbers its own; program layers' are in [`Program::defs`]).
    pub defs: Vec<Arc<LeafData>>,
}

/// A declared environment or provider: where it was first named.
#[derive(Clone, Debug)]
pub struct Declaration {
    pub file: FileId,
    pub span: Span,
    /// For environments: the parent named by `extends`, with where it was named.
    pub extends: Option<(String, FileId, Span)>,
}

#[derive(Debug, Default)]
pub struct Program {
    pub entry: Option<FileId>,
    /// Every file lowered, entry last (modules before the files that use them).
    pub asts: Vec<Ast>,
    pub layers: IndexMap<LayerId, Layer, foldhash::fast::RandomState>,
    pub environments: IndexMap<String, Declaration>,
    pub providers: IndexMap<String, Declaration>,
    /// Every `schema`/`type` of the program and the `std/types` prelude, validated.
    pub schemas: Schemas,
    /// Parsing or lowering reported an error: no target of this program may be written.
    pub has_errors: bool,
    /// Keys expected to differ between targets (`vary a.b` and `key: @vary(value)`), for drift detection.
    pub vary: Vec<VaryMark>,
    /// The base layer merged on its own: every target starts from a copy of it (`merge.rs`), so the largest layer is
    /// merged once per program rather than once per target. Filled on first use; the layers never change after
    /// lowering.
    pub merged_base: std::sync::OnceLock<crate::ir::MObject>,
    /// Every definition (leaves and variables, every layer), by [`LeafData::id`]: merged trees name definitions by
    /// number (`merge::Merged::data`), so a target's copy of an object copies numbers, not counted pointers.
    pub defs: Arc<Vec<Arc<LeafData>>>,
}

/// A key path marked as expected to vary, and where the mark is written.
#[derive(Clone, Debug)]
pub struct VaryMark {
    pub path: Vec<String>,
    pub file: FileId,
    pub span: Span,
    /// `vary a.b` (a declaration that may name a key no layer defines) rather than `@vary(...)` on a definition.
    pub declared: bool,
}

impl Program {
    /// How many definitions the program has: their ids are `0..leaves()`.
    pub fn leaves(&self) -> usize {
        self.defs.len()
    }

    pub fn layer(&self, id: &LayerId) -> Option<&Layer> {
        self.layers.get(id)
    }

    /// The environment and its ancestors, root ancestor first. Stops at cycles (reported while lowering).
    pub fn env_chain(&self, env: &str) -> Vec<String> {
        let mut chain = vec![env.to_string()];
        let mut cur = env.to_string();
        while let Some((parent, ..)) = self.environments.get(&cur).and_then(|d| d.extends.clone()) {
            if chain.contains(&parent) || !self.environments.contains_key(&parent) {
                break;
            }
            chain.push(parent.clone());
            cur = parent;
        }
        chain.reverse();
        chain
    }
}
