//! `tuskc schema export` and `tuskc schema diff`: the command-line side of `json_schema.rs` and `schema_diff.rs`.
//!
//! A side of `schema diff` named by a git revision is read with the real `git`: the project's directory at that
//! revision (`git ls-tree` + `git cat-file --batch`, so `.gitattributes` such as `export-ignore` change nothing and
//! no `tar` is run) is written into a temporary directory, confined to it, and loaded from there like any project,
//! so `use` between files works at that revision too. A symlink in the tree is written as a symlink when it points
//! inside the project's directory; one pointing elsewhere is skipped with a warning (the project reads nothing
//! outside its root anyway, and at a revision "elsewhere" would be today's disk).

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::cli::args::MessageFormat;
use crate::cli::entries::single_entry;
use crate::cli::output::Output;
use crate::cli::write::write_atomic;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::driver::Session;
use crate::ir::schema::Binding;
use crate::ir::{Program, Target};
use crate::schema::diff::{diff_program, Impact};

/// Open a project and load its one entry. A project checked out from a revision (`at`) is named in diagnostics
/// as the user named it, never by its temporary directory.
fn open(path: &Path, out: &mut Output, at: Option<&Checkout>) -> Result<(Session, Program), u8> {
    let fail = |out: &mut Output, mut session: Session| {
        if let Some(at) = at {
            session.sources.rename(|n| at.name(n));
            let diags: Vec<Diagnostic> = session.sink.split_off(0);
            session
                .sink
                .extend(diags.into_iter().map(|d| at.diagnostic(d)));
        }
        out.finish(session)
    };
    let mut session = match Session::open(path) {
        Ok(s) => s,
        Err(d) => {
            let d = match at {
                Some(at) => at.diagnostic(d),
                None => d,
            };
            return Err(out.early(d));
        }
    };
    let Some(entry) = single_entry(&mut session, false) else {
        return Err(fail(out, session));
    };
    let Some(program) = session.load(&entry) else {
        return Err(fail(out, session));
    };
    if program.has_errors {
        return Err(fail(out, session));
    }
    Ok((session, program))
}

/// A revision's files written into a temporary directory: how a path there is named to the user, `REV:path` with
/// the path relative to the current directory (as `REV:FILE` on the command line is).
struct Checkout {
    /// The temporary directory, as written and canonical, each with the prefix that replaces it.
    dirs: Vec<(String, String)>,
}

impl Checkout {
    /// `dir` holds the repository's tree at `rev`, whose top is `top`; `here` is the current directory. Paths are
    /// named as the command line names them, relative to `here`: `../` up to the top when `here` is inside the
    /// repository, the way down to it when the repository is below `here`, else the top's absolute path.
    fn new(dir: &Path, rev: &str, here: &Path, top: &Path) -> Checkout {
        let inside = here.strip_prefix(top).ok();
        let to_top = match (inside, top.strip_prefix(here)) {
            (Some(i), _) => "../".repeat(i.components().count()),
            (None, Ok(down)) => format!("{}/", down.display()),
            (None, Err(_)) => format!("{}/", top.display()),
        };
        let mut dirs = Vec::new();
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        for d in [dir.to_path_buf(), canonical] {
            let d = d.display().to_string();
            if let Some(i) = inside.filter(|i| !i.as_os_str().is_empty()) {
                let cwd = Path::new(&d).join(i).display().to_string();
                dirs.push((format!("{cwd}/"), format!("{rev}:")));
                dirs.push((cwd, format!("{rev}:.")));
            }
            dirs.push((format!("{d}/"), format!("{rev}:{to_top}")));
            dirs.push((
                d,
                format!("{rev}:{}", if to_top.is_empty() { "." } else { &to_top }),
            ));
        }
        Checkout { dirs }
    }

    fn name(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (from, to) in &self.dirs {
            out = out.replace(from.as_str(), to);
        }
        out
    }

    fn diagnostic(&self, mut d: Diagnostic) -> Diagnostic {
        d.message = self.name(&d.message);
        d.help = d.help.map(|h| self.name(&h));
        for n in &mut d.notes {
            *n = self.name(n);
        }
        for l in &mut d.labels {
            l.message = self.name(&l.message);
        }
        d
    }
}

/// `target`: the `--env` and `--provider` flags; with neither, the base layer's bindings are exported.
pub fn export(
    path: &Path,
    only: Option<&str>,
    target: (Option<&str>, Option<&str>),
    output: Option<&Path>,
    out: &mut Output,
) -> u8 {
    let (mut session, program) = match open(path, out, None) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if let Some(name) = only {
        if program.schemas.get(name).is_none() {
            session.usage_error = true;
            let names: Vec<&str> = program.schemas.defs.keys().map(String::as_str).collect();
            let mut d = Diagnostic::error(Code::UnknownType, format!("no schema named `{name}`"));
            d = if names.is_empty() {
                d.note("this project declares no types")
                    .help("omit --schema to export the schema of the whole configuration")
            } else {
                let d = d.note(format!("types: {}", names.join(", ")));
                match did_you_mean(name, names.iter().copied()) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("pass --schema with one of the types, or omit it to export the whole configuration's schema"),
                }
            };
            session.sink.push(d);
            return out.finish(session);
        }
    }
    // The base layer's bindings describe the configuration every target shares; a target's add those made inside
    // its provider and env blocks, in the order `check` checks them.
    let (target, bindings): (Target, Vec<&Binding>) = match target {
        (None, None) => (
            Target::default(),
            program
                .layer(&crate::value::LayerId::Base)
                .map(|l| l.bindings.iter().collect())
                .unwrap_or_default(),
        ),
        (env, provider) => match session.select_target(&program, env, provider, false) {
            Some(t) => {
                let bindings = crate::driver::bindings(&program, &t);
                (t, bindings)
            }
            None => return out.finish(session),
        },
    };
    let title = session
        .project
        .entries
        .first()
        .and_then(|e| e.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".into());
    let doc = crate::schema::json_schema::export(
        &program.schemas,
        &bindings,
        only,
        &title,
        &target,
        &session.sources,
    );
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
        let (session, program) = open(Path::new(spec), out, None)?;
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
    // Paths are relative to the current directory, as everywhere else on the command line. Git runs in the
    // directory that holds the project (or the file's nearest existing directory), so `--path` works from outside
    // the repository, and the path inside the repository is that directory's prefix (`git rev-parse --show-prefix`)
    // and the rest of the path, wherever the current directory is.
    let here = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_else(|_| PathBuf::from("."));
    let wanted = here.join(&file);
    let base = wanted
        .ancestors()
        .find(|a| a.is_dir())
        .unwrap_or(&here)
        .to_path_buf();
    let rest = wanted.strip_prefix(&base).unwrap_or(Path::new(""));
    let (top, prefix) = match (
        git(&["rev-parse", "--show-toplevel"], &base),
        git(&["rev-parse", "--show-prefix"], &base),
    ) {
        (Ok(t), Ok(p)) => (
            PathBuf::from(String::from_utf8_lossy(&t).trim()),
            PathBuf::from(String::from_utf8_lossy(&p).trim()),
        ),
        (Err(e), _) | (_, Err(e)) => {
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
        &base,
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
    let Some(rel) = inside_repo(&prefix, rest) else {
        return Err(fail(
            out,
            format!("`{}` is outside the git repository", file.display()),
        ));
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
    let project_dir = match project_dir_at(&commit, &rel, &top) {
        Ok(d) => d,
        Err(e) => return Err(fail(out, format!("cannot read {rev}: {e}"))),
    };
    let named = Checkout::new(dir.path(), rev, &here, &top);
    match checkout(&commit, &project_dir, &top, dir.path()) {
        Ok(skipped) => {
            for link in skipped {
                let shown = named.name(&dir.path().join(&link).display().to_string());
                out.warn(
                    Diagnostic::warning(
                        Code::Io,
                        format!("`{shown}` is a symlink leading outside the project's directory; it is not read"),
                    )
                    .help("a revision's project is read only from inside its directory; copy the file into it to compare it"),
                );
            }
        }
        Err(e) => return Err(fail(out, format!("cannot read {rev}: {e}"))),
    }
    let at = dir.path().join(&rel);
    if !at.exists() {
        return Err(fail(
            out,
            format!("`{}` does not exist at revision {rev}", rel.display()),
        ));
    }
    let (session, program) = open(&at, out, Some(&named))?;
    Ok(Loaded {
        session,
        program,
        _dir: Some(dir),
    })
}

/// `prefix` (a directory's path from the repository's top) joined with `rest`, with `.` and `..` resolved; `None`
/// when it leaves the repository.
fn inside_repo(prefix: &Path, rest: &Path) -> Option<PathBuf> {
    let mut rel = PathBuf::new();
    for c in prefix.components().chain(rest.components()) {
        match c {
            Component::Normal(n) => rel.push(n),
            Component::CurDir => {}
            Component::ParentDir => {
                if !rel.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(rel)
}

/// The project directory `rel` (a file or directory inside the repository, relative to its top `top`) belongs to
/// at `commit`, as [`crate::lower::project::discover`] finds it on disk: a directory itself; for a file, the nearest
/// directory upwards holding a manifest at that commit, else the file's own directory.
fn project_dir_at(commit: &str, rel: &Path, top: &Path) -> Result<PathBuf, String> {
    let is_dir = rel.as_os_str().is_empty()
        || ls_tree(commit, rel, top, false)?
            .first()
            .is_some_and(|e| e.kind == "tree");
    if is_dir {
        return Ok(rel.to_path_buf());
    }
    let parent = rel.parent().unwrap_or(Path::new(""));
    for dir in parent.ancestors() {
        let manifest = dir.join(crate::lower::project::MANIFEST);
        if !ls_tree(commit, &manifest, top, false)?.is_empty() {
            return Ok(dir.to_path_buf());
        }
    }
    Ok(parent.to_path_buf())
}

/// One entry of `git ls-tree -z`.
struct TreeEntry {
    mode: String,
    kind: String,
    object: String,
    path: PathBuf,
}

/// `git ls-tree -z [-r] COMMIT -- PATH` from the repository's top (paths relative to it; the empty path is the
/// whole tree).
fn ls_tree(
    commit: &str,
    path: &Path,
    top: &Path,
    recursive: bool,
) -> Result<Vec<TreeEntry>, String> {
    let spec = if path.as_os_str().is_empty() {
        ".".to_string()
    } else {
        path.to_string_lossy().into_owned()
    };
    let mut args = vec!["ls-tree", "-z", "--full-tree"];
    if recursive {
        args.push("-r");
    }
    args.extend([commit, "--", &spec]);
    let listing = git(&args, top)?;
    let mut entries = Vec::new();
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        // `<mode> SP <type> SP <object> TAB <path>`; the path is raw bytes with `-z`.
        let text = String::from_utf8_lossy(record);
        let Some((head, path)) = text.split_once('\t') else {
            return Err(format!("unexpected `git ls-tree` line {text:?}"));
        };
        let mut fields = head.split(' ');
        let (Some(mode), Some(kind), Some(object)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("unexpected `git ls-tree` line {text:?}"));
        };
        entries.push(TreeEntry {
            mode: mode.to_string(),
            kind: kind.to_string(),
            object: object.to_string(),
            path: PathBuf::from(path),
        });
    }
    Ok(entries)
}

/// A path from a tree, as a relative path of plain names, or `None` (`..`, `.`, absolute): never written.
fn confined(path: &Path) -> Option<&Path> {
    (path.components().count() > 0 && path.components().all(|c| matches!(c, Component::Normal(_))))
        .then_some(path)
}

/// Does the symlink at `link` (relative, confined), pointing at `target`, stay inside `inside` (relative)? Judged
/// on the names alone, as the link sits in the tree.
fn link_stays_inside(link: &Path, target: &Path, inside: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut at: Vec<Component> = link
        .parent()
        .unwrap_or(Path::new(""))
        .components()
        .collect();
    for c in target.components() {
        match c {
            Component::Normal(_) => at.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                if at.pop().is_none() {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    at.iter().collect::<PathBuf>().starts_with(inside)
}

/// Write the files of `dir` (relative to the repository's top `top`) at `commit` into `into`, at the same relative
/// paths, and mark `into` as the repository's top (an empty `.git`), so the project is discovered there as in the
/// working tree. Returns the symlinks skipped because they lead outside `dir`.
fn checkout(commit: &str, dir: &Path, top: &Path, into: &Path) -> Result<Vec<PathBuf>, String> {
    let io = |what: &Path, e: std::io::Error| format!("cannot write `{}`: {e}", what.display());
    std::fs::create_dir_all(into.join(".git")).map_err(|e| io(into, e))?;
    std::fs::create_dir_all(into.join(dir)).map_err(|e| io(into, e))?;
    let mut files = Vec::new();
    for e in ls_tree(commit, dir, top, true)? {
        // Submodules (`commit` entries) have no content in this repository.
        if e.kind != "blob" {
            continue;
        }
        let Some(path) = confined(&e.path) else {
            return Err(format!("the tree holds an unsafe path {:?}", e.path));
        };
        files.push((e.mode, e.object, path.to_path_buf()));
    }
    let objects: String = files.iter().map(|(_, o, _)| format!("{o}\n")).collect();
    let batch = cat_file_batch(objects.into_bytes(), top)?;
    let mut rest = batch.as_slice();
    let mut skipped = Vec::new();
    for (mode, _, path) in &files {
        // `<object> SP <type> SP <size> LF <content> LF`
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            return Err("`git cat-file --batch` ended early".into());
        };
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("unexpected `git cat-file` header {header:?}"))?;
        let Some(content) = rest.get(nl + 1..nl + 1 + size) else {
            return Err("`git cat-file --batch` ended early".into());
        };
        rest = rest.get(nl + 2 + size..).unwrap_or_default();
        let dest = into.join(path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        if mode == "120000" {
            let target = PathBuf::from(String::from_utf8_lossy(content).into_owned());
            if !link_stays_inside(path, &target, dir) {
                skipped.push(path.clone());
                continue;
            }
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, &dest).map_err(|e| io(&dest, e))?;
            #[cfg(not(unix))]
            skipped.push(path.clone());
        } else {
            std::fs::write(&dest, content).map_err(|e| io(&dest, e))?;
        }
    }
    Ok(skipped)
}

/// The objects named one per line in `request`, through one `git cat-file --batch`.
fn cat_file_batch(request: Vec<u8>, top: &Path) -> Result<Vec<u8>, String> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(top)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    // Written from another thread: git answers while it reads, and a full pipe each way would stall both.
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(&request);
        })
    });
    let outp = child
        .wait_with_output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    if outp.status.success() {
        Ok(outp.stdout)
    } else {
        Err(String::from_utf8_lossy(&outp.stderr).trim().to_string())
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
    let changes = diff_program(
        &a.program,
        &a.session.sources,
        &b.program,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_paths_are_confined() {
        assert!(confined(Path::new("a/b.tsk")).is_some());
        for bad in ["../a.tsk", "a/../../b", "/etc/passwd", "./a", ""] {
            assert!(confined(Path::new(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn symlinks_must_stay_inside_the_project() {
        let inside = Path::new("deploy/config");
        let ok = |link: &str, target: &str| {
            link_stays_inside(Path::new(link), Path::new(target), inside)
        };
        assert!(ok("deploy/config/a.tsk", "b.tsk"));
        assert!(ok("deploy/config/sub/a.tsk", "../b.tsk"));
        assert!(!ok("deploy/config/a.tsk", "../b.tsk"));
        assert!(!ok("deploy/config/a.tsk", "../../../../etc/passwd"));
        assert!(!ok("deploy/config/a.tsk", "/etc/passwd"));
        assert!(link_stays_inside(
            Path::new("a.tsk"),
            Path::new("sub/b.tsk"),
            Path::new("")
        ));
        assert!(!link_stays_inside(
            Path::new("a.tsk"),
            Path::new("../b.tsk"),
            Path::new("")
        ));
    }
}
