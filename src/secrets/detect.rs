//! Recognising key material in user-supplied text, so that it is used as a key where a key is wanted and never
//! echoed.

/// Whether user-supplied text may be key material rather than a path or a public key: it holds an age secret key
/// (anywhere, in any case: a whole `age-keygen` file pasted into a CI variable starts with `# created: ...`), or
/// more than one line. Such text is used as a key where a key is wanted, and never echoed.
pub fn looks_like_key_material(text: &str) -> bool {
    contains_ignore_ascii_case(text, "AGE-SECRET-KEY-") || text.contains('\n')
}

/// Whether `text` contains `upper` (ASCII, in upper case) in any ASCII case: what
/// `text.to_ascii_uppercase().contains(upper)` answers, without the copy.
pub(crate) fn contains_ignore_ascii_case(text: &str, upper: &str) -> bool {
    let (hay, needle) = (text.as_bytes(), upper.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(at) = memchr::memchr2(first, first.to_ascii_lowercase(), &hay[from..]) {
        let start = from + at + 1;
        match hay.get(start..start + rest.len()) {
            Some(tail) if tail.eq_ignore_ascii_case(rest) => return true,
            Some(_) => from = start,
            None => return false,
        }
    }
    false
}

/// User-supplied text as messages may show it: itself, or a placeholder when it may be key material.
pub fn shown_argument(text: &str) -> String {
    if looks_like_key_material(text) {
        "AGE-SECRET-KEY-… (not shown)".to_string()
    } else {
        text.to_string()
    }
}
