//! Language-server latency: re-checking a 5,000-line file after a one-character edit (goal: under 50 ms).
//!
//! Drives `tuskc::lsp::Server` exactly as the stdio loop does (didOpen, didChange, then the debounced re-check),
//! without the pipe. Run with `cargo bench --bench lsp`; figures are in docs/editors.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The binary's allocator (src/main.rs), so the figures match what `tuskc` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use tuskc::lsp::analysis::Settings;
use tuskc::lsp::{Message, Server};

/// A 5,000-line project file: 100 services of ~45 lines with a schema, overridden in 3 environments on 3 providers.
fn five_thousand_lines() -> String {
    let mut s = String::from("schema Service {\n  image: string(len 1..)\n  replicas: int(1..100)\n  port: int(1024..65535)\n  ...\n}\n");
    s.push_str("$domain: \"example.com\"\n");
    for i in 0..100 {
        s.push_str(&format!("\n[services.svc{i}: Service]\nimage: \"registry/svc{i}:1.0\"\nreplicas: 2\nport: {}\nurl: \"https://svc{i}.${{$domain}}\"\n", 2000 + i));
        for k in 0..41 {
            s.push_str(&format!("param{k}: \"value {i}-{k}\"\n"));
        }
        s.push_str("limits:\n  cpu: 2\n  memory: \"512Mi\"\n");
    }
    for env in ["development", "staging", "production"] {
        s.push_str(&format!("\nenv {env} {{\n"));
        for i in (0..100).step_by(10) {
            s.push_str(&format!("  [services.svc{i}]\n  replicas: 3\n"));
        }
        s.push_str("}\n");
    }
    for p in ["aws", "azure", "gcp"] {
        s.push_str(&format!(
            "\nprovider {p} {{\n  [cloud]\n  name: \"{p}\"\n}}\n"
        ));
    }
    s
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn open(server: &mut Server, path: &Path, text: &str) {
    let msg = json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": { "uri": uri(path), "languageId": "tusk", "version": 1, "text": text } } });
    server.handle(serde_json::from_value::<Message>(msg).unwrap());
}

fn edit(server: &mut Server, path: &Path, version: i64, line: u32, ch: u32, text: &str) {
    let msg = json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": { "uri": uri(path), "version": version },
        "contentChanges": [{ "range": { "start": { "line": line, "character": ch }, "end": { "line": line, "character": ch + 1 } }, "text": text }] } });
    server.handle(serde_json::from_value::<Message>(msg).unwrap());
}

fn recheck(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = std::fs::canonicalize(dir.path()).unwrap().join("big.tsk");
    let text = five_thousand_lines();
    assert!(
        text.lines().count() >= 5000,
        "{} lines",
        text.lines().count()
    );
    std::fs::write(&path, &text).unwrap();
    // The `replicas: 2` of the 50th service: a one-character edit that keeps the file valid.
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "replicas: 2")
        .nth(50)
        .unwrap()
        .0 as u32;

    for (name, settings) in [
        (
            "lsp re-check after a one-character edit, 5,000 lines, all 9 targets",
            Settings::default(),
        ),
        (
            "lsp re-check after a one-character edit, 5,000 lines, one target",
            Settings {
                env: Some("production".into()),
                provider: Some("aws".into()),
            },
        ),
    ] {
        let mut server = Server::new(settings);
        open(&mut server, &path, &text);
        let published = server.recheck(&path);
        assert!(!published.is_empty());
        let mut version = 1;
        // Timed: from the edit to the diagnostics being ready to send (what the user waits for). Freeing the old
        // analysis happens after sending, as in the server loop.
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    version += 1;
                    let start = std::time::Instant::now();
                    edit(
                        &mut server,
                        &path,
                        version,
                        line,
                        10,
                        if version % 2 == 0 { "3" } else { "2" },
                    );
                    let out = server.recheck(&path);
                    total += start.elapsed();
                    drop(out);
                    server.idle();
                }
                total
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = recheck
}
criterion_main!(benches);
