//! Drift: differences between the resolved trees of targets (`tuskc diff`), and between one target and what is
//! deployed (`tuskc drift`).
//!
//! Owns: finding every difference, classifying it, and saying how to fix it. A difference is **declared** when a
//! layer that only one side has sets the value on purpose (an `env`/`provider` block), a layer of that side removes
//! it with `@delete`, the same definition computes it from the target (`@environment`, inputs that differ), or the
//! key is marked to vary (`vary a.b`, `key: @vary(v)`, a schema field's `@vary`). Everything else is **drift**: a
//! key one side lacks, a type that differs (between targets, a float and an int too: the output spells them
//! differently), a value no layer explains, and every difference from what is deployed.
//!
//! Invariants: a pure function of the value trees, the program and its merge records (no I/O, deterministic order:
//! the trees' key order); every value shown goes through [`Value::describe`] (secrets by reference, never a value)
//! or is hidden; every drift names the file and line to change, taken from the origins the pipeline keeps. Findings
//! are data: a [`Kind`], a [`Class`], [`Reason`]s and [`Fix`]es holding origins, key paths and targets; the command
//! line writes them as sentences, in one place.

use indexmap::{IndexMap, IndexSet};
use serde::Serialize;

use crate::ir::schema::Binding;
use crate::ir::{MNode, Merged, Target};
use crate::ir::{Node, ObjectNode, Program};
use crate::merge::layer_order;
use crate::source::{FileId, FileKind, SourceMap, Span};
use crate::syntax::ast::Item;
use crate::value::{secret_reference, LayerId, Origin, Value, ValueKind};

/// One compiled target.
pub struct Side {
    pub target: Target,
    pub value: Value,
    pub merged: Merged,
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Drift,
    /// A deployed secret, or a value derived from one, that could not be compared (no identity to decrypt the store).
    Unverified,
    Declared,
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Present on one side, absent on the other.
    Missing,
    /// Deployed, but no layer declares it.
    Undeclared,
    /// Different types.
    Type,
    /// Same type, different values.
    Value,
}

/// Where a value was defined: file, line and layer.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Place {
    pub file: String,
    pub line: u32,
    pub layer: String,
}

/// Where `o` is: its file's name, line and layer.
pub fn place(sources: &SourceMap, o: &Origin) -> Place {
    let file = sources.get(o.file);
    Place {
        file: file.name.clone(),
        line: file.line_col(o.span.start).line,
        layer: o.layer.to_string(),
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} ({})", self.file, self.line, self.layer)
    }
}

/// One value a key takes, and the targets (or the deployed file) that have it.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Variant {
    pub targets: Vec<String>,
    /// The value as diagnostics show it (secrets by reference); `None`: the key is absent.
    pub value: Option<String>,
    #[serde(rename = "type")]
    pub type_name: Option<&'static str>,
    pub defined_at: Option<Place>,
}

/// A safe edit that declares a key as varying: it changes no output.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VaryEdit {
    /// Wrap the value written at `span` of `file` in `@vary(...)`.
    Wrap { file: FileId, span: Span },
    /// Insert `vary PATH` on its own line at byte `at` of `file` (the start of the top-level item holding the key).
    Declare {
        file: FileId,
        at: usize,
        path: String,
    },
}

#[derive(Clone, Debug)]
pub struct Finding {
    /// The key path, dotted (a dotenv comparison adds the variable name: `DATABASE_PORT (database.port)`).
    pub path: String,
    /// The top-level key the finding is grouped under.
    pub section: String,
    pub kind: Kind,
    pub class: Class,
    pub variants: Vec<Variant>,
    /// Why it is declared, or what is wrong.
    pub reasons: Vec<Reason>,
    /// What to change, most direct first.
    pub fix: Vec<Fix>,
    /// `--fix` can declare it (`@vary`) without changing any output.
    pub fixable: bool,
    pub edit: Option<VaryEdit>,
}

/// Why a finding is declared, or what is wrong: data, written as a sentence only by the report (`cli/drift.rs`).
/// `path` is the key path as the report shows it; places are origins, shown as `file:line` there.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// `vary PATH` (`declared`) or `@vary` on the key marks it to vary.
    VaryMark {
        path: String,
        declared: bool,
        file: FileId,
        span: Span,
    },
    /// A schema field marks the key `@vary`.
    SchemaVary {
        path: String,
        file: FileId,
        span: Span,
    },
    /// One definition computes both values; `uses_target`: it uses `@environment`/`@provider`.
    SameDefinition { at: Origin, uses_target: bool },
    /// A schema default applies on one side only.
    SchemaDefault { at: Origin },
    /// A layer only one side has sets the key.
    LayerSets { at: Origin },
    /// A layer only one side has removes the key with `@delete`.
    Deleted { at: Origin },
    /// Two types: per side, its type and target.
    TypesDiffer {
        path: String,
        sides: [(&'static str, String); 2],
    },
    /// A float against an int (at `inside` the value): the targets, and per side the number shown and its type.
    NumberKinds {
        path: String,
        targets: [String; 2],
        inside: String,
        numbers: [(String, &'static str); 2],
    },
    /// Values differ though both sides take them from shared layers: per side, the value described and its target.
    SharedLayersDiffer {
        path: String,
        sides: [(String, String); 2],
    },
    /// `absent` (a target, described) lacks the key `present` sets (at `set_at`).
    AbsentIn {
        path: String,
        absent: String,
        present: String,
        set_at: Option<Origin>,
    },
    /// Across many targets: absent in `absent` of the `of` targets taking part.
    AbsentInMany {
        path: String,
        absent: usize,
        of: usize,
    },
    /// Across many targets: the types it has.
    TypesDifferInMany {
        path: String,
        types: Vec<&'static str>,
    },
    /// Across many targets: floats in some, ints in others.
    NumberKindsInMany { path: String },
    /// The deployed file lacks a key tuskc sets (at `set_at`).
    DeployedMissing {
        path: String,
        set_at: Option<Origin>,
    },
    /// The deployed file has a key no layer of `target` (described) declares.
    DeployedUndeclared { path: String, target: String },
    /// A deployed secret (`secret`: its name; `None`: a value derived from secrets) not compared, for want of an
    /// identity.
    SecretNotCompared {
        path: String,
        secret: Option<String>,
    },
    /// A deployed value is not the value of `secret` in the store of environment `store` (`None`: the project's).
    SecretDiffers {
        path: String,
        secret: String,
        store: Option<String>,
    },
    /// A deployed value is not what tuskc derives from the store's secrets.
    DerivedDiffers { path: String, store: Option<String> },
    /// The value comes from (`direct`) or is computed from environment variables this run has not set.
    EnvUnset {
        path: String,
        vars: Vec<String>,
        direct: bool,
    },
    /// The deployed value (or its type) is not what tuskc builds (`builds`, described), set at `set_at`.
    DeployedDiffers {
        path: String,
        deployed: DeployedShown,
        builds: String,
        set_at: Option<Origin>,
    },
}

/// What a report says of a deployed value that differs.
#[derive(Clone, Debug, PartialEq)]
pub enum DeployedShown {
    /// Its type (the type differs).
    Type(&'static str),
    /// The value as it may be shown (see `shown_deployed`).
    Value(String),
}

/// What to change: data, written as a line only by the report. Edits name the file and span (an [`Origin`]) and
/// the key path or text to write.
#[derive(Clone, Debug, PartialEq)]
pub enum Fix {
    /// Redeploy the build of `target` (described).
    Redeploy { target: String, then: Redeploy },
    /// Remove the definition at `at` (from the source, when unknown); `path`: the key as written, for `@delete`.
    Remove {
        at: Option<Origin>,
        path: String,
        note: Option<LayerNote>,
    },
    /// Declare the deployed key in the source, under the section `under` defined at the origin.
    Declare { under: Option<(String, Origin)> },
    /// Pass an identity to compare secrets.
    PassIdentity,
    /// Store the deployed value as `secret` in environment `env`'s store.
    StoreSecret { secret: String, env: Option<String> },
    /// Change the definition at `at` (in the source, when unknown); `secrets`: or the secrets it uses.
    Change {
        at: Option<Origin>,
        secrets: bool,
        note: Option<LayerNote>,
    },
    /// Set the environment variables to compare.
    PassVars { vars: Vec<String> },
    /// Make both definitions of `path` the same type.
    SameType { path: String },
    /// Write both numbers of `path` as the same kind.
    SameNumberKind { path: String },
    /// Check two definitions.
    CheckDefinitions { at: [Option<Origin>; 2] },
    /// `key` may be a typo of `other` (a key path as written, defined at `other_at`): rename it at `at`.
    Rename {
        other: String,
        other_at: Option<Origin>,
        key: String,
        at: Option<Origin>,
    },
    /// A `@replace` at `at` replaces `parent` without `key`: add it there.
    AddWhereReplaced {
        at: Origin,
        parent: String,
        key: String,
    },
    /// Add the key (`section`: a whole section) at `path` (as written) to each block; `or`: an alternative.
    AddTo {
        or: bool,
        section: bool,
        path: String,
        blocks: Vec<BlockPlace>,
    },
    /// Set it once in the base.
    SetInBase,
    /// Mark it to vary: `key: @vary(...)` (`wrap`) or `vary PATH`; `typo`: the key looks like a typo, so by hand.
    MarkVary {
        key: String,
        path: String,
        wrap: bool,
        typo: bool,
    },
}

/// What redeploying does.
#[derive(Clone, Debug, PartialEq)]
pub enum Redeploy {
    /// Adds the missing key.
    AddsIt,
    /// Removes the undeclared key from the running system.
    RemovesIt,
    /// Restores the value tuskc builds (described).
    Restores(String),
    /// A build with `--secrets resolve`.
    Resolved,
}

/// The line a fix points at belongs to a layer other targets share: change only `target` (described) in `block`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNote {
    pub target: String,
    pub block: BlockPlace,
}

/// A layer's block, for "add it to ...": where it starts and its first `[section]` header, or `None` when the
/// project has none (a new block).
#[derive(Clone, Debug, PartialEq)]
pub struct BlockPlace {
    pub layer: LayerId,
    pub at: Option<(FileId, Span)>,
    pub section: Option<String>,
}

/// The verdict on one pair of sides at one key: its class and why (a declared verdict may have several clauses: each
/// layer that sets the key).
struct Verdict {
    class: Class,
    reasons: Vec<Reason>,
}

impl Verdict {
    fn declared(reasons: Vec<Reason>) -> Self {
        Verdict {
            class: Class::Declared,
            reasons,
        }
    }
    fn drift(reason: Reason) -> Self {
        Verdict {
            class: Class::Drift,
            reasons: vec![reason],
        }
    }
}

/// A key's value on one side of a comparison.
#[derive(Clone, Copy)]
enum Slot<'v> {
    /// This side does not take part below this key (its value here is not an object).
    Skip,
    Absent,
    Val(&'v Value),
}

/// A key whose value is not the same on every side taking part.
struct Variation<'v> {
    path: Vec<String>,
    slots: Vec<Slot<'v>>,
    /// Per side: index of its group (sides with equal values share one); `usize::MAX` for sides not taking part.
    group: Vec<usize>,
    groups: usize,
}

/// How numbers compare. Between targets, a float and an int are written differently (`1.0` and `1` in JSON), so
/// the kind of number counts; a deployed file's format spells numbers its own way, so only the value does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbers {
    ByKind,
    ByValue,
}

/// Every key at which the trees differ, in key order. Objects are compared key by key; anything else as a whole
/// (arrays item by item; `1 == 1.0` only with [`Numbers::ByValue`]). A key absent on some sides is reported once, at
/// the highest such key.
fn variations<'v>(trees: &[&'v Value], numbers: Numbers) -> Vec<Variation<'v>> {
    let mut out = Vec::new();
    let slots: Vec<Slot<'v>> = trees.iter().map(|v| Slot::Val(v)).collect();
    walk(&slots, numbers, &mut Vec::new(), &mut out);
    out
}

/// Whether a float meets an int at the same place in `a` and `b` (inside arrays and objects too): values
/// [`Value::same`] calls equal that the output still spells differently.
fn number_kinds_differ(a: &Value, b: &Value) -> bool {
    number_kind_difference(a, b, &mut String::new()).is_some()
}

/// The first place where a float meets an int in `a` and `b`: where inside them (`[0]`, `.x`, empty at the top),
/// and the two numbers.
fn number_kind_difference<'v>(
    a: &'v Value,
    b: &'v Value,
    at: &mut String,
) -> Option<(String, &'v Value, &'v Value)> {
    match (&a.kind, &b.kind) {
        (ValueKind::Int(_), ValueKind::Float(_)) | (ValueKind::Float(_), ValueKind::Int(_)) => {
            Some((at.clone(), a, b))
        }
        (ValueKind::Array(x), ValueKind::Array(y)) => {
            x.iter().zip(y.iter()).enumerate().find_map(|(i, (x, y))| {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                let found = number_kind_difference(x, y, at);
                at.truncate(len);
                found
            })
        }
        (ValueKind::Object(x), ValueKind::Object(y)) => x.iter().find_map(|(k, v)| {
            let w = y.get(k)?;
            let len = at.len();
            at.push('.');
            at.push_str(k);
            let found = number_kind_difference(v, w, at);
            at.truncate(len);
            found
        }),
        _ => None,
    }
}

fn object<'v>(s: &Slot<'v>) -> Option<&'v crate::value::Map<Value>> {
    match s {
        Slot::Val(v) => match &v.kind {
            ValueKind::Object(m) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

fn walk<'v>(
    slots: &[Slot<'v>],
    numbers: Numbers,
    path: &mut Vec<&'v str>,
    out: &mut Vec<Variation<'v>>,
) {
    let taking_part = slots.iter().filter(|s| !matches!(s, Slot::Skip)).count();
    let objects = slots.iter().filter(|s| object(s).is_some()).count();
    if objects < taking_part {
        // Group the sides: absent, objects (compared below), and equal values.
        let mut group = vec![usize::MAX; slots.len()];
        let mut reps: Vec<Slot<'v>> = Vec::new();
        for (i, s) in slots.iter().enumerate() {
            let found = match s {
                Slot::Skip => continue,
                _ => reps.iter().position(|r| match (r, s) {
                    (Slot::Absent, Slot::Absent) => true,
                    (Slot::Val(a), Slot::Val(b)) => {
                        (object(r).is_some() && object(s).is_some())
                            || (a.same(b)
                                && (numbers == Numbers::ByValue || !number_kinds_differ(a, b)))
                    }
                    _ => false,
                }),
            };
            group[i] = found.unwrap_or_else(|| {
                reps.push(*s);
                reps.len() - 1
            });
        }
        if reps.len() > 1 {
            out.push(Variation {
                path: path.iter().map(|k| k.to_string()).collect(),
                slots: slots.to_vec(),
                group,
                groups: reps.len(),
            });
        }
        if objects < 2 {
            return;
        }
    }
    let maps: Vec<Option<&'v crate::value::Map<Value>>> = slots.iter().map(object).collect();
    let mut child: Vec<Slot<'v>> = Vec::with_capacity(slots.len());
    // Usually every side has the same keys in the same order: walk them by position, without hashing.
    let first = maps.iter().flatten().next();
    let aligned = first.filter(|f| {
        maps.iter()
            .flatten()
            .all(|m| m.len() == f.len() && m.keys().zip(f.keys()).all(|(a, b)| a == b))
    });
    if let Some(first) = aligned {
        for (index, key) in first.keys().enumerate() {
            child.clear();
            child.extend(maps.iter().map(|m| {
                match m {
                    Some(m) => m
                        .get_index(index)
                        .map_or(Slot::Absent, |(_, v)| Slot::Val(v)),
                    None => Slot::Skip,
                }
            }));
            path.push(key);
            walk(&child, numbers, path, out);
            path.pop();
        }
        return;
    }
    // Otherwise compare key by key, in first-seen order; sides that are not objects sit out below this key.
    let mut keys: IndexSet<&'v str> = IndexSet::new();
    for m in maps.iter().flatten() {
        keys.extend(m.keys().map(|k| &**k));
    }
    for key in keys {
        child.clear();
        child.extend(maps.iter().map(|m| match m {
            Some(m) => m.get(key).map_or(Slot::Absent, Slot::Val),
            None => Slot::Skip,
        }));
        path.push(key);
        walk(&child, numbers, path, out);
        path.pop();
    }
}

/// Everything a classification needs to know about the project.
pub struct Context<'a> {
    pub program: &'a Program,
    pub sources: &'a SourceMap,
    /// Per side: its layers, lowest first.
    layers: Vec<Vec<LayerId>>,
    /// Per side: key paths its schema fields mark `@vary`.
    schema_vary: Vec<Vec<(Vec<String>, FileId, Span)>>,
}

impl<'a> Context<'a> {
    pub fn new(program: &'a Program, sources: &'a SourceMap, sides: &[Side]) -> Self {
        let layers: Vec<Vec<LayerId>> = sides
            .iter()
            .map(|s| layer_order(program, &s.target))
            .collect();
        let schema_vary = layers
            .iter()
            .map(|order| {
                let bindings: Vec<&Binding> = order
                    .iter()
                    .filter_map(|id| program.layer(id))
                    .flat_map(|l| &l.bindings)
                    .collect();
                program.schemas.vary_paths(&bindings)
            })
            .collect();
        Context {
            program,
            sources,
            layers,
            schema_vary,
        }
    }

    fn place(&self, o: &Origin) -> Place {
        place(self.sources, o)
    }

    /// The `vary` mark covering `path` for either side.
    fn vary_mark(&self, path: &[String], sides: &[usize]) -> Option<Reason> {
        let covers = |p: &[String]| path.starts_with(p);
        if let Some(m) = self.program.vary.iter().find(|m| covers(&m.path)) {
            return Some(Reason::VaryMark {
                path: m.path.join("."),
                declared: m.declared,
                file: m.file,
                span: m.span,
            });
        }
        sides.iter().find_map(|&i| {
            self.schema_vary[i]
                .iter()
                .find(|(p, ..)| covers(p))
                .map(|(p, file, span)| Reason::SchemaVary {
                    path: p.join("."),
                    file: *file,
                    span: *span,
                })
        })
    }

    /// The definition that produced `path` on a side: the leaf (or the object) the merge chose, or for a value an
    /// expression built (inside an object literal or a reference), the definition of the nearest key above it.
    fn definition(
        &self,
        merged: &Merged,
        value: Option<&Value>,
        path: &[String],
    ) -> Option<Origin> {
        let mut fields = &merged.root.fields;
        let mut found: Option<&MNode> = None;
        for seg in path {
            match fields.get(seg.as_str()) {
                Some(MNode::Object(o)) => {
                    found = fields.get(seg.as_str());
                    fields = &o.fields;
                }
                Some(leaf @ MNode::Leaf(_)) => {
                    found = Some(leaf);
                    break;
                }
                None => {
                    found = None;
                    break;
                }
            }
        }
        match found {
            Some(MNode::Leaf(l)) => Some(merged.data(l).origin),
            Some(MNode::Object(o)) => Some(o.origin),
            // Filled in from a schema default (or built by an expression): the value knows.
            None => value.map(|v| v.origin),
        }
    }

    /// The layers `side` has and `other` has not.
    fn own_layers(&self, side: usize, other: usize) -> impl Iterator<Item = &ObjectNode> {
        self.layers[side]
            .iter()
            .filter(move |id| !self.layers[other].contains(id))
            .filter_map(|id| self.program.layer(id))
            .map(|layer| &layer.root)
    }

    /// A `@delete` of `path` (or a key above it) in a layer that `side` has and `other` has not.
    fn deletion(&self, path: &[String], side: usize, other: usize) -> Option<Origin> {
        self.own_layers(side, other).find_map(|mut obj| {
            for seg in path {
                match obj.fields.get(seg.as_str())? {
                    Node::Delete(o) => return Some(*o),
                    Node::Object(o) => obj = o,
                    Node::Leaf(_) => return None,
                }
            }
            None
        })
    }

    /// An object above `path` that a layer of `side` (not of `other`) replaced wholesale with `@replace`.
    fn replacement(&self, path: &[String], side: usize, other: usize) -> Option<Origin> {
        self.own_layers(side, other).find_map(|mut obj| {
            for seg in &path[..path.len().saturating_sub(1)] {
                match obj.fields.get(seg.as_str())? {
                    Node::Object(o) if o.replace => return Some(o.origin),
                    Node::Object(o) => obj = o,
                    _ => return None,
                }
            }
            None
        })
    }

    /// Where a layer's block is written (the first one, if it is split), for "add it to `env production` at ...",
    /// and the first `[section]` header inside it: a line pasted below that header lands under the section. No
    /// place when the project has no such block.
    fn block_place(&self, id: &LayerId) -> BlockPlace {
        fn find<'i>(
            items: &'i [Item],
            id: &LayerId,
            env: Option<&str>,
            provider: Option<&str>,
        ) -> Option<(Span, &'i [Item])> {
            for item in items {
                let (e, p, inner, span) = match item {
                    Item::Env(b) => (
                        Some(b.name.name.as_str()),
                        b.provider.as_ref().map(|p| p.name.as_str()).or(provider),
                        &b.items,
                        b.span,
                    ),
                    Item::Provider(b) => (env, Some(b.name.name.as_str()), &b.items, b.span),
                    _ => continue,
                };
                let here = match id {
                    LayerId::Env(x) => e == Some(&**x) && p.is_none(),
                    LayerId::Provider(x) => p == Some(&**x) && e.is_none(),
                    LayerId::EnvProvider(x, y) => e == Some(&**x) && p == Some(&**y),
                    _ => false,
                };
                if here {
                    return Some((span, inner));
                }
                if let Some(found) = find(inner, id, e, p) {
                    return Some(found);
                }
            }
            None
        }
        let found = self.program.asts.iter().find_map(|ast| {
            find(&ast.items, id, None, None).map(|(span, items)| BlockPlace {
                layer: id.clone(),
                at: Some((ast.file, span)),
                section: items.iter().find_map(|item| match item {
                    Item::Section(s) => Some(key_path_text(
                        &s.path
                            .segments
                            .iter()
                            .map(|i| i.name.clone())
                            .collect::<Vec<_>>(),
                    )),
                    _ => None,
                }),
            })
        });
        found.unwrap_or(BlockPlace {
            layer: id.clone(),
            at: None,
            section: None,
        })
    }

    /// The layer of `target` that plays the part `layer` plays for another target (env for env, ...).
    fn counterpart(layer: &LayerId, target: &Target) -> Option<LayerId> {
        let env = || target.env.as_deref().map(Into::into);
        let provider = || target.provider.as_deref().map(Into::into);
        match layer {
            LayerId::Env(_) => env().map(LayerId::Env),
            LayerId::Provider(_) => provider().map(LayerId::Provider),
            LayerId::EnvProvider(..) => Some(LayerId::EnvProvider(env()?, provider()?)),
            _ => None,
        }
    }

    /// The safe `--fix` for a key: wrap a one-line value in `@vary(...)`, else declare `vary PATH` above the
    /// top-level item holding the definition. `None` for files that are not the project's own.
    fn vary_edit(&self, merged: &Merged, path: &[String]) -> Option<VaryEdit> {
        let origin = self.definition(merged, None, path)?;
        let file = self.sources.get(origin.file);
        if !matches!(file.kind, FileKind::Disk(_)) {
            return None;
        }
        if let Some(MNode::Leaf(l)) = merged.node(path) {
            let text = file.slice(merged.data(l).origin.span);
            if !text.contains('\n') && !text.is_empty() {
                return Some(VaryEdit::Wrap {
                    file: origin.file,
                    span: merged.data(l).origin.span,
                });
            }
        }
        // The top-level item holding the definition: the last one that starts before it (an entry under a
        // `[section]`, the section header for the section's own object, or the whole `env`/`provider` block).
        let ast = self.program.asts.iter().find(|a| a.file == origin.file)?;
        let at = ast
            .items
            .iter()
            .map(crate::syntax::fmt::item_span)
            .filter(|s| s.start <= origin.span.start)
            .map(|s| s.start)
            .next_back()?;
        let line_start = file.text[..at as usize].rfind('\n').map_or(0, |i| i + 1);
        Some(VaryEdit::Declare {
            file: origin.file,
            at: line_start,
            path: key_path_text(path),
        })
    }
}

/// `a.b."odd key"`: a key path as it is written in source.
pub fn key_path_text(path: &[String]) -> String {
    path.iter()
        .map(|s| {
            let plain = s
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && !s.ends_with('-');
            if plain {
                s.clone()
            } else {
                format!("{s:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A value as reports show it: [`Value::describe`] with room for a URL.
fn show(v: &Value) -> String {
    v.describe_within(100)
}

/// How a report shows a deployed value it may not show.
const HIDDEN: &str = "a hidden value (it is, or looks like, a secret)";

/// The unset environment variables whose `@env` defaults went into tuskc's value (its [`Value::unset_env`] that
/// this run has not set): what the deployed system built instead cannot be checked. `None` also when the deployed
/// value `d` is an array or object where tuskc builds a scalar: no environment variable gives one (type drift).
fn unset_env<'v>(c: &'v Value, d: &Value, deployed: &Deployed) -> Option<Vec<&'v str>> {
    let container = |v: &Value| matches!(v.kind, ValueKind::Array(_) | ValueKind::Object(_));
    if container(d) && !container(c) {
        return None;
    }
    let vars: Vec<&str> = c
        .unset_env
        .iter()
        .flat_map(|vars| vars.iter())
        .map(|v| &**v)
        .filter(|v| (deployed.unset_env)(v))
        .collect();
    (!vars.is_empty()).then_some(vars)
}

/// What a report may show of a deployed value: [`show`], or [`HIDDEN`] when tuskc's value at its key is secret
/// (`secret`), or when the value is, holds or looks like a credential ([`reveals`]). The one rule for every place
/// `tuskc drift` shows a deployed value, in every report format. `key` is the value's key; `plaintexts` what this
/// target's secrets resolved to (with an identity; empty without one).
fn shown_deployed(d: &Value, key: &str, secret: bool, plaintexts: &[&str]) -> String {
    if secret || reveals(d, key, plaintexts) {
        HIDDEN.to_string()
    } else {
        show(d)
    }
}

/// Whether a deployed value (at `key`), or any value inside it, equals or contains a value a secret of this target
/// resolved to, or looks like a credential (what TSK0610 flags, a URL with a password in its userinfo among them).
/// A deployed file is the running system's: a secret may sit at any key there, declared or not.
fn reveals(d: &Value, key: &str, plaintexts: &[&str]) -> bool {
    let holds_plaintext = |text: &str| plaintexts.iter().any(|p| text.contains(p));
    match &d.kind {
        ValueKind::String(s) => {
            holds_plaintext(s) || crate::secrets::looks_like_secret(key, s).is_some()
        }
        ValueKind::Int(i) => holds_plaintext(&i.to_string()),
        ValueKind::Float(x) => holds_plaintext(&crate::value::format_float(*x)),
        ValueKind::Array(items) => items.iter().any(|item| reveals(item, key, plaintexts)),
        ValueKind::Object(map) => map.iter().any(|(k, v)| reveals(v, k, plaintexts)),
        ValueKind::Null | ValueKind::Bool(_) | ValueKind::Secret(_) | ValueKind::Error => false,
    }
}

/// The texts of the values secrets went into in a tree built with `--secrets resolve` (empty texts left out: they
/// are in every text).
fn secret_texts<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match &v.kind {
        ValueKind::String(s) if v.secret && !s.is_empty() => out.push(s),
        ValueKind::Array(items) => items.iter().for_each(|item| secret_texts(item, out)),
        ValueKind::Object(map) => map.values().for_each(|item| secret_texts(item, out)),
        _ => {}
    }
}

/// Whether `deployed` is what `build` writes for `compiled` with secrets as references (`secret://name`, also
/// inside arrays and objects).
fn written_by_reference(compiled: &Value, deployed: &Value) -> bool {
    match (&compiled.kind, &deployed.kind) {
        (ValueKind::Secret(name), ValueKind::String(s)) => *s == secret_reference(name),
        (ValueKind::Array(a), ValueKind::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| written_by_reference(x, y))
        }
        (ValueKind::Object(a), ValueKind::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| written_by_reference(x, y)))
        }
        _ => compiled.same(deployed),
    }
}

fn type_differs(a: &Value, b: &Value) -> bool {
    let numeric = |v: &Value| matches!(v.kind, ValueKind::Int(_) | ValueKind::Float(_));
    a.type_name() != b.type_name() && !(numeric(a) && numeric(b))
}

/// Between targets, a float and an int are different types too, also inside an array or object: the output spells
/// them differently.
fn target_types_differ(a: &Value, b: &Value) -> bool {
    type_differs(a, b) || number_kinds_differ(a, b)
}

/// Compare compiled targets. With two sides this is `tuskc diff --env a --env b`; with more, `--all`: each key's
/// values are grouped, and every pair of groups classified (drift if any pair is).
pub fn compare_targets(ctx: &Context<'_>, sides: &[Side]) -> Vec<Finding> {
    let trees: Vec<&Value> = sides.iter().map(|s| &s.value).collect();
    variations(&trees, Numbers::ByKind)
        .into_iter()
        .map(|v| classify_targets(ctx, sides, &v))
        .collect()
}

fn classify_targets(ctx: &Context<'_>, sides: &[Side], v: &Variation<'_>) -> Finding {
    let members: Vec<Vec<usize>> = (0..v.groups)
        .map(|g| (0..sides.len()).filter(|&i| v.group[i] == g).collect())
        .collect();
    // Each side's definition of the key, looked up once.
    let defs: Vec<Option<Origin>> = (0..sides.len())
        .map(|i| match v.slots[i] {
            Slot::Val(x) => ctx.definition(&sides[i].merged, Some(x), &v.path),
            _ => None,
        })
        .collect();
    let taking_part: Vec<usize> = (0..sides.len())
        .filter(|&i| v.group[i] != usize::MAX)
        .collect();
    let mut verdicts: Vec<(usize, usize, Verdict)> = Vec::new();
    if let Some(mark) = ctx.vary_mark(&v.path, &taking_part) {
        verdicts.push((0, 0, Verdict::declared(vec![mark])));
    } else {
        // The class must hold for every pair of sides in different groups; the reasons come from one pair of each
        // pair of groups that has the overall class.
        let mut firsts: Vec<[Option<(usize, usize, Verdict)>; 2]> = Vec::new();
        let mut any_drift = false;
        for g1 in 0..v.groups {
            for g2 in g1 + 1..v.groups {
                let mut first: [Option<(usize, usize, Verdict)>; 2] = [None, None];
                for &i in &members[g1] {
                    for &j in &members[g2] {
                        let verdict = classify_pair(ctx, sides, v, &defs, i, j);
                        let slot = usize::from(verdict.class == Class::Drift);
                        any_drift |= verdict.class == Class::Drift;
                        if first[slot].is_none() {
                            first[slot] = Some((i, j, verdict));
                        }
                    }
                }
                firsts.push(first);
            }
        }
        let slot = usize::from(any_drift);
        for (i, j, verdict) in firsts.into_iter().filter_map(|mut f| f[slot].take()) {
            if !verdicts.iter().any(|(.., x)| x.reasons == verdict.reasons) {
                verdicts.push((i, j, verdict));
            }
        }
    }
    let class = verdicts
        .iter()
        .map(|(.., x)| x.class)
        .min()
        .unwrap_or(Class::Declared);
    let kind = if v.slots.iter().any(|s| matches!(s, Slot::Absent)) {
        Kind::Missing
    } else {
        let vals: Vec<&Value> = v
            .slots
            .iter()
            .filter_map(|s| match s {
                Slot::Val(x) => Some(*x),
                _ => None,
            })
            .collect();
        if vals.windows(2).any(|w| target_types_differ(w[0], w[1])) {
            Kind::Type
        } else {
            Kind::Value
        }
    };
    let variants: Vec<Variant> = (0..v.groups)
        .map(|g| {
            let ms = &members[g];
            let first = ms[0];
            let value = match v.slots[first] {
                Slot::Val(x) => Some(x),
                _ => None,
            };
            Variant {
                targets: ms.iter().map(|&i| sides[i].target.to_string()).collect(),
                value: value.map(show),
                type_name: value.map(Value::type_name),
                defined_at: value.and(defs[first].as_ref()).map(|o| ctx.place(o)),
            }
        })
        .collect();
    let chosen: Vec<&(usize, usize, Verdict)> =
        verdicts.iter().filter(|(.., x)| x.class == class).collect();
    let mut fix: Vec<Fix> = Vec::new();
    let mut edit = None;
    for (i, j, x) in &chosen {
        let (fixes, e) = pair_fixes(ctx, sides, v, &defs, (*i, *j), x);
        for f in fixes {
            if !fix.contains(&f) {
                fix.push(f);
            }
        }
        edit = edit.or(e);
    }
    let dotted = v.path.join(".");
    let reasons = if sides.len() > 2 && class == Class::Drift && kind != Kind::Value {
        // Across many targets the variants say who has what; one line says what is wrong.
        let absent = v.slots.iter().filter(|s| matches!(s, Slot::Absent)).count();
        let taking_part = v.slots.iter().filter(|s| !matches!(s, Slot::Skip)).count();
        vec![if kind == Kind::Missing {
            Reason::AbsentInMany {
                path: dotted.clone(),
                absent,
                of: taking_part,
            }
        } else {
            let types: IndexSet<&'static str> =
                variants.iter().filter_map(|x| x.type_name).collect();
            if types.len() > 1 {
                Reason::TypesDifferInMany {
                    path: dotted.clone(),
                    types: types.into_iter().collect(),
                }
            } else {
                Reason::NumberKindsInMany {
                    path: dotted.clone(),
                }
            }
        }]
    } else {
        // A declared verdict may name several layers (`env a` sets it at ...; `env b` ...): each clause once.
        let mut clauses: Vec<Reason> = Vec::new();
        for (.., x) in &chosen {
            for c in &x.reasons {
                if !clauses.contains(c) {
                    clauses.push(c.clone());
                }
            }
        }
        clauses
    };
    Finding {
        path: dotted,
        section: v.path.first().cloned().unwrap_or_default(),
        kind,
        class,
        variants,
        reasons,
        fix,
        fixable: edit.is_some(),
        edit,
    }
}

/// Whether sides `i` and `j` differ by declaration or drift at `v` (the key is not marked to vary), and why. Cheap
/// enough to run for every pair of sides: what to do about a drift is [`pair_fixes`]'s, for the pairs reported.
fn classify_pair(
    ctx: &Context<'_>,
    sides: &[Side],
    v: &Variation<'_>,
    defs: &[Option<Origin>],
    i: usize,
    j: usize,
) -> Verdict {
    let path = &v.path;
    let (ti, tj) = (&sides[i].target, &sides[j].target);
    match (v.slots[i], v.slots[j]) {
        (Slot::Val(_), Slot::Absent) => presence(ctx, sides, v, (i, defs[i].as_ref()), j),
        (Slot::Absent, Slot::Val(_)) => presence(ctx, sides, v, (j, defs[j].as_ref()), i),
        (Slot::Val(a), Slot::Val(b)) => {
            let (di, dj) = (&defs[i], &defs[j]);
            if target_types_differ(a, b) {
                // Two kinds of number: the values may be equal, the output is not (`1.0` vs `1`).
                let Some((inside, x, y)) = number_kind_difference(a, b, &mut String::new())
                    .filter(|_| !type_differs(a, b))
                else {
                    return Verdict::drift(Reason::TypesDiffer {
                        path: path.join("."),
                        sides: [
                            (a.type_name(), ti.to_string()),
                            (b.type_name(), tj.to_string()),
                        ],
                    });
                };
                return Verdict::drift(Reason::NumberKinds {
                    path: path.join("."),
                    targets: [ti.to_string(), tj.to_string()],
                    inside,
                    numbers: [(show(x), x.type_name()), (show(y), y.type_name())],
                });
            }
            match (di, dj) {
                (Some(x), Some(y)) if x.file == y.file && x.span == y.span => {
                    let text = ctx.sources.get(x.file).slice(x.span);
                    Verdict::declared(vec![Reason::SameDefinition {
                        at: *x,
                        uses_target: text.contains("@environment") || text.contains("@provider"),
                    }])
                }
                _ => {
                    let mut why = Vec::new();
                    for (d, other) in [(di, j), (dj, i)] {
                        if let Some(o) =
                            d.as_ref().filter(|o| !ctx.layers[other].contains(&o.layer))
                        {
                            why.push(if o.layer == LayerId::SchemaDefault {
                                Reason::SchemaDefault { at: *o }
                            } else {
                                Reason::LayerSets { at: *o }
                            });
                        }
                    }
                    if why.is_empty() {
                        Verdict::drift(Reason::SharedLayersDiffer {
                            path: path.join("."),
                            sides: [
                                (a.describe(), ti.to_string()),
                                (b.describe(), tj.to_string()),
                            ],
                        })
                    } else {
                        Verdict::declared(why)
                    }
                }
            }
        }
        _ => Verdict::declared(vec![]),
    }
}

/// `v.path` is defined on side `p` (by `def`) and absent on side `a`: declared if a layer of `a` deletes it.
fn presence(
    ctx: &Context<'_>,
    sides: &[Side],
    v: &Variation<'_>,
    (p, def): (usize, Option<&Origin>),
    a: usize,
) -> Verdict {
    if let Some(del) = ctx.deletion(&v.path, a, p) {
        return Verdict::declared(vec![Reason::Deleted { at: del }]);
    }
    Verdict::drift(Reason::AbsentIn {
        path: v.path.join("."),
        absent: sides[a].target.describe(),
        present: sides[p].target.describe(),
        set_at: def.copied(),
    })
}

/// What to do about the drift [`classify_pair`] found between sides `i` and `j`, most direct first, and the safe
/// `--fix` edit if there is one.
fn pair_fixes(
    ctx: &Context<'_>,
    sides: &[Side],
    v: &Variation<'_>,
    defs: &[Option<Origin>],
    (i, j): (usize, usize),
    verdict: &Verdict,
) -> (Vec<Fix>, Option<VaryEdit>) {
    if verdict.class != Class::Drift {
        return (vec![], None);
    }
    let path = v.path.join(".");
    match verdict.reasons.first() {
        Some(Reason::TypesDiffer { .. }) => (vec![Fix::SameType { path }], None),
        Some(Reason::NumberKinds { .. }) => (vec![Fix::SameNumberKind { path }], None),
        Some(Reason::SharedLayersDiffer { .. }) => (
            vec![Fix::CheckDefinitions {
                at: [defs[i], defs[j]],
            }],
            None,
        ),
        Some(Reason::AbsentIn { .. }) => match (v.slots[i], v.slots[j]) {
            (Slot::Absent, _) => presence_fixes(ctx, sides, v, (j, defs[j].as_ref()), i),
            _ => presence_fixes(ctx, sides, v, (i, defs[i].as_ref()), j),
        },
        _ => (vec![], None),
    }
}

/// The fixes for `v.path`, defined on side `p` (by `def`) and absent on side `a`. The remediation covers every side
/// of `a`'s group that lacks the key without a `@delete` (a key missing from two environments names both blocks).
fn presence_fixes(
    ctx: &Context<'_>,
    sides: &[Side],
    v: &Variation<'_>,
    (p, def): (usize, Option<&Origin>),
    a: usize,
) -> (Vec<Fix>, Option<VaryEdit>) {
    let path = &v.path;
    let written = key_path_text(path);
    let mut fix = Vec::new();
    // A near-miss of a key the absent side has at the same place (`replcias` beside `replicas`) is most likely a
    // typo: say so first, and never mark it to vary automatically (that would make the typo permanent).
    let (parent, key) = path.split_at(path.len() - 1);
    let key = &key[0];
    let near = sides[a].value.get_path(parent).and_then(|x| match &x.kind {
        ValueKind::Object(m) => m.keys().find(|k| is_typo_of(key, k)).map(|k| k.to_string()),
        _ => None,
    });
    if let Some(other) = &near {
        let mut other_path = parent.to_vec();
        other_path.push(other.clone());
        let other_at = ctx.definition(
            &sides[a].merged,
            sides[a].value.get_path(&other_path),
            &other_path,
        );
        fix.push(Fix::Rename {
            other: key_path_text(&other_path),
            other_at,
            key: key.clone(),
            at: def.copied(),
        });
    }
    if let Some(rep) = ctx.replacement(path, a, p) {
        fix.push(Fix::AddWhereReplaced {
            at: rep,
            parent: parent.join("."),
            key: key.clone(),
        });
    }
    if let Some(o) = def {
        // The counterpart blocks of every side that lacks the key the way `a` does, each once.
        let mut layers: Vec<LayerId> = Vec::new();
        for k in (0..sides.len()).filter(|&k| v.group[k] == v.group[a]) {
            if ctx.deletion(path, k, p).is_some() {
                continue;
            }
            if let Some(l) = Context::counterpart(&o.layer, &sides[k].target) {
                if !layers.contains(&l) {
                    layers.push(l);
                }
            }
        }
        if !layers.is_empty() {
            fix.push(Fix::AddTo {
                or: near.is_some(),
                section: matches!(v.slots[p], Slot::Val(x) if matches!(x.kind, ValueKind::Object(_))),
                path: written.clone(),
                blocks: layers.iter().map(|l| ctx.block_place(l)).collect(),
            });
            fix.push(Fix::SetInBase);
        }
    }
    let edit = match near {
        Some(_) => None,
        None => ctx.vary_edit(&sides[p].merged, path),
    };
    fix.push(Fix::MarkVary {
        key: key.clone(),
        path: written,
        wrap: matches!(edit, Some(VaryEdit::Wrap { .. })),
        typo: near.is_some(),
    });
    (fix, edit)
}

/// Whether `key` looks like a mistyped `other`: the same but for case and `-`/`_`, or one edit away (a letter
/// added, dropped, changed, or two swapped) in a name of at least four characters, where the edit is not to a digit
/// (`web1` and `web2` are two keys). Stricter than [`crate::diagnostic::did_you_mean`], which suggests: this one
/// withholds the automatic `@vary`, so a new key that merely resembles another (`db_host`, `db_port`) must not match.
fn is_typo_of(key: &str, other: &str) -> bool {
    if key == other {
        return false;
    }
    let norm = |s: &str| s.to_lowercase().replace('-', "_");
    if norm(key) == norm(other) {
        return true;
    }
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    key.chars().count().min(other.chars().count()) >= 4
        && strsim::osa_distance(key, other) == 1
        && digits(key) == digits(other)
}

/// What is known about the deployed side of a `tuskc drift`.
pub struct Deployed<'a> {
    /// The file's name as shown.
    pub name: &'a str,
    pub value: &'a Value,
    /// `@env` variables that were not set while compiling (their deployed values cannot be checked here).
    pub unset_env: &'a dyn Fn(&str) -> bool,
    /// The same target built with `--secrets resolve` (`--identity`), shaped as the compiled tree is (dotenv:
    /// flattened the same way); `None` without an identity. Read only where the compiled value is secret-derived,
    /// and only compared for equality, never shown.
    pub resolved: Option<&'a Value>,
    /// Dotenv: the key path each variable name came from.
    pub paths: Option<&'a IndexMap<String, Vec<String>>>,
    /// The deployed format cannot hold `null` (TOML): a key tuskc builds as null (or as an object of nulls) and the
    /// file lacks is not drift.
    pub holds_null: bool,
}

/// `null`, or an object holding only nulls at any depth: what a format without `null` (TOML) leaves out whole.
fn only_nulls(v: &Value) -> bool {
    match &v.kind {
        ValueKind::Null => true,
        ValueKind::Object(m) => !m.is_empty() && m.values().all(only_nulls),
        _ => false,
    }
}

/// Compare one compiled target (`side`) with what is deployed.
pub fn compare_deployed(
    ctx: &Context<'_>,
    side: &Side,
    compiled: &Value,
    deployed: &Deployed<'_>,
) -> Vec<Finding> {
    // The target as the report's variants name it, and as its sentences do ("the base target", not `-/-`).
    let (t, named) = (side.target.to_string(), side.target.describe());
    let mut out = Vec::new();
    let mut plaintexts = Vec::new();
    if let Some(r) = deployed.resolved {
        secret_texts(r, &mut plaintexts);
    }
    for v in variations(&[compiled, deployed.value], Numbers::ByValue) {
        // The key path in the source (dotenv names map back to one).
        let source_path: Vec<String> = match (deployed.paths, v.path.as_slice()) {
            (Some(paths), [name]) => paths.get(name).cloned().unwrap_or_else(|| v.path.clone()),
            _ => v.path.clone(),
        };
        let shown = if deployed.paths.is_some() && source_path != v.path {
            format!("{} ({})", v.path.join("."), source_path.join("."))
        } else {
            v.path.join(".")
        };
        let key = v.path.last().map_or("", String::as_str);
        let (c, d) = match (v.slots[0], v.slots[1]) {
            (Slot::Val(c), Slot::Val(d)) => (Some(c), Some(d)),
            (Slot::Val(c), _) if !deployed.holds_null && only_nulls(c) => continue,
            (Slot::Val(c), _) => (Some(c), None),
            (_, Slot::Val(d)) => (None, Some(d)),
            _ => continue,
        };
        let secret = c.is_some_and(|c| c.secret);
        let show_deployed = |d: &Value| shown_deployed(d, key, secret, &plaintexts);
        let def = c.and_then(|c| ctx.definition(&side.merged, Some(c), &source_path));
        let def_at = def.as_ref().map(|o| ctx.place(o));
        let compiled_variant = Variant {
            targets: vec![t.clone()],
            value: c.map(show),
            type_name: c.map(Value::type_name),
            defined_at: def_at.clone(),
        };
        let deployed_variant = Variant {
            targets: vec![deployed.name.to_string()],
            value: d.map(show_deployed),
            type_name: d.map(Value::type_name),
            defined_at: None,
        };
        // The block that applies to this target alone (a base-only project has no other target), named where the
        // line to change belongs to a layer other targets share.
        let here = match (side.target.env.as_deref(), side.target.provider.as_deref()) {
            (Some(e), Some(p)) => Some(LayerId::EnvProvider(e.into(), p.into())),
            (Some(e), None) => Some(LayerId::Env(e.into())),
            (None, Some(p)) => Some(LayerId::Provider(p.into())),
            (None, None) => None,
        };
        let layer_note = |o: &Origin| -> Option<LayerNote> {
            let here = here.as_ref()?;
            if *o.layer == *here || o.layer == LayerId::Override {
                return None;
            }
            Some(LayerNote {
                target: named.clone(),
                block: ctx.block_place(here),
            })
        };
        let redeploy = |then: Redeploy| Fix::Redeploy {
            target: named.clone(),
            then,
        };
        let (kind, class, reason, fix) = match (c, d) {
            (Some(_), None) => (
                Kind::Missing,
                Class::Drift,
                Reason::DeployedMissing {
                    path: shown.clone(),
                    set_at: def,
                },
                vec![
                    redeploy(Redeploy::AddsIt),
                    Fix::Remove {
                        at: def,
                        path: key_path_text(&source_path),
                        note: def.as_ref().and_then(layer_note),
                    },
                ],
            ),
            (None, Some(_)) => {
                let parent = &source_path[..source_path.len().saturating_sub(1)];
                let under = (!parent.is_empty())
                    .then(|| ctx.definition(&side.merged, compiled.get_path(parent), parent))
                    .flatten()
                    .map(|o| (parent.join("."), o));
                (
                    Kind::Undeclared,
                    Class::Drift,
                    Reason::DeployedUndeclared {
                        path: shown.clone(),
                        target: named.clone(),
                    },
                    vec![redeploy(Redeploy::RemovesIt), Fix::Declare { under }],
                )
            }
            (Some(c), Some(d)) => {
                // Anything a secret went into: what `build` writes by reference, or what `--secrets resolve`
                // builds, compared for equality; neither side is ever shown.
                if c.secret {
                    let resolved = deployed.resolved.map(|r| r.get_path(&v.path));
                    if written_by_reference(c, d) || resolved.flatten().is_some_and(|r| r.same(d)) {
                        continue;
                    }
                    let env = side.target.env.clone();
                    let kind = if type_differs(c, d) && !matches!(c.kind, ValueKind::Secret(_)) {
                        Kind::Type
                    } else {
                        Kind::Value
                    };
                    match (&c.kind, resolved) {
                        (_, None) => (
                            kind,
                            Class::Unverified,
                            Reason::SecretNotCompared {
                                path: shown.clone(),
                                secret: match &c.kind {
                                    ValueKind::Secret(name) => Some(name.to_string()),
                                    _ => None,
                                },
                            },
                            vec![Fix::PassIdentity],
                        ),
                        (ValueKind::Secret(name), Some(_)) => (
                            kind,
                            Class::Drift,
                            Reason::SecretDiffers {
                                path: shown.clone(),
                                secret: name.to_string(),
                                store: env.clone(),
                            },
                            vec![
                                redeploy(Redeploy::Resolved),
                                Fix::StoreSecret {
                                    secret: name.to_string(),
                                    env,
                                },
                            ],
                        ),
                        (_, Some(_)) => (
                            kind,
                            Class::Drift,
                            Reason::DerivedDiffers {
                                path: shown.clone(),
                                store: env,
                            },
                            vec![
                                redeploy(Redeploy::Resolved),
                                Fix::Change {
                                    at: def,
                                    secrets: true,
                                    note: def.as_ref().and_then(layer_note),
                                },
                            ],
                        ),
                    }
                } else if let Some(vars) = unset_env(c, d, deployed) {
                    let direct = c.env.as_deref() == vars.first().copied() && vars.len() == 1;
                    let vars: Vec<String> = vars.iter().map(|v| v.to_string()).collect();
                    (
                        Kind::Value,
                        Class::Declared,
                        Reason::EnvUnset {
                            path: shown.clone(),
                            vars: vars.clone(),
                            direct,
                        },
                        vec![Fix::PassVars { vars }],
                    )
                } else {
                    let kind = if type_differs(c, d) {
                        Kind::Type
                    } else {
                        Kind::Value
                    };
                    let what = if kind == Kind::Type {
                        DeployedShown::Type(d.type_name())
                    } else {
                        DeployedShown::Value(show_deployed(d))
                    };
                    (
                        kind,
                        Class::Drift,
                        Reason::DeployedDiffers {
                            path: shown.clone(),
                            deployed: what,
                            builds: c.describe(),
                            set_at: def,
                        },
                        vec![
                            redeploy(Redeploy::Restores(c.describe())),
                            Fix::Change {
                                at: def,
                                secrets: false,
                                note: def.as_ref().and_then(layer_note),
                            },
                        ],
                    )
                }
            }
            (None, None) => continue,
        };
        out.push(finding(
            &v.path,
            &shown,
            kind,
            class,
            vec![compiled_variant, deployed_variant],
            reason,
            fix,
        ));
    }
    out
}

fn finding(
    path: &[String],
    shown: &str,
    kind: Kind,
    class: Class,
    variants: Vec<Variant>,
    reason: Reason,
    fix: Vec<Fix>,
) -> Finding {
    Finding {
        path: shown.to_string(),
        section: path.first().cloned().unwrap_or_default(),
        kind,
        class,
        variants,
        reasons: vec![reason],
        fix,
        fixable: false,
        edit: None,
    }
}

/// Counts per class.
#[derive(Serialize, Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub drift: usize,
    pub declared: usize,
    pub unverified: usize,
}

pub fn counts(findings: &[Finding]) -> Counts {
    let mut c = Counts::default();
    for f in findings {
        match f.class {
            Class::Drift => c.drift += 1,
            Class::Declared => c.declared += 1,
            Class::Unverified => c.unverified += 1,
        }
    }
    c
}

/// For `diff --all`: the targets that are the odd ones out of a drift finding (every variant but the largest; on a
/// tie, all of them).
pub fn odd_ones_out(f: &Finding) -> Vec<&str> {
    let largest = f
        .variants
        .iter()
        .map(|v| v.targets.len())
        .max()
        .unwrap_or(0);
    let ties = f
        .variants
        .iter()
        .filter(|v| v.targets.len() == largest)
        .count();
    f.variants
        .iter()
        .filter(|v| ties > 1 || v.targets.len() < largest)
        .flat_map(|v| v.targets.iter().map(String::as_str))
        .collect()
}
