//! The command line. The only module that prints.
//!
//! Exit codes: 0 success; 1 the configuration has errors; 2 usage or I/O errors (bad flags, unknown
//! `--env`/`--provider`, unreadable files). Diagnostics go to stderr (human, or JSON Lines with
//! `--message-format json`); results go to stdout or the files asked for, written atomically.
//!
//! This file holds only the module list, [`main`] and its dispatch. Each command (or group of commands) has its own
//! file: `build`, `check`, `get` (get and explain), `explain_code`, `drift` (diff and drift), `fmt`, `schema`,
//! `secrets`, `completions` (completions and man). They share `args` (the grammar), `output` (messages and exit
//! codes), `entries` (which entries a command compiles) and `write` (atomic files), and never import each other or
//! this file.

mod args;
mod build;
mod check;
mod completions;
mod drift;
mod entries;
mod explain_code;
mod fmt;
mod get;
mod output;
mod schema;
mod secrets;
mod write;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, SchemaCommand};
pub use output::panic_report;
use output::Output;

/// A command line clap rejects. Its message quotes the offending argument; for `tuskc secrets` that argument may be a
/// value or a key typed in the wrong place (`secrets set NAME . VALUE`), so there only the kind of mistake and the
/// usage are printed.
fn command_line_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let secrets = std::env::args().skip(1).any(|a| a == "secrets");
    let shown = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if !secrets || shown {
        e.exit();
    }
    let what = match e.kind() {
        ErrorKind::UnknownArgument => "an argument `tuskc secrets` does not take",
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "an invalid value",
        ErrorKind::MissingRequiredArgument => "a required argument is missing",
        ErrorKind::InvalidSubcommand => "an unknown subcommand",
        _ => "an invalid command line",
    };
    eprintln!(
        "error: {what} (arguments are not shown: one may be a value or a key)\n\n\
         `tuskc secrets` reads values from stdin or a no-echo prompt, never from the command line.\n\
         For usage, run `tuskc secrets --help` or `tuskc secrets SUBCOMMAND --help`."
    );
    ExitCode::from(2)
}

/// Run the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return command_line_error(e),
    };
    let mut out = Output::new(&cli);
    let code = match &cli.command {
        Command::Build(a) => build::build(a, &mut out),
        Command::Check(a) => check::check(a, &mut out),
        Command::Get(a) => get::get_or_explain(a, &mut out, false),
        Command::Explain(a) => get::get_or_explain(a, &mut out, true),
        Command::Diff(a) => crate::cli::drift::diff(a, &mut out),
        Command::Drift(a) => crate::cli::drift::drift(a, &mut out),
        Command::Schema(SchemaCommand::Export {
            path,
            schema,
            output,
            env,
            provider,
        }) => crate::cli::schema::export(
            path,
            schema.as_deref(),
            (env.as_deref(), provider.as_deref()),
            output.as_deref(),
            &mut out,
        ),
        Command::Schema(SchemaCommand::Diff { old, new, path }) => {
            crate::cli::schema::diff(old, new, path, &mut out)
        }
        Command::Secrets(c) => crate::cli::secrets::run(c, &mut out),
        Command::Fmt { check, paths } => crate::cli::fmt::run(paths, *check, &mut out),
        Command::Lsp => crate::lsp::run(),
        Command::ExplainCode { code } => explain_code::explain_code(code.as_deref()),
        Command::Completions { shell } => completions::completions(*shell),
        Command::Man => completions::man(),
    };
    ExitCode::from(code)
}
