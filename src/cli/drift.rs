//! `tuskc diff` and `tuskc drift`: the drift report, its formats and `--fix`.
//!
//! Owns: choosing the targets to compare, finding and opening the deployed file (`emit::read` reads it), printing the report
//! (grouped by section, coloured on a terminal, or JSON) and applying the safe fixes. Invariants: the report goes to
//! stdout, diagnostics to stderr; exit 0 when every difference is declared, 1 on any drift (or when the project has
//! errors, since a broken target cannot be compared), 2 on usage errors. `--fix` writes nothing unless `--apply` is
//! given, and never writes a change that alters any target's output (checked by compiling again).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;

use crate::cli::args::{ColorChoice, EnvVarArgs};
use crate::cli::args::{DiffArgs, DriftArgs, ReportFormat};
use crate::cli::entries::single_entry;
use crate::cli::output::Output;
use crate::cli::write::write_atomic;
use crate::diagnostic::{Code, Diagnostic};
use crate::driver::Session;
use crate::emit::read::read_deployed;
use crate::emit::{dotenv_vars, Format};
use crate::eval::EnvInputs;
use crate::ir::Program;
use crate::ir::Target;
use crate::query::drift::{
    compare_deployed, compare_targets, counts, odd_ones_out, place, BlockPlace, Class, Context,
    Deployed, DeployedShown, Finding, Fix, Kind, LayerNote, Place, Reason, Redeploy, Side, Variant,
};
use crate::query::drift_fix::{plan_fixes, verify_fixes, FileFix};
use crate::secrets::{IdentitySource, SecretMode};
use crate::source::{FileId, FileKind, SourceMap, Span};
use crate::value::{Origin, Value, ValueKind};

/// The targets a `diff` compares: pairs (one report merged over them), or every target.
fn diff_pairs(
    session: &mut Session,
    program: &Program,
    a: &DiffArgs,
) -> Option<Vec<(Target, Target)>> {
    let usage = |session: &mut Session, msg: String, help: &str| {
        session.usage_error = true;
        session
            .sink
            .push(Diagnostic::error(Code::Usage, msg).help(help.to_string()));
        None
    };
    // Validate every name first (unknown ones get "did you mean").
    for e in &a.envs {
        session.filtered_targets(program, Some(e), None);
    }
    for p in &a.providers {
        session.filtered_targets(program, None, Some(p));
    }
    if session.usage_error {
        return None;
    }
    let (envs, providers) = session.declared(program);
    let one = |names: &[String], declared: &[String]| -> Vec<Option<String>> {
        match names {
            [one] => vec![Some(one.clone())],
            [] if declared.is_empty() => vec![None],
            [] => declared.iter().cloned().map(Some).collect(),
            _ => vec![],
        }
    };
    let pairs: Vec<(Target, Target)> = match (a.envs.as_slice(), a.providers.as_slice()) {
        ([e1, e2], [p1, p2]) => vec![(
            Target { env: Some(e1.clone()), provider: Some(p1.clone()) },
            Target { env: Some(e2.clone()), provider: Some(p2.clone()) },
        )],
        ([e1, e2], ps) if ps.len() <= 1 => one(ps, &providers)
            .into_iter()
            .map(|p| {
                (
                    Target { env: Some(e1.clone()), provider: p.clone() },
                    Target { env: Some(e2.clone()), provider: p },
                )
            })
            .collect(),
        (es, [p1, p2]) if es.len() <= 1 => one(es, &envs)
            .into_iter()
            .map(|e| {
                (
                    Target { env: e.clone(), provider: Some(p1.clone()) },
                    Target { env: e, provider: Some(p2.clone()) },
                )
            })
            .collect(),
        _ => {
            return usage(
                session,
                format!(
                    "`tuskc diff` compares two targets; got {} --env and {} --provider",
                    a.envs.len(),
                    a.providers.len()
                ),
                "compare two environments (`--env staging --env production [--provider aws]`), two providers (`--provider aws --provider gcp [--env production]`), or every target (`--all`)",
            )
        }
    };
    if pairs.iter().any(|(x, y)| x == y) {
        return usage(
            session,
            "`tuskc diff` needs two different targets".to_string(),
            "name two different environments or providers",
        );
    }
    Some(pairs)
}

/// Compile `targets`; `None` (with diagnostics in the session) if any has errors.
fn compile(
    session: &mut Session,
    program: &Program,
    targets: &[Target],
    inputs: &EnvInputs,
) -> Option<Vec<Side>> {
    let mark = session.sink.error_count();
    let mut sides = Vec::new();
    for t in targets {
        if let Some((merged, value)) = session.build(program, t, None, inputs) {
            sides.push(Side {
                target: t.clone(),
                value,
                merged,
            });
        }
    }
    (!program.has_errors && session.sink.error_count() == mark && sides.len() == targets.len())
        .then_some(sides)
}

/// `diff --all`: the declared environments and providers, and each target's number of drifts.
type Matrix = (Vec<String>, Vec<String>, IndexMap<String, usize>);

/// The report of one `diff` run, for printing.
struct Report {
    title: String,
    findings: Vec<Finding>,
    /// `diff --all`: environments, providers and per-target drift counts.
    matrix: Option<Matrix>,
}

/// Open the project at `path` and load its one entry; the exit code when that fails (diagnostics printed).
fn open_entry(
    path: &Path,
    vars: &EnvVarArgs,
    out: &mut Output,
) -> Result<(Session, EnvInputs, PathBuf, Program), u8> {
    let mut session = Session::open(path).map_err(|d| out.early(d))?;
    let inputs = vars.read(&mut session);
    let Some(entry) = single_entry(&mut session, false) else {
        return Err(out.finish(session));
    };
    match session.load(&entry) {
        Some(program) => Ok((session, inputs, entry, program)),
        None => Err(out.finish(session)),
    }
}

pub fn diff(a: &DiffArgs, out: &mut Output) -> u8 {
    let (mut session, inputs, entry, program) = match open_entry(&a.path, &a.vars, out) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let Some(report) = diff_report(&mut session, &program, a, &inputs) else {
        return cannot_compare(out, session);
    };
    let mut fixes = Vec::new();
    if a.fix {
        match plan_fixes(&session.sources, &report.findings) {
            Ok(f) => fixes = f,
            Err(d) => {
                session.sink.push(d);
                return out.finish(session);
            }
        }
        if !fixes.is_empty() {
            let rebuild = |session: &mut Session, program: &Program| {
                diff_report(session, program, a, &inputs).map(|r| r.findings)
            };
            if let Err(d) = verify_fixes(&a.path, &entry, &fixes, &report.findings, rebuild) {
                session.sink.push(d);
                return out.finish(session);
            }
        }
    }
    let mut applied = false;
    if a.apply && !fixes.is_empty() {
        for f in &fixes {
            if let Err(e) = write_atomic(&f.path, f.after.as_bytes()) {
                session.usage_error = true;
                session.sink.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot write `{}`: {e}", f.shown),
                ));
                return out.finish(session);
            }
        }
        applied = true;
    }
    let fixed: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| applied && f.class == Class::Drift && f.edit.is_some())
        .collect();
    let remaining = counts(&report.findings).drift - fixed.len();
    print_report(out, &report, &fixes, a.fix, applied, a.format, &session);
    let code = out.finish(session);
    if code != 0 {
        code
    } else {
        u8::from(remaining > 0)
    }
}

fn cannot_compare(out: &mut Output, session: Session) -> u8 {
    let usage = session.usage_error;
    let code = out.finish(session);
    if !usage {
        out.say("cannot compare: fix the errors above first");
    }
    code.max(1)
}

fn diff_report(
    session: &mut Session,
    program: &Program,
    a: &DiffArgs,
    inputs: &EnvInputs,
) -> Option<Report> {
    if a.all {
        let targets = session.all_targets(program);
        if targets.len() < 2 {
            session.usage_error = true;
            session.sink.push(
                Diagnostic::error(Code::Usage, "this project has one target: nothing to compare")
                    .help("declare environments (`env NAME { }`) or providers, or list them in tuskc.toml"),
            );
            return None;
        }
        let sides = compile(session, program, &targets, inputs)?;
        let ctx = Context::new(program, &session.sources, &sides);
        let findings = compare_targets(&ctx, &sides);
        let (envs, providers) = session.declared(program);
        let mut per_target: IndexMap<String, usize> =
            targets.iter().map(|t| (t.to_string(), 0)).collect();
        for f in findings.iter().filter(|f| f.class == Class::Drift) {
            for t in odd_ones_out(f) {
                if let Some(n) = per_target.get_mut(t) {
                    *n += 1;
                }
            }
        }
        return Some(Report {
            title: format!("all {} targets ({})", targets.len(), {
                let count = |n: usize, what: &str| match n {
                    1 => format!("1 {what}"),
                    n => format!("{n} {what}s"),
                };
                match (envs.len(), providers.len()) {
                    (e, 0) => count(e, "environment"),
                    (0, p) => count(p, "provider"),
                    (e, p) => format!("{} × {}", count(e, "environment"), count(p, "provider")),
                }
            }),
            findings,
            matrix: Some((envs, providers, per_target)),
        });
    }
    let pairs = diff_pairs(session, program, a)?;
    let mut merged: Vec<Finding> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (x, y) in &pairs {
        let sides = compile(session, program, &[x.clone(), y.clone()], inputs)?;
        let ctx = Context::new(program, &session.sources, &sides);
        for f in compare_targets(&ctx, &sides) {
            // The same difference under several providers (or environments) is reported once.
            let key = serde_json::to_string(&(
                &f.path,
                f.class,
                f.kind,
                f.variants
                    .iter()
                    .map(|v| (&v.value, &v.defined_at))
                    .collect::<Vec<_>>(),
            ))
            .unwrap_or_default();
            match index.get(&key) {
                Some(&i) => {
                    for (old, new) in merged[i].variants.iter_mut().zip(f.variants) {
                        old.targets.extend(new.targets);
                    }
                }
                None => {
                    index.insert(key, merged.len());
                    merged.push(f);
                }
            }
        }
    }
    let (x, y) = &pairs[0];
    let title = if pairs.len() == 1 {
        format!("{x} and {y}")
    } else {
        // The dimension compared, and the values of the other one it was compared under.
        type Dimension = fn(&Target) -> Option<&str>;
        let env: Dimension = |t| t.env.as_deref();
        let provider: Dimension = |t| t.provider.as_deref();
        let (compared, under, word) = if x.env != y.env {
            (env, provider, "under")
        } else {
            (provider, env, "in")
        };
        let name = |t: &Target, d: Dimension| d(t).unwrap_or("-").to_string();
        let others: Vec<String> = pairs.iter().map(|(t, _)| name(t, under)).collect();
        format!(
            "{} and {} ({word} {})",
            name(x, compared),
            name(y, compared),
            others.join(", ")
        )
    };
    Some(Report {
        title,
        findings: by_section(merged),
        matrix: None,
    })
}

/// Findings grouped by section, sections in the order they first appear (the configuration's key order).
fn by_section(findings: Vec<Finding>) -> Vec<Finding> {
    let mut order: IndexMap<String, Vec<Finding>> = IndexMap::new();
    for f in findings {
        order.entry(f.section.clone()).or_default().push(f);
    }
    order.into_values().flatten().collect()
}

pub fn drift(a: &DriftArgs, out: &mut Output) -> u8 {
    let (mut session, inputs, _, program) = match open_entry(&a.path, &a.vars, out) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let Some(target) =
        session.select_target(&program, a.env.as_deref(), a.provider.as_deref(), false)
    else {
        return out.finish(session);
    };
    let Some(actual) = read_actual(&mut session, &a.actual, a.actual_format) else {
        return out.finish(session);
    };
    let Some(mut sides) = compile(
        &mut session,
        &program,
        std::slice::from_ref(&target),
        &inputs,
    ) else {
        return cannot_compare(out, session);
    };
    let Some(side) = sides.pop() else {
        return cannot_compare(out, session);
    };
    // With an identity at hand, the same target built in resolve mode: the values secrets went into, to compare.
    let mut resolved: Option<Value> = None;
    let identity = IdentitySource::from_flag_or_env(a.identity.as_deref());
    if !matches!(identity, IdentitySource::None) && side.value.holds_secret() {
        session.set_secrets(SecretMode::Resolve, identity);
        let mark = session.sink.error_count();
        let built = session.build(&program, &target, None, &inputs);
        if session.sink.error_count() > mark {
            return cannot_compare(out, session);
        }
        resolved = built.map(|(_, plain)| plain);
        session.set_secrets(SecretMode::Reference, IdentitySource::None);
    }
    // Both trees shaped as the deployed file is: dotenv flattens them to variables.
    let (compiled, resolved, paths) = match actual.format {
        Format::Dotenv => {
            let flatten = |tree: &Value| {
                let mut flat = crate::value::Map::default();
                let mut paths = IndexMap::new();
                for (name, path, v) in dotenv_vars(tree) {
                    paths.insert(name.clone(), path);
                    flat.insert(name.into(), v);
                }
                (
                    Value::new(ValueKind::Object(Box::new(flat)), tree.origin),
                    paths,
                )
            };
            let (compiled, paths) = flatten(&side.value);
            (compiled, resolved.map(|r| flatten(&r).0), Some(paths))
        }
        _ => (side.value.clone(), resolved, None),
    };
    let unset = |var: &str| inputs.lookup(var).is_none();
    let deployed = Deployed {
        name: &actual.name,
        value: &actual.value,
        unset_env: &unset,
        resolved: resolved.as_ref(),
        paths: paths.as_ref(),
        holds_null: actual.format != Format::Toml,
    };
    let findings = {
        let ctx = Context::new(&program, &session.sources, std::slice::from_ref(&side));
        compare_deployed(&ctx, &side, &compiled, &deployed)
    };
    let report = Report {
        title: format!("{} and the deployed {}", target.describe(), actual.name),
        findings: by_section(findings),
        matrix: None,
    };
    let drifts = counts(&report.findings).drift;
    print_report(out, &report, &[], false, false, a.format, &session);
    let code = out.finish(session);
    if code != 0 {
        code
    } else {
        u8::from(drifts > 0)
    }
}

/// The deployed configuration, read into a value tree.
struct Actual {
    name: String,
    format: Format,
    value: Value,
}

fn read_actual(session: &mut Session, path: &Path, format: Option<Format>) -> Option<Actual> {
    let name = path.display().to_string();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = format.or(match ext.as_str() {
        "json" => Some(Format::Json),
        "toml" => Some(Format::Toml),
        "yaml" | "yml" => Some(Format::Yaml),
        "env" | "dotenv" => Some(Format::Dotenv),
        _ if file_name.starts_with(".env") => Some(Format::Dotenv),
        _ => None,
    });
    let Some(format) = format else {
        session.usage_error = true;
        session.sink.push(
            Diagnostic::error(Code::Usage, format!("cannot tell the format of `{name}` from its name"))
                .help("name it .json, .toml, .yaml or .env, or pass --actual-format json|toml|yaml|dotenv"),
        );
        return None;
    };
    let text = match crate::user_file::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            session.usage_error = true;
            session
                .sink
                .push(crate::user_file::read_error(&format!("`{name}`"), &e));
            return None;
        }
    };
    let file = session.sources.add(
        FileKind::CommandLine(name.clone()),
        name.clone(),
        text.clone(),
    );
    let origin = Origin {
        file,
        span: Span::default(),
        layer: crate::value::LayerRef::OVERRIDE,
    };
    let parsed = read_deployed(&text, format, file, &origin);
    match parsed {
        Ok(value) if matches!(value.kind, ValueKind::Object(_)) => Some(Actual {
            name,
            format,
            value,
        }),
        Ok(value) => {
            session.usage_error = true;
            session.sink.push(
                Diagnostic::error(
                    Code::DeployedUnreadable,
                    // Its type only: the text may be a secret.
                    format!(
                        "`{name}` holds {} {}, not an object of keys",
                        article(value.type_name()),
                        value.type_name()
                    ),
                )
                .help(
                    "export the deployed configuration as one object (what `tuskc build` writes)",
                ),
            );
            None
        }
        Err(e) => {
            session.usage_error = true;
            let mut d = Diagnostic::error(
                Code::DeployedUnreadable,
                format!(
                    "`{name}` cannot be read as {}: {}",
                    format.extension(),
                    e.message
                ),
            )
            .help("fix the file at the place shown, or export it from the running system again; pass --actual-format if the extension names the wrong format");
            if let Some(at) = e.at {
                // A deployed file's line may hold a secret: named by place, never quoted.
                let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                d = d.primary(file, Span::new(at, end), "here").unquoted();
            }
            session.sink.push(d);
            None
        }
    }
}

// ----- printing -----

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn class(&self, c: Class) -> String {
        match c {
            Class::Drift => self.wrap("1;31", "drift     "),
            Class::Unverified => self.wrap("33", "unverified"),
            Class::Declared => self.wrap("32", "declared  "),
        }
    }
}

fn stdout_color(out: &Output) -> bool {
    match out.color_choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

fn print_report(
    out: &Output,
    report: &Report,
    fixes: &[FileFix],
    fix: bool,
    applied: bool,
    format: ReportFormat,
    session: &Session,
) {
    let c = counts(&report.findings);
    let words = Words {
        sources: &session.sources,
    };
    let text = match format {
        ReportFormat::Json => {
            let mut doc = serde_json::json!({
                "compared": report.title,
                "summary": c,
                "findings": report.findings.iter().map(|f| words.finding_json(f)).collect::<Vec<_>>(),
            });
            if let Some((envs, providers, per_target)) = &report.matrix {
                doc["matrix"] = serde_json::json!({
                    "environments": envs,
                    "providers": providers,
                    "drift_per_target": per_target
                        .iter()
                        .map(|(t, n)| (t.clone(), serde_json::Value::from(*n)))
                        .collect::<serde_json::Map<_, _>>(),
                });
            }
            if fix {
                doc["fix"] = serde_json::json!({
                    "applied": applied,
                    "files": fixes.iter().map(|f| serde_json::json!({
                        "file": f.shown,
                        "patch": patch(f),
                    })).collect::<Vec<_>>(),
                });
            }
            let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
            s.push('\n');
            s
        }
        ReportFormat::Human => human(
            report,
            fixes,
            fix,
            applied,
            &Paint {
                on: stdout_color(out),
            },
            session,
        ),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// "staging/*" for a group of targets; the deployed file's name as is.
fn targets_text(session: &Session, targets: &[String]) -> String {
    match targets {
        // A project without environments or providers has one target, named as messages name it.
        [one] if *one == Target::default().to_string() => Target::default().describe(),
        [one] => one.clone(),
        many => session
            .describe_targets(many)
            .map(|s| s.trim_start_matches("in ").to_string())
            .unwrap_or_else(|| many.join(", ")),
    }
}

fn human(
    report: &Report,
    fixes: &[FileFix],
    fix: bool,
    applied: bool,
    paint: &Paint,
    session: &Session,
) -> String {
    let mut s = format!("Comparing {}\n", report.title);
    if let Some((envs, providers, per_target)) = &report.matrix {
        s.push_str("\nDrift per target (keys where it is the odd one out):\n");
        let envs: Vec<String> = if envs.is_empty() {
            vec!["-".into()]
        } else {
            envs.clone()
        };
        let providers: Vec<String> = if providers.is_empty() {
            vec!["-".into()]
        } else {
            providers.clone()
        };
        let w = envs.iter().map(String::len).max().unwrap_or(1).max(3);
        s.push_str(&format!("  {:w$}", ""));
        for p in &providers {
            s.push_str(&format!("  {p:>8}"));
        }
        s.push('\n');
        for e in &envs {
            s.push_str(&format!("  {e:w$}"));
            for p in &providers {
                let n = per_target.get(&format!("{e}/{p}")).copied().unwrap_or(0);
                let cell = format!("{n:>8}");
                s.push_str("  ");
                s.push_str(&if n > 0 {
                    paint.wrap("1;31", &cell)
                } else {
                    cell
                });
            }
            s.push('\n');
        }
    }
    let mut section: Option<&str> = None;
    for f in &report.findings {
        if section != Some(f.section.as_str()) {
            section = Some(&f.section);
            s.push_str(&format!(
                "\n{}\n",
                paint.wrap("1", &format!("[{}]", f.section))
            ));
        }
        let kind = match f.kind {
            Kind::Missing => "missing",
            Kind::Undeclared => "undeclared",
            Kind::Type => "type differs",
            // An unverified value was not compared: nothing says it differs.
            Kind::Value if f.class == Class::Unverified => "value not compared",
            Kind::Value => "value differs",
        };
        s.push_str(&format!(
            "  {} {}  {}\n",
            paint.class(f.class),
            paint.wrap("1", &f.path),
            paint.wrap("2", &format!("({kind})"))
        ));
        let names: Vec<String> = f
            .variants
            .iter()
            .map(|v| targets_text(session, &v.targets))
            .collect();
        let w = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        for (v, name) in f.variants.iter().zip(&names) {
            let value = v.value.clone().unwrap_or_else(|| "(absent)".into());
            let at = v
                .defined_at
                .as_ref()
                .map(|p| format!("  {}", paint.wrap("2", &p.to_string())))
                .unwrap_or_default();
            s.push_str(&format!("               {name:w$}  {value}{at}\n"));
        }
        let words = Words {
            sources: &session.sources,
        };
        for r in &f.reasons {
            s.push_str(&format!("               {}\n", words.reason(r)));
        }
        for (i, x) in f.fix.iter().enumerate() {
            let lead = if i == 0 {
                paint.wrap("36", "fix:")
            } else {
                "    ".into()
            };
            s.push_str(&format!("               {lead} {}\n", words.fix(x)));
        }
    }
    let c = counts(&report.findings);
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    let mut parts = vec![plural(c.drift, "drift"), format!("{} declared", c.declared)];
    if c.unverified > 0 {
        parts.push(format!("{} unverified", c.unverified));
    }
    s.push_str(&format!("\n{}\n", parts.join(", ")));
    if fix {
        let edits = report
            .findings
            .iter()
            .filter(|f| f.class == Class::Drift && f.edit.is_some())
            .count();
        if fixes.is_empty() {
            s.push_str("--fix: no safe fix to make\n");
        } else if applied {
            s.push_str(&format!(
                "--fix: marked {} with @vary in {} file(s):\n",
                plural(edits, "key"),
                fixes.len()
            ));
        } else {
            s.push_str(&format!(
                "--fix (dry run): would mark {} with @vary; run with --fix --apply to write:\n",
                plural(edits, "key")
            ));
        }
        for f in fixes {
            s.push_str(&patch(f));
        }
        let left: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.class == Class::Drift && f.edit.is_none())
            .map(|f| f.path.as_str())
            .collect();
        if !left.is_empty() {
            s.push_str(&format!(
                "--fix leaves {} for you to decide (no safe fix; see its fix lines above): {}\n",
                plural(left.len(), "drift"),
                left.join(", ")
            ));
        }
    }
    s
}

/// A unified diff of one file's change.
fn patch(f: &FileFix) -> String {
    similar::TextDiff::from_lines(&f.before, &f.after)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{}", f.shown), &format!("b/{}", f.shown))
        .to_string()
}

// ----- the findings' English -----

/// A finding's reasons and fixes as sentences: the one place they are written, for the human report and the JSON
/// one alike (the query hands out data: kinds, origins, key paths, values as shown).
struct Words<'a> {
    sources: &'a SourceMap,
}

impl Words<'_> {
    /// `file:line (layer)`.
    fn place(&self, o: &Origin) -> Place {
        place(self.sources, o)
    }

    /// `file:line`.
    fn at(&self, file: FileId, span: Span) -> String {
        let f = self.sources.get(file);
        format!("{}:{}", f.name, f.line_col(span.start).line)
    }

    fn origin_at(&self, o: &Origin) -> String {
        self.at(o.file, o.span)
    }

    fn reason(&self, r: &Reason) -> String {
        match r {
            Reason::VaryMark {
                path,
                declared,
                file,
                span,
            } => {
                let how = if *declared {
                    format!("`vary {path}`")
                } else {
                    format!("`@vary` on `{path}`")
                };
                format!("marked to vary by {how} at {}", self.at(*file, *span))
            }
            Reason::SchemaVary { path, file, span } => format!(
                "the schema field for `{path}` is marked `@vary` at {}",
                self.at(*file, *span)
            ),
            Reason::SameDefinition { at, uses_target } => {
                let why = if *uses_target {
                    "which uses the target's name (`@environment`/`@provider`)"
                } else {
                    "from values that differ between the targets"
                };
                format!("computed by the same definition at {}, {why}", self.place(at))
            }
            Reason::SchemaDefault { at } => {
                format!("the schema default at {} applies", self.origin_at(at))
            }
            Reason::LayerSets { at } => format!("`{}` sets it at {}", at.layer, self.origin_at(at)),
            Reason::Deleted { at } => format!(
                "`{}` removes it with `@delete` at {}",
                at.layer,
                self.origin_at(at)
            ),
            Reason::TypesDiffer {
                path,
                sides: [(a, ti), (b, tj)],
            } => format!(
                "`{path}` is {} {a} in {ti} but {} {b} in {tj}",
                article(a),
                article(b)
            ),
            Reason::NumberKinds {
                path,
                targets: [ti, tj],
                inside,
                numbers: [x, y],
            } => {
                let number = |(shown, t): &(String, &str)| format!("{shown} ({} {t})", article(t));
                let place = if inside.is_empty() {
                    String::new()
                } else {
                    format!(" at `{path}{inside}`")
                };
                format!(
                    "`{path}` is a different kind of number in {ti} and {tj}, which the output spells differently{place}: {} vs {}",
                    number(x),
                    number(y)
                )
            }
            Reason::SharedLayersDiffer {
                path,
                sides: [(a, ti), (b, tj)],
            } => format!(
                "`{path}` differs ({a} in {ti}, {b} in {tj}) though both take it from layers they share"
            ),
            Reason::AbsentIn {
                path,
                absent,
                present,
                set_at,
            } => format!(
                "{absent} has no `{path}`; {present} sets it{}",
                self.at_place(set_at.as_ref(), " at ")
            ),
            Reason::AbsentInMany { path, absent, of } => format!(
                "`{path}` is absent in {absent} of the {of} targets, and no layer of theirs removes it"
            ),
            Reason::TypesDifferInMany { path, types } => format!(
                "`{path}` is not the same type in every target ({})",
                types.join(", ")
            ),
            Reason::NumberKindsInMany { path } => format!(
                "`{path}` holds a float in some targets where others hold an int, which the output spells differently"
            ),
            Reason::DeployedMissing { path, set_at } => format!(
                "the deployed configuration has no `{path}`; tuskc sets it{}",
                self.at_place(set_at.as_ref(), " at ")
            ),
            Reason::DeployedUndeclared { path, target } => {
                format!("deployed `{path}` is not declared by any layer of {target}")
            }
            Reason::SecretNotCompared { path, secret } => {
                let what = match secret {
                    Some(name) => format!("a value for secret `{name}`"),
                    None => "a value derived from a secret".to_string(),
                };
                format!("deployed `{path}` holds {what}, which cannot be compared without the store's identity")
            }
            Reason::SecretDiffers {
                path,
                secret,
                store,
            } => format!(
                "deployed `{path}` is not the value of secret `{secret}` in the {} store (values not shown)",
                store.as_deref().unwrap_or("project's")
            ),
            Reason::DerivedDiffers { path, store } => format!(
                "deployed `{path}` is not the value tuskc derives from the {} store's secrets (values not shown)",
                store.as_deref().unwrap_or("project's")
            ),
            Reason::EnvUnset { path, vars, direct } => {
                let names = vars
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let (from, which) = if vars.len() == 1 {
                    ("the environment variable", "which is")
                } else {
                    ("the environment variables", "which are")
                };
                let how = if *direct { "comes from" } else { "is computed from" };
                format!("`{path}` {how} {from} {names}, {which} not set here (the deployed system's value cannot be checked)")
            }
            Reason::DeployedDiffers {
                path,
                deployed,
                builds,
                set_at,
            } => {
                let what = match deployed {
                    DeployedShown::Type(t) => format!("{} {t}", article(t)),
                    DeployedShown::Value(v) => v.clone(),
                };
                format!(
                    "deployed `{path}` is {what}; tuskc builds {builds}{}",
                    self.at_place(set_at.as_ref(), ", set at ")
                )
            }
        }
    }

    /// `lead` and the place of `o`, or nothing.
    fn at_place(&self, o: Option<&Origin>, lead: &str) -> String {
        o.map(|o| format!("{lead}{}", self.place(o)))
            .unwrap_or_default()
    }

    fn block(&self, b: &BlockPlace) -> String {
        let id = &b.layer;
        match (&b.at, &b.section) {
            (Some((file, span)), Some(h)) => format!(
                "`{id}` (the block at {}, above its `[{h}]` header)",
                self.at(*file, *span)
            ),
            (Some((file, span)), None) => {
                format!("`{id}` (the block at {})", self.at(*file, *span))
            }
            (None, _) => format!("a new `{id} {{ ... }}` block"),
        }
    }

    /// The warning that the line at `o` is shared with other targets, and how to change only this one (`only`).
    fn note(&self, o: &Origin, note: Option<&LayerNote>, only: &str) -> String {
        match note {
            Some(n) => format!(
                "; that line (`{}`) applies to other targets too — to change only {}, {only} in {}",
                o.layer,
                n.target,
                self.block(&n.block)
            ),
            None => String::new(),
        }
    }

    fn fix(&self, f: &Fix) -> String {
        match f {
            Fix::Redeploy { target, then } => match then {
                Redeploy::AddsIt => format!("redeploy the build of {target} to add it"),
                Redeploy::RemovesIt => {
                    format!("remove it from the running system (redeploy the build of {target})")
                }
                Redeploy::Restores(v) => format!("redeploy the build of {target} to restore {v}"),
                Redeploy::Resolved => {
                    format!("redeploy the build of {target} (built with --secrets resolve)")
                }
            },
            Fix::Remove {
                at: Some(o),
                path,
                note,
            } => format!(
                "or, if the running system is right, remove it at {}{}",
                self.origin_at(o),
                self.note(o, note.as_ref(), &format!("write `{path}: @delete`"))
            ),
            Fix::Remove { at: None, .. } => {
                "or, if the running system is right, remove it from the source".into()
            }
            Fix::Declare { under } => format!(
                "or declare it in the source{}",
                under
                    .as_ref()
                    .map(|(p, o)| format!(" under `[{p}]`, at {}", self.place(o)))
                    .unwrap_or_default()
            ),
            Fix::PassIdentity => {
                "pass --identity (or set TUSKC_IDENTITY) to compare it; values are never printed"
                    .into()
            }
            Fix::StoreSecret { secret, env } => format!(
                "or, if the deployed value is right, store it: `tuskc secrets set {secret} --env {}`",
                env.as_deref().unwrap_or("ENV")
            ),
            Fix::Change {
                at: Some(o),
                secrets,
                note,
            } => format!(
                "or, if the deployed value is right, change it at {}{}{}",
                self.origin_at(o),
                if *secrets { " (or the secrets it uses)" } else { "" },
                self.note(o, note.as_ref(), "set it")
            ),
            Fix::Change {
                at: None, secrets, ..
            } => format!(
                "or, if the deployed value is right, change it{} in the source",
                if *secrets { " (or the secrets it uses)" } else { "" }
            ),
            Fix::PassVars { vars } => format!(
                "pass {} or --env-file to compare it",
                vars.iter()
                    .map(|v| format!("--var {v}=VALUE"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Fix::SameType { path } => format!(
                "make both definitions the same type (a schema field for `{path}` would reject the wrong one when building), or mark it `@vary` if the type really differs"
            ),
            Fix::SameNumberKind { path } => format!(
                "write both as the same kind of number (`1.0` or `1`), or declare `{path}` as `float` in a schema (an int then builds as a float), or mark it `@vary` if the kind really differs"
            ),
            Fix::CheckDefinitions { at: [a, b] } => {
                let at = |o: &Option<Origin>| {
                    o.as_ref()
                        .map(|o| self.place(o).to_string())
                        .unwrap_or_else(|| "an unknown place".into())
                };
                format!("check the definitions at {} and {}", at(a), at(b))
            }
            Fix::Rename {
                other,
                other_at,
                key,
                at,
            } => format!(
                "did you mean `{other}`{}? If `{key}` is a typo, rename it{}",
                self.at_place(other_at.as_ref(), ", set at "),
                at.as_ref()
                    .map(|o| format!(" at {}", self.origin_at(o)))
                    .unwrap_or_default()
            ),
            Fix::AddWhereReplaced { at, parent, key } => format!(
                "`{}` replaces `{parent}` with `@replace` at {} without it: add `{key}` there",
                at.layer,
                self.origin_at(at)
            ),
            Fix::AddTo {
                or,
                section,
                path,
                blocks,
            } => {
                let lead = if *or { "or add" } else { "add" };
                let what = if *section {
                    format!("a section `[{path}]`")
                } else {
                    format!("`{path}: ...`")
                };
                let places: Vec<String> = blocks.iter().map(|b| self.block(b)).collect();
                format!("{lead} {what} to {}", and_list(&places))
            }
            Fix::SetInBase => "or set it once in the base, for every target".into(),
            Fix::MarkVary {
                key,
                path,
                wrap,
                typo,
            } => {
                let mark = if *typo {
                    format!("or, if `{key}` is a key of its own that only some targets should have, mark it by hand")
                } else {
                    "or, if only some targets should have it, mark it".to_string()
                };
                if *wrap {
                    format!("{mark}: `{key}: @vary(...)`")
                } else {
                    format!("{mark}: `vary {path}`")
                }
            }
        }
    }
}

/// A finding as the JSON report writes it: its reasons and fixes in words.
#[derive(Serialize)]
struct FindingJson<'a> {
    path: &'a str,
    section: &'a str,
    kind: Kind,
    class: Class,
    variants: &'a [Variant],
    reasons: Vec<String>,
    fix: Vec<String>,
    fixable: bool,
}

impl Words<'_> {
    fn finding_json<'f>(&self, f: &'f Finding) -> FindingJson<'f> {
        FindingJson {
            path: &f.path,
            section: &f.section,
            kind: f.kind,
            class: f.class,
            variants: &f.variants,
            reasons: f.reasons.iter().map(|r| self.reason(r)).collect(),
            fix: f.fix.iter().map(|x| self.fix(x)).collect(),
            fixable: f.fixable,
        }
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
