//! Lexer: source text to tokens.
//!
//! Owns: the token vocabulary. Invariant: lexing never fails and covers every byte: unknown characters become
//! [`TokenKind::Error`] tokens (reported once here, then skipped silently by the parser), spaces between tokens are
//! skipped, and comments are kept as trivia so the formatter and language server can see them. [`lex`] then drops
//! newlines and records, for each significant token, whether it starts its line and at which column, which is all the
//! layout information the indentation-sensitive forms (indented maps, dash lists) need.

use logos::Logos;

use crate::diagnostic::{Code, Diagnostic, Sink};
use crate::source::{FileId, Span};

fn triple_string(lex: &mut logos::Lexer<TokenKind>) -> bool {
    let rest = lex.remainder();
    match rest.find("\"\"\"") {
        Some(i) => {
            // A run of more than three quotes closes at its last three: `""""a""""` is `"a"`.
            let mut end = i + 3;
            while rest[end..].starts_with('"') {
                end += 1;
            }
            lex.bump(end);
            true
        }
        None => {
            lex.bump(rest.len());
            false
        }
    }
}

/// Spaces between tokens are skipped inside the lexer (nothing reads them: a token's column comes from its offset
/// and the start of its line), so the loop in [`lex`] sees only tokens, newlines and comments.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\x0C\u{FEFF}]+")]
pub enum TokenKind {
    #[regex(r"\r?\n")]
    Newline,
    #[regex(r"#[^\n]*", allow_greedy = true)]
    Comment,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*")]
    Ident,
    #[regex(r"\$[A-Za-z_][A-Za-z0-9_]*")]
    Variable,
    #[regex(r"@[A-Za-z_][A-Za-z0-9_]*")]
    Directive,
    #[regex(r"[0-9][0-9_]*")]
    Int,
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*([eE][+-]?[0-9]+)?|[0-9][0-9_]*[eE][+-]?[0-9]+")]
    Float,
    /// `"..."` or `'...'` on one line.
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    #[regex(r#"'([^'\\\n]|\\[^\n])*'"#)]
    Str,
    /// A string missing its closing quote on this line.
    #[regex(r#""([^"\\\n]|\\[^\n])*"#, priority = 1)]
    #[regex(r#"'([^'\\\n]|\\[^\n])*"#, priority = 1)]
    UnterminatedStr,
    /// `"""..."""`, possibly over several lines; the flag says whether it was closed.
    #[token("\"\"\"", triple_string)]
    TripleStr(bool),

    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(",")]
    Comma,
    #[token(";")]
    Semicolon,
    #[token(":")]
    Colon,
    #[token("=")]
    Eq,
    #[token(".")]
    Dot,
    /// `..` in range constraints, `int(1..10)`.
    #[token("..")]
    DotDot,
    /// `...` in a schema: the object allows keys it does not declare.
    #[token("...")]
    Ellipsis,
    /// `|` between the members of a union type.
    #[token("|")]
    Pipe,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("!")]
    Bang,
    #[token("?")]
    Question,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,

    /// A character that starts no token.
    Error,
    /// End of input (never produced by logos; appended by [`lex`]).
    Eof,
}

impl TokenKind {
    /// How the token is named in "expected ..., found ..." messages.
    pub fn describe(self) -> &'static str {
        use TokenKind::*;
        match self {
            Newline => "end of line",
            Comment => "a comment",
            Ident => "a name",
            Variable => "a variable",
            Directive => "a directive",
            Int => "an integer",
            Float => "a float",
            Str | UnterminatedStr | TripleStr(_) => "a string",
            LBrace => "`{`",
            RBrace => "`}`",
            LBracket => "`[`",
            RBracket => "`]`",
            LParen => "`(`",
            RParen => "`)`",
            Comma => "`,`",
            Semicolon => "`;`",
            Colon => "`:`",
            Eq => "`=`",
            Dot => "`.`",
            DotDot => "`..`",
            Ellipsis => "`...`",
            Pipe => "`|`",
            Plus => "`+`",
            Minus => "`-`",
            Star => "`*`",
            Slash => "`/`",
            Percent => "`%`",
            Bang => "`!`",
            Question => "`?`",
            Lt => "`<`",
            Le => "`<=`",
            Gt => "`>`",
            Ge => "`>=`",
            EqEq => "`==`",
            Ne => "`!=`",
            AndAnd => "`&&`",
            OrOr => "`||`",
            Error => "an invalid character",
            Eof => "end of file",
        }
    }
}

/// A significant token with its layout facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// First significant token on its line.
    pub line_start: bool,
    /// Byte column of the token within its line (indentation, for a line-start token).
    pub col: u32,
}

/// The lexed file: significant tokens (ending with `Eof`) and the comment spans (trivia the AST keeps).
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Span>,
}

/// Lex `text`, whose first byte sits at `base` in the file (non-zero for interpolations).
pub fn lex(text: &str, base: usize, file: FileId, sink: &mut Sink) -> Lexed {
    // A significant token per two bytes or fewer is usual (a name or number and a space or newline): room for that
    // up front instead of growing (and copying) the vector a dozen times on a large file.
    let mut out = Lexed {
        tokens: Vec::with_capacity(text.len() / 2 + 1),
        comments: Vec::new(),
    };
    let mut line_start = true;
    let mut line_begin = 0usize;
    let mut lexer = TokenKind::lexer(text);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(range.start + base, range.end + base);
        let kind = match result {
            Ok(kind) => kind,
            Err(()) => {
                let ch = text[range.clone()].chars().next().unwrap_or('?');
                sink.push(
                    Diagnostic::error(
                        Code::UnexpectedChar,
                        format!("unexpected character `{}`", ch.escape_debug()),
                    )
                    .primary(file, span, "not part of any token")
                    .help("remove it, or put it inside a quoted string"),
                );
                TokenKind::Error
            }
        };
        match kind {
            TokenKind::Newline => {
                line_start = true;
                line_begin = range.end;
            }
            TokenKind::Comment => out.comments.push(span),
            _ => {
                if kind == TokenKind::UnterminatedStr || kind == TokenKind::TripleStr(false) {
                    sink.push(
                        Diagnostic::error(Code::UnterminatedString, "unterminated string")
                            .primary(file, Span::new(span.start as usize, span.start as usize + 1), "string starts here")
                            .help(if kind == TokenKind::UnterminatedStr {
                                "close the string on the same line; use \"\"\" ... \"\"\" for text over several lines"
                            } else {
                                "close it with \"\"\""
                            }),
                    );
                }
                out.tokens.push(Token {
                    kind,
                    span,
                    line_start,
                    col: (range.start - line_begin) as u32,
                });
                line_start = false;
                // A multi-line string ends on a later line.
                if let TokenKind::TripleStr(_) = kind {
                    if let Some(nl) = text[range.clone()].rfind('\n') {
                        line_begin = range.start + nl + 1;
                    }
                }
            }
        }
    }
    let end = base + text.len();
    out.tokens.push(Token {
        kind: TokenKind::Eof,
        span: Span::new(end, end),
        line_start: true,
        col: 0,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let mut sink = Sink::new();
        lex(src, 0, FileId(0), &mut sink)
            .tokens
            .iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn basic_tokens() {
        use TokenKind::*;
        assert_eq!(
            kinds("a: \"x\" # c\n$v = @env('A', 1.5) >= 2"),
            vec![
                Ident, Colon, Str, Variable, Eq, Directive, LParen, Str, Comma, Float, RParen, Ge,
                Int, Eof
            ]
        );
        assert_eq!(kinds("max-size - 1"), vec![Ident, Minus, Int, Eof]);
        assert_eq!(
            kinds("\"\"\"a\nb\"\"\" x"),
            vec![TripleStr(true), Ident, Eof]
        );
        assert_eq!(kinds("\"abc"), vec![UnterminatedStr, Eof]);
        assert_eq!(kinds("\"\""), vec![Str, Eof]);
    }

    #[test]
    fn layout_facts() {
        let mut sink = Sink::new();
        let toks = lex("a:\n  b: 1\n", 0, FileId(0), &mut sink).tokens;
        assert!(toks[0].line_start && toks[0].col == 0);
        assert!(toks[2].line_start && toks[2].col == 2);
        assert!(!toks[3].line_start);
    }
}
