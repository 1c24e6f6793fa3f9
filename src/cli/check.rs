//! `tuskc check`: compile every entry's targets (those `--env`/`--provider` select) without writing anything,
//! optionally validating each output against a JSON Schema (`--json-schema`), and end with the verdict line.

use crate::cli::args::CheckArgs;
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
    for entry in session.project.entries.clone() {
        let Some(program) = session.load(&entry) else {
            continue;
        };
        for target in session.filtered_targets(
            &program,
            a.inputs.env.as_deref(),
            a.inputs.provider.as_deref(),
        ) {
            checked += 1;
            let before = session.sink.error_count();
            let built = session.build(&program, &target, overrides.as_ref(), &inputs);
            if let (Some((validator, name)), Some((_, value))) = (&validator, &built) {
                if session.sink.error_count() == before {
                    let mark = session.sink.len();
                    let found = crate::schema::json_schema::validate(
                        validator,
                        value,
                        name,
                        &session.sources,
                    );
                    session.sink.extend(found);
                    session.sink.tag_targets(mark, &target.to_string());
                }
            }
            if session.sink.error_count() > before || built.is_none() {
                failed.push(target.describe());
            }
        }
    }
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
