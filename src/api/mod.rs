//! The library API: a small facade for programs that load configuration (a service's config module, a `build.rs`, a
//! deployment tool), re-exported at the crate root. docs/api.md shows it in use.
//!
//! Owns nothing of the pipeline: a [`Project`] is a [`Session`] with its entry loaded once, and each method asks the
//! driver (targets, builds), `emit` (the output texts) and `query` (explain) exactly as the command line does, so the
//! library and `tuskc` can never disagree. Invariants: secrets stay references unless the caller asked for resolution
//! with an identity ([`Project::resolve_secrets`]); `Debug` prints no value; a loaded project is `Send + Sync` and
//! builds targets from `&self` (the session, which needs `&mut`, sits behind a mutex).
//!
//! Compiled targets are cached (`cache.rs`): a request is answered from the cache when every input the compiler read
//! for it is unchanged — the project's files (sources, `use`d modules, `@file` data, `tuskc.toml`), the process
//! environment variables `@env` read, the secrets store and identity file — and the request itself (target,
//! `--set`, `--var`, secrets mode) is the same. A changed project file reloads the project (hot reload).
#![warn(missing_docs)]

mod cache;
mod diagnostics;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cache::{EnvStamp, FileStamp};

use serde::de::DeserializeOwned;

use crate::driver::Session;
use crate::emit::Format;
use crate::ir::{Merged, Program};
use crate::secrets::{IdentitySource, SecretMode};
use crate::source::FileKind;
use crate::value::Value;

pub use crate::ir::Target;
pub use diagnostics::{Diagnostic, Diagnostics, Label, Severity};

/// A loaded project: its entry parsed, lowered and checked once, ready to compile any of its targets, from any
/// number of threads.
///
/// Each compiled target is kept: asking again for a target none of whose inputs changed returns the same
/// [`Compiled`] (a cheap clone) after a `stat` of each file it read. A project [`opened`](Project::open) on disk sees
/// edits: a changed source, module, `@file` or `tuskc.toml` reloads it; a changed `@env` variable, secrets store or
/// identity file recompiles the targets that read it. A project [`from_sources`](Project::from_sources) never
/// changes. Requests are served one at a time (a compilation holds the project), so threads asking for the same
/// unchanged target all get the one compilation's result.
///
/// ```
/// let project = tuskc::Project::from_sources([(
///     "app.tsk",
///     "port: 8080\nenv production {\n  port: 443\n}\n",
/// )])?;
/// let prod = project.target(Some("production"), None)?;
/// assert_eq!(prod.get("port"), Some(serde_json::json!(443)));
/// # Ok::<(), tuskc::Diagnostics>(())
/// ```
pub struct Project {
    inner: Mutex<Inner>,
}

/// The loaded project with what is needed to keep it current.
struct Inner {
    /// The loaded project; replaced whole on a reload (a [`Compiled`] keeps the one it was compiled from).
    state: Arc<Mutex<State>>,
    /// Where the project was opened (`None`: given as texts, which never change).
    path: Option<PathBuf>,
    /// The identity file of [`Project::resolve_secrets`].
    identity: Option<PathBuf>,
    /// Every project file the loaded state was made from: sources, modules, `@file` data, the manifest.
    files: Vec<FileStamp>,
    cache: HashMap<Request, Entry>,
    compilations: u64,
}

/// What a request asks for, besides what the compiler reads.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Request {
    env: Option<String>,
    provider: Option<String>,
    sets: Vec<String>,
    vars: Vec<String>,
}

/// A compiled target and what its compilation read beyond the project's files.
struct Entry {
    compiled: Compiled,
    env: EnvStamp,
    /// The secrets store of the target's environment and the identity file.
    files: Vec<FileStamp>,
}

/// What every compilation of a project shares: the session (sources, loader, secrets) and the lowered program.
struct State {
    session: Session,
    program: Program,
    /// What loading reported (warnings: a load with errors is no project), reported again with every target as
    /// `tuskc build` reports them.
    loaded: Vec<crate::diagnostic::Diagnostic>,
}

// One loaded project serves many threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Project>();
    shared::<Compiled>();
};

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Project")
            .field("entries", &state.session.project.entries)
            .finish_non_exhaustive()
    }
}

impl Project {
    /// Load the project at `path`: a `.tsk` file or a project directory, as `tuskc build` takes it (the directory's
    /// single entry, `tuskc.toml` read if there is one).
    ///
    /// ```no_run
    /// let project = tuskc::Project::open("config/")?;
    /// let json = project.target(Some("production"), None)?.to_json()?;
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Project, Diagnostics> {
        let path = path.as_ref();
        let (state, files) = Self::open_state(path)?;
        Ok(Self::new(state, files, Some(path.to_path_buf())))
    }

    fn open_state(path: &Path) -> Result<(State, Vec<FileStamp>), Diagnostics> {
        match Session::open(path) {
            Ok(session) => {
                let state = Self::load(session)?;
                let files = state.files_read();
                Ok((state, files))
            }
            Err(d) => Err(Diagnostics::new(&[d], &crate::source::SourceMap::new())),
        }
    }

    fn new(state: State, files: Vec<FileStamp>, path: Option<PathBuf>) -> Project {
        Project {
            inner: Mutex::new(Inner {
                state: Arc::new(Mutex::new(state)),
                path,
                identity: None,
                files,
                cache: HashMap::new(),
                compilations: 0,
            }),
        }
    }

    /// A project given as `(path, text)` pairs, read from nothing on disk: `use "db.tsk"` between the given files
    /// works, and so does `@file("data.json")` for a file given here. The first file is the entry; there is no
    /// `tuskc.toml` and no secrets store (`@secret` stays a reference: resolving secrets needs [`Project::open`]).
    /// No sources, an empty name or two sources of the same name are errors (TSK0003).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([
    ///     ("app.tsk", "use \"db.tsk\"\nname: \"api\"\n"),
    ///     ("db.tsk", "db_port: 5432\n"),
    /// ])?;
    /// assert_eq!(project.target(None, None)?.get("db_port"), Some(serde_json::json!(5432)));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn from_sources<N, T>(
        sources: impl IntoIterator<Item = (N, T)>,
    ) -> Result<Project, Diagnostics>
    where
        N: Into<String>,
        T: Into<String>,
    {
        let files: Vec<(String, String)> = sources
            .into_iter()
            .map(|(n, t)| (n.into(), t.into()))
            .collect();
        if let Some(d) = Self::misnamed(&files) {
            return Err(Diagnostics::new(&[d], &crate::source::SourceMap::default()));
        }
        let state = Self::load(Session::in_memory(files))?;
        Ok(Self::new(state, Vec::new(), None))
    }

    /// Why `from_sources` cannot take these sources, if it cannot: a project needs an entry, and each source a name
    /// of its own (a second source of one name would silently replace the first).
    fn misnamed(files: &[(String, String)]) -> Option<crate::diagnostic::Diagnostic> {
        use crate::diagnostic::{Code, Diagnostic};
        if files.is_empty() {
            return Some(
                Diagnostic::error(Code::Usage, "no sources given")
                    .help("pass at least one `(name, text)` pair; the first is the entry file"),
            );
        }
        if files.iter().any(|(name, _)| name.trim().is_empty()) {
            return Some(
                Diagnostic::error(Code::Usage, "a source has an empty name")
                    .help("name each source as a file (`app.tsk`); other files `use` it by that name"),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (name, _) in files {
            let normal = crate::user_file::normalize(Path::new(name));
            if !seen.insert(normal) {
                return Some(
                    Diagnostic::error(Code::Usage, format!("two sources are named `{name}`"))
                        .help("give each source its own name: the second would replace the first"),
                );
            }
        }
        None
    }

    fn load(mut session: Session) -> Result<State, Diagnostics> {
        let program = session.single_entry(false).and_then(|e| session.load(&e));
        let program = match program {
            Some(p) if !p.has_errors && !session.sink.has_errors() => p,
            _ => {
                return Err(Diagnostics::new(
                    &session.take_diagnostics(),
                    &session.sources,
                ))
            }
        };
        let loaded = session.sink.iter().cloned().collect();
        Ok(State {
            session,
            program,
            loaded,
        })
    }

    /// The project's cache and state, whatever a panicking thread left behind (every build starts from the loaded
    /// program afresh, and an entry enters the cache only whole).
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The loaded project as it is now.
    fn state(&self) -> Arc<Mutex<State>> {
        self.lock().state.clone()
    }

    /// How many times this project compiled a target: requests the cache could not answer.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "port: 80\n")])?;
    /// let first = project.target(None, None)?;
    /// let again = project.target(None, None)?;
    /// assert_eq!(project.compilations(), 1);
    /// assert_eq!(first.to_json()?, again.to_json()?);
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn compilations(&self) -> u64 {
        self.lock().compilations
    }

    /// Every target the project declares: its environments × providers (`None` where it declares none), as of the
    /// last load (a request for a target reloads an edited project).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "env dev {}\nenv prod {}\n")])?;
    /// let envs: Vec<_> = project.targets().into_iter().map(|t| t.env).collect();
    /// assert_eq!(envs, [Some("dev".to_string()), Some("prod".to_string())]);
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn targets(&self) -> Vec<Target> {
        let state = self.state();
        let state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.session.all_targets(&state.program)
    }

    /// Compile one target, as `tuskc build --env ENV --provider PROVIDER` does (a `None` falls back to the
    /// manifest's default). The error holds every diagnostic `build` would print.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "port: 80\n")])?;
    /// assert_eq!(project.target(None, None)?.to_json()?, "{\n  \"port\": 80\n}\n");
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn target(
        &self,
        env: Option<&str>,
        provider: Option<&str>,
    ) -> Result<Compiled, Diagnostics> {
        let mut build = self.build();
        build.env = env.map(str::to_string);
        build.provider = provider.map(str::to_string);
        build.compile()
    }

    /// A target with command-line inputs (`--set`, `--var`): set them, then [`Build::compile`].
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "port: 80\nhost: @env(\"HOST\", \"localhost\")\n")])?;
    /// let built = project.build().set("port", "8080").var("HOST", "db.internal").compile()?;
    /// assert_eq!(built.get("port"), Some(serde_json::json!(8080)));
    /// assert_eq!(built.get("host"), Some(serde_json::json!("db.internal")));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn build(&self) -> Build<'_> {
        Build {
            project: self,
            env: None,
            provider: None,
            sets: Vec::new(),
            vars: Vec::new(),
        }
    }

    /// Decrypt `@secret` values from now on, with the age identity in the file at `identity` (as `tuskc build
    /// --secrets resolve --identity FILE`). Without this call secrets are references (`secret://NAME`).
    ///
    /// ```no_run
    /// let mut project = tuskc::Project::open("config/")?;
    /// project.resolve_secrets("/run/keys/tuskc.age");
    /// let built = project.target(Some("production"), None)?;
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn resolve_secrets(&mut self, identity: impl Into<PathBuf>) {
        let inner = self.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
        inner.identity = Some(identity.into());
        inner.cache.clear();
    }
}

impl Inner {
    /// How `@secret` is answered: references, or decrypted with the identity file given.
    fn secrets(&self) -> (SecretMode, IdentitySource) {
        match &self.identity {
            Some(path) => (
                SecretMode::Resolve,
                IdentitySource::File {
                    path: path.clone(),
                    from_env: false,
                },
            ),
            None => (SecretMode::Reference, IdentitySource::None),
        }
    }

    /// Reload the project if one of its files changed since it was loaded (nothing for a project given as texts).
    fn refresh(&mut self) -> Result<(), Diagnostics> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if self.files.iter_mut().all(FileStamp::unchanged) {
            return Ok(());
        }
        let (state, files) = Project::open_state(path)?;
        self.state = Arc::new(Mutex::new(state));
        self.files = files;
        self.cache.clear();
        Ok(())
    }

    /// The cached compilation of `request`, if none of its inputs changed.
    fn cached(&mut self, request: &Request) -> Option<Compiled> {
        let entry = self.cache.get_mut(request)?;
        if entry.env.unchanged() && entry.files.iter_mut().all(FileStamp::unchanged) {
            return Some(entry.compiled.clone());
        }
        self.cache.remove(request);
        None
    }
}

impl State {
    /// Every project file the session has read (sources and modules, `@file` data, the manifest), as it used them.
    fn files_read(&self) -> Vec<FileStamp> {
        let mut files = Vec::new();
        self.add_files_read(&mut files);
        files
    }

    /// [`Self::files_read`] that `files` does not hold yet.
    fn add_files_read(&self, files: &mut Vec<FileStamp>) {
        let session = &self.session;
        if !session.loader.on_disk() {
            return;
        }
        let manifest = session.project.root.join(crate::lower::project::MANIFEST);
        let manifest_text = session.project.manifest_text.as_ref();
        let sources = session.sources.files().filter_map(|(_, f)| match &f.kind {
            FileKind::Disk(path) => Some((path.as_path(), Some(f.text.as_bytes()))),
            _ => None,
        });
        let data = session
            .loader
            .data_files()
            .map(|(path, text)| (path, Some(text.as_bytes())));
        let manifest =
            std::iter::once((manifest.as_path(), manifest_text.map(|(_, t)| t.as_bytes())));
        for (path, used) in sources.chain(data).chain(manifest) {
            if !files.iter().any(|f| f.path() == path) {
                files.push(FileStamp::new(path, used));
            }
        }
    }
}

/// A target about to be compiled, with the inputs the command line's flags give ([`Project::build`]).
///
/// ```
/// let project = tuskc::Project::from_sources([(
///     "app.tsk",
///     "host: @env(\"DB_HOST\", \"localhost\")\nport: 80\nenv prod {\n  port: 443\n}\n",
/// )])?;
/// let prod = project
///     .build()
///     .env("prod")                // --env prod
///     .var("DB_HOST", "db.internal") // --var DB_HOST=db.internal
///     .set("port", "8443")        // --set port=8443
///     .compile()?;
/// assert_eq!(prod.get("host"), Some(serde_json::json!("db.internal")));
/// assert_eq!(prod.get("port"), Some(serde_json::json!(8443)));
/// # Ok::<(), tuskc::Diagnostics>(())
/// ```
#[derive(Debug)]
#[must_use = "nothing is compiled until `compile` is called"]
pub struct Build<'p> {
    project: &'p Project,
    env: Option<String>,
    provider: Option<String>,
    sets: Vec<String>,
    vars: Vec<String>,
}

impl Build<'_> {
    /// The environment (`--env`).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\nenv dev {\n  a: 2\n}\n")])?;
    /// assert_eq!(project.build().env("dev").compile()?.get("a"), Some(serde_json::json!(2)));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn env(mut self, env: &str) -> Self {
        self.env = Some(env.to_string());
        self
    }

    /// The provider (`--provider`).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\nprovider aws {\n  a: 2\n}\n")])?;
    /// assert_eq!(project.build().provider("aws").compile()?.get("a"), Some(serde_json::json!(2)));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.to_string());
        self
    }

    /// Override a key (`--set KEY=VALUE`: the value is an expression, or text if it does not read as one).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "db: { port: 1 }\n")])?;
    /// assert_eq!(project.build().set("db.port", "2").compile()?.get("db.port"), Some(serde_json::json!(2)));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.sets.push(format!("{key}={value}"));
        self
    }

    /// Give `@env(NAME)` a value (`--var NAME=VALUE`), over the process environment.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "user: @env(\"TUSK_DOC_USER\")\n")])?;
    /// let built = project.build().var("TUSK_DOC_USER", "ada").compile()?;
    /// assert_eq!(built.get("user"), Some(serde_json::json!("ada")));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push(format!("{name}={value}"));
        self
    }

    /// Compile the target: the driver's build, as `tuskc build` runs it. The error holds every diagnostic.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "env dev {}\n")])?;
    /// let err = project.build().env("prod").compile().unwrap_err();
    /// assert_eq!(err.list()[0].code, "TSK0220");
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    ///
    /// The result is cached ([`Project`]): asking again with the same inputs, none of whose files or variables
    /// changed, returns the same compilation.
    pub fn compile(self) -> Result<Compiled, Diagnostics> {
        let request = Request {
            env: self.env,
            provider: self.provider,
            sets: self.sets,
            vars: self.vars,
        };
        let mut inner = self.project.lock();
        inner.refresh()?;
        if let Some(compiled) = inner.cached(&request) {
            return Ok(compiled);
        }
        inner.compilations += 1;
        let state = inner.state.clone();
        let (secret_mode, identity) = inner.secrets();
        let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
        // The store and identity as they are before the compiler reads them: an edit after this is seen next time.
        let mut files = Vec::new();
        if let IdentitySource::File { path, .. } = &identity {
            files.push(FileStamp::now(path));
        }
        let State {
            session,
            program,
            loaded,
        } = &mut *guard;
        // A fresh resolver: it keeps each store it read for its whole life.
        session.set_secrets(secret_mode, identity);
        // Each compilation reports what `tuskc build` would for this one target: the load's warnings and its own.
        session.sink = crate::diagnostic::Sink::new();
        session.sink.extend(loaded.iter().cloned());
        session.built.clear();
        session.usage_error = false;
        let overrides = session.overrides(&request.sets);
        let inputs = session.env_inputs(&request.vars, &[], true);
        let mut built = None;
        if !session.usage_error {
            if let Some(target) = session.select_target(
                program,
                request.env.as_deref(),
                request.provider.as_deref(),
                false,
            ) {
                let store = session
                    .secrets
                    .stores
                    .file(crate::secrets::store_env(&target));
                files.push(FileStamp::now(&store));
                built = session
                    .build(program, &target, overrides.as_ref(), &inputs)
                    .map(|(merged, value)| (target, merged, value));
            }
        }
        let diags = session.take_diagnostics();
        let diagnostics = Diagnostics::new(&diags, &session.sources);
        let compiled = match built {
            Some((target, merged, value)) if !diagnostics.has_errors() => Compiled {
                built: Arc::new(Built {
                    state: state.clone(),
                    target,
                    merged,
                    value,
                    resolved: session.secrets.mode == SecretMode::Resolve,
                    warnings: diagnostics,
                }),
            },
            _ => return Err(diagnostics),
        };
        // `@file` data this target read joins the project's files (an edit reloads the project).
        let mut project_files = std::mem::take(&mut inner.files);
        guard.add_files_read(&mut project_files);
        drop(guard);
        inner.files = project_files;
        let env = EnvStamp::new(&inputs.read.borrow());
        inner.cache.insert(
            request,
            Entry {
                compiled: compiled.clone(),
                env,
                files,
            },
        );
        Ok(compiled)
    }
}

/// One compiled target: its values, checked against their schemas, ready to write or read.
///
/// `Debug` shows the target only, never a value (a resolved secret may be among them). A clone is cheap (an `Arc`):
/// the project's cache hands out clones of one compilation.
///
/// ```
/// let project = tuskc::Project::from_sources([("app.tsk", "name: \"api\"\n")])?;
/// let built = project.target(None, None)?;
/// assert_eq!(format!("{built:?}"), "Compiled { target: \"the base target\", .. }");
/// # Ok::<(), tuskc::Diagnostics>(())
/// ```
#[derive(Clone)]
pub struct Compiled {
    built: Arc<Built>,
}

/// What a [`Compiled`] shares with its clones.
struct Built {
    state: Arc<Mutex<State>>,
    target: Target,
    merged: Merged,
    value: Value,
    /// Secrets were decrypted: shown masked by `explain`, as `tuskc explain` shows them.
    resolved: bool,
    warnings: Diagnostics,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("target", &self.built.target.describe())
            .finish_non_exhaustive()
    }
}

impl Compiled {
    /// Which target this is.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "env dev {}\n")])?;
    /// assert_eq!(project.target(Some("dev"), None)?.target().env.as_deref(), Some("dev"));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn target(&self) -> &Target {
        &self.built.target
    }

    /// The warnings the compilation reported (errors make it fail).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\n")])?;
    /// assert!(project.target(None, None)?.warnings().list().is_empty());
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn warnings(&self) -> &Diagnostics {
        &self.built.warnings
    }

    fn emit(&self, format: Format) -> Result<String, Diagnostics> {
        crate::emit::emit(&self.built.value, format).map_err(|ds| {
            let state = self
                .built
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Diagnostics::new(&ds, &state.session.sources)
        })
    }

    /// The target as JSON, exactly what `tuskc build -f json` writes.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: [1, 2]\n")])?;
    /// assert_eq!(project.target(None, None)?.to_json()?, "{\n  \"a\": [\n    1,\n    2\n  ]\n}\n");
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn to_json(&self) -> Result<String, Diagnostics> {
        self.emit(Format::Json)
    }

    /// The target as TOML, exactly what `tuskc build -f toml` writes.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\n")])?;
    /// assert_eq!(project.target(None, None)?.to_toml()?, "a = 1\n");
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn to_toml(&self) -> Result<String, Diagnostics> {
        self.emit(Format::Toml)
    }

    /// The target as YAML, exactly what `tuskc build -f yaml` writes.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\n")])?;
    /// assert_eq!(project.target(None, None)?.to_yaml()?, "a: 1\n");
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn to_yaml(&self) -> Result<String, Diagnostics> {
        self.emit(Format::Yaml)
    }

    /// The target as a dotenv file, exactly what `tuskc build -f dotenv` writes.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "db: { port: 5432 }\n")])?;
    /// assert!(project.target(None, None)?.to_dotenv()?.contains("DB_PORT=5432"));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn to_dotenv(&self) -> Result<String, Diagnostics> {
        self.emit(Format::Dotenv)
    }

    /// The value at a key path as `tuskc get` reads it (`db.port`, `services."my api".port`); `None` if there is
    /// no such key. A secret is its reference unless secrets were resolved.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "db: { port: 5432 }\n")])?;
    /// let built = project.target(None, None)?;
    /// assert_eq!(built.get("db.port"), Some(serde_json::json!(5432)));
    /// assert_eq!(built.get("db.host"), None);
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        let path = crate::query::explain::key_path(key)?;
        self.built.value.get_path(&path).map(crate::emit::to_json)
    }

    /// The whole target as your own type.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Config { port: u16 }
    /// let project = tuskc::Project::from_sources([("app.tsk", "port: 8080\n")])?;
    /// let config: Config = project.target(None, None)?.deserialize().unwrap();
    /// assert_eq!(config.port, 8080);
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    ///
    /// With resolved secrets, an error never quotes one: serde's messages quote the value that did not fit
    /// (`invalid type: string "…", expected u16`), so the error is taken from the same tree with every value
    /// computed from a secret masked.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let error = match serde_json::from_value(crate::emit::to_json(&self.built.value)) {
            Ok(value) => return Ok(value),
            Err(e) if !self.built.resolved => return Err(e),
            Err(e) => e,
        };
        let masked = crate::secrets::masked(&self.built.value);
        if masked == self.built.value {
            return Err(error);
        }
        match serde_json::from_value::<T>(crate::emit::to_json(&masked)) {
            Err(e) => Err(e),
            Ok(_) => Err(serde::de::Error::custom(
                "a value computed from a secret does not fit the type (the value is not shown)",
            )),
        }
    }

    /// Where a key's value came from, the text `tuskc explain KEY` prints; `None` if there is no such key.
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "port: 80\nenv prod {\n  port: 443\n}\n")])?;
    /// let text = project.target(Some("prod"), None)?.explain("port").unwrap();
    /// assert!(text.starts_with("port = 443\n  set in the env prod layer at app.tsk:3:9\n"));
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn explain(&self, key: &str) -> Option<String> {
        let path = crate::query::explain::key_path(key)?;
        let value = self.built.value.get_path(&path)?;
        let masked;
        let value = match self.built.resolved {
            true => {
                masked = crate::secrets::masked(value);
                &masked
            }
            false => value,
        };
        let state = self
            .built
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Some(crate::query::explain::explain_text(
            &state.session.sources,
            &state.program,
            &self.built.target,
            &self.built.merged,
            &path,
            value,
            false,
        ))
    }
}
