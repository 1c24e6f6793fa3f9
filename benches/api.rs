//! The library API on examples/shop, target production/aws: a first compilation (the project opened, loaded and the
//! target compiled, what a service pays at start-up or after an edit) against the retrieval of the unchanged target
//! from a loaded project (its files re-stat'ed, its `@env` variables re-read, the cached result handed back). Run with
//! `cargo bench --bench api`; the figures are in docs/api.md and docs/performance.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use tuskc::Project;

fn api(c: &mut Criterion) {
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let mut g = c.benchmark_group("api/shop-production-aws");
    g.bench_function("first compile", |b| {
        b.iter(|| {
            let project = Project::open(&shop).unwrap();
            project.target(Some("production"), Some("aws")).unwrap()
        })
    });
    let project = Project::open(&shop).unwrap();
    project.target(Some("production"), Some("aws")).unwrap();
    g.bench_function("cached retrieval", |b| {
        b.iter(|| project.target(Some("production"), Some("aws")).unwrap())
    });
    assert_eq!(
        project.compilations(),
        1,
        "every retrieval came from the cache"
    );
    g.finish();
}

criterion_group!(benches, api);
criterion_main!(benches);
