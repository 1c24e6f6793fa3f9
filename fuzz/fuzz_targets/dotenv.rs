//! The dotenv reader (`drift --actual x.env`, `--env-file`: files from outside) on arbitrary text: never a panic, and
//! every diagnostic's span lies inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuskc::diagnostic::Sink;
use tuskc::source::FileId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sink = Sink::new();
    let vars = tuskc::emit::read::parse_env_file(text, FileId(0), &mut sink);
    std::hint::black_box(vars);
    for d in sink.into_sorted() {
        for l in &d.labels {
            assert!(l.span.start <= l.span.end && l.span.end as usize <= text.len(), "{d:?}");
        }
    }
});
