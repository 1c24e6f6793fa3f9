//! `tuskc fmt [--check] [PATHS]`: the command-line side of `fmt.rs`.
//!
//! Paths are `.tsk` files, directories (searched recursively for `.tsk` files by [`collect`]: symlinks are not
//! followed, and hidden directories, `target`, `node_modules` and what `.gitignore`/`.ignore` files exclude are
//! skipped), or `-` (standard input to standard output). Each file is formatted once, however many paths name it. Files are rewritten atomically, keeping their
//! mode, and only when their text changes. Exit codes: 0 nothing to do or all formatted; 1 `--check` found files
//! that would change, or a file has syntax errors (it is left alone); 2 a path cannot be read or written.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::args::MessageFormat;
use crate::cli::output::Output;
use crate::cli::write::write_atomic;
use crate::diagnostic::{Code, Diagnostic, Severity, Sink};
use crate::source::{FileKind, SourceMap};
use crate::syntax::fmt::format_text;

pub fn run(paths: &[PathBuf], check: bool, out: &mut Output) -> u8 {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut sources = SourceMap::new();
    let mut sink = Sink::new();
    let mut io_error = false;
    let mut files = Vec::new();
    for p in &paths {
        if p.as_os_str() == "-" {
            files.push(None);
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => collect(p, &mut files, &mut sink),
            Ok(_) => files.push(Some(p.clone())),
            Err(e) => {
                io_error = true;
                sink.push(crate::user_file::read_error(
                    &format!("`{}`", p.display()),
                    &e,
                ));
            }
        }
    }
    // The same file named twice (`fmt . sub`, or a file and its directory) is formatted once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| match f {
        Some(p) => seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())),
        None => true,
    });
    let mut changed = Vec::new();
    let mut unchanged = 0usize;
    let mut broken = 0usize;
    for file in files {
        let (name, text) = match &file {
            None => {
                let mut bytes = Vec::new();
                if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
                    io_error = true;
                    sink.push(crate::user_file::read_error("standard input", &e));
                    continue;
                }
                ("<stdin>".to_string(), bytes)
            }
            Some(p) => match crate::user_file::read(p) {
                Ok(bytes) => (p.display().to_string(), bytes),
                Err(e) => {
                    io_error = true;
                    sink.push(crate::user_file::read_error(
                        &format!("`{}`", p.display()),
                        &e,
                    ));
                    continue;
                }
            },
        };
        let Ok(text) = String::from_utf8(text) else {
            broken += 1;
            sink.push(
                Diagnostic::error(Code::InvalidUtf8, format!("`{name}` is not UTF-8"))
                    .help("tuskc reads UTF-8 text; re-encode the file"),
            );
            continue;
        };
        let kind = match &file {
            Some(p) => FileKind::Disk(p.clone()),
            None => FileKind::CommandLine(name.clone()),
        };
        let id = sources.add(kind, name.clone(), text.clone());
        let Some(formatted) = format_text(&text, id, &mut sink) else {
            broken += 1;
            if file.is_none() {
                // Standard input in, standard output out: pass a broken file through unchanged.
                let _ = std::io::stdout().write_all(text.as_bytes());
            }
            continue;
        };
        match &file {
            None => {
                if check && formatted != text {
                    changed.push(name);
                } else if !check {
                    let _ = std::io::stdout().write_all(formatted.as_bytes());
                }
            }
            Some(p) if formatted != text => {
                if !check {
                    if let Err(e) = write_atomic(p, formatted.as_bytes()) {
                        io_error = true;
                        sink.push(Diagnostic::error(
                            Code::Io,
                            format!("cannot write `{}`: {e}", p.display()),
                        ));
                        continue;
                    }
                }
                changed.push(name);
            }
            Some(_) => unchanged += 1,
        }
    }
    let diags = sink.into_sorted();
    out.render_with(&diags, &sources);
    if check {
        let mut stdout = std::io::stdout().lock();
        for name in &changed {
            let _ = writeln!(stdout, "{name}");
        }
        if out.format == MessageFormat::Json {
            for name in &changed {
                let d = Diagnostic::warning(
                    Code::FormatUnformatted,
                    format!("`{name}` is not formatted"),
                )
                .help(format!("run `tuskc fmt {name}`"));
                out.render_with(std::slice::from_ref(&d), &sources);
            }
        }
    }
    let files = |n: usize| if n == 1 { "file" } else { "files" };
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if check {
        if changed.is_empty() && errors == 0 {
            out.say(&format!(
                "{unchanged} {} already formatted",
                files(unchanged)
            ));
        } else if !changed.is_empty() {
            out.say(&format!(
                "{} {} would be reformatted (listed on stdout); run `tuskc fmt`",
                changed.len(),
                files(changed.len())
            ));
        }
    } else if paths.iter().any(|p| p.as_os_str() != "-") {
        out.say(&format!(
            "formatted {} {}, {unchanged} already formatted",
            changed.len(),
            files(changed.len())
        ));
    }
    if broken > 0 {
        out.say(&format!(
            "{broken} {} not formatted: fix the errors above first",
            files(broken)
        ));
    }
    if io_error {
        2
    } else if broken > 0 || (check && !changed.is_empty()) {
        1
    } else {
        0
    }
}

/// `.tsk` files under `dir`, in file-name order, depth first. Symlinks are not followed (a link to a directory is a
/// loop or leads elsewhere; a link to a file is formatted through its own name, or is not the user's to rewrite);
/// hidden directories, `target` and `node_modules` are skipped, and so is what `.gitignore` (in a git repository or
/// not), `.git/info/exclude` and `.ignore` files exclude. The user's global git excludes are not read: what is
/// formatted depends on the tree, not on the machine. A directory that cannot be read is a warning.
fn collect(dir: &Path, files: &mut Vec<Option<PathBuf>>, sink: &mut Sink) {
    let walk = ignore::WalkBuilder::new(dir)
        .follow_links(false)
        .hidden(false)
        .git_global(false)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            let skipped_dir = e.file_type().is_some_and(|t| t.is_dir()) && {
                let name = e.file_name().to_string_lossy();
                name.starts_with('.') || name == "target" || name == "node_modules"
            };
            e.depth() == 0 || !skipped_dir
        })
        .build();
    for entry in walk {
        match entry {
            Ok(e) => {
                // Not only regular files: a FIFO named like a source is reported when read, never skipped quietly.
                let named = e
                    .file_type()
                    .is_some_and(|t| !t.is_dir() && !t.is_symlink());
                if named && e.file_name().to_string_lossy().ends_with(".tsk") {
                    files.push(Some(crate::user_file::normalize(e.path())));
                }
            }
            Err(e) => sink.push(Diagnostic::warning(
                Code::Io,
                format!("skipped while searching `{}`: {e}", dir.display()),
            )),
        }
    }
}
