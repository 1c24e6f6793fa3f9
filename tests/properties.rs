//! Property tests for general rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tuskc::diagnostic::Sink;
use tuskc::source::FileId;

fn fragment() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "[app]",
            "[app: S]",
            "schema S {",
            "type T =",
            "bind",
            "parity provider",
            "assert",
            "x?: int(1..5) = 3",
            "|",
            "..",
            "...",
            "[string](len 1.., unique)",
            "{string: int}",
            "\n",
            "  ",
            "key",
            ":",
            "=",
            "\"s\"",
            "'x'",
            "1",
            "2.5",
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            ",",
            "$v",
            "@env(\"X\", 1)",
            "@secret(\"s\")",
            "env",
            "production",
            "provider",
            "aws",
            "extends",
            "use",
            "-",
            "+",
            "?",
            "<",
            ">",
            "#c",
            "\"${a}\"",
            "\"\"\"",
            ".",
            "!",
            "&&",
            "é",
            "\t",
            "@delete",
        ]),
        0..60,
    )
    .prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// No input makes the parser panic, and every span it reports lies inside the text on char boundaries.
    #[test]
    fn parser_never_panics(src in "\\PC{0,200}") {
        let mut sink = Sink::new();
        tuskc::syntax::parse(&src, FileId(0), &mut sink);
        for d in sink.iter() {
            for l in &d.labels {
                prop_assert!(l.span.end as usize <= src.len());
                prop_assert!(src.is_char_boundary(l.span.start as usize) && src.is_char_boundary(l.span.end as usize));
            }
        }
    }

    /// Token soup from the language's own vocabulary, through the whole pipeline: never a panic.
    #[test]
    fn whole_pipeline_never_panics(src in fragment()) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.tsk");
        std::fs::write(&f, &src).unwrap();
        let mut session = tuskc::driver::Session::open(&f).unwrap();
        let inputs = session.env_inputs(&[], &[], false);
        if let Some(program) = session.load(&f) {
            for t in session.all_targets(&program) {
                if let Some((_, v)) = session.build(&program, &t, None, &inputs) {
                    for fmt in [tuskc::emit::Format::Json, tuskc::emit::Format::Toml, tuskc::emit::Format::Yaml, tuskc::emit::Format::Dotenv] {
                        let _ = tuskc::emit::emit(&v, fmt);
                    }
                }
            }
        }
    }

    /// Integers and strings round-trip through the language and JSON output.
    #[test]
    fn scalars_round_trip(n in any::<i64>(), s in "[a-zA-Z0-9 _.:/-]{0,30}") {
        let src = format!("n: {n}\ns: {}\n", serde_json::to_string(&s).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.tsk");
        std::fs::write(&f, &src).unwrap();
        let mut session = tuskc::driver::Session::open(&f).unwrap();
        let inputs = session.env_inputs(&[], &[], false);
        let program = session.load(&f).unwrap();
        let (_, v) = session.build(&program, &Default::default(), None, &inputs).unwrap();
        let j = tuskc::emit::to_json(&v);
        prop_assert_eq!(j["n"].as_i64(), Some(n));
        prop_assert_eq!(j["s"].as_str(), Some(s.as_str()));
    }
}

/// Text dense in what JSON must escape (controls, quote, backslash) next to plain and non-ASCII characters.
fn text() -> impl Strategy<Value = String> {
    "[\\x00-\\x20\"\\\\a-z\u{7f}\u{e9}\u{2028}\u{1F600}]{0,20}"
}

/// Any value tree: scalars (every float, any text including control characters and non-ASCII), secrets, nested
/// arrays and objects (empty ones included).
fn value_tree() -> impl Strategy<Value = tuskc::value::Value> {
    use tuskc::value::{Origin, Value, ValueKind};
    let origin = Origin {
        file: FileId(0),
        span: Default::default(),
        layer: tuskc::value::LayerRef::BASE,
    };
    let o = origin;
    let leaf = prop_oneof![
        Just(ValueKind::Null),
        any::<bool>().prop_map(ValueKind::Bool),
        any::<i64>().prop_map(ValueKind::Int),
        any::<f64>().prop_map(ValueKind::Float),
        text().prop_map(ValueKind::String),
        "[a-z/]{1,12}".prop_map(ValueKind::Secret),
    ]
    .prop_map(move |k| Value::new(k, o));
    leaf.prop_recursive(4, 64, 6, move |inner| {
        let o1 = origin;
        let o2 = origin;
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(move |a| Value::new(ValueKind::Array(a), o1)),
            prop::collection::vec((text(), inner), 0..5).prop_map(move |kv| {
                let m = kv
                    .into_iter()
                    .map(|(k, v)| (k.into(), v))
                    .collect::<tuskc::value::Map<_>>();
                Value::new(ValueKind::Object(Box::new(m)), o2)
            }),
        ]
    })
}

proptest! {
    /// The hand-written JSON writer (the hot path of `build`) gives exactly serde_json's pretty text.
    #[test]
    fn json_writer_matches_serde_json(v in value_tree()) {
        let ours = tuskc::emit::json_text(&v);
        let theirs = serde_json::to_string_pretty(&tuskc::emit::to_json(&v)).unwrap() + "\n";
        prop_assert_eq!(ours, theirs);
    }
}
