//! String formats (`format url`, `format cidr`, ...): one JSON Schema fragment per format, the rule both `check` and
//! `schema export` use.

use std::sync::LazyLock;

use serde_json::{json, Value as Json};
// ----- formats -----

/// A `format NAME`: what it requires of a string, said once, as a JSON Schema fragment. `schema export` writes the
/// fragment and `check` runs it through the validator `check --json-schema` uses ([`format_validator_options`]), so
/// the two agree by construction (tests/json_schema.rs holds them equal on generated strings). docs/language.md
/// states each rule in words.
pub struct Format {
    pub name: &'static str,
    /// The fragment; `{"format": name}` alone when the format is JSON Schema's own.
    pub schema: fn() -> Json,
}

/// Every format, in the order diagnostics list them.
pub const FORMATS: &[Format] = &[
    // RFC 1123 host names as the `jsonschema` crate checks them (labels of letters, digits and `-`, A-labels valid
    // Punycode, no trailing dot).
    Format {
        name: "hostname",
        schema: || json!({ "format": "hostname" }),
    },
    // An absolute RFC 3986 URI (fluent-uri's parser, through `jsonschema`) with `://` after its scheme and a host or
    // a path after that: `localhost:8080` is a valid URI with the scheme `localhost`, and `https://` one with nothing
    // in it, never what a `url` field means; `file:///etc/hosts` is a URL.
    Format {
        name: "url",
        schema: || json!({ "format": "uri", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*://[^?#]" }),
    },
    // RFC 5321 addresses (the `email_address` crate, through `jsonschema`) whose domain has a dot or is a bracketed
    // address literal: `ops@localhost` is a valid address but no one's mail in a configuration.
    Format {
        name: "email",
        schema: || json!({ "format": "email", "pattern": r"@([^@]*\.[^@]*|\[[^@]*\])$" }),
    },
    Format {
        name: "ipv4",
        schema: || json!({ "format": "ipv4" }),
    },
    Format {
        name: "ipv6",
        schema: || json!({ "format": "ipv6" }),
    },
    Format {
        name: "ip",
        schema: || json!({ "anyOf": [{ "format": "ipv4" }, { "format": "ipv6" }] }),
    },
    Format {
        name: "cidr",
        schema: || json!({ "pattern": CIDR.as_str() }),
    },
    // semver.org's ECMA-262-compatible regular expression, `\d` written `[0-9]` (a Unicode-aware engine's `\d`
    // takes other digits).
    Format {
        name: "semver",
        schema: || json!({ "pattern": r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$" }),
    },
    // Not JSON Schema's `duration` (ISO 8601).
    Format {
        name: "duration",
        schema: || json!({ "pattern": r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+$" }),
    },
    Format {
        name: "bytesize",
        schema: || json!({ "pattern": r"^[0-9]+(\.[0-9]+)? ?([kKMGTP]i?B?|B)?$" }),
    },
    Format {
        name: "uuid",
        schema: || json!({ "format": "uuid" }),
    },
];

/// An IPv4 or IPv6 address (RFC 3986's grammar: dotted decimals without leading zeros, no zone) and a prefix length
/// in range, written without leading zeros.
static CIDR: LazyLock<String> = LazyLock::new(|| {
    let h16 = "[0-9A-Fa-f]{1,4}";
    let octet = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])";
    let v4 = format!(r"{octet}(\.{octet}){{3}}");
    let ls32 = format!("({h16}:{h16}|{v4})");
    let groups = |n: usize| format!("({h16}:){{{n}}}");
    // RFC 3986's `[ *n( h16 ":" ) h16 ]` before a `::`.
    let before = |n: usize| format!("(({h16}:){{0,{n}}}{h16})?");
    let v6 = [
        format!("{}{ls32}", groups(6)),
        format!("::{}{ls32}", groups(5)),
        format!("({h16})?::{}{ls32}", groups(4)),
        format!("{}::{}{ls32}", before(1), groups(3)),
        format!("{}::{}{ls32}", before(2), groups(2)),
        format!("{}::{h16}:{ls32}", before(3)),
        format!("{}::{ls32}", before(4)),
        format!("{}::{h16}", before(5)),
        format!("{}::", before(6)),
    ]
    .join("|");
    format!("^({v4}/([0-9]|[12][0-9]|3[0-2])|({v6})/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$")
});

/// The format called `name`.
pub fn format(name: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.name == name)
}

/// How every JSON Schema tuskc validates with is compiled: format assertion on, nothing fetched. One place, so a
/// format's check and `check --json-schema` run the same validator.
pub fn format_validator_options() -> jsonschema::ValidationOptions<'static> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
}

/// Each format's fragment compiled once (in table order); `None` only if a fragment were not a valid schema, which
/// a unit test rules out.
static VALIDATORS: LazyLock<Vec<Option<jsonschema::Validator>>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .map(|f| format_validator_options().build(&(f.schema)()).ok())
        .collect()
});

/// Does `s` have format `name`? Unknown formats (reported by [`crate::ir::schema::Schemas::validate`]) accept everything.
pub fn has_format(name: &str, s: &str) -> bool {
    match FORMATS.iter().position(|f| f.name == name) {
        Some(i) => VALIDATORS
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|v| v.is_valid(&Json::String(s.to_owned()))),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formats() {
        for (f, good, bad) in [
            ("hostname", "db-1.example.com", "-db.example.com"),
            ("url", "https://example.com/x?y=1", "example.com"),
            ("url", "file:///etc/hosts", "http://[::1"),
            ("url", "http://[::1]:8080/", "localhost:8080"),
            ("email", "ops@example.com", "ops@"),
            ("email", "ops@[10.0.0.1]", "ops@localhost"),
            ("url", "file:///etc/hosts", "https://"),
            ("ipv4", "10.0.0.1", "10.0.0.256"),
            ("ipv6", "::1", "1::2::3"),
            ("ip", "::1", "localhost"),
            ("cidr", "10.0.0.0/16", "10.0.0.0/33"),
            ("cidr", "::ffff:10.0.0.1/128", "::1/129"),
            ("semver", "1.2.3-rc.1+build.5", "1.2"),
            ("semver", "1.0.0-0a.1", "1.0.0-01"),
            ("duration", "1h30m", "30 seconds"),
            ("bytesize", "512MiB", "512 MBs"),
            ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"),
        ] {
            assert!(has_format(f, good), "{f} should accept {good}");
            assert!(!has_format(f, bad), "{f} should reject {bad}");
        }
    }

    #[test]
    fn every_format_compiles() {
        assert_eq!(VALIDATORS.len(), FORMATS.len());
        assert!(VALIDATORS.iter().all(Option::is_some));
    }

    proptest::proptest! {
        /// The CIDR pattern says what the standard library's address parsers accept, with a prefix in range.
        #[test]
        fn cidr_is_an_address_and_a_prefix(addr in "[0-9a-fA-F:.]{0,24}|[0-9]{1,3}(\\.[0-9]{1,3}){3}|(([0-9a-f]{1,4})?:){2,8}([0-9a-f]{0,4}|[0-9]{1,3}(\\.[0-9]{1,3}){3})", bits in "[0-9]{1,3}") {
            let max = match addr.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(_)) => Some(32),
                Ok(std::net::IpAddr::V6(_)) => Some(128),
                Err(_) => None,
            };
            let expected = max.is_some_and(|m| (bits == "0" || !bits.starts_with('0')) && bits.parse::<u32>().is_ok_and(|b| b <= m));
            proptest::prop_assert_eq!(has_format("cidr", &format!("{addr}/{bits}")), expected, "{}/{}", addr, bits);
        }
    }
}
