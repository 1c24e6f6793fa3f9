//! The schema part of the grammar: `schema` / `type` declarations, `bind`, `parity`, `vary`, and type expressions.
//!
//! The words `schema`, `type`, `bind`, `parity` and `vary` are keywords only in the positions below, so a key may still be
//! called `type` or `schema` (`type: "postgres"` is an entry).

use super::*;

impl<'a, 's> Parser<'a, 's> {
    /// `schema Name {`, `type Name =`, `bind ...` (not `bind:`), `parity provider|env` or `vary a.b`.
    pub(super) fn schema_item_ahead(&self) -> bool {
        let t = self.peek();
        let next = self.peek_at(1);
        let same_line = !next.line_start;
        match self.slice(t.span) {
            "schema" => next.kind == TokenKind::Ident && self.peek_at(2).kind == TokenKind::LBrace,
            "type" => next.kind == TokenKind::Ident && self.peek_at(2).kind == TokenKind::Eq,
            "bind" => {
                same_line
                    && matches!(
                        next.kind,
                        TokenKind::Ident | TokenKind::Str | TokenKind::LBrace | TokenKind::LBracket
                    )
            }
            "parity" => same_line && next.kind == TokenKind::Ident,
            // `vary a.b` (a key path follows on the line), not `vary: 1`, `vary.x: 1` or `vary { }`.
            "vary" => {
                same_line
                    && matches!(next.kind, TokenKind::Ident | TokenKind::Str)
                    && !matches!(
                        self.peek_at(2).kind,
                        TokenKind::Colon | TokenKind::Eq | TokenKind::LBrace
                    )
            }
            _ => false,
        }
    }

    pub(super) fn parse_schema_item(&mut self, ctx: Ctx) -> Option<Item> {
        let kw = self.bump();
        let word = self.slice(kw.span);
        let item = match word {
            "schema" | "type" => {
                let doc = self.doc_before(kw);
                let name = self.ident()?;
                let alias = word == "type";
                let ty = if alias {
                    self.bump(); // `=`
                    self.parse_type()
                } else {
                    self.parse_type_atom()
                };
                Item::Schema(Box::new(SchemaDecl {
                    name,
                    doc,
                    ty,
                    alias,
                    span: kw.span.to(self.prev_span()),
                }))
            }
            "bind" => {
                // `bind Type` or `bind a.b: Type`: a path is followed by `:`.
                let mut path = Vec::new();
                let mut n = 0;
                while matches!(
                    self.peek_at(n).kind,
                    TokenKind::Ident | TokenKind::Str | TokenKind::Int
                ) && matches!(self.peek_at(n + 1).kind, TokenKind::Dot | TokenKind::Colon)
                {
                    if self.peek_at(n + 1).kind == TokenKind::Colon {
                        let kp = self.parse_key_path()?;
                        path = kp.segments;
                        self.bump(); // `:`
                        break;
                    }
                    n += 2;
                }
                let ty = self.parse_type();
                Item::Bind(Bind {
                    path,
                    ty,
                    span: kw.span.to(self.prev_span()),
                })
            }
            "vary" => Item::Vary(Vary {
                keys: self.key_path_list(),
                span: kw.span.to(self.prev_span()),
            }),
            _ => {
                let kind = self.ident()?;
                if kind.name != "provider" && kind.name != "env" {
                    self.report(
                        Diagnostic::error(Code::UnexpectedToken, format!("`parity {}` is not a parity rule", kind.name))
                            .primary(self.file, kind.span, "expected `provider` or `env`")
                            .help("`parity provider` makes every provider block define the same keys; `parity env` does the same for env blocks"),
                    );
                }
                Item::Parity(Parity {
                    kind,
                    keys: self.key_path_list(),
                    span: kw.span.to(self.prev_span()),
                })
            }
        };
        self.expect_line_end();
        if ctx != Ctx::Top && !matches!(item, Item::Bind(_)) {
            let span = match &item {
                Item::Schema(d) => d.span,
                Item::Parity(p) => p.span,
                Item::Vary(v) => v.span,
                _ => kw.span,
            };
            self.report(
                Diagnostic::error(Code::SchemaNotAllowed, format!("`{word}` is allowed only at the top level of a file"))
                    .primary(self.file, span, "inside an `env` or `provider` block")
                    .help(if word == "vary" {
                        "move it to the top level; a `vary` mark applies to the key in every target"
                    } else {
                        "move it to the top level; a schema is the same for every target (use `bind` inside a block to check that target's values)"
                    }),
            );
            return None;
        }
        Some(item)
    }

    /// The `##` comment lines directly above `t`'s line, joined with newlines.
    fn doc_before(&self, t: Token) -> Option<String> {
        let line_start = self.text[..t.span.start as usize]
            .rfind('\n')
            .map_or(0, |i| i + 1) as u32;
        let mut lines = Vec::new();
        let mut expect_end = line_start;
        // Comments are in source order: the ones ending before the line are a prefix, found by bisection rather than
        // by walking back over every comment after it (quadratic in a file of many documented fields).
        let before = self.comments.partition_point(|c| c.end <= line_start);
        for c in self.comments[..before].iter().rev() {
            // The comment must sit alone on the line that ends right where the next doc line (or `t`'s line) starts.
            let between = self
                .text
                .get(c.end as usize..expect_end as usize)
                .unwrap_or("x");
            let text = self.text.get(c.range()).unwrap_or("");
            let own_line_start = self.text[..c.start as usize]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let alone = self.text[own_line_start..c.start as usize]
                .trim()
                .is_empty();
            if !between.trim().is_empty() || between.matches('\n').count() != 1 || !alone {
                break;
            }
            let Some(doc) = text.strip_prefix("##") else {
                break;
            };
            lines.push(doc.strip_prefix(' ').unwrap_or(doc).trim_end().to_string());
            expect_end = own_line_start as u32;
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }

    // ----- type expressions -----

    /// `A | B | C`.
    pub(super) fn parse_type(&mut self) -> TypeExpr {
        if !self.enter() {
            return TypeExpr {
                kind: TypeKind::Error,
                span: self.peek().span,
            };
        }
        let first = self.parse_type_atom();
        let ty = if self.at(TokenKind::Pipe) {
            let mut members = vec![first];
            while self.at(TokenKind::Pipe) {
                self.bump();
                members.push(self.parse_type_atom());
            }
            let span = members[0].span.to(self.prev_span());
            TypeExpr {
                kind: TypeKind::Union(members),
                span,
            }
        } else {
            first
        };
        self.leave();
        ty
    }

    pub(super) fn parse_type_atom(&mut self) -> TypeExpr {
        let t = self.peek();
        let kind = match t.kind {
            TokenKind::Str | TokenKind::Int | TokenKind::Float | TokenKind::Minus => {
                let e = self.parse_unary();
                TypeKind::Literal(e)
            }
            TokenKind::Ident if matches!(self.slice(t.span), "true" | "false" | "null") => {
                TypeKind::Literal(self.parse_primary())
            }
            TokenKind::Ident => {
                self.bump();
                let name = Ident {
                    name: self.slice(t.span).to_string(),
                    span: t.span,
                };
                let constraints = self.parse_constraints();
                TypeKind::Named { name, constraints }
            }
            TokenKind::LBracket => {
                self.bump();
                let item = self.parse_type();
                self.expect_close(TokenKind::RBracket, t.span, "array type");
                let constraints = self.parse_constraints();
                TypeKind::Array {
                    item: Box::new(item),
                    constraints,
                }
            }
            TokenKind::LBrace => {
                self.bump();
                if self.map_type_ahead() {
                    let key = self.parse_type_atom();
                    self.bump(); // `:`
                    let value = self.parse_type();
                    self.expect_close(TokenKind::RBrace, t.span, "map type");
                    let constraints = self.parse_constraints();
                    TypeKind::Map {
                        key: Box::new(key),
                        value: Box::new(value),
                        constraints,
                    }
                } else {
                    TypeKind::Object(self.parse_object_type(t.span))
                }
            }
            TokenKind::LParen => {
                self.bump();
                let inner = self.parse_type();
                self.expect_close(TokenKind::RParen, t.span, "parenthesis");
                return TypeExpr {
                    kind: inner.kind,
                    span: t.span.to(self.prev_span()),
                };
            }
            _ => {
                self.unexpected(t, "a type");
                return TypeExpr {
                    kind: TypeKind::Error,
                    span: t.span,
                };
            }
        };
        TypeExpr {
            kind,
            span: t.span.to(self.prev_span()),
        }
    }

    /// After `{`: `{string: T}` or `{KeyType: T}` (a capitalised type name) is a map; anything else an object.
    fn map_type_ahead(&self) -> bool {
        let t = self.peek();
        if t.kind != TokenKind::Ident {
            return false;
        }
        let word = self.slice(t.span);
        if word != "string" && !word.starts_with(|c: char| c.is_ascii_uppercase()) {
            return false;
        }
        // Skip `(constraints)` after the key type.
        let mut n = 1;
        if self.peek_at(1).kind == TokenKind::LParen && self.peek_at(1).span.start == t.span.end {
            let mut depth = 0;
            loop {
                match self.peek_at(n).kind {
                    TokenKind::LParen => depth += 1,
                    TokenKind::RParen => {
                        depth -= 1;
                        if depth == 0 {
                            n += 1;
                            break;
                        }
                    }
                    TokenKind::Eof => return false,
                    _ => {}
                }
                n += 1;
            }
        }
        self.peek_at(n).kind == TokenKind::Colon
    }

    /// The body of `{ ... }` after the `{`, through the `}`.
    fn parse_object_type(&mut self, open: Span) -> ObjectType {
        let from = self.field_stack.len();
        let mut obj = ObjectType {
            fields: Vec::new(),
            asserts: Vec::new(),
            extra: None,
            extra_span: None,
        };
        while !matches!(self.peek().kind, TokenKind::RBrace | TokenKind::Eof) {
            let before = self.pos;
            let t = self.peek();
            match t.kind {
                TokenKind::Comma | TokenKind::Semicolon => {
                    self.bump();
                    continue;
                }
                TokenKind::Ellipsis => {
                    self.bump();
                    let ty = if self.at(TokenKind::Colon) {
                        self.bump();
                        Some(Box::new(self.parse_type()))
                    } else {
                        None
                    };
                    obj.extra = Some(ty);
                    obj.extra_span = Some(t.span.to(self.prev_span()));
                }
                TokenKind::Ident
                    if self.slice(t.span) == "assert"
                        && !matches!(
                            self.peek_at(1).kind,
                            TokenKind::Colon | TokenKind::Question
                        ) =>
                {
                    self.bump();
                    let cond = self.parse_expr();
                    let message = if self.at(TokenKind::Colon) {
                        self.bump();
                        let m = self.peek();
                        if m.kind == TokenKind::Str {
                            self.bump();
                            self.plain_string(m)
                        } else {
                            self.unexpected(m, "a message string");
                            None
                        }
                    } else {
                        None
                    };
                    obj.asserts.push(Assert {
                        cond,
                        message,
                        span: t.span.to(self.prev_span()),
                    });
                }
                TokenKind::Ident | TokenKind::Str | TokenKind::Int => {
                    if let Some(f) = self.parse_field() {
                        self.field_stack.push(f);
                    }
                }
                _ => {
                    self.unexpected(t, "a field, `assert` or `...`");
                    self.skip_line();
                }
            }
            let next = self.peek();
            if !next.line_start
                && !matches!(
                    next.kind,
                    TokenKind::Comma | TokenKind::Semicolon | TokenKind::RBrace | TokenKind::Eof
                )
            {
                self.unexpected(next, "`,` or the end of the line after the field");
                self.skip_line();
            }
            if self.pos == before {
                self.bump();
            }
        }
        self.expect_close(TokenKind::RBrace, open, "schema");
        // Exactly as many as there are (see `Parser::field_stack`): a schema's fields are kept for the whole run.
        obj.fields = self.field_stack.drain(from..).collect();
        obj
    }

    /// `a.b, c` up to the end of the line (`parity`, `vary`).
    fn key_path_list(&mut self) -> Vec<KeyPath> {
        let mut keys = Vec::new();
        while matches!(self.peek().kind, TokenKind::Ident | TokenKind::Str)
            && !self.peek().line_start
        {
            match self.parse_key_path() {
                Some(k) => keys.push(k),
                None => break,
            }
            if self.at(TokenKind::Comma) && !self.peek_at(1).line_start {
                self.bump();
            }
        }
        keys
    }

    /// `name[?]: Type [= default] [deprecated "message"] [@vary]` (the last two in either order).
    fn parse_field(&mut self) -> Option<Field> {
        let t = self.peek();
        let doc = self.doc_before(t);
        let name = self.key_segment()?;
        let optional = if self.at(TokenKind::Question) {
            self.bump();
            true
        } else {
            false
        };
        let colon = self.peek();
        if colon.kind != TokenKind::Colon {
            self.unexpected(colon, "`:` and the field's type");
            self.skip_line();
            return None;
        }
        self.bump();
        let ty = self.parse_type();
        let default = if self.at(TokenKind::Eq) {
            self.bump();
            Some(Box::new(self.parse_expr()))
        } else {
            None
        };
        let mut deprecated = None;
        let mut vary = None;
        loop {
            let t = self.peek();
            if t.line_start {
                break;
            }
            match (t.kind, self.slice(t.span)) {
                (TokenKind::Ident, "deprecated") if deprecated.is_none() => {
                    self.bump();
                    let m = self.peek();
                    deprecated = if m.kind == TokenKind::Str {
                        self.bump();
                        self.plain_string(m).map(|s| Box::new((s, t.span.to(m.span))))
                    } else {
                        Some(Box::new((String::new(), t.span)))
                    };
                }
                (TokenKind::Directive, "@vary") if vary.is_none() => {
                    self.bump();
                    vary = Some(t.span);
                }
                _ => break,
            }
        }
        Some(Field {
            name,
            doc,
            optional,
            ty,
            default,
            deprecated,
            vary,
            span: t.span.to(self.prev_span()),
        })
    }

    /// `(c, c, ...)` directly after a type name or `]`/`}`; empty when there is none.
    fn parse_constraints(&mut self) -> Vec<Constraint> {
        let open = self.peek();
        if open.kind != TokenKind::LParen || open.span.start != self.prev_span().end {
            return Vec::new();
        }
        self.bump();
        let mut out = Vec::new();
        while !matches!(
            self.peek().kind,
            TokenKind::RParen | TokenKind::Eof | TokenKind::RBrace
        ) {
            let before = self.pos;
            let t = self.peek();
            if t.kind == TokenKind::Comma {
                self.bump();
                continue;
            }
            let word = if t.kind == TokenKind::Ident {
                self.slice(t.span)
            } else {
                ""
            };
            let kind = match word {
                "len" => {
                    self.bump();
                    self.parse_bounds().map(ConstraintKind::Len)
                }
                "unique" => {
                    self.bump();
                    Some(ConstraintKind::Unique)
                }
                "format" => {
                    self.bump();
                    self.ident().map(ConstraintKind::Format)
                }
                "pattern" | "not" => {
                    self.bump();
                    let negated = word == "not";
                    if negated {
                        let p = self.peek();
                        if p.kind == TokenKind::Ident && self.slice(p.span) == "pattern" {
                            self.bump();
                        } else {
                            self.unexpected(p, "`pattern` after `not`");
                        }
                    }
                    let r = self.peek();
                    if r.kind == TokenKind::Str || matches!(r.kind, TokenKind::TripleStr(_)) {
                        self.bump();
                        self.plain_string(r)
                            .map(|regex| ConstraintKind::Pattern { regex, negated })
                    } else {
                        self.unexpected(r, "a pattern string");
                        None
                    }
                }
                _ => self.parse_bounds().map(ConstraintKind::Range),
            };
            if let Some(kind) = kind {
                out.push(Constraint {
                    kind,
                    span: t.span.to(self.prev_span()),
                });
            }
            if !matches!(self.peek().kind, TokenKind::Comma | TokenKind::RParen) {
                let t = self.peek();
                self.unexpected(t, "`,` or `)` after the constraint");
                while !matches!(
                    self.peek().kind,
                    TokenKind::Comma | TokenKind::RParen | TokenKind::Eof | TokenKind::RBrace
                ) && !self.peek().line_start
                {
                    self.bump();
                }
            }
            if self.pos == before {
                self.bump();
            }
        }
        self.expect_close(TokenKind::RParen, open.span, "constraint list");
        out
    }

    /// `1..10`, `1..`, `..10`, `>= 1`, `> 0`, `<= 9`, `< 9`, or one number (exactly that).
    fn parse_bounds(&mut self) -> Option<Bounds> {
        let t = self.peek();
        let mut b = Bounds::default();
        match t.kind {
            TokenKind::Ge | TokenKind::Gt | TokenKind::Le | TokenKind::Lt => {
                self.bump();
                let n = self.number()?;
                match t.kind {
                    TokenKind::Ge => b.min = Some((n, false)),
                    TokenKind::Gt => b.min = Some((n, true)),
                    TokenKind::Le => b.max = Some((n, false)),
                    _ => b.max = Some((n, true)),
                }
            }
            TokenKind::DotDot => {
                self.bump();
                b.max = Some((self.number()?, false));
            }
            _ => {
                let n = self.number()?;
                b.min = Some((n, false));
                if self.at(TokenKind::DotDot) {
                    self.bump();
                    if matches!(
                        self.peek().kind,
                        TokenKind::Int | TokenKind::Float | TokenKind::Minus
                    ) {
                        b.max = Some((self.number()?, false));
                    }
                } else {
                    b.max = Some((n, false));
                }
            }
        }
        Some(b)
    }

    fn number(&mut self) -> Option<f64> {
        let t = self.peek();
        if !matches!(t.kind, TokenKind::Int | TokenKind::Float | TokenKind::Minus) {
            self.unexpected(
                t,
                "a number, a range such as `1..10`, or a comparison such as `>= 0`",
            );
            return None;
        }
        let e = self.parse_unary();
        match e.kind {
            ExprKind::Int(i) => Some(i as f64),
            ExprKind::Float(f) => Some(f),
            _ => {
                self.report(
                    Diagnostic::error(Code::UnexpectedToken, "expected a number").primary(
                        self.file,
                        e.span,
                        "not a number literal",
                    ),
                );
                None
            }
        }
    }
}
