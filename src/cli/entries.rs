//! Which entries a command compiles: the project's, or the one a single-target command means.

use std::path::{Path, PathBuf};

use crate::cli::args::Inputs;
use crate::cli::output::Output;
use crate::diagnostic::{Code, Diagnostic};
use crate::driver::Session;
use crate::secrets::IdentitySource;

/// Open the project and read the command-line inputs every compiling command shares.
pub(crate) fn start(
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

/// A project with no entry is a usage error (exit 2) for every command that compiles entries, never "checked 0
/// targets": the message says where tuskc looked, that subdirectories are not searched, and how to name entries,
/// with `.tsk` files found below as examples.
pub(crate) fn no_entry(session: &mut Session) {
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
                .map(|p| crate::user_file::normalize(&dir.join(p)).display().to_string())
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
pub(crate) fn has_entries(session: &mut Session) -> bool {
    if session.project.entries.is_empty() {
        no_entry(session);
        return false;
    }
    true
}

/// The one entry a single-target command means.
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
