//! tuskc: a compiler for TuskLang-style configuration.
//!
//! The pipeline (see ARCHITECTURE.md): source text → tokens → syntax tree → layers → merged tree for one target →
//! evaluated value tree → emitted text. Diagnostics travel beside it in a [`diagnostic::Sink`].
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod check;
pub mod cli;
mod cli_drift;
mod cli_fmt;
mod cli_schema;
mod cli_secrets;
pub mod diagnostic;
pub mod drift;
pub mod driver;
pub mod emit;
pub mod eval;
pub mod fmt;
pub mod json_schema;
pub mod lower;
pub mod lsp;
pub mod merge;
pub mod project;
pub mod render;
pub mod schema;
pub mod schema_diff;
pub mod secrets;
pub mod source;
pub mod stdlib;
mod stream;
pub mod syntax;
pub mod user_file;
pub mod value;
