//! Source files and byte spans.
//!
//! Owns: the text of every file a compilation reads (project files, stdlib modules, command-line snippets) and the
//! one place where byte offsets become line/column positions.
//! Invariant: spans are byte ranges into one file's text and always lie on `char` boundaries; line/column is computed
//! only at the edges: 1-based and counted in `char`s by [`SourceFile::line_col`] (CLI, JSON reports), 0-based and
//! counted in UTF-16 units by `lsp::text` (the language server).

use std::ops::Range;
use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
    /// An empty span at the start of this one.
    pub fn shrink_to_start(self) -> Span {
        Span {
            start: self.start,
            end: self.start,
        }
    }
    pub fn shrink_to_end(self) -> Span {
        Span {
            start: self.end,
            end: self.end,
        }
    }
}

/// Where a file came from; decides how its path is shown and how `use` and `@file` resolve against it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A file on disk, inside the project.
    Disk(PathBuf),
    /// A module embedded in the binary (`std/...`).
    Stdlib(String),
    /// Text from the command line (`--set`).
    CommandLine(String),
}

#[derive(Debug)]
pub struct SourceFile {
    pub kind: FileKind,
    /// The name shown to users (relative to the working directory where possible).
    pub name: String,
    /// Shared, so a file can be parsed on another thread while the map takes more files (`lower::lower_file`).
    pub text: std::sync::Arc<str>,
    line_starts: Vec<u32>,
    /// Every [`CHAR_SAMPLE`] bytes (floored to a character boundary): the byte offset and the number of characters
    /// before it. A column is then counted over at most one sample's bytes, so thousands of diagnostics on one long
    /// line cost linear time, not quadratic (empty when the text is ASCII: a column is then a byte difference).
    /// Made on the first column asked for: a build that reports nothing never pays for it.
    char_samples: std::sync::OnceLock<Vec<(u32, u32)>>,
}

/// The distance between [`SourceFile`]'s character-count samples, in bytes.
const CHAR_SAMPLE: usize = 1024;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

impl SourceFile {
    pub fn new(kind: FileKind, name: String, text: String) -> Self {
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        SourceFile {
            kind,
            name,
            text: text.into(),
            line_starts,
            char_samples: std::sync::OnceLock::new(),
        }
    }

    /// See [`SourceFile::char_samples`].
    fn char_samples(&self) -> &[(u32, u32)] {
        self.char_samples.get_or_init(|| {
            let text = &self.text;
            let mut samples = Vec::new();
            if !text.is_ascii() {
                let mut chars = 0u32;
                let mut at = 0usize;
                while at < text.len() {
                    samples.push((at as u32, chars));
                    let next = floor_char_boundary(text, at + CHAR_SAMPLE).max(at + 1);
                    let next = ceil_char_boundary(text, next);
                    chars += text.get(at..next).map_or(0, |s| s.chars().count()) as u32;
                    at = next;
                }
            }
            samples
        })
    }

    /// The number of characters before byte `offset` (a character boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let samples = self.char_samples();
        if samples.is_empty() {
            return offset;
        }
        let i = samples
            .partition_point(|&(at, _)| at as usize <= offset)
            .saturating_sub(1);
        let (at, chars) = samples.get(i).copied().unwrap_or((0, 0));
        chars as usize
            + self
                .text
                .get(at as usize..offset)
                .map_or(0, |s| s.chars().count())
    }

    /// The byte range of the line around `offset`, without its line break.
    pub fn line_range(&self, offset: u32) -> Range<usize> {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next as usize - 1);
        start..end.max(start)
    }

    /// 1-based line and column (column counted in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let end = floor_char_boundary(&self.text, offset as usize);
        let column = self
            .chars_before(end)
            .saturating_sub(self.chars_before(start));
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The text of a span (empty when the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// The directory `use` and `@file` paths resolve against, for disk files.
    pub fn dir(&self) -> Option<&Path> {
        match &self.kind {
            FileKind::Disk(p) => p.parent(),
            _ => None,
        }
    }
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file of one compilation.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// The first file of each kind, for [`SourceMap::find`] (a project of a thousand modules looks each up once per
    /// `use`: a scan would be quadratic).
    by_kind: std::collections::HashMap<FileKind, FileId>,
}

impl SourceMap {
    pub fn new() -> Self {
        SourceMap::default()
    }
    pub fn add(&mut self, kind: FileKind, name: String, text: String) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.by_kind.entry(kind.clone()).or_insert(id);
        self.files.push(SourceFile::new(kind, name, text));
        id
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn find(&self, kind: &FileKind) -> Option<FileId> {
        self.by_kind.get(kind).copied()
    }
    /// Give every file the display name `rename` makes of its current one (a checkout's files named as the
    /// revision they were read from: `cli_schema`).
    pub fn rename(&mut self, rename: impl Fn(&str) -> String) {
        for f in &mut self.files {
            f.name = rename(&f.name);
        }
    }
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_not_bytes() {
        let f = SourceFile::new(
            FileKind::CommandLine("t".into()),
            "t".into(),
            "aé\nxyz".into(),
        );
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 1, column: 3 });
        assert_eq!(f.line_col(4), LineCol { line: 2, column: 1 });
        assert_eq!(f.line_col(6), LineCol { line: 2, column: 3 });
        // Inside a multibyte char: clamps to its start.
        assert_eq!(f.line_col(2), LineCol { line: 1, column: 2 });
    }
}

#[cfg(test)]
mod column_tests {
    use super::*;

    /// Columns from the samples equal a plain count, at every offset of texts with multibyte characters and lines
    /// longer than a sample.
    #[test]
    fn sampled_columns_equal_counted_columns() {
        let long: String = "aé€😀 ".repeat(700);
        for text in [
            String::new(),
            "plain\nascii\n".to_string(),
            format!("{long}\n{long}x\né\n"),
            format!("é{}", "b".repeat(3000)),
        ] {
            let f = SourceFile::new(FileKind::Stdlib("t".into()), "t".into(), text.clone());
            for offset in 0..=text.len() {
                let end = floor_char_boundary(&text, offset);
                let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
                let want = text[start..end].chars().count() as u32 + 1;
                assert_eq!(f.line_col(offset as u32).column, want, "offset {offset}");
            }
        }
    }
}
