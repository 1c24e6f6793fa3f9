//! `tuskc get KEY` and `tuskc explain KEY`: one key of one target, printed as its value (`get`) or with where it
//! came from (`explain`, whose text `query::explain` writes). Owns the answer for a key that is not there (removed by a
//! layer, or a near miss with a suggestion) and the rule that a secret's plaintext is printed only by `get --reveal`.

use crate::cli::args::{KeyArgs, MessageFormat};
use crate::cli::entries::{single_entry, start};
use crate::cli::output::Output;
use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::secrets::SecretMode;
use crate::value::ValueKind;

pub(super) fn get_or_explain(a: &KeyArgs, out: &mut Output, explain: bool) -> u8 {
    let mut key_inputs = a.inputs.clone();
    if a.reveal && !explain {
        key_inputs.secrets = SecretMode::Resolve;
    }
    let (mut session, overrides, inputs) = match start(&a.path, &key_inputs, out) {
        Ok(started) => started,
        Err(code) => return code,
    };
    if a.reveal && explain {
        session.usage_error = true;
        session.sink.push(
            Diagnostic::error(
                Code::Usage,
                "`--reveal` applies to `get`; `explain` never prints secret values",
            )
            .help("use `tuskc get KEY --reveal` to print a decrypted value"),
        );
        return out.finish(session);
    }
    // The key as `--set` and a file write it (`services."bad key".port`), else split at dots (`bad key`).
    let Some(path) = crate::query::explain::key_path(&a.key) else {
        session.usage_error = true;
        session.sink.push(
            Diagnostic::error(Code::Usage, format!("`{}` is not a key path", a.key))
                .help("key paths look like `app.database.port`"),
        );
        return out.finish(session);
    };
    let Some(entry) = single_entry(&mut session, false) else {
        return out.finish(session);
    };
    let Some(program) = session.load(&entry) else {
        return out.finish(session);
    };
    let Some(target) = session.select_target(
        &program,
        a.inputs.env.as_deref(),
        a.inputs.provider.as_deref(),
        false,
    ) else {
        return out.finish(session);
    };
    let Some((merged, root)) = session.build(&program, &target, overrides.as_ref(), &inputs) else {
        return out.finish(session);
    };
    if program.has_errors {
        // Like `build`: a program with errors produces no value, only its diagnostics.
        return out.finish(session);
    }
    let Some(value) = root.get_path(&path) else {
        session.usage_error = true;
        if let Some(by) = merged.deleted_by(&path) {
            let at = by.origin();
            let (label, fix) = crate::eval::removal_label_and_fix(&by, &a.key);
            let d = Diagnostic::error(
                Code::KeyNotFound,
                format!(
                    "`{}` is not a key when building {}: {}",
                    crate::diagnostic::show_key(&a.key),
                    target.describe(),
                    crate::eval::deleted_by_text(&session.sources, &by)
                ),
            )
            .primary(at.file, at.span, label)
            .help(format!(
                "{fix}, or define `{}` again in a later layer",
                crate::diagnostic::show_key(&a.key)
            ));
            session.sink.push(d);
            return out.finish(session);
        }
        let mut d = Diagnostic::error(
            Code::KeyNotFound,
            format!(
                "`{}` is not a key when building {}",
                crate::diagnostic::show_key(&a.key),
                target.describe()
            ),
        );
        // Suggest from the deepest object the path reaches.
        let mut cur = &root;
        let mut reached = Vec::new();
        for seg in &path {
            match cur.get_path(std::slice::from_ref(seg)) {
                Some(next) => {
                    reached.push(seg.clone());
                    cur = next;
                }
                None => {
                    let at = match reached.is_empty() {
                        true => "the target".to_string(),
                        false => format!(
                            "`{}`",
                            crate::diagnostic::show_path(reached.iter().map(String::as_str))
                        ),
                    };
                    let help = match &cur.kind {
                        ValueKind::Object(m) => match did_you_mean(seg, m.keys().map(|k| &**k)) {
                            Some(s) => {
                                let mut p = reached.clone();
                                p.push(s.to_string());
                                format!(
                                    "did you mean `{}`?",
                                    crate::diagnostic::show_path(p.iter().map(String::as_str))
                                )
                            }
                            None if m.is_empty() => format!("{at} has no keys"),
                            None => {
                                const SHOWN: usize = 12;
                                let mut keys: Vec<String> = m
                                    .keys()
                                    .take(SHOWN)
                                    .map(|k| format!("`{}`", crate::diagnostic::show_key(k)))
                                    .collect();
                                if m.len() > SHOWN {
                                    keys.push(format!("and {} more", m.len() - SHOWN));
                                }
                                format!("the keys of {at} are {}", keys.join(", "))
                            }
                        },
                        _ => format!("{at} is {}, which has no keys", cur.describe()),
                    };
                    d = d.help(help);
                    break;
                }
            }
        }
        session.sink.push(d);
        return out.finish(session);
    };
    // A decrypted value is printed only by `get --reveal`; otherwise it is masked like `--secrets redact`.
    let masked;
    let value = if session.secrets.mode == SecretMode::Resolve && (explain || !a.reveal) {
        masked = crate::secrets::masked(value);
        &masked
    } else {
        value
    };
    if !explain {
        // Like `build`: a target that failed a check prints nothing, so `X=$(tuskc get ...)` never captures a value
        // the exit code disowns.
        if session.sink.has_errors() {
            return out.finish(session);
        }
        // Strings raw, everything else as JSON; a secret reference is a string (`build` writes it as one).
        let text = match (&value.kind, a.json) {
            (ValueKind::String(s), false) => format!("{s}\n"),
            (ValueKind::Secret(name), false) => {
                format!("{}\n", crate::value::secret_reference(name))
            }
            _ => format!(
                "{}\n",
                serde_json::to_string_pretty(&crate::emit::Json(value)).unwrap_or_default()
            ),
        };
        print!("{text}");
        return out.finish(session);
    }
    let text = crate::query::explain::explain_text(
        &session.sources,
        &program,
        &target,
        &merged,
        &path,
        value,
        out.format == MessageFormat::Json,
    );
    print!("{text}");
    out.finish(session)
}
