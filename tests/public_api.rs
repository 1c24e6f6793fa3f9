//! Every item of the library's public API has a runnable example in its rustdoc (the doctests `cargo test` runs).
//! The API is what the crate root re-exports (src/lib.rs: `pub use api::{...}`); this test reads the files that
//! define it and fails naming any public type or function whose doc comment has no code block.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// The files the facade's items are defined in: the `api` module, and the two types it re-exports from below
/// (those files define internal types too: only the named ones are API).
const FILES: &[(&str, Option<&str>)] = &[
    ("src/api/mod.rs", None),
    ("src/api/diagnostics.rs", None),
    ("src/ir/merged.rs", Some("Target")),
    ("src/diagnostic/mod.rs", Some("Severity")),
];

/// The public names the crate root exports.
fn exported() -> Vec<String> {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let start = lib
        .find("pub use api::{")
        .expect("lib.rs re-exports the facade")
        + "pub use api::{".len();
    let end = start + lib[start..].find('}').unwrap();
    lib[start..end]
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `(file, line, item)` of each public item of an exported type (the type itself, its `pub fn`s) whose doc
/// comment has no code block.
fn undocumented(exported: &[String]) -> Vec<String> {
    let mut missing = Vec::new();
    for (file, only) in FILES {
        let exported: Vec<String> = match only {
            Some(name) => vec![name.to_string()],
            None => exported.to_vec(),
        };
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // The exported type whose `impl` block we are in (its `pub fn`s are API), if any.
        let mut in_impl: Option<bool> = None;
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            if !line.starts_with(' ') && t.starts_with("impl") {
                in_impl = Some(
                    exported.iter().any(|n| {
                        t.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .any(|w| w == n)
                    }) && !t.contains(" for "),
                );
            } else if line.starts_with('}') {
                in_impl = None;
            }
            let item = ["pub struct ", "pub enum ", "pub fn "]
                .iter()
                .find_map(|k| t.strip_prefix(k).map(|rest| (*k, rest)));
            let Some((kind, rest)) = item else { continue };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let public = match kind {
                "pub fn " => in_impl == Some(true) && line.starts_with("    pub fn"),
                _ => exported.contains(&name),
            };
            if !public {
                continue;
            }
            let doc: Vec<&str> = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    l.trim_start().starts_with("///") || l.trim_start().starts_with("#[")
                })
                .copied()
                .collect();
            if !doc.iter().any(|l| l.trim_start().starts_with("/// ```")) {
                missing.push(format!("{file}:{}: {}", i + 1, t));
            }
        }
    }
    missing
}

#[test]
fn every_public_item_has_an_example() {
    let exported = exported();
    for name in ["Project", "Compiled", "Diagnostics", "Target", "Severity"] {
        assert!(
            exported.contains(&name.to_string()),
            "{name} is not exported: {exported:?}"
        );
    }
    let missing = undocumented(&exported);
    assert!(
        missing.is_empty(),
        "public items without an example:\n{}",
        missing.join("\n")
    );
}
