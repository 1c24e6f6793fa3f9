//! The per-target trees stay small: `build --all` builds one per target, and their size is most of its memory
//! traffic (docs/performance.md). Growing one of these types is a deliberate decision: change the bound here and say
//! why in the commit.

#[cfg(target_pointer_width = "64")]
#[test]
fn tree_nodes_stay_small() {
    use std::mem::size_of;
    assert_eq!(size_of::<tuskc::value::Origin>(), 24);
    // 88 since issue 19 (second round): `unset_env`, the unset `@env` variables a value was computed from (a thin
    // pointer), so `drift` declares what it cannot check (was 80).
    assert!(size_of::<tuskc::value::Value>() <= 88);
    // A merged leaf is a definition number and its history: copying a target's objects copies no counted pointers.
    assert!(size_of::<tuskc::ir::MNode>() <= 32);
    assert!(size_of::<tuskc::ir::MergedLeaf>() <= 32);
    assert!(size_of::<tuskc::ir::Node>() <= 32);
}

/// A file is mostly entries, one item each, and its syntax tree is about 25 times its source (docs/performance.md,
/// "Memory"): the rare large item (a schema declaration) is boxed so it does not size every entry.
#[cfg(target_pointer_width = "64")]
#[test]
fn syntax_items_stay_small() {
    use std::mem::size_of;
    assert!(size_of::<tuskc::syntax::ast::Item>() <= 136);
}
