//! Property tests for general rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

mod common;
#[path = "schema_gen/mod.rs"]
mod schema_gen;
use tuskc::diagnostic::Sink;
use tuskc::source::FileId;

fn fragment() -> impl Strategy<Value = String> {
    joined(
        vec![
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
            "bind a.b: S",
            "{ x: int, ... }",
            "\"a\" | \"b\"",
            "string(pattern \"^[a-z]+$\")",
            "[S | T]",
            "{string: S}",
            "env production provider aws",
        ],
        60,
        " ",
    )
}

/// Up to `most` of `words`, joined by `separator`.
fn joined(
    words: Vec<&'static str>,
    most: usize,
    separator: &'static str,
) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(words), 0..most).prop_map(move |v| v.join(separator))
}

/// Whole lines, at column 0 and indented, of every construct a file can be cut around (`parse_in_parts`): items,
/// blocks, brackets and strings over several lines, doc comments, keywords with their name on the next line,
/// mistakes.
fn lines() -> impl Strategy<Value = String> {
    joined(
        vec![
            "a: 1",
            "b: \"x\"",
            "[s]",
            "[svc: S]",
            "schema S {",
            "  f: int",
            "  ## f's doc",
            "## doc",
            "}",
            "type T = \"a\" | \"b\"",
            "env production {",
            "env staging extends production {",
            "provider aws {",
            "  a: 2",
            "  b:",
            "    c: 3",
            "c: [",
            "1,",
            "]",
            "d: {",
            "e >",
            "<",
            "x: \"\"\"",
            "\"\"\"",
            "# c",
            "k:",
            "  - 1",
            "- 2",
            "schema",
            "S {",
            "env",
            "production {",
            "a: : 1",
            "use \"std/types\"",
            "vary a",
            "bind a: S",
            "parity provider",
            "",
            "  ",
            "f: $v + 1",
            "+ 2",
            "é: 1",
            "g: \"${a}\"",
            "h: @env(\"X\")",
            "q: true ?",
            "  1 : 2",
            "$v = 1",
            "a.b.c: 4",
            "[a.b]",
            "x: (1 +",
            "2)",
            "\t t: 1",
        ],
        40,
        "\n",
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A file parsed in parts on several threads (a long file in `build` and `check`) is exactly the file parsed
    /// whole: the same items, comments and diagnostics, wherever it is cut and on any number of threads.
    #[test]
    fn parsing_in_parts_is_parsing_whole(src in lines(), len in 1usize..40, threads in 1usize..4) {
        let mut sink = Sink::new();
        let whole = tuskc::syntax::parse(&src, FileId(0), &mut sink);
        let reports = format!("{:?}", sink.into_vec());
        let mut sink = Sink::new();
        let parts = tuskc::syntax::parser::parts::parse_in_parts_of(&src, FileId(0), &mut sink, len, threads);
        prop_assert_eq!(parts, whole);
        prop_assert_eq!(format!("{:?}", sink.into_vec()), reports);
    }

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

/// `s` as a string literal of the language (its escapes, not JSON's).
fn tsk_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A literal in the language's own syntax: numbers, strings dense in escapes and non-ASCII, arrays of them.
fn literal_source() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{1,6}\\.[0-9]{1,6}",
        text().prop_map(|s| tsk_string(&s)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(|items| format!("[{}]", items.join(", ")))
    })
}

/// The same transcript whichever way the targets are built: whole trees (the oracle), streamed one by one, all at
/// once on one and on two threads (later targets reusing earlier ones' text), and checked at once (the
/// diagnostics, and which targets fail).
fn same_every_way(f: &std::path::Path, src: &str) -> Result<String, TestCaseError> {
    use common::Way;
    let whole = common::transcript(f, Way::Whole);
    for way in [Way::Streamed, Way::All(1), Way::All(2)] {
        prop_assert_eq!(&whole, &common::transcript(f, way), "{:?}\n{}", way, src);
    }
    let (marks, diags) = common::transcript(f, Way::Checked(2));
    prop_assert_eq!(&whole.1, &diags, "checked\n{}", src);
    let failed = |t: &str| t.matches("(failed)\n").count();
    prop_assert_eq!(failed(&whole.0), failed(&marks), "checked\n{}", src);
    Ok(whole.0 + &whole.1)
}

proptest! {
    /// Streamed JSON equals the whole tree's for generated literals, under a schema or not: the streamed build
    /// writes unchecked literals straight from their expressions, and checks checked ones field by field.
    #[test]
    fn streamed_json_matches_the_value_tree(
        values in prop::collection::vec(literal_source(), 1..6),
        types in prop::collection::vec(prop::sample::select(vec!["int", "number", "string", "[int]", "any", "bool"]), 1..6),
        bound in any::<bool>(),
        nested in any::<bool>(),
    ) {
        let mut src = String::from("schema S {\n");
        for (i, ty) in types.iter().enumerate() {
            src.push_str(&format!("  k{i}?: {ty}\n"));
        }
        src.push_str("  ...\n}\n");
        src.push_str(if bound { "[sec: S]\n" } else { "[sec]\n" });
        for (i, v) in values.iter().enumerate() {
            if nested && i % 2 == 1 {
                src.push_str(&format!("n{i} {{ k{i}: {v} }}\n"));
            } else {
                src.push_str(&format!("k{i}: {v}\n"));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("l.tsk");
        std::fs::write(&f, &src).unwrap();
        let whole = same_every_way(&f, &src)?;
        // Unchecked, every generated literal is valid: the target must build (so the text is compared, not just
        // two failures).
        prop_assert!(bound || !whole.contains("(failed)"), "{}\n{}", src, whole);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// For any generated typed project (schemas of every kind, bound as sections and at nested paths, env and
    /// provider overlays), streamed JSON equals the whole tree's, and a valid project builds in every target.
    #[test]
    fn typed_projects_stream_like_the_value_tree(p in schema_gen::project()) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("typed.tsk");
        std::fs::write(&f, &p.text).unwrap();
        let whole = same_every_way(&f, &p.text)?;
        prop_assert!(!p.valid || !whole.contains("(failed)"), "{}\n{}", p.text, whole);
        prop_assert!(p.valid || whole.contains("(failed)"), "{}\n{}", p.text, whole);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// `tuskc build --all` is deterministic: the same project twice gives the same files, bytes and exit status.
    #[test]
    fn build_all_is_deterministic(p in schema_gen::project()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("typed.tsk"), &p.text).unwrap();
        let run = |out: &str| {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_tuskc"))
                .args(["build", "typed.tsk", "--all", "--out-dir", out])
                .current_dir(dir.path())
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let written = dir.path().join(out);
            let files = common::files_under(&written);
            (o.status.code(), o.stdout, o.stderr, files)
        };
        let first = run("one");
        prop_assert_eq!(first.0 == Some(0), p.valid, "{}\n{}", p.text, String::from_utf8_lossy(&first.2));
        prop_assert!(!p.valid || first.3.len() == 4, "{}", p.text);
        prop_assert_eq!(first, run("two"), "{}", p.text);
    }
}
