//! Recognising key material in user-supplied text, so that it is used as a key where a key is wanted and never
//! echoed.

/// Whether user-supplied text may be key material rather than a path or a public key: it holds an age secret key
/// (anywhere, in any case: a whole `age-keygen` file pasted into a CI variable starts with `# created: ...`), or
/// more than one line. Such text is used as a key where a key is wanted, and never echoed.
pub fn looks_like_key_material(text: &str) -> bool {
    text.to_ascii_uppercase().contains("AGE-SECRET-KEY-") || text.contains('\n')
}

/// User-supplied text as messages may show it: itself, or a placeholder when it may be key material.
pub fn shown_argument(text: &str) -> String {
    if looks_like_key_material(text) {
        "AGE-SECRET-KEY-… (not shown)".to_string()
    } else {
        text.to_string()
    }
}
