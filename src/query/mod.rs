//! Queries over a compiled project, beside the pipeline: drift between targets and against what is deployed
//! ([`drift`], and [`drift_fix`] for `--fix`), where a key's value came from ([`explain`]), what a reference names ([`resolve`], by evaluation's
//! rule), the schema type at a key path ([`schema_at`]). The command line and the language server ask here; they do
//! not compute answers themselves.

pub mod drift;
pub mod drift_fix;
pub mod explain;
pub mod resolve;
pub mod schema_at;
