//! Positions and URIs at the protocol's edge.
//!
//! LSP positions are (line, UTF-16 code unit) pairs; tuskc works in byte offsets. Every conversion happens here,
//! clamped to the text (a position past a line's end means its end; past the last line, the end of the text) and
//! never inside a character, so a client that disagrees with us about a document cannot make us slice mid-char.

use std::path::{Path, PathBuf};

use lsp_types::{Position, Range};

use crate::source::Span;

/// Byte offset of an LSP position in `text`.
pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0usize;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0u32;
    for (i, c) in text[line_start..line_end].char_indices() {
        units += c.len_utf16() as u32;
        // A position inside a character (between the halves of a surrogate pair) means the character's start.
        if units > pos.character {
            return line_start + i;
        }
    }
    line_end
}

/// The LSP position of a byte offset (clamped down to a character boundary).
pub fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() as u32,
        character: before[line_start..].encode_utf16().count() as u32,
    }
}

pub fn range(text: &str, span: Span) -> Range {
    Range {
        start: position(text, span.start as usize),
        end: position(text, span.end as usize),
    }
}

/// Apply one `didChange` content change (a range edit, or the whole text when `range` is `None`).
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str) {
    match range {
        None => *text = new_text.to_string(),
        Some(r) => {
            let start = offset(text, r.start);
            let end = offset(text, r.end).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

/// The path of a `file://` URI (percent-decoded); `None` for other schemes.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///path` (empty authority) or `file://localhost/path`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = rest
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let s = String::from_utf8(out).ok()?;
    Some(PathBuf::from(s))
}

/// A `file://` URI for an absolute path, percent-encoding everything but unreserved characters and `/`.
pub fn path_to_uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_round_trip_on_non_ascii_text() {
        let text = "é: \"😀x\"\nb: 1\n";
        // `x` is after `é: "` (4 UTF-16 units) and the emoji (2 units).
        let x = text.find('x').unwrap();
        let p = position(text, x);
        assert_eq!(
            p,
            Position {
                line: 0,
                character: 6
            }
        );
        assert_eq!(offset(text, p), x);
        // Inside the emoji's surrogate pair: the emoji's start.
        assert_eq!(
            offset(
                text,
                Position {
                    line: 0,
                    character: 5
                }
            ),
            text.find('😀').unwrap()
        );
        assert_eq!(
            offset(
                text,
                Position {
                    line: 1,
                    character: 99
                }
            ),
            text.len() - 1
        );
        assert_eq!(
            offset(
                text,
                Position {
                    line: 9,
                    character: 0
                }
            ),
            text.len()
        );
    }

    #[test]
    fn incremental_edit() {
        let mut t = String::from("a: 1\nbé: 2\n");
        apply_change(
            &mut t,
            Some(Range {
                start: Position {
                    line: 1,
                    character: 4,
                },
                end: Position {
                    line: 1,
                    character: 5,
                },
            }),
            "3",
        );
        assert_eq!(t, "a: 1\nbé: 3\n");
    }

    #[test]
    fn uris() {
        let p = uri_to_path("file:///tmp/a%20b/%C3%A9.tsk").unwrap();
        assert_eq!(p, PathBuf::from("/tmp/a b/é.tsk"));
        assert_eq!(path_to_uri(&p), "file:///tmp/a%20b/%C3%A9.tsk");
        assert!(uri_to_path("untitled:Untitled-1").is_none());
    }
}
