//! Rendering diagnostics: the one place ariadne is used, and the JSON form for editors and CI.
//!
//! Invariant: rendering is deterministic (the caller sorts; no colour unless asked), spans are converted from bytes
//! to line/column here and nowhere else in the CLI, and what is rendered is exactly the diagnostic's data, which never
//! holds a secret's value.

use ariadne::{Color, Config, IndexType, Label as ALabel, Report, ReportKind};

use crate::diagnostic::{Diagnostic, Severity};
use std::collections::HashMap;

use crate::source::{SourceMap, Span};

/// The count line printed after the diagnostics: "2 errors, 1 warning".
pub fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// Render for a terminal or a log. `color` only when writing to a terminal.
pub fn human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    let mut cache = FileCache {
        sources,
        files: HashMap::new(),
    };
    for d in diags.iter().take(MAX_RENDERED) {
        render_one(d, sources, &mut cache, color, &mut out);
    }
    if diags.len() > MAX_RENDERED {
        out.extend_from_slice(
            format!(
                "... and {} more diagnostics, not shown (`--message-format json` prints every one)\n",
                diags.len() - MAX_RENDERED
            )
            .as_bytes(),
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// At most this many diagnostics are rendered for people in one run; the rest are counted. Past a few hundred nobody
/// reads them, and a machine reads `--message-format json`, which stays complete.
pub const MAX_RENDERED: usize = 200;

/// A source line longer than this is not quoted: the diagnostic names the place (`file:line:column`) instead, so a
/// minified or generated file cannot flood the terminal with one line per label.
pub const MAX_QUOTED_LINE: usize = 400;

/// ariadne's view of each file, built once per rendering (building one indexes every line of the file: once per
/// diagnostic, thousands of diagnostics in a large file took quadratic time).
struct FileCache<'s> {
    sources: &'s SourceMap,
    files: HashMap<String, ariadne::Source<&'s str>>,
}

impl<'s> FileCache<'s> {
    fn source(&mut self, name: &str) -> Result<&ariadne::Source<&'s str>, String> {
        if !self.files.contains_key(name) {
            let Some((_, file)) = self.sources.files().find(|(_, f)| f.name == name) else {
                return Err(format!("no file named {name}"));
            };
            self.files
                .insert(name.to_owned(), ariadne::Source::from(&*file.text));
        }
        self.files
            .get(name)
            .ok_or_else(|| format!("no file named {name}"))
    }
}

/// What ariadne takes for a source: a file, and which of the diagnostic's snippets in it a label belongs to.
///
/// ariadne (0.6) starts a new snippet when the next label is in another file or on an earlier line, and heads every
/// snippet of the report's own source with the report's location, so a second snippet in the primary label's file
/// was headed with the primary label's place (`├─[ e04.tsk:7:7 ]` above line 2). A snippet of its own "source" is
/// headed with its first label's place; the text is the file's either way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Snippet {
    file: String,
    number: usize,
}

impl<'s> ariadne::Cache<Snippet> for FileCache<'s> {
    type Storage = &'s str;

    fn fetch(&mut self, id: &Snippet) -> Result<&ariadne::Source<&'s str>, impl std::fmt::Debug> {
        self.source(&id.file)
    }

    fn display<'a>(&self, id: &'a Snippet) -> Option<impl std::fmt::Display + 'a> {
        Some(&id.file)
    }
}

/// The length of the lines around `span`, from its start line's start to its end line's end (by the line index:
/// rescanning a long line for each of thousands of diagnostics on it was quadratic).
fn line_len(file: &crate::source::SourceFile, span: Span) -> usize {
    let from = file.line_range(span.start).start;
    let to = file.line_range(span.end).end;
    to.saturating_sub(from)
}

fn plain(d: &Diagnostic, sources: &SourceMap, out: &mut Vec<u8>) {
    let word = if d.severity == Severity::Error {
        "Error"
    } else {
        "Warning"
    };
    out.extend_from_slice(format!("[{}] {word}: {}\n", d.code, d.message).as_bytes());
    if d.unquoted && !d.labels.is_empty() {
        out.extend_from_slice(b"    (the source is not quoted: it may hold a secret)\n");
    }
    for l in &d.labels {
        let file = sources.get(l.file);
        let at = file.line_col(l.span.start);
        let why = if d.unquoted {
            String::new()
        } else if line_len(file, l.span) > MAX_QUOTED_LINE {
            format!(" (line longer than {MAX_QUOTED_LINE} bytes, not quoted)")
        } else {
            String::new()
        };
        out.extend_from_slice(
            format!(
                "    at {}:{}:{}: {}{why}\n",
                file.name, at.line, at.column, l.message
            )
            .as_bytes(),
        );
    }
    for n in &d.notes {
        out.extend_from_slice(format!("    Note: {n}\n").as_bytes());
    }
    if let Some(h) = &d.help {
        out.extend_from_slice(format!("    Help: {h}\n").as_bytes());
    }
}

fn render_one(
    d: &Diagnostic,
    sources: &SourceMap,
    cache: &mut FileCache<'_>,
    color: bool,
    out: &mut Vec<u8>,
) {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let too_long = d.unquoted
        || d.labels
            .iter()
            .any(|l| line_len(sources.get(l.file), l.span) > MAX_QUOTED_LINE);
    let primary = match d.primary_label() {
        Some(primary) if !too_long => primary,
        // No place in a file (command-line and I/O problems), or lines too long to quote: a plain header, the
        // places as `file:line:column`, notes and help.
        _ => {
            plain(d, sources, out);
            return;
        }
    };
    let snippets = snippet_numbers(d, sources, cache);
    // Spans go to ariadne in characters: with byte indices, ariadne 0.6 reads the place it heads a second snippet
    // with (its first label's start) as a character index, so the header named a wrong line after multi-byte text.
    let mut clamp = |f, s: Span| {
        let file = sources.get(f);
        let len = file.text.len();
        let (start, end) = ((s.start as usize).min(len), (s.end as usize).min(len));
        let Ok(src) = cache.source(&file.name) else {
            return start..end;
        };
        // `col` is a byte column in ariadne's own line, which also ends at U+2028, U+2029, U+0085 and the like
        // (ours end at `\n` only): count characters from that line's start.
        let chars = |at: usize| match src.get_byte_line(at) {
            Some((line, _, col)) => {
                line.offset()
                    + file
                        .text
                        .get(at - col..at)
                        .map_or(col, |t| t.chars().count())
            }
            None => file.text.get(..at).map_or(at, |t| t.chars().count()),
        };
        chars(start)..chars(end)
    };
    let snippet = |i: usize, f| Snippet {
        file: sources.get(f).name.clone(),
        number: snippets.get(i).copied().unwrap_or(i),
    };
    let primary_index = d
        .labels
        .iter()
        .position(|l| std::ptr::eq(l, primary))
        .unwrap_or(0);
    let mut report = Report::build(
        kind,
        (
            snippet(primary_index, primary.file),
            clamp(primary.file, primary.span),
        ),
    )
    .with_code(d.code)
    .with_message(&d.message)
    .with_config(
        Config::default()
            .with_color(color)
            .with_index_type(IndexType::Char),
    );
    for (i, l) in d.labels.iter().enumerate() {
        let colour = if l.primary {
            Color::Red
        } else if i % 2 == 0 {
            Color::Blue
        } else {
            Color::Cyan
        };
        let mut label = ALabel::new((snippet(i, l.file), clamp(l.file, l.span)))
            .with_message(&l.message)
            .with_order(i as i32);
        if color {
            label = label.with_color(colour);
        }
        report = report.with_label(label);
    }
    for n in &d.notes {
        report = report.with_note(n);
    }
    if let Some(h) = &d.help {
        report = report.with_help(h);
    }
    if report.finish().write(&mut *cache, &mut *out).is_err() {
        out.extend_from_slice(format!("[{}] {}\n", d.code, d.message).as_bytes());
    }
}

/// The snippet each label is shown in, by ariadne's rule: labels in order, a new snippet when the file changes or
/// a label ends on an earlier line than the one before it (lines as ariadne counts them, from its own index).
fn snippet_numbers(d: &Diagnostic, sources: &SourceMap, cache: &mut FileCache<'_>) -> Vec<usize> {
    let mut numbers = Vec::with_capacity(d.labels.len());
    let mut last: Option<(crate::source::FileId, usize)> = None;
    let mut number = 0;
    for l in &d.labels {
        let file = sources.get(l.file);
        let len = file.text.len();
        let (start, end) = (
            (l.span.start as usize).min(len),
            (l.span.end as usize).min(len),
        );
        let at = if end > start { end - 1 } else { start };
        let line = cache
            .source(&file.name)
            .ok()
            .and_then(|src| src.get_byte_line(at))
            .map_or(0, |(_, line, _)| line);
        match last {
            Some((f, previous)) if f == l.file && previous <= line => {}
            Some(_) => number += 1,
            None => {}
        }
        last = Some((l.file, line));
        numbers.push(number);
    }
    numbers
}

/// One JSON object per diagnostic (JSON Lines), with byte offsets and 1-based line/column for each label.
pub fn json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let range = |f, s: Span| {
        let file = sources.get(f);
        let (a, b) = (file.line_col(s.start), file.line_col(s.end));
        serde_json::json!({
            "start": { "byte": s.start, "line": a.line, "column": a.column },
            "end": { "byte": s.end, "line": b.line, "column": b.column },
        })
    };
    let primary = d.primary_label();
    serde_json::json!({
        "code": d.code.as_str(),
        "severity": d.severity,
        "message": d.message,
        "file": primary.map(|l| sources.get(l.file).name.clone()),
        "range": primary.map(|l| range(l.file, l.span)),
        "labels": d.labels.iter().map(|l| serde_json::json!({
            "file": sources.get(l.file).name,
            "range": range(l.file, l.span),
            "message": l.message,
            "primary": l.primary,
        })).collect::<Vec<_>>(),
        "notes": d.notes,
        "help": d.help,
        "targets": d.targets,
    })
}
