//! Deployed YAML files: the first document, with its aliases expanded, after counting what they expand to (an
//! alias bomb is refused before the loader copies anything).

use std::collections::HashMap;

use super::error::Unreadable;
use crate::value::{Origin, Value, ValueKind};

/// The most values a deployed YAML file may hold once its aliases are expanded: as many as the largest array a
/// target may build (TSK0316). Each alias copies its anchor's values, so a few lines can stand for billions.
pub const MAX_YAML_VALUES: usize = 1_000_000;

pub(super) fn read_yaml(text: &str, origin: &Origin) -> Result<Value, Unreadable> {
    let offset = |m: &yaml_rust2::scanner::Marker| {
        text.char_indices()
            .nth(m.index())
            .map_or(text.len(), |(i, _)| i)
    };
    // Counted first, from the parser's events: the loader copies every alias, so it must not see a bomb.
    let mut count = YamlCount::default();
    if let Err(e) = yaml_rust2::parser::Parser::new_from_str(text).load(&mut count, false) {
        return Err(Unreadable {
            message: e.info().to_string(),
            at: Some(offset(e.marker())),
        });
    }
    if let Some(at) = count.recursive {
        return Err(Unreadable {
            message: "an alias refers to the node it is inside, so the value would contain itself"
                .to_string(),
            at: Some(offset(&at)),
        });
    }
    if let Some(at) = count.over {
        return Err(Unreadable {
            message: format!(
                "too large after expanding aliases (more than {MAX_YAML_VALUES} values)"
            ),
            at: Some(offset(&at)),
        });
    }
    match yaml_rust2::YamlLoader::load_from_str(text) {
        Ok(docs) => match docs.first() {
            Some(doc) => from_yaml(doc, origin).map_err(|message| Unreadable { message, at: None }),
            None => Ok(Value::new(ValueKind::Object(Box::default()), *origin)),
        },
        Err(e) => Err(Unreadable {
            message: e.info().to_string(),
            at: Some(offset(e.marker())),
        }),
    }
}

/// Counts the values of the first YAML document as the loader would build them, each alias as a copy of its
/// anchor's values, and stops counting at the first one past [`MAX_YAML_VALUES`].
#[derive(Default)]
struct YamlCount {
    total: usize,
    /// Per anchor id, how many values the anchored node holds.
    sizes: HashMap<usize, usize>,
    /// The open sequences and mappings: their anchor id and the count when they started.
    open: Vec<(usize, usize)>,
    over: Option<yaml_rust2::scanner::Marker>,
    /// An alias inside the node it names (`a: &a [*a]`): a value that would contain itself.
    recursive: Option<yaml_rust2::scanner::Marker>,
}

impl yaml_rust2::parser::MarkedEventReceiver for YamlCount {
    fn on_event(&mut self, ev: yaml_rust2::Event, mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event as E;
        if self.over.is_some() {
            return;
        }
        match ev {
            E::Scalar(_, _, anchor, _) => {
                self.total += 1;
                if anchor > 0 {
                    self.sizes.insert(anchor, 1);
                }
            }
            E::Alias(id) if self.open.iter().any(|&(anchor, _)| anchor == id) => {
                self.recursive.get_or_insert(mark);
            }
            E::Alias(id) => {
                self.total = self
                    .total
                    .saturating_add(self.sizes.get(&id).copied().unwrap_or(1));
            }
            E::SequenceStart(anchor, _) | E::MappingStart(anchor, _) => {
                self.total += 1;
                self.open.push((anchor, self.total - 1));
            }
            E::SequenceEnd | E::MappingEnd => {
                if let Some((anchor, start)) = self.open.pop() {
                    if anchor > 0 {
                        self.sizes.insert(anchor, self.total - start);
                    }
                }
            }
            _ => {}
        }
        if self.total > MAX_YAML_VALUES {
            self.over = Some(mark);
        }
    }
}

fn from_yaml(y: &yaml_rust2::Yaml, origin: &Origin) -> Result<Value, String> {
    use yaml_rust2::Yaml as Y;
    let kind = match y {
        Y::Null => ValueKind::Null,
        Y::Boolean(b) => ValueKind::Bool(*b),
        Y::Integer(i) => ValueKind::Int(*i),
        Y::Real(r) => ValueKind::Float(yaml_float(r)),
        Y::String(s) => ValueKind::String(s.clone()),
        Y::Array(a) => ValueKind::Array(
            a.iter()
                .map(|x| from_yaml(x, origin))
                .collect::<Result<_, _>>()?,
        ),
        Y::Hash(h) => {
            let mut m = crate::value::Map::default();
            for (k, v) in h {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Integer(i) => i.to_string(),
                    Y::Boolean(b) => b.to_string(),
                    Y::Real(r) => r.clone(),
                    Y::Null => "null".to_string(),
                    _ => return Err("a mapping key is not a scalar".into()),
                };
                m.insert(key.into(), from_yaml(v, origin)?);
            }
            ValueKind::Object(Box::new(m))
        }
        Y::Alias(_) | Y::BadValue => return Err("aliases are not supported".into()),
    };
    Ok(Value::new(kind, *origin))
}

/// YAML floats, including `.inf`, `-.inf` and `.nan`.
fn yaml_float(r: &str) -> f64 {
    if let Ok(x) = r.parse::<f64>() {
        return x;
    }
    match r.to_ascii_lowercase().as_str() {
        ".inf" | "+.inf" => f64::INFINITY,
        "-.inf" => f64::NEG_INFINITY,
        _ => f64::NAN,
    }
}
