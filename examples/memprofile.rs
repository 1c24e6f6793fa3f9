//! Where the memory of `tuskc build FILE` goes, stage by stage: the resident set after each stage and its peak
//! during it (Linux only). docs/performance.md ("Memory") has the figures.
//! `cargo run --release --example memprofile -- FILE.tsk`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)] // a developer tool printing to a terminal

use std::path::Path;

// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `VmRSS` and `VmHWM` (peak) from /proc/self/status, in bytes. (An allocator that counts would need `unsafe`,
/// which the crate forbids; the resident set is what `/usr/bin/time -v` reports too.)
fn rss() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| {
                v.trim()
                    .trim_end_matches(" kB")
                    .trim()
                    .parse::<usize>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(n: usize) -> String {
    format!("{:7.1} MB", n as f64 / 1e6)
}

/// What the process holds now and held at most, after `what`.
fn report(what: &str) {
    let (now, peak) = rss();
    println!("{what:<60} resident {}   peak {}", mb(now), mb(peak));
}

/// One stage per process (`STAGE`), so each peak is that stage's alone: `lex` (the token vector), `parse` (the syntax
/// tree; the tokens are dropped at its end), `load` (source, syntax tree and lowered program, as `check` keeps them),
/// `load-lean` (the tree dropped once lowered, as `build` does), `build` (`load-lean` and the streamed JSON of the
/// first target), `tree` (`load` and the target's whole value tree, as `check`, `get` and `explain` build it).
fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(stage), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: memprofile lex|parse|load|load-lean|build|tree FILE.tsk, or memprofile gen MB FILE.tsk");
        std::process::exit(2);
    };
    if stage == "gen" {
        // `gen MB FILE`: a file of MB megabytes of sections like a service's configuration (the figures' input).
        let size: usize = path.parse::<usize>().unwrap_or(50) * 1_000_000;
        let out = args.next().unwrap_or_else(|| "big.tsk".into());
        std::fs::write(&out, generate(size)).unwrap();
        return;
    }
    let file = tuskc::source::FileId(0);
    let mut sink = tuskc::diagnostic::Sink::new();
    match stage.as_str() {
        "lex" | "parse" => {
            let text = std::fs::read_to_string(&path).unwrap();
            report(&format!("read {} of source", mb(text.len())));
            if stage == "lex" {
                let lexed = tuskc::syntax::lexer::lex(&text, 0, file, &mut sink);
                report(&format!(
                    "lex: {} tokens of {} bytes",
                    lexed.tokens.len(),
                    std::mem::size_of::<tuskc::syntax::lexer::Token>()
                ));
            } else {
                let ast = tuskc::syntax::parse(&text, file, &mut sink);
                report(&format!("parse: {} top-level items", ast.items.len()));
            }
        }
        "load" | "load-lean" | "build" | "tree" => {
            let mut session = tuskc::driver::Session::open(Path::new(&path)).unwrap();
            session.keep_syntax = matches!(stage.as_str(), "load" | "tree");
            let entry = session.project.entries[0].clone();
            let program = session.load(&entry).unwrap();
            report(&format!("load (keep_syntax {})", session.keep_syntax));
            let inputs = session.env_inputs(&[], &[], false);
            let target = session.all_targets(&program).remove(0);
            if stage == "build" {
                let json = session.build_text(
                    &program,
                    &target,
                    None,
                    &inputs,
                    tuskc::emit::Format::Json,
                    0,
                );
                report(&format!(
                    "build, streamed: {} of JSON",
                    mb(json.as_ref().map_or(0, String::len))
                ));
            } else if stage == "tree" {
                let built = session.build(&program, &target, None, &inputs);
                report(&format!(
                    "build the value tree ({})",
                    if built.is_some() { "built" } else { "failed" }
                ));
            }
            std::process::exit(0); // as the binary does: the program is not freed node by node at the end
        }
        _ => {
            eprintln!("unknown stage {stage}");
            std::process::exit(2);
        }
    }
}

/// Sections of short entries: strings, an interpolation, integers, booleans, a float, an array, nested maps and a
/// dash list; about 360 bytes per service.
fn generate(size: usize) -> String {
    let mut out =
        String::from("# generated by `memprofile gen`\n$registry: \"registry.example.com\"\n");
    let mut i = 0usize;
    while out.len() < size {
        out.push_str(&format!(
            r#"[svc{i:06}]
name: "service-{i:06}"
image: "${{$registry}}/svc{i:06}:1.{}"
port: {}
enabled: {}
replicas: {}
ratio: 0.{:02}
url: "https://svc{i:06}.internal.example.com/api/v1/health"
tags: ["team-{}", "tier-{}", "region-{}"]
limits:
  cpu: {}
  memory: "{}Mi"
  timeouts:
    connect: "5s"
    read: "30s"
owners:
  - name: "owner-{}"
    email: "owner{}@example.com"

"#,
            i % 10,
            8000 + i % 1000,
            !i.is_multiple_of(3),
            1 + i % 7,
            i % 100,
            i % 17,
            i % 3,
            i % 5,
            1 + i % 4,
            256 * (1 + i % 4),
            i % 23,
            i % 23,
        ));
        i += 1;
    }
    out
}
