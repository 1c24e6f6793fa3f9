//! Parser: tokens to the syntax tree.
//!
//! Owns: the grammar (normative text in `grammar/tusk.ebnf`). Invariant: parsing never fails. Every mistake becomes a
//! diagnostic and an `Error` node or a skipped line, and parsing resumes at the next line (or the closing delimiter),
//! so independent mistakes are all reported in one run. Every path consumes at least one token per loop turn, and
//! nesting is bounded by [`MAX_DEPTH`], so no input can hang the parser or overflow the stack.
//!
//! Layout rules, in one place:
//! - an entry ends at the end of its line (or at `,` / `;` / a closing `}`); a binary operator at the start of a line
//!   does not continue the previous line's expression unless inside `(...)` or `[...]`;
//! - `key:` with nothing after it on the line takes the following more-indented lines: `child: value` lines form an
//!   object, `- item` lines form an array; a line ending such a block goes back to an enclosing level (the owner's
//!   column or an outer block's), else TSK0113 and the line stays in the innermost block that can hold it;
//! - columns count spaces: a tab in a line's indentation is TSK0113 (once per file); blank and comment lines never count;
//! - `key >` ... `<` is a block closed by a `<` that starts a line.

pub mod parts;
mod types;

use super::ast::*;
use super::lexer::{lex, Token, TokenKind};
use crate::diagnostic::{Code, Diagnostic, Sink};
use crate::source::{FileId, Span};

/// An indentation width in words: `1 column`, `4 columns`.
fn columns(n: u32) -> String {
    if n == 1 {
        "1 column".to_string()
    } else {
        format!("{n} columns")
    }
}

/// Tokens that close a block or bracket end an indented block wherever they sit on their line.
fn closes_a_block(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Eof
            | TokenKind::RBrace
            | TokenKind::RBracket
            | TokenKind::RParen
            | TokenKind::Lt
    )
}

/// Deepest nesting of blocks and expressions accepted; deeper input gets TSK0116 instead of a stack overflow.
pub const MAX_DEPTH: u32 = 128;
/// Operators in one chain (`a + b + c ...`): each is a level of the expression tree.
pub const MAX_OPERATORS: u32 = 1000;

/// Directives a string may hold in the TuskLang quoted form `"@env('X')"`.
const QUOTABLE_DIRECTIVES: &[&str] = &["env", "secret", "file"];

/// The canonical text of a quoted directive (`"@env('X')"` → `@env("X", "")`): its string arguments double-quoted
/// (they hold only literal text), the others as written in `text`. What TSK0120 suggests and `tuskc fmt` writes.
pub fn directive_text(text: &str, name: &str, args: &[Expr]) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|a| match &a.kind {
            ExprKind::Str { parts, .. } => {
                let mut s = String::new();
                for p in parts {
                    if let StrPart::Lit(l) = p {
                        s.push_str(l);
                    }
                }
                crate::diagnostic::quote(&s)
            }
            _ => text.get(a.span.range()).unwrap_or("").to_string(),
        })
        .collect();
    format!("@{name}({})", args.join(", "))
}

/// Parse one file.
pub fn parse(text: &str, file: FileId, sink: &mut Sink) -> Ast {
    let lexed = lex(text, 0, file, sink);
    let mut p = Parser::new(text, file, &lexed.comments, lexed.tokens, sink, 0, 0);
    p.check_tabs();
    let items = p.top_items();
    Ast {
        file,
        items,
        comments: lexed.comments,
    }
}

/// Parse a standalone expression (used for `--set` values). Returns `None` when it does not parse cleanly.
pub fn parse_expression(text: &str, file: FileId) -> Option<Expr> {
    parse_whole(text, file, |p| Some(p.parse_expr()))
}

/// Parse a standalone key path (`--set` keys) as an entry's key is read: `.`-separated identifiers, integers and
/// quoted strings without interpolation. `None` unless the whole text is one key path.
pub fn parse_key_path(text: &str, file: FileId) -> Option<KeyPath> {
    parse_whole(text, file, |p| p.parse_key_path())
}

/// Run one grammar rule over the whole of a command-line fragment: `None` unless it parses cleanly to the end.
fn parse_whole<T>(
    text: &str,
    file: FileId,
    rule: impl FnOnce(&mut Parser) -> Option<T>,
) -> Option<T> {
    let mut sink = Sink::new();
    let lexed = lex(text, 0, file, &mut sink);
    let mut p = Parser::new(text, file, &[], lexed.tokens, &mut sink, 0, 1);
    let parsed = rule(&mut p);
    let at_end = p.peek().kind == TokenKind::Eof;
    parsed.filter(|_| at_end && !sink.has_errors())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    Top,
    Env,
    Provider,
    Object,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    Eof,
    /// Until the `}` matching the `{` at this span.
    Brace(Span),
    /// Until a line-starting `<` closing the `>` at this span.
    Angle(Span),
    /// While line-starting tokens sit at exactly `col`: an indented block whose first line is `start`, owned by a
    /// key (or `-`) at column `parent`. A line between `parent` and `col` matches no enclosing level (TSK0113).
    Indent {
        col: u32,
        parent: u32,
        start: Span,
    },
}

struct Parser<'a, 's> {
    text: &'a str,
    file: FileId,
    /// Comment spans, for `##` doc comments on schemas and fields.
    comments: &'a [Span],
    tokens: Vec<Token>,
    pos: usize,
    sink: &'s mut Sink,
    depth: u32,
    /// Start of the last error reported: one position gets one error, so recovery never piles up messages.
    last_error: Option<(u32, Code)>,
    /// The depth limit stopped parsing; later errors would only be noise.
    aborted: bool,
    /// Depth of `(`/`[` around the current expression: inside them, newlines do not end expressions.
    nesting: u32,
    /// The indented blocks around the current position, innermost last, as (block column, owner's column): the
    /// levels a line may be indented to. A `{...}` or `>...<` block starts afresh (its entries may sit anywhere).
    levels: Vec<(u32, u32)>,
    /// The entries of the key blocks being parsed, innermost last, and likewise the fields of the object types: each
    /// block's are moved into a vector of exactly their number when it closes, instead of growing a vector of its own
    /// (copying the entries at every doubling, and keeping a quarter of room unused on average for the whole run).
    pub(super) entry_stack: Vec<Entry>,
    pub(super) field_stack: Vec<Field>,
}

fn binary_op(kind: TokenKind) -> Option<(BinaryOp, u8)> {
    use TokenKind::*;
    Some(match kind {
        OrOr => (BinaryOp::Or, 1),
        AndAnd => (BinaryOp::And, 2),
        EqEq => (BinaryOp::Eq, 3),
        Ne => (BinaryOp::Ne, 3),
        Lt => (BinaryOp::Lt, 4),
        Le => (BinaryOp::Le, 4),
        Gt => (BinaryOp::Gt, 4),
        Ge => (BinaryOp::Ge, 4),
        Plus => (BinaryOp::Add, 5),
        Minus => (BinaryOp::Sub, 5),
        Star => (BinaryOp::Mul, 6),
        Slash => (BinaryOp::Div, 6),
        Percent => (BinaryOp::Rem, 6),
        _ => return None,
    })
}

/// What [`Parser::parse_items_into`] collects into: every item of a file or `env`/`provider` block, or, inside a
/// key's block (where only entries can stand; anything else is reported and dropped where it is parsed), the entries
/// themselves, so an object's entries are not collected twice.
trait Items {
    fn add(&mut self, p: &mut Parser, item: Item);
}

impl Items for Vec<Item> {
    fn add(&mut self, _: &mut Parser, item: Item) {
        self.push(item);
    }
}

/// A key's block: its entries go on [`Parser::entry_stack`] above this position.
struct Entries(usize);

impl Items for Entries {
    fn add(&mut self, p: &mut Parser, item: Item) {
        if let Item::Entry(e) = item {
            p.entry_stack.push(e);
        }
    }
}

impl<'a, 's> Parser<'a, 's> {
    /// A parser over `tokens` (lexed from `text`, the whole file, whose offsets their spans are), reporting into
    /// `sink`, starting `depth` levels deep and inside `nesting` brackets (1 for a fragment: newlines do not end it).
    fn new(
        text: &'a str,
        file: FileId,
        comments: &'a [Span],
        tokens: Vec<Token>,
        sink: &'s mut Sink,
        depth: u32,
        nesting: u32,
    ) -> Self {
        Parser {
            text,
            file,
            comments,
            tokens,
            pos: 0,
            sink,
            depth,
            last_error: None,
            aborted: false,
            nesting,
            levels: Vec::new(),
            entry_stack: Vec::new(),
            field_stack: Vec::new(),
        }
    }

    fn report(&mut self, d: Diagnostic) {
        if self.aborted {
            return;
        }
        let at = d.primary_label().map(|l| l.span.start);
        if let (Some(at), crate::diagnostic::Severity::Error) = (at, d.severity) {
            // Several blocks may be left open at one place; each is worth its own error.
            let both_unclosed = d.code == Code::Unclosed
                && self.last_error.is_some_and(|(_, c)| c == Code::Unclosed);
            if self.last_error.is_some_and(|(p, _)| p == at) && !both_unclosed {
                return;
            }
            self.last_error = Some((at, d.code));
        }
        if d.code == Code::NestingTooDeep {
            self.aborted = true;
        }
        self.sink.push(d);
    }

    // ----- token access -----

    fn peek(&self) -> Token {
        self.peek_at(0)
    }
    fn peek_at(&self, n: usize) -> Token {
        let i = (self.pos + n).min(self.tokens.len() - 1);
        self.tokens[i]
    }
    fn bump(&mut self) -> Token {
        let t = self.peek();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }
    fn at(&self, kind: TokenKind) -> bool {
        self.peek().kind == kind
    }
    fn slice(&self, span: Span) -> &'a str {
        self.text.get(span.range()).unwrap_or("")
    }
    fn prev_span(&self) -> Span {
        if self.pos == 0 {
            Span::default()
        } else {
            self.tokens[self.pos - 1].span
        }
    }

    fn describe(&self, t: Token) -> String {
        match t.kind {
            TokenKind::Ident
            | TokenKind::Int
            | TokenKind::Float
            | TokenKind::Variable
            | TokenKind::Directive => {
                format!("`{}`", self.slice(t.span))
            }
            k => k.describe().to_string(),
        }
    }

    /// Report an unexpected token, unless the lexer already reported it.
    fn unexpected(&mut self, t: Token, expected: &str) {
        if t.kind == TokenKind::Error {
            return;
        }
        let found = self.describe(t);
        let label = format!("expected {expected}");
        let mut d = Diagnostic::error(
            Code::UnexpectedToken,
            format!("expected {expected}, found {found}"),
        )
        .primary(self.file, t.span, label);
        if t.kind == TokenKind::Int
            && self.peek_at(1).kind == TokenKind::Ident
            && self.peek_at(1).span.start == t.span.end
        {
            d = d.help(format!(
                "to write `{}{}` as text, quote it: \"{}{}\"",
                self.slice(t.span),
                self.slice(self.peek_at(1).span),
                self.slice(t.span),
                self.slice(self.peek_at(1).span)
            ));
        } else {
            d = d.help(format!(
                "write {expected} here, or remove {found} (docs/language.md shows the syntax)"
            ));
        }
        self.report(d);
    }

    /// Skip to the start of the next line (or a `}` / end of file), for recovery.
    fn skip_line(&mut self) {
        let start = self.pos;
        while !matches!(self.peek().kind, TokenKind::Eof | TokenKind::RBrace)
            && (self.pos == start || !self.peek().line_start)
        {
            self.bump();
        }
    }

    /// Expect a closing delimiter. On a miss, say which opening it would close.
    fn expect_close(&mut self, kind: TokenKind, open: Span, what: &str) -> bool {
        if self.at(kind) {
            self.bump();
            return true;
        }
        let t = self.peek();
        if t.kind != TokenKind::Error {
            let close = kind.describe();
            self.report(
                Diagnostic::error(
                    Code::Unclosed,
                    format!("expected {close} to close the {what}"),
                )
                .primary(
                    self.file,
                    t.span,
                    format!("expected {close}, found {}", self.describe(t)),
                )
                .secondary(self.file, open, format!("{what} opened here"))
                .help(format!(
                    "add {close} where the {what} ends, or remove the opening delimiter"
                )),
            );
        }
        false
    }

    /// A structure past a limit: report it and stop parsing the file (skip to its end).
    fn too_deep(&mut self, message: String, span: Span, label: &str, help: &str) {
        self.report(
            Diagnostic::error(Code::NestingTooDeep, message)
                .primary(self.file, span, label)
                .help(help),
        );
        self.pos = self.tokens.len() - 1;
    }

    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek();
            self.too_deep(
                format!("nesting deeper than {MAX_DEPTH} levels"),
                t.span,
                "too deeply nested",
                "flatten the structure; the rest of the file was not parsed",
            );
            self.depth -= 1;
            return false;
        }
        true
    }
    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ----- items -----

    /// A tab in the indentation of a line holding a token is TSK0113 (the layout counts columns, and a tab has no
    /// agreed width). Blank and comment-only lines are not looked at. Reported once per file, at the first such line,
    /// with the count of the others; parsing goes on counting a tab as one column.
    fn check_tabs(&mut self) {
        // Most files hold no tab at all: one pass over the bytes instead of a look at every line's indentation.
        if memchr::memchr(b'\t', self.text.as_bytes()).is_none() {
            return;
        }
        let mut tabbed = self
            .tokens
            .iter()
            .filter(|t| t.kind != TokenKind::Eof)
            .filter_map(|t| self.indent_tab(t));
        let Some(first) = tabbed.next() else { return };
        let others = tabbed.count();
        let mut d = Diagnostic::error(Code::BadIndentation, "tab in indentation")
            .primary(self.file, first, "a tab here")
            .help("indent with spaces only");
        if others > 0 {
            let lines = if others == 1 { "line is" } else { "lines are" };
            d = d.note(format!(
                "{others} more {lines} indented with tabs in this file"
            ));
        }
        self.report(d);
    }

    /// The first tab in the indentation of `t`'s line, if `t` starts the line. Such a line has one mistake, the tab
    /// ([`Self::check_tabs`]): its column (a tab counted as one) is not reported against the blocks around it.
    fn indent_tab(&self, t: &Token) -> Option<Span> {
        if !t.line_start {
            return None;
        }
        let begin = t.span.start.checked_sub(t.col)?;
        let indent = self.text.get(begin as usize..t.span.start as usize)?;
        let at = indent.find('\t')? as u32;
        Some(Span {
            start: begin + at,
            end: begin + at + 1,
        })
    }

    /// A line-starting token that dedents from the indented block `(col, parent, start)` to a column between the
    /// block's and its owner's. Reports it (once per block and column: `tolerated`) and keeps the line in the
    /// block, the innermost one that can hold it.
    fn report_no_level(
        &mut self,
        t: Token,
        col: u32,
        parent: u32,
        start: Span,
        tolerated: &mut Option<u32>,
    ) {
        if *tolerated == Some(t.col) || self.indent_tab(&t).is_some() {
            return;
        }
        *tolerated = Some(t.col);
        self.report(
            Diagnostic::error(
                Code::BadIndentation,
                "line is indented to no enclosing level",
            )
            .primary(
                self.file,
                t.span,
                format!(
                    "indented {}, expected {}",
                    columns(t.col),
                    self.valid_columns(None)
                ),
            )
            .secondary(
                self.file,
                start,
                format!("this block is indented {col} columns"),
            )
            .help(format!(
                "indent it {col} columns to keep it in this block, or {parent} to end the block"
            ))
            .note("it was read as a line of this block"),
        );
    }

    /// The columns a line may sit at here: every enclosing indented block's and its owner's (and `extra`), widest
    /// first, as text (`4, 2 or 0`).
    fn valid_columns(&self, extra: Option<u32>) -> String {
        let mut cols: Vec<u32> = self
            .levels
            .iter()
            .flat_map(|&(c, p)| [c, p])
            .chain(extra)
            .collect();
        cols.sort_unstable_by(|a, b| b.cmp(a));
        cols.dedup();
        let cols: Vec<String> = cols.iter().map(u32::to_string).collect();
        match cols.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            Some((last, _)) => last.clone(),
            None => String::new(),
        }
    }

    fn at_end(&mut self, end: End, tolerated: &mut Option<u32>) -> bool {
        let t = self.peek();
        match end {
            End::Eof => t.kind == TokenKind::Eof,
            End::Brace(_) => matches!(t.kind, TokenKind::RBrace | TokenKind::Eof),
            End::Angle(_) => t.kind == TokenKind::Eof || (t.kind == TokenKind::Lt && t.line_start),
            End::Indent { col, parent, start } => {
                if t.kind == TokenKind::Eof || !t.line_start || t.col <= parent {
                    return true;
                }
                if t.col < col {
                    // Closing delimiters end the block wherever they sit; anything else would silently change
                    // parent, so it is an error and stays in this block.
                    if closes_a_block(t.kind) {
                        return true;
                    }
                    if t.kind != TokenKind::Error {
                        self.report_no_level(t, col, parent, start, tolerated);
                    }
                    return false;
                }
                if t.col > col && t.kind != TokenKind::Error && self.indent_tab(&t).is_none() {
                    self.report(
                        Diagnostic::error(Code::BadIndentation, "line is indented more than the entries above it")
                            .primary(self.file, t.span, format!("indented {} columns, expected {col}", t.col))
                            .help("align it with the other entries of this block, or give it a parent key"),
                    );
                }
                false
            }
        }
    }

    /// The items of a file or block up to `end`, added to `items`.
    fn parse_items_into<I: Items>(&mut self, ctx: Ctx, end: End, mut items: I) -> I {
        if !self.enter() {
            return items;
        }
        let outer = match end {
            End::Indent { col, parent, .. } => {
                self.levels.push((col, parent));
                None
            }
            _ => Some(std::mem::take(&mut self.levels)),
        };
        let mut tolerated = None;
        while !self.at_end(end, &mut tolerated) {
            let before = self.pos;
            let t = self.peek();
            match t.kind {
                TokenKind::Comma | TokenKind::Semicolon => {
                    self.bump();
                }
                TokenKind::LBracket => {
                    if let Some(s) = self.parse_section(ctx) {
                        items.add(self, Item::Section(s));
                    }
                }
                TokenKind::Ident if ctx != Ctx::Object && self.schema_item_ahead() => {
                    if let Some(item) = self.parse_schema_item(ctx) {
                        items.add(self, item);
                    }
                }
                TokenKind::Ident if ctx != Ctx::Object && self.keyword_block_ahead() => {
                    let word = self.slice(t.span);
                    if word == "env" {
                        if let Some(b) = self.parse_env(ctx) {
                            items.add(self, b);
                        }
                    } else if let Some(b) = self.parse_provider(ctx) {
                        items.add(self, b);
                    }
                }
                TokenKind::Ident
                    if ctx == Ctx::Top
                        && self.slice(t.span) == "use"
                        && matches!(
                            self.peek_at(1).kind,
                            TokenKind::Str | TokenKind::TripleStr(_)
                        ) =>
                {
                    self.bump();
                    let pt = self.bump();
                    let path = self.plain_string(pt).unwrap_or_default();
                    items.add(self, Item::Use(Use {
                        path,
                        path_span: pt.span,
                        span: t.span.to(pt.span),
                    }));
                    self.expect_line_end();
                }
                TokenKind::Ident | TokenKind::Str | TokenKind::Int | TokenKind::Variable => {
                    if let Some(e) = self.parse_entry() {
                        items.add(self, Item::Entry(e));
                    }
                }
                TokenKind::RBrace => {
                    self.report(
                        Diagnostic::error(
                            Code::UnexpectedToken,
                            "unexpected `}`: no block is open here",
                        )
                        .primary(self.file, t.span, "nothing to close")
                        .help("remove it, or add the `{` it was meant to close"),
                    );
                    self.bump();
                }
                TokenKind::Minus if t.line_start => {
                    self.report(
                        Diagnostic::error(Code::UnexpectedToken, "a `- item` line must belong to a key")
                            .primary(self.file, t.span, "list item without a key")
                            .help("write `key:` on the line above, and indent the `- item` lines below it"),
                    );
                    self.skip_line();
                }
                _ => {
                    self.unexpected(t, "a key, a `[section]`, `env`, `provider` or `use`");
                    self.skip_line();
                }
            }
            if self.pos == before {
                self.bump();
            }
        }
        match outer {
            Some(levels) => self.levels = levels,
            None => {
                self.levels.pop();
            }
        }
        if let End::Angle(open) = end {
            self.expect_close(TokenKind::Lt, open, "`>` block");
        }
        self.leave();
        items
    }

    /// `env NAME ...{` or `provider NAME ...{`: a keyword followed by a name, not by `:` (then it is a key).
    fn keyword_block_ahead(&self) -> bool {
        let word = self.slice(self.peek().span);
        (word == "env" || word == "provider") && self.peek_at(1).kind == TokenKind::Ident
    }

    /// `[name]` or `[a.b]` alone on its line.
    fn section_ahead(&self) -> bool {
        if self.peek().kind != TokenKind::LBracket {
            return false;
        }
        let mut n = 1;
        loop {
            if !matches!(self.peek_at(n).kind, TokenKind::Ident | TokenKind::Str) {
                return false;
            }
            match self.peek_at(n + 1).kind {
                TokenKind::Dot => n += 2,
                TokenKind::RBracket => return self.peek_at(n + 2).line_start,
                TokenKind::Colon => return true,
                _ => return false,
            }
        }
    }

    fn parse_section(&mut self, ctx: Ctx) -> Option<Section> {
        let open = self.bump();
        let path = self.parse_key_path()?;
        let schema = if self.at(TokenKind::Colon) {
            self.bump();
            Some(self.parse_type())
        } else {
            None
        };
        self.expect_close(TokenKind::RBracket, open.span, "section header");
        let span = open.span.to(self.prev_span());
        if ctx == Ctx::Object {
            self.report(
                Diagnostic::error(Code::SectionNotAllowed, "a `[section]` header cannot appear inside a key's block")
                    .primary(self.file, span, "section header inside a block")
                    .help("use a nested key instead, e.g. `name { ... }`, or move the header to the top level"),
            );
            return None;
        }
        Some(Section { path, schema, span })
    }

    fn ident(&mut self) -> Option<Ident> {
        let t = self.peek();
        if t.kind == TokenKind::Ident {
            self.bump();
            Some(Ident {
                name: self.slice(t.span).to_string(),
                span: t.span,
            })
        } else {
            self.unexpected(t, "a name");
            None
        }
    }

    fn parse_env(&mut self, ctx: Ctx) -> Option<Item> {
        let kw = self.bump();
        let name = self.ident()?;
        let mut extends = None;
        let mut provider = None;
        loop {
            let t = self.peek();
            if t.kind != TokenKind::Ident {
                break;
            }
            match self.slice(t.span) {
                "extends" if extends.is_none() => {
                    self.bump();
                    extends = Some(self.ident()?);
                }
                "provider" if provider.is_none() => {
                    self.bump();
                    provider = Some(self.ident()?);
                }
                _ => break,
            }
        }
        let items = self.parse_block_body(
            if ctx == Ctx::Provider {
                Ctx::Provider
            } else {
                Ctx::Env
            },
            "`env` block",
        )?;
        Some(Item::Env(EnvBlock {
            name,
            extends,
            provider,
            items,
            span: kw.span.to(self.prev_span()),
        }))
    }

    fn parse_provider(&mut self, ctx: Ctx) -> Option<Item> {
        let kw = self.bump();
        let name = self.ident()?;
        let items = self.parse_block_body(
            if ctx == Ctx::Env {
                Ctx::Env
            } else {
                Ctx::Provider
            },
            "`provider` block",
        )?;
        Some(Item::Provider(ProviderBlock {
            name,
            items,
            span: kw.span.to(self.prev_span()),
        }))
    }

    /// A file's items. The vector is sized up front for the lines that start at column 0 (nearly every one is an
    /// item): a large file has thousands, and growing the vector one doubling at a time copies them all again. Lines
    /// inside a `{ ... }` that are not indented count too; where they made the room far larger than the items, it is
    /// given back (the language server keeps the tree).
    fn top_items(&mut self) -> Vec<Item> {
        let lines = self
            .tokens
            .iter()
            .filter(|t| {
                t.line_start && t.col == 0 && !matches!(t.kind, TokenKind::RBrace | TokenKind::Eof)
            })
            .count();
        let mut items = self.parse_items_into(Ctx::Top, End::Eof, Vec::with_capacity(lines));
        if items.capacity() / 2 > items.len() {
            items.shrink_to_fit();
        }
        items
    }

    fn parse_block_body(&mut self, ctx: Ctx, what: &str) -> Option<Vec<Item>> {
        let t = self.peek();
        if t.kind != TokenKind::LBrace {
            self.unexpected(t, "`{` to open the block");
            self.skip_line();
            return None;
        }
        self.bump();
        let items = self.parse_items_into(ctx, End::Brace(t.span), Vec::new());
        self.expect_close(TokenKind::RBrace, t.span, what);
        Some(items)
    }

    // ----- entries -----

    fn key_segment(&mut self) -> Option<Ident> {
        let t = self.peek();
        match t.kind {
            TokenKind::Ident | TokenKind::Int => {
                self.bump();
                Some(Ident {
                    name: self.slice(t.span).to_string(),
                    span: t.span,
                })
            }
            TokenKind::Str => {
                self.bump();
                let name = self.plain_string(t)?;
                Some(Ident { name, span: t.span })
            }
            _ => {
                self.unexpected(t, "a key name");
                None
            }
        }
    }

    fn parse_key_path(&mut self) -> Option<KeyPath> {
        let first = self.key_segment()?;
        let mut span = first.span;
        let mut segments = vec![first];
        while self.at(TokenKind::Dot) {
            let dot = self.bump();
            if segments.len() >= MAX_DEPTH as usize {
                self.too_deep(
                    format!("a key path of more than {MAX_DEPTH} segments"),
                    dot.span,
                    "too many segments",
                    "flatten the structure; the rest of the file was not parsed",
                );
                return None;
            }
            let seg = self.key_segment()?;
            span = span.to(seg.span);
            segments.push(seg);
        }
        Some(KeyPath { segments, span })
    }

    /// Does an entry (`key:`, `key =`, `key {`, `key >`, `a.b:`) start at token `n` ahead?
    fn entry_ahead(&self, mut n: usize) -> bool {
        loop {
            if !matches!(
                self.peek_at(n).kind,
                TokenKind::Ident | TokenKind::Str | TokenKind::Int | TokenKind::Variable
            ) {
                return false;
            }
            n += 1;
            match self.peek_at(n).kind {
                TokenKind::Dot => n += 1,
                TokenKind::Colon | TokenKind::Eq | TokenKind::LBrace | TokenKind::Gt => {
                    return true
                }
                _ => return false,
            }
        }
    }

    fn parse_entry(&mut self) -> Option<Entry> {
        let first = self.peek();
        let target = if first.kind == TokenKind::Variable {
            self.bump();
            EntryTarget::Variable(Ident {
                name: self.slice(first.span)[1..].to_string(),
                span: first.span,
            })
        } else {
            match self.parse_key_path() {
                Some(p) => EntryTarget::Key(p),
                None => {
                    self.skip_line();
                    return None;
                }
            }
        };
        let t = self.peek();
        let (separator, value) = match t.kind {
            TokenKind::Colon | TokenKind::Eq => {
                self.bump();
                let sep = if t.kind == TokenKind::Colon {
                    Separator::Colon
                } else {
                    Separator::Equals
                };
                (sep, self.parse_entry_value(first.col, t.span))
            }
            TokenKind::LBrace => {
                self.bump();
                (Separator::Block, self.brace_object(t.span, "block"))
            }
            TokenKind::Gt => {
                self.bump();
                let entries = self.block_entries(End::Angle(t.span), None);
                (
                    Separator::Block,
                    self.object(entries, ObjectStyle::Angle, t.span),
                )
            }
            _ => {
                let key = match &target {
                    EntryTarget::Key(k) => k.dotted(),
                    EntryTarget::Variable(v) => format!("${}", v.name),
                };
                if t.kind != TokenKind::Error {
                    let mut d = Diagnostic::error(
                        Code::UnexpectedToken,
                        format!(
                            "expected `:` or `=` after the key `{key}`, found {}",
                            self.describe(t)
                        ),
                    )
                    .primary(self.file, t.span, "expected `:` or `=`");
                    if t.line_start {
                        d = d.secondary(self.file, first.span, "this key has no value");
                    }
                    self.report(d.help(format!("write `{key}: value`")));
                }
                if !t.line_start {
                    self.skip_line();
                }
                return None;
            }
        };
        let span = first.span.to(self.prev_span()).to(value.span);
        self.expect_line_end();
        Some(Entry {
            target,
            separator,
            value,
            span,
        })
    }

    /// The entries of `{ ... }` after its `{` (at `open`), through the closing `}`. Inside, entries are
    /// line-based again even when the object sits in `(...)` or `[...]`.
    fn brace_object(&mut self, open: Span, what: &str) -> Expr {
        let saved = std::mem::replace(&mut self.nesting, 0);
        let entries = self.block_entries(End::Brace(open), None);
        self.nesting = saved;
        self.expect_close(TokenKind::RBrace, open, what);
        self.object(entries, ObjectStyle::Braces, open)
    }

    /// The entries of a key's block up to `end`, after `first` if the caller parsed that one already.
    fn block_entries(&mut self, end: End, first: Option<Entry>) -> Vec<Entry> {
        let mark = Entries(self.entry_stack.len());
        self.entry_stack.extend(first);
        let Entries(from) = self.parse_items_into(Ctx::Object, end, mark);
        self.entry_stack.drain(from..).collect()
    }

    fn object(&self, entries: Vec<Entry>, style: ObjectStyle, open: Span) -> Expr {
        Expr {
            kind: ExprKind::Object { entries, style },
            span: open.to(self.prev_span()),
        }
    }

    /// After an entry's value: the line must end (or `,` / `;` / `}` follow).
    fn expect_line_end(&mut self) {
        let t = self.peek();
        if t.line_start
            || matches!(
                t.kind,
                TokenKind::Eof
                    | TokenKind::RBrace
                    | TokenKind::Comma
                    | TokenKind::Semicolon
                    | TokenKind::Error
            )
        {
            return;
        }
        let mut d = Diagnostic::error(
            Code::TrailingTokens,
            format!("unexpected {} after the value", self.describe(t)),
        )
        .primary(self.file, t.span, "expected the end of the line");
        let prev = self.tokens.get(self.pos.wrapping_sub(1)).copied();
        d = if let Some(prev) = prev.filter(|p| {
            p.span.end == t.span.start
                && t.kind == TokenKind::Ident
                && matches!(p.kind, TokenKind::Int | TokenKind::Float)
        }) {
            let word = format!("{}{}", self.slice(prev.span), self.slice(t.span));
            d.help(format!("to write `{word}` as text, quote it: \"{word}\""))
        } else if matches!(t.kind, TokenKind::Ident | TokenKind::Int | TokenKind::Float)
            && matches!(
                prev.map(|p| p.kind),
                Some(TokenKind::Ident | TokenKind::Int | TokenKind::Float)
            )
        {
            d.help("to write several words as text, quote them: \"like this\"")
        } else {
            d.help("put each entry on its own line, or separate entries with `,`")
        };
        self.report(d);
        self.skip_line();
    }

    fn parse_entry_value(&mut self, key_col: u32, sep: Span) -> Expr {
        let t = self.peek();
        if !t.line_start {
            return self.parse_expr();
        }
        if t.kind == TokenKind::Minus && t.col >= key_col {
            return self.parse_dash_list(t.col, key_col);
        }
        if t.kind != TokenKind::Eof && t.col > key_col {
            if self.entry_ahead(0) {
                let end = End::Indent {
                    col: t.col,
                    parent: key_col,
                    start: t.span,
                };
                let entries = self.block_entries(end, None);
                return self.object(entries, ObjectStyle::Indented, t.span);
            }
            return self.parse_expr();
        }
        self.report(
            Diagnostic::error(Code::MissingValue, "missing value")
                .primary(self.file, sep, "expected a value after this")
                .help("put the value on the same line, or more-indented `key: value` or `- item` lines below"),
        );
        Expr::error(sep.shrink_to_end())
    }

    fn parse_dash_list(&mut self, col: u32, key_col: u32) -> Expr {
        let start = self.peek().span;
        let mut items = Vec::new();
        if !self.enter() {
            return Expr::error(start);
        }
        loop {
            let t = self.peek();
            if t.kind != TokenKind::Minus || !t.line_start || t.col < key_col {
                break;
            }
            if t.col != col && self.indent_tab(&t).is_none() {
                self.report(
                    Diagnostic::error(
                        Code::BadIndentation,
                        "list item is not aligned with the items above it",
                    )
                    .primary(
                        self.file,
                        t.span,
                        format!("at column {}, expected {}", t.col + 1, col + 1),
                    )
                    .help("put every `-` of one list at the same indentation"),
                );
            }
            self.bump();
            let next = self.peek();
            let item =
                if next.line_start {
                    if next.kind != TokenKind::Eof && next.col > col {
                        self.parse_entry_value(col, t.span)
                    } else {
                        self.report(
                            Diagnostic::error(Code::MissingValue, "list item has no value")
                                .primary(self.file, t.span, "expected a value after `-`"),
                        );
                        Expr::error(t.span.shrink_to_end())
                    }
                } else if self.entry_ahead(0) {
                    // `- name: x` followed by aligned `port: 1` lines: an object item (YAML style).
                    let first = self.parse_entry();
                    let end = End::Indent {
                        col: next.col,
                        parent: t.col,
                        start: next.span,
                    };
                    let entries = self.block_entries(end, first);
                    self.object(entries, ObjectStyle::Indented, next.span)
                } else {
                    let e = self.parse_expr();
                    self.expect_line_end();
                    e
                };
            items.push(item);
        }
        // A line after the list indented past its key cannot be an item; it would silently join the list's parent.
        let t = self.peek();
        if t.line_start
            && t.col > key_col
            && t.kind != TokenKind::Error
            && !closes_a_block(t.kind)
            && self.indent_tab(&t).is_none()
        {
            self.report(
                Diagnostic::error(Code::BadIndentation, "line is indented to no enclosing level")
                    .primary(
                        self.file,
                        t.span,
                        format!("indented {}, expected {}", columns(t.col), self.valid_columns(Some(key_col))),
                    )
                    .secondary(self.file, start, format!("this list's `-` items are at {col} columns"))
                    .help(format!(
                        "start it with `- ` to make it an item, or indent it {key_col} columns to end the list"
                    ))
                    .note("it was read as a line of the block holding the list"),
            );
        }
        self.leave();
        let span = start.to(self.prev_span());
        Expr {
            kind: ExprKind::Array {
                items,
                style: ArrayStyle::Dashes,
            },
            span,
        }
    }

    // ----- expressions -----

    fn parse_expr(&mut self) -> Expr {
        if !self.enter() {
            return Expr::error(self.peek().span);
        }
        let cond = self.parse_binary(1);
        let t = self.peek();
        let e = if t.kind == TokenKind::Question && (!t.line_start || self.nesting > 0) {
            self.bump();
            let a = self.parse_expr();
            let colon = self.peek();
            if colon.kind == TokenKind::Colon {
                self.bump();
                let b = self.parse_expr();
                let span = cond.span.to(b.span);
                Expr {
                    kind: ExprKind::Ternary(Box::new(cond), Box::new(a), Box::new(b)),
                    span,
                }
            } else {
                if colon.kind != TokenKind::Error {
                    self.report(
                        Diagnostic::error(
                            Code::UnexpectedToken,
                            format!(
                                "expected `:` in the conditional, found {}",
                                self.describe(colon)
                            ),
                        )
                        .primary(
                            self.file,
                            colon.span,
                            "expected `:` and the value for when the condition is false",
                        )
                        .secondary(self.file, t.span, "conditional starts here")
                        .help("a conditional is `condition ? value if true : value if false`"),
                    );
                }
                Expr::error(cond.span.to(a.span))
            }
        } else {
            cond
        };
        self.leave();
        e
    }

    fn parse_binary(&mut self, min_prec: u8) -> Expr {
        let mut lhs = self.parse_unary();
        let mut operators = 0;
        loop {
            let t = self.peek();
            let Some((op, prec)) = binary_op(t.kind) else {
                break;
            };
            if prec < min_prec || (t.line_start && self.nesting == 0) {
                break;
            }
            // Each operator of a chain is one level of the tree every later stage walks recursively.
            operators += 1;
            if operators > MAX_OPERATORS {
                self.too_deep(
                    format!("more than {MAX_OPERATORS} operators in one expression"),
                    t.span,
                    "one operator too many",
                    "split the expression into named parts; the rest of the file was not parsed",
                );
                return Expr::error(lhs.span);
            }
            self.bump();
            let rhs = self.parse_binary(prec + 1);
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        lhs
    }

    fn parse_unary(&mut self) -> Expr {
        let t = self.peek();
        let op = match t.kind {
            TokenKind::Bang => UnaryOp::Not,
            TokenKind::Minus => UnaryOp::Neg,
            _ => return self.parse_primary(),
        };
        self.bump();
        // `-` before an integer literal is part of it, so that i64::MIN can be written.
        if op == UnaryOp::Neg && self.at(TokenKind::Int) {
            let lit = self.bump();
            return self.int_literal(lit, Some(t.span));
        }
        if !self.enter() {
            return Expr::error(t.span);
        }
        let inner = self.parse_unary();
        self.leave();
        let span = t.span.to(inner.span);
        // `-1.5` is a literal, not an operation.
        if let (UnaryOp::Neg, ExprKind::Float(f)) = (op, &inner.kind) {
            return Expr {
                kind: ExprKind::Float(-f),
                span,
            };
        }
        Expr {
            kind: ExprKind::Unary(op, Box::new(inner)),
            span,
        }
    }

    /// An integer literal, with the span of a `-` written before it.
    fn int_literal(&mut self, t: Token, minus: Option<Span>) -> Expr {
        let span = minus.map_or(t.span, |m| m.to(t.span));
        let text = self.slice(t.span);
        // The usual integer (no sign, no `_`) parses in place; the others through a cleaned copy.
        let parsed = if minus.is_none() && !text.contains('_') {
            text.parse::<i64>()
        } else {
            let sign = if minus.is_some() { "-" } else { "" };
            let digits: String = text.chars().filter(|c| *c != '_').collect();
            format!("{sign}{digits}").parse::<i64>()
        };
        match parsed {
            Ok(i) => Expr {
                kind: ExprKind::Int(i),
                span,
            },
            Err(_) => {
                self.report(
                    Diagnostic::error(Code::InvalidNumber, "integer does not fit in 64 bits")
                        .primary(self.file, span, "out of range")
                        .help("integers range from -9223372036854775808 to 9223372036854775807; use a float or a string"),
                );
                Expr::error(span)
            }
        }
    }

    fn parse_primary(&mut self) -> Expr {
        let t = self.peek();
        match t.kind {
            TokenKind::Int => {
                self.bump();
                self.int_literal(t, None)
            }
            TokenKind::Float => {
                self.bump();
                let digits: String = self.slice(t.span).chars().filter(|c| *c != '_').collect();
                match digits.parse::<f64>() {
                    Ok(f) if f.is_finite() => Expr {
                        kind: ExprKind::Float(f),
                        span: t.span,
                    },
                    _ => {
                        self.report(
                            Diagnostic::error(Code::InvalidNumber, "float is out of range")
                                .primary(self.file, t.span, "not a finite 64-bit float"),
                        );
                        Expr::error(t.span)
                    }
                }
            }
            TokenKind::Str | TokenKind::TripleStr(_) => {
                self.bump();
                self.parse_string(t)
            }
            TokenKind::UnterminatedStr => {
                self.bump();
                Expr::error(t.span)
            }
            TokenKind::Ident => {
                let word = self.slice(t.span);
                let lit = match word {
                    "true" => Some(ExprKind::Bool(true)),
                    "false" => Some(ExprKind::Bool(false)),
                    "null" => Some(ExprKind::Null),
                    _ => None,
                };
                if let Some(kind) = lit {
                    self.bump();
                    return Expr { kind, span: t.span };
                }
                match self.parse_key_path() {
                    Some(path) => {
                        let span = path.span;
                        Expr {
                            kind: ExprKind::Reference(path),
                            span,
                        }
                    }
                    None => Expr::error(t.span),
                }
            }
            TokenKind::Variable => {
                self.bump();
                let name = Ident {
                    name: self.slice(t.span)[1..].to_string(),
                    span: t.span,
                };
                let mut path = Vec::new();
                let mut span = t.span;
                while self.at(TokenKind::Dot) {
                    self.bump();
                    match self.key_segment() {
                        Some(seg) => {
                            span = span.to(seg.span);
                            path.push(seg);
                        }
                        None => break,
                    }
                }
                Expr {
                    kind: ExprKind::Variable(Box::new(Variable { name, path })),
                    span,
                }
            }
            TokenKind::Directive => {
                self.bump();
                let name = Ident {
                    name: self.slice(t.span)[1..].to_string(),
                    span: t.span,
                };
                let mut args = Vec::new();
                let mut parens = false;
                let mut span = t.span;
                let open = self.peek();
                if open.kind == TokenKind::LParen && !open.line_start {
                    parens = true;
                    self.bump();
                    self.nesting += 1;
                    while !matches!(self.peek().kind, TokenKind::RParen | TokenKind::Eof) {
                        let before = self.pos;
                        args.push(self.parse_expr());
                        if self.at(TokenKind::Comma) {
                            self.bump();
                        } else if !self.at(TokenKind::RParen) {
                            let t = self.peek();
                            self.unexpected(t, "`,` or `)`");
                            break;
                        }
                        if self.pos == before {
                            break;
                        }
                    }
                    self.nesting -= 1;
                    self.expect_close(TokenKind::RParen, open.span, "argument list");
                    span = span.to(self.prev_span());
                }
                Expr {
                    kind: ExprKind::Directive(Box::new(Directive {
                        name,
                        args,
                        parens,
                        quoted: false,
                        implied_default: false,
                    })),
                    span,
                }
            }
            TokenKind::LBracket => {
                self.bump();
                self.nesting += 1;
                let mut items = Vec::new();
                loop {
                    let n = self.peek();
                    if matches!(n.kind, TokenKind::RBracket | TokenKind::Eof) {
                        break;
                    }
                    let before = self.pos;
                    items.push(self.parse_expr());
                    let sep = self.peek();
                    if sep.kind == TokenKind::Comma {
                        self.bump();
                    } else if sep.kind != TokenKind::RBracket && !sep.line_start {
                        break;
                    }
                    if self.peek().line_start && (self.entry_ahead(0) || self.section_ahead()) {
                        // The `]` is missing: the next line is an entry or a section header, not an item.
                        break;
                    }
                    if self.pos == before {
                        break;
                    }
                }
                self.nesting -= 1;
                self.expect_close(TokenKind::RBracket, t.span, "array");
                Expr {
                    kind: ExprKind::Array {
                        items,
                        style: ArrayStyle::Brackets,
                    },
                    span: t.span.to(self.prev_span()),
                }
            }
            TokenKind::LBrace => {
                self.bump();
                self.brace_object(t.span, "object")
            }
            TokenKind::LParen => {
                self.bump();
                self.nesting += 1;
                let inner = self.parse_expr();
                self.nesting -= 1;
                self.expect_close(TokenKind::RParen, t.span, "parenthesis");
                Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: t.span.to(self.prev_span()),
                }
            }
            TokenKind::Error => {
                self.bump();
                Expr::error(t.span)
            }
            _ => {
                self.unexpected(t, "a value");
                // Leave structure tokens for the enclosing rule; eat anything else so we make progress.
                if !t.line_start
                    && !matches!(
                        t.kind,
                        TokenKind::RBrace
                            | TokenKind::RBracket
                            | TokenKind::RParen
                            | TokenKind::Comma
                            | TokenKind::Eof
                    )
                {
                    self.bump();
                }
                Expr::error(t.span.shrink_to_start())
            }
        }
    }

    // ----- strings -----

    /// A string token's text with escapes processed, when it has no interpolation (keys, `use` paths).
    fn plain_string(&mut self, t: Token) -> Option<String> {
        let e = self.parse_string(t);
        match e.kind {
            ExprKind::Str { parts, .. } => match parts.as_slice() {
                [] => Some(String::new()),
                [StrPart::Lit(s)] => Some(s.clone()),
                _ => {
                    self.report(
                        Diagnostic::error(
                            Code::UnexpectedToken,
                            "interpolation is not allowed here",
                        )
                        .primary(self.file, t.span, "must be a plain string")
                        .help("write the text without `${...}`"),
                    );
                    None
                }
            },
            _ => Some(self.slice(t.span).to_string()),
        }
    }

    fn parse_string(&mut self, t: Token) -> Expr {
        let raw = self.slice(t.span);
        let (style, open_len, close_len) = match t.kind {
            TokenKind::TripleStr(closed) => (StringStyle::Triple, 3, if closed { 3 } else { 0 }),
            _ if raw.starts_with('\'') => (StringStyle::Single, 1, 1),
            _ => (StringStyle::Double, 1, 1),
        };
        let content_start = t.span.start as usize + open_len;
        let content_end = (t.span.end as usize)
            .saturating_sub(close_len)
            .max(content_start);
        // Most strings are one literal part: room for exactly one (a `Vec`'s first growth makes room for four).
        let mut parts = Vec::with_capacity(1);
        if style == StringStyle::Triple {
            for (start, end) in triple_lines(self.text, content_start, content_end) {
                self.string_segment(start, end, &mut parts);
            }
        } else {
            self.string_segment(content_start, content_end, &mut parts);
        }
        let expr = Expr {
            kind: ExprKind::Str { parts, style },
            span: t.span,
        };
        if style != StringStyle::Triple {
            if let Some(d) = self.quoted_directive(content_start, content_end, t.span) {
                return d;
            }
        }
        expr
    }

    /// TuskLang's `"@env('X')"`: a string that is exactly one directive call is that directive (with a warning).
    fn quoted_directive(&mut self, start: usize, end: usize, span: Span) -> Option<Expr> {
        let content = self.text.get(start..end)?;
        if !content.starts_with('@') || !content.ends_with(')') {
            return None;
        }
        let mut scratch = Sink::new();
        let lexed = lex(content, start, self.file, &mut scratch);
        let mut sub = Parser::new(self.text, self.file, &[], lexed.tokens, &mut scratch, self.depth, 1);
        let e = sub.parse_primary();
        let complete = sub.at(TokenKind::Eof);
        if !complete || scratch.has_errors() {
            return None;
        }
        let ExprKind::Directive(d) = e.kind else {
            return None;
        };
        let Directive {
            name,
            mut args,
            parens: true,
            ..
        } = *d
        else {
            return None;
        };
        if !QUOTABLE_DIRECTIVES.contains(&name.name.as_str()) {
            return None;
        }
        for a in &mut args {
            match &mut a.kind {
                // Held as the canonical form's `"..."` (the text is the same: only literal parts).
                ExprKind::Str { parts, style } => match parts.as_slice() {
                    [] | [StrPart::Lit(_)] => *style = StringStyle::Double,
                    _ => return None,
                },
                ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Null => {}
                _ => return None,
            }
        }
        // TuskLang builds an unset variable without a default to "": the default it implies, written out.
        let implied_default = name.name == "env" && args.len() == 1;
        if implied_default {
            args.push(Expr {
                kind: ExprKind::Str {
                    parts: Vec::new(),
                    style: StringStyle::Double,
                },
                span,
            });
        }
        let canonical = directive_text(self.text, &name.name, &args);
        self.report(
            Diagnostic::warning(Code::QuotedDirective, format!("`@{}` is written inside quotes", name.name))
                .primary(self.file, span, "evaluated as a directive, not as text")
                .help(format!("write it without quotes: `{canonical}` (`tuskc fmt` rewrites it)"))
                .note("a string that is exactly one directive call is evaluated, as TuskLang does; any other string is literal"),
        );
        Some(Expr {
            kind: ExprKind::Directive(Box::new(Directive {
                name,
                args,
                parens: true,
                quoted: true,
                implied_default,
            })),
            span,
        })
    }

    /// Process escapes and `${...}` in `text[start..end]`, appending to `parts`.
    fn string_segment(&mut self, start: usize, end: usize, parts: &mut Vec<StrPart>) {
        let text = self.text;
        // Nearly every string has no escape and no `$`: its text is the literal, copied once at its exact size.
        if let Some(plain) = text.get(start..end) {
            if memchr::memchr2(b'\\', b'$', plain.as_bytes()).is_none() {
                push_literal(parts, std::borrow::Cow::Borrowed(plain));
                return;
            }
        }
        let mut lit = String::new();
        let mut i = start;
        let bytes = text.as_bytes();
        while i < end {
            // Plain text up to the next `\\` or `$` (both ASCII, so the cut is a character boundary): one copy.
            let Some(rest) = bytes.get(i..end) else {
                break;
            };
            let run = rest
                .iter()
                .position(|&b| b == b'\\' || b == b'$')
                .map_or(end, |k| i + k);
            if run > i {
                match text.get(i..run) {
                    Some(plain) => lit.push_str(plain),
                    None => break,
                }
                i = run;
                continue;
            }
            let c = char::from(bytes[i]);
            if c == '\\' {
                let esc_start = i;
                let next = text.get(i + 1..end).and_then(|s| s.chars().next());
                let mut consumed = 1 + next.map_or(0, char::len_utf8);
                let out = match next {
                    Some('n') => Some('\n'),
                    Some('t') => Some('\t'),
                    Some('r') => Some('\r'),
                    Some('0') => Some('\0'),
                    Some('\\') => Some('\\'),
                    Some('"') => Some('"'),
                    Some('\'') => Some('\''),
                    Some('$') => Some('$'),
                    Some('u') if bytes.get(i + 2) == Some(&b'{') => {
                        let close = text.get(i + 3..end).and_then(|s| s.find('}'));
                        match close {
                            Some(k) => {
                                consumed = 3 + k + 1;
                                u32::from_str_radix(&text[i + 3..i + 3 + k], 16)
                                    .ok()
                                    .and_then(char::from_u32)
                            }
                            None => None,
                        }
                    }
                    _ => None,
                };
                match out {
                    Some(ch) => lit.push(ch),
                    None => {
                        let span = Span::new(esc_start, (esc_start + consumed).min(end));
                        self.report(
                            Diagnostic::error(Code::InvalidEscape, format!("invalid escape sequence `{}`", &text[span.range()]))
                                .primary(self.file, span, "unknown escape")
                                .help("valid escapes: \\n \\t \\r \\0 \\\\ \\\" \\' \\$ \\u{XXXX}; write \\\\ for a backslash"),
                        );
                        lit.push_str(&text[span.range()]);
                    }
                }
                i += consumed;
                continue;
            }
            if c == '$' && bytes.get(i + 1) == Some(&b'{') {
                let inner_start = i + 2;
                match matching_brace(text, inner_start, end) {
                    Some(close) => {
                        if !lit.is_empty() {
                            parts.push(StrPart::Lit(std::mem::take(&mut lit)));
                        }
                        parts.push(StrPart::Interp(Box::new(self.sub_expression(
                            inner_start,
                            close,
                            Span::new(i, close + 1),
                        ))));
                        i = close + 1;
                    }
                    None => {
                        self.report(
                            Diagnostic::error(Code::UnterminatedInterpolation, "unterminated interpolation")
                                .primary(self.file, Span::new(i, i + 2), "`${` is never closed")
                                .help("close it with `}` on the same line, or write `\\${` for a literal `${`"),
                        );
                        lit.push_str("${");
                        i += 2;
                    }
                }
                continue;
            }
            // A `$` that opens no interpolation.
            lit.push(c);
            i += 1;
        }
        push_literal(parts, std::borrow::Cow::Owned(lit));
    }

    fn sub_expression(&mut self, start: usize, end: usize, whole: Span) -> Expr {
        let lexed = lex(&self.text[start..end], start, self.file, self.sink);
        let mut sub = Parser::new(self.text, self.file, &[], lexed.tokens, &mut *self.sink, self.depth, 1);
        if sub.at(TokenKind::Eof) {
            sub.report(
                Diagnostic::error(Code::UnexpectedToken, "empty interpolation")
                    .primary(self.file, whole, "expected an expression inside `${}`")
                    .help(
                        "put an expression between the braces, or write `\\${` for a literal `${`",
                    ),
            );
            return Expr::error(whole);
        }
        let e = sub.parse_expr();
        let t = sub.peek();
        if t.kind != TokenKind::Eof {
            sub.unexpected(t, "`}` to end the interpolation");
        }
        e
    }
}

/// The `}` closing an interpolation whose body starts at `from`, on the same line.
fn matching_brace(text: &str, from: usize, end: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let bytes = text.as_bytes();
    let mut i = from;
    while i < end {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' => quote = Some(b'\''),
                b'{' => depth += 1,
                b'}' if depth == 0 => return Some(i),
                b'}' => depth -= 1,
                b'\n' => return None,
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Append the literal `lit` to `parts` (nothing if it is empty): adjacent literal runs (triple-string lines) join
/// into one part.
fn push_literal(parts: &mut Vec<StrPart>, lit: std::borrow::Cow<'_, str>) {
    if lit.is_empty() {
        return;
    }
    if let Some(StrPart::Lit(prev)) = parts.last_mut() {
        prev.push_str(&lit);
    } else {
        parts.push(StrPart::Lit(lit.into_owned()));
    }
}

/// The byte ranges of a `"""` string's content after layout: a newline right after the opening quotes is dropped,
/// a last line holding only whitespace is dropped, and the indentation common to all non-blank lines is removed.
fn triple_lines(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let content = &text[start..end];
    let mut begin = start;
    if content.starts_with("\r\n") {
        begin += 2;
    } else if content.starts_with('\n') {
        begin += 1;
    }
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut line_start = begin;
    for (i, b) in text[begin..end].bytes().enumerate() {
        if b == b'\n' {
            lines.push((line_start, begin + i + 1));
            line_start = begin + i + 1;
        }
    }
    lines.push((line_start, end));
    if lines.len() > 1 {
        if let Some(&(s, e)) = lines.last() {
            if text[s..e].trim().is_empty() {
                lines.pop();
                // The newline before the closing line belongs to the layout, not the value.
                if let Some(last) = lines.last_mut() {
                    let l = &text[last.0..last.1];
                    let trim = if l.ends_with("\r\n") {
                        2
                    } else if l.ends_with('\n') {
                        1
                    } else {
                        0
                    };
                    last.1 -= trim;
                }
            }
        }
    }
    let indent = lines
        .iter()
        .filter(|(s, e)| !text[*s..*e].trim().is_empty())
        .map(|(s, e)| {
            text[*s..*e]
                .bytes()
                .take_while(|b| *b == b' ' || *b == b'\t')
                .count()
        })
        .min()
        .unwrap_or(0);
    lines
        .into_iter()
        .map(|(s, e)| {
            let ws = text[s..e]
                .bytes()
                .take_while(|b| *b == b' ' || *b == b'\t')
                .count();
            (s + ws.min(indent).min(e - s), e)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_keeps_room_for_its_items_not_for_lines_inside_its_blocks() {
        let mut src = String::from("[a]\nx: 1\nblock {\n");
        for i in 0..200 {
            src.push_str(&format!("k{i}: {i}\n"));
        }
        src.push_str("}\ny: 2\n");
        let mut sink = Sink::new();
        let ast = parse(&src, FileId(0), &mut sink);
        assert!(!sink.has_errors());
        // `[a]`, `x`, `block` and `y`: room for those, not for the 200 unindented lines inside `block { ... }`.
        assert_eq!(ast.items.len(), 4);
        assert_eq!(ast.items.capacity(), 4);
        let Item::Entry(block) = &ast.items[2] else {
            panic!("expected the block entry");
        };
        let ExprKind::Object { entries, .. } = &block.value.kind else {
            panic!("expected an object");
        };
        // A block's entries are in a vector of exactly their number.
        assert_eq!((entries.len(), entries.capacity()), (200, 200));
    }
}
