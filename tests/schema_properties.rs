//! Property tests for the schema rules: values just inside a constraint pass and just outside fail; unions accept
//! exactly their members; optional fields may be missing and required ones may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
mod common;
#[path = "schema_gen/mod.rs"]
mod schema_gen;

/// Compile `text` as a one-file project; the codes of every diagnostic, in order.
fn codes(text: &str) -> Vec<String> {
    thread_local! {
        static DIR: tempfile::TempDir = tempfile::tempdir().unwrap();
    }
    DIR.with(|dir| {
        common::compile(dir.path(), text)
            .0
            .iter()
            .map(|d| d.code.as_str().to_string())
            .collect()
    })
}

fn passes(ty: &str, value: &str) -> bool {
    let c = codes(&format!("bind v: {ty}\nv: {value}\n"));
    assert!(
        c.iter().all(|c| c.starts_with("TSK05")),
        "unexpected non-schema diagnostic for {ty} / {value}: {c:?}"
    );
    c.is_empty()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn int_ranges_are_inclusive(lo in -1000i64..1000, width in 0i64..1000, pick in 0i64..1000) {
        let hi = lo + width;
        let inside = lo + pick % (width + 1);
        let ty = format!("int({lo}..{hi})");
        assert!(passes(&ty, &inside.to_string()));
        assert!(!passes(&ty, &(lo - 1).to_string()));
        assert!(!passes(&ty, &(hi + 1).to_string()));
    }

    #[test]
    fn comparisons_respect_exclusivity(n in -1000i64..1000) {
        assert!(passes(&format!("int(>= {n})"), &n.to_string()));
        assert!(!passes(&format!("int(> {n})"), &n.to_string()));
        assert!(passes(&format!("int(> {n})"), &(n + 1).to_string()));
        assert!(passes(&format!("int(<= {n})"), &n.to_string()));
        assert!(!passes(&format!("int(< {n})"), &n.to_string()));
        assert!(passes(&format!("float(< {n})"), &format!("{}.5", n - 1)));
    }

    #[test]
    fn string_length_counts_characters(s in "[a-zé☃]{0,12}", lo in 0usize..6, width in 0usize..6) {
        let hi = lo + width;
        let n = s.chars().count();
        let ok = passes(&format!("string(len {lo}..{hi})"), &format!("\"{s}\""));
        assert_eq!(ok, (lo..=hi).contains(&n));
    }

    #[test]
    fn array_length_and_uniqueness(items in prop::collection::vec(0i64..5, 0..6)) {
        let text = format!("[{}]", items.iter().map(i64::to_string).collect::<Vec<_>>().join(", "));
        let mut dedup = items.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(passes("[int](unique)", &text), dedup.len() == items.len());
        assert_eq!(passes("[int](len 2..4)", &text), (2..=4).contains(&items.len()));
    }

    #[test]
    fn literal_unions_accept_exactly_their_members(members in prop::collection::btree_set(0i64..20, 1..5), v in 0i64..20) {
        let ty = members.iter().map(i64::to_string).collect::<Vec<_>>().join(" | ");
        assert_eq!(passes(&ty, &v.to_string()), members.contains(&v));
    }

    #[test]
    fn unions_of_types_accept_any_member(pick in 0usize..4) {
        let values = ["1", "\"text\"", "true", "null"];
        assert!(passes("int | string | bool | null", values[pick]));
        assert_eq!(passes("int | string", values[pick]), pick < 2);
    }

    #[test]
    fn optional_fields_may_be_missing_required_ones_may_not(set_a in any::<bool>(), set_b in any::<bool>()) {
        let mut value = String::from("{");
        if set_a { value.push_str(" a: 1,"); }
        if set_b { value.push_str(" b: 2,"); }
        value.push_str(" }");
        let c = codes(&format!("bind v: {{ a?: int, b: int }}\nv: {value}\n"));
        assert_eq!(c.is_empty(), set_b);
        assert!(c.iter().all(|c| c == "TSK0502"));
    }

    #[test]
    fn env_text_converts_when_it_parses(n in -100000i64..100000, junk in "[a-z]{1,4}") {
        let ok = codes(&format!("bind v: int\nv: @env(\"N\", \"{n}\")\n"));
        assert!(ok.is_empty());
        let bad = codes(&format!("bind v: int\nv: @env(\"N\", \"{n}{junk}\")\n"));
        assert_eq!(bad, vec!["TSK0506".to_string()]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Generated typed projects (every kind of schema, bound as sections and at nested paths, env and provider
    /// overlays): a valid one checks clean in every target; one invalid overlay value gives schema errors only.
    #[test]
    fn generated_projects_check_as_their_values_say(p in schema_gen::project()) {
        let c = codes(&p.text);
        if p.valid {
            prop_assert!(c.is_empty(), "{}\n{:?}", p.text, c);
        } else {
            prop_assert!(!c.is_empty() && c.iter().all(|c| c.starts_with("TSK05")), "{}\n{:?}", p.text, c);
        }
    }
}
