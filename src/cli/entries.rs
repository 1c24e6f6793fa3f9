//! Which entries a command compiles: the project's, or the one a single-target command means.

use std::path::{Path, PathBuf};

use crate::cli::args::Inputs;
use crate::cli::output::Output;
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

/// A project with no entry is a usage error (see [`Session::no_entry`]).
pub(crate) fn no_entry(session: &mut Session) {
    session.no_entry();
}

/// Refuse a project with no entry before building or checking "all" of them (see [`no_entry`]).
pub(crate) fn has_entries(session: &mut Session) -> bool {
    if session.project.entries.is_empty() {
        no_entry(session);
        return false;
    }
    true
}

/// The one entry a single-target command means (see [`Session::single_entry`]).
pub(crate) fn single_entry(session: &mut Session, builds_all: bool) -> Option<PathBuf> {
    session.single_entry(builds_all)
}
