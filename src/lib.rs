//! tuskc: a compiler for TuskLang-style configuration.
//!
//! The pipeline (see ARCHITECTURE.md): source text → tokens → syntax tree → layers → merged tree for one target →
//! evaluated value tree → emitted text. Diagnostics travel beside it in a [`diagnostic::Sink`].
//!
//! Programs that load configuration use the facade at the crate root ([`Project`], [`Compiled`], [`Diagnostics`];
//! docs/api.md): the other modules are the compiler's own.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

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

pub mod api;
#[cfg(feature = "cli")]
pub mod cli;
pub mod diagnostic;
pub mod driver;
pub mod emit;
pub mod eval;
pub mod ir;
pub mod lower;
#[cfg(feature = "cli")]
pub mod lsp;
pub mod merge;
pub mod query;
pub mod schema;
pub mod secrets;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod user_file;
pub mod value;

pub use api::{Build, Compiled, Diagnostic, Diagnostics, Label, Project, Severity, Target};
