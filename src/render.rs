//! Rendering diagnostics: the one place ariadne is used, and the JSON form for editors and CI.
//!
//! Invariant: rendering is deterministic (the caller sorts; no colour unless asked), spans are converted from bytes
//! to line/column here and nowhere else in the CLI, and what is rendered is exactly the diagnostic's data, which never
//! holds a secret's value.

use ariadne::{Color, Config, IndexType, Label as ALabel, Report, ReportKind};

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};

/// Render for a terminal or a log. `color` only when writing to a terminal.
pub fn human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    for d in diags {
        render_one(d, sources, color, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_one(d: &Diagnostic, sources: &SourceMap, color: bool, out: &mut Vec<u8>) {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let Some(primary) = d.primary_label() else {
        // No place in a file (command-line and I/O problems): a plain header with notes and help.
        let word = if d.severity == Severity::Error {
            "Error"
        } else {
            "Warning"
        };
        out.extend_from_slice(format!("[{}] {word}: {}\n", d.code, d.message).as_bytes());
        for n in &d.notes {
            out.extend_from_slice(format!("    Note: {n}\n").as_bytes());
        }
        if let Some(h) = &d.help {
            out.extend_from_slice(format!("    Help: {h}\n").as_bytes());
        }
        return;
    };
    let name = |f| sources.get(f).name.clone();
    let clamp = |f, s: Span| {
        let len = sources.get(f).text.len();
        (s.start as usize).min(len)..(s.end as usize).min(len)
    };
    let mut report = Report::build(
        kind,
        (name(primary.file), clamp(primary.file, primary.span)),
    )
    .with_code(d.code)
    .with_message(&d.message)
    .with_config(
        Config::default()
            .with_color(color)
            .with_index_type(IndexType::Byte),
    );
    for (i, l) in d.labels.iter().enumerate() {
        let colour = if l.primary {
            Color::Red
        } else if i % 2 == 0 {
            Color::Blue
        } else {
            Color::Cyan
        };
        let mut label = ALabel::new((name(l.file), clamp(l.file, l.span)))
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
    let mut files: Vec<_> = d.labels.iter().map(|l| l.file).collect();
    files.sort();
    files.dedup();
    let cache = ariadne::sources(
        files
            .into_iter()
            .map(|f| (name(f), sources.get(f).text.clone())),
    );
    if report.finish().write(cache, &mut *out).is_err() {
        out.extend_from_slice(format!("[{}] {}\n", d.code, d.message).as_bytes());
    }
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
