//! Reading deployed configuration back: a JSON, TOML, YAML or dotenv file, as the running system has it, into a
//! value tree `tuskc drift` compares with what a target builds. The inverse of the emitters beside it.
//!
//! Invariants: never panics on any input; a file that does not parse is an [`Unreadable`] (the parser's message and
//! the byte offset it names), whose message never quotes the file's text (a deployed line may hold a secret); every
//! value read carries the one origin given (the file as a whole).

mod dotenv;
mod error;
#[cfg(feature = "cli")]
mod yaml;

pub use dotenv::parse_env_file;
pub use error::Unreadable;
#[cfg(feature = "cli")]
#[cfg(feature = "internals")]
pub use yaml::MAX_YAML_VALUES;

use crate::emit::Format;
use crate::source::FileId;
use crate::value::{Origin, Value, ValueKind};

/// Read `text`, the deployed file `file`, as `format`. Every value's origin is `origin`. Any top-level value is
/// returned (the caller says whether it wants an object).
pub fn read_deployed(
    text: &str,
    format: Format,
    file: FileId,
    origin: &Origin,
) -> Result<Value, Unreadable> {
    match format {
        Format::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(|j| from_json(&j, origin))
            .map_err(|e| {
                // serde_json's message ends with " at line L column C": the span says that.
                let message = e.to_string();
                let message = message
                    .rfind(" at line ")
                    .map_or(message.as_str(), |i| &message[..i])
                    .to_string();
                Unreadable {
                    at: line_col_offset(text, e.line(), e.column().saturating_sub(1)),
                    message,
                }
            }),
        // toml's own message quotes the line, which may hold a secret: the message and the place only.
        Format::Toml => text
            .parse::<toml::Table>()
            .map(|t| from_toml(&toml::Value::Table(t), origin))
            .map_err(|e| Unreadable {
                message: e.message().trim_end().to_string(),
                at: e.span().map(|s| s.start.min(text.len())),
            }),
        #[cfg(feature = "cli")]
        Format::Yaml => yaml::read_yaml(text, origin),
        #[cfg(not(feature = "cli"))]
        Format::Yaml => Err(Unreadable {
            message:
                "this build of tuskc reads no YAML (it was built without the `cli` feature)"
                    .into(),
            at: None,
        }),
        Format::Dotenv => dotenv::read_dotenv(text, file, origin),
    }
}

/// The byte offset of 1-based `line` and 0-based character `col` in `text`; `None` for line 0 (no place).
fn line_col_offset(text: &str, line: usize, col: usize) -> Option<usize> {
    let start = match line {
        0 => return None,
        1 => 0,
        _ => text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)?,
    };
    Some(
        text[start..]
            .char_indices()
            .take_while(|&(_, c)| c != '\n')
            .nth(col)
            .map_or_else(
                || text[start..].find('\n').map_or(text.len(), |i| start + i),
                |(i, _)| start + i,
            ),
    )
}

fn from_json(j: &serde_json::Value, origin: &Origin) -> Value {
    use serde_json::Value as J;
    let kind = match j {
        J::Null => ValueKind::Null,
        J::Bool(b) => ValueKind::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => ValueKind::Int(i),
            None => ValueKind::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => ValueKind::String(s.clone()),
        J::Array(a) => ValueKind::Array(a.iter().map(|x| from_json(x, origin)).collect()),
        J::Object(m) => ValueKind::Object(
            m.iter()
                .map(|(k, x)| (k.as_str().into(), from_json(x, origin)))
                .collect::<crate::value::Map<_>>()
                .into(),
        ),
    };
    Value::new(kind, *origin)
}

fn from_toml(t: &toml::Value, origin: &Origin) -> Value {
    use toml::Value as T;
    let kind = match t {
        T::String(s) => ValueKind::String(s.clone()),
        T::Integer(i) => ValueKind::Int(*i),
        T::Float(f) => ValueKind::Float(*f),
        T::Boolean(b) => ValueKind::Bool(*b),
        T::Datetime(d) => ValueKind::String(d.to_string()),
        T::Array(a) => ValueKind::Array(a.iter().map(|x| from_toml(x, origin)).collect()),
        T::Table(m) => ValueKind::Object(
            m.iter()
                .map(|(k, x)| (k.as_str().into(), from_toml(x, origin)))
                .collect::<crate::value::Map<_>>()
                .into(),
        ),
    };
    Value::new(kind, *origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, format: Format) -> Result<Value, Unreadable> {
        let origin = Origin {
            file: FileId(0),
            span: crate::source::Span::default(),
            layer: crate::value::LayerRef::OVERRIDE,
        };
        read_deployed(text, format, FileId(0), &origin)
    }

    #[test]
    fn every_format_reads_into_the_same_tree() {
        let json = read(r#"{"app": {"port": 8080, "name": "web"}}"#, Format::Json).unwrap();
        let toml = read("[app]\nport = 8080\nname = \"web\"\n", Format::Toml).unwrap();
        assert!(json.same(&toml));
        #[cfg(feature = "cli")]
        assert!(json.same(&read("app:\n  port: 8080\n  name: web\n", Format::Yaml).unwrap()));
        let env = read("APP_PORT=8080\nexport APP_NAME='web'\n", Format::Dotenv).unwrap();
        assert_eq!(
            env.get_path(&["APP_NAME".to_string()]).map(Value::describe),
            Some("\"web\"".into())
        );
    }

    #[test]
    fn an_unreadable_file_names_the_place_and_never_quotes_it() {
        let e = read("{\"password\": \"hunter2\",, }", Format::Json)
            .err()
            .unwrap();
        assert_eq!(e.at, Some(23));
        assert!(!e.message.contains("hunter2"));
        let e = read("NAME=ok\nnot a line\n", Format::Dotenv).err().unwrap();
        assert_eq!(e.at, Some(8));
    }
}
