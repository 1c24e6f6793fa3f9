//! Resolved values and where they came from.
//!
//! Owns: [`Value`], [`Origin`] and [`LayerId`]. Invariant: every value knows the file, byte span and layer that
//! produced it, and whether a secret went into it; schemas, `explain`, drift and hover read these, never re-derive them.
//! `Debug` and `Display` of a secret print its reference, never a value.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::source::{FileId, Span};

/// An object key: shared, immutable text. The same key goes into every target's tree by a reference count, never a
/// copy.
pub type Key = Arc<str>;

/// The compiler's ordered maps: insertion (source) order, and foldhash (several times faster than SipHash on short
/// keys). Iteration order never depends on the hash, so output stays byte-identical from run to run.
pub type Map<V> = IndexMap<Key, V, foldhash::fast::RandomState>;

/// An empty [`Map`] with room for `n` entries.
pub fn map_with_capacity<V>(n: usize) -> Map<V> {
    Map::with_capacity_and_hasher(n, Default::default())
}

/// Which layer of the merge a definition belongs to. Precedence, lowest first: base, provider, env (parents first),
/// env+provider (parents first), override (`--set`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LayerId {
    Base,
    Provider(Arc<str>),
    Env(Arc<str>),
    EnvProvider(Arc<str>, Arc<str>),
    /// `--set path=value` on the command line.
    Override,
    /// Filled in from a schema field's default (not a merge layer).
    SchemaDefault,
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerId::Base => f.write_str("base"),
            LayerId::Provider(p) => write!(f, "provider {p}"),
            LayerId::Env(e) => write!(f, "env {e}"),
            LayerId::EnvProvider(e, p) => write!(f, "env {e} provider {p}"),
            LayerId::Override => f.write_str("--set"),
            LayerId::SchemaDefault => f.write_str("the schema default"),
        }
    }
}

/// A [`LayerId`] as a one-word copyable handle, so an [`Origin`] is 24 bytes and `Copy` (origins are in every node of
/// every tree; a `LayerId` with its names is 40 bytes and clones reference counts). Compares, hashes and prints as the
/// `LayerId` it points at. Each distinct `LayerId` is stored once per process and kept for its lifetime (a handful per
/// project; the language server adds one per environment or provider name it ever sees).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerRef(&'static LayerId);

impl LayerRef {
    pub const BASE: LayerRef = LayerRef(&LayerId::Base);
    pub const OVERRIDE: LayerRef = LayerRef(&LayerId::Override);
    pub const SCHEMA_DEFAULT: LayerRef = LayerRef(&LayerId::SchemaDefault);

    /// The same handle (one pointer compared, not the names): `true` means the same layer; `false` may still be an
    /// equal one (a constant's handle need not have a unique address), so it suits a cache, not a comparison.
    pub fn same(self, other: LayerRef) -> bool {
        std::ptr::eq(self.0, other.0)
    }

    /// The handle of `id`.
    pub fn of(id: &LayerId) -> LayerRef {
        use std::collections::HashSet;
        use std::sync::{Mutex, OnceLock};
        match id {
            LayerId::Base => return LayerRef::BASE,
            LayerId::Override => return LayerRef::OVERRIDE,
            LayerId::SchemaDefault => return LayerRef::SCHEMA_DEFAULT,
            _ => {}
        }
        static NAMED: OnceLock<Mutex<HashSet<&'static LayerId>>> = OnceLock::new();
        let mut set = NAMED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(known) = set.get(id) {
            return LayerRef(known);
        }
        let stored: &'static LayerId = Box::leak(Box::new(id.clone()));
        set.insert(stored);
        LayerRef(stored)
    }
}

impl From<LayerId> for LayerRef {
    fn from(id: LayerId) -> Self {
        LayerRef::of(&id)
    }
}

impl std::ops::Deref for LayerRef {
    type Target = LayerId;
    fn deref(&self) -> &LayerId {
        self.0
    }
}

impl PartialEq<LayerId> for LayerRef {
    fn eq(&self, other: &LayerId) -> bool {
        self.0 == other
    }
}

impl fmt::Debug for LayerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for LayerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: FileId,
    pub span: Span,
    pub layer: LayerRef,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Value>),
    /// Boxed: objects are a minority of values, and a map is 64 bytes (a `Value` is 88 bytes with the box, 120 without).
    Object(Box<Map<Value>>),
    /// A reference to a secret by name (`@secret("shop/db_password")`); never holds the secret's value.
    Secret(String),
    /// A definition that failed to evaluate (its error already reported), standing in its place in the target's
    /// tree so the rest of the target is still evaluated and checked. Checks skip it, and so does everything that
    /// reads it (an `assert`, a binding beneath it); a target holding one is never emitted. Holds nothing: no
    /// error may depend on what it would have been.
    Error,
}

#[derive(Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub origin: Origin,
    /// A secret went into this value (directly or through an expression).
    pub secret: bool,
    /// Where this text came from by name. Without `secret`: the environment variable (`@env("PORT")`), so a schema
    /// can convert it to the declared type and name the variable when it does not parse ([`Value::env_var`]). With
    /// `secret`: the name of the secret this value is, whole (a resolved `@secret("name")`), so it is described and
    /// typed as in reference mode ([`Value::secret_name`]); a secret-derived value is never converted.
    pub env: Option<Arc<str>>,
    /// The unset environment variables whose `@env` defaults went into this value (directly or through an
    /// expression, a reference, an array or object holding one), in the order first met: what the deployed system
    /// built it from cannot be known here, so `tuskc drift` declares it and names them. Travels as `secret` does.
    pub unset_env: UnsetEnv,
}

/// A value's unset `@env` variables ([`Value::unset_env`]).
/// A thin pointer (8 bytes), so a `Value` stays 88 bytes.
pub type UnsetEnv = Option<Arc<Vec<Arc<str>>>>;

/// The union of lists of unset `@env` variables, each variable once, in the order first met.
pub fn unset_env_union<'v>(
    lists: impl IntoIterator<Item = Option<&'v Arc<Vec<Arc<str>>>>>,
) -> UnsetEnv {
    let mut first: Option<&Arc<Vec<Arc<str>>>> = None;
    let mut all: Vec<Arc<str>> = Vec::new();
    for vars in lists.into_iter().flatten() {
        match first {
            None => first = Some(vars),
            // The common case, one source (or the same one twice), shares its list instead of copying it.
            Some(f) if Arc::ptr_eq(f, vars) || f[..] == vars[..] => {}
            Some(f) => {
                if all.is_empty() {
                    all.extend(f.iter().cloned());
                }
                for var in vars.iter() {
                    if !all.contains(var) {
                        all.push(var.clone());
                    }
                }
            }
        }
    }
    if all.is_empty() {
        first.cloned()
    } else {
        Some(Arc::new(all))
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            return write!(f, "<secret {}>", self.describe());
        }
        write!(f, "{:?}", self.kind)
    }
}

/// The text a secret reference is emitted as (reference mode, the default).
pub fn secret_reference(name: &str) -> String {
    format!("secret://{name}")
}

impl Value {
    pub fn new(kind: ValueKind, origin: Origin) -> Self {
        Value {
            kind,
            origin,
            secret: false,
            env: None,
            unset_env: None,
        }
    }

    /// The unset `@env` variables of `values` together ([`Value::unset_env`]), each once, in the order first met.
    pub fn unset_env_of<'v>(values: impl IntoIterator<Item = &'v Value>) -> UnsetEnv {
        unset_env_union(values.into_iter().map(|v| v.unset_env.as_ref()))
    }

    /// A value a secret went into: the reference itself, a resolved secret, or anything computed from one.
    pub fn is_secret(&self) -> bool {
        self.secret || matches!(self.kind, ValueKind::Secret(_))
    }

    /// A definition that failed to evaluate (see [`ValueKind::Error`]).
    pub fn failed(&self) -> bool {
        matches!(self.kind, ValueKind::Error)
    }

    /// Whether a secret went into this value or anything inside it (an array or object holding one).
    pub fn holds_secret(&self) -> bool {
        self.is_secret()
            || match &self.kind {
                ValueKind::Array(items) => items.iter().any(Value::holds_secret),
                ValueKind::Object(map) => map.values().any(Value::holds_secret),
                _ => false,
            }
    }

    /// The secret this value is, whole (in every mode: a reference, or its resolved value); `None` for values
    /// computed from secrets and for everything else.
    pub fn secret_name(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Secret(name) => Some(name),
            ValueKind::String(_) if self.secret => self.env.as_deref(),
            _ => None,
        }
    }

    /// The environment variable this text came from (`@env`); never a secret's.
    pub fn env_var(&self) -> Option<&Arc<str>> {
        self.env.as_ref().filter(|_| !self.secret)
    }

    /// The type's name in messages: a secret (reference or resolved) is `secret` in every mode.
    pub fn type_name(&self) -> &'static str {
        if self.secret_name().is_some() {
            return "secret";
        }
        match self.kind {
            ValueKind::Null => "null",
            ValueKind::Bool(_) => "bool",
            ValueKind::Int(_) => "int",
            ValueKind::Float(_) => "float",
            ValueKind::String(_) => "string",
            ValueKind::Array(_) => "array",
            ValueKind::Object(_) => "object",
            ValueKind::Secret(_) => "secret",
            ValueKind::Error => "error",
        }
    }

    /// A short description safe for diagnostics: secrets by reference, long strings cut.
    pub fn describe(&self) -> String {
        self.describe_within(40)
    }

    /// [`Value::describe`], cutting strings after `chars` characters (reports that set values side by side).
    pub fn describe_within(&self, chars: usize) -> String {
        if let Some(name) = self.secret_name() {
            return format!("@secret({name:?})");
        }
        match &self.kind {
            ValueKind::Secret(_) => "a secret".to_string(),
            ValueKind::Error => "a value that failed to evaluate".to_string(),
            _ if self.secret => "a value derived from a secret".to_string(),
            ValueKind::Null => "null".into(),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Int(i) => i.to_string(),
            ValueKind::Float(x) => format_float(*x),
            ValueKind::String(s) => {
                let cut: String = s.chars().take(chars).collect();
                if cut.len() < s.len() {
                    format!("{:?}…", cut)
                } else {
                    format!("{s:?}")
                }
            }
            ValueKind::Array(a) if a.len() == 1 => "an array of 1 item".into(),
            ValueKind::Array(a) => format!("an array of {} items", a.len()),
            ValueKind::Object(o) if o.len() == 1 => "an object with 1 key".into(),
            ValueKind::Object(o) => format!("an object with {} keys", o.len()),
        }
    }

    /// Follow a key path through nested objects.
    pub fn get_path<'a>(&'a self, path: &[String]) -> Option<&'a Value> {
        let mut cur = self;
        for seg in path {
            cur = match &cur.kind {
                ValueKind::Object(m) => m.get(seg.as_str())?,
                ValueKind::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Structural equality that ignores origins; `1 == 1.0`.
    pub fn same(&self, other: &Value) -> bool {
        use ValueKind::*;
        match (&self.kind, &other.kind) {
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (Array(a), Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)),
            (Object(a), Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.same(w)))
            }
            (a, b) => a == b,
        }
    }
}

/// Environment-variable text read as the scalar kind `want` (int, float or bool; booleans accept true/false, 1/0,
/// yes/no, on/off). `None` when the text does not parse, or `want` is not one of those kinds. The one rule for `@env`
/// conversion, whether a typed default or a schema asks for it.
pub fn parse_env_text(text: &str, want: &ValueKind) -> Option<ValueKind> {
    let t = text.trim();
    match want {
        ValueKind::Int(_) => t.parse::<i64>().ok().map(ValueKind::Int),
        ValueKind::Float(_) => t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(ValueKind::Float),
        ValueKind::Bool(_) => match t.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(ValueKind::Bool(true)),
            "false" | "0" | "no" | "off" => Some(ValueKind::Bool(false)),
            _ => None,
        },
        _ => None,
    }
}

/// Floats print with a decimal point or exponent, so they read back as floats.
pub fn format_float(x: f64) -> String {
    format!("{x:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_handle_is_the_same_as_itself_and_never_as_another_layer() {
        let prod = LayerRef::of(&LayerId::Env("production".into()));
        assert!(prod.same(LayerRef::of(&LayerId::Env("production".into()))));
        assert!(prod.same(prod));
        assert!(!prod.same(LayerRef::of(&LayerId::Env("staging".into()))));
        assert!(!prod.same(LayerRef::of(&LayerId::Provider("production".into()))));
        assert!(!prod.same(LayerRef::BASE));
    }
}
