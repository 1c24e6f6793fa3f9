//! Helpers shared by test files.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use tuskc::diagnostic::Diagnostic;
use tuskc::driver::Session;

/// Compile `text` as a one-file project in `dir`, building every target; the diagnostics and their rendering.
pub fn compile(dir: &std::path::Path, text: &str) -> (Vec<Diagnostic>, String) {
    let file = dir.join("case.tsk");
    std::fs::write(&file, text).unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    for target in session.all_targets(&program) {
        session.build(&program, &target, None, &inputs);
    }
    let diags = session.take_diagnostics();
    // The temporary directory's name changes every run: show it as `<tmp>` so snapshots are stable.
    let text = tuskc::render::human(&diags, &session.sources, false)
        .replace(&dir.display().to_string(), "<tmp>");
    (diags, text)
}

/// Copy a directory tree (a fixture project into a temporary directory).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Run the real `tuskc` in `dir` with a clean environment: no colour, no identity, none of the example's `@env`
/// variables (so results never depend on the shell the tests run from).
pub fn tuskc_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tuskc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TUSKC_IDENTITY")
        .env_remove("SHOP_RELEASE")
        .env_remove("API_DB_PORT")
        .env_remove("SMTP_HOST")
        .env_remove("SMTP_PORT")
        .output()
        .unwrap()
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
