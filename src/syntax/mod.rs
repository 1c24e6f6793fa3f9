//! The syntax layer: lexer, syntax tree, parser, and the formatter. Knows nothing about files on disk, the CLI or the LSP.
pub mod ast;
pub mod fmt;
pub mod lexer;
pub mod parser;

pub use parser::{parse, parse_expression, parse_key_path};
