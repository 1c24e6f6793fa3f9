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

// ----- what may be done with a secret (docs/language.md, "What may be done with a secret") -----

use tuskc::driver::Session;
use tuskc::secrets::{crypto, IdentitySource, SecretMode};

/// Uses of the secret `tok` (`G` is the guess, a string literal), each with what every mode must report: a code
/// that must appear, or "ok" for a use that is allowed.
const USES: &[(&str, &str)] = &[
    ("x: tok == G", "TSK0317"),
    ("x: G != tok", "TSK0317"),
    ("x: tok < G", "TSK0317"),
    ("x: G >= tok", "TSK0317"),
    ("x: tok - 1", "TSK0317"),
    ("x: 2 * tok", "TSK0317"),
    ("x: tok / 0", "TSK0317"),
    ("x: tok % 0", "TSK0317"),
    ("x: tok * 9223372036854775807", "TSK0317"),
    ("x: -tok", "TSK0317"),
    ("x: !tok", "TSK0317"),
    ("x: tok && true", "TSK0317"),
    ("x: false || tok", "TSK0317"),
    ("x: tok == G ? \"yes\" : \"no\"", "TSK0317"),
    ("x: tok ? 1 : 2", "TSK0317"),
    ("x: @env(tok)", "TSK0317"),
    ("x: @env(tok, 5)", "TSK0317"),
    ("x: @env(\"${tok}\")", "TSK0317"),
    ("x: @file(tok)", "TSK0317"),
    ("x: @secret(tok)", "TSK0317"),
    ("x: @secret(\"a/\" + tok)", "TSK0317"),
    ("x: \"${tok}\" == G", "TSK0317"),
    ("x: [tok] == [G]", "TSK0317"),
    ("x: { a: tok } != { a: G }", "TSK0317"),
    ("x: tok\nbind x: G", "TSK0317"),
    ("x: tok\nbind x: G | \"other\"", "TSK0317"),
    ("x: tok\nbind x: int | G", "TSK0317"),
    ("x: [tok]\nbind x: [G]", "TSK0317"),
    (
        "schema S {\n  v: string\n  assert v == G : \"guessed\"\n}\n[s: S]\nv: tok",
        "TSK0317",
    ),
    (
        "schema S {\n  v: string\n  assert v ? true : false\n}\n[s: S]\nv: tok",
        "TSK0317",
    ),
    // Allowed: passed whole or joined into a string; type-only outcomes.
    ("x: \"pre-\" + tok + 1", "ok"),
    ("x: \"${tok}/\" + G", "ok"),
    ("x: [tok] + [G]", "ok"),
    ("x: tok\nbind x: string | G", "ok"),
    ("x: tok\nbind x: secret", "ok"),
    (
        "x: tok\nbind x: string(len 3..5, pattern \"^a\", format hostname)",
        "ok",
    ),
    ("x: @env(\"UNSET\", tok)\nbind x: int", "TSK0501"),
    ("x: tok\nbind x: int", "TSK0501"),
    ("x: tok + [1]", "TSK0307"),
    ("x: tok + null", "TSK0307"),
];

/// Values a secret or a guess may have: words, numbers and booleans as text, the empty string.
fn secret_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{0,6}",
        Just("0".to_string()),
        Just("5".to_string()),
        Just("true".to_string()),
        Just("9223372036854775807".to_string()),
    ]
}

/// Compile `source` (with `tok: @secret("tok")`) in `mode`; with `value`, the store holds it as `tok`. Whether it
/// failed, and the diagnostics as `check` renders them.
fn compile(
    dir: &std::path::Path,
    source: &str,
    mode: SecretMode,
    value: &str,
    identity: &(zeroize::Zeroizing<String>, String),
) -> (bool, String) {
    let recipient = crypto::parse_recipient(&identity.1).unwrap();
    let ciphertext = crypto::encrypt(value.as_bytes(), &[recipient], "default", "tok").unwrap();
    let mut store = Store::new(
        "default",
        vec![Recipient {
            key: identity.1.clone(),
            comment: None,
        }],
    );
    store.put("tok", &ciphertext);
    // Sealed, as a store in use is: an unsealed one would add a warning in resolve mode only.
    let ids = crypto::parse_identities(&identity.0).unwrap();
    store.seal = Some(tuskc::secrets::seal::seal(&store, &ids).unwrap());
    std::fs::create_dir_all(dir.join("secrets")).unwrap();
    std::fs::write(dir.join("secrets/default.tsk"), store.render()).unwrap();
    let file = dir.join("app.tsk");
    std::fs::write(&file, format!("tok: @secret(\"tok\")\n{source}\n")).unwrap();
    let mut session = Session::open(&file).unwrap();
    session.set_secrets(mode, IdentitySource::Inline(identity.0.clone()));
    let inputs = session.env_inputs(&[], &[], false);
    let program = session.load(&file).unwrap();
    let mut failed = false;
    for target in session.all_targets(&program) {
        failed |= session.build(&program, &target, None, &inputs).is_none();
    }
    failed |= session.sink.has_errors();
    let diags = session.take_diagnostics();
    (
        failed,
        tuskc::diagnostic::render::human(&diags, &session.sources, false),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Whatever is done with a secret, and whatever its value: reference, redact and resolve mode, with the guess
    /// right and with it wrong, fail or succeed together with the same diagnostics, so no outcome tells anything
    /// about the value.
    #[test]
    fn secret_uses_answer_the_same_for_every_value(
        pick in any::<prop::sample::Index>(),
        guess in secret_text(),
        other in secret_text(),
    ) {
        let (template, expect) = USES[pick.index(USES.len())];
        let source = template.replace('G', &format!("{guess:?}"));
        let tmp = tempfile::tempdir().unwrap();
        let identity = crypto::generate_identity();
        let reference = compile(tmp.path(), &source, SecretMode::Reference, &guess, &identity);
        prop_assert_eq!(reference.0, expect != "ok", "{}:\n{}", source, reference.1);
        if expect != "ok" {
            prop_assert!(reference.1.contains(&format!("[{expect}]")), "{}:\n{}", source, reference.1);
        }
        for (mode, value) in [
            (SecretMode::Redact, guess.as_str()),
            (SecretMode::Resolve, guess.as_str()),
            (SecretMode::Resolve, other.as_str()),
        ] {
            let got = compile(tmp.path(), &source, mode, value, &identity);
            prop_assert_eq!(&got, &reference, "{} in {:?} with {:?}", source, mode, value);
        }
    }
}
