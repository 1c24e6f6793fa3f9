//! The formatter: one canonical layout for `.tsk` files.
//!
//! Owns: printing a syntax tree back to text. Invariants: every comment is kept, in order; the output parses to the
//! same tree as the input (compared with spans ignored: see [`same_meaning`]) — checked on every run, so a
//! formatter bug refuses to format rather than changing what a file means; formatting is idempotent; a file with
//! syntax errors is left alone (its diagnostics are reported instead).
//!
//! The layout: two-space indentation per level; one entry per line; `key: value` / `key = value` as written (the
//! separator is the author's choice, both mean the same); block styles (`{ }`, `> <`, indentation, dash lists) kept;
//! arrays, objects and object types stay on one line when they were written on one line, else one element per
//! line (arrays with a trailing comma); at most one blank line between elements and none at the start or end of a
//! block; operators surrounded by single spaces; trailing comments of consecutive lines aligned, two spaces after
//! the longest line. String, number and constraint literals are kept exactly as written (escapes, `1_000`).

use crate::diagnostic::{Code, Diagnostic, Sink};
use crate::source::{FileId, Span};
use crate::syntax::ast::*;
use crate::syntax::parse;

const INDENT: usize = 2;

/// Format `text`. `None` when the file has syntax errors (they are reported to `sink`) or when the result would not
/// mean the same (a formatter bug, reported as TSK0701; the file is left unchanged).
pub fn format_text(text: &str, file: FileId, sink: &mut Sink) -> Option<String> {
    let mut diags = Sink::new();
    let ast = parse(text, file, &mut diags);
    if diags.has_errors() {
        sink.extend(diags.into_sorted());
        return None;
    }
    let out = Printer::new(text, &ast.comments).file(&ast);
    let mut again = Sink::new();
    let reparsed = parse(&out, file, &mut again);
    if again.has_errors() || !same_meaning(text, &ast, &out, &reparsed) {
        sink.push(
            Diagnostic::error(
                Code::FormatChangesMeaning,
                "the formatter would change what this file means; it was left unchanged",
            )
            .primary(file, Span::new(0, 0), "this file")
            .help("this is a bug in tuskc: please report it with the file"),
        );
        return None;
    }
    Some(out)
}

/// Do two parses mean the same? Their trees are compared with every span blanked, and their comments by text.
pub fn same_meaning(a_text: &str, a: &Ast, b_text: &str, b: &Ast) -> bool {
    let comments = |text: &str, ast: &Ast| -> Vec<String> {
        ast.comments
            .iter()
            .map(|c| text.get(c.range()).unwrap_or("").trim_end().to_string())
            .collect()
    };
    // Item by item: the text of a whole large file's tree was several times the memory of the tree itself.
    comments(a_text, a) == comments(b_text, b)
        && a.items.len() == b.items.len()
        && a.items
            .iter()
            .zip(&b.items)
            .all(|(x, y)| without_spans(x) == without_spans(y))
}

/// The tree's text with every span blanked, and how a directive was written (`quoted`, `implied_default`: the
/// quoted form's node is the canonical form's, which `fmt` writes instead).
fn without_spans(item: &Item) -> String {
    let text = format!("{item:?}")
        .replace(
            "quoted: true, implied_default: true",
            "quoted: false, implied_default: false",
        )
        .replace(
            "quoted: true, implied_default: false",
            "quoted: false, implied_default: false",
        );
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        rest = &rest[i..];
        rest = rest.find('}').map_or("", |j| &rest[j + 1..]);
    }
    out.push_str(rest);
    out
}

/// One output line: its text (with indentation) and a trailing comment.
struct Line {
    code: String,
    comment: Option<String>,
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Span],
    /// The next comment not yet printed.
    next: usize,
    lines: Vec<Line>,
    cur: String,
    cur_comment: Option<String>,
    /// Source offset of the end of the last thing printed (for blank-line preservation).
    last_end: u32,
    /// Nothing printed yet in the current block (no blank line before its first element).
    block_start: bool,
}

impl<'a> Printer<'a> {
    fn new(text: &'a str, comments: &'a [Span]) -> Self {
        Printer {
            text,
            comments,
            next: 0,
            lines: Vec::new(),
            cur: String::new(),
            cur_comment: None,
            last_end: 0,
            block_start: true,
        }
    }

    fn src(&self, span: Span) -> &'a str {
        self.text.get(span.range()).unwrap_or("")
    }

    fn file(mut self, ast: &Ast) -> String {
        self.items(&ast.items, 0, self.text.len() as u32);
        self.finish()
    }

    fn finish(mut self) -> String {
        if !self.cur.is_empty() {
            self.newline();
        }
        while self.lines.last().is_some_and(|l| l.code.is_empty()) {
            self.lines.pop();
        }
        align_comments(&mut self.lines);
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(&l.code);
            if let Some(c) = &l.comment {
                out.push_str(c);
            }
            out.push('\n');
        }
        out
    }

    fn w(&mut self, s: &str) {
        self.cur.push_str(s);
    }

    fn indent(&mut self, col: usize) {
        self.cur.extend(std::iter::repeat_n(' ', col));
    }

    fn newline(&mut self) {
        let code = self.cur.trim_end().to_string();
        self.lines.push(Line {
            code,
            comment: self.cur_comment.take(),
        });
        self.cur.clear();
    }

    fn comment_text(&self, i: usize) -> String {
        self.src(self.comments[i]).trim_end().to_string()
    }

    fn pending(&self) -> Option<Span> {
        self.comments.get(self.next).copied()
    }

    fn same_line(&self, from: u32, to: u32) -> bool {
        from <= to
            && !self
                .text
                .get(from as usize..to as usize)
                .unwrap_or("\n")
                .contains('\n')
    }

    /// A blank line before the next element when the source had one (never at the start of a block).
    fn blank_before(&mut self, pos: u32) {
        let between = self
            .text
            .get(self.last_end as usize..pos as usize)
            .unwrap_or("");
        if !self.block_start && between.matches('\n').count() >= 2 {
            self.lines.push(Line {
                code: String::new(),
                comment: None,
            });
        }
    }

    /// Print the comments that come before `pos` on their own lines at `col`.
    fn leading(&mut self, pos: u32, col: usize) {
        while let Some(c) = self.pending().filter(|c| c.start < pos) {
            self.blank_before(c.start);
            self.indent(col);
            let text = self.comment_text(self.next);
            self.w(&text);
            self.newline();
            self.next += 1;
            self.last_end = c.end;
            self.block_start = false;
        }
    }

    /// The next comment goes at the end of the current output line, if `fits` it and the line has none yet.
    fn attach_pending(&mut self, fits: impl Fn(&Self, Span) -> bool) {
        if let Some(c) = self.pending() {
            if self.cur_comment.is_none() && fits(self, c) {
                self.cur_comment = Some(self.comment_text(self.next));
                self.next += 1;
                self.last_end = self.last_end.max(c.end);
            }
        }
    }

    /// A comment on the same source line as `end` goes at the end of the current output line.
    fn trailing(&mut self, end: u32) {
        self.attach_pending(|p, c| c.start >= end && p.same_line(end, c.start));
    }

    /// After an opener (`{`, `[`, `key:`...) at `at`: a comment on its line, before the first element, stays there.
    fn opener_comment(&mut self, at: u32, first: u32) {
        self.attach_pending(|p, c| c.start < first && p.same_line(at, c.start));
    }

    /// Print one element that starts on a fresh line at `col`: leading comments, blank line, the element, its
    /// trailing comment. Comments inside the element that its printing had no place for (inside something printed
    /// on one line) move above it.
    fn element(&mut self, span: Span, col: usize, print: impl FnOnce(&mut Self)) {
        self.leading(span.start, col);
        self.blank_before(span.start);
        let first_line = self.lines.len();
        self.block_start = false;
        print(self);
        let mut hoisted = Vec::new();
        while self.pending().is_some_and(|c| c.start < span.end) {
            hoisted.push(Line {
                code: format!("{}{}", " ".repeat(col), self.comment_text(self.next)),
                comment: None,
            });
            self.next += 1;
        }
        if !hoisted.is_empty() {
            let at = first_line.min(self.lines.len());
            self.lines.splice(at..at, hoisted);
        }
        self.trailing(span.end);
        self.newline();
        self.last_end = self.last_end.max(span.end);
    }

    /// Write `opener` (`{`, `[`, ` >`, `:`...) at the end of the current line and end the line; a comment on the
    /// opener's source line (at `at`) before the first element (at `first`) stays on it. `last_end`: where the
    /// opener ends in the source, for blank-line preservation.
    fn open_lines(&mut self, opener: &str, at: u32, first: u32, last_end: u32) {
        self.w(opener);
        self.opener_comment(at, first);
        self.newline();
        self.last_end = last_end;
    }

    /// Close a block: comments before the closer (at `close`) are printed inside it.
    fn close_block(&mut self, close: u32, col: usize) {
        self.leading(close, col);
        self.block_start = false;
    }

    // ----- items -----

    fn items(&mut self, items: &[Item], col: usize, close: u32) {
        self.block_start = true;
        for item in items {
            self.element(item_span(item), col, |p| p.item(item, col));
        }
        self.close_block(close, col);
    }

    fn item(&mut self, item: &Item, col: usize) {
        self.indent(col);
        match item {
            Item::Section(s) => {
                self.w("[");
                self.key_path(&s.path);
                if let Some(t) = &s.schema {
                    self.w(": ");
                    self.ty(t, col);
                }
                self.w("]");
            }
            Item::Entry(e) => self.entry(e, col),
            Item::Env(b) => {
                self.w("env ");
                self.w(&b.name.name);
                let mut header_end = b.name.span.end;
                if let Some(p) = &b.extends {
                    self.w(" extends ");
                    self.w(&p.name);
                    header_end = p.span.end;
                }
                if let Some(p) = &b.provider {
                    self.w(" provider ");
                    self.w(&p.name);
                    header_end = p.span.end;
                }
                self.block(&b.items, b.span, header_end, col);
            }
            Item::Provider(b) => {
                self.w("provider ");
                self.w(&b.name.name);
                self.block(&b.items, b.span, b.name.span.end, col);
            }
            Item::Use(u) => {
                self.w("use ");
                self.w(self.src(u.path_span));
            }
            Item::Schema(d) => {
                if d.alias {
                    self.w("type ");
                    self.w(&d.name.name);
                    self.w(" = ");
                } else {
                    self.w("schema ");
                    self.w(&d.name.name);
                    self.w(" ");
                }
                self.ty(&d.ty, col);
            }
            Item::Bind(b) => {
                self.w("bind ");
                if !b.path.is_empty() {
                    let path: Vec<&str> = b.path.iter().map(|i| self.src(i.span)).collect();
                    self.w(&path.join("."));
                    self.w(": ");
                }
                self.ty(&b.ty, col);
            }
            Item::Parity(p) => {
                self.w("parity ");
                self.w(&p.kind.name);
                for (i, k) in p.keys.iter().enumerate() {
                    self.w(if i == 0 { " " } else { ", " });
                    self.key_path(k);
                }
            }
            Item::Vary(v) => {
                self.w("vary");
                for (i, k) in v.keys.iter().enumerate() {
                    self.w(if i == 0 { " " } else { ", " });
                    self.key_path(k);
                }
            }
        }
    }

    /// ` {` items `}` of an `env` / `provider` block.
    fn block(&mut self, items: &[Item], span: Span, header_end: u32, col: usize) {
        let close = span.end.saturating_sub(1);
        let has_comments = self.pending().is_some_and(|c| c.start < close);
        if items.is_empty() && !has_comments {
            self.w(" {}");
            return;
        }
        let first = items.first().map_or(close, |i| item_span(i).start);
        self.open_lines(" {", header_end, first, header_end);
        self.items(items, col + INDENT, close);
        self.indent(col);
        self.w("}");
    }

    fn key_path(&mut self, k: &KeyPath) {
        let parts: Vec<&str> = k.segments.iter().map(|s| self.src(s.span)).collect();
        self.w(&parts.join("."));
    }

    // ----- entries -----

    /// An entry whose key starts at column `col` (the current line is already indented to it).
    fn entry(&mut self, e: &Entry, col: usize) {
        let key_end = match &e.target {
            EntryTarget::Key(k) => {
                self.key_path(k);
                k.span.end
            }
            EntryTarget::Variable(v) => {
                self.w("$");
                self.w(&v.name);
                v.span.end
            }
        };
        let sep = match e.separator {
            Separator::Equals => " =",
            _ => ":",
        };
        match (&e.value.kind, e.separator) {
            (
                ExprKind::Object {
                    entries,
                    style: ObjectStyle::Braces,
                },
                Separator::Block,
            ) => {
                self.w(" ");
                self.brace_object(entries, e.value.span, col);
            }
            (
                ExprKind::Object {
                    entries,
                    style: ObjectStyle::Angle,
                },
                _,
            ) => {
                let first = entries.first().map_or(e.value.span.end, |x| x.span.start);
                self.open_lines(" >", key_end, first, key_end);
                self.entries(entries, col + INDENT, e.value.span.end.saturating_sub(1));
                self.indent(col);
                self.w("<");
            }
            (
                ExprKind::Object {
                    entries,
                    style: ObjectStyle::Indented,
                },
                _,
            ) => {
                let first = entries.first().map_or(e.value.span.end, |x| x.span.start);
                self.open_lines(sep, key_end, first, key_end);
                self.entries(entries, col + INDENT, e.value.span.end);
                self.reopen_last_line();
            }
            (
                ExprKind::Array {
                    items,
                    style: ArrayStyle::Dashes,
                },
                _,
            ) => {
                let first = items.first().map_or(e.value.span.end, |x| x.span.start);
                self.open_lines(sep, key_end, first, key_end);
                self.dash_items(items, col + INDENT, e.value.span.end);
                self.reopen_last_line();
            }
            _ => {
                self.w(sep);
                self.w(" ");
                self.expr(&e.value, col);
            }
        }
    }

    /// Indentation-based constructs end with their last element's line already printed; take that line back as the
    /// current one so the caller's trailing comment and newline apply to it.
    fn reopen_last_line(&mut self) {
        if let Some(last) = self.lines.pop() {
            self.cur = last.code;
            self.cur_comment = last.comment;
        }
    }

    /// Entries of a block, each on its own line at `col`; comments before `close` stay inside.
    fn entries(&mut self, entries: &[Entry], col: usize, close: u32) {
        self.block_start = true;
        for e in entries {
            self.element(e.span, col, |p| {
                p.indent(col);
                p.entry(e, col);
            });
        }
        self.close_block(close, col);
    }

    fn dash_items(&mut self, items: &[Expr], col: usize, close: u32) {
        self.block_start = true;
        for item in items {
            self.element(item.span, col, |p| {
                p.indent(col);
                p.w("-");
                p.dash_item(item, col);
            });
        }
        self.close_block(close, col);
    }

    /// What follows a `-` at column `col`.
    fn dash_item(&mut self, item: &Expr, col: usize) {
        match &item.kind {
            ExprKind::Object {
                entries,
                style: ObjectStyle::Indented,
            } if !entries.is_empty() => {
                // `- first: 1` with the other keys aligned under `first`.
                let inner = col + INDENT;
                self.w(" ");
                self.block_start = true;
                for (i, e) in entries.iter().enumerate() {
                    if i == 0 {
                        self.block_start = false;
                        self.entry(e, inner);
                        let first_line_end = e.span.end;
                        if entries.len() > 1 {
                            self.trailing(first_line_end);
                            self.newline();
                            self.last_end = first_line_end;
                        }
                    } else {
                        self.element(e.span, inner, |p| {
                            p.indent(inner);
                            p.entry(e, inner);
                        });
                    }
                }
                if entries.len() > 1 {
                    self.reopen_last_line();
                }
            }
            ExprKind::Array {
                items,
                style: ArrayStyle::Dashes,
            } => {
                let first = items.first().map_or(item.span.end, |x| x.span.start);
                self.opener_comment(item.span.start, first);
                self.newline();
                self.dash_items(items, col + INDENT, item.span.end);
                self.reopen_last_line();
            }
            _ => {
                self.w(" ");
                self.expr(item, col);
            }
        }
    }

    /// `{ a: 1, b: 2 }` on one line when written on one line, else one entry per line.
    fn brace_object(&mut self, entries: &[Entry], span: Span, col: usize) {
        let close = span.end.saturating_sub(1);
        let multiline = self.src(span).contains('\n');
        if entries.is_empty() && !multiline {
            self.w("{}");
            return;
        }
        if !multiline {
            self.w("{ ");
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    self.w(", ");
                }
                self.entry(e, col);
            }
            self.w(" }");
            return;
        }
        let first = entries.first().map_or(close, |e| e.span.start);
        self.open_lines("{", span.start, first, span.start + 1);
        self.entries(entries, col + INDENT, close);
        self.indent(col);
        self.w("}");
    }

    // ----- expressions -----

    fn expr(&mut self, e: &Expr, col: usize) {
        match &e.kind {
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Str { .. } | ExprKind::Error => {
                self.w(self.src(e.span))
            }
            // TuskLang's `"@env('X')"` in the canonical form it stands for, `@env("X", "")` (TSK0120).
            ExprKind::Directive(d) if d.quoted => self.w(
                &crate::syntax::parser::directive_text(self.text, &d.name.name, &d.args),
            ),
            ExprKind::Int(_) | ExprKind::Float(_) => {
                let lit: String = self
                    .src(e.span)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                self.w(&lit);
            }
            ExprKind::Array { items, .. } => self.bracket_array(items, e.span, col),
            ExprKind::Object { entries, .. } => self.brace_object(entries, e.span, col),
            ExprKind::Variable(v) => {
                let Variable { name, path } = &**v;
                self.w("$");
                self.w(&name.name);
                for seg in path {
                    self.w(".");
                    self.w(self.src(seg.span));
                }
            }
            ExprKind::Reference(k) => self.key_path(k),
            ExprKind::Directive(d) => {
                let Directive {
                    name, args, parens, ..
                } = &**d;
                self.w("@");
                self.w(&name.name);
                if *parens {
                    self.w("(");
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            self.w(", ");
                        }
                        self.expr(a, col);
                    }
                    self.w(")");
                }
            }
            ExprKind::Unary(op, inner) => {
                self.w(match op {
                    UnaryOp::Not => "!",
                    UnaryOp::Neg => "-",
                });
                // `- -x` must not become `--x`.
                if matches!(op, UnaryOp::Neg) && self.src(inner.span).starts_with('-') {
                    self.w(" ");
                }
                self.expr(inner, col);
            }
            ExprKind::Binary(op, l, r) => {
                self.expr(l, col);
                self.w(" ");
                self.w(op.symbol());
                self.w(" ");
                self.expr(r, col);
            }
            ExprKind::Ternary(c, a, b) => {
                self.expr(c, col);
                self.w(" ? ");
                self.expr(a, col);
                self.w(" : ");
                self.expr(b, col);
            }
            ExprKind::Paren(inner) => {
                self.w("(");
                self.expr(inner, col);
                self.w(")");
            }
        }
    }

    /// `[1, 2]` on one line when written on one line, else one item per line, each followed by a comma.
    fn bracket_array(&mut self, items: &[Expr], span: Span, col: usize) {
        let close = span.end.saturating_sub(1);
        let multiline = self.src(span).contains('\n');
        if !multiline || (items.is_empty() && self.pending().is_none_or(|c| c.start >= close)) {
            self.w("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.w(", ");
                }
                self.expr(item, col);
            }
            self.w("]");
            return;
        }
        let first = items.first().map_or(close, |e| e.span.start);
        self.open_lines("[", span.start, first, span.start + 1);
        let inner = col + INDENT;
        self.block_start = true;
        for item in items {
            self.element(item.span, inner, |p| {
                p.indent(inner);
                p.expr(item, inner);
                p.w(",");
            });
        }
        self.close_block(close, inner);
        self.indent(col);
        self.w("]");
    }

    // ----- types -----

    fn ty(&mut self, t: &TypeExpr, col: usize) {
        match &t.kind {
            TypeKind::Named { name, constraints } => {
                self.w(&name.name);
                self.constraints(constraints);
            }
            TypeKind::Literal(e) => self.expr(e, col),
            TypeKind::Array { item, constraints } => {
                self.w("[");
                self.ty(item, col);
                self.w("]");
                self.constraints(constraints);
            }
            TypeKind::Map {
                key,
                value,
                constraints,
            } => {
                self.w("{");
                self.ty(key, col);
                self.w(": ");
                self.ty(value, col);
                self.w("}");
                self.constraints(constraints);
            }
            TypeKind::Object(o) => self.object_type(o, t.span, col),
            TypeKind::Union(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        self.w(" | ");
                    }
                    self.ty(m, col);
                }
            }
            TypeKind::Error => self.w(self.src(t.span)),
        }
    }

    fn constraints(&mut self, cs: &[Constraint]) {
        if cs.is_empty() {
            return;
        }
        let parts: Vec<String> = cs
            .iter()
            .map(|c| {
                self.src(c.span)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        self.w("(");
        self.w(&parts.join(", "));
        self.w(")");
    }

    /// `{ fields }` of a schema or an inline object type, members in source order.
    fn object_type(&mut self, o: &ObjectType, span: Span, col: usize) {
        let mut members: Vec<(Span, Member)> = o
            .fields
            .iter()
            .map(|f| (f.span, Member::Field(f)))
            .chain(o.asserts.iter().map(|a| (a.span, Member::Assert(a))))
            .collect();
        if let Some(extra) = &o.extra {
            members.push((
                o.extra_span.unwrap_or(span),
                Member::Extra(extra.as_deref()),
            ));
        }
        members.sort_by_key(|(s, _)| s.start);
        let close = span.end.saturating_sub(1);
        let multiline = self.src(span).contains('\n');
        if members.is_empty() && !multiline {
            self.w("{}");
            return;
        }
        if !multiline {
            self.w("{ ");
            for (i, (_, m)) in members.iter().enumerate() {
                if i > 0 {
                    self.w(", ");
                }
                self.member(m, col);
            }
            self.w(" }");
            return;
        }
        let first = members.first().map_or(close, |(s, _)| s.start);
        self.open_lines("{", span.start, first, span.start + 1);
        let inner = col + INDENT;
        self.block_start = true;
        for (s, m) in &members {
            self.element(*s, inner, |p| {
                p.indent(inner);
                p.member(m, inner);
            });
        }
        self.close_block(close, inner);
        self.indent(col);
        self.w("}");
    }

    fn member(&mut self, m: &Member<'_>, col: usize) {
        match m {
            Member::Field(f) => {
                self.w(self.src(f.name.span));
                if f.optional {
                    self.w("?");
                }
                self.w(": ");
                self.ty(&f.ty, col);
                if let Some(d) = &f.default {
                    self.w(" = ");
                    self.expr(d, col);
                }
                if let Some((_, span)) = f.deprecated.as_deref() {
                    self.w(" ");
                    let text = self
                        .src(*span)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    self.w(&text);
                }
                if f.vary.is_some() {
                    self.w(" @vary");
                }
            }
            Member::Assert(a) => {
                self.w("assert ");
                self.expr(&a.cond, col);
                if let Some(m) = &a.message {
                    self.w(" : ");
                    self.w(&crate::diagnostic::quote(m));
                }
            }
            Member::Extra(t) => {
                self.w("...");
                if let Some(t) = t {
                    self.w(": ");
                    self.ty(t, col);
                }
            }
        }
    }
}

enum Member<'a> {
    Field(&'a Field),
    Assert(&'a Assert),
    Extra(Option<&'a TypeExpr>),
}

/// The span of a top-level or block item.
pub fn item_span(item: &Item) -> Span {
    match item {
        Item::Section(s) => s.span,
        Item::Entry(e) => e.span,
        Item::Env(b) => b.span,
        Item::Provider(b) => b.span,
        Item::Use(u) => u.span,
        Item::Schema(d) => d.span,
        Item::Bind(b) => b.span,
        Item::Parity(p) => p.span,
        Item::Vary(v) => v.span,
    }
}

/// Trailing comments of consecutive lines start in one column: two spaces after the longest line of the run.
fn align_comments(lines: &mut [Line]) {
    let mut i = 0;
    while i < lines.len() {
        let in_run = |l: &Line| l.comment.is_some() && !l.code.contains('\n');
        if !in_run(&lines[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && in_run(&lines[j]) {
            j += 1;
        }
        let width = lines[i..j]
            .iter()
            .map(|l| l.code.chars().count())
            .max()
            .unwrap_or(0);
        for l in &mut lines[i..j] {
            let pad = width + 2 - l.code.chars().count();
            if let Some(c) = l.comment.take() {
                l.comment = Some(format!("{}{c}", " ".repeat(pad)));
            }
        }
        i = j;
    }
    // A trailing comment after a line that holds a multi-line string: two spaces.
    for l in lines.iter_mut() {
        if let Some(c) = &l.comment {
            if !c.starts_with(' ') {
                l.comment = Some(format!("  {c}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        let mut sink = Sink::new();
        let out = format_text(text, FileId(0), &mut sink);
        assert!(sink.is_empty(), "{:?}", sink.into_sorted());
        out.unwrap()
    }

    #[test]
    fn canonical_layout() {
        let src = "a:1,b =  2\n[app]   # the app\nname:\"x\"  # n\nlist:  [1,2 ,3]\n\n\n\nenv production { [app] replicas: 6 }\n";
        assert_eq!(
            fmt(src),
            "a: 1\nb = 2\n[app]      # the app\nname: \"x\"  # n\nlist: [1, 2, 3]\n\nenv production {\n  [app]\n  replicas: 6\n}\n"
        );
    }

    #[test]
    fn idempotent_on_nested_layouts() {
        let src = "servers:\n    - name: \"one\"   # first\n      port: 8080\n    - \"two\"\nlimits:\n     cpu: 2\n     mem:\n        limit: \"1Gi\"\ncache >\n ttl: \"5m\"\n<\nhosts: [\n  \"a\",  # a\n  # before b\n  \"b\"\n]\n";
        let once = fmt(src);
        assert_eq!(fmt(&once), once);
        assert_eq!(
            once,
            "servers:\n  - name: \"one\"  # first\n    port: 8080\n  - \"two\"\nlimits:\n  cpu: 2\n  mem:\n    limit: \"1Gi\"\ncache >\n  ttl: \"5m\"\n<\nhosts: [\n  \"a\",  # a\n  # before b\n  \"b\",\n]\n"
        );
    }

    #[test]
    fn comments_inside_one_line_values_move_above() {
        let src = "url: \"a\" +  # joined\n  \"b\"\n";
        assert_eq!(fmt(src), "# joined\nurl: \"a\" + \"b\"\n");
    }

    #[test]
    fn refuses_files_with_syntax_errors() {
        let mut sink = Sink::new();
        assert!(format_text("a: [1,\n", FileId(0), &mut sink).is_none());
        assert!(sink.has_errors());
    }
}
