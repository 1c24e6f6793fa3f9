//! A long file parsed in parts, on several threads ([`parse_in_parts`]).
//!
//! A file is cut only before a line that starts at column 0 with a name or `[` (where a top-level item can begin) and
//! whose previous line is not a comment (a `##` doc comment belongs to the item below it). Each part is lexed and
//! parsed as a file of its own, its spans still the file's offsets. A part that reports nothing ended where the whole
//! file's parse would have: a construct that could run on past the cut (an open bracket, brace or `>` block, a `"""`
//! string, a keyword whose name is on the next line) reports an error when the part's end comes first, and a part
//! starts at column 0 with nothing open, as the whole file's parse is after such a part. So the parts are taken in
//! order while they are clean; the first part that reports anything (unless it is the last) is parsed again with
//! the rest of the file in one piece, and the diagnostics come from there. The items, comments and diagnostics are
//! exactly [`super::parse`]'s (property-tested against it on cuts at every possible line). A file with a tab in it is
//! never cut: its tabs are reported together, once per file.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Item, Parser};
use crate::diagnostic::Sink;
use crate::source::{FileId, Span};
use crate::syntax::lexer::lex;

/// A part is about this long (in bytes); a file shorter than two parts is parsed whole. Parts are claimed in order
/// by the threads, so several per thread balance the load, and the calling thread lowers the parts parsed so far
/// between parts of its own.
const PART_LEN: usize = 64 * 1024;

/// Parse `text` (file `file`) on up to `threads` threads, handing its top-level items to `take` in order, on the
/// calling thread, while later parts are parsed; the diagnostics go to `sink` and the comment spans are returned.
/// `take` may run before all diagnostics are in `sink`. Equals [`super::parse`] (see the module's comment).
pub fn parse_in_parts(
    text: &str,
    file: FileId,
    sink: &mut Sink,
    threads: usize,
    take: &mut dyn FnMut(Vec<Item>),
) -> Vec<Span> {
    let starts = match threads > 1 {
        true => cuts(text, PART_LEN),
        false => vec![0],
    };
    parse_cut(text, file, sink, &starts, threads, take)
}

/// The offsets the parts of `text` start at: 0, then the first place to cut (see the module's comment) at or after
/// each multiple of `len` (none in a file shorter than two parts or with a tab).
fn cuts(text: &str, len: usize) -> Vec<usize> {
    let mut starts = vec![0];
    if len == 0 || text.len() < 2 * len || memchr::memchr(b'\t', text.as_bytes()).is_some() {
        return starts;
    }
    let bytes = text.as_bytes();
    let mut at = len;
    while at < bytes.len() {
        match cut_at_or_after(bytes, at) {
            Some(cut) => {
                starts.push(cut);
                at = cut + len;
            }
            None => break,
        }
    }
    starts
}

/// The first line start at or after `from` where a part may begin.
fn cut_at_or_after(bytes: &[u8], from: usize) -> Option<usize> {
    // The line break before the candidate line: search from `from - 1` so that a line starting at `from` counts.
    let mut at = from.checked_sub(1)?;
    loop {
        let newline = at + memchr::memchr(b'\n', bytes.get(at..)?)?;
        let start = newline + 1;
        let first = *bytes.get(start)?;
        if first.is_ascii_alphabetic() || first == b'_' || first == b'[' {
            let line = memchr::memrchr(b'\n', &bytes[..newline]).map_or(0, |i| i + 1);
            let previous = bytes[line..newline].trim_ascii_start();
            if !previous.starts_with(b"#") {
                return Some(start);
            }
        }
        at = start;
    }
}

/// One part, parsed as a file of its own.
struct Part {
    items: Vec<Item>,
    comments: Vec<Span>,
    diagnostics: Sink,
}

fn parse_part(text: &str, range: std::ops::Range<usize>, file: FileId) -> Part {
    let mut diagnostics = Sink::new();
    let lexed = lex(&text[range.clone()], range.start, file, &mut diagnostics);
    // No `check_tabs`: a file with a tab is not cut ([`cuts`]), and is parsed whole.
    let items = Parser::new(text, file, &lexed.comments, lexed.tokens, &mut diagnostics, 0, 0).top_items();
    Part {
        items,
        comments: lexed.comments,
        diagnostics,
    }
}

/// Parse `text` in the parts starting at `starts` (see [`parse_in_parts`]).
fn parse_cut(
    text: &str,
    file: FileId,
    sink: &mut Sink,
    starts: &[usize],
    threads: usize,
    take: &mut dyn FnMut(Vec<Item>),
) -> Vec<Span> {
    let n = starts.len();
    if n < 2 {
        let ast = super::parse(text, file, sink);
        take(ast.items);
        return ast.comments;
    }
    let range = |i: usize| starts[i]..starts.get(i + 1).copied().unwrap_or(text.len());
    // The next part no thread has claimed yet.
    let next = AtomicUsize::new(0);
    let mut comments = Vec::new();
    std::thread::scope(|scope| {
        let (send, parsed) = std::sync::mpsc::channel();
        for _ in 1..threads.min(n) {
            let send = send.clone();
            let (next, range) = (&next, &range);
            // A thread the system refuses (a process limit) is one fewer: the calling thread parses whatever no
            // other thread claims.
            let _ = std::thread::Builder::new().spawn_scoped(scope, move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                // The receiver outlives the threads; nothing is lost if it has stopped listening.
                let _ = send.send((i, parse_part(text, range(i), file)));
            });
        }
        drop(send);
        let mut ready: Vec<Option<Part>> = (0..n).map(|_| None).collect();
        let mut i = 0;
        while i < n {
            let Some(part) = ready[i].take() else {
                // The next part in order is not parsed yet: collect what the other threads finished, else parse an
                // unclaimed part here, else wait.
                while let Ok((j, part)) = parsed.try_recv() {
                    ready[j] = Some(part);
                }
                if ready[i].is_some() {
                    continue;
                }
                let j = next.fetch_add(1, Ordering::Relaxed);
                if j < n {
                    ready[j] = Some(parse_part(text, range(j), file));
                    continue;
                }
                match parsed.recv() {
                    Ok((j, part)) => ready[j] = Some(part),
                    // A parsing thread panicked; the scope passes its panic on.
                    Err(_) => break,
                }
                continue;
            };
            let part = match part.diagnostics.is_empty() || i + 1 == n {
                true => {
                    i += 1;
                    part
                }
                false => {
                    // Its end may not be where the whole file's parse would be: the rest in one piece, and no
                    // more parts.
                    next.store(n, Ordering::Relaxed);
                    let rest = parse_part(text, starts[i]..text.len(), file);
                    i = n;
                    rest
                }
            };
            sink.extend(part.diagnostics.into_vec());
            comments.extend(part.comments);
            take(part.items);
        }
    });
    comments
}

/// [`parse_in_parts`] with parts of about `len` bytes (1: a cut at every line where one may be), collected into a
/// tree, to be compared with [`super::parse`]'s.
#[cfg(any(test, feature = "internals"))]
pub fn parse_in_parts_of(
    text: &str,
    file: FileId,
    sink: &mut Sink,
    len: usize,
    threads: usize,
) -> super::Ast {
    let mut items = Vec::new();
    let comments = parse_cut(text, file, sink, &cuts(text, len), threads, &mut |part| {
        items.extend(part)
    });
    super::Ast {
        file,
        items,
        comments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts' tree and diagnostics, with every possible cut, on one thread and on three, against the whole
    /// file's; and how many parts the file was cut into.
    fn same_as_whole(text: &str) -> usize {
        let mut whole_sink = Sink::new();
        let whole = super::super::parse(text, FileId(0), &mut whole_sink);
        let whole_sink = format!("{:?}", whole_sink.into_vec());
        for threads in [1, 3] {
            let mut sink = Sink::new();
            let parts = parse_in_parts_of(text, FileId(0), &mut sink, 1, threads);
            assert_eq!(parts, whole, "{threads} threads: {text}");
            assert_eq!(format!("{:?}", sink.into_vec()), whole_sink, "{threads} threads: {text}");
        }
        cuts(text, 1).len()
    }

    #[test]
    fn a_file_is_cut_where_an_item_can_start_after_a_line_that_is_not_a_comment() {
        let text = "a: 1\n  b: 2\n[s]\n# c\nx: 1\n## doc\nschema S {\n  f: int\n}\ny: [\n1]\n";
        let starts = cuts(text, 1);
        let lines: Vec<&str> = starts.iter().map(|&s| text[s..].lines().next().unwrap()).collect();
        assert_eq!(lines, ["a: 1", "[s]", "y: ["]);
        assert_eq!(cuts("a: 1\n\tb: 2\nc: 3\n", 1), [0], "a file with a tab is not cut");
        assert_eq!(cuts(text, 0), [0]);
        assert_eq!(cuts(text, text.len()), [0]);
    }

    #[test]
    fn parts_parse_as_the_whole_file() {
        // Clean files, cut at every line.
        assert_eq!(same_as_whole("a: 1\nb: 2\n[s]\nc: 3\nenv production {\n  c: 4\n}\n"), 5);
        assert_eq!(same_as_whole("## S's doc\nschema S {\n  ## f's doc\n  f: int\n}\n[x: S]\nf: 1\n"), 3);
        assert_eq!(same_as_whole("a: 1\n## doc\nschema S {\n  f: int\n}\n"), 1);
        // Constructs that run on past a cut: the part before the cut reports, so the rest is parsed in one piece.
        assert!(same_as_whole("a: \"\"\"\nb: 2\n\"\"\"\nc: 3\n") > 2);
        assert!(same_as_whole("a: [\n1,\nb]\nc: 3\n") > 2);
        assert!(same_as_whole("a: {\nb: 1\n}\nc: 3\n") > 2);
        assert!(same_as_whole("a >\nb: 1\n<\nc: 3\n") > 2);
        assert!(same_as_whole("schema\nS {\n  f: int\n}\nc: 3\n") > 2);
        assert!(same_as_whole("env\nproduction {\n  a: 1\n}\n") > 1);
        // Errors in a middle part and in the last one.
        assert!(same_as_whole("a: 1\nb: : 2\nc: 3\nd: 4\n") > 3);
        assert!(same_as_whole("a: 1\nb: 2\nc: ]\n") > 2);
        assert_eq!(same_as_whole("a: 1\n\tb: 2\nc: 3\n"), 1);
        // A lexer error in a later part than a parse error: the rest, parsed in one piece, reports it first.
        assert_eq!(same_as_whole("*\nf\x07"), 2);
    }
}
