//! Schema checking: values against types ([`check`]), the static checks of declarations ([`validate`]), string
//! formats ([`formats`]), walking types without a value ([`types`]), JSON Schema export and validation ([`json_schema`]), and schema evolution ([`diff`]).
//!
//! Runs after evaluation; the table of declared types itself is lowered into [`crate::ir::schema`].

pub mod check;
pub mod diff;
pub mod formats;
pub mod json_schema;
pub mod types;
pub mod validate;
