//! `tuskc schema export` and `tuskc schema diff`: the command-line side of `json_schema.rs` and `schema_diff.rs`.
//!
//! A side of `schema diff` named by a git revision is read with the real `git` (`git archive`), extracted into a
//! temporary directory, and loaded from there like any project, so `use` between files works at that revision too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::{single_entry, write_atomic, MessageFormat, Output};
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::driver::Session;
use crate::lower::Program;
use crate::schema::Binding;
use crate::schema_diff::{diff as diff_schemas, Impact};

/// Open a project and load its one entry.
fn open(path: &Path, out: &mut Output) -> Result<(Session, Program), u8> {
    let mut session = Session::open(path).map_err(|d| out.early(d))?;
    let Some(entry) = single_entry(&mut session) else {
        return Err(out.finish(session));
    };
    let Some(program) = session.load(&entry) else {
        return Err(out.finish(session));
    };
    if program.has_errors {
        return Err(out.finish(session));
    }
    Ok((session, program))
}

pub fn export(path: &Path, only: Option<&str>, output: Option<&Path>, out: &mut Output) -> u8 {
    let (mut session, program) = match open(path, out) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if let Some(name) = only {
        if program.schemas.get(name).is_none() {
            session.usage_error = true;
            let mut d = Diagnostic::error(Code::UnknownType, format!("no schema named `{name}`"));
            if let Some(s) = did_you_mean(name, program.schemas.defs.keys().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            session.sink.push(d);
            return out.finish(session);
        }
    }
    // The base layer's bindings describe the configuration every target shares.
    let bindings: Vec<&Binding> = program
        .layer(&crate::value::LayerId::Base)
        .map(|l| l.bindings.iter().collect())
        .unwrap_or_default();
    let title = session
        .project
        .entries
        .first()
        .and_then(|e| e.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let doc =
        crate::json_schema::export(&program.schemas, &bindings, only, &title, &session.sources);
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    );
    match output {
        None => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
        }
        Some(file) => {
            if let Err(e) = write_atomic(file, text.as_bytes()) {
                session.usage_error = true;
                session.sink.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot write `{}`: {e}", file.display()),
                ));
            }
        }
    }
    out.finish(session)
}

/// One side of a diff: a path on disk, or a git revision extracted into a temporary directory.
struct Loaded {
    session: Session,
    program: Program,
    /// Keeps the extracted revision alive while the session's sources point into it.
    _dir: Option<tempfile::TempDir>,
}

fn git(args: &[&str], cwd: &Path) -> Result<Vec<u8>, String> {
    let outp = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if outp.status.success() {
        Ok(outp.stdout)
    } else {
        Err(String::from_utf8_lossy(&outp.stderr).trim().to_string())
    }
}

fn load_side(spec: &str, project: &Path, out: &mut Output) -> Result<Loaded, u8> {
    if Path::new(spec).exists() {
        let (session, program) = open(Path::new(spec), out)?;
        return Ok(Loaded {
            session,
            program,
            _dir: None,
        });
    }
    // `REV:FILE` or a bare revision (the project at --path).
    let (rev, file) = match spec.split_once(':') {
        Some((r, f)) if !r.is_empty() => (r, PathBuf::from(f)),
        _ => (spec, project.to_path_buf()),
    };
    let fail = |out: &Output, msg: String| {
        out.early(
            Diagnostic::error(Code::Io, msg)
                .help("name an existing file or directory, a git revision such as `HEAD~1` or `v1.2.0`, or `REV:path/to/file.tsk`"),
        )
    };
    // Paths are relative to the current directory, as everywhere else on the command line.
    let here = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_else(|_| PathBuf::from("."));
    let wanted = here.join(&file);
    let top = match git(&["rev-parse", "--show-toplevel"], &here) {
        Ok(t) => PathBuf::from(String::from_utf8_lossy(&t).trim()),
        Err(e) => {
            return Err(fail(
                out,
                format!("`{spec}` is not a file, and git cannot read revisions here: {e}"),
            ))
        }
    };
    let commit = match git(
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
        &here,
    ) {
        Ok(c) => String::from_utf8_lossy(&c).trim().to_string(),
        Err(_) => {
            return Err(fail(
                out,
                format!("`{spec}` is neither a file nor a git revision"),
            ))
        }
    };
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let Ok(rel) = wanted.strip_prefix(&top).map(Path::to_path_buf) else {
        return Err(fail(
            out,
            format!("`{}` is outside the git repository", file.display()),
        ));
    };
    let tar = match git(&["archive", "--format=tar", &commit], &here) {
        Ok(t) => t,
        Err(e) => return Err(fail(out, format!("git archive {rev} failed: {e}"))),
    };
    let dir = match tempfile::Builder::new().prefix("tuskc-rev-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            return Err(fail(
                out,
                format!("cannot create a temporary directory: {e}"),
            ))
        }
    };
    if let Err(e) = untar(&tar, dir.path()) {
        return Err(fail(out, format!("cannot extract {rev}: {e}")));
    }
    let at = dir.path().join(&rel);
    if !at.exists() {
        return Err(fail(
            out,
            format!("`{}` does not exist at revision {rev}", rel.display()),
        ));
    }
    let (session, program) = open(&at, out)?;
    Ok(Loaded {
        session,
        program,
        _dir: Some(dir),
    })
}

/// Extract a tar archive (as `git archive` writes it) with the system `tar`.
fn untar(bytes: &[u8], into: &Path) -> std::io::Result<()> {
    let mut child = Command::new("tar")
        .args(["-x", "-f", "-", "-C"])
        .arg(into)
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    if let Some(stdin) = child.stdin.as_mut() {
        stdin.write_all(bytes)?;
    }
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("tar exited with {status}")))
    }
}

pub fn diff(old: &str, new: &str, project: &Path, out: &mut Output) -> u8 {
    let a = match load_side(old, project, out) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let b = match load_side(new, project, out) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let changes = diff_schemas(
        &a.program.schemas,
        &a.session.sources,
        &b.program.schemas,
        &b.session.sources,
    );
    let breaking = changes
        .iter()
        .filter(|c| c.impact == Impact::Breaking)
        .count();
    let mut stdout = std::io::stdout().lock();
    if out.format == MessageFormat::Json {
        let j = serde_json::json!({ "breaking": breaking, "compatible": changes.len() - breaking, "changes": changes });
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&j).unwrap_or_default()
        );
    } else {
        for c in &changes {
            let tag = match c.impact {
                Impact::Breaking => "breaking  ",
                Impact::Compatible => "compatible",
            };
            let _ = writeln!(stdout, "{tag}  {}: {}", c.path, c.what);
        }
        let _ = writeln!(
            stdout,
            "{} change{}: {breaking} breaking, {} compatible",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" },
            changes.len() - breaking
        );
    }
    u8::from(breaking > 0)
}
