//! Property tests for the secrets store format and the plaintext-secret heuristic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tuskc::secrets::store::{valid_name, Entry, Recipient, Store};

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_./-]{0,30}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Any text: the parser returns a store or line-numbered errors, never panics.
    #[test]
    fn parse_never_panics(text in "(format: 1\n|environment: \"e\"\n|recipients:\n|  - \"age1x\"\n|\\[secrets\\]\n|\"a\": \"b\"\n|# c\n|.{0,20}\n){0,12}") {
        let lines = text.lines().count();
        if let Err(errors) = Store::parse(&text) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| e.line <= lines));
        }
    }

    /// Whatever names, values and comments a store holds, rendering then parsing gives it back, and rendering is
    /// a fixed point (so rewriting a store never changes lines it did not mean to).
    #[test]
    fn render_parse_round_trip(
        entries in prop::collection::btree_map(name(), (prop::collection::vec(any::<u8>(), 0..64), prop::option::of("[a-z ]{1,10}")), 0..8),
        recipients in prop::collection::vec(("age1[a-z0-9]{10}", prop::option::of("[a-z]{1,8}")), 1..4),
    ) {
        let mut store = Store::new("prod", recipients.into_iter().map(|(key, comment)| Recipient { key, comment }).collect());
        for (n, (bytes, comment)) in &entries {
            prop_assert!(valid_name(n));
            let mut e = Entry::new(bytes);
            if let Some(c) = comment {
                e.comments.push(format!("# {c}"));
            }
            store.entries.insert(n.clone(), e);
        }
        let text = store.render();
        let back = Store::parse(&text).unwrap();
        prop_assert_eq!(&back.recipients, &store.recipients);
        prop_assert_eq!(back.entries.len(), store.entries.len());
        for (n, e) in &store.entries {
            prop_assert_eq!(&back.entries[n].ciphertext, &e.ciphertext);
            prop_assert_eq!(&back.entries[n].comments, &e.comments);
            prop_assert_eq!(back.entries[n].bytes().unwrap(), e.bytes().unwrap());
        }
        prop_assert_eq!(back.render(), text);
    }

    /// Changing one secret changes exactly one line of the file.
    #[test]
    fn one_secret_one_line(names in prop::collection::btree_set(name(), 1..10), pick in any::<prop::sample::Index>()) {
        let mut store = Store::new("prod", vec![Recipient { key: "age1abc".into(), comment: None }]);
        for n in &names {
            store.entries.insert(n.clone(), Entry::new(b"old"));
        }
        let before = store.render();
        let target = pick.get(&names.iter().collect::<Vec<_>>()).to_string();
        store.entries.insert(target, Entry::new(b"new value"));
        let after = store.render();
        let changed = before.lines().zip(after.lines()).filter(|(a, b)| a != b).count();
        prop_assert_eq!(changed, 1);
        prop_assert_eq!(before.lines().count(), after.lines().count());
    }

    /// Names that need quoting in other tools are refused, so every stored name is one stanza argument.
    #[test]
    fn invalid_names_are_refused(n in ".{0,12}") {
        let ok = !n.is_empty()
            && n.len() <= 200
            && (n.as_bytes()[0].is_ascii_alphanumeric() || n.as_bytes()[0] == b'_')
            && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"_./-".contains(&b));
        prop_assert_eq!(valid_name(&n), ok);
    }
}
