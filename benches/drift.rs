//! Drift detection on a 10,000-parameter, 100-service project (goal: the full comparison across all 9 targets in
//! under 100 ms on one core). Run with `cargo bench --bench drift`; figures are in docs/drift.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/workload.rs"]
mod workload;

use criterion::{criterion_group, criterion_main, Criterion};
use tuskc::drift::{compare_targets, Context, Side};
use tuskc::driver::Session;

fn drift(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    workload::write(dir.path(), 100, 100);
    let entry = dir.path().join("main.tsk");

    // Everything `tuskc diff --all` does: parse, build all 9 targets, compare them all.
    c.bench_function(
        "diff --all, 100 services x 100 params, 9 targets (parse + build + compare)",
        |b| {
            b.iter(|| {
                let mut session = Session::open(dir.path()).unwrap();
                let program = session.load(&entry).unwrap();
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
                let ctx = Context::new(&program, &session.sources, &sides);
                compare_targets(&ctx, &sides).len()
            })
        },
    );

    // The comparison alone, on targets already built.
    let mut session = Session::open(dir.path()).unwrap();
    let program = session.load(&entry).unwrap();
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
    let diags = session.take_diagnostics();
    assert!(
        diags.is_empty(),
        "{}",
        tuskc::render::human(&diags, &session.sources, false)
    );
    let ctx = Context::new(&program, &session.sources, &sides);
    let findings = compare_targets(&ctx, &sides);
    assert!(findings
        .iter()
        .all(|f| f.class != tuskc::drift::Class::Drift));
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
