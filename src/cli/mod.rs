//! The command line. The only module that prints.
//!
//! Exit codes: 0 success; 1 the configuration has errors; 2 usage or I/O errors (bad flags, unknown
//! `--env`/`--provider`, unreadable files). Diagnostics go to stderr (human, or JSON Lines with
//! `--message-format json`); results go to stdout or the files asked for, written atomically.

mod drift;
mod fmt;
mod schema;
mod secrets;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::render;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Severity};
use crate::driver::Session;
use crate::emit::{to_json, Format};
use crate::ir::Program;
use crate::ir::{MNode, Target};
use crate::secrets::{IdentitySource, SecretMode};
use crate::value::{Origin, Value, ValueKind};

const AFTER_HELP: &str = "Exit codes:\n  0  success\n  1  the configuration has errors\n  2  usage or I/O error (bad flags, unknown --env/--provider, unreadable files)";

#[derive(Parser, Debug)]
#[command(name = "tuskc", version, about = "Compile TuskLang-style configuration for one environment and provider.", after_help = AFTER_HELP)]
pub struct Cli {
    /// How diagnostics are printed (to stderr): rendered text, or one JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Colour in rendered diagnostics (auto: only on a terminal, and not when NO_COLOR is set).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build the resolved configuration for one target (or every target with --all).
    #[command(after_help = AFTER_HELP)]
    Build(BuildArgs),
    /// Compile every target (or those chosen with --env/--provider), print all diagnostics, write nothing.
    #[command(after_help = AFTER_HELP)]
    Check(CheckArgs),
    /// Print one resolved value (strings raw, everything else as JSON).
    #[command(after_help = AFTER_HELP)]
    Get(KeyArgs),
    /// Show which layer and file:line produced a value, and what it overrode.
    #[command(after_help = AFTER_HELP)]
    Explain(KeyArgs),
    /// Compare the resolved configuration of two targets (or all, with --all): declared differences and drift.
    Diff(crate::cli::drift::DiffArgs),
    /// Compare a target's resolved configuration with what is deployed (a file exported from the running system).
    Drift(crate::cli::drift::DriftArgs),
    /// Work with schemas: export them as JSON Schema, or classify changes between two versions.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Manage the per-environment encrypted secrets stores (secrets/<env>.tsk).
    #[command(subcommand)]
    Secrets(crate::cli::secrets::SecretsCommand),
    /// Format .tsk files in place (one canonical layout; comments kept; meaning never changes).
    #[command(
        after_help = "Exit codes:\n  0  every file is formatted (or was formatted now)\n  1  --check: some files would change (listed on stdout); or a file has syntax errors\n  2  a path cannot be read or written"
    )]
    Fmt {
        /// Do not write; list the files that would change and exit 1 if there are any.
        #[arg(long)]
        check: bool,
        /// Files or directories (searched for .tsk files); `-` formats standard input to standard output.
        paths: Vec<PathBuf>,
    },
    /// Run the language server on standard input/output (for editors).
    Lsp,
    /// Explain a diagnostic code, e.g. `tuskc explain-code TSK0302`.
    ExplainCode {
        /// The code (TSK0302 or 0302); omit to list every code.
        code: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SchemaCommand {
    /// Print the project's schemas as JSON Schema (2020-12): the bound sections as properties, every declared
    /// type under `$defs`.
    #[command(after_help = AFTER_HELP)]
    Export {
        /// A .tsk file or a project directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Export only this schema (as the document's root), with the types it uses under `$defs`.
        #[arg(long, value_name = "NAME")]
        schema: Option<String>,
        /// Export the target of this environment: also the bindings made inside its `env` blocks (and those of
        /// the provider, given or tuskc.toml's default). Without --env or --provider: the base layer's bindings.
        #[arg(long = "env", short = 'e', value_name = "NAME")]
        env: Option<String>,
        /// Export the target of this provider: also the bindings made inside its `provider` blocks.
        #[arg(long, short = 'p', value_name = "NAME")]
        provider: Option<String>,
        /// Write to FILE (atomically) instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Classify schema changes between OLD and NEW as breaking or compatible; exit 1 if any is breaking.
    ///
    /// OLD and NEW are each a .tsk file or project directory, a git revision (`HEAD~1`: the project at PATH as of
    /// that revision), or `REV:FILE` (that file as of the revision).
    #[command(
        after_help = "Exit codes:\n  0  no breaking change\n  1  at least one breaking change (or a side has errors)\n  2  usage or I/O error (unknown revision, unreadable files)"
    )]
    Diff {
        old: String,
        new: String,
        /// The project a bare revision refers to.
        #[arg(long, default_value = ".")]
        path: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct Inputs {
    /// Environment to build (declared with `env NAME { }` or in tuskc.toml).
    #[arg(long = "env", short = 'e')]
    pub env: Option<String>,
    /// Provider to build (declared with `provider NAME { }` or in tuskc.toml).
    #[arg(long, short = 'p')]
    pub provider: Option<String>,
    /// Override a value: KEY.PATH=VALUE (highest precedence). VALUE is an expression if it parses as one, else text.
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub vars: EnvVarArgs,
    /// What @secret("name") becomes: `secret://name` (reference), a fixed mask (redact), or the value decrypted
    /// from the environment's store (resolve; needs an identity).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = SecretMode::Reference)]
    pub secrets: SecretMode,
    /// The age identity file that decrypts secrets (default: $TUSKC_IDENTITY, a path or the key itself).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Refuse a secrets store whose seal does not cover every value and recipient or does not verify (the
    /// production setting). With `--secrets resolve` the seal's MAC is checked; otherwise only its fingerprints.
    #[arg(long)]
    pub require_sealed: bool,
}

/// Where `@env` variables come from.
#[derive(Args, Debug, Clone)]
pub struct EnvVarArgs {
    /// Give an @env variable: NAME=VALUE (wins over --env-file and the process environment).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read @env variables from a dotenv file (NAME=VALUE lines); later files win.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Do not read the process environment for @env (only --var and --env-file).
    #[arg(long)]
    pub no_process_env: bool,
}

impl EnvVarArgs {
    pub(crate) fn read(&self, session: &mut Session) -> crate::eval::EnvInputs {
        session.env_inputs(&self.vars, &self.env_files, !self.no_process_env)
    }
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "all")]
    pub output: Option<PathBuf>,
    /// Build every environment × provider of every entry into --out-dir as <env>/<provider>/<entry>.<ext>.
    #[arg(long, requires = "out_dir")]
    pub all: bool,
    /// Output directory for --all.
    #[arg(long, value_name = "DIR", requires = "all")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Also validate each target's resolved output against this JSON Schema (the one the application publishes).
    #[arg(long, value_name = "FILE")]
    pub json_schema: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// Dotted key path, e.g. app.database.port.
    pub key: String,
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub inputs: Inputs,
    /// `get`: print JSON even for strings.
    #[arg(long)]
    pub json: bool,
    /// `get`: print a secret's decrypted value (implies --secrets resolve). Without it, secrets are never printed.
    #[arg(long)]
    pub reveal: bool,
}

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
        Command::Build(a) => build(a, &mut out),
        Command::Check(a) => check(a, &mut out),
        Command::Get(a) => get_or_explain(a, &mut out, false),
        Command::Explain(a) => get_or_explain(a, &mut out, true),
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
        Command::ExplainCode { code } => explain_code(code.as_deref()),
    };
    ExitCode::from(code)
}

pub(crate) struct Output {
    pub(crate) format: MessageFormat,
    color: bool,
    /// As given, for reports printed to stdout (which may be a terminal when stderr is not).
    pub(crate) color_choice: ColorChoice,
}

impl Output {
    fn new(cli: &Cli) -> Self {
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Output {
            format: cli.message_format,
            color,
            color_choice: cli.color,
        }
    }

    /// Print the session's diagnostics and return the exit code they imply.
    pub(crate) fn finish(&mut self, session: Session) -> u8 {
        self.finish_with(session, None)
    }

    /// [`Self::finish`], then a last line for people (`check`'s verdict), after every diagnostic and the count.
    pub(crate) fn finish_with(&mut self, mut session: Session, last: Option<String>) -> u8 {
        let usage = session.usage_error;
        let diags = session.take_diagnostics();
        self.print(&diags, &session);
        if let (MessageFormat::Human, Some(last)) = (self.format, last) {
            eprintln!("{last}");
        }
        exit_code(&diags, usage)
    }

    fn print(&self, diags: &[Diagnostic], session: &Session) {
        self.render_with(diags, &session.sources);
        if self.format == MessageFormat::Human && !diags.is_empty() {
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            eprintln!("{}", summary(errors, diags.len() - errors));
        }
    }

    /// Diagnostics to stderr: rendered text, or one JSON object per line.
    pub(crate) fn render_with(&self, diags: &[Diagnostic], sources: &crate::source::SourceMap) {
        let mut err = std::io::stderr().lock();
        match self.format {
            MessageFormat::Human => {
                let _ = err.write_all(render::human(diags, sources, self.color).as_bytes());
            }
            MessageFormat::Json => {
                // Buffered: stderr is unbuffered, and a write per piece of each line made 40,000 diagnostics take
                // seconds of system time.
                let mut buf = std::io::BufWriter::new(&mut err);
                for d in diags {
                    let _ = writeln!(buf, "{}", render::json(d, sources));
                }
                let _ = buf.flush();
            }
        }
    }

    /// A diagnostic before any session exists (the path cannot be read).
    pub(crate) fn early(&self, d: Diagnostic) -> u8 {
        self.fail(d, 2)
    }

    /// Print one diagnostic that has no place in a source file; return `code`.
    pub(crate) fn fail(&self, d: Diagnostic, code: u8) -> u8 {
        self.render_with(std::slice::from_ref(&d), &crate::source::SourceMap::new());
        code
    }

    /// Print a warning that has no place in a source file (the run goes on).
    pub(crate) fn warn(&self, d: Diagnostic) {
        self.render_with(std::slice::from_ref(&d), &crate::source::SourceMap::new());
    }

    /// A progress or result line for people (stderr; not with `--message-format json`).
    pub(crate) fn say(&self, text: &str) {
        if self.format == MessageFormat::Human {
            eprintln!("{text}");
        }
    }
}

/// What a panic prints: the location only. The message is not an argument, so it cannot be printed.
pub fn panic_report(location: Option<&std::panic::Location<'_>>) -> String {
    let at = location.map_or_else(
        || "an unknown place".to_string(),
        |l| format!("{}:{}", l.file(), l.line()),
    );
    format!("error: tuskc failed unexpectedly (internal error at {at}); please report this with the input that caused it. The panic message is not shown: it could quote configuration values.")
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

fn exit_code(diags: &[Diagnostic], usage: bool) -> u8 {
    let errors = diags.iter().any(|d| d.severity == Severity::Error);
    if usage && errors {
        2
    } else if errors {
        1
    } else {
        0
    }
}

/// Open the project and read the command-line inputs every compiling command shares.
fn start(
    path: &Path,
    inputs: &Inputs,
    out: &Output,
) -> Result<(Session, Option<crate::ir::Layer>, crate::eval::EnvInputs), u8> {
    let mut session = Session::open(path).map_err(|d| out.early(d))?;
    session.set_secrets(
        inputs.secrets,
        IdentitySource::from_flag_or_env(inputs.identity.as_deref()),
    );
    session.secrets.require_sealed = inputs.require_sealed;
    let overrides = session.overrides(&inputs.sets);
    let env = inputs.vars.read(&mut session);
    Ok((session, overrides, env))
}

/// The one entry a single-target command means.
/// A project with no entry is a usage error (exit 2) for every command that compiles entries, never "checked 0
/// targets": the message says where tuskc looked, that subdirectories are not searched, and how to name entries,
/// with `.tsk` files found below as examples.
fn no_entry(session: &mut Session) {
    let dir = &session.project.display_root;
    let below = crate::lower::project::tsk_files_below(dir, 3);
    let mut d = Diagnostic::error(
        Code::Manifest,
        format!("no .tsk entry file in `{}`", dir.display()),
    )
    .note(format!(
        "entries are the .tsk files directly in `{}` that no other file there `use`s; subdirectories are not searched",
        dir.display()
    ));
    d = match below.first() {
        Some(first) => {
            let names: Vec<String> = below
                .iter()
                .map(|p| crate::lower::project::normalize(&dir.join(p)).display().to_string())
                .collect();
            d.note(format!("found below it: {}", names.join(", ")))
                .help(format!(
                    "name the file (`{}`), or list the entries in {}: `entries = [\"{}\"]` under `[project]`",
                    names[0],
                    crate::lower::project::MANIFEST,
                    first.display()
                ))
        }
        None => d.help(format!(
            "name a .tsk file, or list the entries in {}: `entries = [\"app.tsk\"]` under `[project]`",
            crate::lower::project::MANIFEST
        )),
    };
    session.usage_error = true;
    session.sink.push(d);
}

/// Refuse a project with no entry before building or checking "all" of them (see [`no_entry`]).
fn has_entries(session: &mut Session) -> bool {
    if session.project.entries.is_empty() {
        no_entry(session);
        return false;
    }
    true
}

/// `builds_all`: the command takes `--all --out-dir DIR` (`build`), so the help may offer it.
pub(crate) fn single_entry(session: &mut Session, builds_all: bool) -> Option<PathBuf> {
    match session.project.entries.as_slice() {
        [one] => Some(one.clone()),
        [] => {
            no_entry(session);
            None
        }
        many => {
            session.usage_error = true;
            let names: Vec<String> = many.iter().map(|p| p.display().to_string()).collect();
            session.sink.push(
                Diagnostic::error(
                    Code::Manifest,
                    format!(
                        "`{}` has {} entry files; name one",
                        session.project.display_root.display(),
                        many.len()
                    ),
                )
                .note(format!("entries: {}", names.join(", ")))
                .help(if builds_all {
                    "pass the file, or use --all --out-dir DIR to build them all"
                } else {
                    "pass one of the entry files"
                }),
            );
            None
        }
    }
}

fn build(a: &BuildArgs, out: &mut Output) -> u8 {
    let (mut session, overrides, inputs) = match start(&a.path, &a.inputs, out) {
        Ok(started) => started,
        Err(code) => return code,
    };
    if session.usage_error {
        return out.finish(session);
    }
    if let (true, Some(dir)) = (a.all, &a.out_dir) {
        if !has_entries(&mut session) {
            return out.finish(session);
        }
        if let Some((clash, first, second)) = output_name_clash(&session.project.entries, a.format)
        {
            let clash = session.at_manifest_entry(clash, &second, true, "listed here");
            let clash = session.at_manifest_entry(clash, &first, false, "same output name");
            session.usage_error = true;
            session.sink.push(clash);
            return out.finish(session);
        }
        let mut failed: Vec<String> = Vec::new();
        let mut staged = Staged::default();
        // Building needs the lowered layers, not the syntax trees they were lowered from.
        session.keep_syntax = false;
        // The last entry's program is never dropped: the process ends right after, and freeing a large program
        // node by node costs more than anything else the run does after its last target (5% of a 1000-service
        // build). Earlier entries' programs are dropped as the next one loads.
        let mut last: Option<Program> = None;
        for entry in session.project.entries.clone() {
            drop(last.take());
            let Some(program) = session.load(&entry) else {
                continue;
            };
            let targets = session.filtered_targets(
                &program,
                a.inputs.env.as_deref(),
                a.inputs.provider.as_deref(),
            );
            let name = output_name(&entry, a.format);
            for target in targets {
                let file = dir
                    .join(target.env.as_deref().unwrap_or("default"))
                    .join(target.provider.as_deref().unwrap_or("default"))
                    .join(&name);
                if !build_one(
                    &mut session,
                    &program,
                    &target,
                    overrides.as_ref(),
                    &inputs,
                    a.format,
                    Dest::Staged(&file, &mut staged),
                ) {
                    failed.push(format!("{} ({})", target, entry.display()));
                }
            }
            last = Some(program);
        }
        std::mem::forget(last);
        for (path, e) in staged.commit() {
            write_failed(&mut session, &path, &e);
        }
        if !failed.is_empty() && out.format == MessageFormat::Human {
            eprintln!(
                "failed targets, nothing written for them: {}",
                failed.join(", ")
            );
        }
        return out.finish(session);
    }
    let Some(entry) = single_entry(&mut session, true) else {
        return out.finish(session);
    };
    // Building needs the lowered layers, not the syntax trees they were lowered from (a tree is about 25 times its
    // source: docs/performance.md, "Memory").
    session.keep_syntax = false;
    let Some(program) = session.load(&entry) else {
        return out.finish(session);
    };
    if let Some(target) = session.select_target(
        &program,
        a.inputs.env.as_deref(),
        a.inputs.provider.as_deref(),
        true,
    ) {
        build_one(
            &mut session,
            &program,
            &target,
            overrides.as_ref(),
            &inputs,
            a.format,
            a.output.as_deref().map_or(Dest::Stdout, Dest::File),
        );
    }
    out.finish(session)
}

/// The file name an entry's output gets in each target's directory of `build --all --out-dir`: the entry's name with
/// the format's extension.
fn output_name(entry: &Path, format: Format) -> String {
    let stem = entry
        .file_stem()
        .map_or_else(|| "config".into(), |s| s.to_string_lossy());
    format!("{stem}.{}", format.extension())
}

/// Two entries whose outputs would have the same name (`a/config.tsk`, `b/config.tsk`), or names that differ only in
/// case (one file on macOS and Windows): refused before anything is built, as one would silently overwrite the other.
/// The layout stays `<env>/<provider>/<name>` for every project rather than changing when a name is added.
/// Returns the diagnostic with the first entry and the one that clashes with it.
fn output_name_clash(
    entries: &[PathBuf],
    format: Format,
) -> Option<(Diagnostic, PathBuf, PathBuf)> {
    let mut seen: std::collections::HashMap<String, &PathBuf> = std::collections::HashMap::new();
    for entry in entries {
        let name = output_name(entry, format);
        match seen.entry(name.to_lowercase()) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(entry);
            }
            std::collections::hash_map::Entry::Occupied(first) => {
                let first = first.get();
                return Some((
                    Diagnostic::error(
                        Code::OutputClash,
                        format!(
                            "entries `{}` and `{}` would both be written to `<env>/<provider>/{name}`",
                            first.display(),
                            entry.display()
                        ),
                    )
                    .note("nothing was built or written")
                    .help("rename one of the entry files, or build each into its own directory with `tuskc build FILE --all --out-dir DIR`"),
                    (*first).clone(),
                    entry.clone(),
                ));
            }
        }
    }
    None
}

/// Build and emit one target; write to `file` atomically, or to stdout. Nothing is written on any error.
fn build_one(
    session: &mut Session,
    program: &Program,
    target: &Target,
    overrides: Option<&crate::ir::Layer>,
    inputs: &crate::eval::EnvInputs,
    format: Format,
    dest: Dest,
) -> bool {
    // A target fails on its own errors or its program's, never on another target's.
    // Targets of one project have texts of about the same length: the previous one sizes the buffer.
    let size_hint = match &dest {
        Dest::Staged(_, staged) => staged.last_len,
        _ => 0,
    };
    let Some(text) = session.build_text(program, target, overrides, inputs, format, size_hint)
    else {
        return false;
    };
    let private = session.secrets.mode == SecretMode::Resolve;
    let (path, written) = match dest {
        Dest::Stdout => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            return true;
        }
        Dest::File(path) => (path, write_output(path, text.as_bytes(), private)),
        Dest::Staged(path, staged) => {
            staged.last_len = text.len();
            (path, staged.add(path, text.as_bytes(), private))
        }
    };
    match written {
        Ok(()) => true,
        Err(e) => {
            write_failed(session, path, &e);
            false
        }
    }
}

/// An output file could not be written: an I/O error, and exit code 2.
fn write_failed(session: &mut Session, path: &Path, e: &std::io::Error) {
    session.usage_error = true;
    session.sink.push(
        Diagnostic::error(Code::Io, format!("cannot write `{}`: {e}", path.display())).help(
            "write to a regular file (or a symlink to one) in a writable directory, a FIFO or a character device",
        ),
    );
}

/// Where [`build_one`] puts a target's text.
enum Dest<'a> {
    Stdout,
    /// Written atomically at once.
    File(&'a Path),
    /// Written to a temporary file now, moved into place by [`Staged::commit`].
    Staged(&'a Path, &'a mut Staged),
}

/// The output files of `build --all`: each target's text goes to a temporary file beside its output as the target is
/// built, and [`Staged::commit`] flushes them all to disk, then renames each over its output. Every file still appears
/// atomically (readers see the old file or the new one), a target that fails is never staged (its previous output
/// stays), and the disk is flushed once for all the targets rather than once per file. An output that is a FIFO or a
/// device (see [`OutputPlace`]) keeps its text in memory and is written at the commit, in the same order.
#[derive(Default)]
struct Staged {
    /// Each output as the user named it, and what will be written where.
    files: Vec<(PathBuf, Pending)>,
    /// The length of the last text staged (the next target's is about the same).
    last_len: usize,
}

/// A staged output: a temporary file to rename over the resolved path, or the bytes to write through.
enum Pending {
    Replace(tempfile::NamedTempFile, PathBuf),
    Through(Vec<u8>, PathBuf),
}

impl Staged {
    fn add(&mut self, path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
        let pending = match output_place(path)? {
            OutputPlace::Replace(file) => {
                Pending::Replace(write_temporary(&file, bytes, private)?, file)
            }
            OutputPlace::Through(file) => Pending::Through(bytes.to_vec(), file),
        };
        self.files.push((path.to_path_buf(), pending));
        Ok(())
    }

    /// Flush every staged file, then move each into place. The files that could not be written, with the error.
    fn commit(self) -> Vec<(PathBuf, std::io::Error)> {
        let mut failed = Vec::new();
        let mut synced = Vec::new();
        for (path, pending) in self.files {
            match &pending {
                Pending::Replace(tmp, _) => match tmp.as_file().sync_all() {
                    Ok(()) => synced.push((path, pending)),
                    Err(e) => failed.push((path, e)),
                },
                Pending::Through(..) => synced.push((path, pending)),
            }
        }
        for (path, pending) in synced {
            let written = match pending {
                Pending::Replace(tmp, file) => replace_with(tmp, &file),
                Pending::Through(bytes, file) => write_through(&file, &bytes),
            };
            if let Err(e) = written {
                failed.push((path, e));
            }
        }
        failed
    }
}

/// Where an output path's bytes go, decided before anything is written.
enum OutputPlace {
    /// A regular file, or nothing yet, at this path with every symlink resolved: replaced atomically through a
    /// temporary file beside it (a symlink stays a link and its target gets the new text).
    Replace(PathBuf),
    /// A FIFO, a character device (`/dev/null`, a terminal) or a name for an open descriptor (`/dev/stdout`,
    /// `/dev/fd/N`, `/proc/self/fd/N`): written directly, never renamed over (renaming would put a regular file in the
    /// device's place, or write a file the reader never sees).
    Through(PathBuf),
}

/// How many symlinks [`names_open_descriptor`] follows (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// Decide where an output named `path` is written. A directory, a block device, a socket and a symlink to nothing are
/// refused: `cp` refuses to write through a dangling symlink too, as what the link should name is a guess.
fn output_place(path: &Path) -> std::io::Result<OutputPlace> {
    let refused = |why: &str| std::io::Error::other(why.to_string());
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match std::fs::symlink_metadata(path) {
                Ok(_) => Err(refused(
                    "it is a symlink to a file that does not exist (create the file it names, or remove the link)",
                )),
                Err(_) => Ok(OutputPlace::Replace(path.to_path_buf())),
            };
        }
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(refused("it is a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() || kind.is_fifo() {
            return Ok(OutputPlace::Through(path.to_path_buf()));
        }
    }
    if !kind.is_file() {
        return Err(refused(
            "it is not a regular file, a FIFO or a character device",
        ));
    }
    if names_open_descriptor(path) {
        return Ok(OutputPlace::Through(path.to_path_buf()));
    }
    Ok(OutputPlace::Replace(std::fs::canonicalize(path)?))
}

/// Whether `path` (or a symlink on the way from it) names an open file descriptor, as `/dev/stdout` does: its
/// "target" is whatever the descriptor has open, so the file behind it is written, not replaced.
fn names_open_descriptor(path: &Path) -> bool {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        if at.starts_with("/proc") || at.starts_with("/dev/fd") {
            return true;
        }
        match std::fs::read_link(&at) {
            // A relative link is relative to the link's directory; an absolute one replaces the path.
            Ok(to) => at = at.parent().map_or_else(|| to.clone(), |dir| dir.join(&to)),
            Err(_) => return false,
        }
    }
    false
}

/// Write `bytes` to a FIFO, a device or an open descriptor's file, appending as a shell's `>>` would (for `/dev/stdout`
/// redirected to a file, the shell has already truncated it, or means it to grow).
fn write_through(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// Rename a flushed temporary file over `file`, which must still be a regular file or nothing: never over a device, a
/// FIFO or a directory that took its place since [`output_place`] looked.
fn replace_with(tmp: tempfile::NamedTempFile, file: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(file) {
        Ok(meta) if !meta.is_file() => {
            return Err(std::io::Error::other(
                "it is no longer a regular file; nothing was renamed over it",
            ))
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    tmp.persist(file).map_err(|e| e.error)?;
    Ok(())
}

/// Write an output file: atomically (temporary file + rename) over a regular file or where none is, through a symlink
/// to its target, and directly into a FIFO or a character device (see [`OutputPlace`]). A file holding resolved
/// secrets is readable by its owner only (0600); any other keeps the mode of the file it replaces, or gets 0644. The
/// one way every command writes a file it was asked to write.
pub fn write_output(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    match output_place(path)? {
        OutputPlace::Through(file) => write_through(&file, bytes),
        OutputPlace::Replace(file) => {
            let tmp = write_temporary(&file, bytes, private)?;
            tmp.as_file().sync_all()?;
            replace_with(tmp, &file)
        }
    }
}

/// Create `path` atomically with `bytes`, failing if it exists (also if another process creates it meanwhile).
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temporary(path, bytes, false)?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// The mode an output file at `path` gets: 0600 if `private`; else exactly the mode of the file it replaces
/// (`exact`: set on the open temporary file, where the umask does not apply, so a 0664 file stays 0664); else 0644
/// less the umask, as any new file.
#[cfg(unix)]
struct OutputMode {
    mode: u32,
    exact: bool,
}

#[cfg(unix)]
fn output_mode(path: &Path, private: bool) -> OutputMode {
    use std::os::unix::fs::PermissionsExt;
    let replaced = std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    match (private, replaced) {
        (true, _) => OutputMode {
            mode: 0o600,
            exact: false,
        },
        (false, Some(mode)) => OutputMode { mode, exact: true },
        (false, None) => OutputMode {
            mode: 0o644,
            exact: false,
        },
    }
}

/// [`write_output`] for a file that holds no resolved secret (readers see the old file or the new one, never a torn
/// one; the file keeps the mode of the one it replaces, or gets 0644).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_output(path, bytes, false)
}

/// `bytes` in a new temporary file in `path`'s directory (created if missing), with the mode the output at `path`
/// gets ([`output_mode`]), not yet flushed or renamed. Every output file is made here.
fn write_temporary(
    path: &Path,
    bytes: &[u8],
    private: bool,
) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tuskc-").suffix(".tmp");
    // The temporary file is created with the final mode (less the umask), so a private file is never readable by
    // others; a replaced file's mode is then set exactly, past the umask.
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        let mode = output_mode(path, private);
        builder.permissions(std::fs::Permissions::from_mode(mode.mode));
        mode
    };
    #[cfg(not(unix))]
    let _ = private;
    let mut tmp = builder.tempfile_in(dir)?;
    #[cfg(unix)]
    if mode.exact {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode.mode))?;
    }
    tmp.write_all(bytes)?;
    Ok(tmp)
}

fn check(a: &CheckArgs, out: &mut Output) -> u8 {
    let (mut session, overrides, inputs) = match start(&a.path, &a.inputs, out) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let validator = match &a.json_schema {
        None => None,
        Some(file) => match crate::user_file::read_to_string(file) {
            Ok(text) => {
                match crate::schema::json_schema::compile(&text, &file.display().to_string()) {
                    Ok(v) => Some((v, file.display().to_string())),
                    Err(d) => {
                        session.usage_error = true;
                        session.sink.push(d);
                        return out.finish(session);
                    }
                }
            }
            Err(e) => {
                session.usage_error = true;
                session.sink.push(crate::user_file::read_error(
                    &format!("`{}`", file.display()),
                    &e,
                ));
                return out.finish(session);
            }
        },
    };
    if !has_entries(&mut session) {
        return out.finish(session);
    }
    let mut checked = 0;
    let mut failed = Vec::new();
    // Checking needs the lowered layers, not the syntax trees (as `build`).
    session.keep_syntax = false;
    for entry in session.project.entries.clone() {
        let Some(program) = session.load(&entry) else {
            continue;
        };
        for target in session.filtered_targets(
            &program,
            a.inputs.env.as_deref(),
            a.inputs.provider.as_deref(),
        ) {
            checked += 1;
            let before = session.sink.error_count();
            let built = session.build(&program, &target, overrides.as_ref(), &inputs);
            if let (Some((validator, name)), Some((_, value))) = (&validator, &built) {
                if session.sink.error_count() == before {
                    let mark = session.sink.len();
                    let found = crate::schema::json_schema::validate(
                        validator,
                        value,
                        name,
                        &session.sources,
                    );
                    session.sink.extend(found);
                    session.sink.tag_targets(mark, &target.to_string());
                }
            }
            if session.sink.error_count() > before || built.is_none() {
                failed.push(target.describe());
            }
        }
    }
    // The verdict ends the output, after the diagnostics it sums up.
    let last = if failed.is_empty() && !session.sink.has_errors() {
        Some(format!(
            "checked {checked} target{}: no errors",
            if checked == 1 { "" } else { "s" }
        ))
    } else if !failed.is_empty() {
        Some(format!("failing targets: {}", failed.join(", ")))
    } else {
        None
    };
    out.finish_with(session, last)
}

fn get_or_explain(a: &KeyArgs, out: &mut Output, explain: bool) -> u8 {
    let mut key_inputs = a.inputs.clone();
    if a.reveal && !explain {
        key_inputs.secrets = SecretMode::Resolve;
    }
    let (mut session, overrides, inputs) = match start(&a.path, &key_inputs, out) {
        Ok(started) => started,
        Err(code) => return code,
    };
    if a.reveal && explain {
        session.usage_error = true;
        session.sink.push(
            Diagnostic::error(
                Code::Usage,
                "`--reveal` applies to `get`; `explain` never prints secret values",
            )
            .help("use `tuskc get KEY --reveal` to print a decrypted value"),
        );
        return out.finish(session);
    }
    // The key as `--set` and a file write it (`services."bad key".port`), else split at dots (`bad key`).
    let path: Vec<String> = match crate::syntax::parse_key_path(&a.key, crate::source::FileId(0)) {
        Some(kp) => kp.segments.into_iter().map(|s| s.name).collect(),
        None => a.key.split('.').map(str::to_string).collect(),
    };
    if path.iter().any(String::is_empty) {
        session.usage_error = true;
        session.sink.push(
            Diagnostic::error(Code::Usage, format!("`{}` is not a key path", a.key))
                .help("key paths look like `app.database.port`"),
        );
        return out.finish(session);
    }
    let Some(entry) = single_entry(&mut session, false) else {
        return out.finish(session);
    };
    let Some(program) = session.load(&entry) else {
        return out.finish(session);
    };
    let Some(target) = session.select_target(
        &program,
        a.inputs.env.as_deref(),
        a.inputs.provider.as_deref(),
        false,
    ) else {
        return out.finish(session);
    };
    let Some((merged, root)) = session.build(&program, &target, overrides.as_ref(), &inputs) else {
        return out.finish(session);
    };
    if program.has_errors {
        // Like `build`: a program with errors produces no value, only its diagnostics.
        return out.finish(session);
    }
    let Some(value) = root.get_path(&path) else {
        session.usage_error = true;
        if let Some(by) = merged.deleted_by(&path) {
            let at = by.origin();
            let (label, fix) = crate::eval::removal_label_and_fix(&by, &a.key);
            let d = Diagnostic::error(
                Code::KeyNotFound,
                format!(
                    "`{}` is not a key when building {}: {}",
                    crate::diagnostic::show_key(&a.key),
                    target.describe(),
                    crate::eval::deleted_by_text(&session.sources, &by)
                ),
            )
            .primary(at.file, at.span, label)
            .help(format!(
                "{fix}, or define `{}` again in a later layer",
                crate::diagnostic::show_key(&a.key)
            ));
            session.sink.push(d);
            return out.finish(session);
        }
        let mut d = Diagnostic::error(
            Code::KeyNotFound,
            format!(
                "`{}` is not a key when building {}",
                crate::diagnostic::show_key(&a.key),
                target.describe()
            ),
        );
        // Suggest from the deepest object the path reaches.
        let mut cur = &root;
        let mut reached = Vec::new();
        for seg in &path {
            match cur.get_path(std::slice::from_ref(seg)) {
                Some(next) => {
                    reached.push(seg.clone());
                    cur = next;
                }
                None => {
                    let at = match reached.is_empty() {
                        true => "the target".to_string(),
                        false => format!(
                            "`{}`",
                            crate::diagnostic::show_path(reached.iter().map(String::as_str))
                        ),
                    };
                    let help = match &cur.kind {
                        ValueKind::Object(m) => match did_you_mean(seg, m.keys().map(|k| &**k)) {
                            Some(s) => {
                                let mut p = reached.clone();
                                p.push(s.to_string());
                                format!(
                                    "did you mean `{}`?",
                                    crate::diagnostic::show_path(p.iter().map(String::as_str))
                                )
                            }
                            None if m.is_empty() => format!("{at} has no keys"),
                            None => {
                                const SHOWN: usize = 12;
                                let mut keys: Vec<String> = m
                                    .keys()
                                    .take(SHOWN)
                                    .map(|k| format!("`{}`", crate::diagnostic::show_key(k)))
                                    .collect();
                                if m.len() > SHOWN {
                                    keys.push(format!("and {} more", m.len() - SHOWN));
                                }
                                format!("the keys of {at} are {}", keys.join(", "))
                            }
                        },
                        _ => format!("{at} is {}, which has no keys", cur.describe()),
                    };
                    d = d.help(help);
                    break;
                }
            }
        }
        session.sink.push(d);
        return out.finish(session);
    };
    // A decrypted value is printed only by `get --reveal`; otherwise it is masked like `--secrets redact`.
    let masked;
    let value = if session.secrets.mode == SecretMode::Resolve && (explain || !a.reveal) {
        masked = crate::secrets::masked(value);
        &masked
    } else {
        value
    };
    if !explain {
        // Like `build`: a target that failed a check prints nothing, so `X=$(tuskc get ...)` never captures a value
        // the exit code disowns.
        if session.sink.has_errors() {
            return out.finish(session);
        }
        // Strings raw, everything else as JSON; a secret reference is a string (`build` writes it as one).
        let text = match (&value.kind, a.json) {
            (ValueKind::String(s), false) => format!("{s}\n"),
            (ValueKind::Secret(name), false) => {
                format!("{}\n", crate::value::secret_reference(name))
            }
            _ => format!(
                "{}\n",
                serde_json::to_string_pretty(&crate::emit::Json(value)).unwrap_or_default()
            ),
        };
        print!("{text}");
        return out.finish(session);
    }
    let text = explain_text(
        &session, &program, &target, &merged, &path, value, out.format,
    );
    print!("{text}");
    out.finish(session)
}

fn place(session: &Session, o: &Origin) -> String {
    let f = session.sources.get(o.file);
    let lc = f.line_col(o.span.start);
    format!("{}:{}:{}", f.name, lc.line, lc.column)
}

fn origin_json(session: &Session, o: &Origin) -> serde_json::Value {
    let f = session.sources.get(o.file);
    let lc = f.line_col(o.span.start);
    serde_json::json!({
        "layer": o.layer.to_string(), "file": f.name, "line": lc.line, "column": lc.column,
        "byte_start": o.span.start, "byte_end": o.span.end,
        "source": f.slice(o.span),
    })
}

fn explain_text(
    session: &Session,
    program: &Program,
    target: &Target,
    merged: &crate::ir::Merged,
    path: &[String],
    value: &Value,
    format: MessageFormat,
) -> String {
    // The deepest definition that holds the path (a leaf may hold a computed object the path reaches into).
    let mut defined: Option<(&Origin, &[Origin], usize)> = None;
    for depth in (1..=path.len()).rev() {
        match merged.node(&path[..depth]) {
            Some(MNode::Leaf(l)) => {
                defined = Some((&merged.data(l).origin, &l.overrode, depth));
                break;
            }
            Some(MNode::Object(o)) => {
                defined = Some((&o.origin, &o.overrode, depth));
                break;
            }
            None => {}
        }
    }
    let depth = defined.map_or(0, |(.., d)| d);
    // An object: each layer that set keys inside it, at its first definition there (the object's own first).
    let mut merged_from: Vec<Origin> = Vec::new();
    if let (true, Some(MNode::Object(o))) = (depth == path.len(), merged.node(path)) {
        layers_inside(merged, o, &mut merged_from);
        // In the order the layers apply (base first, `--set` last), not the order their keys come in.
        let order = crate::merge::layer_order(program, target);
        merged_from.sort_by_key(|o| {
            order
                .iter()
                .position(|l| l == &*o.layer)
                .unwrap_or(order.len())
        });
    }
    // A value computed from variables: each variable, where its value for this target was set and what that
    // replaced.
    let mut variables: Vec<(String, Origin, Option<Origin>)> = Vec::new();
    if let Some(MNode::Leaf(l)) = merged.node(&path[..depth]) {
        let mut names = Vec::new();
        expr_variables(&merged.data(l).expr, &mut names);
        for name in names {
            if let Some(var) = merged.vars.get(&name) {
                variables.push((name, merged.data(var).origin, var.overrode.last().copied()));
            }
        }
    }
    // Set inside an object that replaced what lower layers defined (`@replace`, or keys over a whole value): that
    // object's path, the replacing definition, and what the layers below it defined there (under `path`).
    let replaced = (1..=depth)
        .rev()
        .find_map(|d| match merged.node(&path[..d]) {
            Some(MNode::Object(o)) if !o.overrode.is_empty() => Some((d, o.origin)),
            _ => None,
        })
        .map(|(d, by)| {
            let within = path[d..].join(".");
            let below: Vec<(String, Origin)> =
                crate::merge::defined_below(program, target, &by.layer, &path[..d])
                    .into_iter()
                    .filter(|(k, _)| {
                        // A whole value below (`primary: $base`) is what keys over it replaced.
                        within.is_empty()
                            || k.is_empty()
                            || *k == within
                            || k.starts_with(&format!("{within}."))
                    })
                    .map(|(k, def)| {
                        let full = path[..d]
                            .iter()
                            .cloned()
                            .chain((!k.is_empty()).then_some(k));
                        (full.collect::<Vec<_>>().join("."), def.origin)
                    })
                    .collect();
            (path[..d].join("."), by, below)
        });
    // An object or array with a secret inside shows its other values, the secret masked (`secrets::masked`).
    let shown = match &value.kind {
        _ if !value.secret => serde_json::to_string(&crate::emit::Json(value)).unwrap_or_default(),
        ValueKind::Object(_) | ValueKind::Array(_) => {
            serde_json::to_string(&crate::emit::Json(&crate::secrets::masked(value)))
                .unwrap_or_default()
        }
        _ => value.describe(),
    };
    let key = path.join(".");
    if format == MessageFormat::Json {
        let j = serde_json::json!({
            "key": key,
            "value": to_json(value),
            "secret": value.secret,
            "defined": defined.map(|(o, ..)| origin_json(session, o)),
            "defined_by": defined.map(|(.., d)| path[..d].join(".")),
            "overrode": defined.map(|(_, h, _)| h.iter().rev().map(|o| origin_json(session, o)).collect::<Vec<_>>()),
            "merged_from": merged_from.iter().map(|o| origin_json(session, o)).collect::<Vec<_>>(),
            "variables": variables.iter().map(|(name, at, over)| serde_json::json!({
                "name": name,
                "defined": origin_json(session, at),
                "overrode": over.map(|o| origin_json(session, &o)),
            })).collect::<Vec<_>>(),
            "replaced": replaced.as_ref().map(|(object, by, below)| serde_json::json!({
                "object": object,
                "by": origin_json(session, by),
                "below": below.iter().map(|(k, o)| serde_json::json!({
                    "key": k,
                    "defined": origin_json(session, o),
                })).collect::<Vec<_>>(),
            })),
        });
        return format!("{}\n", serde_json::to_string_pretty(&j).unwrap_or_default());
    }
    // Source text quoted only when it is one line. An object's origin is its key: its value as written follows it.
    let one_line = |o: &Origin| {
        let f = session.sources.get(o.file);
        if o.layer == crate::value::LayerId::Override && o.span.is_empty() {
            // A `--set` object: its file is the value as typed.
            return (!f.text.contains('\n')).then_some(f.text.as_str());
        }
        // Not for a value with a secret inside: its text may hold the secret's plaintext.
        if let Some(v) = value_after_key(&f.text, o.span.end as usize).filter(|_| !value.secret) {
            return Some(v);
        }
        if let Some(header) = section_header(&f.text, o.span) {
            return Some(header);
        }
        let src = f.slice(o.span);
        (!src.contains('\n')).then_some(src)
    };
    let mut s = format!("{key} = {shown}\n");
    if value.origin.layer == crate::value::LayerId::SchemaDefault {
        s.push_str(&format!(
            "  the schema default at {}\n",
            place(session, &value.origin)
        ));
        return s;
    }
    if let Some((o, history, depth)) = defined {
        let within = if depth < path.len() {
            format!(" (inside `{}`)", path[..depth].join("."))
        } else {
            String::new()
        };
        s.push_str(&format!(
            "  set in the {} layer at {}{within}\n",
            o.layer,
            place(session, o)
        ));
        if let Some(src) = one_line(o).filter(|src| !src.is_empty()) {
            s.push_str(&format!("    {src}\n"));
        }
        for (name, at, over) in &variables {
            let src = one_line(at)
                .map(|src| format!(": {src}"))
                .unwrap_or_default();
            let over = over
                .map(|h| format!(" (over the {} layer's, at {})", h.layer, place(session, &h)))
                .unwrap_or_default();
            s.push_str(&format!(
                "  through `${name}`, set in the {} layer at {}{src}{over}\n",
                at.layer,
                place(session, at)
            ));
        }
        if let Some((object, by, below)) = &replaced {
            s.push_str(&format!(
                "  `{object}` replaced by the {} layer at {}; below it, {}\n",
                by.layer,
                place(session, by),
                if below.is_empty() {
                    format!("`{key}` was not set")
                } else {
                    "it was:".to_string()
                }
            ));
            for (k, o) in below {
                let src = one_line(o).unwrap_or("(several lines)");
                s.push_str(&format!(
                    "    {k} = {src}  ({} layer at {})\n",
                    o.layer,
                    place(session, o)
                ));
            }
        } else if history.is_empty() && merged_from.len() < 2 {
            s.push_str("  overrides nothing\n");
        }
        if merged_from.len() > 1 {
            let layers: Vec<String> = merged_from
                .iter()
                .map(|o| format!("{} ({})", o.layer, place(session, o)))
                .collect();
            s.push_str(&format!("  merged from: {}\n", layers.join(", ")));
        }
        if !history.is_empty() {
            s.push_str("  overrides:\n");
            for h in history.iter().rev() {
                let src = one_line(h)
                    .map(|src| format!(": {src}"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "    {} layer at {}{src}\n",
                    h.layer,
                    place(session, h)
                ));
            }
        }
    }
    s
}

/// The layers that set `obj` or keys inside it, each once, at its first definition in key order.
fn layers_inside(merged: &crate::ir::Merged, obj: &crate::ir::MObject, out: &mut Vec<Origin>) {
    fn add(out: &mut Vec<Origin>, o: &Origin) {
        if !out.iter().any(|seen| seen.layer == o.layer) {
            out.push(*o);
        }
    }
    add(out, &obj.origin);
    for node in obj.fields.values() {
        match node {
            MNode::Leaf(l) => add(out, &merged.data(l).origin),
            MNode::Object(o) => layers_inside(merged, o, out),
        }
    }
}

/// The value written after the key that ends at byte `at` (`key: value`, `key = value`, `key { ... }`), when it is
/// on one line: `explain` shows an object, whose origin is its key, by it. Strings and brackets are followed, so the
/// value ends where it closes (`env prod { db: { host: "b" } }` gives `{ host: "b" }`).
fn value_after_key(text: &str, at: usize) -> Option<&str> {
    let rest = text.get(at..)?.trim_start_matches([' ', '\t']);
    let value = match rest.strip_prefix([':', '=']) {
        Some(v) => v.trim_start_matches([' ', '\t']),
        None if rest.starts_with('{') => rest,
        None => return None,
    };
    let (mut depth, mut quote, mut escaped) = (0u32, None, false);
    for (i, c) in value.char_indices() {
        if let Some(q) = quote {
            match c {
                '\n' => return None,
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return Some(value[..i].trim_end()),
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&value[..=i]);
                }
            }
            '\n' | '\r' | '#' | ',' if depth == 0 => return Some(value[..i].trim_end()),
            '\n' | '\r' | '#' => return None,
            _ => {}
        }
    }
    (depth == 0 && quote.is_none()).then_some(value.trim_end())
}

/// The section header (`[services.api]`) a key at `key` is written in, if it is one.
fn section_header(text: &str, key: crate::source::Span) -> Option<&str> {
    let start = text
        .get(..key.start as usize)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text
        .get(key.end as usize..)?
        .find('\n')
        .map_or(text.len(), |i| key.end as usize + i);
    let line = text.get(start..end)?.trim();
    let header = match line.find(']') {
        Some(close) if line.starts_with('[') => &line[..=close],
        _ => return None,
    };
    Some(header)
}

/// The `$variables` an expression names, each once, in source order.
fn expr_variables(e: &crate::syntax::ast::Expr, out: &mut Vec<String>) {
    if let crate::syntax::ast::ExprKind::Variable { name, .. } = &e.kind {
        if !out.contains(&name.name) {
            out.push(name.name.clone());
        }
    }
    e.for_each_child(&mut |x| expr_variables(x, out));
}

fn explain_code(code: Option<&str>) -> u8 {
    match code {
        None => {
            for c in Code::ALL {
                println!("{}  {}", c.as_str(), c.title());
            }
            0
        }
        Some(text) => match Code::parse(text) {
            Some(c) => {
                println!("{}: {}\n\n{}", c.as_str(), c.title(), c.explanation());
                0
            }
            None => {
                eprintln!("error: `{text}` is not a tuskc diagnostic code; `tuskc explain-code` lists them");
                2
            }
        },
    }
}
