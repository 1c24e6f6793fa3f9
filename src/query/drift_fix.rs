//! `tuskc diff --fix`: the safe fixes of a drift report, planned and checked.
//!
//! Owns: turning the findings' [`VaryEdit`]s into each file's new text, and proving the result means what the
//! original meant. Invariants: only the project's own files are edited; an edit that lands outside its file, a
//! project that no longer compiles, a value that changes, or a fixed drift that is still drift refuses the whole fix
//! (a [`Code::FixRefused`] diagnostic) so nothing is written. Writing the files is the caller's.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::driver::Session;
use crate::ir::Program;
use crate::query::drift::{Class, Finding, VaryEdit};
use crate::source::{FileId, FileKind, SourceMap};

/// One file's proposed change.
pub struct FileFix {
    pub path: PathBuf,
    /// The file's name as shown.
    pub shown: String,
    pub before: String,
    pub after: String,
}

/// The `@vary` edits of every fixable drift, grouped by file.
pub fn plan_fixes(sources: &SourceMap, findings: &[Finding]) -> Result<Vec<FileFix>, Diagnostic> {
    let mut per_file: IndexMap<FileId, Vec<&VaryEdit>> = IndexMap::new();
    for f in findings.iter().filter(|f| f.class == Class::Drift) {
        if let Some(e) = &f.edit {
            let file = match e {
                VaryEdit::Wrap { file, .. } | VaryEdit::Declare { file, .. } => *file,
            };
            let edits = per_file.entry(file).or_default();
            if !edits.contains(&e) {
                edits.push(e);
            }
        }
    }
    let mut fixes = Vec::new();
    for (file, edits) in per_file {
        let src = sources.get(file);
        let FileKind::Disk(path) = &src.kind else {
            continue;
        };
        // Inserts, applied from the end so earlier offsets stay valid.
        let mut inserts: Vec<(usize, u8, String)> = Vec::new();
        let mut declared: IndexMap<usize, Vec<String>> = IndexMap::new();
        for e in edits {
            match e {
                VaryEdit::Wrap { span, .. } => {
                    inserts.push((span.start as usize, 1, "@vary(".into()));
                    inserts.push((span.end as usize, 0, ")".into()));
                }
                VaryEdit::Declare { at, path, .. } => {
                    declared.entry(*at).or_default().push(path.clone())
                }
            }
        }
        for (at, paths) in declared {
            let indent: String = src.text[at..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            inserts.push((at, 2, format!("{indent}vary {}\n", paths.join(", "))));
        }
        inserts.sort_by_key(|&(at, order, _)| std::cmp::Reverse((at, order)));
        let mut after = src.text.to_string();
        for (at, _, text) in inserts {
            if at > after.len() || !after.is_char_boundary(at) {
                return Err(fix_refused(&src.name, "an edit falls outside the file"));
            }
            after.insert_str(at, &text);
        }
        fixes.push(FileFix {
            path: path.clone(),
            shown: src.name.clone(),
            before: src.text.to_string(),
            after,
        });
    }
    Ok(fixes)
}

pub fn fix_refused(file: &str, why: &str) -> Diagnostic {
    Diagnostic::error(
        Code::FixRefused,
        format!("`--fix` refused to change `{file}`: {why}"),
    )
    .note("nothing was written; this is a bug in tuskc, please report it with the project")
    .help("mark the keys by hand: `vary key.path` at the top level, or `key: @vary(value)`")
}

/// Compile the project at `project` (entry `entry`) again with the fixed files in place of the originals, and
/// compare: every target must give the same values (`rebuild` makes the report again, on the new session), and every
/// drift fixed must now be declared.
pub fn verify_fixes(
    project: &Path,
    entry: &Path,
    fixes: &[FileFix],
    before: &[Finding],
    rebuild: impl FnOnce(&mut Session, &Program) -> Option<Vec<Finding>>,
) -> Result<(), Diagnostic> {
    let shown = fixes.first().map_or("", |f| f.shown.as_str());
    let mut session = Session::open(project)
        .map_err(|_| fix_refused(shown, "the project cannot be opened again"))?;
    for f in fixes {
        session
            .loader
            .overlay
            .insert(f.path.clone(), f.after.clone());
    }
    let program = session
        .load(entry)
        .ok_or_else(|| fix_refused(shown, "the entry cannot be read again"))?;
    let after = rebuild(&mut session, &program);
    let errors: Vec<String> = session
        .take_diagnostics()
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message)
        .collect();
    let Some(after) = after.filter(|_| errors.is_empty()) else {
        return Err(fix_refused(
            shown,
            &format!("the fixed project does not compile ({})", errors.join("; ")),
        ));
    };
    for f in before
        .iter()
        .filter(|f| f.class == Class::Drift && f.edit.is_some())
    {
        if after
            .iter()
            .any(|g| g.path == f.path && g.class == Class::Drift)
        {
            return Err(fix_refused(
                shown,
                &format!("`{}` is still drift after the fix", f.path),
            ));
        }
    }
    // Same values: every difference before is still there (now declared), and no new one appeared.
    type Shape = Vec<(String, Vec<(Vec<String>, Option<String>)>)>;
    let shape = |findings: &[Finding]| -> Shape {
        findings
            .iter()
            .map(|f| {
                (
                    f.path.clone(),
                    f.variants
                        .iter()
                        .map(|v| (v.targets.clone(), v.value.clone()))
                        .collect(),
                )
            })
            .collect()
    };
    if shape(before) != shape(&after) {
        return Err(fix_refused(
            shown,
            "the fixed project's values differ from the original's",
        ));
    }
    Ok(())
}
