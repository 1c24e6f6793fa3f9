//! The compiler's stages on generated projects of 10, 100 and 1000 services × 100 parameters (the workload of
//! `cargo run --example gen`), so that each stage's growth with project size is visible. Run with
//! `cargo bench --bench pipeline` (all sizes) or `cargo bench --bench pipeline -- 100x100` (one size); the figures
//! and the whole-process measurements are in docs/performance.md.
//!
//! The peers' typed workload (bench/peers/gen.py's `config.tsk`, written by benches/support/typed.rs: one schema
//! per service with literal unions, ranges, a pattern, nested records and lists; env and provider overlays) at the
//! same sizes, in the groups `typed/{size}`: load, one target (production/aws) built and written, all 9 targets,
//! `check`. `cargo bench --bench pipeline -- typed/` runs only those, `-- 100x100` both workloads at one size.
//!
//! Per target (development/aws): lex, parse, load (lex + parse + lower every file), merge, build (merge + evaluate +
//! type-check, the whole value tree), emit JSON from it, and the two in one streamed walk (`Session::build_text`, what
//! `tuskc build` does). Per project: every target built and written (`build --all` without the file writes), `check`
//! (every target built and checked, nothing emitted), and `diff` of two environments.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/workload.rs"]
mod workload;

#[path = "support/typed.rs"]
mod typed;

// The binary's allocator (src/main.rs), so in-process figures match what `tuskc` does; with the system allocator
// the 1000 × 100 group runs about twice as slow.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tuskc::diagnostic::Sink;
use tuskc::driver::Session;
use tuskc::emit::{emit, Format};
use tuskc::ir::Target;
use tuskc::merge::merge;
use tuskc::query::drift::{compare_targets, Context, Side};
use tuskc::source::FileId;

const SIZES: [usize; 3] = [10, 100, 1000];

fn target() -> Target {
    Target::new(Some("development"), Some("aws"))
}

fn sources(dir: &Path) -> Vec<String> {
    let mut files = vec![
        dir.join("main.tsk"),
        dir.join("schemas.tsk"),
        dir.join("shared.tsk"),
    ];
    let mut services: Vec<_> = std::fs::read_dir(dir.join("services"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    services.sort();
    files.extend(services);
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

fn pipeline(c: &mut Criterion) {
    for services in SIZES {
        let dir = tempfile::tempdir().unwrap();
        workload::write(dir.path(), services, 100);
        let dir = dir.path();
        let size = format!("{services}x100");
        let texts = sources(dir);
        let bytes: usize = texts.iter().map(String::len).sum();

        let mut g = c.benchmark_group(format!("pipeline/{size}"));
        g.sample_size(if services >= 1000 { 10 } else { 30 });

        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("lex", |b| {
            b.iter(|| {
                let mut sink = Sink::new();
                texts
                    .iter()
                    .map(|t| {
                        tuskc::syntax::lexer::lex(t, 0, FileId(0), &mut sink)
                            .tokens
                            .len()
                    })
                    .sum::<usize>()
            })
        });
        g.bench_function("parse", |b| {
            b.iter(|| {
                let mut sink = Sink::new();
                texts
                    .iter()
                    .map(|t| {
                        tuskc::syntax::parser::parse(t, FileId(0), &mut sink)
                            .items
                            .len()
                    })
                    .sum::<usize>()
            })
        });
        g.bench_function("load (lex + parse + lower)", |b| {
            b.iter(|| {
                let mut session = Session::open(dir).unwrap();
                session.load(&dir.join("main.tsk")).unwrap().layers.len()
            })
        });

        let mut session = Session::open(dir).unwrap();
        let program = session.load(&dir.join("main.tsk")).unwrap();
        let inputs = session.env_inputs(&[], &[], false);
        let t = target();
        g.throughput(Throughput::Elements((services * 100) as u64));
        g.bench_function("merge, one target", |b| {
            b.iter(|| merge(&program, &t, None).slots)
        });
        g.bench_function("build, one target (merge + evaluate + check)", |b| {
            b.iter(|| session.build(&program, &t, None, &inputs).is_some())
        });
        let (_, value) = session.build(&program, &t, None, &inputs).unwrap();
        g.bench_function("emit JSON, one target", |b| {
            b.iter(|| emit(&value, Format::Json).unwrap().len())
        });
        g.bench_function("build and write JSON, one target (streamed)", |b| {
            b.iter(|| {
                session
                    .build_text(&program, &t, None, &inputs, Format::Json, 0)
                    .unwrap()
                    .len()
            })
        });
        assert!(session.take_diagnostics().is_empty());

        let targets = session.all_targets(&program);
        assert_eq!(targets.len(), 9);
        g.throughput(Throughput::Elements((services * 100 * 9) as u64));
        g.bench_function(
            BenchmarkId::new("all 9 targets (load + build and write)", &size),
            |b| {
                b.iter(|| {
                    let mut session = Session::open(dir).unwrap();
                    session.keep_syntax = false;
                    let program = session.load(&dir.join("main.tsk")).unwrap();
                    let mut last = 0;
                    let mut written = 0;
                    for t in session.all_targets(&program) {
                        let text = session
                            .build_text(&program, &t, None, &inputs, Format::Json, last)
                            .unwrap();
                        last = text.len();
                        written += last;
                    }
                    written
                })
            },
        );
        g.bench_function(BenchmarkId::new("check, whole project", &size), |b| {
            b.iter(|| {
                let mut session = Session::open(dir).unwrap();
                let program = session.load(&dir.join("main.tsk")).unwrap();
                for t in session.all_targets(&program) {
                    session.build(&program, &t, None, &inputs).unwrap();
                }
                session.take_diagnostics().len()
            })
        });
        g.bench_function(
            BenchmarkId::new("diff development production (build 2 + compare)", &size),
            |b| {
                b.iter(|| {
                    let sides: Vec<Side> = ["development", "production"]
                        .iter()
                        .map(|env| {
                            let target = Target::new(Some(env), Some("aws"));
                            let (merged, value) =
                                session.build(&program, &target, None, &inputs).unwrap();
                            Side {
                                target,
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
        g.finish();
    }
}

/// The peers' typed workload: one `config.tsk` of S services × 100 typed fields (the job docs/performance.md
/// compares with jrsonnet), each stage as `tuskc build`/`build --all`/`check` runs it.
fn typed_workload(c: &mut Criterion) {
    for services in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let file = typed::write(dir.path(), services, 100, None).unwrap();
        let size = format!("{services}x100");
        let bytes = std::fs::metadata(&file).unwrap().len();

        let mut g = c.benchmark_group(format!("typed/{size}"));
        g.sample_size(if services >= 1000 { 10 } else { 30 });

        g.throughput(Throughput::Bytes(bytes));
        g.bench_function("load (lex + parse + lower)", |b| {
            b.iter(|| {
                let mut session = Session::open(&file).unwrap();
                session.load(&file).unwrap().layers.len()
            })
        });

        let mut session = Session::open(&file).unwrap();
        let program = session.load(&file).unwrap();
        let inputs = session.env_inputs(&[], &[], false);
        let t = Target::new(Some("production"), Some("aws"));
        g.throughput(Throughput::Elements((services * 100) as u64));
        g.bench_function("build and write JSON, one target (streamed)", |b| {
            b.iter(|| {
                session
                    .build_text(&program, &t, None, &inputs, Format::Json, 0)
                    .unwrap()
                    .len()
            })
        });
        assert!(session.take_diagnostics().is_empty());
        assert_eq!(session.all_targets(&program).len(), 9);

        // As `build --all` and `check` run them (`Session::build_texts`, `check_targets`), on one thread: the work
        // of one core (the CLI uses one thread per core).
        g.throughput(Throughput::Elements((services * 100 * 9) as u64));
        g.bench_function(
            BenchmarkId::new("all 9 targets (load + build and write)", &size),
            |b| {
                b.iter(|| {
                    let mut session = Session::open(&file).unwrap();
                    session.keep_syntax = false;
                    let program = session.load(&file).unwrap();
                    let targets = session.all_targets(&program);
                    let mut written = 0;
                    session.build_texts(
                        &program,
                        &targets,
                        None,
                        &inputs,
                        Format::Json,
                        1,
                        |_, text| text,
                        |_, _, text| {
                            written += text.unwrap().len();
                        },
                    );
                    written
                })
            },
        );
        g.bench_function(BenchmarkId::new("check, whole project", &size), |b| {
            b.iter(|| {
                let mut session = Session::open(&file).unwrap();
                session.keep_syntax = false;
                let program = session.load(&file).unwrap();
                let targets = session.all_targets(&program);
                session.check_targets(
                    &program,
                    &targets,
                    None,
                    &inputs,
                    1,
                    None,
                    |_, _, failed| {
                        assert!(!failed);
                    },
                );
                session.take_diagnostics().len()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, pipeline, typed_workload);
criterion_main!(benches);
