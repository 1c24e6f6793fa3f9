//! The merged tree of one target: what [`crate::merge`] builds and evaluation, checking and queries read.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::source::Span;
use crate::syntax::ast::Expr;
use crate::value::{Key, Map, Origin};

/// One definition: an expression to evaluate after merging, and where it was written.
#[derive(Debug)]
pub struct LeafData {
    pub expr: Expr,
    /// `origin.span` is the value's span.
    pub origin: Origin,
    /// The key (or `$variable`) span, for "first defined here" and `explain`.
    pub key_span: Span,
    /// The object path the definition sits in; bare references resolve from here outwards. Shared by the
    /// definitions of one object.
    pub scope: Arc<[String]>,
    /// The definition's number: `0..Program::leaves` for the program's definitions, `0..` in the `--set` layer
    /// (which merging numbers after the program's). The evaluator's memo slot, the same in every target.
    pub id: usize,
}

/// One build target: an environment and a provider. `None` means the project declares no environments (or
/// providers).
///
/// ```
/// let project = tuskc::Project::from_sources([(
///     "app.tsk",
///     "port: 80\nenv production { port: 443 }\nprovider aws { region: \"eu-west-1\" }\n",
/// )])?;
/// let targets = project.targets();
/// assert!(targets.iter().any(|t| t.env.as_deref() == Some("production") && t.provider.as_deref() == Some("aws")));
/// assert_eq!(targets[0].to_string(), "production/aws");
/// # Ok::<(), tuskc::Diagnostics>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Target {
    /// The environment (`env production { ... }`), if the project declares any.
    pub env: Option<String>,
    /// The provider (`provider aws { ... }`), if the project declares any.
    pub provider: Option<String>,
}

impl Target {
    /// The target of an environment and a provider.
    ///
    /// ```
    /// let t = tuskc::Target::new(Some("production"), Some("aws"));
    /// assert_eq!(t.to_string(), "production/aws");
    /// assert_eq!(tuskc::Target::new(None, None).to_string(), "-/-");
    /// ```
    pub fn new(env: Option<&str>, provider: Option<&str>) -> Self {
        Target {
            env: env.map(str::to_string),
            provider: provider.map(str::to_string),
        }
    }

    /// The target as messages name it to people: `env/provider` (`-` for a dimension not chosen), or "the base
    /// target" for a file without environments or providers, where `-/-` would mean nothing to its author.
    /// (`Display` keeps the `env/provider` form for machine-readable output such as the JSON `targets`.)
    pub(crate) fn describe(&self) -> String {
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
    pub(crate) defs: Defs,
}

/// The definitions a merged tree's numbers name: the program's, then the `--set` layer's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Defs {
    pub(crate) program: Arc<Vec<Arc<LeafData>>>,
    pub(crate) set: Vec<Arc<LeafData>>,
}

impl Defs {
    pub(crate) fn get(&self, id: usize) -> &LeafData {
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
