//! Diagnostics as plain data.
//!
//! Owns: the [`Diagnostic`] type, the [`Sink`] every stage writes to, and the registry of stable codes ([`Code`]).
//! Invariant: a diagnostic never carries a secret's value (values are described by reference only), its spans are
//! byte ranges, and nothing here prints. Rendering lives in `render.rs`; the LSP will convert the same data.

pub mod render;

use crate::source::{FileId, Span};

/// How serious a diagnostic is. Errors fail the build (no output is written); warnings do not.
///
/// ```
/// let built = tuskc::Project::from_sources([("app.tsk", "port: 80\n")])?.target(None, None)?;
/// // A clean build has no warnings; each one it has is a `Severity::Warning`.
/// assert!(built.warnings().list().iter().all(|d| d.severity == tuskc::Severity::Warning));
/// # Ok::<(), tuskc::Diagnostics>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// The build fails: no output is written for the target.
    Error,
    /// Worth a look; the build goes on.
    Warning,
}

/// A labelled place in a file. The primary label says where the problem is; secondary ones give context
/// ("first defined here", "block opened here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    /// The targets (`env/provider`) whose build reported this; empty for problems not tied to a target (syntax,
    /// lowering). The same problem in several targets is reported once with all of them.
    pub targets: Vec<String>,
    /// The labelled source may hold a secret (a literal that looks like a credential, a line of an env file): its
    /// places are named as `file:line:column`, never quoted.
    pub unquoted: bool,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: vec![],
            notes: vec![],
            help: None,
            targets: vec![],
            unquoted: false,
        }
    }
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    /// Never quote the labelled source (it may hold a secret): see [`Diagnostic::unquoted`].
    pub fn unquoted(mut self) -> Self {
        self.unquoted = true;
        self
    }
    pub fn primary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
            primary: true,
        });
        self
    }
    pub fn secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
            primary: false,
        });
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// The primary label (the first one when several are primary).
    pub fn primary_label(&self) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
    }
    /// Sort key: file, position, code. Gives a deterministic order independent of discovery order.
    fn sort_key(&self) -> (Option<FileId>, u32, u32, Code, &str) {
        let l = self.primary_label();
        (
            l.map(|l| l.file),
            l.map_or(0, |l| l.span.start),
            l.map_or(0, |l| l.span.end),
            self.code,
            &self.message,
        )
    }
}

/// Collects diagnostics beside the pipeline; stages report and carry on.
#[derive(Debug, Default)]
pub struct Sink {
    diagnostics: Vec<Diagnostic>,
}

impl Sink {
    pub fn new() -> Self {
        Sink::default()
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.diagnostics.extend(other);
    }
    /// The diagnostics in deterministic order, duplicates removed (the same problem found while building
    /// several targets is reported once).
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.diagnostics
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut out: Vec<Diagnostic> = Vec::with_capacity(self.diagnostics.len());
        let mut run_start = 0;
        for d in self.diagnostics {
            if out
                .get(run_start)
                .is_some_and(|first| first.sort_key() != d.sort_key())
            {
                run_start = out.len();
            }
            // Equal apart from the targets: one report listing every target.
            let same = out[run_start..].iter_mut().find(|o| {
                o.labels == d.labels
                    && o.notes == d.notes
                    && o.help == d.help
                    && o.severity == d.severity
                    && o.code == d.code
                    && o.message == d.message
            });
            match same {
                Some(o) => {
                    for t in d.targets {
                        if !o.targets.contains(&t) {
                            o.targets.push(t);
                        }
                    }
                }
                None => out.push(d),
            }
        }
        out
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter()
    }
    /// Mark the diagnostics pushed after `mark` as reported while building `target`.
    pub fn tag_targets(&mut self, mark: usize, target: &str) {
        for d in self.diagnostics.iter_mut().skip(mark) {
            if !d.targets.iter().any(|t| t == target) {
                d.targets.push(target.to_string());
            }
        }
    }
    /// Every diagnostic, in the order they were pushed.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
    /// Take the diagnostics pushed after `mark` (see [`Sink::len`]).
    pub fn split_off(&mut self, mark: usize) -> Vec<Diagnostic> {
        self.diagnostics.split_off(mark)
    }
}

macro_rules! codes {
    ($( $variant:ident = $num:literal, $title:literal, $explain:literal; )*) => {
        /// Stable diagnostic codes. Numbers never change meaning; retired codes are never reused.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
            /// `TSK0101`-style identifier.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => concat!("TSK", $num)),* }
            }
            /// A short title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }
            /// A paragraph explaining the code and how to fix it (`tuskc explain-code`).
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explain),* }
            }
            pub fn parse(s: &str) -> Option<Code> {
                let s = s.trim().to_ascii_uppercase();
                Code::ALL.iter().copied().find(|c| c.as_str() == s || c.as_str()[3..] == s)
            }
        }
    };
}

codes! {
    Io = "0001", "file cannot be read",
        "A file named on the command line, by `use` or by the manifest could not be read. Check the path and permissions; tuskc reads regular files only (never a FIFO, socket or device).";
    Manifest = "0002", "invalid project manifest",
        "`tuskc.toml` could not be parsed or names something that does not exist, or the project has no entry to compile (or several where the command needs one). Without `entries` in the manifest, the entries are the `.tsk` files directly in the project directory that no other file there `use`s; subdirectories are not searched. Name the file on the command line, or list the entries in `tuskc.toml` (`entries = [\"services/api.tsk\"]` under `[project]`). See docs/language.md#projects.";
    Usage = "0003", "invalid command-line value",
        "A `--set`, `--var`, `--env-file` or key-path argument could not be understood. The message says which and why.";
    InvalidUtf8 = "0004", "file is not UTF-8",
        "tuskc reads UTF-8 text only. Re-encode the file (for example with `iconv -t UTF-8`).";
    OutputClash = "0005", "two entries have the same output file",
        "`tuskc build --all --out-dir DIR` writes each entry's output to `DIR/<env>/<provider>/<entry name>.<format>`. Two entries with the same file name in different directories (`a/config.tsk`, `b/config.tsk`), or names that differ only in case, would be written to the same file, one overwriting the other; tuskc refuses before building anything. Rename one of the entries, or build each into its own directory (`tuskc build FILE --all --out-dir DIR`).";
    UnexpectedChar = "0101", "unexpected character",
        "The lexer found a character that starts no token of the language. Remove it, or quote it inside a string.";
    UnterminatedString = "0102", "unterminated string",
        "A string opened with `\"`, `'` or `\"\"\"` has no closing quote before the end of the line (or file, for `\"\"\"`).";
    InvalidEscape = "0103", "invalid escape sequence",
        "Inside strings, `\\` starts an escape: `\\n \\t \\r \\0 \\\\ \\\" \\' \\$ \\u{...}`. Write `\\\\` for a literal backslash.";
    InvalidNumber = "0104", "invalid number",
        "A number literal is malformed or does not fit a 64-bit integer or float.";
    UnexpectedToken = "0110", "unexpected token",
        "The parser expected something else at this point. The label says what it expected.";
    Unclosed = "0111", "unclosed delimiter",
        "A `{`, `[`, `(`, `${` or `>` block was opened and never closed. Add the closing delimiter the message names.";
    MissingValue = "0112", "missing value",
        "A key is followed by `:` or `=` but no value: put a value on the same line, or more-indented `key: value` or `- item` lines below it.";
    BadIndentation = "0113", "inconsistent indentation",
        "Lines of one indentation-nested map or dash list must share the same indentation, and a line that ends one must go back to an enclosing level (the column of the key owning the block, or of a block around it): a column in between matches no level. The error names the valid columns and where the block started. Tabs are not allowed for indentation (reported once per file; a line indented with a tab gets only that error, not also one about its column). Blank and comment lines may be indented anyhow.";
    SectionNotAllowed = "0114", "section header not allowed here",
        "`[section]` headers may appear at the top level and directly inside `env` and `provider` blocks, not inside a key's block.";
    TrailingTokens = "0115", "unexpected text after a value",
        "Each `key: value` entry ends at the end of its line (or at `,`). Something follows the value on the same line.";
    NestingTooDeep = "0116", "nesting too deep",
        "Blocks, arrays or expressions are nested more than 128 levels deep, keys nest more than 128 levels (blocks, sections and dotted keys together), or one expression chains more than 1,000 operators. tuskc reports it rather than risk running out of stack or writing output that grows with the square of the depth.";
    QuotedDirective = "0120", "directive written inside quotes",
        "TuskLang files often write `\"@env('X')\"`. tuskc evaluates a string that is exactly one directive call as that directive, but the canonical form is unquoted, and `tuskc fmt` rewrites it so that it means the same: `\"@env('X', 'd')\"` becomes `@env(\"X\", \"d\")`, and `\"@env('X')\"` becomes `@env(\"X\", \"\")` (unset, TuskLang builds it to `\"\"`: TSK0318).";
    SchemaNotAllowed = "0117", "schema item not allowed here",
        "`schema`, `type` and `parity` declarations belong at the top level of a file: a schema means the same in every target. `bind` may appear in `env` and `provider` blocks to check only that target's values.";
    UnterminatedInterpolation = "0130", "unterminated interpolation",
        "`${` inside a string starts an interpolation that must be closed with `}`. Write `\\${` for a literal `${`.";
    DuplicateKey = "0201", "duplicate key",
        "The same key is set twice in one layer (the base, or one `env`/`provider` block). Layers may override each other; one layer may not set a key twice. Remove one of them.";
    KeyConflict = "0202", "key is both a value and a block",
        "A key is set to a plain value in one place and has nested keys in another place of the same layer.";
    DuplicateVariable = "0203", "duplicate variable",
        "The same `$variable` is defined twice in one layer.";
    UseNotFound = "0210", "module not found",
        "A `use` names a file that does not exist, or a `std/...` module the standard library does not have.";
    ImportCycle = "0211", "import cycle",
        "Modules `use` each other in a cycle. Move the shared part into a module that both use.";
    PathOutsideProject = "0212", "path outside the project",
        "`use`, `@file` and entries (the manifest's `entries`, or `.tsk` files found in the project directory) may only name files inside the project directory, symlinks resolved, so a build depends only on the project. A path outside is refused whether or not anything is there.";
    UnknownEnvironment = "0220", "unknown environment",
        "The environment is not declared. Declare it with an `env NAME { }` block or in `tuskc.toml`, or fix the spelling. When `tuskc.toml` lists `environments`, that list is closed: an `env` block naming another environment is this error at the block's name (most often a misspelling, which would otherwise leave the environment meant without its overlay); add the name to the list or fix it.";
    UnknownProvider = "0221", "unknown provider",
        "The provider is not declared. Declare it with a `provider NAME { }` block or in `tuskc.toml`, or fix the spelling. When `tuskc.toml` lists `providers`, that list is closed: a `provider` block naming another provider is this error at the block's name; add the name to the list or fix it.";
    ExtendsCycle = "0222", "environment inheritance cycle",
        "Environments `extends` each other in a cycle.";
    ExtendsConflict = "0223", "conflicting `extends`",
        "Two `env` blocks for the same environment name different parents.";
    MissingTarget = "0224", "target not chosen",
        "The project declares environments or providers, so a build must say which: pass `--env` / `--provider`, or set `default_env` / `default_provider` in `tuskc.toml`.";
    NestedBlock = "0225", "nested `env` or `provider` block",
        "An `env` block may hold `provider` blocks (and the reverse), but not another block of its own kind.";
    DeleteRemovesNothing = "0230", "`@delete` removes nothing",
        "`key: @delete` removes a key that a lower layer defines (the base, a provider, a parent environment; see the layer order in docs/language.md). This one names a key that no layer below it defines, or sits in the base layer, which has nothing below it, so it changes no target: most often a misspelt key. Fix the key (the hint suggests a close one), or remove the line. `--set KEY=@delete` is checked the same way against every layer, and reported once per run, naming the argument.";
    OverlayReplacesValue = "0231", "overlay replaces a whole value",
        "An overlay sets keys inside a key (`primary.port: 5`) that a lower layer defines as one value, such as an expression (`primary: $base`) or a scalar. Merging works on definitions, not on computed values, so the overlay's keys replace that value whole and its other keys are lost. Repeat the other keys in the overlay, or define the key in the lower layer as a `{ ... }` block (whose keys deep-merge).";
    UndefinedVariable = "0301", "undefined variable",
        "No layer of this target defines the `$variable`. Define it, or fix the spelling.";
    UndefinedReference = "0302", "undefined reference",
        "A bare name in an expression refers to another key, and no such key exists in this target. If you meant a string, quote it. When an overlay's `@delete` removed the key in this target, or an `@replace` of an object around it left it out, the message names the layer and the line of the `@delete` or `@replace`.";
    Cycle = "0303", "reference cycle",
        "Values refer to each other in a cycle, so none of them can be computed. The message lists the whole cycle.";
    UnknownDirective = "0304", "unknown directive",
        "Directives are `@env`, `@secret`, `@file`, `@environment`, `@provider`, `@delete` and `@replace`.";
    DirectiveArguments = "0305", "wrong directive arguments",
        "The directive was called with the wrong number or kind of arguments. The message shows the expected form.";
    EnvVarMissing = "0306", "environment variable not set",
        "`@env(\"NAME\")` without a default needs NAME set in the process environment, with `--var NAME=VALUE`, or in an `--env-file`. Add a default as the second argument to make it optional.";
    TypeMismatch = "0307", "operator applied to the wrong types",
        "`+` joins strings, numbers or arrays; `- * / %` take numbers; `&& || !` and conditions take booleans; `< <= > >=` compare numbers or strings.";
    DivisionByZero = "0308", "division by zero",
        "The right side of `/` or `%` evaluated to zero.";
    Overflow = "0309", "number overflow",
        "Integer arithmetic left the 64-bit range, or float arithmetic became infinite. Use a float for large integers; keep floats finite.";
    FileDirective = "0310", "@file cannot read the file",
        "`@file(\"path\")` reads a regular UTF-8 file inside the project, relative to the file that names it.";
    MisplacedDirective = "0311", "directive used in the wrong place",
        "`@delete` and `@replace(...)` are whole values of a key in an overlay; they cannot be part of a larger expression.";
    BadInterpolation = "0312", "value cannot be interpolated",
        "Only strings, numbers, booleans and null can be interpolated into a string; arrays and objects cannot.";
    NotABool = "0313", "condition is not a boolean",
        "`?:`, `&&`, `||` and `!` need booleans. Compare explicitly, e.g. `x != \"\"`.";
    BadPath = "0314", "path does not lead to a value",
        "A reference or `$variable.field` path steps into something that is not an object, or past its end.";
    EvalTooDeep = "0315", "reference chain too deep",
        "Evaluating a value followed more than 400 references in a row. tuskc stops there rather than risk running out of stack.";
    ValueTooLarge = "0316", "value too large",
        "A string grew past 16 MiB, an array past 1,000,000 items, or references copied more than 500,000 values into one target: usually a chain of keys that each refer to the next one twice (`a: \"${b}${b}\"`, `b: \"${c}${c}\"`...), which doubles the size at every step. tuskc stops there rather than run out of memory.";
    SecretContent = "0317", "operation needs a secret's content",
        "A value a secret went into (`@secret(\"name\")`, or anything computed from one) may be passed whole or joined into a string (`+`, `${...}`); the result is secret too. Anything whose result or success would depend on the secret's content is an error in every `--secrets` mode, so that no outcome (an error, a chosen branch, `check`'s exit code) tells anything about the value: comparing it (`==`, `<`), arithmetic, `!`, `&&`, `||`, the condition of `? :`, naming the input of `@env`, `@file` or `@secret` with it, and checking it against a literal type or enum (`\"a\" | \"b\"`) or in an `assert`. Compare or compute in the deploy step that reads the secret, or make the choice a setting that is not secret.";
    EnvVarEmpty = "0318", "quoted @env variable not set",
        "TuskLang's quoted form `\"@env('X')\"` without a default builds to `\"\"` when `X` is not set, as TuskLang does, with this warning naming the variable. It means `@env(\"X\", \"\")`, which `tuskc fmt` writes instead. The unquoted `@env(\"X\")` requires the variable (TSK0306). Set the variable, or write the default you mean.";
    SchemaMismatch = "0501", "value does not match its type",
        "A value bound to a schema has the wrong type. The message shows the value, the layer and line that set it, and the schema field that declares the type.";
    MissingField = "0502", "required field missing",
        "The schema declares a field with no default and without `?`, and no layer of this target sets it. When an `@delete` (or `--set KEY=@delete`) or an `@replace` removed it, the message names which layer did and where, and points there. Set it, give the field a default, or mark it optional with `name?: type`.";
    UnknownField = "0503", "unknown field",
        "Schema objects are closed: every key must be declared. Fix the spelling (the message suggests the closest field), declare the field, or write `...` in the schema to allow extra keys.";
    ConstraintViolated = "0504", "value violates a constraint",
        "The value has the right type but breaks a constraint of its field: a range (`int(1..65535)`), a length (`len 1..32`), a pattern, a format (`format hostname`) or `unique`.";
    AssertionFailed = "0505", "schema assertion failed",
        "An `assert` in the schema evaluated to false for this target. The message is the assertion's own; the labels show the values it read.";
    EnvCoercion = "0506", "environment variable has the wrong type",
        "`@env` values are text. When the schema declares a number, boolean or other type, or the default is one (`@env(\"PORT\", 8080)` is an `int`), tuskc converts the text, and reports the variable by name when it does not parse (`PORT=\"eighty\"` for an `int`). Booleans accept true/false, 1/0, yes/no, on/off.";
    SecretRequired = "0507", "secret field holds a plain value",
        "A field of type `secret` must be set with `@secret(\"name\")`, never a literal, so that the value never sits in the configuration source.";
    DeprecatedField = "0508", "deprecated field is set",
        "The schema marks this field `deprecated`; the message says what to use instead. This is a warning: the build still succeeds.";
    UnknownType = "0509", "unknown type",
        "A type name is neither a built-in type (`string int float number bool null secret any`) nor a `schema`/`type` declared in the project or a `use`d stdlib module. The message suggests the closest name. `std/types` is always available.";
    DuplicateSchema = "0510", "type declared twice",
        "Two `schema` or `type` declarations share a name. Names are global across the project and the stdlib modules it uses: rename one.";
    InvalidSchema = "0511", "invalid schema",
        "A schema declaration cannot be used as written: a pattern that is not a valid regular expression, an unknown format, a constraint that does not fit the type (`len` on an int), a default that does not match its field's type or is not a constant, or a type alias that refers to itself.";
    ParityMissing = "0512", "provider or env block lacks a key",
        "`parity provider` (or `parity env`) requires every block of that kind to define the same keys. The message names the key, the block that lacks it, and a block that defines it.";
    JsonSchemaViolation = "0513", "output rejected by the JSON Schema",
        "`check --json-schema FILE` validates each target's resolved output against a JSON Schema that the application publishes. The message gives the JSON pointer of the value and what the JSON Schema requires.";
    BoundPathMissing = "0514", "bound key is not defined",
        "A `bind` (or `[section: Type]`) names a key that this target does not define, and the type is not an object whose fields all have defaults.";
    InvalidJsonSchema = "0515", "JSON Schema cannot be used",
        "The file given to `--json-schema` is not JSON, or not a valid JSON Schema. Remote `$ref`s are not fetched: compiling stays offline.";
    AssertionError = "0516", "assertion cannot be evaluated",
        "An `assert` uses something assertions cannot read (a `$variable`, a directive other than `@environment`/`@provider`) or applies an operator to the wrong types.";
    VaryUnknownKey = "0517", "`vary` names an unknown key",
        "A `vary` declaration marks keys that are expected to differ between targets, so `tuskc diff` reports their differences as declared. This one names a key that no base, env or provider block defines: usually a typo, which would leave the intended key unmarked.";
    SecretStoreMissing = "0601", "no secrets store for the environment",
        "`--secrets resolve` (and `tuskc secrets` commands other than `init`) need the environment's store, `secrets/<env>.tsk` in the project (or the `[secrets] dir` of tuskc.toml). Create it with `tuskc secrets init --env ENV --recipient AGE_PUBLIC_KEY`. A target without an environment uses the store `default`.";
    SecretNotFound = "0602", "secret is not in the store",
        "`@secret(\"name\")` names a secret the environment's store does not hold. Add it with `tuskc secrets set NAME --env ENV` (the value is read from stdin or a prompt). Without `--secrets resolve` this is a warning, reported only when the environment has a store.";
    SecretStoreInvalid = "0603", "secrets store cannot be read",
        "The store file is not in the format `tuskc secrets` writes (`format: 1`, `environment`, `recipients`, then one `\"name\": \"<base64 age file>\"` line per secret under `[secrets]`), or it says it belongs to another environment. Restore it from version control; the message gives the line.";
    IdentityMissing = "0604", "no identity to decrypt with",
        "Decrypting needs an age identity (a file as `age-keygen` writes): pass `--identity FILE` or set `TUSKC_IDENTITY` to the file's path (or to the `AGE-SECRET-KEY-1...` line itself). Building with `--secrets reference` (the default) or `redact` needs no identity.";
    IdentityInvalid = "0605", "identity cannot be used",
        "The identity file cannot be read, or a line in it is not an age X25519 identity (`AGE-SECRET-KEY-1...`). Comments (`#`) and blank lines are allowed. A passphrase-protected identity (`age -p`) needs its passphrase in `TUSKC_IDENTITY_PASSPHRASE` or at the prompt.";
    SecretDecrypt = "0606", "identity cannot decrypt the store",
        "None of your identities is a recipient of the values: your public key is not in the store's `recipients`, or it was added after the values were encrypted (someone with access must run `tuskc secrets rotate --env ENV`). Recipients are per environment, so a staging key cannot read production.";
    SecretTampered = "0607", "secret ciphertext is damaged",
        "The stored ciphertext is not valid base64, not an age file, or fails age's authentication (header MAC or payload tag): it was edited or corrupted. Restore the line from version control, or set the secret again.";
    SecretMisbound = "0608", "ciphertext belongs to another secret",
        "Every value tuskc encrypts carries its name and environment in an authenticated age header stanza. This ciphertext was encrypted for another name or environment and moved or swapped into this place. Restore the line from version control, or set the secret again.";
    SecretUnbound = "0609", "ciphertext is not bound to its name",
        "The value was encrypted by another age tool (for example `age -r ... | tuskc secrets import`) and carries no binding to its name and environment, so a swap with another ciphertext would go unnoticed. `tuskc secrets rotate --env ENV` re-encrypts it with the binding.";
    PlaintextSecret = "0610", "plain value looks like a secret",
        "A key named like a credential (password, token, secret, api_key, private_key, ...) holds a literal string that looks random, or a literal that has the shape of a known credential (AWS access key, GitHub or Slack token, private key block). Move it to the secrets store (`tuskc secrets set NAME --env ENV`) and write `@secret(\"NAME\")`. Rotate the credential: it is in version control.";
    SecretNotText = "0611", "secret is not UTF-8 text",
        "Configuration outputs are text, so a secret must decrypt to UTF-8. Store binary material base64-encoded.";
    InvalidRecipient = "0612", "invalid recipient",
        "A recipient is an age X25519 public key, `age1` followed by 58 lowercase Bech32 characters, as `age-keygen -y KEYFILE` prints.";
    SecretsCommand = "0613", "secrets command cannot be carried out",
        "A `tuskc secrets` command was asked for something the store does not allow: initialising a store that exists, a secret name with characters other than letters, digits and `_ . / -`, removing the last recipient, an empty value, or a store whose recipients changed while a value was typed. The message says which. (An unknown secret name is TSK0602.)";
    IdentityExposed = "0614", "identity file is readable by other users",
        "The age identity file can be read by users other than its owner (its mode grants group or other read access), so anyone on the machine who can read it can decrypt every secret it is a recipient of. tuskc uses it and warns (ssh refuses such keys). Make it private: `chmod 600 FILE`.";
    StoreUnsealed = "0615", "secrets store is not sealed",
        "The store's seal (its `seal:` line) does not cover every value and recipient: a value was set or imported without an identity, a recipient was added with `--no-rotate`, a merge was made where `tuskc secrets merge` did not run, or a line was restored from history or copied from another store. Review the change in version control, then seal the store with an identity: `tuskc secrets seal --env ENV`. A warning, and an error with `--require-sealed` (the production setting). See docs/secrets.md#the-seal.";
    SealInvalid = "0616", "secrets store seal does not verify",
        "The seal's MAC, keyed by the file keys of the sealed values, does not match: the seal line was edited, or a sealed value was replaced by a forged one with the same fingerprint; or the identity cannot decrypt every sealed value, so the seal cannot be checked. Restore the store from a trusted revision; if every value is right, `tuskc secrets seal --env ENV` seals it again. A warning, and an error with `--require-sealed`.";
    RecipientsUnconfirmed = "0617", "new recipients need confirmation",
        "The store lists recipients that were added since it was last sealed (for example with `tuskc secrets recipients add KEY --no-rotate`, which needs no identity), and the command would encrypt values to them. On a terminal tuskc lists them and asks; elsewhere it changes nothing unless `--yes` is given. Check each key belongs to someone who should read this environment's secrets; remove the others with `tuskc secrets recipients rm KEY`.";
    FormatChangesMeaning = "0701", "the formatter would change the file's meaning",
        "`tuskc fmt` checks that the formatted file parses to the same configuration as the original before writing it. This check failed, so the file was left unchanged. This is a bug in tuskc: please report it with the file.";
    FormatUnformatted = "0702", "file is not formatted",
        "`tuskc fmt --check` found a file whose layout differs from the canonical one. Run `tuskc fmt` on it (or format it in your editor) and commit the result.";
    DeployedUnreadable = "0801", "deployed configuration cannot be read",
        "`tuskc drift --actual FILE` reads the configuration exported from the running system as JSON, TOML, YAML or dotenv (chosen by the file's extension, or `--actual-format`). The file does not parse in that format (the diagnostic names the place, without quoting the line), it does not hold an object of keys, or it is a YAML file whose aliases would expand to more than 1,000,000 values.";
    FixRefused = "0802", "`--fix` refused a change",
        "Before `tuskc diff --fix` shows or writes a change, it compiles the project again with the change in place: every target must produce the same values, and each fixed drift must now be declared. A change that fails this check is refused and nothing is written. This is a bug in tuskc; mark the keys by hand (`vary key.path`, or `key: @vary(value)`) and please report it.";
    TomlNull = "0401", "TOML cannot represent null",
        "TOML has no null. Give the key a value, delete it in this target with `@delete`, or choose JSON or YAML output. An array element, or anything inside one at any depth, cannot be deleted with `@delete`: remove it from the array, or put a placeholder value its reader understands in its place.";
    DotenvCollision = "0402", "two keys give the same dotenv name",
        "dotenv names are the key path upper-cased and joined with `_`, so `a.b_c` and `a_b.c` collide. Rename one key.";
    Unrepresentable = "0403", "value cannot be represented in this format",
        "The output format cannot hold this value: a non-finite float in JSON or TOML, or in dotenv a key with no dotenv name (empty, or not ASCII) or a value no spelling of the dotenv dialect carries alike to bash and python-dotenv (a NUL, a carriage return, `${`, or a quote or backslash together with `$` or a backtick; see docs/language.md, Output formats).";
    KeyNotFound = "0404", "key not found",
        "`tuskc get` / `tuskc explain` was asked for a key path that the resolved target does not have. When an `@delete` removed it from this target, or an `@replace` of an object around it left it out, the message names the layer and line of the `@delete` or `@replace`.";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key as messages show it: as written when every character prints as itself, else as its quoted literal
/// (`"a\nb"`, the way it is written in a file), so a key holding a line break or a control character can neither
/// break a message's line nor pass for another key. Every message that names a key or a path shows it through this.
pub fn show_key(key: &str) -> std::borrow::Cow<'_, str> {
    if key
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        std::borrow::Cow::Owned(quote(key))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

/// A key path as messages show it: each key by [`show_key`], joined by `.`.
pub fn show_path<'k>(keys: impl IntoIterator<Item = &'k str>) -> String {
    let mut out = String::new();
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(&show_key(k));
    }
    out
}

/// "Did you mean `x`?" for near-miss names: the closest candidate by Jaro-Winkler, if close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().filter(|c| *c != name).collect();
    // A different case only (`AWS` for `aws`) is the nearest miss of all.
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(c);
    }
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, c)| {
            *score >= 0.8 || strsim::levenshtein(name, c) <= 2.min(name.len().saturating_sub(1))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// A double-quoted literal for `text`, as the language writes it (escapes as the lexer reads them): how messages
/// show a key that needs quoting, and how the formatter writes one.
pub fn quote(text: &str) -> String {
    let mut s = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\r' => s.push_str("\\r"),
            '\0' => s.push_str("\\0"),
            '$' => s.push_str("\\$"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                s.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {}", c.as_str());
            assert_eq!(Code::parse(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("prodution", ["production", "staging"]),
            Some("production")
        );
        assert_eq!(did_you_mean("xyz", ["production", "staging"]), None);
        // A different case only is the nearest miss, even where the similarity measures are low.
        assert_eq!(did_you_mean("AWS", ["azure", "aws", "gcp"]), Some("aws"));
    }
}
