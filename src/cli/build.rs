//! `tuskc build`: one target to stdout or `--output`, or `--all --out-dir` (every entry's every target).
//!
//! Owns the build's staging: output names per entry ([`output_name`], refusing two entries that would share one),
//! and [`Staged`], which writes the files of `--all` beside their outputs and moves them into place together (the
//! targets are built on several threads by `Session::build_texts`, each written to its temporary file by the thread
//! that built it, and staged in order). Invariant: nothing is written for a target that fails, and every output file
//! appears atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::{jobs, BuildArgs, MessageFormat};
use crate::cli::entries::{has_entries, single_entry, start};
use crate::cli::output::Output;
use crate::cli::write::{
    output_place, replace_with, start_writeback, write_output, write_temporary, write_through,
    OutputPlace,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::driver::Session;
use crate::emit::Format;
use crate::ir::Program;
use crate::ir::Target;
use crate::secrets::SecretMode;

pub(super) fn build(a: &BuildArgs, out: &mut Output) -> u8 {
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
        let jobs = jobs(a.jobs);
        session.threads = jobs;
        // Earlier entries' programs are dropped as the next one loads; the last is left to the process's exit.
        let mut last: Option<Program> = None;
        let mut unwritable = false;
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
            let private = session.secrets.mode == SecretMode::Resolve;
            session.build_texts(
                &program,
                &targets,
                overrides.as_ref(),
                &inputs,
                a.format,
                jobs,
                // On the thread that built the target: its text goes to disk at once instead of waiting in memory
                // for the targets before it.
                |target, text| {
                    let file = dir
                        .join(target.env.as_deref().unwrap_or("default"))
                        .join(target.provider.as_deref().unwrap_or("default"))
                        .join(&name);
                    let pending = text.map(|text| Staged::prepare(&file, text.as_bytes(), private));
                    (file, pending)
                },
                |sink, target, (file, pending)| {
                    let staged_ok = match pending {
                        None => false,
                        Some(Ok(pending)) => {
                            staged.add(file, pending);
                            true
                        }
                        Some(Err(e)) => {
                            unwritable = true;
                            sink.push(write_failed(&file, &e));
                            false
                        }
                    };
                    if !staged_ok {
                        failed.push(format!("{} ({})", target, entry.display()));
                    }
                },
            );
            last = Some(program);
        }
        session.usage_error |= unwritable;
        super::output::leave_to_exit(last);
        for (path, e) in staged.commit() {
            session.usage_error = true;
            session.sink.push(write_failed(&path, &e));
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
    session.threads = jobs(a.jobs);
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
            a.output.as_deref(),
        );
    }
    super::output::leave_to_exit(Some(program));
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

/// Build and emit one target; write it to `output` atomically, or to stdout. Nothing is written on any error.
fn build_one(
    session: &mut Session,
    program: &Program,
    target: &Target,
    overrides: Option<&crate::ir::Layer>,
    inputs: &crate::eval::EnvInputs,
    format: Format,
    output: Option<&Path>,
) {
    let Some(text) = session.build_text(program, target, overrides, inputs, format, 0) else {
        return;
    };
    let Some(path) = output else {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        return;
    };
    let private = session.secrets.mode == SecretMode::Resolve;
    if let Err(e) = write_output(path, text.as_bytes(), private) {
        session.usage_error = true;
        session.sink.push(write_failed(path, &e));
    }
}

/// An output file could not be written: an I/O error (the caller makes it exit code 2).
fn write_failed(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(Code::Io, format!("cannot write `{}`: {e}", path.display())).help(
        "write to a regular file (or a symlink to one) in a writable directory, a FIFO or a character device",
    )
}

/// The output files of `build --all`: each target's text goes to a temporary file beside its output as the target is
/// built, starting its way to disk at once ([`start_writeback`]), and [`Staged::commit`] flushes them all to disk, then
/// renames each over its output. Every file still appears atomically (readers see the old file or the new one, and
/// none is renamed before every file is on disk), and a target that fails is never staged (its previous output
/// stays). An output that is a FIFO or a device (see [`OutputPlace`]) keeps its text in memory and is written at the
/// commit, in the same order.
#[derive(Default)]
struct Staged {
    /// Each output as the user named it, and what will be written where.
    files: Vec<(PathBuf, Pending)>,
}

/// A staged output: a temporary file to rename over the resolved path, or the bytes to write through.
enum Pending {
    Replace(tempfile::NamedTempFile, PathBuf),
    Through(Vec<u8>, PathBuf),
}

impl Staged {
    /// `bytes` for the output `path`, in a temporary file beside it (or kept, for a FIFO or a device). Safe on any
    /// thread: nothing is in place until [`Staged::commit`].
    fn prepare(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<Pending> {
        Ok(match output_place(path)? {
            OutputPlace::Replace(file) => {
                let tmp = write_temporary(&file, bytes, private)?;
                // Its flush at the commit, after the last target, then waits for (almost) nothing.
                start_writeback(tmp.as_file());
                Pending::Replace(tmp, file)
            }
            OutputPlace::Through(file) => Pending::Through(bytes.to_vec(), file),
        })
    }

    /// The output `path` (as the user named it), prepared: to be committed with the others, in the order added.
    fn add(&mut self, path: PathBuf, pending: Pending) {
        self.files.push((path, pending));
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
