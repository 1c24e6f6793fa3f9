//! The command line's grammar: every command, flag and argument, as clap reads them. Completions and the man
//! page are generated from these same definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::driver::Session;
use crate::emit::Format;
use crate::secrets::SecretMode;

pub(crate) const AFTER_HELP: &str = "Exit codes:\n  0  success\n  1  the configuration has errors\n  2  usage or I/O error (bad flags, unknown --env/--provider, unreadable files)";

#[derive(Parser, Debug)]
#[command(name = "tuskc", version, about = "Compile TuskLang-style configuration for one environment and provider.", after_help = AFTER_HELP)]
pub struct Cli {
    /// How diagnostics are printed (to stderr): rendered text, or one JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Colour in rendered diagnostics (auto: only on a terminal, and not when NO_COLOR is set).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Build the resolved configuration for one target (or every target with --all).
    #[command(after_help = AFTER_HELP)]
    Build(BuildArgs),
    /// Compile every target (or those chosen with --env/--provider), print all diagnostics, write nothing.
    #[command(after_help = AFTER_HELP)]
    Check(CheckArgs),
    /// Print one resolved value (strings raw, everything else as JSON).
    #[command(after_help = AFTER_HELP)]
    Get(KeyArgs),
    /// Show which layer and file:line produced a value, and what it overrode.
    #[command(after_help = AFTER_HELP)]
    Explain(KeyArgs),
    /// Compare the resolved configuration of two targets (or all, with --all): declared differences and drift.
    Diff(DiffArgs),
    /// Compare a target's resolved configuration with what is deployed (a file exported from the running system).
    Drift(DriftArgs),
    /// Work with schemas: export them as JSON Schema, or classify changes between two versions.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Manage the per-environment encrypted secrets stores (secrets/<env>.tsk).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Format .tsk files in place (one canonical layout; comments kept; meaning never changes).
    #[command(
        after_help = "Exit codes:\n  0  every file is formatted (or was formatted now)\n  1  --check: some files would change (listed on stdout); or a file has syntax errors\n  2  a path cannot be read or written"
    )]
    Fmt {
        /// Do not write; list the files that would change and exit 1 if there are any.
        #[arg(long)]
        check: bool,
        /// Files or directories (searched for .tsk files); `-` formats standard input to standard output.
        paths: Vec<PathBuf>,
    },
    /// Run the language server on standard input/output (for editors).
    Lsp,
    /// Explain a diagnostic code, e.g. `tuskc explain-code TSK0302`.
    ExplainCode {
        /// The code (TSK0302 or 0302); omit to list every code.
        code: Option<String>,
    },
    /// Print a shell completion script, e.g. `tuskc completions bash > ~/.local/share/bash-completion/completions/tuskc`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `tuskc man > ~/.local/share/man/man1/tuskc.1`.
    Man,
}

#[derive(Subcommand, Debug)]
pub enum SchemaCommand {
    /// Print the project's schemas as JSON Schema (2020-12): the bound sections as properties, every declared
    /// type under `$defs`.
    #[command(after_help = AFTER_HELP)]
    Export {
        /// A .tsk file or a project directory.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Export only this schema (as the document's root), with the types it uses under `$defs`.
        #[arg(long, value_name = "NAME")]
        schema: Option<String>,
        /// Export the target of this environment: also the bindings made inside its `env` blocks (and those of
        /// the provider, given or tuskc.toml's default). Without --env or --provider: the base layer's bindings.
        #[arg(long = "env", short = 'e', value_name = "NAME")]
        env: Option<String>,
        /// Export the target of this provider: also the bindings made inside its `provider` blocks.
        #[arg(long, short = 'p', value_name = "NAME")]
        provider: Option<String>,
        /// Write to FILE (atomically) instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Classify schema changes between OLD and NEW as breaking or compatible; exit 1 if any is breaking.
    ///
    /// OLD and NEW are each a .tsk file or project directory, a git revision (`HEAD~1`: the project at PATH as of
    /// that revision), or `REV:FILE` (that file as of the revision).
    #[command(
        after_help = "Exit codes:\n  0  no breaking change\n  1  at least one breaking change (or a side has errors)\n  2  usage or I/O error (unknown revision, unreadable files)"
    )]
    Diff {
        old: String,
        new: String,
        /// The project a bare revision refers to.
        #[arg(long, default_value = ".")]
        path: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct Inputs {
    /// Environment to build (declared with `env NAME { }` or in tuskc.toml).
    #[arg(long = "env", short = 'e')]
    pub env: Option<String>,
    /// Provider to build (declared with `provider NAME { }` or in tuskc.toml).
    #[arg(long, short = 'p')]
    pub provider: Option<String>,
    /// Override a value: KEY.PATH=VALUE (highest precedence). VALUE is an expression if it parses as one, else text.
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub vars: EnvVarArgs,
    /// What @secret("name") becomes: `secret://name` (reference), a fixed mask (redact), or the value decrypted
    /// from the environment's store (resolve; needs an identity).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = SecretMode::Reference)]
    pub secrets: SecretMode,
    /// The age identity file that decrypts secrets (default: $TUSKC_IDENTITY, a path or the key itself).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Refuse a secrets store whose seal does not cover every value and recipient or does not verify (the
    /// production setting). With `--secrets resolve` the seal's MAC is checked; otherwise only its fingerprints.
    #[arg(long)]
    pub require_sealed: bool,
}

/// Where `@env` variables come from.
#[derive(Args, Debug, Clone)]
pub struct EnvVarArgs {
    /// Give an @env variable: NAME=VALUE (wins over --env-file and the process environment).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read @env variables from a dotenv file (NAME=VALUE lines); later files win.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Do not read the process environment for @env (only --var and --env-file).
    #[arg(long)]
    pub no_process_env: bool,
}

impl EnvVarArgs {
    pub(crate) fn read(&self, session: &mut Session) -> crate::eval::EnvInputs {
        session.env_inputs(&self.vars, &self.env_files, !self.no_process_env)
    }
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE", conflicts_with = "all")]
    pub output: Option<PathBuf>,
    /// Build every environment × provider of every entry into --out-dir as <env>/<provider>/<entry>.<ext>.
    #[arg(long, requires = "out_dir")]
    pub all: bool,
    /// Output directory for --all.
    #[arg(long, value_name = "DIR", requires = "all")]
    pub out_dir: Option<PathBuf>,
    /// Use up to this many threads (default: one per CPU core): targets built at once, and a long file parsed while
    /// it is lowered. The output is the same for any number.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Also validate each target's resolved output against this JSON Schema (the one the application publishes).
    #[arg(long, value_name = "FILE")]
    pub json_schema: Option<PathBuf>,
    /// Use up to this many threads (default: one per CPU core): targets built at once, and a long file parsed while
    /// it is lowered. The output is the same for any number.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    /// Dotted key path, e.g. app.database.port.
    pub key: String,
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    #[command(flatten)]
    pub inputs: Inputs,
    /// `get`: print JSON even for strings.
    #[arg(long)]
    pub json: bool,
    /// `get`: print a secret's decrypted value (implies --secrets resolve). Without it, secrets are never printed.
    #[arg(long)]
    pub reveal: bool,
}

pub(crate) const DIFF_HELP: &str = "Exit codes:\n  0  no drift (every difference is declared)\n  1  drift found, or the project has errors\n  2  usage or I/O error";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
#[command(after_help = DIFF_HELP)]
pub struct DiffArgs {
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Environments to compare: two (`--env staging --env production`), or one with two --provider.
    #[arg(long = "env", short = 'e', value_name = "ENV")]
    pub envs: Vec<String>,
    /// Providers: one to compare two environments under (default: each provider), or two to compare.
    #[arg(long = "provider", short = 'p', value_name = "PROVIDER")]
    pub providers: Vec<String>,
    /// Compare every environment × provider target with every other, summarised as a matrix.
    #[arg(long, conflicts_with_all = ["envs", "providers"])]
    pub all: bool,
    /// Report format (stdout).
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Propose the safe fixes (mark keys that only some targets have as `@vary`) as a patch; writes nothing.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: write the changes (each file atomically).
    #[arg(long, requires = "fix", alias = "write")]
    pub apply: bool,
    #[command(flatten)]
    pub vars: EnvVarArgs,
}

#[derive(Args, Debug)]
#[command(after_help = DIFF_HELP)]
pub struct DriftArgs {
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The environment that is deployed.
    #[arg(long = "env", short = 'e')]
    pub env: Option<String>,
    /// The provider it is deployed on.
    #[arg(long, short = 'p')]
    pub provider: Option<String>,
    /// The configuration exported from the running system (.json, .toml, .yaml/.yml, .env).
    #[arg(long, value_name = "FILE")]
    pub actual: PathBuf,
    /// The deployed file's format, when its extension does not say.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub actual_format: Option<Format>,
    /// Report format (stdout).
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// The age identity that decrypts the store, to compare deployed secrets (default: $TUSKC_IDENTITY). Values are
    /// compared, never printed; without an identity deployed secrets are reported as unverified.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    #[command(flatten)]
    pub vars: EnvVarArgs,
}

pub(crate) const MERGE_HELP: &str = "Set up once per clone:\n  git config merge.tuskc-secrets.driver 'tuskc secrets merge %O %A %B'\nand commit a .gitattributes line:\n  secrets/*.tsk merge=tuskc-secrets\n\nExit codes:\n  0  merged (sealed if both sides were sealed with the same recipients and an identity was given)\n  1  the same secret changed differently on both sides: both lines are kept (ours first), and reading the store reports them\n  2  usage or I/O error";

pub(crate) const EXIT_HELP: &str = "Exit codes:\n  0  done\n  1  the store's content is wrong (damaged, swapped or undecryptable values)\n  2  usage or I/O error (unknown environment or secret, invalid recipient, missing store or identity)";

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// The environment whose store to use (secrets/<env>.tsk; `default` for a project without environments).
    #[arg(long = "env", short = 'e')]
    pub env: String,
    /// A .tsk file or a project directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The age identity file to decrypt with (default: $TUSKC_IDENTITY, a path or the key itself).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Create the environment's store, encrypted to the given recipients.
    #[command(after_help = EXIT_HELP)]
    Init {
        #[command(flatten)]
        at: StoreArgs,
        /// An age public key (`age1...`) that may decrypt this environment's secrets; repeat for more. Default:
        /// the public key of --identity / $TUSKC_IDENTITY.
        #[arg(long = "recipient", value_name = "AGE_PUBLIC_KEY")]
        recipients: Vec<String>,
        /// Also create a new identity in FILE (mode 0600; refused if FILE exists) and make it a recipient.
        #[arg(long, value_name = "FILE")]
        generate_identity: Option<PathBuf>,
    },
    /// Encrypt a value (from stdin, or a no-echo prompt on a terminal) and store it as NAME.
    #[command(after_help = EXIT_HELP)]
    Set {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
        /// Encrypt to recipients added since the store was sealed without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Decrypt NAME and print its value to stdout.
    #[command(after_help = EXIT_HELP)]
    Get {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Print the names in the store, one per line (never values).
    #[command(after_help = EXIT_HELP)]
    List {
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Remove NAME from the store.
    #[command(after_help = EXIT_HELP)]
    Rm {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Re-encrypt every value to the store's current recipients (and bind unbound ones); all or nothing.
    #[command(after_help = EXIT_HELP)]
    Rotate {
        #[command(flatten)]
        at: StoreArgs,
        /// Encrypt to recipients added since the store was sealed without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Verify every value with your identity and seal the store: what it holds now is what you vouch for.
    #[command(after_help = EXIT_HELP)]
    Seal {
        #[command(flatten)]
        at: StoreArgs,
        /// Seal recipients added since the last seal without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Git merge driver for stores: `tuskc secrets merge %O %A %B` merges per secret and recipient, writes the
    /// result over OURS, and re-seals it when both sides were sealed and an identity is at hand.
    #[command(after_help = MERGE_HELP)]
    Merge {
        /// The common ancestor's version (git's %O).
        base: PathBuf,
        /// Our version, replaced by the result (git's %A).
        ours: PathBuf,
        /// Their version (git's %B).
        theirs: PathBuf,
        /// The age identity file to verify and re-seal with (default: $TUSKC_IDENTITY).
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
    /// Add, remove or list the recipients of the environment's store.
    #[command(subcommand)]
    Recipients(RecipientsCommand),
    /// Print NAME's stored ciphertext as an ASCII-armored age file (for `age -d`).
    #[command(after_help = EXIT_HELP)]
    Export {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
    /// Store an age file read from stdin (made with `age -r ...`, binary or armored) as NAME, as it is.
    #[command(after_help = EXIT_HELP)]
    Import {
        /// The secret's name, as in `@secret("NAME")` (letters, digits, `_ . / -`).
        name: String,
        #[command(flatten)]
        at: StoreArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum RecipientsCommand {
    /// Add a recipient, then re-encrypt every value so it can read them (needs an identity unless --no-rotate).
    #[command(after_help = EXIT_HELP)]
    Add {
        #[arg(value_name = "AGE_PUBLIC_KEY")]
        key: String,
        #[command(flatten)]
        at: StoreArgs,
        /// Only change the list; the values stay encrypted to the old recipients until `tuskc secrets rotate`.
        #[arg(long)]
        no_rotate: bool,
        /// Encrypt to other recipients added since the store was sealed without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Remove a recipient, then re-encrypt every value without it (needs an identity unless --no-rotate).
    #[command(after_help = EXIT_HELP)]
    Rm {
        #[arg(value_name = "AGE_PUBLIC_KEY")]
        key: String,
        #[command(flatten)]
        at: StoreArgs,
        /// Only change the list; the values stay readable by the removed key until `tuskc secrets rotate`.
        #[arg(long)]
        no_rotate: bool,
        /// Encrypt to recipients added since the store was sealed without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Print the recipients, one per line.
    #[command(after_help = EXIT_HELP)]
    List {
        #[command(flatten)]
        at: StoreArgs,
    },
}

/// The number of targets built at once: `--jobs`, else one per CPU core.
pub(crate) fn jobs(given: Option<u16>) -> usize {
    given.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    )
}
