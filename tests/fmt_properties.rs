//! Property tests for the formatter: over generated documents written with random layout (spacing, indentation
//! widths, every block style, comments in every place, blank lines), formatting succeeds, is idempotent, keeps every
//! comment, and never changes what any target compiles to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tuskc::diagnostic::Sink;
use tuskc::source::FileId;

/// A configuration tree; rendered to text by [`render`] with layout chosen by a [`Style`].
#[derive(Clone, Debug)]
enum Value {
    Scalar(String),
    /// `[a, b]`, on one line or one item per line.
    Inline(Vec<String>, bool),
    /// `key { ... }` / `key > ... <` / `key:` + indented lines / `{ a: 1 }` inline.
    Block(Vec<(String, Value)>, u8),
    /// `key:` + `- item` lines; items are scalars or `- k: v` objects.
    Dashes(Vec<Value>),
}

#[derive(Clone, Debug)]
struct Style {
    /// Extra spaces used at each choice point (cycled).
    spaces: Vec<u8>,
    indent: u8,
    /// Comment and blank-line decisions (cycled).
    comments: Vec<u8>,
}

struct Writer<'a> {
    style: &'a Style,
    n: usize,
    out: String,
    comment_no: usize,
}

impl Writer<'_> {
    fn pick(&mut self, v: &[u8]) -> u8 {
        self.n += 1;
        v[self.n % v.len()]
    }
    fn sp(&mut self) -> String {
        let s = self.style.spaces.clone();
        " ".repeat(self.pick(&s) as usize % 3)
    }
    fn sp1(&mut self) -> String {
        format!(" {}", self.sp())
    }
    /// End a line: maybe a trailing comment, maybe blank lines and own-line comments after it.
    fn eol(&mut self, indent: usize) {
        let c = self.style.comments.clone();
        let choice = self.pick(&c);
        if choice.is_multiple_of(4) {
            self.comment_no += 1;
            let sp = self.sp1();
            self.out.push_str(&format!("{sp}# t{}", self.comment_no));
        }
        self.out.push('\n');
        if choice % 5 == 1 {
            self.out.push('\n');
        }
        if choice % 7 == 2 {
            self.comment_no += 1;
            self.out.push_str(&format!(
                "{}# own {}\n",
                " ".repeat(indent),
                self.comment_no
            ));
        }
    }
    fn scalars(&mut self, items: &[String], multiline: bool, indent: usize) {
        if !multiline {
            let sep = format!(",{}", self.sp1());
            let sp = self.sp();
            self.out
                .push_str(&format!("[{sp}{}{sp}]", items.join(&sep)));
            return;
        }
        self.out.push('[');
        self.eol(indent + 2);
        for it in items {
            self.out
                .push_str(&format!("{}{it},", " ".repeat(indent + 2)));
            self.eol(indent + 2);
        }
        self.out.push_str(&format!("{}]", " ".repeat(indent)));
    }
    fn entry(&mut self, key: &str, v: &Value, indent: usize) {
        let pad = " ".repeat(indent);
        let step = self.style.indent as usize;
        self.out.push_str(&pad);
        self.out.push_str(key);
        match v {
            Value::Scalar(s) => {
                let (a, b) = (self.sp(), self.sp1());
                let sep = if self.n.is_multiple_of(3) { "=" } else { ":" };
                let sep = if sep == "=" {
                    format!("{a}={b}")
                } else {
                    format!("{a}:{b}")
                };
                self.out.push_str(&format!("{sep}{s}"));
                self.eol(indent);
            }
            Value::Inline(items, multi) => {
                let sp = self.sp1();
                self.out.push_str(&format!(":{sp}"));
                self.scalars(items, *multi, indent);
                self.eol(indent);
            }
            Value::Block(entries, kind) => match kind % 4 {
                0 => {
                    let sp = self.sp1();
                    self.out.push_str(&format!("{sp}{{"));
                    self.eol(indent + step);
                    for (k, v) in entries {
                        self.entry(k, v, indent + step);
                    }
                    self.out.push_str(&format!("{pad}}}"));
                    self.eol(indent);
                }
                1 => {
                    let sp = self.sp1();
                    self.out.push_str(&format!("{sp}>"));
                    self.eol(indent + step);
                    for (k, v) in entries {
                        self.entry(k, v, indent + step);
                    }
                    self.out.push_str(&format!("{pad}<"));
                    self.eol(indent);
                }
                2 if !entries.is_empty() => {
                    self.out.push(':');
                    self.eol(indent + step);
                    for (k, v) in entries {
                        self.entry(k, v, indent + step);
                    }
                }
                _ => {
                    // Inline object of scalars only.
                    let parts: Vec<String> = entries
                        .iter()
                        .filter_map(|(k, v)| match v {
                            Value::Scalar(s) => Some(format!("{k}: {s}")),
                            _ => None,
                        })
                        .collect();
                    let sp = self.sp();
                    self.out
                        .push_str(&format!(": {{{sp}{}{sp}}}", parts.join(", ")));
                    self.eol(indent);
                }
            },
            Value::Dashes(items) => {
                self.out.push(':');
                self.eol(indent + step);
                let dash = " ".repeat(indent + step);
                for it in items {
                    match it {
                        Value::Block(entries, _) if !entries.is_empty() => {
                            // `- k: v` then the other keys aligned under `k`.
                            let sp = 1 + self.sp().len();
                            self.out.push_str(&format!("{dash}-{}", " ".repeat(sp)));
                            let inner = indent + step + 1 + sp;
                            for (i, (k, v)) in entries.iter().enumerate() {
                                let v = match v {
                                    Value::Scalar(_) => v.clone(),
                                    _ => Value::Scalar("0".into()),
                                };
                                if i == 0 {
                                    self.entry(k, &v, 0);
                                } else {
                                    self.entry(k, &v, inner);
                                }
                            }
                        }
                        Value::Inline(items, _) => {
                            self.out.push_str(&format!("{dash}- "));
                            self.scalars(items, false, indent + step);
                            self.eol(indent + step);
                        }
                        Value::Scalar(s) => {
                            self.out.push_str(&format!("{dash}- {s}"));
                            self.eol(indent + step);
                        }
                        _ => {
                            self.out.push_str(&format!("{dash}- 1"));
                            self.eol(indent + step);
                        }
                    }
                }
            }
        }
    }
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i32>().prop_map(|n| n.to_string()),
        "[a-z #é]{0,8}".prop_map(|s| format!("\"{s}\"")),
        "[a-z]{0,5}".prop_map(|s| format!("'{s}'")),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("2.5e3".to_string()),
        Just("1 +  2 * (3 - 1)".to_string()),
        Just("\"a\" + \"b\"".to_string()),
        Just("@environment".to_string()),
        Just("@env(\"HOME_X\",  \"d\")".to_string()),
        Just("$v".to_string()),
        Just("!false && true ? 1 : 2".to_string()),
        Just("\"\"\"\n    two\n      lines\n    \"\"\"".to_string()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => scalar().prop_map(Value::Scalar),
        1 => (prop::collection::vec(scalar(), 0..4), any::<bool>()).prop_map(|(v, m)| Value::Inline(v, m)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (
                prop::collection::vec(("k[a-z]{0,2}", inner.clone()), 1..4),
                any::<u8>()
            )
                .prop_map(|(v, k)| Value::Block(dedup(v), k)),
            prop::collection::vec(inner, 1..4).prop_map(Value::Dashes),
        ]
    })
}

fn dedup(v: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter()
        .filter(|(k, _)| seen.insert(k.clone()))
        .collect()
}

fn render(top: &[(String, Value)], env: &[(String, Value)], style: &Style) -> String {
    let mut w = Writer {
        style,
        n: 0,
        out: String::new(),
        comment_no: 0,
    };
    w.out.push_str("# head\n$v: 7\n");
    for (k, v) in top {
        w.entry(k, v, 0);
    }
    if !env.is_empty() {
        w.out.push_str("env production {\n");
        w.out.push_str("  [sec]\n");
        for (k, v) in env {
            w.entry(k, v, 2);
        }
        w.out.push_str("}\n");
    }
    w.out
}

fn compile_all(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.tsk");
    std::fs::write(&f, text).unwrap();
    let mut session = tuskc::driver::Session::open(&f).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    let program = session.load(&f).unwrap();
    session
        .all_targets(&program)
        .iter()
        .map(|t| match session.build(&program, t, None, &inputs) {
            Some((_, v)) => tuskc::emit::emit(&v, tuskc::emit::Format::Json).unwrap_or_default(),
            None => "failed".into(),
        })
        .collect()
}

fn comments(text: &str) -> Vec<String> {
    let mut sink = Sink::new();
    let ast = tuskc::syntax::parse(text, FileId(0), &mut sink);
    ast.comments
        .iter()
        .map(|c| text[c.range()].trim_end().to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn formatting_is_idempotent_and_keeps_meaning(
        top in prop::collection::vec(("[a-z]{1,3}", value()), 1..5),
        env in prop::collection::vec(("[a-z]{1,3}", value()), 0..3),
        spaces in prop::collection::vec(0u8..3, 1..7),
        indent in 2u8..5,
        cmts in prop::collection::vec(any::<u8>(), 1..9),
    ) {
        let style = Style { spaces, indent, comments: cmts };
        let src = render(&dedup(top), &dedup(env), &style);
        let mut sink = Sink::new();
        tuskc::syntax::parse(&src, FileId(0), &mut sink);
        prop_assert!(!sink.has_errors(), "generated text must parse:\n{src}\n{:?}", sink.into_sorted());

        let mut sink = Sink::new();
        let once = tuskc::syntax::fmt::format_text(&src, FileId(0), &mut sink);
        prop_assert!(sink.is_empty(), "{src}\n{:?}", sink.into_sorted());
        let once = once.unwrap();
        let twice = tuskc::syntax::fmt::format_text(&once, FileId(0), &mut Sink::new()).unwrap();
        prop_assert_eq!(&twice, &once, "not idempotent; input:\n{}", src);
        prop_assert_eq!(comments(&once), comments(&src));
        prop_assert_eq!(compile_all(&once), compile_all(&src), "meaning changed; input:\n{}\noutput:\n{}", src, once);
        prop_assert!(!once.lines().any(|l| l.ends_with(' ')), "trailing spaces:\n{}", once);
    }

    /// Any text at all: formatting never panics, and when it succeeds its output formats to itself.
    #[test]
    fn formatting_any_text_never_panics(src in "\\PC{0,120}") {
        let mut sink = Sink::new();
        if let Some(out) = tuskc::syntax::fmt::format_text(&src, FileId(0), &mut sink) {
            let again = tuskc::syntax::fmt::format_text(&out, FileId(0), &mut Sink::new());
            prop_assert_eq!(again.as_deref(), Some(out.as_str()));
        }
    }
}
