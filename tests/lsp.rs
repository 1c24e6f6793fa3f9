//! Protocol tests: start the real `tuskc lsp` binary and talk JSON-RPC to it over stdio, as an editor does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::copy_dir;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    inbox: Vec<Value>,
}

const TIMEOUT: Duration = Duration::from_secs(20);

impl Client {
    fn start(dir: &Path, options: Value) -> Client {
        Client::start_with(dir, options, &[])
    }

    /// The server with extra environment variables.
    fn start_with(dir: &Path, options: Value, env: &[(&str, &str)]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tuskc"))
            .arg("lsp")
            .current_dir(dir)
            .env("TUSKC_LSP_TEST_HOOKS", "1")
            .env_remove("API_DB_PORT")
            .env_remove("SHOP_RELEASE")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        len = n.parse().unwrap();
                    }
                }
                let mut body = vec![0u8; len];
                r.read_exact(&mut body).unwrap();
                if tx
                    .send(serde_json::from_slice::<Value>(&body).unwrap())
                    .is_err()
                {
                    return;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            next_id: 0,
            inbox: Vec::new(),
        };
        let root = uri(dir);
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": {}, "initializationOptions": options }),
        );
        let caps = &init["result"]["capabilities"];
        assert_eq!(caps["positionEncoding"], "utf-16");
        assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let m = self
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no response to {method}"));
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            self.inbox.push(m);
        }
    }

    /// The next diagnostics published for `uri` that satisfy `pred`.
    #[track_caller]
    fn diagnostics(&mut self, uri: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && pred(m["params"]["diagnostics"].as_array().unwrap())
        };
        if let Some(i) = self.inbox.iter().position(matches) {
            let m = self.inbox.remove(i);
            self.inbox.drain(..i.min(self.inbox.len()));
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        let mut seen = Vec::new();
        loop {
            let Ok(m) = self
                .rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                panic!("no matching diagnostics for {uri}; received meanwhile: {seen:#?}");
            };
            if matches(&m) {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            seen.push(m);
        }
    }

    fn open(&mut self, path: &Path) -> String {
        let u = uri(path);
        let text = std::fs::read_to_string(path).unwrap_or_default();
        self.open_text(&u, &text);
        u
    }

    fn open_text(&mut self, u: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": u, "languageId": "tusk", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, u: &str, version: i64, range: Value, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": u, "version": version }, "contentChanges": [{ "range": range, "text": text }] }),
        );
    }

    fn at(&mut self, method: &str, u: &str, line: u32, character: u32) -> Value {
        self.request(
            method,
            json!({ "textDocument": { "uri": u }, "position": { "line": line, "character": character } }),
        )
    }

    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert!(r["result"].is_null(), "{r}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}");
                return;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn uri(p: &Path) -> String {
    let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut s = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn shop() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shop");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop"),
        &dir,
    );
    (tmp, dir)
}

/// Line and UTF-16 column of the first `needle` in `text` (after `skip` earlier occurrences).
fn pos(text: &str, needle: &str) -> (u32, u32) {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let line = text[..i].matches('\n').count() as u32;
    let start = text[..i].rfind('\n').map_or(0, |j| j + 1);
    (line, text[start..i].encode_utf16().count() as u32)
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn diagnostics_follow_edits_with_utf16_positions() {
    let (_tmp, dir) = shop();
    let api = dir.join("services/api.tsk");
    let mut c = Client::start(&dir, json!({}));
    let u = c.open(&api);
    let clean = c.diagnostics(&u, |_| true);
    assert!(clean.is_empty(), "{clean:#?}");

    // A type error, reported with the CLI's code and the targets it fails in. (`port`: `replicas` is overridden in
    // every environment, so its base value never reaches a target.)
    let text = std::fs::read_to_string(&api).unwrap();
    let (line, col) = pos(&text, "8080");
    c.change(&u, 2, json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col + 4 } }), "\"x\"");
    let diags = c.diagnostics(&u, |d| !d.is_empty());
    let d = diags
        .iter()
        .find(|d| d["code"].as_str().unwrap().starts_with("TSK05"))
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(
        d["range"]["start"],
        json!({ "line": line, "character": col })
    );
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "tuskc");
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("port"), "{message}");
    assert!(
        message.contains("in all 9 targets"),
        "targets named: {message}"
    );

    // Fixing it clears the diagnostics.
    c.change(&u, 3, json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col + 3 } }), "8080");
    assert!(c.diagnostics(&u, |d| d.is_empty()).is_empty());

    // After non-ASCII text the column is counted in UTF-16 units, not bytes or chars.
    let end = text.lines().count() as u32;
    c.change(
        &u,
        4,
        json!({ "start": { "line": end, "character": 0 }, "end": { "line": end, "character": 0 } }),
        "[notes]\nx: \"😀é\" + missing_key\n",
    );
    let diags = c.diagnostics(&u, |d| codes(d).contains(&"TSK0302".to_string()));
    let d = diags.iter().find(|d| d["code"] == "TSK0302").unwrap();
    assert_eq!(
        d["range"]["start"],
        json!({ "line": end + 1, "character": 11 })
    );
    assert_eq!(
        d["range"]["end"],
        json!({ "line": end + 1, "character": 22 })
    );
    c.shutdown();
}

#[test]
fn a_request_during_the_debounce_publishes_the_check_it_triggers() {
    let (_tmp, dir) = shop();
    let api = dir.join("services/api.tsk");
    let text = std::fs::read_to_string(&api).unwrap();
    let mut c = Client::start(&dir, json!({}));
    let u = c.open(&api);
    assert!(c.diagnostics(&u, |_| true).is_empty());
    // An edit, then at once a hover: the hover checks the new text, and that check's diagnostics are published
    // (not only used for the answer).
    let (line, col) = pos(&text, "8080");
    c.change(&u, 2, json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col + 4 } }), "\"x\"");
    let h = c.at("textDocument/hover", &u, line, 1);
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("port"),
        "{h}"
    );
    let diags = c.diagnostics(&u, |d| !d.is_empty());
    assert!(
        codes(&diags).iter().any(|c| c.starts_with("TSK05")),
        "{diags:#?}"
    );
    c.shutdown();
}

#[test]
fn secondary_labels_become_related_information() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("dup.tsk");
    std::fs::write(&f, "a: 1\nb: 2\na: 3\n").unwrap();
    let mut c = Client::start(tmp.path(), json!({}));
    let u = c.open(&f);
    let diags = c.diagnostics(&u, |d| !d.is_empty());
    let d = &diags[0];
    assert_eq!(d["code"], "TSK0201", "{diags:#?}");
    assert_eq!(d["range"]["start"], json!({ "line": 2, "character": 0 }));
    let rel = &d["relatedInformation"][0];
    assert_eq!(rel["location"]["uri"], u);
    assert_eq!(
        rel["location"]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    assert!(rel["message"].as_str().unwrap().contains("first"), "{rel}");
    c.shutdown();
}

/// Issue 18, point 19: a value that fails to evaluate hides nothing else. The editor gets all five mistakes of
/// the case file, and hover on a key that evaluated shows its value (not "target failed"); on the failed key it
/// says so.
#[test]
fn five_mistakes_give_five_diagnostics_and_hover_still_shows_values() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("app.tsk");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/errors/eval_around_failures.tsk"),
    )
    .unwrap();
    std::fs::write(&f, &text).unwrap();
    let mut c = Client::start(tmp.path(), json!({}));
    let u = c.open(&f);
    let diags = c.diagnostics(&u, |d| !d.is_empty());
    let lines: Vec<u64> = diags
        .iter()
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        codes(&diags),
        ["TSK0504", "TSK0501", "TSK0501", "TSK0301", "TSK0302"],
        "{diags:#?}"
    );
    assert_eq!(lines, [15, 16, 17, 18, 19], "{diags:#?}");

    let hover = |c: &mut Client, needle: &str| {
        let (l, ch) = pos(&text, needle);
        c.at("textDocument/hover", &u, l, ch + 1)["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let md = hover(&mut c, "host: \"example.com\"");
    assert!(md.contains("`-/-`: `\"example.com\"`"), "{md}");
    assert!(!md.contains("failed"), "{md}");
    let md = hover(&mut c, "name: $undefined_var");
    assert!(md.contains("`-/-`: `(failed to evaluate)`"), "{md}");
    c.shutdown();
}

#[test]
fn cross_file_errors_land_in_the_file_they_are_in() {
    let (_tmp, dir) = shop();
    let mut c = Client::start(&dir, json!({}));
    let common = dir.join("common.tsk");
    let cu = c.open(&common);
    assert!(c.diagnostics(&cu, |_| true).is_empty());
    // Removing `$domain` from common.tsk breaks references to it in other files.
    let text = std::fs::read_to_string(&common).unwrap();
    let (line, _) = pos(&text, "$domain:");
    c.change(&cu, 2, json!({ "start": { "line": line, "character": 0 }, "end": { "line": line + 1, "character": 0 } }), "");
    let api_uri = uri(&dir.join("services/api.tsk"));
    let diags = c.diagnostics(&api_uri, |d| !d.is_empty());
    assert!(
        codes(&diags)
            .iter()
            .any(|c| c == "TSK0304" || c == "TSK0302" || c.starts_with("TSK03")),
        "{diags:#?}"
    );
    c.shutdown();
}

#[test]
fn settings_choose_the_targets_checked() {
    let (_tmp, dir) = shop();
    let api = dir.join("services/api.tsk");
    // Production needs at least 3 API replicas (a schema assert); with only development checked it is fine.
    let text = std::fs::read_to_string(&api)
        .unwrap()
        .replace("replicas: 6", "replicas: 1");
    std::fs::write(&api, &text).unwrap();
    let mut c = Client::start(&dir, json!({ "env": "development" }));
    let u = c.open(&api);
    assert!(c.diagnostics(&u, |_| true).is_empty());
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "tuskc": { "env": "production", "provider": "aws" } } }),
    );
    let diags = c.diagnostics(&u, |d| !d.is_empty());
    assert!(
        diags
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("3 API replicas")),
        "{diags:#?}"
    );
    c.shutdown();
}

#[test]
fn hover_shows_types_docs_and_values_never_secrets() {
    let (_tmp, dir) = shop();
    let api = dir.join("services/api.tsk");
    let text = std::fs::read_to_string(&api).unwrap();
    let mut c = Client::start(&dir, json!({}));
    let u = c.open(&api);
    c.diagnostics(&u, |_| true);

    let (l, ch) = pos(&text, "replicas: 2");
    let h = c.at("textDocument/hover", &u, l, ch + 2);
    let md = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(md.contains("services.api.replicas: Replicas"), "{md}");
    assert!(
        md.contains("`production/aws`, `production/azure`, `production/gcp`: `6`"),
        "{md}"
    );
    assert!(
        md.contains("`development/aws`, `development/azure`, `development/gcp`: `1`"),
        "{md}"
    );
    assert_eq!(
        h["result"]["range"]["start"],
        json!({ "line": l, "character": ch })
    );

    // A field with a doc comment and constraints.
    let (l, ch) = pos(&text, "sslmode");
    let h = c.at("textDocument/hover", &u, l, ch + 1);
    let md = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("\"disable\" | \"require\" | \"verify-full\" = \"require\""),
        "{md}"
    );

    // A secret is shown by reference only.
    let (l, ch) = pos(&text, "password:");
    let md = c.at("textDocument/hover", &u, l, ch + 1)["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("@secret(\"shop/api/db_password\")"), "{md}");
    assert!(!md.contains("hunter") && !md.contains("AGE-SECRET"), "{md}");

    // A directive says what it does.
    let (l, ch) = pos(&text, "@secret");
    let md = c.at("textDocument/hover", &u, l, ch + 2)["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("never decrypts"), "{md}");

    // `@vary` explains what drift detection makes of it.
    let shop_tsk = dir.join("shop.tsk");
    let vu = c.open(&shop_tsk);
    let vtext = std::fs::read_to_string(&shop_tsk).unwrap();
    let (l, ch) = pos(&vtext, "@vary(");
    let md = c.at("textDocument/hover", &vu, l, ch + 2)["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("`tuskc diff` reports its differences"), "{md}");

    // A schema name shows its declaration and doc.
    let schemas = dir.join("schemas.tsk");
    let su = c.open(&schemas);
    let stext = std::fs::read_to_string(&schemas).unwrap();
    let (l, ch) = pos(&stext, "project: Project");
    let md = c.at("textDocument/hover", &su, l, ch + 10)["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("schema Project {"), "{md}");
    c.shutdown();
}

#[test]
fn completion_offers_schema_keys_literals_variables_directives_and_names() {
    let (_tmp, dir) = shop();
    let api = dir.join("services/api.tsk");
    let text = std::fs::read_to_string(&api).unwrap();
    let mut c = Client::start(&dir, json!({}));
    let u = c.open(&api);
    c.diagnostics(&u, |_| true);
    let labels = |r: &Value| -> Vec<String> {
        r["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    // Key position inside `database { }`: the Database schema's fields.
    let (l, _) = pos(&text, "  name: \"shop\"");
    c.change(
        &u,
        2,
        json!({ "start": { "line": l, "character": 0 }, "end": { "line": l, "character": 0 } }),
        "  ss\n",
    );
    let r = c.at("textDocument/completion", &u, l, 4);
    let ls = labels(&r);
    assert!(
        ls.contains(&"sslmode".to_string()) && ls.contains(&"pool".to_string()),
        "{ls:?}"
    );
    // Value position: the enum's literals.
    c.change(
        &u,
        3,
        json!({ "start": { "line": l, "character": 2 }, "end": { "line": l, "character": 4 } }),
        "sslmode: ",
    );
    let r = c.at("textDocument/completion", &u, l, 11);
    let ls = labels(&r);
    assert!(ls.contains(&"\"verify-full\"".to_string()), "{ls:?}");
    // `$` and `@`.
    c.change(
        &u,
        4,
        json!({ "start": { "line": l, "character": 11 }, "end": { "line": l, "character": 11 } }),
        "$",
    );
    let ls = labels(&c.at("textDocument/completion", &u, l, 12));
    assert!(
        ls.contains(&"domain".to_string()) && ls.contains(&"release".to_string()),
        "{ls:?}"
    );
    c.change(
        &u,
        5,
        json!({ "start": { "line": l, "character": 11 }, "end": { "line": l, "character": 12 } }),
        "@",
    );
    let ls = labels(&c.at("textDocument/completion", &u, l, 12));
    assert!(
        ls.contains(&"env".to_string()) && ls.contains(&"secret".to_string()),
        "{ls:?}"
    );
    // Environment names after `env`.
    let end = text.lines().count() as u32 + 1;
    c.change(
        &u,
        6,
        json!({ "start": { "line": end, "character": 0 }, "end": { "line": end, "character": 0 } }),
        "env ",
    );
    let ls = labels(&c.at("textDocument/completion", &u, end, 4));
    assert!(
        ls.contains(&"production".to_string()) && ls.contains(&"staging".to_string()),
        "{ls:?}"
    );
    // Section names: the bound schema's top-level fields (`observability` is defined in another file).
    c.change(
        &u,
        7,
        json!({ "start": { "line": end, "character": 0 }, "end": { "line": end, "character": 4 } }),
        "[",
    );
    let ls = labels(&c.at("textDocument/completion", &u, end, 1));
    assert!(
        ls.contains(&"observability".to_string()) && ls.contains(&"services.api".to_string()),
        "{ls:?}"
    );
    // `use` paths.
    let shop_uri = uri(&dir.join("shop.tsk"));
    let shop_text = std::fs::read_to_string(dir.join("shop.tsk")).unwrap();
    c.open_text(&shop_uri, &format!("use \"\n{shop_text}"));
    let ls = labels(&c.at("textDocument/completion", &shop_uri, 0, 5));
    assert!(
        ls.contains(&"std/aws".to_string()) && ls.contains(&"./services/api.tsk".to_string()),
        "{ls:?}"
    );
    c.shutdown();
}

#[test]
fn definition_symbols_and_formatting() {
    let (_tmp, dir) = shop();
    let api = dir.join("services/api.tsk");
    let text = std::fs::read_to_string(&api).unwrap();
    let mut c = Client::start(&dir, json!({}));
    let u = c.open(&api);
    c.diagnostics(&u, |_| true);

    // `$domain` is defined in common.tsk.
    let (l, ch) = pos(&text, "$domain");
    let r = c.at("textDocument/definition", &u, l, ch + 2);
    let locs = r["result"].as_array().unwrap();
    let common = std::fs::read_to_string(dir.join("common.tsk")).unwrap();
    let (dl, dc) = pos(&common, "$domain:");
    assert_eq!(locs[0]["uri"], uri(&dir.join("common.tsk")));
    assert_eq!(
        locs[0]["range"]["start"],
        json!({ "line": dl, "character": dc })
    );

    // A key defined in the base and overridden in production: both definitions.
    let (l, ch) = pos(&text, "replicas: 2");
    let locs = c.at("textDocument/definition", &u, l, ch)["result"]
        .as_array()
        .unwrap()
        .clone();
    // (shop.tsk sets it for development and staging too.)
    assert_eq!(locs.len(), 4, "{locs:#?}");
    let (pl, _) = pos(&text, "replicas: 6");
    assert!(locs
        .iter()
        .any(|x| x["range"]["start"]["line"] == pl && x["uri"] == u));
    assert!(locs.iter().any(|x| x["uri"] == uri(&dir.join("shop.tsk"))));

    // A reference resolves to the key it names; a schema name to its declaration; `use` to the file.
    let shop_path = dir.join("shop.tsk");
    let shop_text = std::fs::read_to_string(&shop_path).unwrap();
    let su = c.open(&shop_path);
    let (l, ch) = pos(&shop_text, "storage.bucket");
    let locs = c.at("textDocument/definition", &su, l, ch + 9)["result"]
        .as_array()
        .unwrap()
        .clone();
    let (bl, _) = pos(&shop_text, "bucket: \"acme-shop-\"");
    assert!(
        locs.iter().any(|x| x["range"]["start"]["line"] == bl),
        "{locs:#?}"
    );
    let (l, ch) = pos(&shop_text, "./common.tsk");
    let locs = c.at("textDocument/definition", &su, l, ch + 3)["result"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(locs[0]["uri"], uri(&dir.join("common.tsk")));
    let schemas = std::fs::read_to_string(dir.join("schemas.tsk")).unwrap();
    let scu = c.open(&dir.join("schemas.tsk"));
    let (l, ch) = pos(&schemas, "project: Project");
    let locs = c.at("textDocument/definition", &scu, l, ch + 10)["result"]
        .as_array()
        .unwrap()
        .clone();
    let (dl, _) = pos(&schemas, "schema Project {");
    assert_eq!(locs[0]["range"]["start"]["line"], dl);

    // Outline.
    let r = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": u } }),
    );
    let syms = r["result"].as_array().unwrap();
    let names: Vec<&str> = syms.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["[services.api]", "env staging", "env production"]);
    let children: Vec<&str> = syms[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        children.contains(&"replicas") && children.contains(&"database"),
        "{children:?}"
    );

    // Formatting: one edit to the canonical text; none for a formatted file or a broken one.
    let r = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(r["result"], json!([]));
    c.change(
        &u,
        2,
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }),
        "x   =1\n",
    );
    let r = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edit = &r["result"][0];
    assert!(
        edit["newText"]
            .as_str()
            .unwrap()
            .starts_with("x = 1\n# The public API service.\n"),
        "{edit}"
    );
    c.change(
        &u,
        3,
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }),
        "y: [\n",
    );
    let r = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(r["result"], json!([]));
    c.shutdown();
}

#[test]
fn a_panicking_handler_is_reported_and_the_server_keeps_serving() {
    let (_tmp, dir) = shop();
    let api = dir.join("services/api.tsk");
    let mut c = Client::start(&dir, json!({}));
    let u = c.open(&api);
    c.diagnostics(&u, |_| true);
    let r = c.request("tuskc/panic", json!({}));
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let text = std::fs::read_to_string(&api).unwrap();
    let (l, ch) = pos(&text, "replicas: 2");
    let h = c.at("textDocument/hover", &u, l, ch);
    assert!(h["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("replicas"));
    let r = c.request("no/such/method", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    c.shutdown();
}

#[test]
fn any_document_state_gets_an_answer() {
    let (_tmp, dir) = shop();
    let mut c = Client::start(&dir, json!({}));
    // An unsaved new file in the project, full of mistakes; and an untitled buffer.
    let new = uri(&dir.join("new.tsk"));
    c.open_text(&new, "a: [1,\n[b\n} ) @@ \"unterminated\n𝄞: \u{0}\n");
    let diags = c.diagnostics(&new, |d| !d.is_empty());
    assert!(
        codes(&diags).iter().all(|c| c.starts_with("TSK0")),
        "{diags:#?}"
    );
    c.open_text("untitled:Untitled-1", "x: {\n");
    let diags = c.diagnostics("untitled:Untitled-1", |d| !d.is_empty());
    assert_eq!(codes(&diags), ["TSK0111"]);
    // Requests anywhere in a broken file, including past its end and inside a surrogate pair.
    for (line, ch) in [(0, 0), (0, 3), (3, 1), (3, 99), (99, 0)] {
        for m in [
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/definition",
        ] {
            let r = c.at(m, &new, line, ch);
            assert!(r.get("error").is_none(), "{m} at {line}:{ch}: {r}");
        }
    }
    // Random edits to a real file: every request answered.
    let api = dir.join("services/api.tsk");
    let au = c.open(&api);
    let text = std::fs::read_to_string(&api).unwrap();
    let lines = text.lines().count() as u32;
    let mut seed = 7u64;
    for v in 2..60 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let line = (seed >> 33) as u32 % lines;
        let ch = (seed >> 20) as u32 % 12;
        let insert =
            ["{", "}", "\"", ":", "\n", "@", "$", "[", "é😀", "  ", ""][(seed >> 40) as usize % 11];
        c.change(&au, v, json!({ "start": { "line": line, "character": ch }, "end": { "line": line, "character": ch + (seed as u32 % 3) } }), insert);
        let r = c.at("textDocument/hover", &au, line, ch);
        assert!(r.get("error").is_none(), "{r}");
        let r = c.at("textDocument/completion", &au, line, ch + 1);
        assert!(r.get("error").is_none(), "{r}");
    }
    let r = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": au } }),
    );
    assert!(r.get("error").is_none(), "{r}");
    c.shutdown();
}

/// Issue 17: the server never decrypts, even with an identity at hand: no hover, diagnostic, symbol or formatting
/// answer holds a secret's value, also for values derived from one; and a store file opened in the editor is not
/// flagged as plaintext secrets (TSK0610).
#[test]
fn the_server_never_shows_a_secret_even_with_an_identity_at_hand() {
    let (_tmp, dir) = shop();
    let key = dir.join("keys/development.agekey");
    let api = dir.join("services/api.tsk");
    let mut text = std::fs::read_to_string(&api).unwrap();
    text.push_str(
        "\n[derived]\nurl: \"postgres://app:${services.api.database.password}@db/app\"\n",
    );
    std::fs::write(&api, &text).unwrap();
    let mut c = Client::start_with(
        &dir,
        json!({}),
        &[("TUSKC_IDENTITY", key.to_str().unwrap())],
    );
    let u = c.open(&api);
    let mut seen = serde_json::to_string(&c.diagnostics(&u, |_| true)).unwrap();
    for needle in ["password:", "url: \"postgres", "@secret"] {
        let (l, ch) = pos(&text, needle);
        seen.push_str(&c.at("textDocument/hover", &u, l, ch + 1).to_string());
    }
    seen.push_str(
        &c.request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": u } }),
        )
        .to_string(),
    );
    seen.push_str(
        &c.request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
        )
        .to_string(),
    );
    // The development store's value (the example's committed demo secret) is never shown.
    assert!(!seen.contains("dev-db-password"), "{seen}");
    // The store itself, opened in the editor: its ciphertexts are not plaintext secrets.
    let store = dir.join("secrets/development.tsk");
    let s = c.open(&store);
    let diags = c.diagnostics(&s, |_| true);
    assert!(
        !serde_json::to_string(&diags).unwrap().contains("TSK0610"),
        "{diags:#?}"
    );
    c.shutdown();
}

/// Go-to-definition of a reference or a variable answers what `build` uses: the definition evaluation's lookup
/// reaches in each target checked (the innermost object of the target's merged tree holding the first segment),
/// not any layer's definition of the whole path.
#[test]
fn definition_of_a_reference_is_what_evaluation_reaches() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scopes");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("tuskc.toml"),
        "[project]\nname = \"scopes\"\nentries = [\"main.tsk\"]\nenvironments = [\"development\", \"production\"]\n",
    )
    .unwrap();
    let text = "\
name: \"outer\"
port: 80
$tier: \"base\"
db {
  host: \"outer-db\"
}
limits {
  max: 10
}
server {
  port: 8080
  title: name
  listen: port
  cache {
    size: 64
  }
  backend: cache.size
  database: db.host
  ceiling: limits.max
  tier: $tier
}
env production {
  $tier: \"prod\"
  limits.max: 50
  [server]
  name: \"inner\"
  port: 443
  db.user: \"app\"
}
";
    std::fs::write(dir.join("main.tsk"), text).unwrap();
    // (case, the text before the cursor's token, the token)
    let cases = [
        (
            "a sibling only production defines, shadowing an outer key",
            "title: ",
            "name",
        ),
        (
            "a sibling shadowing an outer key, overridden in production",
            "listen: ",
            "port",
        ),
        (
            "first segment in the inner scope only",
            "backend: ",
            "cache.size",
        ),
        (
            "first segment outer, and inner in production without the rest",
            "database: ",
            "db.host",
        ),
        ("a key an env block overrides", "ceiling: ", "limits.max"),
        ("a variable an env block overrides", "tier: ", "$tier"),
    ];
    let mut out = String::new();
    for settings in [
        json!({}),
        json!({ "env": "development" }),
        json!({ "env": "production" }),
    ] {
        let mut c = Client::start(&dir, settings.clone());
        let u = c.open(&dir.join("main.tsk"));
        c.diagnostics(&u, |_| true);
        out.push_str(&format!("settings {settings}\n"));
        for (case, before, token) in cases {
            let (l, ch) = pos(text, &format!("{before}{token}"));
            let ch = ch + before.len() as u32 + 1;
            let r = c.at("textDocument/definition", &u, l, ch);
            let mut found: Vec<String> = r["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    let line = x["range"]["start"]["line"].as_u64().unwrap() as usize;
                    format!("{}: {}", line + 1, text.lines().nth(line).unwrap().trim())
                })
                .collect();
            found.sort();
            found.dedup();
            out.push_str(&format!("  {case} ({token}) -> {found:?}\n"));
        }
        c.shutdown();
    }
    insta::assert_snapshot!(out);
}

/// Issue 20: hover and completion find a field's type as the checker does: through a union's members (the first
/// that has the key) and through a chain of named types deeper than the editor used to follow.
#[test]
fn hover_and_completion_follow_unions_and_deep_named_types() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("types");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("tuskc.toml"),
        "[project]\nname = \"types\"\nentries = [\"main.tsk\"]\n",
    )
    .unwrap();
    let mut text = String::from(
        "\
schema A {
  host: string
}
## A server that may speak TLS.
schema B {
  host: string
  ## How connections are secured.
  tls: {
    ## `off` only inside the cluster.
    mode: \"strict\" | \"off\"
    ca?: string
  }
}
",
    );
    // `L0` names `L1`, … `L39` names `B`: forty names deep.
    for i in 0..40 {
        let next = if i == 39 {
            "B".to_string()
        } else {
            format!("L{}", i + 1)
        };
        text.push_str(&format!("type L{i} = {next}\n"));
    }
    text.push_str(
        "\
[svc: A | B]
host: \"a\"
tls {
  mode: \"strict\"
}
[deep: L0]
host: \"b\"
tls {
  mode: \"off\"
}
",
    );
    std::fs::write(dir.join("main.tsk"), &text).unwrap();
    let mut c = Client::start(&dir, json!({}));
    let u = c.open(&dir.join("main.tsk"));
    let diags = c.diagnostics(&u, |_| true);
    assert!(diags.is_empty(), "{diags:#?}");
    let labels = |r: &Value| -> Vec<String> {
        r["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let mut out = String::new();
    let cases = [
        ("svc", "  mode: \"strict\"\n"),
        ("deep", "  mode: \"off\"\n"),
    ];
    for (section, needle) in cases {
        let (l, _) = pos(&text, needle);
        let md = c.at("textDocument/hover", &u, l, 3)["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("(no hover)")
            .to_string();
        out.push_str(&format!("hover on {section}.tls.mode:\n{md}\n"));
        // `mode: |`: the literals of the field's type.
        let ls = labels(&c.at("textDocument/completion", &u, l, 8));
        out.push_str(&format!(
            "completion of {section}.tls.mode's value: {ls:?}\n\n"
        ));
    }
    // `|` on a new line inside `tls { }`: its fields (the later section first, so the edit moves no line asked after).
    for (version, (section, needle)) in cases.into_iter().rev().enumerate() {
        let (l, _) = pos(&text, needle);
        c.change(
            &u,
            version as i64 + 2,
            json!({ "start": { "line": l + 1, "character": 0 }, "end": { "line": l + 1, "character": 0 } }),
            "  \n",
        );
        let ls = labels(&c.at("textDocument/completion", &u, l + 1, 2));
        out.push_str(&format!("completion of keys in {section}.tls: {ls:?}\n"));
    }
    c.shutdown();
    insta::assert_snapshot!(out);
}
