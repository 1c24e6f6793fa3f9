//! The on-disk secrets store: one file per environment, names in the clear, one age ciphertext per line.
//!
//! ```text
//! # tuskc secrets store for environment "production". ...
//! format: 1
//! environment: "production"
//! seal: "1 <MAC> r:<fingerprints> s:<fingerprints>"
//! recipients:
//!   - "age1..."  # alice
//!
//! [secrets]
//! "shop/db_password": "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBI..."
//! ```
//!
//! The file is valid TuskLang (so editors and the formatter can open it), but it is read and written by the small
//! line parser here, never compiled. Invariants: entries are written sorted by name, one line each, so a git diff
//! names the secret that changed and two people adding different secrets touch different lines; comment lines
//! above an entry and the comment after a recipient survive every rewrite; parsing never panics and reports the
//! line of every problem.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// The version of the store format this build reads and writes.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The age public key (`age1...`).
    pub key: String,
    /// The comment after it on its line (who it is), without `#`.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The stored text: standard base64 of a binary age file.
    pub ciphertext: String,
    /// Whole comment lines written directly above the entry, kept with it.
    pub comments: Vec<String>,
    /// 1-based line in the file it was read from (0 for entries added in this run).
    pub line: usize,
}

impl Entry {
    pub fn new(ciphertext: &[u8]) -> Self {
        Entry {
            ciphertext: STANDARD.encode(ciphertext),
            comments: Vec::new(),
            line: 0,
        }
    }

    /// The binary age file, or why the line is not base64.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        STANDARD
            .decode(self.ciphertext.trim())
            .map_err(|e| format!("the stored text is not base64 ({e})"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub env: String,
    pub recipients: Vec<Recipient>,
    /// Sorted by name: the file's order is deterministic and merge-friendly.
    pub entries: BTreeMap<String, Entry>,
    /// What someone who could decrypt every value vouched for (`seal.rs`); `None`: never sealed.
    pub seal: Option<Seal>,
}

/// A problem in a store file, with its 1-based line (0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub line: usize,
    pub message: String,
}

/// Secret names: letters, digits and `_ . / -`, starting with a letter, digit or `_`; at most 200 bytes; never
/// key material. They appear unquoted in the age header's binding stanza, so they must be plain visible ASCII.
pub fn valid_name(name: &str) -> bool {
    // Names are stored and printed in the clear: an age private key is never one.
    if super::detect::looks_like_key_material(name) {
        return false;
    }
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
}

/// Environment names as stores use them (identifiers, or `default`).
pub fn valid_env(env: &str) -> bool {
    valid_name(env) && !env.contains('/')
}

impl Store {
    pub fn new(env: &str, recipients: Vec<Recipient>) -> Self {
        Store {
            env: env.to_string(),
            recipients,
            entries: BTreeMap::new(),
            seal: None,
        }
    }

    /// Store `ciphertext` as `name`, keeping the comments of the entry it replaces. True if it replaced one.
    pub fn put(&mut self, name: &str, ciphertext: &[u8]) -> bool {
        let mut entry = Entry::new(ciphertext);
        match self.entries.get_mut(name) {
            Some(old) => {
                entry.comments = std::mem::take(&mut old.comments);
                *old = entry;
                true
            }
            None => {
                self.entries.insert(name.to_string(), entry);
                false
            }
        }
    }

    /// Parse a store file. Every problem is reported with its line; a store with problems is not used.
    pub fn parse(text: &str) -> Result<Store, Vec<StoreError>> {
        let mut errors = Vec::new();
        let mut env: Option<String> = None;
        let mut saw_format = false;
        let mut recipients = Vec::new();
        let mut entries = BTreeMap::new();
        let mut seal = None;
        let mut in_recipients = false;
        let mut in_secrets = false;
        let mut pending: Vec<String> = Vec::new();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            let mut err = |m: String| {
                errors.push(StoreError {
                    line: line_no,
                    message: m,
                })
            };
            if line.is_empty() {
                pending.clear();
                continue;
            }
            if line.starts_with('#') {
                if in_secrets {
                    // Kept exactly (less a CR), so rewriting the file never touches it.
                    pending.push(raw.trim_end_matches('\r').to_string());
                }
                continue;
            }
            if in_recipients && line.starts_with('-') {
                let (value, comment) = split_comment(line[1..].trim());
                match unquote(value) {
                    Some(k) => recipients.push(Recipient {
                        key: k.to_string(),
                        comment: comment.map(str::to_string),
                    }),
                    None => err(format!(
                        "a recipient line is `- \"age1...\"`, found `{}`",
                        shorten(line)
                    )),
                }
                continue;
            }
            in_recipients = false;
            if line == "[secrets]" {
                if in_secrets {
                    err("`[secrets]` appears twice".into());
                }
                in_secrets = true;
                continue;
            }
            let Some((key, value)) = split_entry(line) else {
                err(format!(
                    "expected `name: \"value\"`, found `{}`",
                    shorten(line)
                ));
                continue;
            };
            if in_secrets {
                let (value, _) = split_comment(value);
                match (unquote_key(key), unquote(value)) {
                    (Some(name), Some(ct)) if valid_name(name) => {
                        let entry = Entry {
                            ciphertext: ct.to_string(),
                            comments: std::mem::take(&mut pending),
                            line: line_no,
                        };
                        if let Some(first) = entries.insert(name.to_string(), entry) {
                            err(format!(
                                "secret `{name}` is stored twice (first on line {}); a merge kept both sides",
                                first.line
                            ));
                        }
                    }
                    (Some(name), Some(_)) => err(format!(
                        "`{}` is not a valid secret name (letters, digits, `_ . / -`)",
                        shorten(name)
                    )),
                    _ => err(format!(
                        "a secret line is `\"name\": \"<base64 age file>\"`, found `{}`",
                        shorten(line)
                    )),
                }
                continue;
            }
            let (value, _) = split_comment(value);
            saw_format |= key == "format";
            match key {
                "format" => match value.parse::<u32>() {
                    Ok(FORMAT) => {}
                    Ok(n) => err(format!(
                        "store format {n} is not supported by this tuskc (it reads format {FORMAT}); upgrade tuskc"
                    )),
                    Err(_) => err(format!("`format` must be a number, found `{}`", shorten(value))),
                },
                "environment" => match unquote(value) {
                    Some(e) if valid_env(e) => env = Some(e.to_string()),
                    _ => err(format!(
                        "`environment` must be a quoted environment name, found `{}`",
                        shorten(value)
                    )),
                },
                "seal" => match unquote(value).and_then(Seal::parse) {
                    Some(s) => seal = Some(s),
                    None => err(format!(
                        "`seal` is not a seal this tuskc reads, found `{}`",
                        shorten(value)
                    )),
                },
                "recipients" if value.is_empty() => in_recipients = true,
                "recipients" => {
                    err("list recipients one per line below `recipients:` as `  - \"age1...\"`".into())
                }
                other => err(format!(
                    "unknown field `{}` (expected `format`, `environment`, `seal`, `recipients` or `[secrets]`)",
                    shorten(other)
                )),
            }
        }
        if !saw_format {
            errors.push(StoreError {
                line: 0,
                message: "the file has no `format: 1` line; it was not written by `tuskc secrets`"
                    .into(),
            });
        }
        match (env, errors.is_empty()) {
            (Some(env), true) => Ok(Store {
                env,
                recipients,
                entries,
                seal,
            }),
            (None, _) => {
                errors.push(StoreError {
                    line: 0,
                    message: "the file has no `environment:` line".into(),
                });
                Err(errors)
            }
            (Some(_), false) => Err(errors),
        }
    }

    /// The file text: a fixed header, the recipients with their comments, then the entries sorted by name.
    pub fn render(&self) -> String {
        let env = &self.env;
        let mut s = format!(
            "# tuskc secrets store for environment \"{env}\". Each value is encrypted on its own with age\n\
             # (https://age-encryption.org) to the recipients below, and bound to its name and environment.\n\
             # Safe to commit. Manage with `tuskc secrets <command> --env {env}`; decrypt one with\n\
             # `tuskc secrets export NAME --env {env} | age -d -i KEYFILE`.\n\
             format: {FORMAT}\n\
             environment: \"{env}\"\n"
        );
        if let Some(seal) = &self.seal {
            s.push_str(&format!("seal: \"{}\"\n", seal.render()));
        }
        s.push_str("recipients:\n");
        for r in &self.recipients {
            match &r.comment {
                Some(c) => s.push_str(&format!("  - \"{}\"  # {c}\n", r.key)),
                None => s.push_str(&format!("  - \"{}\"\n", r.key)),
            }
        }
        s.push_str("\n[secrets]\n");
        for (name, e) in &self.entries {
            for c in &e.comments {
                s.push_str(c);
                s.push('\n');
            }
            s.push_str(&format!("\"{name}\": \"{}\"\n", e.ciphertext));
        }
        s
    }
}

/// `key: value` (the key may be quoted and contain `:`-free text).
fn split_entry(line: &str) -> Option<(&str, &str)> {
    if let Some(rest) = line.strip_prefix('"') {
        let close = rest.find('"')?;
        let after = rest[close + 1..].trim_start().strip_prefix(':')?;
        return Some((&line[..close + 2], after.trim()));
    }
    let (k, v) = line.split_once(':')?;
    Some((k.trim(), v.trim()))
}

/// A value and the text of a trailing `# comment` (outside quotes).
fn split_comment(value: &str) -> (&str, Option<&str>) {
    let mut quoted = false;
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => {
                let comment = value[i + 1..].trim();
                return (value[..i].trim(), (!comment.is_empty()).then_some(comment));
            }
            _ => {}
        }
    }
    (value.trim(), None)
}

fn unquote(v: &str) -> Option<&str> {
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('"') && !inner.contains('\\')).then_some(inner)
}

fn unquote_key(k: &str) -> Option<&str> {
    unquote(k).or_else(|| (!k.is_empty() && !k.contains('"')).then_some(k))
}

/// Problem texts quote at most 60 characters of a line (a ciphertext line is long and says nothing).
fn shorten(s: &str) -> String {
    // A private key pasted into the file is not quoted back.
    if super::detect::looks_like_key_material(s) {
        return super::detect::shown_argument(s);
    }
    let cut: String = s.chars().take(60).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The version of the seal line this build writes and reads.
pub(crate) const VERSION: &str = "1";

/// The parsed seal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// Base64 of the HMAC-SHA256 tag.
    pub mac: String,
    /// Fingerprints of the sealed recipients.
    pub recipients: Vec<String>,
    /// Fingerprints of the sealed secrets (name and ciphertext).
    pub secrets: Vec<String>,
}

impl Seal {
    /// The seal line's text (inside the quotes).
    pub fn render(&self) -> String {
        format!(
            "{VERSION} {} r:{} s:{}",
            self.mac,
            self.recipients.join(","),
            self.secrets.join(",")
        )
    }

    /// Parse the seal line's text; `None` when it is not a seal this build reads.
    pub fn parse(text: &str) -> Option<Seal> {
        let mut parts = text.split(' ');
        if parts.next()? != VERSION {
            return None;
        }
        let mac = parts.next()?.to_string();
        let list = |part: Option<&str>, tag: &str| -> Option<Vec<String>> {
            let rest = part?.strip_prefix(tag)?;
            let items: Vec<String> = rest
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            items
                .iter()
                .all(|f| f.len() == 12 && f.bytes().all(|b| b.is_ascii_hexdigit()))
                .then_some(items)
        };
        let recipients = list(parts.next(), "r:")?;
        let secrets = list(parts.next(), "s:")?;
        (parts.next().is_none() && !mac.is_empty()).then_some(Seal {
            mac,
            recipients,
            secrets,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> Store {
        let mut s = Store::new(
            "production",
            vec![
                Recipient {
                    key: "age1aaa".into(),
                    comment: Some("alice".into()),
                },
                Recipient {
                    key: "age1bbb".into(),
                    comment: None,
                },
            ],
        );
        s.entries.insert("z/last".into(), Entry::new(b"zz"));
        let mut first = Entry::new(b"aa");
        first.comments.push("# rotated by ops".into());
        s.entries.insert("a_first".into(), first);
        s
    }

    #[test]
    fn render_parse_round_trip_keeps_comments_and_sorts() {
        let s = sample();
        let text = s.render();
        assert!(text.find("a_first").unwrap() < text.find("z/last").unwrap());
        let back = Store::parse(&text).unwrap();
        assert_eq!(back.recipients, s.recipients);
        assert_eq!(back.entries["a_first"].comments, vec!["# rotated by ops"]);
        assert_eq!(back.render(), text);
    }

    #[test]
    fn put_replaces_a_value_and_keeps_its_comments() {
        let mut s = sample();
        assert!(s.put("a_first", b"new"));
        assert_eq!(s.entries["a_first"].comments, vec!["# rotated by ops"]);
        assert_eq!(s.entries["a_first"].bytes().unwrap(), b"new");
        assert!(!s.put("m_new", b"x"));
        assert!(s.entries["m_new"].comments.is_empty());
    }

    #[test]
    fn every_problem_has_its_line() {
        let text = "format: 2\nenvironment: \"prod\"\nrecipients: \"x\"\nbogus: 1\n[secrets]\n\"a\": \"x\"\n\"a\": \"y\"\n\"bad name\": \"z\"\nnot an entry\n";
        let errs = Store::parse(text).unwrap_err();
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 3, 4, 7, 8, 9], "{errs:#?}");
        assert_eq!(Store::parse("environment: \"x\"\n").unwrap_err()[0].line, 0);
    }

    #[test]
    fn names() {
        assert!(valid_name("shop/api/db_password"));
        assert!(valid_name("_x.y-z"));
        assert!(!valid_name(""));
        assert!(!valid_name("/abs"));
        assert!(!valid_name("a b"));
        assert!(!valid_name("é"));
        assert!(!valid_env("a/b"));
        assert!(!valid_name("AGE-SECRET-KEY-1QQQQQQQQQQQQQQ"));
    }
}
