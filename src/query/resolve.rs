//! What a bare reference or a `$variable` names in one built target, as a place to show: evaluation's own lookup
//! ([`crate::eval::resolve`]) on the target's merged tree, so the editor's answer is the definition `build` uses.

use crate::eval::resolve::{resolve, Resolution};
use crate::ir::{MNode, Merged};
use crate::source::{FileId, Span};

/// Where a reference leads in one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reached {
    /// The key path the reference means: the object that holds its first segment, then the path as written (past a
    /// definition, into its computed value).
    pub path: Vec<String>,
    /// Where the key that provides the value is written (a definition's key, or an object's), or `None` when the
    /// object evaluation looks in lacks the rest of the path (`build` reports it).
    pub at: Option<(FileId, Span)>,
}

/// Resolve `written`, a reference in a definition whose object is `scope`, in the target `merged` was built for.
/// `None` when no enclosing object holds its first segment.
pub fn reference(merged: &Merged, scope: &[String], written: &[String]) -> Option<Reached> {
    let (base, at) = match resolve(merged, scope, written) {
        Resolution::Reached { base, node, .. } => {
            let at = match node {
                MNode::Leaf(l) => {
                    let d = merged.data(l);
                    (d.origin.file, d.key_span)
                }
                MNode::Object(o) => (o.origin.file, o.origin.span),
            };
            (base, Some(at))
        }
        Resolution::Missing { base, .. } => (base, None),
        Resolution::Undefined => return None,
    };
    let path = scope[..base].iter().chain(written).cloned().collect();
    Some(Reached { path, at })
}

/// Where the `$name` this target uses is defined (its last definition in precedence order), as evaluation reads it.
pub fn variable(merged: &Merged, name: &str) -> Option<(FileId, Span)> {
    let d = merged.data(merged.vars.get(name)?);
    Some((d.origin.file, d.key_span))
}
