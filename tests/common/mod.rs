//! Helpers shared by test files.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use tuskc::diagnostic::Diagnostic;
use tuskc::driver::Session;

/// Compile `text` as a one-file project in `dir`, building every target; the diagnostics and their rendering.
pub fn compile(dir: &std::path::Path, text: &str) -> (Vec<Diagnostic>, String) {
    let file = dir.join("case.tsk");
    std::fs::write(&file, text).unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    for target in session.all_targets(&program) {
        session.build(&program, &target, None, &inputs);
    }
    let diags = session.take_diagnostics();
    let text = tuskc::render::human(&diags, &session.sources, false);
    (diags, text)
}
