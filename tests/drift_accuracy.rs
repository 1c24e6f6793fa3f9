//! Accuracy harness for drift detection: generated projects with known injected drifts and declared variations.
//! Every injected drift must be reported as drift, at its key; nothing else may be (so no declared variation is
//! reported as drift). Checked across all targets (`diff --all`) and for one pair of targets (`diff`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fmt::Write;

use proptest::prelude::*;
use tuskc::driver::Session;
use tuskc::query::drift::{compare_targets, Class, Context, Side};

const ENVS: [&str; 3] = ["development", "staging", "production"];
const PROVIDERS: [&str; 3] = ["aws", "azure", "gcp"];

/// One injected difference. `env`/`provider` index the declared names; `svc` the service it lands in.
#[derive(Clone, Debug)]
enum Injection {
    // ----- declared -----
    /// A base key overridden in one env block with another value of the same type.
    EnvOverride { svc: usize, env: usize },
    /// A base key overridden in one provider block.
    ProviderOverride { svc: usize, provider: usize },
    /// A key only one env defines, marked `@vary(...)`.
    VaryValue { svc: usize, env: usize },
    /// A key only one provider defines, marked by a top-level `vary` declaration.
    VaryDeclared { svc: usize, provider: usize },
    /// A base key removed with `@delete` in one env.
    Deleted { svc: usize, env: usize },
    /// A value computed from the target's name.
    Computed { svc: usize },
    /// A key only one env defines, whose schema field is marked `@vary`.
    SchemaVary { svc: usize, env: usize },
    // ----- drift -----
    /// A key only one env defines.
    OnlyInEnv { svc: usize, env: usize },
    /// A key only one provider defines.
    OnlyInProvider { svc: usize, provider: usize },
    /// An int in the base, a string in one env.
    TypeChange { svc: usize, env: usize },
    /// An object replaced in one env by one lacking a key.
    ReplacedWithout { svc: usize, env: usize },
}

#[derive(Clone, Debug)]
struct Spec {
    envs: usize,
    providers: usize,
    services: usize,
    params: usize,
    injections: Vec<Injection>,
}

fn injection(envs: usize, providers: usize, services: usize) -> impl Strategy<Value = Injection> {
    let svc = 0..services;
    let env = 0..envs;
    let provider = 0..providers;
    let mut kinds: Vec<BoxedStrategy<Injection>> = vec![
        (svc.clone(), env.clone())
            .prop_map(|(svc, env)| Injection::EnvOverride { svc, env })
            .boxed(),
        (svc.clone(), env.clone())
            .prop_map(|(svc, env)| Injection::VaryValue { svc, env })
            .boxed(),
        (svc.clone(), env.clone())
            .prop_map(|(svc, env)| Injection::Deleted { svc, env })
            .boxed(),
        svc.clone()
            .prop_map(|svc| Injection::Computed { svc })
            .boxed(),
        (svc.clone(), env.clone())
            .prop_map(|(svc, env)| Injection::SchemaVary { svc, env })
            .boxed(),
        (svc.clone(), env.clone())
            .prop_map(|(svc, env)| Injection::OnlyInEnv { svc, env })
            .boxed(),
        (svc.clone(), env.clone())
            .prop_map(|(svc, env)| Injection::TypeChange { svc, env })
            .boxed(),
        (svc.clone(), env.clone())
            .prop_map(|(svc, env)| Injection::ReplacedWithout { svc, env })
            .boxed(),
    ];
    if providers > 1 {
        kinds.push(
            (svc.clone(), provider.clone())
                .prop_map(|(svc, provider)| Injection::ProviderOverride { svc, provider })
                .boxed(),
        );
        kinds.push(
            (svc.clone(), provider.clone())
                .prop_map(|(svc, provider)| Injection::VaryDeclared { svc, provider })
                .boxed(),
        );
        kinds.push(
            (svc, provider)
                .prop_map(|(svc, provider)| Injection::OnlyInProvider { svc, provider })
                .boxed(),
        );
    }
    proptest::strategy::Union::new(kinds)
}

fn spec() -> impl Strategy<Value = Spec> {
    (2..=3usize, 1..=3usize, 1..=4usize, 2..=6usize).prop_flat_map(
        |(envs, providers, services, params)| {
            proptest::collection::vec(injection(envs, providers, services), 1..12).prop_map(
                move |injections| Spec {
                    envs,
                    providers,
                    services,
                    params,
                    injections,
                },
            )
        },
    )
}

/// The project's text, and the key paths of injected drifts and declared variations.
fn render(spec: &Spec) -> (String, BTreeSet<String>, BTreeSet<String>) {
    let mut base = String::new();
    let mut top = String::new();
    let mut env_blocks: Vec<String> = vec![String::new(); spec.envs];
    let mut provider_blocks: Vec<String> = vec![String::new(); spec.providers];
    let (mut drift, mut declared) = (BTreeSet::new(), BTreeSet::new());
    // Base: each service's ordinary parameters, and the keys injections build on (one set per injection).
    for s in 0..spec.services {
        writeln!(base, "[svc{s}]").unwrap();
        for p in 0..spec.params {
            match p % 3 {
                0 => writeln!(base, "p{p}: {}", s * 100 + p).unwrap(),
                1 => writeln!(base, "p{p}: \"value-{s}-{p}\"").unwrap(),
                _ => writeln!(base, "p{p}: {}", p % 2 == 0).unwrap(),
            }
        }
    }
    let mut schema_fields: Vec<String> = vec![String::new(); spec.services];
    // Keys injections build on, written before the first section (so their paths are from the root).
    let mut roots = String::new();
    for (n, inj) in spec.injections.iter().enumerate() {
        let k = format!("i{n}");
        match *inj {
            Injection::EnvOverride { svc, env } => {
                writeln!(roots, "svc{svc}.{k}: 1").unwrap();
                writeln!(env_blocks[env], "  svc{svc}.{k}: 2").unwrap();
                declared.insert(format!("svc{svc}.{k}"));
            }
            Injection::ProviderOverride { svc, provider } => {
                writeln!(roots, "svc{svc}.{k}: \"base\"").unwrap();
                writeln!(
                    provider_blocks[provider],
                    "  svc{svc}.{k}: \"{}\"",
                    PROVIDERS[provider]
                )
                .unwrap();
                declared.insert(format!("svc{svc}.{k}"));
            }
            Injection::VaryValue { svc, env } => {
                writeln!(env_blocks[env], "  svc{svc}.{k}: @vary(true)").unwrap();
                declared.insert(format!("svc{svc}.{k}"));
            }
            Injection::VaryDeclared { svc, provider } => {
                writeln!(top, "vary svc{svc}.{k}").unwrap();
                writeln!(provider_blocks[provider], "  svc{svc}.{k} {{ id: {n} }}").unwrap();
                declared.insert(format!("svc{svc}.{k}"));
            }
            Injection::Deleted { svc, env } => {
                writeln!(roots, "svc{svc}.{k}: 3").unwrap();
                writeln!(env_blocks[env], "  svc{svc}.{k}: @delete").unwrap();
                declared.insert(format!("svc{svc}.{k}"));
            }
            Injection::Computed { svc } => {
                writeln!(roots, "svc{svc}.{k}: \"prefix-\" + @environment").unwrap();
                declared.insert(format!("svc{svc}.{k}"));
            }
            Injection::SchemaVary { svc, env } => {
                writeln!(schema_fields[svc], "  {k}?: string @vary").unwrap();
                writeln!(env_blocks[env], "  svc{svc}.{k}: \"only here\"").unwrap();
                declared.insert(format!("svc{svc}.{k}"));
            }
            Injection::OnlyInEnv { svc, env } => {
                writeln!(env_blocks[env], "  svc{svc}.{k}: 5").unwrap();
                drift.insert(format!("svc{svc}.{k}"));
            }
            Injection::OnlyInProvider { svc, provider } => {
                writeln!(provider_blocks[provider], "  svc{svc}.{k}: \"x\"").unwrap();
                drift.insert(format!("svc{svc}.{k}"));
            }
            Injection::TypeChange { svc, env } => {
                writeln!(roots, "svc{svc}.{k}: 8080").unwrap();
                writeln!(env_blocks[env], "  svc{svc}.{k}: \"8080\"").unwrap();
                drift.insert(format!("svc{svc}.{k}"));
            }
            Injection::ReplacedWithout { svc, env } => {
                writeln!(roots, "svc{svc}.{k} {{ a: 1, b: 2 }}").unwrap();
                writeln!(env_blocks[env], "  svc{svc}.{k}: @replace({{ a: 1 }})").unwrap();
                drift.insert(format!("svc{svc}.{k}.b"));
            }
        }
    }
    for (s, fields) in schema_fields.iter().enumerate() {
        writeln!(
            top,
            "schema Svc{s} {{\n{fields}  ...\n}}\nbind svc{s}: Svc{s}"
        )
        .unwrap();
    }
    let mut text = top;
    text.push_str(&roots);
    text.push_str(&base);
    for (e, body) in env_blocks.iter().enumerate() {
        writeln!(text, "env {} {{\n{body}}}", ENVS[e]).unwrap();
    }
    for (p, body) in provider_blocks.iter().enumerate() {
        writeln!(text, "provider {} {{\n{body}}}", PROVIDERS[p]).unwrap();
    }
    (text, drift, declared)
}

/// Drift findings of every target against every other, and of the first and last target alone.
/// (key path, class) of each finding.
type Classes = Vec<(String, Class)>;

fn findings(text: &str) -> (Classes, Classes, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gen.tsk");
    std::fs::write(&file, text).unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    let targets = session.all_targets(&program);
    let sides: Vec<Side> = targets
        .iter()
        .filter_map(|t| {
            session
                .build(&program, t, None, &inputs)
                .map(|(merged, value)| Side {
                    target: t.clone(),
                    value,
                    merged,
                })
        })
        .collect();
    let diags =
        tuskc::diagnostic::render::human(&session.take_diagnostics(), &session.sources, false);
    assert!(
        !program.has_errors && sides.len() == targets.len(),
        "{diags}\n{text}"
    );
    let ctx = Context::new(&program, &session.sources, &sides);
    let all = compare_targets(&ctx, &sides);
    let pair = [sides.first().unwrap(), sides.last().unwrap()];
    let pair_sides: Vec<Side> = pair
        .iter()
        .map(|s| Side {
            target: s.target.clone(),
            value: s.value.clone(),
            merged: session.build(&program, &s.target, None, &inputs).unwrap().0,
        })
        .collect();
    let ctx2 = Context::new(&program, &session.sources, &pair_sides);
    let two = compare_targets(&ctx2, &pair_sides);
    let strip =
        |fs: Vec<tuskc::query::drift::Finding>| fs.into_iter().map(|f| (f.path, f.class)).collect();
    (strip(all), strip(two), diags)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn every_injected_drift_is_reported_and_nothing_declared_is(spec in spec()) {
        let (text, drift, declared) = render(&spec);
        let (all, _, diags) = findings(&text);
        let reported: BTreeSet<String> =
            all.iter().filter(|(_, c)| *c == Class::Drift).map(|(p, _)| p.clone()).collect();
        // 100% of injected drifts reported, at their key.
        for d in &drift {
            prop_assert!(reported.contains(d), "drift `{}` not reported\n{}\n{}\n{:?}", d, text, diags, all);
        }
        // No declared variation (and nothing else) reported as drift.
        for r in &reported {
            prop_assert!(drift.contains(r), "`{}` reported as drift{}\n{}", r,
                if declared.contains(r) { " but it is declared" } else { "" }, text);
        }
    }

    #[test]
    fn a_pair_of_targets_reports_only_injected_drift(spec in spec()) {
        let (text, drift, _) = render(&spec);
        let (_, two, _) = findings(&text);
        for (path, class) in &two {
            if *class == Class::Drift {
                prop_assert!(drift.contains(path), "`{}` reported as drift between two targets\n{}", path, text);
            }
        }
    }
}

/// A fixed, larger sample (seeded by the loop index, so it is the same every run): every kind of injection at once.
#[test]
fn every_kind_at_once() {
    let mut injections = Vec::new();
    for svc in 0..3 {
        injections.extend([
            Injection::EnvOverride { svc, env: 0 },
            Injection::ProviderOverride { svc, provider: 1 },
            Injection::VaryValue { svc, env: 1 },
            Injection::VaryDeclared { svc, provider: 2 },
            Injection::Deleted { svc, env: 2 },
            Injection::Computed { svc },
            Injection::SchemaVary { svc, env: 0 },
            Injection::OnlyInEnv { svc, env: 1 },
            Injection::OnlyInProvider { svc, provider: 0 },
            Injection::TypeChange { svc, env: 2 },
            Injection::ReplacedWithout { svc, env: 0 },
        ]);
    }
    let spec = Spec {
        envs: 3,
        providers: 3,
        services: 3,
        params: 6,
        injections,
    };
    let (text, drift, declared) = render(&spec);
    let (all, _, _) = findings(&text);
    let reported: BTreeSet<String> = all
        .iter()
        .filter(|(_, c)| *c == Class::Drift)
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(reported, drift, "{text}");
    let declared_found: BTreeSet<String> = all
        .iter()
        .filter(|(_, c)| *c == Class::Declared)
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(declared_found, declared, "{text}");
    assert_eq!(drift.len(), 12);
}
