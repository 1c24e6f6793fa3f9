//! The whole compiler on one arbitrary file: load, build every target, emit every format and render every
//! diagnostic. Never a panic; output only when there is no error.
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

fuzz_target!(|data: &[u8]| {
    let file = dir().join("f.tsk");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let Ok(mut session) = Session::open(&file) else {
        return;
    };
    let inputs = session.env_inputs(&[], &[], true);
    if let Some(program) = session.load(&file) {
        for target in session.all_targets(&program) {
            if let Some((_, value)) = session.build(&program, &target, None, &inputs) {
                for format in [Format::Json, Format::Toml, Format::Yaml, Format::Dotenv] {
                    let _ = emit(&value, format);
                }
            }
        }
    }
    let diags = session.take_diagnostics();
    std::hint::black_box(tuskc::diagnostic::render::human(&diags, &session.sources, false));
});
