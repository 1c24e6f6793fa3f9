//! The `tuskc` binary: runs the command line on a thread with a generous stack, so deeply nested input meets the
//! compiler's own depth limits (clear diagnostics) long before the stack could run out. A panic (a bug) prints only
//! its source location, never its message, so no configuration value or secret can reach stderr through it.
use std::process::ExitCode;

// mimalloc: the compiler allocates many small, short-lived nodes and strings per target; mimalloc's size-class
// free lists roughly halve the time glibc malloc spends on them (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A panic message could quote configuration, even a resolved secret: print where it happened, never what it said.
    std::panic::set_hook(Box::new(|info| {
        // Never `eprintln!`: with stderr closed it would panic inside the hook, and the process would abort.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            tuskc::cli_panic_report(info.location())
        );
    }));
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(tuskc::cli_main);
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => ExitCode::from(101),
    }
}
