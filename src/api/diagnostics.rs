//! Diagnostics as the library hands them out: plain data with places already turned into file names and
//! line/column (the caller has no `SourceMap`), and the text `tuskc` prints, rendered once when they are made.

use crate::diagnostic::render;
use crate::source::SourceMap;

pub use crate::diagnostic::Severity;

/// One problem the compiler found: the same data `tuskc --message-format json` prints.
///
/// ```
/// let err = tuskc::Project::from_sources([("app.tsk", "port: 80\nport: 81\n")]).unwrap_err();
/// let d = &err.list()[0];
/// assert_eq!(d.severity, tuskc::Severity::Error);
/// assert!(d.code.starts_with("TSK"));
/// assert_eq!(d.labels[0].line, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The stable code (`TSK0101`); `tuskc explain-code CODE` tells more.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The places involved, the primary one (where the problem is) first as the compiler reported it. Empty for a
    /// problem that has no place in a file (an unknown environment, a file that cannot be read).
    pub labels: Vec<Label>,
    /// Further facts (the targets it was reported for, the names declared).
    pub notes: Vec<String>,
    /// What to do about it.
    pub help: Option<String>,
}

/// A labelled place in a source file.
///
/// ```
/// let err = tuskc::Project::from_sources([("app.tsk", "a: 1\na: 2\n")]).unwrap_err();
/// let label = &err.list()[0].labels[0];
/// assert_eq!(label.file, "app.tsk");
/// assert_eq!((label.line, label.column), (2, 1));
/// assert_eq!(label.bytes, 5..6);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Label {
    /// The file as `tuskc` names it in messages: the path the project was opened with joined with the file's
    /// place in it (relative when that path was relative), or the name given to [`crate::Project::from_sources`].
    pub file: String,
    /// The byte range in the file's text.
    pub bytes: std::ops::Range<usize>,
    /// 1-based line of the range's start.
    pub line: usize,
    /// 1-based column (in Unicode scalar values) of the range's start.
    pub column: usize,
    /// What the label says about the place.
    pub message: String,
    /// The place the problem is (otherwise context for it).
    pub primary: bool,
}

/// The diagnostics of a failed (or, as warnings, a successful) compilation, in the order `tuskc` prints them.
///
/// ```
/// let err = tuskc::Project::from_sources([("app.tsk", "port: 1\nport: 2\n")]).unwrap_err();
/// assert!(err.has_errors());
/// assert!(err.render_human().contains("error"));
/// assert_eq!(err.to_string(), err.render_human());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    rendered: String,
}

impl Diagnostics {
    /// `diags` (sorted, as the session hands them out) as data, with the text the CLI prints for them.
    pub(crate) fn new(diags: &[crate::diagnostic::Diagnostic], sources: &SourceMap) -> Self {
        let list = diags.iter().map(|d| convert(d, sources)).collect();
        let mut rendered = render::human(diags, sources, false);
        if !diags.is_empty() {
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            rendered.push_str(&render::summary(errors, diags.len() - errors));
            rendered.push('\n');
        }
        Diagnostics { list, rendered }
    }

    /// Each diagnostic, as data.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\n")]).unwrap();
    /// assert!(project.target(None, None).unwrap().warnings().list().is_empty());
    /// ```
    pub fn list(&self) -> &[Diagnostic] {
        &self.list
    }

    /// Whether any of them is an error.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\n")]).unwrap();
    /// assert!(!project.target(None, None).unwrap().warnings().has_errors());
    /// ```
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    /// The text `tuskc` prints to stderr for them (without colour), the count line included.
    ///
    /// ```
    /// let err = tuskc::Project::from_sources([("app.tsk", "a: 1\na: 2\n")]).unwrap_err();
    /// assert!(err.render_human().ends_with("1 error\n"));
    /// ```
    pub fn render_human(&self) -> String {
        self.rendered.clone()
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

/// The rendered text, as `Display`: what `fn main() -> Result<(), Box<dyn Error>>` prints when a compile fails
/// should be the diagnostics as people read them, not an escaped dump of them.
impl std::fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::error::Error for Diagnostics {}

fn convert(d: &crate::diagnostic::Diagnostic, sources: &SourceMap) -> Diagnostic {
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let file = sources.get(l.file);
            let lc = file.line_col(l.span.start);
            Label {
                file: file.name.clone(),
                bytes: l.span.start as usize..l.span.end as usize,
                line: lc.line as usize,
                column: lc.column as usize,
                message: l.message.clone(),
                primary: l.primary,
            }
        })
        .collect();
    Diagnostic {
        code: d.code.as_str().to_string(),
        severity: d.severity,
        message: d.message.clone(),
        labels,
        notes: d.notes.clone(),
        help: d.help.clone(),
    }
}
