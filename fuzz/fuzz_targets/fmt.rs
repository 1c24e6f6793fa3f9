//! The formatter on arbitrary text: never a panic, never TSK0701 (its own guard: the result would not parse or would
//! mean something else), and formatting twice changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuskc::diagnostic::{Code, Sink};
use tuskc::source::FileId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sink = Sink::new();
    let out = tuskc::syntax::fmt::format_text(text, FileId(0), &mut sink);
    let diags = sink.into_sorted();
    assert!(
        diags.iter().all(|d| d.code != Code::FormatChangesMeaning),
        "the formatter changed the meaning of the input"
    );
    if let Some(out) = out {
        let twice = tuskc::syntax::fmt::format_text(&out, FileId(0), &mut Sink::new());
        assert_eq!(twice.as_deref(), Some(out.as_str()), "formatting is not idempotent");
    }
});
