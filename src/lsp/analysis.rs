//! One analysis of a project as the editor sees it: open buffers over the files on disk, every entry compiled for
//! the targets the settings choose, the diagnostics, and the built values hover shows.
//!
//! Invariants: secrets are never decrypted (reference mode, no identity: the server cannot print what it never
//! has); values shown go through `Value::describe` or `secrets::redact`; nothing here talks to the client.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::driver::Session;
use crate::ir::Target;
use crate::ir::{Merged, Node, ObjectNode, Program};
use crate::lower::project::{discover, place, Place};
use crate::query::resolve::{self, Reached};
use crate::source::{FileId, FileKind, Span};
use crate::syntax::ast::Ast;
use crate::value::{LayerId, Value};

/// Which targets to check: from the client's settings, else the manifest's `[lsp]`, else all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub env: Option<String>,
    pub provider: Option<String>,
}

impl Settings {
    /// `{"env": "...", "provider": "..."}`, also nested under `tuskc` (VS Code's configuration section).
    pub fn from_json(v: &serde_json::Value) -> Settings {
        let v = v.get("tuskc").unwrap_or(v);
        let get = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Settings {
            env: get("env"),
            provider: get("provider"),
        }
    }
}

pub struct Analysis {
    pub session: Session,
    pub programs: Vec<Program>,
    /// Every target built: the program it belongs to, the target, its merged tree (what references resolve in) and
    /// its value (secrets masked; a definition that failed to evaluate is a `ValueKind::Error` in it, the rest
    /// evaluated as usual).
    pub built: Vec<(usize, Target, Merged, Value)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The project directory a document belongs to: the nearest manifest upwards, else its directory.
pub fn project_root(doc: &Path) -> PathBuf {
    let probe = if doc.exists() {
        doc.to_path_buf()
    } else {
        doc.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    discover(&probe)
        .map(|p| p.root)
        .unwrap_or_else(|_| doc.parent().map(Path::to_path_buf).unwrap_or_default())
}

/// Analyse the project at `root` with `docs` (open buffers, by absolute path) over the disk. `docs` in the project
/// that no entry uses are compiled as entries of their own, so every open file gets diagnostics.
pub fn analyze(
    root: &Path,
    docs: HashMap<PathBuf, String>,
    settings: &Settings,
) -> Result<Analysis, Diagnostic> {
    // Messages name files as the CLI run from the editor's directory would: relative to it when inside it.
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| root.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .map(|r| {
            if r.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                r
            }
        })
        .unwrap_or_else(|| root.to_path_buf());
    let mut session = Session::open(&shown)?;
    let mut open_here: Vec<PathBuf> = docs
        .keys()
        .filter(|p| p.starts_with(root))
        .cloned()
        .collect();
    open_here.sort();
    session.loader.overlay = docs;
    // Without a manifest every unused file of the directory is an entry; compile only those that mention an open
    // file (cheap, and it keeps an editor on a directory of unrelated files fast).
    let entries: Vec<PathBuf> = if session.project.has_manifest {
        session.project.entries.clone()
    } else {
        session
            .project
            .entries
            .iter()
            .filter(|e| {
                // An entry leaving the project is not read (nor compiled: it would only be refused).
                if place(&session.project.root, e) == Place::Outside {
                    return false;
                }
                let text = crate::user_file::read_to_string(e).unwrap_or_default();
                open_here.iter().any(|d| {
                    d.file_name()
                        .is_some_and(|n| text.contains(n.to_string_lossy().as_ref()))
                })
            })
            .cloned()
            .collect()
    };
    let mut programs = Vec::new();
    for entry in &entries {
        if let Some(p) = session.load(entry) {
            programs.push(p);
        }
    }
    for doc in open_here {
        let kind = FileKind::Disk(doc.clone());
        let covered = programs.iter().any(|p| {
            p.asts
                .iter()
                .any(|a| session.sources.get(a.file).kind == kind)
        });
        if !covered && doc.extension().is_some_and(|e| e == "tsk") {
            if let Some(p) = session.load(&doc) {
                programs.push(p);
            }
        }
    }
    let lsp = &session.project.manifest.lsp;
    let env = settings.env.clone().or_else(|| lsp.env.clone());
    let provider = settings.provider.clone().or_else(|| lsp.provider.clone());
    let inputs = session.env_inputs(&[], &[], true);
    let mut built = Vec::new();
    for (i, program) in programs.iter().enumerate() {
        for target in session.filtered_targets(program, env.as_deref(), provider.as_deref()) {
            // Reference mode: a secret is `@secret("name")`, never a value; hover shows it by `Value::describe`.
            let (merged, value, _) = session.build_around_failures(program, &target, None, &inputs);
            built.push((i, target, merged, value));
        }
    }
    let diagnostics = session.take_diagnostics();
    Ok(Analysis {
        session,
        programs,
        built,
        diagnostics,
    })
}

impl Analysis {
    /// The file id of an open document, and its syntax tree.
    pub fn document(&self, path: &Path) -> Option<(FileId, &Ast, usize)> {
        let id = self
            .session
            .sources
            .find(&FileKind::Disk(path.to_path_buf()))?;
        self.programs
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.asts.iter().find(|a| a.file == id).map(|a| (id, a, i)))
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.session.sources.get(file).text
    }

    /// The disk path of a file (`None` for stdlib modules and command-line text).
    pub fn path(&self, file: FileId) -> Option<&Path> {
        match &self.session.sources.get(file).kind {
            FileKind::Disk(p) => Some(p),
            _ => None,
        }
    }

    /// Every definition of `path` in the program, lowest layer first: (file, key span, layer).
    pub fn definitions(&self, program: usize, path: &[String]) -> Vec<(FileId, Span, LayerId)> {
        let Some(p) = self.programs.get(program) else {
            return vec![];
        };
        let mut out = Vec::new();
        for layer in p.layers.values() {
            if let Some(found) = find_node(&layer.root, path) {
                out.push(found);
            }
        }
        out
    }

    /// What a bare reference written in the object at `scope` names in each built target of `program` (in build
    /// order; a target where nothing holds its first segment gives nothing): evaluation's own lookup.
    pub fn resolve_reference(
        &self,
        program: usize,
        scope: &[String],
        written: &[String],
    ) -> Vec<Reached> {
        self.built
            .iter()
            .filter(|(i, ..)| *i == program)
            .filter_map(|(_, _, merged, _)| resolve::reference(merged, scope, written))
            .collect()
    }

    /// Where each built target of `program` defines the `$name` it uses, in build order, without repeats.
    pub fn variable_in_targets(&self, program: usize, name: &str) -> Vec<(FileId, Span)> {
        let mut out = Vec::new();
        for (_, _, merged, _) in self.built.iter().filter(|(i, ..)| *i == program) {
            if let Some(at) = resolve::variable(merged, name).filter(|at| !out.contains(at)) {
                out.push(at);
            }
        }
        out
    }

    /// Definitions of `$name`, lowest layer first.
    pub fn variable_definitions(
        &self,
        program: usize,
        name: &str,
    ) -> Vec<(FileId, Span, LayerId, Span)> {
        let Some(p) = self.programs.get(program) else {
            return vec![];
        };
        p.layers
            .values()
            .filter_map(|l| l.vars.get(name))
            .map(|leaf| {
                (
                    leaf.origin.file,
                    leaf.key_span,
                    (*leaf.origin.layer).clone(),
                    leaf.origin.span,
                )
            })
            .collect()
    }

    /// The value at `path` in each built target of `program`, grouped by how it looks: ("`6`", ["production/aws"]).
    pub fn values(&self, program: usize, path: &[String]) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for (i, target, _, value) in &self.built {
            if *i != program {
                continue;
            }
            let shown = match value.get_path(path) {
                None => "(not set)".to_string(),
                Some(v) => show_value(v),
            };
            let name = target.to_string();
            match groups.iter_mut().find(|(s, _)| *s == shown) {
                Some((_, ts)) => ts.push(name),
                None => groups.push((shown, vec![name])),
            }
        }
        groups
    }
}

/// A value for hover: compact JSON when short, else a description; secrets by reference only.
pub fn show_value(v: &Value) -> String {
    if v.failed() {
        return "(failed to evaluate)".to_string();
    }
    if v.secret || matches!(v.kind, crate::value::ValueKind::Secret(_)) || holds_failure(v) {
        return v.describe();
    }
    let json = serde_json::to_string(&crate::emit::Json(v)).unwrap_or_default();
    if json.chars().count() <= 80 {
        json
    } else {
        v.describe()
    }
}

/// Whether a value that failed to evaluate is inside `v` (its JSON would show it as null).
fn holds_failure(v: &Value) -> bool {
    match &v.kind {
        crate::value::ValueKind::Error => true,
        crate::value::ValueKind::Object(map) => map.values().any(holds_failure),
        crate::value::ValueKind::Array(items) => items.iter().any(holds_failure),
        _ => false,
    }
}

fn find_node(root: &ObjectNode, path: &[String]) -> Option<(FileId, Span, LayerId)> {
    let mut cur = root;
    for (i, seg) in path.iter().enumerate() {
        match cur.fields.get(seg.as_str())? {
            Node::Object(o) => {
                if i + 1 == path.len() {
                    return Some((o.origin.file, o.origin.span, (*o.origin.layer).clone()));
                }
                cur = o;
            }
            Node::Leaf(l) => {
                return Some((l.origin.file, l.key_span, (*l.origin.layer).clone()));
            }
            Node::Delete(o) => return Some((o.file, o.span, (*o.layer).clone())),
        }
    }
    None
}
