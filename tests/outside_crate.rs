//! The library as another crate sees it: a temporary crate depends on tuskc by path with `default-features = false`
//! (no clap, LSP, prompt or allocator), compiles a project through the library, deserializes it into its own serde
//! struct and renders a broken project's diagnostics. It shares this project's target directory, so the
//! dependencies already built are not built again, and runs `cargo run --offline` with a copy of this project's
//! Cargo.lock, so versions resolve without the network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = r#"[package]
name = "outside"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
tuskc = { path = "@TUSKC@", default-features = false }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

# This project's dev profile, so the dependencies it already built are reused, not rebuilt at another opt-level.
[profile.dev.package."*"]
opt-level = 1
"#;

const MAIN: &str = r#"use std::path::Path;

use serde::Deserialize;

/// The caller's own view of the configuration.
#[derive(Debug, Deserialize)]
struct Config {
    app: App,
}

#[derive(Debug, Deserialize)]
struct App {
    name: String,
    port: u16,
    debug: bool,
}

/// The production target, deserialized, or the rendered diagnostics: only the public facade.
fn compile(file: &Path) -> Result<Config, String> {
    let project = tuskc::Project::open(file).map_err(|d| d.render_human())?;
    let compiled = project
        .target(Some("production"), None)
        .map_err(|d| d.render_human())?;
    compiled.deserialize::<Config>().map_err(|e| e.to_string())
}

fn main() {
    let dir = std::env::args().nth(1).expect("the projects' directory");
    let dir = Path::new(&dir);
    let config = compile(&dir.join("good.tsk")).expect("good.tsk compiles");
    println!("{config:?}");
    match compile(&dir.join("broken.tsk")) {
        Ok(config) => println!("broken.tsk compiled: {config:?}"),
        Err(rendered) => println!("{rendered}"),
    }
}
"#;

const GOOD: &str = "[app]\nname: \"shop\"\nport: 8080\ndebug: true\n\nenv production {\n  [app]\n  debug: false\n}\n";
const BROKEN: &str = "[app]\nname: \"shop\"\nport: $prot\n\nenv production {\n}\n";

/// This project's target directory: the test binary is `<target>/<profile>/deps/outside_crate-HASH`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

#[test]
fn a_crate_outside_builds_on_the_library_alone() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let found = Command::new(&cargo)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::tool_available(found, "needs cargo on PATH (rustup's toolchain)") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let krate = tmp.path().join("outside");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let manifest = MANIFEST.replace("@TUSKC@", &root.display().to_string().replace('\\', "/"));
    std::fs::write(krate.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(krate.join("src/main.rs"), MAIN).unwrap();
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    let projects = tmp.path().join("projects");
    std::fs::create_dir_all(&projects).unwrap();
    std::fs::write(projects.join("good.tsk"), GOOD).unwrap();
    std::fs::write(projects.join("broken.tsk"), BROKEN).unwrap();

    // Cargo in the outside crate, on this project's target directory.
    let cargo_in_krate = |args: &[&str]| {
        Command::new(&cargo)
            .args(args)
            .current_dir(&krate)
            .env("CARGO_TARGET_DIR", target_dir())
            .env("NO_COLOR", "1")
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap()
    };
    let out = cargo_in_krate(&[
        "run",
        "--offline",
        "--quiet",
        "--",
        projects.to_str().unwrap(),
    ]);
    let stdout = common::stdout(&out);
    assert!(out.status.success(), "{}\n{stdout}", common::stderr(&out));
    assert!(
        stdout.starts_with("Config { app: App { name: \"shop\", port: 8080, debug: false } }\n"),
        "{stdout}"
    );
    // The broken project's diagnostic, rendered as the command line renders it: code, place, suggestion.
    assert!(stdout.contains("TSK"), "{stdout}");
    assert!(stdout.contains("broken.tsk:3"), "{stdout}");
    assert!(stdout.contains("prot"), "{stdout}");
    // The library alone: the tool's crates were not part of this build.
    let tree = Command::new(&cargo)
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .current_dir(&krate)
        .output()
        .unwrap();
    let tree = common::stdout(&tree);
    for tool_only in ["clap ", "lsp-server ", "rpassword ", "mimalloc "] {
        assert!(!tree.contains(tool_only), "{tool_only}in\n{tree}");
    }
    assert!(tree.contains("tuskc "), "{tree}");

    // Only the facade is public: the compiler's modules are `pub(crate)` for every dependent (tuskc's own tests
    // see them through the `internals` feature, which this crate does not turn on).
    std::fs::create_dir_all(krate.join("src/bin")).unwrap();
    std::fs::write(
        krate.join("src/bin/internals.rs"),
        "fn main() { let _ = tuskc::driver::Session::in_memory; }\n",
    )
    .unwrap();
    let internals = cargo_in_krate(&["check", "--offline", "--quiet", "--bin", "internals"]);
    let stderr = common::stderr(&internals);
    assert!(!internals.status.success(), "tuskc::driver is reachable");
    assert!(stderr.contains("module `driver` is private"), "{stderr}");
}
