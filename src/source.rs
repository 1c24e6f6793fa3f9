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
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
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
    pub fn offset(self, by: usize) -> Span {
        Span {
            start: self.start + by as u32,
            end: self.end + by as u32,
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
    pub text: String,
    line_starts: Vec<u32>,
}

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

impl SourceFile {
    pub fn new(kind: FileKind, name: String, text: String) -> Self {
        let mut line_starts = vec![0u32];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        SourceFile {
            kind,
            name,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (column counted in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let end = floor_char_boundary(&self.text, offset as usize);
        let column = self.text.get(start..end).map_or(0, |s| s.chars().count());
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
