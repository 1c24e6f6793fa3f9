//! What a bare reference names: the one lookup rule, used by evaluation and by every question about references
//! (the language server's definition and hover ask through [`crate::query::resolve`]).
//!
//! The rule: late binding on the target's merged tree, lexical scope: from the object the definition sits in
//! outwards, the innermost object that holds the reference's *first* segment wins; the rest of the path is then
//! followed from there only (a missing key is an error, never a fall back to an outer object). Nothing here
//! allocates: evaluation resolves every reference of every target through it.

use crate::ir::{MNode, MObject, Merged};

/// Where a reference `path` written in the object `scope` leads in a merged tree.
#[derive(Clone, Copy, Debug)]
pub enum Resolution<'m> {
    /// It reaches `node`, whose key path is `scope[..base]` followed by `path[..consumed]`. `path[consumed..]` is
    /// empty unless `node` is a definition: then those segments step into its value.
    Reached {
        base: usize,
        consumed: usize,
        node: &'m MNode,
    },
    /// `scope[..base]` holds the first segment, but `object` (at `scope[..base]` + `path[..consumed]`) lacks
    /// `path[consumed]`.
    Missing {
        base: usize,
        consumed: usize,
        object: &'m MObject,
    },
    /// No enclosing object holds the first segment.
    Undefined,
}

/// Resolve `path`, written in a definition whose object is `scope`, against `merged`.
pub fn resolve<'m, S: AsRef<str>>(
    merged: &'m Merged,
    scope: &[String],
    path: &[S],
) -> Resolution<'m> {
    let Some(first) = path.first() else {
        return Resolution::Undefined;
    };
    for base in (0..=scope.len()).rev() {
        let Some(mut node) =
            object_at(merged, &scope[..base]).and_then(|o| o.fields.get(first.as_ref()))
        else {
            continue;
        };
        let mut consumed = 1;
        while let (MNode::Object(o), Some(seg)) = (node, path.get(consumed)) {
            match o.fields.get(seg.as_ref()) {
                Some(n) => {
                    node = n;
                    consumed += 1;
                }
                None => {
                    return Resolution::Missing {
                        base,
                        consumed,
                        object: o,
                    }
                }
            }
        }
        return Resolution::Reached {
            base,
            consumed,
            node,
        };
    }
    Resolution::Undefined
}

/// The object at `path` in `merged`, if every segment names an object.
pub fn object_at<'m>(merged: &'m Merged, path: &[String]) -> Option<&'m MObject> {
    let mut cur: &'m MObject = &merged.root;
    for seg in path {
        match cur.fields.get(seg.as_str())? {
            MNode::Object(o) => cur = o,
            MNode::Leaf(_) => return None,
        }
    }
    Some(cur)
}
