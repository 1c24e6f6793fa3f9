//! `tuskc completions` and `tuskc man`: generated from the clap definitions, so every subcommand `tuskc --help`
//! lists is in them, and the tools that read them accept them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{stderr, stdout, tool_available, tuskc_in};

/// The subcommands `tuskc --help` lists (the parser's own list; `help` is clap's).
fn subcommands() -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&tuskc_in(dir.path(), &["--help"]));
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 13, "{names:?}");
    names
}

fn has(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn bash_completion_parses_and_names_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = tuskc_in(dir.path(), &["completions", "bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let script = stdout(&out);
    for name in subcommands() {
        assert!(
            script.contains(&format!("tuskc,{name})")),
            "bash completion misses `{name}`"
        );
    }
    if !tool_available(has("bash"), "needs bash (Debian package `bash`)") {
        return;
    }
    let file = dir.path().join("tuskc.bash");
    std::fs::write(&file, &script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn every_shell_gets_a_script() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = tuskc_in(dir.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("explain-code"), "{shell}");
    }
    let out = tuskc_in(dir.path(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_names_every_subcommand_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = tuskc_in(dir.path(), &["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH tuskc 1"), "{page}");
    for name in subcommands() {
        // roff escapes `-` as `\-`.
        let entry = format!("tuskc\\-{}(1)", name.replace('-', "\\-"));
        assert!(page.contains(&entry), "man page misses `{name}`");
    }
    if !tool_available(has("groff"), "needs groff (Debian package `groff-base`)") {
        return;
    }
    let file = dir.path().join("tuskc.1");
    std::fs::write(&file, &page).unwrap();
    // -ww: every warning (a malformed request, an unknown macro) shows on stderr.
    let render = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P", "-c", "-P", "-b", "-P", "-u"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(render.status.success(), "{}", stderr(&render));
    assert_eq!(stderr(&render), "", "groff warns about the man page");
    let text = stdout(&render);
    assert!(
        text.contains("NAME") && text.contains("SUBCOMMANDS"),
        "{text}"
    );
}
