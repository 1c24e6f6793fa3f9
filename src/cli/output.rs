//! What a command prints: diagnostics (human or JSON Lines), the summary line, the exit code, and the report a
//! panic leaves.

use std::io::{IsTerminal, Write};

use crate::cli::args::{Cli, ColorChoice, MessageFormat};
use crate::diagnostic::render;
use crate::diagnostic::render::summary;
use crate::diagnostic::{Diagnostic, Severity};
use crate::driver::Session;

pub(crate) struct Output {
    pub(crate) format: MessageFormat,
    color: bool,
    /// As given, for reports printed to stdout (which may be a terminal when stderr is not).
    pub(crate) color_choice: ColorChoice,
}

impl Output {
    pub(crate) fn new(cli: &Cli) -> Self {
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Output {
            format: cli.message_format,
            color,
            color_choice: cli.color,
        }
    }

    /// Print the session's diagnostics and return the exit code they imply.
    pub(crate) fn finish(&mut self, session: Session) -> u8 {
        self.finish_with(session, None)
    }

    /// [`Self::finish`], then a last line for people (`check`'s verdict), after every diagnostic and the count.
    pub(crate) fn finish_with(&mut self, mut session: Session, last: Option<String>) -> u8 {
        let usage = session.usage_error;
        let diags = session.take_diagnostics();
        self.print(&diags, &session);
        if let (MessageFormat::Human, Some(last)) = (self.format, last) {
            eprintln!("{last}");
        }
        exit_code(&diags, usage)
    }

    pub(crate) fn print(&self, diags: &[Diagnostic], session: &Session) {
        self.render_with(diags, &session.sources);
        if self.format == MessageFormat::Human && !diags.is_empty() {
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            eprintln!("{}", summary(errors, diags.len() - errors));
        }
    }

    /// Diagnostics to stderr: rendered text, or one JSON object per line.
    pub(crate) fn render_with(&self, diags: &[Diagnostic], sources: &crate::source::SourceMap) {
        let mut err = std::io::stderr().lock();
        match self.format {
            MessageFormat::Human => {
                let _ = err.write_all(render::human(diags, sources, self.color).as_bytes());
            }
            MessageFormat::Json => {
                // Buffered: stderr is unbuffered, and a write per piece of each line made 40,000 diagnostics take
                // seconds of system time.
                let mut buf = std::io::BufWriter::new(&mut err);
                for d in diags {
                    let _ = writeln!(buf, "{}", render::json(d, sources));
                }
                let _ = buf.flush();
            }
        }
    }

    /// A diagnostic before any session exists (the path cannot be read).
    pub(crate) fn early(&self, d: Diagnostic) -> u8 {
        self.fail(d, 2)
    }

    /// Print one diagnostic that has no place in a source file; return `code`.
    pub(crate) fn fail(&self, d: Diagnostic, code: u8) -> u8 {
        self.render_with(std::slice::from_ref(&d), &crate::source::SourceMap::new());
        code
    }

    /// Print a warning that has no place in a source file (the run goes on).
    pub(crate) fn warn(&self, d: Diagnostic) {
        self.render_with(std::slice::from_ref(&d), &crate::source::SourceMap::new());
    }

    /// A progress or result line for people (stderr; not with `--message-format json`).
    pub(crate) fn say(&self, text: &str) {
        if self.format == MessageFormat::Human {
            eprintln!("{text}");
        }
    }
}

/// What a panic prints: the location only. The message is not an argument, so it cannot be printed.
pub fn panic_report(location: Option<&std::panic::Location<'_>>) -> String {
    let at = location.map_or_else(
        || "an unknown place".to_string(),
        |l| format!("{}:{}", l.file(), l.line()),
    );
    format!("error: tuskc failed unexpectedly (internal error at {at}); please report this with the input that caused it. The panic message is not shown: it could quote configuration values.")
}

pub(crate) fn exit_code(diags: &[Diagnostic], usage: bool) -> u8 {
    let errors = diags.iter().any(|d| d.severity == Severity::Error);
    if usage && errors {
        2
    } else if errors {
        1
    } else {
        0
    }
}

/// The last program a command loaded (if any), left for the operating system to reclaim when the process exits:
/// freeing a large program node by node costs more than anything a command does after its last target (8 M of the
/// 179 M instructions of a one-target build of the peers' 100 × 100 workload). Only the CLI, which exits right after,
/// may do this; the library always drops.
pub(super) fn leave_to_exit(program: Option<crate::ir::Program>) {
    std::mem::forget(program);
}
