//! The drift query answers with data: a finding's reasons and fixes are enums holding origins, key paths and
//! targets (no sentence, no command-line flag), and its `--fix` edit is a file and a span. The command line writes
//! the English (tests/drift.rs checks the words).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tuskc::driver::Session;
use tuskc::query::drift::{compare_targets, Class, Context, Fix, Kind, Reason, Side, VaryEdit};

const APP: &str = r#"[db]
host: "h"
pool: { size: 4, idle: 2 }
replicas: 2

env staging {
  [db]
  pool: @replace({ size: 8 })
  replcias: 3
  flag: true
}

env production {
  [db]
  host: "p"
}
"#;

#[test]
fn findings_hold_reasons_and_fixes_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.tsk");
    std::fs::write(&file, APP).unwrap();
    let mut session = Session::open(&file).unwrap();
    let program = session.load(&file).unwrap();
    let inputs = session.env_inputs(&[], &[], false);
    let sides: Vec<Side> = session
        .all_targets(&program)
        .into_iter()
        .map(|t| {
            let (merged, value) = session.build(&program, &t, None, &inputs).unwrap();
            Side {
                target: t,
                value,
                merged,
            }
        })
        .collect();
    let ctx = Context::new(&program, &session.sources, &sides);
    let findings = compare_targets(&ctx, &sides);
    let find = |path: &str| findings.iter().find(|f| f.path == path).unwrap();

    // Declared: the layer that sets it, by origin (line 15 of the file: `host: "p"`).
    let host = find("db.host");
    assert_eq!(host.class, Class::Declared);
    let [Reason::LayerSets { at }] = host.reasons.as_slice() else {
        panic!("{:?}", host.reasons)
    };
    assert_eq!(&APP[at.span.start as usize..at.span.end as usize], "\"p\"");
    assert!(host.fix.is_empty());

    // A typo: the rename comes first, and no automatic `@vary`.
    let typo = find("db.replcias");
    assert_eq!((typo.class, typo.kind), (Class::Drift, Kind::Missing));
    assert!(matches!(
        typo.reasons.as_slice(),
        [Reason::AbsentIn { path, set_at: Some(_), .. }] if path == "db.replcias"
    ));
    assert!(
        matches!(&typo.fix[0], Fix::Rename { other, key, .. } if other == "db.replicas" && key == "replcias")
    );
    assert!(matches!(
        typo.fix.last(),
        Some(Fix::MarkVary { typo: true, .. })
    ));
    assert!(typo.edit.is_none() && !typo.fixable);

    // A key `@replace` left out: where to add it back, by origin.
    let idle = find("db.pool.idle");
    assert!(idle.fix.iter().any(|f| matches!(
        f,
        Fix::AddWhereReplaced { parent, key, .. } if parent == "db.pool" && key == "idle"
    )));

    // The safe fix is an edit of the file: wrap the value's span in `@vary(...)`.
    let flag = find("db.flag");
    let Some(VaryEdit::Wrap { span, .. }) = &flag.edit else {
        panic!("{:?}", flag.edit)
    };
    assert_eq!(&APP[span.start as usize..span.end as usize], "true");
    assert!(matches!(
        flag.fix.last(),
        Some(Fix::MarkVary {
            wrap: true,
            typo: false,
            ..
        })
    ));
    // Every reason and fix is data: its Debug spells no sentence.
    for f in &findings {
        let debug = format!("{:?} {:?}", f.reasons, f.fix);
        assert!(
            !debug.contains(" has no ") && !debug.contains("--"),
            "{debug}"
        );
    }
}
