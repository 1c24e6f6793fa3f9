//! The syntax tree.
//!
//! Owns: the shape of a parsed file. Invariant: every node carries the exact byte span it was parsed from, the tree
//! is produced even for broken input (`Error` nodes stand where something could not be parsed), and comments are kept
//! (as spans in [`Ast::comments`]) so the formatter and the language server can put them back. Nothing here
//! evaluates, and nothing here knows about files on disk.

use crate::source::{FileId, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct Ast {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Spans of `#` comments, in source order.
    pub comments: Vec<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `[a.b]`: following entries (up to the next header or the end of the enclosing block) go under `a.b`.
    Section(Section),
    /// `key: value`, `key = value`, `key { ... }`, `key > ... <`, `$var: value`.
    Entry(Entry),
    /// `env NAME [extends PARENT] [provider P] { ... }`.
    Env(EnvBlock),
    /// `provider NAME { ... }`.
    Provider(ProviderBlock),
    /// `use "path"`.
    Use(Use),
    /// `schema Name { fields }` or `type Name = type` (top level only). Boxed: the largest item and a rare one, so
    /// every other item (a file is mostly entries) is 136 bytes instead of 160.
    Schema(Box<SchemaDecl>),
    /// `bind Type` (the whole configuration) or `bind a.b: Type`; `[a.b: Type]` is the section form.
    Bind(Bind),
    /// `parity provider` / `parity env`: every block of that kind must define the same keys.
    Parity(Parity),
    /// `vary cache.ttl, storage`: these keys (and keys under them) are expected to differ between targets.
    Vary(Vary),
}

/// A named type: `schema Name { ... }` (an object type) or `type Name = ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaDecl {
    pub name: Ident,
    /// The `##` doc comment lines above the declaration, joined with newlines.
    pub doc: Option<String>,
    pub ty: TypeExpr,
    /// `type Name = ...` rather than `schema Name { ... }`.
    pub alias: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bind {
    /// Empty for the whole configuration.
    pub path: Vec<Ident>,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Parity {
    /// `provider` or `env`.
    pub kind: Ident,
    /// `parity provider storage, cloud.region`: only these keys (and keys under them) are compared; empty: all.
    pub keys: Vec<KeyPath>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    pub keys: Vec<KeyPath>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// `string`, `int`, `Port`, `AwsRegion`, with optional constraints: `int(1..65535)`.
    Named {
        name: Ident,
        constraints: Vec<Constraint>,
    },
    /// `"require"`, `5432`, `true`, `null`.
    Literal(Expr),
    /// `[T]` with optional constraints: `[string](len 1.., unique)`.
    Array {
        item: Box<TypeExpr>,
        constraints: Vec<Constraint>,
    },
    /// `{string: T}`: any keys, each value a T. The key type constrains the key text.
    Map {
        key: Box<TypeExpr>,
        value: Box<TypeExpr>,
        constraints: Vec<Constraint>,
    },
    Object(ObjectType),
    /// `A | B | C`.
    Union(Vec<TypeExpr>),
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectType {
    pub fields: Vec<Field>,
    pub asserts: Vec<Assert>,
    /// `...` (any extra key) or `...: T` (extra keys of type T). `None`: closed.
    pub extra: Option<Option<Box<TypeExpr>>>,
    pub extra_span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub doc: Option<String>,
    pub optional: bool,
    pub ty: TypeExpr,
    /// Boxed, as `deprecated`: few fields have one, and a schema's fields are kept for the whole run (a 100-field
    /// schema per service is thousands of them).
    pub default: Option<Box<Expr>>,
    /// `deprecated "use x instead"`.
    pub deprecated: Option<Box<(String, Span)>>,
    /// `@vary`: the field's value is expected to differ between targets (drift reports it as declared).
    pub vary: Option<Span>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assert {
    pub cond: Expr,
    pub message: Option<String>,
    pub span: Span,
}

/// One constraint inside `type(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    pub kind: ConstraintKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintKind {
    /// `1..10`, `1..`, `..10`, `>= 0`, `> 0`, `<= 9`, `< 9` on numbers.
    Range(Bounds),
    /// `len 1..32`, `len 3`, `len >= 1` on strings (characters), arrays and maps.
    Len(Bounds),
    /// `pattern "^[a-z]+$"`, or `not pattern "..."`.
    Pattern { regex: String, negated: bool },
    /// `format hostname`.
    Format(Ident),
    /// `unique` on arrays.
    Unique,
}

/// Inclusive or exclusive bounds, as written.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Bounds {
    pub min: Option<(f64, bool)>,
    pub max: Option<(f64, bool)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A path of identifiers resolves like a path of names (`eval::resolve` takes either).
impl AsRef<str> for Ident {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

/// A dotted key path, `a.b."c d".0`.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyPath {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl KeyPath {
    pub fn dotted(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub path: KeyPath,
    /// `[database: Database]`: the section is checked against this type.
    pub schema: Option<TypeExpr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EntryTarget {
    Key(KeyPath),
    /// `$name` (the name without `$`).
    Variable(Ident),
}

/// How an entry's value was written; the formatter keeps the author's choice where it matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Separator {
    Colon,
    Equals,
    /// `key { ... }` or `key > ... <`: no separator.
    Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub target: EntryTarget,
    pub separator: Separator,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnvBlock {
    pub name: Ident,
    pub extends: Option<Ident>,
    pub provider: Option<Ident>,
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProviderBlock {
    pub name: Ident,
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Use {
    pub path: String,
    pub path_span: Span,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectStyle {
    /// `{ a: 1, b: 2 }` as a value, or `key { ... }`.
    Braces,
    /// `key > ... <` (TuskLang).
    Angle,
    /// `key:` followed by more-indented entries.
    Indented,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayStyle {
    Brackets,
    /// `key:` followed by more-indented `- item` lines.
    Dashes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringStyle {
    Double,
    Single,
    Triple,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Lit(String),
    /// `${expr}`. Boxed: a part is then the size of a `String`, and most strings are one literal part.
    Interp(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Or => "||",
            And => "&&",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str {
        parts: Vec<StrPart>,
        style: StringStyle,
    },
    Array {
        items: Vec<Expr>,
        style: ArrayStyle,
    },
    /// Entries of an object literal or block. Dotted keys inside are allowed; section headers are not.
    Object {
        entries: Vec<Entry>,
        style: ObjectStyle,
    },
    /// `$name` optionally followed by `.field` steps. Boxed, as [`ExprKind::Directive`].
    Variable(Box<Variable>),
    /// A bare dotted name: a reference to another key of the resolved target (late-bound).
    Reference(KeyPath),
    /// `@name` or `@name(args)`. Boxed: the largest kind and a rare one among a configuration's values, so every
    /// expression is 48 bytes instead of 72.
    Directive(Box<Directive>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `( expr )`, kept for the formatter.
    Paren(Box<Expr>),
    /// Something that could not be parsed; a diagnostic was reported.
    Error,
}

/// `$name` optionally followed by `.field` steps ([`ExprKind::Variable`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: Ident,
    pub path: Vec<Ident>,
}

/// `@name` or `@name(args)` ([`ExprKind::Directive`]). `quoted` marks the TuskLang form `"@env('X')"`, whose string
/// arguments are held as their canonical double-quoted form: the node is the one `@env("X")` parses to, so `tuskc
/// fmt` may write that form (how it was written, like a span, is not what it means).
#[derive(Clone, Debug, PartialEq)]
pub struct Directive {
    pub name: Ident,
    pub args: Vec<Expr>,
    pub parens: bool,
    pub quoted: bool,
    /// The quoted `"@env('X')"` without a default: `args` holds the `""` TuskLang builds when `X` is unset (the node
    /// `@env("X", "")` parses to), and evaluating that default warns (TSK0318).
    pub implied_default: bool,
}

impl Expr {
    pub fn error(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    /// Calls `f` on each expression directly inside this one whose value goes into it, in source order:
    /// interpolations, items, the values of an object's keys, directive arguments and operands.
    pub fn for_each_child<'e>(&'e self, f: &mut impl FnMut(&'e Expr)) {
        match &self.kind {
            ExprKind::Str { parts, .. } => parts.iter().for_each(|p| {
                if let StrPart::Interp(x) = p {
                    f(x)
                }
            }),
            ExprKind::Array { items, .. } => items.iter().for_each(f),
            ExprKind::Object { entries, .. } => entries.iter().for_each(|en| {
                if let EntryTarget::Key(_) = en.target {
                    f(&en.value)
                }
            }),
            ExprKind::Directive(d) => d.args.iter().for_each(f),
            ExprKind::Unary(_, x) | ExprKind::Paren(x) => f(x),
            ExprKind::Binary(_, a, b) => {
                f(a);
                f(b);
            }
            ExprKind::Ternary(a, b, c) => {
                f(a);
                f(b);
                f(c);
            }
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Variable(_)
            | ExprKind::Reference(_)
            | ExprKind::Error => {}
        }
    }
}

// The sizes the memory figures in docs/performance.md rest on (on 64-bit targets): a program holds an expression
// per definition and a schema's fields for the whole run, so growing either is a decision, not an accident.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<Expr>() == 48);
    assert!(std::mem::size_of::<StrPart>() == 24);
    assert!(std::mem::size_of::<Field>() == 184);
};
