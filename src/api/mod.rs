//! The library API: a small facade for programs that load configuration (a service's config module, a `build.rs`, a
//! deployment tool), re-exported at the crate root. docs/api.md shows it in use.
//!
//! Owns nothing of the pipeline: a [`Project`] is a [`Session`] with its entry loaded once, and each method asks the
//! driver (targets, builds), `emit` (the output texts) and `query` (explain) exactly as the command line does, so the
//! library and `tuskc` can never disagree. Invariants: secrets stay references unless the caller asked for resolution
//! with an identity ([`Project::resolve_secrets`]); `Debug` prints no value; a loaded project is `Send + Sync` and
//! builds targets from `&self` (the session, which needs `&mut`, sits behind a mutex).
#![warn(missing_docs)]

mod diagnostics;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::de::DeserializeOwned;

use crate::driver::Session;
use crate::emit::Format;
use crate::ir::{Merged, Program};
use crate::secrets::{IdentitySource, SecretMode};
use crate::value::Value;

pub use crate::ir::Target;
pub use diagnostics::{Diagnostic, Diagnostics, Label, Severity};

/// A loaded project: its entry parsed, lowered and checked once, ready to compile any of its targets, from any
/// number of threads.
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
    state: Arc<Mutex<State>>,
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
        let state = self.lock();
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
        match Session::open(path.as_ref()) {
            Ok(session) => Self::load(session),
            Err(d) => Err(Diagnostics::new(&[d], &crate::source::SourceMap::new())),
        }
    }

    /// A project given as `(path, text)` pairs, read from nothing on disk: `use "db.tsk"` between the given files
    /// works. The first file is the entry; there is no `tuskc.toml`.
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
        let files = sources
            .into_iter()
            .map(|(n, t)| (n.into(), t.into()))
            .collect();
        Self::load(Session::in_memory(files))
    }

    fn load(mut session: Session) -> Result<Project, Diagnostics> {
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
        Ok(Project {
            state: Arc::new(Mutex::new(State {
                session,
                program,
                loaded,
            })),
        })
    }

    /// The session, whatever a panicking thread left behind (every build starts from the loaded program afresh).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every target the project declares: its environments × providers (`None` where it declares none).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "env dev {}\nenv prod {}\n")])?;
    /// let envs: Vec<_> = project.targets().into_iter().map(|t| t.env).collect();
    /// assert_eq!(envs, [Some("dev".to_string()), Some("prod".to_string())]);
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn targets(&self) -> Vec<Target> {
        let state = self.lock();
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
        let identity = IdentitySource::File {
            path: identity.into(),
            from_env: false,
        };
        self.lock()
            .session
            .set_secrets(SecretMode::Resolve, identity);
    }
}

/// A target about to be compiled, with the inputs the command line's flags give ([`Project::build`]).
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
    pub fn compile(self) -> Result<Compiled, Diagnostics> {
        let mut guard = self.project.lock();
        let State {
            session,
            program,
            loaded,
        } = &mut *guard;
        // Each compilation reports what `tuskc build` would for this one target: the load's warnings and its own.
        session.sink = crate::diagnostic::Sink::new();
        session.sink.extend(loaded.iter().cloned());
        session.built.clear();
        session.usage_error = false;
        let overrides = session.overrides(&self.sets);
        let inputs = session.env_inputs(&self.vars, &[], true);
        let mut built = None;
        if !session.usage_error {
            if let Some(target) = session.select_target(
                program,
                self.env.as_deref(),
                self.provider.as_deref(),
                false,
            ) {
                built = session
                    .build(program, &target, overrides.as_ref(), &inputs)
                    .map(|(merged, value)| (target, merged, value));
            }
        }
        let diags = session.take_diagnostics();
        let diagnostics = Diagnostics::new(&diags, &session.sources);
        match built {
            Some((target, merged, value)) if !diagnostics.has_errors() => Ok(Compiled {
                state: self.project.state.clone(),
                target,
                merged,
                value,
                resolved: session.secrets.mode == SecretMode::Resolve,
                warnings: diagnostics,
            }),
            _ => Err(diagnostics),
        }
    }
}

/// One compiled target: its values, checked against their schemas, ready to write or read.
///
/// `Debug` shows the target only, never a value (a resolved secret may be among them).
///
/// ```
/// let project = tuskc::Project::from_sources([("app.tsk", "name: \"api\"\n")])?;
/// let built = project.target(None, None)?;
/// assert_eq!(format!("{built:?}"), "Compiled { target: \"the base target\", .. }");
/// # Ok::<(), tuskc::Diagnostics>(())
/// ```
pub struct Compiled {
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
            .field("target", &self.target.describe())
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
        &self.target
    }

    /// The warnings the compilation reported (errors make it fail).
    ///
    /// ```
    /// let project = tuskc::Project::from_sources([("app.tsk", "a: 1\n")])?;
    /// assert!(project.target(None, None)?.warnings().list().is_empty());
    /// # Ok::<(), tuskc::Diagnostics>(())
    /// ```
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }

    fn emit(&self, format: Format) -> Result<String, Diagnostics> {
        crate::emit::emit(&self.value, format).map_err(|ds| {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
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
        self.value.get_path(&path).map(crate::emit::to_json)
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
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(crate::emit::to_json(&self.value))
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
        let value = self.value.get_path(&path)?;
        let masked;
        let value = match self.resolved {
            true => {
                masked = crate::secrets::masked(value);
                &masked
            }
            false => value,
        };
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        Some(crate::query::explain::explain_text(
            &state.session.sources,
            &state.program,
            &self.target,
            &self.merged,
            &path,
            value,
            false,
        ))
    }
}
