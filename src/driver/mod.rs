//! The driver: one compilation session over a project, as the CLI (and later the language server) uses it.
//!
//! Owns: choosing targets (declared environments × providers, defaults, "did you mean"), the command-line inputs
//! (`--set`, `--var`, `--env-file`), and running load → lower → merge → evaluate. Invariants: a project is parsed and
//! lowered once per entry however many targets are built; diagnostics go to the session's sink, never printed here;
//! problems with command-line values are flagged as usage errors (exit code 2).

mod reuse;
pub(crate) mod stream;

use std::path::Path;

use indexmap::{IndexMap, IndexSet};

use crate::diagnostic::{did_you_mean, Code, Diagnostic, Sink};
use crate::emit::{emit_sized, Format};
use crate::eval::{EnvInputs, Evaluator};
use crate::ir::schema::Binding;
use crate::ir::{Layer, Program};
use crate::ir::{Merged, Target};
use crate::lower::project::{discover, DiskLoader, Project};
use crate::lower::{check_set_deletes, lower_program, override_layer};
use crate::merge::{layer_order, merge};
use crate::schema::check::Checker;
use crate::secrets::{IdentitySource, SecretMode, SecretResolver};
use crate::source::{FileId, FileKind, SourceMap, Span};
use crate::syntax::ast::{Expr, ExprKind, Ident, StrPart, StringStyle};
use crate::syntax::{parse_expression, parse_key_path};
use crate::value::Value;

pub struct Session {
    pub sources: SourceMap,
    pub sink: Sink,
    pub project: Project,
    pub loader: DiskLoader,
    /// A command-line value or name was wrong (exit code 2 rather than 1).
    pub usage_error: bool,
    /// Every target built so far, in order (for naming the targets a diagnostic applies to).
    pub built: Vec<Target>,
    /// How `@secret` is answered (reference by default), with the project's stores and the identity.
    pub secrets: SecretResolver,
    /// Keep each file's syntax tree in the loaded [`Program`] (`Program::asts`: the language server, `explain`,
    /// drift's key spans and `fmt` read them). `build --all` turns it off: building needs only the lowered layers, and
    /// dropping each tree once lowered keeps peak memory down.
    pub keep_syntax: bool,
    /// How many threads loading may use: with more than one (and no syntax trees kept), a long file is parsed in
    /// parts on up to this many threads while the parts parsed so far are lowered. The command line gives its
    /// `--jobs`; 1 by default.
    pub threads: usize,
}

impl Session {
    pub fn open(path: &Path) -> Result<Session, Diagnostic> {
        let project = discover(path)?;
        let loader = DiskLoader::new(project.root.clone(), project.display_root.clone());
        Ok(Session::with(project, loader))
    }

    /// A fresh session over `project`, reading through `loader`: secrets as references, no identity.
    fn with(project: Project, loader: DiskLoader) -> Session {
        let secrets = SecretResolver::new(
            SecretMode::Reference,
            project.store_dir(),
            IdentitySource::None,
        );
        Session {
            sources: SourceMap::new(),
            sink: Sink::new(),
            project,
            loader,
            usage_error: false,
            built: Vec::new(),
            secrets,
            keep_syntax: true,
            threads: 1,
        }
    }

    /// A session over a project given as texts (`(path, text)`, paths relative to the project directory), read from
    /// nothing on disk: `use` and `@file` between the given files work. The first file is the entry; the project has
    /// no manifest (environments and providers are the blocks the files declare).
    pub fn in_memory(files: Vec<(String, String)>) -> Session {
        let root = std::path::PathBuf::from("/<memory>");
        let entries: Vec<std::path::PathBuf> = files
            .first()
            .map(|(name, _)| crate::user_file::normalize(Path::new(name)))
            .into_iter()
            .collect();
        let loader = DiskLoader::in_memory(
            root.clone(),
            files.into_iter().map(|(name, text)| (name.into(), text)),
        );
        let project = Project {
            root,
            display_root: std::path::PathBuf::from("."),
            manifest: Default::default(),
            has_manifest: false,
            entries,
            manifest_text: None,
            entry_spans: Vec::new(),
        };
        Session::with(project, loader)
    }

    /// Choose how `@secret` is answered for the rest of the session.
    pub fn set_secrets(&mut self, mode: SecretMode, identity: IdentitySource) {
        self.secrets = SecretResolver::new(mode, self.project.store_dir(), identity);
    }

    fn usage(&mut self, d: Diagnostic) {
        self.usage_error = true;
        self.sink.push(d);
    }

    /// Parse and lower one entry file with its modules. `None` if the entry itself cannot be read.
    pub fn load(&mut self, entry: &Path) -> Option<Program> {
        match self.loader.load_entry(&mut self.sources, entry) {
            Ok(id) => {
                let errors_before = self.sink.error_count();
                let mut program = lower_program(
                    id,
                    &mut self.sources,
                    &mut self.loader,
                    &mut self.sink,
                    self.keep_syntax,
                    self.threads,
                );
                let mut schemas = std::mem::take(&mut program.schemas);
                let bindings: Vec<&Binding> = program
                    .layers
                    .values()
                    .flat_map(|layer| &layer.bindings)
                    .collect();
                schemas.validate(&bindings, &self.sources, &mut self.sink);
                program.schemas = schemas;
                crate::lower::lint(&mut program, errors_before, &mut self.sink);
                self.check_closed_lists(&mut program);
                Some(program)
            }
            Err(d) => {
                let d = self.at_manifest_entry(d, entry, true, "listed here");
                self.usage(d);
                None
            }
        }
    }

    /// A manifest that lists `environments` (`providers`) closes the list: an `env` (`provider`) block naming
    /// another is a misspelling (TSK0220 / TSK0221 at the block's name), never a new target that silently goes
    /// without the overlay meant for it. An `extends` naming an environment no block declares is reported by
    /// lowering; one naming an unlisted block is the block's own error. Without a list, blocks declare names.
    fn check_closed_lists(&mut self, program: &mut Program) {
        let m = &self.project.manifest.project;
        let lists = [
            (
                m.environments.clone(),
                &program.environments,
                Code::UnknownEnvironment,
                "environment",
                "environments",
            ),
            (
                m.providers.clone(),
                &program.providers,
                Code::UnknownProvider,
                "provider",
                "providers",
            ),
        ];
        let mut found = Vec::new();
        for (list, declared, code, what, key) in lists {
            let Some(list) = list.filter(|l| !l.get_ref().is_empty()) else {
                continue;
            };
            for (name, decl) in declared {
                if list.get_ref().contains(name) {
                    continue;
                }
                let mut d = Diagnostic::error(
                    code,
                    format!("{what} `{name}` is not one of the {key} tuskc.toml lists"),
                )
                .primary(decl.file, decl.span, format!("not in `{key}`"))
                .note(format!(
                    "{key} in tuskc.toml: {}",
                    list.get_ref().join(", ")
                ));
                d = match did_you_mean(name, list.get_ref().iter().map(String::as_str)) {
                    Some(s) => d.help(format!(
                        "did you mean `{s}`? Otherwise add `{name}` to {key} in tuskc.toml"
                    )),
                    None => d.help(format!(
                        "add `{name}` to {key} in tuskc.toml, or fix the name"
                    )),
                };
                found.push((d, list.span()));
            }
        }
        for (d, span) in found {
            let d = self.at_manifest(d, Span::new(span.start, span.end), "the list");
            program.has_errors = true;
            self.sink.push(d);
        }
    }

    /// `d` with a secondary label at `span` of `tuskc.toml`.
    fn at_manifest(&mut self, d: Diagnostic, span: Span, message: &str) -> Diagnostic {
        match self.manifest_file() {
            Some(file) => d.secondary(file, span, message),
            None => d,
        }
    }

    /// `tuskc.toml` as one of the session's sources (added the first time), when the project has one.
    fn manifest_file(&mut self) -> Option<FileId> {
        let (name, text) = self.project.manifest_text.as_ref()?;
        let kind = FileKind::Disk(self.project.root.join(crate::lower::project::MANIFEST));
        Some(match self.sources.find(&kind) {
            Some(f) => f,
            None => self
                .sources
                .add(kind, name.display().to_string(), text.clone()),
        })
    }

    /// Label `d` at the line of `tuskc.toml` that lists `entry`, when the manifest lists it (primary or not): a
    /// problem with an entry is fixed there. The manifest joins the session's sources the first time.
    pub fn at_manifest_entry(
        &mut self,
        d: Diagnostic,
        entry: &Path,
        primary: bool,
        message: &str,
    ) -> Diagnostic {
        let Some((_, span)) = self.project.entry_spans.iter().find(|(e, _)| e == entry) else {
            return d;
        };
        let span = *span;
        let Some(file) = self.manifest_file() else {
            return d;
        };
        match primary {
            true => d.primary(file, span, message),
            false => d.secondary(file, span, message),
        }
    }

    /// A project with no entry is a usage error (exit 2) for every command that compiles entries, never "checked 0
    /// targets": the message says where tuskc looked, that subdirectories are not searched, and how to name entries,
    /// with `.tsk` files found below as examples.
    pub fn no_entry(&mut self) {
        let dir = &self.project.display_root;
        let below = crate::lower::project::tsk_files_below(dir, 3);
        let mut d = Diagnostic::error(
            Code::Manifest,
            format!("no .tsk entry file in `{}`", dir.display()),
        )
        .note(format!(
            "entries are the .tsk files directly in `{}` that no other file there `use`s; subdirectories are not searched",
            dir.display()
        ));
        d = match below.first() {
            Some(first) => {
                let names: Vec<String> = below
                    .iter()
                    .map(|p| crate::user_file::normalize(&dir.join(p)).display().to_string())
                    .collect();
                d.note(format!("found below it: {}", names.join(", ")))
                    .help(format!(
                        "name the file (`{}`), or list the entries in {}: `entries = [\"{}\"]` under `[project]`",
                        names[0],
                        crate::lower::project::MANIFEST,
                        first.display()
                    ))
            }
            None => d.help(format!(
                "name a .tsk file, or list the entries in {}: `entries = [\"app.tsk\"]` under `[project]`",
                crate::lower::project::MANIFEST
            )),
        };
        self.usage_error = true;
        self.sink.push(d);
    }

    /// The one entry a single-target command (`build`, `get`, `explain`, the library's `Project`) means: a usage error
    /// naming the entries when there are none or several.
    /// `builds_all`: the command takes `--all --out-dir DIR` (`build`), so the help may offer it.
    pub fn single_entry(&mut self, builds_all: bool) -> Option<std::path::PathBuf> {
        match self.project.entries.as_slice() {
            [one] => Some(one.clone()),
            [] => {
                self.no_entry();
                None
            }
            many => {
                self.usage_error = true;
                let names: Vec<String> = many.iter().map(|p| p.display().to_string()).collect();
                self.sink.push(
                    Diagnostic::error(
                        Code::Manifest,
                        format!(
                            "`{}` has {} entry files; name one",
                            self.project.display_root.display(),
                            many.len()
                        ),
                    )
                    .note(format!("entries: {}", names.join(", ")))
                    .help(if builds_all {
                        "pass the file, or use --all --out-dir DIR to build them all"
                    } else {
                        "pass one of the entry files"
                    }),
                );
                None
            }
        }
    }

    /// Declared environments and providers: the manifest's first, then those named in source, each once. A list
    /// the manifest gives is closed (`check_closed_lists`): a block outside it declares nothing.
    pub fn declared(&self, program: &Program) -> (Vec<String>, Vec<String>) {
        let m = &self.project.manifest.project;
        let declared = |listed: &[String], blocks: &IndexMap<String, _>| {
            let mut names = listed.to_vec();
            if listed.is_empty() {
                names.extend(blocks.keys().cloned());
            }
            names
        };
        (
            declared(m.environments(), &program.environments),
            declared(m.providers(), &program.providers),
        )
    }

    /// Every target of the program: declared environments × providers (a dimension with none declared is `None`).
    pub fn all_targets(&self, program: &Program) -> Vec<Target> {
        let (envs, providers) = self.declared(program);
        let envs: Vec<Option<String>> = if envs.is_empty() {
            vec![None]
        } else {
            envs.into_iter().map(Some).collect()
        };
        let providers: Vec<Option<String>> = if providers.is_empty() {
            vec![None]
        } else {
            providers.into_iter().map(Some).collect()
        };
        envs.iter()
            .flat_map(|e| {
                providers.iter().map(move |p| Target {
                    env: e.clone(),
                    provider: p.clone(),
                })
            })
            .collect()
    }

    /// Targets matching an optional `--env` / `--provider` filter (for `check`).
    pub fn filtered_targets(
        &mut self,
        program: &Program,
        env: Option<&str>,
        provider: Option<&str>,
    ) -> Vec<Target> {
        let (envs, providers) = self.declared(program);
        if let Some(e) = env {
            if !self.check_name(e, &envs, true) {
                return vec![];
            }
        }
        if let Some(p) = provider {
            if !self.check_name(p, &providers, false) {
                return vec![];
            }
        }
        self.all_targets(program)
            .into_iter()
            .filter(|t| env.is_none_or(|e| t.env.as_deref() == Some(e)))
            .filter(|t| provider.is_none_or(|p| t.provider.as_deref() == Some(p)))
            .collect()
    }

    fn check_name(&mut self, name: &str, declared: &[String], env: bool) -> bool {
        if declared.iter().any(|d| d == name) {
            return true;
        }
        let (what, code, flag) = if env {
            ("environment", Code::UnknownEnvironment, "--env")
        } else {
            ("provider", Code::UnknownProvider, "--provider")
        };
        let shown = crate::secrets::shown_argument(name);
        let mut d = Diagnostic::error(code, format!("unknown {what} `{shown}` (from {flag})"));
        d = if declared.is_empty() {
            d.note(format!("this project declares no {what}s; omit {flag}"))
        } else {
            d.note(format!("declared {what}s: {}", declared.join(", ")))
        };
        d = match did_you_mean(name, declared.iter().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None if declared.is_empty() => d.help(format!(
                "omit {flag}, or list the {what} in tuskc.toml (`{what}s = [...]` under `[project]`)"
            )),
            None => d.help(format!("pass {flag} with one of the declared {what}s")),
        };
        self.usage(d);
        false
    }

    /// The single target a `build`/`get`/`explain`/`drift` means: the flags, else the manifest's defaults.
    /// `builds_all`: the command takes `--all --out-dir DIR` (`build`), so TSK0224's help may offer it.
    pub fn select_target(
        &mut self,
        program: &Program,
        env: Option<&str>,
        provider: Option<&str>,
        builds_all: bool,
    ) -> Option<Target> {
        let (envs, providers) = self.declared(program);
        let m = &self.project.manifest.project;
        let env = env.map(str::to_string).or_else(|| m.default_env.clone());
        let provider = provider
            .map(str::to_string)
            .or_else(|| m.default_provider.clone());
        let mut ok = true;
        for (name, declared, is_env) in [(&env, &envs, true), (&provider, &providers, false)] {
            match name {
                Some(n) => ok &= self.check_name(n, declared, is_env),
                None if !declared.is_empty() => {
                    let (what, flag, key) = if is_env {
                        ("environments", "--env", "default_env")
                    } else {
                        ("providers", "--provider", "default_provider")
                    };
                    let help = match builds_all {
                        true => format!("pass {flag} NAME, set `{key}` in tuskc.toml, or build every target with --all --out-dir DIR"),
                        false => format!("pass {flag} NAME, or set `{key}` in tuskc.toml"),
                    };
                    self.usage(
                        Diagnostic::error(
                            Code::MissingTarget,
                            format!("this project declares {what}; choose one with {flag}"),
                        )
                        .note(format!("declared {what}: {}", declared.join(", ")))
                        .help(help),
                    );
                    ok = false;
                }
                None => {}
            }
        }
        ok.then_some(Target { env, provider })
    }

    /// The `--set path=value` layer, each lowered as the overlay line `path: value` (so `{...}` merges into the
    /// object below). A value that parses as an expression is one (`3`, `true`, `[1, 2]`, `$x`, `{port: 1}`);
    /// anything else, including a bare word, is taken as a string.
    pub fn overrides(&mut self, sets: &[String]) -> Option<Layer> {
        if sets.is_empty() {
            return None;
        }
        let mut entries = Vec::new();
        for set in sets {
            // The key path ends at the first `=` after a whole key path (a quoted key may hold `=`).
            let parsed_path = set
                .match_indices('=')
                .find_map(|(i, _)| Some((parse_key_path(&set[..i], FileId(0))?, i)));
            let Some((key_path, eq)) = parsed_path else {
                self.usage(bad_set_path(set));
                continue;
            };
            let (path, value) = (&set[..eq], &set[eq + 1..]);
            let file = self.sources.add(
                FileKind::CommandLine(format!("--set {path}")),
                format!("--set {path}"),
                value.to_string(),
            );
            let parsed =
                parse_expression(value, file).filter(|e| !matches!(e.kind, ExprKind::Reference(_)));
            // Text is what a bare word means; a value that begins as an expression does (a directive, an object, a
            // list, a quoted string, a variable) and does not parse is a mistake, never text that silently replaces
            // the key (`--set 'k={a: 1'` used to set the string "{a: 1").
            let starts_expression = value
                .trim_start()
                .starts_with(['@', '{', '[', '"', '\'', '$', '(']);
            if parsed.is_none() && starts_expression {
                self.usage(
                    Diagnostic::error(
                        Code::Usage,
                        format!(
                            "the value of `--set {}` is not a complete expression",
                            crate::secrets::shown_argument(path)
                        ),
                    )
                    .note("a value that starts with @ { [ \" ' $ or ( is read as an expression, not as text")
                    .help(format!(
                        "close what it opens, or quote it to set text: --set '{}=\"...\"'",
                        crate::secrets::shown_argument(path)
                    )),
                );
                continue;
            }
            let expr = parsed.unwrap_or_else(|| Expr {
                kind: ExprKind::Str {
                    parts: vec![StrPart::Lit(value.to_string())],
                    style: StringStyle::Double,
                },
                span: Span::new(0, value.len()),
            });
            // The command line has no place for the key to point at.
            let path = key_path
                .segments
                .into_iter()
                .map(|s| Ident {
                    name: s.name,
                    span: Span::default(),
                })
                .collect();
            entries.push((path, expr, file));
        }
        // A `--set` value that does not lower (`@delete(1)`, `@replace(a, b)`) is a command-line mistake: nothing is
        // built from it, as from any other usage error.
        let errors = self.sink.error_count();
        let layer = override_layer(entries, &mut self.sources, &mut self.sink);
        if self.sink.error_count() > errors {
            self.usage_error = true;
        }
        Some(layer)
    }

    /// `@env` inputs: `--var` over `--env-file` (later files win) over the process environment.
    pub fn env_inputs(
        &mut self,
        vars: &[String],
        env_files: &[std::path::PathBuf],
        process_env: bool,
    ) -> EnvInputs {
        let mut map: IndexMap<String, String> = IndexMap::new();
        for path in env_files {
            match crate::user_file::read_to_string(path) {
                Ok(text) => {
                    let file = self.sources.add(
                        FileKind::CommandLine(path.display().to_string()),
                        path.display().to_string(),
                        text.clone(),
                    );
                    for (k, v) in crate::emit::read::parse_env_file(&text, file, &mut self.sink) {
                        map.insert(k, v);
                    }
                }
                Err(e) => self.usage(crate::user_file::read_error(
                    &format!("env file `{}`", path.display()),
                    &e,
                )),
            }
        }
        for var in vars {
            match var.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    map.insert(k.trim().to_string(), v.to_string());
                }
                _ => self.usage(Diagnostic::error(
                    Code::Usage,
                    format!(
                        "`--var {}` needs the form NAME=VALUE",
                        crate::secrets::shown_argument(var)
                    ),
                )),
            }
        }
        EnvInputs {
            vars: map,
            process_env,
            read: Default::default(),
        }
    }

    /// Merge, evaluate and type-check one target. Diagnostics it reports are tagged with the target, so the same
    /// problem in several targets is reported once, naming them all. `None` when a value failed to evaluate: the
    /// target has no value (its other values were still evaluated and checked, their errors reported too).
    pub fn build(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
    ) -> Option<(Merged, Value)> {
        let (merged, value, failed) =
            self.build_around_failures(program, target, overrides, inputs);
        (!failed).then_some((merged, value))
    }

    /// [`Self::build`], keeping the tree of a target whose evaluation failed: each definition that failed is a
    /// [`crate::value::ValueKind::Error`] in it, and the flag says whether there is one (the language server shows
    /// the values that did evaluate; nothing may emit such a tree).
    pub fn build_around_failures(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
    ) -> (Merged, Value, bool) {
        let built = self.worker().tree(program, target, overrides, inputs);
        self.built_target(target);
        built
    }

    /// The parts of the session one target's build uses, with the session's own loader and sink.
    fn worker(&mut self) -> Worker<'_> {
        Worker {
            sources: &self.sources,
            secrets: &self.secrets,
            loader: &mut self.loader,
            sink: &mut self.sink,
            hint: 0,
            reuse: None,
        }
    }

    /// [`Worker::run`] with the session's loader and sink (the walk's tests hold it to its oracle).
    #[cfg(test)]
    fn run_target<R>(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        run: impl for<'x> FnOnce(
            &mut Evaluator<'x>,
            &'x Merged,
            &[&'x Binding],
            Checker<'x>,
        ) -> (R, Vec<Diagnostic>),
    ) -> (R, Merged) {
        let built = self.worker().run(program, target, overrides, inputs, run);
        self.built_target(target);
        built
    }

    fn built_target(&mut self, target: &Target) {
        note_built(&mut self.built, target);
    }

    /// Build one target and write it in `format`: [`Self::build`] then [`emit_sized`] (`size_hint`: the expected
    /// length), except that JSON is streamed (`stream.rs`: the walk that builds the tree, writing each value as it
    /// is checked instead; the same text and diagnostics, a fraction of the memory traffic). `None` if the target has
    /// errors, its program has, or its value cannot be written in `format`: the diagnostics are in the sink.
    pub fn build_text(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        format: Format,
        size_hint: usize,
    ) -> Option<String> {
        let mut w = self.worker();
        w.hint = size_hint;
        let text = w.text(program, target, overrides, inputs, format);
        self.built_target(target);
        text
    }

    /// [`Self::build_text`] for each of `targets`, on up to `jobs` threads. Each target's text goes to `keep` on the
    /// thread that built it, as soon as it is built (to write it somewhere, say), and what `keep` makes of it goes
    /// to `done` in the order of `targets`, with the session's sink (to report there what failed). So a text never
    /// waits in memory for the targets before it, however the threads are scheduled. See [`Self::each_target`].
    #[allow(clippy::too_many_arguments)]
    pub fn build_texts<T: Send>(
        &mut self,
        program: &Program,
        targets: &[Target],
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        format: Format,
        jobs: usize,
        keep: impl Fn(&Target, Option<String>) -> T + Sync,
        done: impl FnMut(&mut Sink, &Target, T),
    ) {
        self.each_target(
            targets,
            inputs,
            jobs,
            |w, target, inputs| keep(target, w.text(program, target, overrides, inputs, format)),
            done,
        );
    }

    /// Check each of `targets` as [`Self::build`] does, on up to `jobs` threads (see [`Self::each_target`]), and
    /// `validate` each value that has no errors (`check --json-schema`; without it no value tree is built: the walk
    /// only checks). `done` learns, in the order of `targets`, whether each one failed.
    #[allow(clippy::too_many_arguments)]
    pub fn check_targets(
        &mut self,
        program: &Program,
        targets: &[Target],
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        jobs: usize,
        validate: Option<&Validate<'_>>,
        done: impl FnMut(&mut Sink, &Target, bool),
    ) {
        self.each_target(
            targets,
            inputs,
            jobs,
            |w, target, inputs| w.check(program, target, overrides, inputs, validate),
            done,
        );
    }

    /// Run `work` for each of `targets` on up to `jobs` threads (at most one per target), handing each result to
    /// `done` in the order of `targets`, with the session's sink. Everything `done` sees, and the sink's
    /// diagnostics, are those of building the targets one after another: each thread builds whole targets with a
    /// loader of its own and a sink per target, merged in order; the program, the sources and the secrets resolver
    /// are only read (the resolver's caches are locked).
    fn each_target<R: Send>(
        &mut self,
        targets: &[Target],
        inputs: &EnvInputs,
        jobs: usize,
        work: impl Fn(&mut Worker, &Target, &EnvInputs) -> R + Sync,
        mut done: impl FnMut(&mut Sink, &Target, R),
    ) {
        let jobs = jobs.clamp(1, targets.len().max(1));
        if jobs == 1 {
            let mut hint = 0;
            let mut reuse = reuse::Reuse::default();
            for target in targets {
                let mut w = self.worker();
                w.hint = hint;
                w.reuse = Some(&mut reuse);
                let r = work(&mut w, target, inputs);
                hint = w.hint;
                self.built_target(target);
                done(&mut self.sink, target, r);
            }
            return;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (sources, secrets) = (&self.sources, &self.secrets);
        // Claim the next target no builder has taken, and build it with this builder's loader, inputs, length hint
        // and reuse (each builder has its own), into a sink of its own.
        let build_next = |own: &mut Builder| {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let target = targets.get(i)?;
            let mut sink = Sink::new();
            let mut w = Worker {
                sources,
                secrets,
                loader: &mut own.loader,
                sink: &mut sink,
                hint: own.hint,
                reuse: Some(&mut own.reuse),
            };
            let r = work(&mut w, target, &own.inputs);
            own.hint = w.hint;
            Some((i, r, sink))
        };
        // Each builder has its own copy of the inputs: `EnvInputs::read` records lookups in order.
        let builder = || Builder {
            loader: self.loader.clone(),
            inputs: inputs.fork(),
            hint: 0,
            reuse: reuse::Reuse::default(),
        };
        let (send, receive) = std::sync::mpsc::channel::<(usize, R, Sink)>();
        let (session_sink, built) = (&mut self.sink, &mut self.built);
        // Each target's result in order: those that finish early wait for the ones before them.
        let mut waiting = std::collections::BTreeMap::new();
        let mut turn = 0;
        let mut deliver = |waiting: &mut std::collections::BTreeMap<usize, (R, Sink)>| {
            while let Some((r, sink)) = waiting.remove(&turn) {
                session_sink.extend(sink.into_vec());
                if let Some(target) = targets.get(turn) {
                    note_built(built, target);
                    done(session_sink, target, r);
                }
                turn += 1;
            }
        };
        std::thread::scope(|scope| {
            // The calling thread is one of the builders (its heap is warm from loading): `jobs - 1` more threads.
            for _ in 1..jobs {
                let (send, build_next, mut own) = (send.clone(), &build_next, builder());
                // A thread the system refuses (a process limit) is one builder fewer: the calling thread builds
                // whatever no other thread claims.
                let _ = std::thread::Builder::new().spawn_scoped(scope, move || {
                    while let Some(result) = build_next(&mut own) {
                        if send.send(result).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(send);
            let mut own = builder();
            loop {
                while let Ok((i, r, sink)) = receive.try_recv() {
                    waiting.insert(i, (r, sink));
                }
                deliver(&mut waiting);
                let Some((i, r, sink)) = build_next(&mut own) else {
                    break;
                };
                waiting.insert(i, (r, sink));
            }
            for (i, r, sink) in receive {
                waiting.insert(i, (r, sink));
                deliver(&mut waiting);
            }
        });
    }

    /// The session's diagnostics, sorted and deduplicated, each noting the targets it was reported for.
    pub fn take_diagnostics(&mut self) -> Vec<crate::diagnostic::Diagnostic> {
        let mut diags = std::mem::take(&mut self.sink).into_sorted();
        for d in &mut diags {
            if let Some(which) = self.describe_targets(&d.targets) {
                d.notes.push(which);
            }
        }
        diags
    }

    /// "production/aws, staging/*": the targets a diagnostic was reported for, grouped where a whole environment
    /// or provider fails. `None` when only one target was built (nothing to tell apart).
    pub fn describe_targets(&self, targets: &[String]) -> Option<String> {
        if self.built.len() < 2 || targets.is_empty() {
            return None;
        }
        let all: Vec<String> = self.built.iter().map(Target::to_string).collect();
        if all.iter().all(|t| targets.contains(t)) {
            return Some(format!("in all {} targets", all.len()));
        }
        let split = |t: &str| -> (String, String) {
            let (e, p) = t.split_once('/').unwrap_or((t, "-"));
            (e.to_string(), p.to_string())
        };
        let envs: IndexSet<String> = all.iter().map(|t| split(t).0).collect();
        let providers: IndexSet<String> = all.iter().map(|t| split(t).1).collect();
        let has = |e: &str, p: &str| targets.contains(&format!("{e}/{p}"));
        let mut covered: Vec<String> = Vec::new();
        let mut parts = Vec::new();
        for e in &envs {
            if providers.len() > 1 && providers.iter().all(|p| has(e, p)) {
                parts.push(format!("{e}/*"));
                covered.extend(providers.iter().map(|p| format!("{e}/{p}")));
            }
        }
        for p in &providers {
            let rest = envs
                .iter()
                .any(|e| has(e, p) && !covered.contains(&format!("{e}/{p}")));
            if envs.len() > 1 && rest && envs.iter().all(|e| has(e, p)) {
                parts.push(format!("*/{p}"));
                covered.extend(envs.iter().map(|e| format!("{e}/{p}")));
            }
        }
        for t in &all {
            if targets.contains(t) && !covered.contains(t) {
                parts.push(t.clone());
            }
        }
        Some(format!("in {}", parts.join(", ")))
    }
}

/// The usage error for a `--set` argument with no `=`, or whose key is not a key path as the language reads one
/// (`.`-separated names, integers and quoted strings), with the argument quoted as it would be.
fn bad_set_path(set: &str) -> Diagnostic {
    let shown = crate::secrets::shown_argument(set);
    let Some((path, value)) = set.split_once('=') else {
        return Diagnostic::error(
            Code::Usage,
            format!("`--set {shown}` needs the form KEY.PATH=VALUE"),
        )
        .help("for example: --set app.replicas=3");
    };
    // `$name` is a variable: not emitted, so not a key `--set` can set. Quoting it would make an output key named
    // "$name", which is not what was meant.
    if let Some(var) = path.trim().strip_prefix('$') {
        let name = var.split('.').next().unwrap_or(var);
        let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let name = if is_name { name } else { "NAME" };
        return Diagnostic::error(
            Code::Usage,
            format!("`--set {shown}`: `${}` is a variable, not a key", crate::secrets::shown_argument(name)),
        )
        .note("`--set` sets output keys; `$variables` are not output, and no flag sets one")
        .help(format!(
            "to set it from the command line, define it from the environment (`${name}: @env(\"{name}\", DEFAULT)`) and pass --var {name}=VALUE"
        ));
    }
    let d = Diagnostic::error(
        Code::Usage,
        format!("`--set {shown}`: `{}` is not a key path", crate::secrets::shown_argument(path)),
    )
    .note("a key path is keys separated by `.`, each a name (`app.database.port`), a number, or a quoted string");
    // Each segment that is not a key by itself, quoted: the path the user most likely meant.
    let quoted: Vec<String> = path
        .split('.')
        .map(|seg| match parse_key_path(seg.trim(), FileId(0)) {
            Some(k) if k.segments.len() == 1 => seg.trim().to_string(),
            _ => crate::diagnostic::quote(seg),
        })
        .collect();
    let quoted = quoted.join(".");
    let suggestion = format!("{quoted}={value}");
    if path
        .split('.')
        .all(|s| !s.trim().is_empty() && !s.contains('"'))
        && parse_key_path(&quoted, FileId(0)).is_some()
        && !suggestion.contains('\'')
        && !crate::secrets::looks_like_key_material(&suggestion)
    {
        d.help(format!(
            "quote a key that is not a name: --set '{suggestion}'"
        ))
    } else {
        d.help("for example: --set app.database.port=5432, or --set 'app.\"my key\"=1'")
    }
}

/// Record `target` among the targets built ([`Session::built`]), once.
fn note_built(built: &mut Vec<Target>, target: &Target) {
    if !built.contains(target) {
        built.push(target.clone());
    }
}

/// A check of a target's value besides its schemas (`check --json-schema`), run on any thread.
pub type Validate<'v> = dyn Fn(&Value, &SourceMap) -> Vec<Diagnostic> + Sync + 'v;

/// What one builder of [`Session::each_target`] keeps from target to target.
struct Builder {
    loader: DiskLoader,
    inputs: EnvInputs,
    hint: usize,
    reuse: reuse::Reuse,
}

/// What building one target uses besides the program: the sources and the secrets resolver, shared read-only by
/// every thread building a target, and a loader and a sink of the builder's own (the session's, or a thread's in
/// [`Session::build_texts`]).
struct Worker<'s> {
    sources: &'s SourceMap,
    secrets: &'s SecretResolver,
    loader: &'s mut DiskLoader,
    sink: &'s mut Sink,
    /// The expected length of the next text: the last one's (targets of one project have texts of about the same
    /// length).
    hint: usize,
    /// What this builder's earlier targets of the same program wrote, for the next ones ([`reuse::Reuse`]).
    reuse: Option<&'s mut reuse::Reuse>,
}

impl Worker<'_> {
    /// Merge one target and hand `run` its evaluator, merged tree, bindings (in check order) and a checker; the
    /// check diagnostics `run` returns are reported after the evaluator's, and all are tagged with the target.
    fn run<R>(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        run: impl for<'x> FnOnce(
            &mut Evaluator<'x>,
            &'x Merged,
            &[&'x Binding],
            Checker<'x>,
        ) -> (R, Vec<Diagnostic>),
    ) -> (R, Merged) {
        if let Some(set) = overrides {
            // The same for every target: untagged, so the copies merge into one report per run.
            check_set_deletes(program, set, self.sources, self.sink);
        }
        let mark = self.sink.len();
        let merged = merge(program, target, overrides);
        let bindings = bindings(program, target);
        let mut ev = Evaluator::new(
            &merged,
            self.sources,
            self.loader,
            self.sink,
            target,
            inputs,
        );
        ev.secrets = Some(self.secrets);
        let checker = Checker::new(&program.schemas, self.sources, target).with_merged(&merged);
        let (r, checks) = run(&mut ev, &merged, &bindings, checker);
        self.sink.extend(checks);
        self.sink.tag_targets(mark, &target.to_string());
        (r, merged)
    }

    /// The target's whole tree, and whether a value failed ([`Session::build_around_failures`]).
    fn tree(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
    ) -> (Merged, Value, bool) {
        let redact = self.secrets.mode == SecretMode::Redact;
        let ((value, failed), merged) =
            self.run(program, target, overrides, inputs, |ev, merged, bindings, checker| {
                let (mut v, checks) = stream::tree(ev, merged, checker, bindings);
                if redact {
                    crate::secrets::redact(&mut v);
                }
                ((v, ev.failed()), checks)
            });
        (merged, value, failed)
    }

    /// The target's text in `format` ([`Session::build_text`]).
    fn text(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        format: Format,
    ) -> Option<String> {
        let text = self.text_sized(program, target, overrides, inputs, format, self.hint);
        if let Some(t) = &text {
            self.hint = t.len();
        }
        text
    }

    fn text_sized(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        format: Format,
        size_hint: usize,
    ) -> Option<String> {
        let errors = self.sink.error_count();
        let redact = self.secrets.mode == SecretMode::Redact;
        if format == Format::Json {
            let mut reuse = self.reuse.take();
            let (text, _) =
                self.run(program, target, overrides, inputs, |ev, merged, bindings, checker| {
                    let reuse = reuse.as_deref_mut();
                    stream::json(ev, merged, checker, bindings, redact, size_hint, reuse)
                });
            self.reuse = reuse;
            return text.filter(|_| !program.has_errors && self.sink.error_count() == errors);
        }
        let (_, value, failed) = self.tree(program, target, overrides, inputs);
        if failed || program.has_errors || self.sink.error_count() > errors {
            return None;
        }
        match emit_sized(&value, format, size_hint) {
            Ok(text) => Some(text),
            Err(ds) => {
                // The target's value cannot be written in `format`: its problem, tagged like its others.
                let mark = self.sink.len();
                self.sink.extend(ds);
                self.sink.tag_targets(mark, &target.to_string());
                None
            }
        }
    }

    /// Check the target ([`Session::check_targets`]); `true` if it failed: an error, or a value that failed to
    /// evaluate.
    fn check(
        &mut self,
        program: &Program,
        target: &Target,
        overrides: Option<&Layer>,
        inputs: &EnvInputs,
        validate: Option<&Validate<'_>>,
    ) -> bool {
        let errors = self.sink.error_count();
        let failed = match validate {
            None => {
                let mut reuse = self.reuse.take();
                let (failed, _) =
                    self.run(program, target, overrides, inputs, |ev, merged, bindings, checker| {
                        let errs = stream::checked(ev, merged, checker, bindings, reuse.as_deref_mut());
                        (ev.failed(), errs)
                    });
                self.reuse = reuse;
                failed
            }
            Some(validate) => {
                let (_, value, failed) = self.tree(program, target, overrides, inputs);
                if !failed && self.sink.error_count() == errors {
                    let mark = self.sink.len();
                    self.sink.extend(validate(&value, self.sources));
                    self.sink.tag_targets(mark, &target.to_string());
                }
                failed
            }
        };
        failed || self.sink.error_count() > errors
    }
}

/// The bindings that apply to a target, in the order they are checked (layer order).
pub fn bindings<'p>(program: &'p Program, target: &Target) -> Vec<&'p Binding> {
    layer_order(program, target)
        .iter()
        .filter_map(|id| program.layer(id))
        .flat_map(|l| &l.bindings)
        .collect()
}
