//! Write a generated workload project: `cargo run --example gen -- --services 100 --params 100 --out /tmp/w`.
//! The same arguments always write the same files (see benches/support/workload.rs for what a project holds).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)] // a developer tool printing to a terminal

#[path = "../benches/support/workload.rs"]
mod workload;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Write a deterministic tuskc workload project")]
struct Args {
    /// Number of services.
    #[arg(long, default_value_t = 100)]
    services: usize,
    /// Parameters per service.
    #[arg(long, default_value_t = 100)]
    params: usize,
    /// Directory to write the project into (created if missing).
    #[arg(long, default_value = "workload")]
    out: std::path::PathBuf,
}

fn main() {
    let a = Args::parse();
    workload::write(&a.out, a.services, a.params);
    eprintln!(
        "wrote {} services x {} parameters to {} (build it with: tuskc build {} --all --out-dir OUT)",
        a.services,
        a.params,
        a.out.display(),
        a.out.display()
    );
}
