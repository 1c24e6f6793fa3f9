//! `tuskc completions SHELL` and `tuskc man`: the shell completion scripts and the roff man page, both generated
//! from the clap definitions in `args.rs`, so they can never list a command or flag the parser does not accept.

use std::io::Write as _;

use clap::CommandFactory as _;

use super::args::Cli;

/// Print the completion script for `shell` to stdout.
pub(super) fn completions(shell: clap_complete::Shell) -> u8 {
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tuskc", &mut text);
    emit(&text)
}

/// Print the man page (section 1, roff) to stdout.
pub(super) fn man() -> u8 {
    let mut text = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut text) {
        eprintln!("error: cannot render the man page: {e}");
        return 2;
    }
    emit(&text)
}

/// Write generated text to stdout in one piece; a closed pipe (`tuskc man | head`) is the reader's choice, not an
/// error.
fn emit(text: &[u8]) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write to standard output: {e}");
            2
        }
        _ => 0,
    }
}
