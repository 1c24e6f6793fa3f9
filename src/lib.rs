//! tuskc: a compiler for TuskLang-style configuration, as a library.
//!
//! A [`Project`] is a configuration's source files, opened from disk ([`Project::open`]) or given as text
//! ([`Project::from_sources`]). Asking it for a [`Target`] (an environment and a provider) merges the layers,
//! evaluates, type-checks and gives a [`Compiled`] configuration: its JSON, TOML, YAML or dotenv text, a value by
//! key path, a serde deserialization into the caller's own types, or the explanation of where a value came from.
//! What goes wrong comes back as [`Diagnostics`]: data (code, severity, message, places) plus the text `tuskc`
//! prints. A project is `Send + Sync` and caches each compiled target until one of its inputs changes.
//!
//! ```
//! let project = tuskc::Project::from_sources([(
//!     "app.tsk",
//!     "[server]\nport: 8080\nenv production {\n    [server]\n    port: 443\n}\n",
//! )])?;
//! let prod = project.target(Some("production"), None)?;
//! assert_eq!(prod.get("server.port").map(|v| v.to_string()), Some("443".to_string()));
//! # Ok::<(), tuskc::Diagnostics>(())
//! ```
//!
//! docs/api.md is the guide; ARCHITECTURE.md describes the compiler's pipeline, whose modules are private.
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
// The compiler's modules serve the tool first: `build`, `drift`, `fmt`, `secrets` and the editor use parts of them
// the facade does not reach (schema diff, the formatter, the secrets store's writers, ...). Without `cli`, those
// parts are unused by design; the default build, which CI lints with `-D warnings`, still reports dead code.
#![cfg_attr(not(feature = "cli"), allow(dead_code))]

/// `eprint!`/`eprintln!`/`print!`/`println!` that never panic: a closed pipe (`tuskc check 2>&1 | head -1`) ends
/// the reader's interest, not the compiler (the std macros panic when the write fails). Declared before the modules
/// so every module may use them; clippy's `disallowed_macros` keeps the std ones out. Only the tool prints, so they
/// exist only with the `cli` feature: a library build cannot write to its host's stdout or stderr.
#[cfg(feature = "cli")]
macro_rules! eprint {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($t)*);
    }};
}
#[cfg(feature = "cli")]
macro_rules! eprintln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}
#[cfg(feature = "cli")]
macro_rules! print {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}
#[cfg(feature = "cli")]
macro_rules! println {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// The compiler's modules. Only the facade below is the library's API: the modules are `pub(crate)`, and public
/// (hidden from the docs, outside semver) only with the `internals` feature, which tuskc's own integration tests,
/// benches and fuzz targets turn on (Cargo.toml's self dev-dependency). A program using the crate never sees them.
macro_rules! internal {
    ($($(#[$attr:meta])* $name:ident;)*) => {$(
        $(#[$attr])*
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
        $(#[$attr])*
        #[cfg(not(feature = "internals"))]
        pub(crate) mod $name;
    )*};
}

internal! {
    api;
    #[cfg(feature = "cli")]
    cli;
    diagnostic;
    driver;
    emit;
    eval;
    ir;
    lower;
    #[cfg(feature = "cli")]
    lsp;
    merge;
    query;
    schema;
    secrets;
    source;
    stdlib;
    syntax;
    user_file;
    value;
}

/// The `tuskc` binary's entry points (src/main.rs): not API.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub use cli::{main as cli_main, panic_report as cli_panic_report};

pub use api::{Build, Compiled, Diagnostic, Diagnostics, Label, Project, Severity, Target};
