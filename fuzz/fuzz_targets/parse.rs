//! Lexer and parser on arbitrary text: never a panic, every diagnostic's span lies inside the text, and the text
//! parsed in parts (cut at every line where it may be, as a long file is in `build`) is the text parsed whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuskc::diagnostic::Sink;
use tuskc::source::FileId;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sink = Sink::new();
    let lexed = tuskc::syntax::lexer::lex(text, 0, FileId(0), &mut sink);
    for t in &lexed.tokens {
        assert!(t.span.end as usize <= text.len());
    }
    let mut whole_sink = Sink::new();
    let ast = tuskc::syntax::parser::parse(text, FileId(0), &mut whole_sink);
    let mut parts_sink = Sink::new();
    // One thread: which thread parses a part changes nothing (tests/properties.rs runs up to three), and a thread
    // that exits leaves glibc's 32-byte thread-exit record, which LeakSanitizer reports as a leak.
    let parts = tuskc::syntax::parser::parts::parse_in_parts_of(text, FileId(0), &mut parts_sink, 1, 1);
    assert_eq!(parts, ast);
    let reports = whole_sink.into_vec();
    assert_eq!(format!("{:?}", parts_sink.into_vec()), format!("{reports:?}"));
    sink.extend(reports);
    for d in sink.into_sorted() {
        for l in &d.labels {
            assert!(l.span.start <= l.span.end && l.span.end as usize <= text.len(), "{d:?}");
        }
    }
});
