//! Drift detection on a 10,000-parameter, 100-service project (goal: the full comparison across all 9 targets in
//! under 100 ms on one core). Run with `cargo bench --bench drift`; figures are in docs/drift.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The binary's allocator (src/main.rs), so the figures match what `tuskc` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/workload.rs"]
mod workload;

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use tuskc::driver::Session;
use tuskc::ir::Program;
use tuskc::query::drift::{compare_targets, Class, Context, Side};

/// Parse the project and build every target, as `tuskc diff --all` does.
fn build_all(dir: &Path) -> (Session, Program, Vec<Side>) {
    let mut session = Session::open(dir).unwrap();
    let program = session.load(&dir.join("main.tsk")).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    let sides: Vec<Side> = session
        .all_targets(&program)
        .iter()
        .map(|t| {
            let (merged, value) = session.build(&program, t, None, &inputs).unwrap();
            Side {
                target: t.clone(),
                value,
                merged,
            }
        })
        .collect();
    (session, program, sides)
}

fn drift(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    workload::write(dir.path(), 100, 100);

    // Everything `tuskc diff --all` does: parse, build all 9 targets, compare them all.
    c.bench_function(
        "diff --all, 100 services x 100 params, 9 targets (parse + build + compare)",
        |b| {
            b.iter(|| {
                let (session, program, sides) = build_all(dir.path());
                let ctx = Context::new(&program, &session.sources, &sides);
                compare_targets(&ctx, &sides).len()
            })
        },
    );

    // The comparison alone, on targets already built.
    let (mut session, program, sides) = build_all(dir.path());
    let diags = session.take_diagnostics();
    assert!(
        diags.is_empty(),
        "{}",
        tuskc::diagnostic::render::human(&diags, &session.sources, false)
    );
    let ctx = Context::new(&program, &session.sources, &sides);
    let findings = compare_targets(&ctx, &sides);
    assert!(findings.iter().all(|f| f.class != Class::Drift));
    assert!(findings.len() > 1000, "{}", findings.len());
    c.bench_function("compare only, 100 services x 100 params, 9 targets", |b| {
        b.iter(|| compare_targets(&ctx, &sides).len())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = drift
}
criterion_main!(benches);
