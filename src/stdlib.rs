//! The standard library: `.tsk` modules embedded in the binary, loaded as virtual files so they get the same
//! parser and diagnostics as user code. Invariant: a module's name is its path under `stdlib/` without `.tsk`.

/// (name, source) of every embedded module.
pub const MODULES: &[(&str, &str)] = &[
    ("std/ports", include_str!("../stdlib/std/ports.tsk")),
    ("std/types", include_str!("../stdlib/std/types.tsk")),
    ("std/aws", include_str!("../stdlib/std/aws.tsk")),
    ("std/azure", include_str!("../stdlib/std/azure.tsk")),
    ("std/gcp", include_str!("../stdlib/std/gcp.tsk")),
];

/// The module whose types every program knows without a `use`.
pub const PRELUDE: &str = "std/types";

/// The source of a module, named with or without `.tsk`.
pub fn get(name: &str) -> Option<(&'static str, &'static str)> {
    let name = name.strip_suffix(".tsk").unwrap_or(name);
    MODULES.iter().find(|(n, _)| *n == name).copied()
}

/// The module's file in `sources`, added on first use (a module is one virtual file however often it is loaded).
/// `None` if the standard library has no such module.
pub fn load(sources: &mut crate::source::SourceMap, name: &str) -> Option<crate::source::FileId> {
    let (name, text) = get(name)?;
    let kind = crate::source::FileKind::Stdlib(name.to_string());
    Some(
        sources
            .find(&kind)
            .unwrap_or_else(|| sources.add(kind, format!("<{name}.tsk>"), text.to_string())),
    )
}
