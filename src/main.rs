//! The `tuskc` binary: runs the command line on a thread with a generous stack, so deeply nested input meets the
//! compiler's own depth limits (clear diagnostics) long before the stack could run out.
use std::process::ExitCode;

fn main() -> ExitCode {
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(tuskc::cli::main);
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: tuskc failed unexpectedly; please report this with the input that caused it");
            ExitCode::from(101)
        }
    }
}
