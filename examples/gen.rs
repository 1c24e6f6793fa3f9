//! Write a generated workload project: `cargo run --example gen -- --services 100 --params 100 --out /tmp/w`.
//! The same arguments always write the same files (see benches/support/workload.rs for what a project holds).
//! `--typed` writes the peers' typed workload instead (benches/support/typed.rs): `OUT/config.tsk`, the same text as
//! `python3 bench/peers/gen.py OUT -S SERVICES -P PARAMS` writes to `OUT/tuskc/config.tsk`; `--bad range|enum|regex`
//! plants gen.py's invalid value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_macros)] // a developer tool printing to a terminal

#[path = "../benches/support/workload.rs"]
mod workload;

#[path = "../benches/support/typed.rs"]
mod typed;

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
    /// Write the peers' typed workload (one `config.tsk`, as bench/peers/gen.py writes it) instead.
    #[arg(long)]
    typed: bool,
    /// With `--typed`: plant one invalid value (range, enum or regex) in production/svc0000.
    #[arg(long, requires = "typed", value_parser = ["range", "enum", "regex"])]
    bad: Option<String>,
}

fn main() {
    let a = Args::parse();
    if a.typed {
        let bad = a.bad.as_deref().and_then(typed::Bad::parse);
        match typed::write(&a.out, a.services, a.params, bad) {
            Ok(path) => eprintln!(
                "wrote {} services x {} typed parameters to {} (build it with: tuskc build {} --all --out-dir OUT)",
                a.services,
                a.params,
                path.display(),
                path.display()
            ),
            Err(e) => {
                eprintln!("gen: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    workload::write(&a.out, a.services, a.params);
    eprintln!(
        "wrote {} services x {} parameters to {} (build it with: tuskc build {} --all --out-dir OUT)",
        a.services,
        a.params,
        a.out.display(),
        a.out.display()
    );
}
