//! The TuskLang corpus (copied unchanged from the product's source documents) builds with a bare `tuskc build FILE`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn every_corpus_file_builds_to_the_expected_json() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tusklang-corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 28);
    for f in files {
        let o = Command::new(env!("CARGO_BIN_EXE_tuskc"))
            .args(["build", f.to_str().unwrap(), "--color", "never"])
            // Bare, as the corpus README requires: `"@env('X')"` with X unset builds to "" (TSK0318).
            .env_remove("CONFIG_SYNC_URL")
            .env_remove("VAULT_URL")
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&o.stderr)
        );
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, String::from_utf8_lossy(&o.stdout));
    }
}
