//! The command line. The only module that prints.
//!
//! Exit codes: 0 success; 1 the configuration has errors; 2 usage or I/O errors (bad flags, unknown
//! `--env`/`--provider`, unreadable files). Diagnostics go to stderr (human, or JSON Lines with
//! `--message-format json`); results go to stdout or the files asked for, written atomically.

mod args;
mod completions;
mod drift;
mod entries;
mod fmt;
mod output;
mod schema;
mod secrets;
mod write;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::driver::Session;
use crate::emit::Format;
use crate::ir::Program;
use crate::ir::Target;
use crate::secrets::SecretMode;
use crate::value::ValueKind;
use args::*;
use entries::*;
pub use output::panic_report;
use output::*;
use write::*;

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
        Command::Completions { shell } => completions::completions(*shell),
        Command::Man => completions::man(),
    };
    ExitCode::from(code)
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
    let Some(path) = crate::query::explain::key_path(&a.key) else {
        session.usage_error = true;
        session.sink.push(
            Diagnostic::error(Code::Usage, format!("`{}` is not a key path", a.key))
                .help("key paths look like `app.database.port`"),
        );
        return out.finish(session);
    };
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
    let text = crate::query::explain::explain_text(
        &session.sources,
        &program,
        &target,
        &merged,
        &path,
        value,
        out.format == MessageFormat::Json,
    );
    print!("{text}");
    out.finish(session)
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
