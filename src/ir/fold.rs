//! The meaning of the language's operators, once: every interpreter of an expression calls these.
//!
//! Owns: what each unary and binary operator does to values (int vs float, overflow, division by zero, string and
//! array joining, comparison), what a condition is (`? :`, `&&`, `||`), how a scalar reads inside a string, the
//! one rule for secret-derived values ([`secret_content`]), the scalar literals, and the constant folder
//! ([`const_value`]: schema defaults and literal types). Its callers: evaluation (`crate::eval`), schema assertions
//! (`crate::schema::check`), the schema table's constants and, through them, the streamed JSON writer. Each caller
//! adds only what its mode has (references, directives, limits) and turns the errors here into its own
//! diagnostics. Must not know: references, the merged tree, schemas. Lives in `ir` because the schema table
//! (`ir::schema`) folds constants and nothing below `ir` knows the syntax tree.

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::ast::{BinaryOp, EntryTarget, Expr, ExprKind, StrPart, UnaryOp};
use crate::value::{format_float, LayerRef, Map, Origin, Value, ValueKind};

/// The value of a scalar literal: `Copy`, so a writer can use it without building (or dropping) a [`ValueKind`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl From<Scalar> for ValueKind {
    fn from(s: Scalar) -> Self {
        match s {
            Scalar::Null => ValueKind::Null,
            Scalar::Bool(b) => ValueKind::Bool(b),
            Scalar::Int(i) => ValueKind::Int(i),
            Scalar::Float(f) => ValueKind::Float(f),
        }
    }
}

/// The value of a scalar literal (`null`, `true`, `1`, `1.5`), as every interpreter reads it; `None` for anything
/// else.
#[inline]
pub fn literal(e: &Expr) -> Option<Scalar> {
    Some(match &e.kind {
        ExprKind::Null => Scalar::Null,
        ExprKind::Bool(b) => Scalar::Bool(*b),
        ExprKind::Int(i) => Scalar::Int(*i),
        ExprKind::Float(f) => Scalar::Float(*f),
        _ => return None,
    })
}

/// The text of a string literal without `${...}`, as its written pieces (joined, they are its value); `None` when it
/// interpolates, which needs evaluation.
pub fn literal_text(parts: &[StrPart]) -> Option<impl Iterator<Item = &str>> {
    let plain = parts.iter().all(|p| matches!(p, StrPart::Lit(_)));
    plain.then(|| {
        parts.iter().filter_map(|p| match p {
            StrPart::Lit(t) => Some(t.as_str()),
            StrPart::Interp(_) => None,
        })
    })
}

/// Why [`unary_kind`] produced no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryError {
    /// The operand is secret-derived ([`secret_content`]).
    SecretContent,
    Overflow,
    /// `!` of a non-boolean, `-` of a non-number.
    Types,
}

/// `!v` or `-v`.
pub fn unary_kind(op: UnaryOp, v: &Value) -> Result<ValueKind, UnaryError> {
    if v.is_secret() {
        return Err(UnaryError::SecretContent);
    }
    match (op, &v.kind) {
        (UnaryOp::Not, ValueKind::Bool(b)) => Ok(ValueKind::Bool(!b)),
        (UnaryOp::Neg, ValueKind::Int(i)) => i
            .checked_neg()
            .map(ValueKind::Int)
            .ok_or(UnaryError::Overflow),
        (UnaryOp::Neg, ValueKind::Float(f)) => Ok(ValueKind::Float(-f)),
        _ => Err(UnaryError::Types),
    }
}

/// The secret rule's name for what a unary operator does with its operand.
pub fn unary_use(op: UnaryOp) -> ContentUse {
    match op {
        UnaryOp::Not => ContentUse::Not,
        UnaryOp::Neg => ContentUse::Negate,
    }
}

/// Why [`condition`] has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionError {
    /// The value is secret-derived ([`secret_content`]).
    SecretContent,
    /// The value is not a boolean.
    NotBool,
}

/// A value used as a condition: of `? :`, or an operand of `&&` / `||`. Only booleans are (no truthiness).
pub fn condition(v: &Value) -> Result<bool, ConditionError> {
    if v.is_secret() {
        return Err(ConditionError::SecretContent);
    }
    match v.kind {
        ValueKind::Bool(b) => Ok(b),
        _ => Err(ConditionError::NotBool),
    }
}

/// `&&` / `||` after their left operand `a`: the result when it decides (`false &&`, `true ||`), else `None` (the
/// result is the right operand, a [`condition`] too).
pub fn short_circuit(op: BinaryOp, a: bool) -> Option<bool> {
    ((op == BinaryOp::And) != a).then_some(a)
}

/// Why [`binary_kind`] produced no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryError {
    /// An operand is secret-derived and the operator needs its content ([`secret_content`]).
    SecretContent,
    Overflow,
    DivisionByZero,
    /// The operator does not apply to these types.
    Types,
}

/// A non-short-circuit binary operator on two values.
pub fn binary_kind(op: BinaryOp, a: &Value, b: &Value) -> Result<ValueKind, BinaryError> {
    use ValueKind::*;
    let num = |v: &ValueKind| match v {
        Int(i) => Some(*i as f64),
        Float(f) => Some(*f),
        _ => None,
    };
    // Joining (`+`) is the one operator whose outcome never depends on a secret's content: text is concatenated,
    // arrays are appended, and anything else is a type error in every mode.
    if op != BinaryOp::Add && (a.is_secret() || b.is_secret()) {
        return Err(BinaryError::SecretContent);
    }
    let kind = match op {
        BinaryOp::Eq => Some(Bool(a.same(b))),
        BinaryOp::Ne => Some(Bool(!a.same(b))),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ord = match (&a.kind, &b.kind) {
                (String(x), String(y)) => Some(x.cmp(y)),
                (Int(x), Int(y)) => Some(x.cmp(y)),
                (x, y) => match (num(x), num(y)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => None,
                },
            };
            ord.map(|o| {
                Bool(match op {
                    BinaryOp::Lt => o.is_lt(),
                    BinaryOp::Le => o.is_le(),
                    BinaryOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                })
            })
        }
        BinaryOp::Add => match (&a.kind, &b.kind) {
            (Int(x), Int(y)) => match x.checked_add(*y) {
                Some(n) => Some(Int(n)),
                None => return Err(BinaryError::Overflow),
            },
            (Array(x), Array(y)) => Some(Array(x.iter().chain(y).cloned().collect())),
            (String(_) | Secret(_), _) | (_, String(_) | Secret(_)) => {
                match (display(a), display(b)) {
                    (Some(x), Some(y)) if !matches!(a.kind, Null) && !matches!(b.kind, Null) => {
                        Some(String(x + &y))
                    }
                    _ => None,
                }
            }
            (x, y) => match (num(x), num(y)) {
                (Some(x), Some(y)) => Some(Float(x + y)),
                _ => None,
            },
        },
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => match (&a.kind, &b.kind) {
            (Int(x), Int(y)) => {
                if matches!(op, BinaryOp::Div | BinaryOp::Rem) && *y == 0 {
                    return Err(BinaryError::DivisionByZero);
                }
                let n = match op {
                    BinaryOp::Sub => x.checked_sub(*y),
                    BinaryOp::Mul => x.checked_mul(*y),
                    BinaryOp::Div => x.checked_div(*y),
                    // The remainder of any integer by -1 is 0; only the quotient of i64::MIN by -1 overflows.
                    _ => Some(x.checked_rem(*y).unwrap_or(0)),
                };
                match n {
                    Some(n) => Some(Int(n)),
                    None => return Err(BinaryError::Overflow),
                }
            }
            (x, y) => match (num(x), num(y)) {
                (Some(x), Some(y)) => {
                    if matches!(op, BinaryOp::Div | BinaryOp::Rem) && y == 0.0 {
                        return Err(BinaryError::DivisionByZero);
                    }
                    Some(Float(match op {
                        BinaryOp::Sub => x - y,
                        BinaryOp::Mul => x * y,
                        BinaryOp::Div => x / y,
                        _ => x % y,
                    }))
                }
                _ => None,
            },
        },
        BinaryOp::And | BinaryOp::Or => None,
    };
    if let Some(Float(f)) = kind {
        if !f.is_finite() {
            return Err(BinaryError::Overflow);
        }
    }
    kind.ok_or(BinaryError::Types)
}

/// Something done with a value whose outcome would depend on the value's content (see [`secret_content`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentUse {
    /// A binary operator other than `+`: comparison, arithmetic, `&&`/`||`.
    Operator(BinaryOp),
    /// Unary `-`.
    Negate,
    /// Unary `!`.
    Not,
    /// The condition of `? :`.
    Condition,
    /// The argument of a directive that selects an input (`env`, `secret`, `file`).
    SelectInput(&'static str),
    /// A literal type or enum in a schema (`"a" | "b"`).
    LiteralType,
}

/// The one rule for values a secret went into (docs/language.md, "What may be done with a secret"): such a value
/// may be passed whole, or joined into a string (`+`, interpolation; the result is secret too). Anything whose
/// result or success would depend on its content — comparing it, computing with it, branching on it, choosing an
/// input by it, matching it against a literal type — is TSK0317 in every mode (reference, redact, resolve), so
/// an outcome never tells anything about a secret's value, and `check` answers the same with or without keys.
/// `None` when `v` is not secret-derived; otherwise the error, pointing at `span` (where `v` was written), naming
/// the secret and never showing its value.
pub fn secret_content(v: &Value, used: ContentUse, file: FileId, span: Span) -> Option<Diagnostic> {
    if !v.is_secret() {
        return None;
    }
    let what = match used {
        ContentUse::Operator(op) => format!("`{}`", op.symbol()),
        ContentUse::Negate => "`-`".to_string(),
        ContentUse::Not => "`!`".to_string(),
        ContentUse::Condition => "the condition of `? :`".to_string(),
        ContentUse::SelectInput(d) => format!("choosing the input of `@{d}`"),
        ContentUse::LiteralType => "a literal type".to_string(),
    };
    let help = match used {
        ContentUse::SelectInput(_) => {
            "name the input literally; a secret never chooses what is read"
        }
        _ => "do this in the deploy step that reads the secret, or make the choice a setting that is not secret",
    };
    Some(
        Diagnostic::error(
            Code::SecretContent,
            format!("{what} needs the content of {}", v.describe()),
        )
        .primary(file, span, format!("this is {}", v.describe()))
        .note("a value a secret went into can only be passed whole or joined into a string, in every `--secrets` mode")
        .help(help),
    )
}

/// How a scalar reads inside a string. Secrets show as their reference, never a value.
pub fn display(v: &Value) -> Option<String> {
    Some(match &v.kind {
        ValueKind::String(s) => s.clone(),
        ValueKind::Int(i) => i.to_string(),
        ValueKind::Float(f) => format_float(*f),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::Null => "null".to_string(),
        ValueKind::Secret(name) => crate::value::secret_reference(name),
        ValueKind::Array(_) | ValueKind::Object(_) | ValueKind::Error => return None,
    })
}

/// The value of a constant expression (a default or a literal type): literals, arrays and objects of them, and
/// negative numbers. `None` for anything that needs evaluation.
pub fn const_value(e: &Expr, file: FileId) -> Option<Value> {
    let origin = Origin {
        file,
        span: e.span,
        layer: LayerRef::SCHEMA_DEFAULT,
    };
    if let Some(s) = literal(e) {
        return Some(Value::new(s.into(), origin));
    }
    let kind = match &e.kind {
        ExprKind::Str { parts, .. } => ValueKind::String(literal_text(parts)?.collect()),
        ExprKind::Array { items, .. } => ValueKind::Array(
            items
                .iter()
                .map(|i| const_value(i, file))
                .collect::<Option<_>>()?,
        ),
        ExprKind::Object { entries, .. } => {
            let mut m = Map::default();
            for en in entries {
                let EntryTarget::Key(k) = &en.target else {
                    return None;
                };
                if k.segments.len() != 1 {
                    return None;
                }
                m.insert(
                    k.segments[0].name.as_str().into(),
                    const_value(&en.value, file)?,
                );
            }
            ValueKind::Object(Box::new(m))
        }
        ExprKind::Paren(inner) => return const_value(inner, file),
        // Only `-`: a default is written, not computed (`!true` or `1 + 1` is not a constant).
        ExprKind::Unary(UnaryOp::Neg, inner) => {
            unary_kind(UnaryOp::Neg, &const_value(inner, file)?).ok()?
        }
        _ => return None,
    };
    Some(Value::new(kind, origin))
}
