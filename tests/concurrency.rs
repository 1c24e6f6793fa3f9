//! Two `tuskc build --all` processes writing the same output directory at once, while a reader keeps reading it:
//! every file read is one writer's complete output, never a mix or a truncation, and no temporary file is left.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const ENVS: [&str; 3] = ["development", "staging", "production"];
const PROVIDERS: [&str; 3] = ["aws", "azure", "gcp"];

fn files(out: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in ENVS {
        for p in PROVIDERS {
            v.push(out.join(e).join(p).join("shop.json"));
        }
    }
    v
}

fn build(out: &Path, name: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tuskc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["build", "examples/shop", "--all", "--out-dir"])
        .arg(out)
        .args(["--set", &format!("project.name=\"{name}\"")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Each target's complete output from writer `name`, built alone.
fn expected(name: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let o = build(dir.path(), name).wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    files(dir.path())
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

#[test]
fn concurrent_builds_into_one_directory_never_tear_a_file() {
    let a = expected("writer-a");
    let b = expected("writer-b");
    assert!(a.iter().zip(&b).all(|(x, y)| x != y));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_path_buf();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (out, done) = (out.clone(), done.clone());
        let (a, b) = (a.clone(), b.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                for (i, f) in files(&out).iter().enumerate() {
                    // Not written yet is fine; anything read must be one writer's whole file.
                    if let Ok(text) = std::fs::read_to_string(f) {
                        assert!(
                            text == a[i] || text == b[i],
                            "{} is torn ({} bytes)",
                            f.display(),
                            text.len()
                        );
                        reads += 1;
                    }
                }
            }
            reads
        })
    };
    for _ in 0..5 {
        let (wa, wb) = (build(&out, "writer-a"), build(&out, "writer-b"));
        for w in [wa, wb] {
            let o = w.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);
    // Every file ends as one writer's complete output, and no temporary file is left behind.
    for (i, f) in files(&out).iter().enumerate() {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text == a[i] || text == b[i], "{}", f.display());
    }
    let mut all = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                all.push(p);
            }
        }
    }
    assert_eq!(all.len(), 9, "{all:?}");
}
