//! The crate's structure, enforced: the module graph read from `src/` has no import cycle, and no module imports one
//! from a higher layer of the pipeline (ARCHITECTURE.md draws the layers). A `use crate::…` added the wrong way
//! fails here, naming the file and the edge.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use modules of its own layer or lower ones, never higher. Within a layer,
/// the cycle check keeps the order honest.
const LAYERS: &[&[&str]] = &[
    // The ground floor: text and positions, values, diagnostics, reading files, the bundled standard library.
    &["source", "value", "diagnostic", "user_file", "stdlib"],
    &["syntax"],
    &["ir"],
    &["secrets"],
    &["lower"],
    &["merge"],
    &["eval"],
    &["emit"],
    &["schema"],
    &["driver"],
    &["query"],
    // The library's facade: used by programs, never by the compiler's own modules.
    &["api"],
    // The edges: only these talk to people and editors.
    &["lsp"],
    &["cli"],
];

fn layer_of(module: &[String]) -> Option<usize> {
    let top = module.first()?;
    LAYERS.iter().position(|l| l.contains(&top.as_str()))
}

/// `src/a/b.rs` and `src/a/b/mod.rs` → `["a", "b"]`; `src/lib.rs` → `[]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (doc links name modules without depending on them) and string
/// literals (messages and test fixtures may spell `crate::`).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' && !is_char_literal(b, i) {
            // A string literal (raw strings `r"…"`/`r#"…"#` included).
            let hashes = (0..i).rev().take_while(|&k| b[k] == b'#').count();
            let raw = i > hashes && b[i - hashes - 1] == b'r';
            i += 1;
            while i < b.len() {
                if !raw && b[i] == b'\\' {
                    i += 2;
                } else if b[i] == b'"'
                    && (!raw || b[i + 1..].iter().take_while(|&&c| c == b'#').count() >= hashes)
                {
                    i += 1 + if raw { hashes } else { 0 };
                    break;
                } else {
                    i += 1;
                }
            }
            out.push_str("\"\"");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// `'"'` or `'\"'`: a quote inside a character literal.
fn is_char_literal(b: &[u8], i: usize) -> bool {
    (i > 0 && b[i - 1] == b'\'' && b.get(i + 1) == Some(&b'\''))
        || (i > 1 && b[i - 1] == b'\\' && b[i - 2] == b'\'')
}

/// Every path the code names from `crate::` or `super::`, and every use of a child module by its bare name, as
/// module paths (each path cut at the longest known module it starts with).
fn references(
    module: &[String],
    code: &str,
    modules: &BTreeSet<Vec<String>>,
) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let longest = |path: Vec<String>| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains(p))
    };
    // Read `a::b::{c, d::e}` after a starting point: every path the group spells.
    fn paths(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let s = s.trim_start();
        if let Some(rest) = s.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        paths(&rest[start..k], prefix.clone(), out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths(&rest[start..k], prefix.clone(), out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let name: String = s
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            out.push(prefix);
            return;
        }
        let mut p = prefix;
        let rest = &s[name.len()..];
        if name != "self" {
            p.push(name);
        }
        match rest.trim_start().strip_prefix("::") {
            Some(more) => paths(more, p, out),
            None => out.push(p),
        }
    }
    let children: Vec<&Vec<String>> = modules
        .iter()
        .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        .collect();
    let bytes = code.as_bytes();
    for (i, _) in code.char_indices() {
        if i > 0 && (ident(bytes[i - 1] as char) || bytes[i - 1] == b':') {
            continue;
        }
        let rest = &code[i..];
        let mut found = Vec::new();
        if let Some(r) = rest.strip_prefix("crate::") {
            paths(r, vec![], &mut found);
        } else if rest.starts_with("super::") {
            let mut base = module.to_vec();
            let mut r = rest;
            while let Some(more) = r.strip_prefix("super::") {
                base.pop();
                r = more;
            }
            paths(r, base, &mut found);
        } else {
            for child in &children {
                let name = child.last().unwrap();
                if let Some(r) = rest.strip_prefix(name.as_str()) {
                    if let Some(r) = r.strip_prefix("::") {
                        paths(r, (*child).clone(), &mut found);
                    }
                }
            }
        }
        for p in found {
            if let Some(m) = longest(p) {
                if m != module {
                    out.insert(m);
                }
            }
        }
    }
    out
}

/// Where a file's `#[cfg(test)] mod tests` begins (other attributes may sit between the two), if it has one.
fn test_module_start(code: &str) -> Option<usize> {
    code.match_indices("#[cfg(test)]")
        .map(|(at, _)| at)
        .find(|&at| {
            let mut rest = code[at + "#[cfg(test)]".len()..].trim_start();
            while rest.starts_with("#[") {
                match rest.find(']') {
                    Some(end) => rest = rest[end + 1..].trim_start(),
                    None => return false,
                }
            }
            rest.starts_with("mod ")
        })
}

/// `code` (strings and comments already blanked) without its `#[cfg(test)] mod tests { ... }`.
fn without_test_module(code: &str) -> String {
    let Some(start) = test_module_start(code) else {
        return code.to_string();
    };
    let Some(open) = code[start..].find('{').map(|i| start + i) else {
        return code[..start].to_string();
    };
    let mut depth = 0usize;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return format!("{}{}", &code[..start], &code[open + i + 1..]);
                }
            }
            _ => {}
        }
    }
    code[..start].to_string()
}

/// The module graph of `src/`: module → the modules it names.
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    // lib.rs and main.rs are the crate's roots: they declare and re-export, and are not layered.
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| {
            !matches!(
                f.strip_prefix(&src).unwrap().to_str(),
                Some("lib.rs" | "main.rs")
            )
        })
        .collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    files
        .iter()
        .map(|f| {
            let m = module_of(&src, f);
            let code = code_only(&std::fs::read_to_string(f).unwrap());
            // A module's own tests may reach anywhere below it; only the test module itself is left out (code after
            // it is layered like the rest).
            let code = without_test_module(&code);
            let refs = references(&m, &code, &modules);
            (m, refs)
        })
        .collect()
}

fn show(m: &[String]) -> String {
    format!("crate::{}", m.join("::"))
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct T<'g> {
        g: &'g BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'g Vec<String>, usize>,
        low: BTreeMap<&'g Vec<String>, usize>,
        stack: Vec<&'g Vec<String>>,
        on: BTreeSet<&'g Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'g>(t: &mut T<'g>, v: &'g Vec<String>) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let Some((w, _)) = t.g.get_key_value(w) else {
                continue;
            };
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                scc.push(w.clone());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn violations(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in g {
        let Some(lf) = layer_of(from) else {
            out.push(format!("{} is in no layer: add it to LAYERS", show(from)));
            continue;
        };
        for to in tos {
            match layer_of(to) {
                Some(lt) if lt > lf => out.push(format!(
                    "{} (layer {lf}) uses {} (layer {lt}, higher)",
                    show(from),
                    show(to)
                )),
                // The two edges share the top layer's rule: the language server does not run commands.
                Some(_) if from[0] == "lsp" && to[0] == "cli" => out.push(format!(
                    "{} uses {}: nothing but cli uses cli",
                    show(from),
                    show(to)
                )),
                _ => {}
            }
        }
    }
    for scc in cycles(g) {
        out.push(format!(
            "import cycle: {}",
            scc.iter().map(|m| show(m)).collect::<Vec<_>>().join(" ↔ ")
        ));
    }
    out
}

#[test]
fn no_import_cycle_and_no_edge_to_a_higher_layer() {
    let g = graph();
    assert!(g.len() > 30, "read only {} modules", g.len());
    let v = violations(&g);
    assert!(v.is_empty(), "{}", v.join("\n"));
}

/// The check itself can fail: an edge added the wrong way, and a cycle, are both reported.
#[test]
fn the_check_fails_on_a_wrong_edge_and_a_cycle() {
    let mut g = graph();
    g.get_mut(&vec!["syntax".to_string(), "parser".to_string()])
        .unwrap()
        .insert(vec!["eval".to_string()]);
    g.get_mut(&vec!["eval".to_string()])
        .unwrap()
        .insert(vec!["syntax".to_string(), "parser".to_string()]);
    let v = violations(&g);
    assert!(
        v.iter()
            .any(|s| s.starts_with("crate::syntax::parser (layer 1) uses crate::eval")),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|s| s.starts_with("import cycle:") && s.contains("crate::eval")),
        "{v:?}"
    );
}

#[test]
fn only_the_test_module_is_left_out() {
    let code = "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n    fn f() { { } }\n}\nuse crate::c;\n";
    let kept = without_test_module(code);
    assert!(
        kept.contains("crate::a") && kept.contains("crate::c"),
        "{kept}"
    );
    assert!(!kept.contains("crate::b"), "{kept}");
}

#[test]
fn references_are_read_from_use_lines_paths_and_groups() {
    let modules: BTreeSet<Vec<String>> = [
        vec!["a"],
        vec!["a", "b"],
        vec!["c"],
        vec!["c", "d"],
        vec!["e"],
    ]
    .into_iter()
    .map(|m| m.into_iter().map(String::from).collect())
    .collect();
    let code = code_only(
        "use crate::c::{d::X, self};\n// crate::e in a comment\nfn f() { super::e::g(); b::h(); let s = \"crate::e\"; }",
    );
    let refs = references(&["a".to_string()], &code, &modules);
    let shown: Vec<String> = refs.iter().map(|m| m.join("::")).collect();
    assert_eq!(shown, vec!["a::b", "c", "c::d", "e"]);
}

/// `cli/` as taplo-cli lays it out: `mod.rs` holds the module list, `main` and the dispatch; each command (or group)
/// has its own file, which uses only the shared `args`, `output`, `entries` and `write`, never another command.
#[test]
fn each_cli_command_has_its_own_file_and_uses_only_the_shared_modules() {
    const SHARED: &[&str] = &["args", "output", "entries", "write"];
    let g = graph();
    let mut wrong = Vec::new();
    for (from, tos) in &g {
        if from.len() != 2 || from[0] != "cli" {
            continue;
        }
        for to in tos {
            if to[0] == "cli" && !(to.len() >= 2 && SHARED.contains(&to[1].as_str())) {
                wrong.push(format!("{} uses {}", show(from), show(to)));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/mod.rs");
    let code = code_only(&std::fs::read_to_string(src).unwrap());
    let fns: Vec<&str> = code
        .split("fn ")
        .skip(1)
        .map(|s| {
            s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        fns,
        ["command_line_error", "main"],
        "cli/mod.rs holds only main and the dispatch: a command goes in its own file"
    );
}
