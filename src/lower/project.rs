//! Projects on disk: the manifest, entry files, and reading files confined to the project.
//!
//! Owns: `tuskc.toml`, which files are entries, and [`DiskLoader`], the loader `use` and `@file` go through on the
//! command line. Invariants: nothing outside the project root is read (symlinks are resolved before the check);
//! file names shown to users are the paths as the user would type them (relative to where they named the project),
//! so diagnostics and snapshots do not depend on the machine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::diagnostic::{did_you_mean, Code, Diagnostic, Sink};
use crate::lower::ModuleLoader;
use crate::source::{FileId, FileKind, SourceMap, Span};
use crate::stdlib;
use crate::syntax::ast::Item;
use crate::user_file::normalize;

pub const MANIFEST: &str = "tuskc.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub project: ProjectSection,
    #[serde(default)]
    pub secrets: SecretsSection,
    #[serde(default)]
    pub lsp: LspSection,
}

/// What the language server checks when the editor does not say (docs/editors.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LspSection {
    /// Check only this environment (default: every environment).
    pub env: Option<String>,
    /// Check only this provider (default: every provider).
    pub provider: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsSection {
    /// Where the per-environment stores live, relative to the manifest. Default `secrets`.
    pub dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    /// The project's name (`[project] name = "…"`): accepted, not used by the compiler.
    #[allow(dead_code)]
    pub name: Option<String>,
    /// Entry files, relative to the manifest. Default: every `.tsk` file in the project directory that no other
    /// file there `use`s. Each keeps its place in the manifest, so a diagnostic about an entry points at its line.
    #[serde(default)]
    pub entries: Vec<toml::Spanned<String>>,
    /// The project's environments. A non-empty list is closed: an `env` block naming another is an error (TSK0220).
    /// Each list keeps its place in the manifest, so that error points at it.
    pub environments: Option<toml::Spanned<Vec<String>>>,
    /// The project's providers; a non-empty list is closed as `environments` is (TSK0221).
    pub providers: Option<toml::Spanned<Vec<String>>>,
    pub default_env: Option<String>,
    pub default_provider: Option<String>,
}

impl ProjectSection {
    /// The environments the manifest lists (none when it has no list).
    pub fn environments(&self) -> &[String] {
        self.environments.as_ref().map_or(&[], |l| l.get_ref())
    }

    /// The providers the manifest lists (none when it has no list).
    pub fn providers(&self) -> &[String] {
        self.providers.as_ref().map_or(&[], |l| l.get_ref())
    }
}

#[derive(Debug)]
pub struct Project {
    /// The project directory, canonical (for confinement checks).
    pub root: PathBuf,
    /// The project directory as the user named it (for display and output names).
    pub display_root: PathBuf,
    pub manifest: Manifest,
    pub has_manifest: bool,
    /// Entry files, as display paths.
    pub entries: Vec<PathBuf>,
    /// The manifest's display path and text, when it lists entries (diagnostics about an entry quote its line).
    pub manifest_text: Option<(PathBuf, String)>,
    /// Where the manifest lists each entry of [`Project::entries`] (byte ranges in `manifest_text`).
    pub entry_spans: Vec<(PathBuf, Span)>,
}

impl Project {
    /// Where the per-environment secrets stores are: `[secrets] dir` of the manifest, default `secrets/`.
    pub fn store_dir(&self) -> crate::secrets::StoreDir {
        let dir = self.manifest.secrets.dir.as_deref().unwrap_or("secrets");
        crate::secrets::StoreDir {
            dir: self.root.join(dir),
            display: normalize(&self.display_root.join(dir)),
        }
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    crate::user_file::read_error(&format!("`{}`", path.display()), e)
}

/// Where a path is relative to a project (see [`place`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    /// Inside the project: its canonical path, or `None` when nothing is there.
    Inside(Option<PathBuf>),
    /// Outside the project, whether or not something is there (which is not told).
    Outside,
}

/// Where `path` is relative to the project whose canonical directory is `root`: the one confinement rule for
/// entries, `use` and `@file`. Symlinks are resolved first; a path that does not exist is placed by its deepest
/// existing ancestor, so a missing file outside the project is outside, never "not found" with names from out there.
pub fn place(root: &Path, path: &Path) -> Place {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let (real, exists) = match std::fs::canonicalize(&path) {
        Ok(real) => (real, true),
        Err(_) => {
            let placed = path.ancestors().skip(1).find_map(|ancestor| {
                let real = std::fs::canonicalize(ancestor).ok()?;
                let rest = path.strip_prefix(ancestor).ok()?;
                Some(normalize(&real.join(rest)))
            });
            (placed.unwrap_or_else(|| normalize(&path)), false)
        }
    };
    match (real.starts_with(root), exists) {
        (false, _) => Place::Outside,
        (true, true) => Place::Inside(Some(real)),
        (true, false) => Place::Inside(None),
    }
}

/// Find the project for a path the user named (a `.tsk` file or a project directory).
pub fn discover(path: &Path) -> Result<Project, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    let (dir, named_file) = if meta.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (parent.to_path_buf(), Some(normalize(path)))
    };
    // A file's project is the nearest directory upwards holding a manifest; without one, the file's directory.
    let mut display_root = normalize(&dir);
    // `exists`, not `is_file`: a manifest that is not a regular file (a FIFO) is reported when read, not ignored.
    let mut has_manifest = false;
    if named_file.is_some() {
        let mut cur = display_root.clone();
        for _ in 0..32 {
            if cur.join(MANIFEST).exists() {
                display_root = cur;
                has_manifest = true;
                break;
            }
            if cur.join(".git").exists() {
                break;
            }
            let up = normalize(&cur.join(".."));
            if std::fs::canonicalize(&up).ok() == std::fs::canonicalize(&cur).ok() {
                break;
            }
            cur = up;
        }
    } else {
        has_manifest = display_root.join(MANIFEST).exists();
    }
    let root = std::fs::canonicalize(&display_root).map_err(|e| io_error(&display_root, &e))?;
    let mut manifest_text = None;
    let manifest = if has_manifest {
        let mpath = display_root.join(MANIFEST);
        let text = crate::user_file::read_to_string(&mpath).map_err(|e| io_error(&mpath, &e))?;
        let manifest = toml::from_str::<Manifest>(&text).map_err(|e| {
            Diagnostic::error(
                Code::Manifest,
                format!("invalid `{}`: {}", mpath.display(), e.message()),
            )
            .help("see docs/language.md#projects for the manifest's keys")
        })?;
        manifest_text = Some((normalize(&mpath), text));
        manifest
    } else {
        Manifest::default()
    };
    let mut entry_spans = Vec::new();
    let entries = if let Some(f) = &named_file {
        vec![f.clone()]
    } else if !manifest.project.entries.is_empty() {
        let mut entries = Vec::new();
        for e in &manifest.project.entries {
            let path = normalize(&display_root.join(e.get_ref()));
            let span = e.span();
            entry_spans.push((path.clone(), Span::new(span.start, span.end)));
            entries.push(path);
        }
        entries
    } else {
        default_entries(&display_root)
    };
    Ok(Project {
        root,
        display_root,
        manifest,
        has_manifest,
        entries,
        manifest_text,
        entry_spans,
    })
}

/// The file a `use` path names: the path as written, with `.tsk` added when it has no extension
/// (`use "./types"` reads `./types.tsk`).
pub fn module_file(path: &str) -> std::borrow::Cow<'_, str> {
    if Path::new(path).extension().is_none() {
        format!("{path}.tsk").into()
    } else {
        path.into()
    }
}

/// Every `.tsk` file directly in `dir` that no other file there `use`s, sorted by name.
pub fn default_entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut files: Vec<PathBuf> = read
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsk") && p.is_file())
        .collect();
    files.sort();
    let mut used = std::collections::HashSet::new();
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for f in &files {
        // A file leaving the project stays an entry (loading it reports TSK0212) but is not read here.
        if place(&root, f) == Place::Outside {
            continue;
        }
        let Ok(text) = crate::user_file::read_to_string(f) else {
            continue;
        };
        // `use` is a top-level item on a line of its own: parse just those lines, not the whole file.
        let uses: String = text
            .lines()
            .filter(|l| l.trim_start().starts_with("use"))
            .flat_map(|l| [l, "\n"])
            .collect();
        let mut scratch = Sink::new();
        let ast = crate::syntax::parse(&uses, FileId(0), &mut scratch);
        for item in &ast.items {
            if let Item::Use(u) = item {
                let module = f
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join(module_file(&u.path).as_ref());
                if let Ok(c) = std::fs::canonicalize(module) {
                    used.insert(c);
                }
            }
        }
    }
    files
        .into_iter()
        .filter(|f| std::fs::canonicalize(f).map_or(true, |c| !used.contains(&c)))
        .map(|f| normalize(&f))
        .collect()
}

/// Up to `limit` `.tsk` files in the subdirectories of `dir` (which [`default_entries`] does not search), relative
/// to `dir`, nearest first and sorted within a level: examples for the message that a directory has no entry. Only
/// names are read; symlinks and hidden directories are not entered, and the walk stops after a few levels and a
/// bounded number of directories, so a large tree costs little.
pub fn tsk_files_below(dir: &Path, limit: usize) -> Vec<PathBuf> {
    const MAX_DEPTH: usize = 3;
    const MAX_DIRS: usize = 256;
    let mut found = Vec::new();
    let mut level = vec![PathBuf::new()];
    let mut visited = 0;
    for depth in 0..=MAX_DEPTH {
        let mut next = Vec::new();
        let mut files = Vec::new();
        for rel in &level {
            if visited == MAX_DIRS {
                break;
            }
            visited += 1;
            let Ok(read) = std::fs::read_dir(dir.join(rel)) else {
                continue;
            };
            for e in read.filter_map(|e| e.ok()) {
                let Ok(kind) = e.file_type() else {
                    continue;
                };
                let name = e.file_name();
                let path = rel.join(&name);
                if kind.is_dir() && !name.to_string_lossy().starts_with('.') {
                    next.push(path);
                } else if depth > 0
                    && kind.is_file()
                    && path.extension().is_some_and(|x| x == "tsk")
                {
                    files.push(path);
                }
            }
        }
        files.sort();
        found.extend(files);
        if found.len() >= limit || next.is_empty() {
            break;
        }
        next.sort();
        level = next;
    }
    found.truncate(limit);
    found
}

/// Reads project files from disk, confined to the project root. A clone shares nothing with the original but the
/// files read so far (`Session::build_texts` gives each thread one).
#[derive(Debug, Clone)]
pub struct DiskLoader {
    /// Canonical, for the confinement check.
    root: PathBuf,
    /// As the user named it, for messages (never a machine-specific absolute path they did not type).
    display_root: PathBuf,
    data: HashMap<PathBuf, Arc<str>>,
    /// Texts that replace files on disk, by absolute path (the language server's open editor buffers, which may be
    /// unsaved or not on disk at all).
    pub overlay: HashMap<PathBuf, String>,
    /// Read nothing from disk: the overlay holds every file there is (a project given as texts, [`Self::in_memory`]).
    memory: bool,
}

impl DiskLoader {
    pub fn new(root: PathBuf, display_root: PathBuf) -> Self {
        DiskLoader {
            root,
            display_root,
            data: HashMap::new(),
            overlay: HashMap::new(),
            memory: false,
        }
    }

    /// A loader over `files` (paths relative to the project root, with their texts) that never reads the disk: `use`
    /// and `@file` between the given files work, every other path is "not found". `root` is a name for the project
    /// directory, never looked at.
    pub fn in_memory(root: PathBuf, files: impl IntoIterator<Item = (PathBuf, String)>) -> Self {
        let overlay = files
            .into_iter()
            .map(|(path, text)| (normalize(&root.join(path)), text))
            .collect();
        DiskLoader {
            display_root: PathBuf::from("."),
            root,
            data: HashMap::new(),
            overlay,
            memory: true,
        }
    }

    /// [`place`] on disk; for an in-memory project, inside when under the root and found among the files.
    fn place(&self, path: &Path) -> Place {
        if !self.memory {
            return place(&self.root, path);
        }
        let path = normalize(&self.root.join(path));
        match (
            path.starts_with(&self.root),
            self.overlay.contains_key(&path),
        ) {
            (false, _) => Place::Outside,
            (true, true) => Place::Inside(Some(path)),
            (true, false) => Place::Inside(None),
        }
    }

    /// A file's bytes from disk; an in-memory project has no file that is not in the overlay.
    fn read(&self, canonical: &Path) -> std::io::Result<Vec<u8>> {
        match self.memory {
            true => match self.overlay.get(canonical) {
                Some(text) => Ok(text.clone().into_bytes()),
                None => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
            },
            false => crate::user_file::read(canonical),
        }
    }

    /// The names of the files in `dir` (for "did you mean").
    fn file_names(&self, dir: &Path) -> Vec<String> {
        if self.memory {
            let dir = normalize(dir);
            return self
                .overlay
                .keys()
                .filter(|p| p.parent() == Some(&*dir))
                .filter_map(|p| p.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .collect();
        }
        std::fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every file `@file` has read so far (canonical path, text), in no particular order: the library's cache
    /// watches them for edits.
    pub fn data_files(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.data.iter().map(|(p, t)| (p.as_path(), &**t))
    }

    /// Whether the loader reads the disk (not a project given as texts, [`Self::in_memory`]).
    pub fn on_disk(&self) -> bool {
        !self.memory
    }

    /// An open buffer's text for `path` (absolute), if the language server has one.
    fn buffer(&self, path: &Path) -> Option<String> {
        self.overlay.get(path).cloned()
    }

    /// Load an entry file named on the command line (or in the manifest).
    pub fn load_entry(
        &mut self,
        sources: &mut SourceMap,
        display: &Path,
    ) -> Result<FileId, Diagnostic> {
        let canonical = match self.place(display) {
            Place::Outside => return Err(self.outside("entry", &display.display().to_string())),
            Place::Inside(Some(c)) => c,
            // An editor buffer not saved to disk yet.
            Place::Inside(None) if display.is_absolute() && self.overlay.contains_key(display) => {
                display.to_path_buf()
            }
            Place::Inside(None) => {
                let e = std::io::Error::from(std::io::ErrorKind::NotFound);
                return Err(io_error(display, &e));
            }
        };
        if let Some(id) = sources.find(&FileKind::Disk(canonical.clone())) {
            return Ok(id);
        }
        if let Some(text) = self.buffer(&canonical) {
            return Ok(sources.add(
                FileKind::Disk(canonical),
                display.display().to_string(),
                text,
            ));
        }
        let bytes = self.read(&canonical).map_err(|e| io_error(display, &e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Diagnostic::error(
                Code::InvalidUtf8,
                format!(
                    "`{}` is not UTF-8 (invalid byte at offset {})",
                    display.display(),
                    e.utf8_error().valid_up_to()
                ),
            )
            .help("tuskc reads UTF-8 text; re-encode the file")
        })?;
        Ok(sources.add(
            FileKind::Disk(canonical),
            display.display().to_string(),
            text,
        ))
    }

    /// Resolve `path` written in `from` to (canonical path, display path), checking confinement.
    fn resolve(
        &self,
        sources: &SourceMap,
        from: FileId,
        path: &str,
        span: Span,
        what: &str,
    ) -> Result<(PathBuf, PathBuf), Diagnostic> {
        let file = sources.get(from);
        let (Some(dir), FileKind::Disk(_)) = (file.dir(), &file.kind) else {
            return Err(Diagnostic::error(
                Code::UseNotFound,
                format!("{what} `{path}` cannot be resolved from `{}`", file.name),
            )
            .primary(from, span, "only project files can name project paths"));
        };
        let display_dir = Path::new(&file.name)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let joined = dir.join(path);
        let canonical = match self.place(&joined) {
            // Nothing about files outside (not even whether one exists) is told.
            Place::Outside => {
                return Err(self.outside(what, path).primary(
                    from,
                    span,
                    "leaves the project directory",
                ))
            }
            Place::Inside(Some(c)) => c,
            Place::Inside(None) => {
                let mut d =
                    Diagnostic::error(Code::UseNotFound, format!("{what} `{path}` not found"))
                        .primary(
                            from,
                            span,
                            format!(
                                "no file at {}",
                                normalize(&display_dir.join(path)).display()
                            ),
                        );
                let siblings = self.file_names(joined.parent().unwrap_or(dir));
                let wanted = Path::new(path)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let base = match display_dir.as_os_str().is_empty() {
                    true => ".".to_string(),
                    false => display_dir.display().to_string(),
                };
                d = d.help(match did_you_mean(&wanted, siblings.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "a {what} path is relative to the file that names it, here `{base}`: fix the path or create the file"
                    ),
                });
                if what == "@file" {
                    d.code = Code::FileDirective;
                }
                return Err(d);
            }
        };
        Ok((canonical, normalize(&display_dir.join(path))))
    }

    /// TSK0212 for the `what` (entry, module, `@file`) at `path`, which leaves the project.
    fn outside(&self, what: &str, path: &str) -> Diagnostic {
        Diagnostic::error(
            Code::PathOutsideProject,
            format!("{what} `{path}` is outside the project"),
        )
        .note(format!(
            "the project directory is {}",
            self.display_root.display()
        ))
        .help(
            "move the file into the project, or put a tuskc.toml in a directory that contains both",
        )
    }
}

impl ModuleLoader for DiskLoader {
    fn load_module(
        &mut self,
        sources: &mut SourceMap,
        from: FileId,
        path: &str,
        span: Span,
    ) -> Result<FileId, Diagnostic> {
        if let Some(rest) = path.strip_prefix("std/") {
            return stdlib::load(sources, path).ok_or_else(|| {
                let d = Diagnostic::error(
                    Code::UseNotFound,
                    format!("the standard library has no module `{path}`"),
                )
                .primary(from, span, "unknown module");
                let names = stdlib::MODULES.iter().map(|(n, _)| n.get(4..).unwrap_or(n));
                d.help(
                    match did_you_mean(rest.trim_end_matches(".tsk"), names.clone()) {
                        Some(s) => format!("did you mean `std/{s}`?"),
                        None => format!(
                            "the standard library's modules are {}",
                            names
                                .map(|n| format!("`std/{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                )
            });
        }
        let path = module_file(path);
        let (canonical, display) = self.resolve(sources, from, &path, span, "module")?;
        if let Some(id) = sources.find(&FileKind::Disk(canonical.clone())) {
            return Ok(id);
        }
        if let Some(text) = self.buffer(&canonical) {
            return Ok(sources.add(
                FileKind::Disk(canonical),
                display.display().to_string(),
                text,
            ));
        }
        let bytes = self
            .read(&canonical)
            .map_err(|e| io_error(&display, &e).primary(from, span, "cannot read"))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Diagnostic::error(
                Code::InvalidUtf8,
                format!("module `{}` is not UTF-8", display.display()),
            )
            .primary(from, span, "used here")
        })?;
        Ok(sources.add(
            FileKind::Disk(canonical),
            display.display().to_string(),
            text,
        ))
    }

    fn read_data(
        &mut self,
        sources: &SourceMap,
        from: FileId,
        path: &str,
        span: Span,
    ) -> Result<Arc<str>, Diagnostic> {
        let (canonical, display) = self.resolve(sources, from, path, span, "@file")?;
        if let Some(t) = self.data.get(&canonical) {
            return Ok(t.clone());
        }
        let bytes = self.read(&canonical).map_err(|e| {
            let mut d = io_error(&display, &e).primary(from, span, "cannot read");
            d.code = Code::FileDirective;
            d
        })?;
        let text: Arc<str> = String::from_utf8(bytes)
            .map_err(|_| {
                Diagnostic::error(
                    Code::FileDirective,
                    format!("`{}` is not UTF-8 text", display.display()),
                )
                .primary(from, span, "read here")
                .help("@file reads text files only")
            })?
            .into();
        self.data.insert(canonical, text.clone());
        Ok(text)
    }
}
