//! The editor support files: the VS Code extension's manifest points at files that exist, its settings are the
//! ones the server reads, and the TextMate grammar's patterns compile and colour the constructs they are for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use serde_json::Value;

fn vscode() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn extension_manifest_is_consistent() {
    let pkg = json(&vscode().join("package.json"));
    assert!(vscode().join(pkg["main"].as_str().unwrap()).is_file());
    let lang = &pkg["contributes"]["languages"][0];
    assert_eq!(lang["extensions"][0], ".tsk");
    assert!(vscode()
        .join(lang["configuration"].as_str().unwrap())
        .is_file());
    json(&vscode().join(lang["configuration"].as_str().unwrap()));
    let grammar = &pkg["contributes"]["grammars"][0];
    assert_eq!(grammar["language"], lang["id"]);
    let g = json(&vscode().join(grammar["path"].as_str().unwrap()));
    assert_eq!(g["scopeName"], grammar["scopeName"]);
    // The settings the extension sends are the ones the server understands.
    let props = pkg["contributes"]["configuration"]["properties"]
        .as_object()
        .unwrap();
    let sent = tuskc::lsp::analysis::Settings::from_json(&serde_json::json!({
        "tuskc": { "env": "e", "provider": "p" }
    }));
    assert_eq!(sent.env.as_deref(), Some("e"));
    assert_eq!(sent.provider.as_deref(), Some("p"));
    for key in ["tuskc.env", "tuskc.provider", "tuskc.path"] {
        assert!(props.contains_key(key), "{key}");
    }
    let ext = std::fs::read_to_string(vscode().join("extension.js")).unwrap();
    assert!(ext.contains("args: [\"lsp\"]") && ext.contains("configurationSection: \"tuskc\""));
}

/// Every `match`/`begin`/`end` pattern of the grammar, and every `#include` resolves.
fn patterns(v: &Value, repo: &serde_json::Map<String, Value>, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("match" | "begin" | "end", Value::String(p)) => {
                        let name = m
                            .get("name")
                            .and_then(|n| n.as_str())
                            .unwrap_or("")
                            .to_string();
                        out.push((name, p.clone()));
                    }
                    ("include", Value::String(i)) => {
                        let key = i.strip_prefix('#').unwrap_or(i);
                        assert!(
                            repo.contains_key(key),
                            "include {i} has no repository entry"
                        );
                    }
                    _ => patterns(x, repo, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| patterns(x, repo, out)),
        _ => {}
    }
}

#[test]
fn grammar_patterns_compile_and_match_the_language() {
    let g = json(&vscode().join("syntaxes/tusk.tmLanguage.json"));
    let repo = g["repository"].as_object().unwrap().clone();
    let mut all = Vec::new();
    patterns(&g, &repo, &mut all);
    assert!(all.len() > 20);
    for (_, p) in &all {
        fancy_regex::Regex::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    let rule = |key: &str| fancy_regex::Regex::new(repo[key]["match"].as_str().unwrap()).unwrap();
    let caps = |re: &fancy_regex::Regex, line: &str, group: usize| -> Option<String> {
        re.captures(line)
            .unwrap()
            .and_then(|c| c.get(group))
            .map(|m| m.as_str().to_string())
    };
    let key = rule("key");
    assert_eq!(
        caps(&key, "  database.port: 5432", 2).as_deref(),
        Some("database.port")
    );
    assert_eq!(caps(&key, "replicas = 2", 2).as_deref(), Some("replicas"));
    assert_eq!(caps(&key, "tracing {", 2).as_deref(), Some("tracing"));
    assert_eq!(caps(&key, "cache >", 2).as_deref(), Some("cache"));
    assert_eq!(caps(&key, "  - name: \"one\"", 2).as_deref(), Some("name"));
    assert_eq!(
        caps(&key, "\"cost-center\": \"shop\"", 2).as_deref(),
        Some("\"cost-center\"")
    );
    assert_eq!(caps(&key, "  on_call?: Email", 3).as_deref(), Some("?"));
    assert!(caps(&key, "  - \"orders\"", 2).is_none());
    let section = rule("section");
    assert_eq!(
        caps(&section, "[services.api]", 2).as_deref(),
        Some("services.api")
    );
    assert_eq!(
        caps(&section, "  [storage: AwsStorage]", 4).as_deref(),
        Some("AwsStorage")
    );
    let block = rule("block-keyword");
    assert_eq!(
        caps(&block, "env staging extends production {", 4).as_deref(),
        Some("production")
    );
    assert_eq!(caps(&block, "provider aws {", 2).as_deref(), Some("aws"));
    assert!(
        caps(&block, "env: \"x\"", 1).is_none(),
        "`env` as a key is a key"
    );
    let find = |scope: &str| {
        let (_, p) = all
            .iter()
            .find(|(n, _)| n == scope)
            .unwrap_or_else(|| panic!("{scope}"));
        fancy_regex::Regex::new(p).unwrap()
    };
    assert!(find("variable.other.tusk").is_match("$domain").unwrap());
    assert!(find("support.function.directive.tusk")
        .is_match("@secret(\"x\")")
        .unwrap());
    assert!(find("comment.line.documentation.tusk")
        .is_match("## The name.")
        .unwrap());
    assert!(find("constant.numeric.tusk").is_match("1_000").unwrap());
}
