//! Streamed JSON (`Session::build_text`: the walk of src/driver/stream.rs with its JSON sink) against the value
//! tree (`Session::build`: the same walk with its tree sink, then `emit`) on one arbitrary file: every target's text
//! and every diagnostic must be the same, byte for byte, so the two sinks agree on any input.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tuskc::driver::Session;
use tuskc::emit::{emit, Format};

fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

/// Every target's JSON (or `None`) and the rendered diagnostics, one way or the other.
fn transcript(file: &std::path::Path, streamed: bool) -> Option<(Vec<Option<String>>, String)> {
    let mut session = Session::open(file).ok()?;
    let inputs = session.env_inputs(&[], &[], false);
    let mut texts = Vec::new();
    if let Some(program) = session.load(file) {
        for target in session.all_targets(&program) {
            texts.push(if streamed {
                session.build_text(&program, &target, None, &inputs, Format::Json, 0)
            } else {
                let errors = session.sink.error_count();
                session
                    .build(&program, &target, None, &inputs)
                    .filter(|_| !program.has_errors && session.sink.error_count() == errors)
                    .and_then(|(_, v)| emit(&v, Format::Json).ok())
            });
        }
    }
    let diags = session.take_diagnostics();
    Some((texts, tuskc::diagnostic::render::human(&diags, &session.sources, false)))
}

fuzz_target!(|data: &[u8]| {
    let file = dir().join("f.tsk");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let whole = transcript(&file, false);
    let streamed = transcript(&file, true);
    assert_eq!(whole, streamed, "streamed JSON differs from the whole tree's");
});
