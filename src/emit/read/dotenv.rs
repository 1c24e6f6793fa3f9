//! Deployed dotenv files, read as python-dotenv (the dialect's normative reader) reads them; the same reader
//! serves `--env-file`.

use super::error::Unreadable;
use crate::diagnostic::{Code, Diagnostic, Severity, Sink};
use crate::source::{FileId, Span};
use crate::value::{Origin, Value, ValueKind};

/// A deployed dotenv file as an object of strings. The `--env-file` reader's complaints become the file's error: a
/// deployed file that does not parse is not compared.
pub(super) fn read_dotenv(text: &str, file: FileId, origin: &Origin) -> Result<Value, Unreadable> {
    let mut complaints = Sink::new();
    let vars = parse_env_file(text, file, &mut complaints);
    match complaints
        .into_sorted()
        .into_iter()
        .find(|d| d.severity == Severity::Error)
    {
        Some(d) => Err(Unreadable {
            at: d.primary_label().map(|l| l.span.start as usize),
            message: d.message,
        }),
        None => {
            let map = vars
                .into_iter()
                .map(|(k, v)| (k.into(), Value::new(ValueKind::String(v), *origin)))
                .collect::<crate::value::Map<_>>();
            Ok(Value::new(ValueKind::Object(Box::new(map)), *origin))
        }
    }
}

/// Reads the dotenv dialect `tuskc build -f dotenv` writes (docs/language.md, Output formats), as python-dotenv, its
/// normative reader, does: `NAME=VALUE` entries, `export ` prefixes, `#` comment lines and blank lines skipped;
/// `'...'` values with `\\` and `\'` escapes, `"..."` values with `\\ \' \" \a \b \f \n \r \t \v` escapes, both able
/// to span lines; unquoted values end at the line end or a ` #` comment. `${...}` is kept as written (never expanded).
pub fn parse_env_file(text: &str, file: FileId, sink: &mut Sink) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..line_end];
        let lead = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            pos = line_end;
            continue;
        }
        let start = pos + lead;
        let bad = |sink: &mut Sink, end: usize, message: &str, label: &str| {
            sink.push(
                Diagnostic::error(Code::Usage, message.to_string())
                    .primary(file, Span::new(start, end), label.to_string())
                    .help("write `NAME=VALUE` (or `export NAME=VALUE`); quote a value with `'` or `\"`; `#` starts a comment line")
                    .unquoted(),
            );
        };
        let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let Some((k, _)) = body.split_once('=') else {
            bad(
                sink,
                start + trimmed.len(),
                "env file line is not NAME=VALUE",
                "expected NAME=VALUE",
            );
            pos = line_end;
            continue;
        };
        // A name is what python-dotenv reads as one: non-empty, no blanks, no quotes (`APP NAME=x`, `=x` and
        // `'A B'=x` are mistakes, not variables named so).
        let name = k.trim();
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            bad(
                sink,
                start + (trimmed.len() - body.len()) + k.len(),
                "env file line has no valid NAME before `=`",
                "a name has no blanks or quotes, and is not empty",
            );
            pos = line_end;
            continue;
        }
        // Where the value starts in `text`: after the `=` and any blanks.
        let eq = start + (trimmed.len() - body.len()) + k.len() + 1;
        let value_start = eq
            + (text[eq..line_end].len() - text[eq..line_end].trim_start_matches([' ', '\t']).len());
        let quote = text[value_start..]
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"');
        let value = match quote {
            Some(q) => {
                let inner = value_start + 1;
                let mut close = None;
                let mut chars = text[inner..].char_indices();
                while let Some((i, c)) = chars.next() {
                    if c == '\\'
                        && chars
                            .clone()
                            .next()
                            .is_some_and(|(_, n)| n == q || n == '\\')
                    {
                        chars.next();
                    } else if c == q {
                        close = Some(inner + i);
                        break;
                    }
                }
                let Some(close) = close else {
                    bad(
                        sink,
                        line_end,
                        "env file value has no closing quote",
                        "this quote is never closed",
                    );
                    break;
                };
                let next_line = text[close..]
                    .find('\n')
                    .map_or(text.len(), |i| close + i + 1);
                let rest = text[close + 1..next_line].trim();
                if !rest.is_empty() && !rest.starts_with('#') {
                    bad(
                        sink,
                        next_line,
                        "env file line has text after the closing quote",
                        "expected the end of the line or a `#` comment",
                    );
                }
                pos = next_line;
                unescape(&text[inner..close], q)
            }
            None => {
                pos = line_end;
                let raw = text[value_start..line_end].trim_end();
                let cut = raw
                    .char_indices()
                    .find(|&(i, c)| c == '#' && raw[..i].ends_with(char::is_whitespace))
                    .map_or(raw.len(), |(i, _)| i);
                raw[..cut].trim_end().to_string()
            }
        };
        out.push((k.trim().to_string(), value));
    }
    out
}

/// The escapes python-dotenv decodes in a quoted value: in `'...'` only `\\` and `\'`; in `"..."` also `\"` and the
/// control escapes. Any other backslash is kept.
fn unescape(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match (quote, chars.peek()) {
            (_, Some('\\')) => Some('\\'),
            (_, Some('\'')) => Some('\''),
            ('"', Some('"')) => Some('"'),
            ('"', Some('a')) => Some('\u{7}'),
            ('"', Some('b')) => Some('\u{8}'),
            ('"', Some('f')) => Some('\u{c}'),
            ('"', Some('n')) => Some('\n'),
            ('"', Some('r')) => Some('\r'),
            ('"', Some('t')) => Some('\t'),
            ('"', Some('v')) => Some('\u{b}'),
            _ => None,
        };
        match decoded {
            Some(d) => {
                chars.next();
                out.push(d);
            }
            None => out.push('\\'),
        }
    }
    out
}
