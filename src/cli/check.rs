//! `tuskc check`: compile every entry's targets (those `--env`/`--provider` select) without writing anything,
//! optionally validating each output against a JSON Schema (`--json-schema`), and end with the verdict line.

use crate::cli::args::{jobs, CheckArgs};
use crate::cli::entries::{has_entries, start};
use crate::cli::output::Output;

pub(super) fn check(a: &CheckArgs, out: &mut Output) -> u8 {
    let (mut session, overrides, inputs) = match start(&a.path, &a.inputs, out) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let validator = match &a.json_schema {
        None => None,
        Some(file) => match crate::user_file::read_to_string(file) {
            Ok(text) => {
                match crate::schema::json_schema::compile(&text, &file.display().to_string()) {
                    Ok(v) => Some((v, file.display().to_string())),
                    Err(d) => {
                        session.usage_error = true;
                        session.sink.push(d);
                        return out.finish(session);
                    }
                }
            }
            Err(e) => {
                session.usage_error = true;
                session.sink.push(crate::user_file::read_error(
                    &format!("`{}`", file.display()),
                    &e,
                ));
                return out.finish(session);
            }
        },
    };
    if !has_entries(&mut session) {
        return out.finish(session);
    }
    let mut checked = 0;
    let mut failed = Vec::new();
    // Checking needs the lowered layers, not the syntax trees (as `build`).
    session.keep_syntax = false;
    let jobs = jobs(a.jobs);
    session.threads = jobs;
    let validate = validator.as_ref().map(|(validator, name)| {
        move |value: &crate::value::Value, sources: &crate::source::SourceMap| {
            crate::schema::json_schema::validate(validator, value, name, sources)
        }
    });
    let validate = validate
        .as_ref()
        .map(|v| v as &crate::driver::Validate<'_>);
    let many = session.project.entries.len() > 1;
    // Earlier entries' programs are dropped as the next one loads; the last is left to the process's exit.
    let mut last = None;
    for entry in session.project.entries.clone() {
        drop(last.take());
        let Some(program) = session.load(&entry) else {
            continue;
        };
        let targets = session.filtered_targets(
            &program,
            a.inputs.env.as_deref(),
            a.inputs.provider.as_deref(),
        );
        checked += targets.len();
        session.check_targets(
            &program,
            &targets,
            overrides.as_ref(),
            &inputs,
            jobs,
            validate,
            |_, target, target_failed| {
                if target_failed {
                    // With several entries, a target is named with its entry (as `build --all` names it).
                    failed.push(if many {
                        format!("{} ({})", target, entry.display())
                    } else {
                        target.describe()
                    });
                }
            },
        );
        last = Some(program);
    }
    super::output::leave_to_exit(last);
    // The verdict ends the output, after the diagnostics it sums up.
    let last = if failed.is_empty() && !session.sink.has_errors() {
        Some(format!(
            "checked {checked} target{}: no errors",
            if checked == 1 { "" } else { "s" }
        ))
    } else if !failed.is_empty() {
        Some(format!("failing targets: {}", failed.join(", ")))
    } else {
        None
    };
    out.finish_with(session, last)
}
