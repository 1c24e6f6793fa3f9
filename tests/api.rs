//! The library API, used as a program uses it: only the facade at the crate root (`tuskc::Project`, ...). Where the
//! API promises "what the command line prints", the command line is run on the same files and compared.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use tuskc::{Diagnostics, Project, Severity};

const APP: &str = "use \"db.tsk\"\n\nname: \"api\"\nport: 80\npassword: @secret(\"db_password\")\nenv prod {\n  port: 443\n}\n";
const DB: &str = "db: {\n  host: \"localhost\"\n  port: 5432\n}\n";

fn project() -> Project {
    Project::from_sources([("app.tsk", APP), ("db.tsk", DB)]).unwrap()
}

/// The same project on disk, for the command line.
fn on_disk(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tuskc-api-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[test]
fn compiles_from_memory_with_use_between_sources() {
    let built = project().target(Some("prod"), None).unwrap();
    assert_eq!(built.get("db.port"), Some(serde_json::json!(5432)));
    assert_eq!(built.get("port"), Some(serde_json::json!(443)));
    assert_eq!(built.get("db.missing"), None);
    assert!(built.warnings().list().is_empty());
    // A module that is not among the sources is not found (nothing is read from disk).
    let err = Project::from_sources([("app.tsk", "use \"other.tsk\"\n")]).unwrap_err();
    assert_eq!(err.list()[0].code, "TSK0210", "{err}");
}

#[test]
fn outputs_are_what_build_writes() {
    let dir = on_disk("build", &[("app.tsk", APP), ("db.tsk", DB)]);
    let built = project().target(Some("prod"), None).unwrap();
    for (format, text) in [
        ("json", built.to_json().unwrap()),
        ("toml", built.to_toml().unwrap()),
        ("yaml", built.to_yaml().unwrap()),
        ("dotenv", built.to_dotenv().unwrap()),
    ] {
        let out = common::tuskc_in(&dir, &["build", "app.tsk", "--env", "prod", "-f", format]);
        assert_eq!(common::stdout(&out), text, "{format}");
    }
}

#[test]
fn deserializes_a_target_into_a_user_struct() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Db {
        host: String,
        port: u16,
    }
    #[derive(serde::Deserialize, Debug)]
    struct Config {
        name: String,
        port: u16,
        db: Db,
    }
    let config: Config = project()
        .target(Some("prod"), None)
        .unwrap()
        .deserialize()
        .unwrap();
    assert_eq!((config.name.as_str(), config.port), ("api", 443));
    assert_eq!(
        config.db,
        Db {
            host: "localhost".into(),
            port: 5432
        }
    );
}

#[test]
fn diagnostics_are_data_and_render_as_the_cli_prints_them() {
    let broken = "a: 1\na: 2\nb: 3\n";
    let err: Diagnostics = Project::from_sources([("bad.tsk", broken)]).unwrap_err();
    let d = &err.list()[0];
    assert_eq!(d.code, "TSK0201");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.help.as_deref().unwrap().starts_with("remove one"));
    let primary = d.labels.iter().find(|l| l.primary).unwrap();
    assert_eq!(
        (primary.file.as_str(), primary.line, primary.column),
        ("bad.tsk", 2, 1)
    );
    assert_eq!(primary.bytes, 5..6);
    // Errors found when building a target come back from `target`.
    let p = Project::from_sources([("app.tsk", "a: $nope\n")]).unwrap();
    let err = p.target(None, None).unwrap_err();
    assert_eq!(err.list()[0].code, "TSK0301");
    assert_eq!(err.list()[0].labels[0].line, 1);
    let dir = on_disk("diag", &[("app.tsk", "a: $nope\n")]);
    let out = common::tuskc_in(&dir, &["build", "app.tsk", "--color", "never"]);
    assert_eq!(common::stderr(&out), err.render_human());
    assert_eq!(err.to_string(), err.render_human());
    let _: &dyn std::error::Error = &err;
}

#[test]
fn explain_is_what_the_cli_prints() {
    let built = project().target(Some("prod"), None).unwrap();
    let text = built.explain("port").unwrap();
    let dir = on_disk("explain", &[("app.tsk", APP), ("db.tsk", DB)]);
    let out = common::tuskc_in(&dir, &["explain", "port", "--env", "prod"]);
    assert_eq!(common::stdout(&out), text);
    assert!(text.contains("overrides:"), "{text}");
    assert_eq!(built.explain("nope"), None);
}

#[test]
fn one_project_serves_many_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Project>();
    let project = project();
    let expected = project
        .target(Some("prod"), None)
        .unwrap()
        .to_json()
        .unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let project = &project;
                s.spawn(move || match i % 2 {
                    0 => (
                        i,
                        project
                            .target(Some("prod"), None)
                            .unwrap()
                            .to_json()
                            .unwrap(),
                    ),
                    _ => {
                        let port = (8000 + i).to_string();
                        let built = project
                            .build()
                            .env("prod")
                            .set("port", &port)
                            .compile()
                            .unwrap();
                        (i, built.to_json().unwrap())
                    }
                })
            })
            .collect();
        for h in handles {
            let (i, json) = h.join().unwrap();
            if i % 2 == 0 {
                assert_eq!(json, expected);
            } else {
                assert!(json.contains(&format!("\"port\": {}", 8000 + i)), "{json}");
            }
        }
    });
}

#[test]
fn secrets_stay_references() {
    let built = project().target(Some("prod"), None).unwrap();
    assert_eq!(
        built.get("password"),
        Some(serde_json::json!("secret://db_password"))
    );
    assert!(built
        .to_json()
        .unwrap()
        .contains("\"secret://db_password\""));
    let debug = format!("{built:?} {:?}", project());
    assert!(
        !debug.contains("secret") && !debug.contains("5432"),
        "{debug}"
    );
}

#[test]
fn sets_and_vars_as_the_command_line_gives_them() {
    let p = Project::from_sources([(
        "app.tsk",
        "port: 80\nuser: @env(\"TUSKC_API_TEST_USER\", \"nobody\")\n",
    )])
    .unwrap();
    let built = p
        .build()
        .set("port", "8080")
        .var("TUSKC_API_TEST_USER", "ada")
        .compile()
        .unwrap();
    assert_eq!(built.get("port"), Some(serde_json::json!(8080)));
    assert_eq!(built.get("user"), Some(serde_json::json!("ada")));
    // The inputs belong to that build only, and so do its errors.
    assert!(p.build().var("=", "").compile().is_err());
    assert_eq!(
        p.target(None, None).unwrap().get("port"),
        Some(serde_json::json!(80))
    );
}

#[test]
fn targets_lists_declared_environments() {
    let targets = project().targets();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].env.as_deref(), Some("prod"));
    let err = project().target(Some("prd"), None).unwrap_err();
    assert_eq!(err.list()[0].code, "TSK0220");
    assert_eq!(err.list()[0].help.as_deref(), Some("did you mean `prod`?"));
}

/// A project on disk whose `password` is the secret `db_password` of environment `dev`, with a store and its
/// identity `dev.key` made by `tuskc secrets init`.
fn with_store(name: &str) -> std::path::PathBuf {
    let dir = on_disk(
        name,
        &[
            (
                "tuskc.toml",
                "[project]\nentries = [\"app.tsk\"]\nenvironments = [\"dev\"]\n",
            ),
            ("app.tsk", "password: @secret(\"db_password\")\n"),
        ],
    );
    let init = common::tuskc_in(
        &dir,
        &[
            "secrets",
            "init",
            "--env",
            "dev",
            "--generate-identity",
            "dev.key",
        ],
    );
    assert!(init.status.success(), "{}", common::stderr(&init));
    dir
}

/// `tuskc secrets set db_password` to `value` in the project `with_store` made.
fn set_secret(dir: &std::path::Path, value: &str) {
    let mut set = std::process::Command::new(env!("CARGO_BIN_EXE_tuskc"));
    set.args([
        "secrets",
        "set",
        "db_password",
        "--env",
        "dev",
        "--identity",
        "dev.key",
    ])
    .current_dir(dir);
    let set = common::run_with_stdin(&mut set, format!("{value}\n").as_bytes());
    assert!(set.status.success(), "{}", common::stderr(&set));
}

#[test]
fn secrets_resolve_only_when_asked_with_an_identity() {
    const PLAIN: &str = "hunter2-api-plaintext";
    let dir = with_store("resolve");
    set_secret(&dir, PLAIN);

    let mut project = Project::open(&dir).unwrap();
    let reference = project.target(Some("dev"), None).unwrap();
    assert_eq!(
        reference.get("password"),
        Some(serde_json::json!("secret://db_password"))
    );
    project.resolve_secrets(dir.join("dev.key"));
    let resolved = project.target(Some("dev"), None).unwrap();
    assert_eq!(resolved.get("password"), Some(serde_json::json!(PLAIN)));
    let debug = format!("{resolved:?} {project:?} {:?}", resolved.warnings());
    assert!(!debug.contains(PLAIN), "{debug}");
    let explained = resolved.explain("password").unwrap();
    assert!(!explained.contains(PLAIN), "{explained}");
    // A type the resolved secret does not fit: serde's message would quote the value; it is masked.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Numeric {
        password: u16,
    }
    let err = resolved.deserialize::<Numeric>().unwrap_err().to_string();
    assert!(!err.contains(PLAIN), "{err}");
    assert!(err.contains("expected u16"), "{err}");
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Text {
        password: String,
    }
    assert_eq!(resolved.deserialize::<Text>().unwrap().password, PLAIN);
}

#[test]
fn sources_need_an_entry_and_names_of_their_own() {
    let none: [(&str, &str); 0] = [];
    let err = Project::from_sources(none).unwrap_err();
    assert_eq!(err.list()[0].code, "TSK0003");
    assert_eq!(err.list()[0].message, "no sources given");
    let twice =
        Project::from_sources([("app.tsk", "a: 1\n"), ("./app.tsk", "a: 2\n")]).unwrap_err();
    assert_eq!(twice.list()[0].message, "two sources are named `./app.tsk`");
    let unnamed = Project::from_sources([("", "a: 1\n")]).unwrap_err();
    assert_eq!(unnamed.list()[0].message, "a source has an empty name");
    // Debug is the rendered text (what `main` returning the error prints), not an escaped dump.
    assert_eq!(format!("{twice:?}"), twice.render_human());
    assert!(twice.render_human().contains("TSK0003"), "{twice}");
}

#[test]
fn an_unchanged_target_comes_from_the_cache() {
    let project = project();
    let first = project.target(Some("prod"), None).unwrap();
    let again = project.target(Some("prod"), None).unwrap();
    assert_eq!(project.compilations(), 1);
    assert_eq!(first.to_json().unwrap(), again.to_json().unwrap());
    // Another request is another compilation, kept apart.
    let set = project
        .build()
        .env("prod")
        .set("port", "8443")
        .compile()
        .unwrap();
    assert_eq!(set.get("port"), Some(serde_json::json!(8443)));
    assert_eq!(project.compilations(), 2);
    let plain = project.target(Some("prod"), None).unwrap();
    assert_eq!(plain.get("port"), Some(serde_json::json!(443)));
    assert_eq!(project.compilations(), 2);
    // Threads asking for the same target share one compilation.
    let shared = Project::from_sources([("app.tsk", APP), ("db.tsk", DB)]).unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| shared.target(Some("prod"), None).unwrap());
        }
    });
    assert_eq!(shared.compilations(), 1);
}

#[test]
fn editing_a_file_on_disk_recompiles() {
    let dir = on_disk(
        "edit",
        &[
            ("app.tsk", "use \"db.tsk\"\nname: \"api\"\n"),
            ("db.tsk", "db_port: 5432\n"),
            ("ca.pem", "first\n"),
            ("tls.tsk", "ca: @file(\"ca.pem\")\n"),
        ],
    );
    // The entry named: `tls.tsk`, not `use`d yet, would be a second entry of the directory.
    let project = Project::open(dir.join("app.tsk")).unwrap();
    let get = |key: &str| project.target(None, None).unwrap().get(key);
    assert_eq!(get("db_port"), Some(serde_json::json!(5432)));
    assert_eq!(get("name"), Some(serde_json::json!("api")));
    assert_eq!(project.compilations(), 1);
    // A `use`d module.
    std::fs::write(dir.join("db.tsk"), "db_port: 6543\n").unwrap();
    assert_eq!(get("db_port"), Some(serde_json::json!(6543)));
    assert_eq!(project.compilations(), 2);
    // The entry.
    std::fs::write(
        dir.join("app.tsk"),
        "use \"db.tsk\"\nuse \"tls.tsk\"\nname: \"web\"\n",
    )
    .unwrap();
    assert_eq!(get("name"), Some(serde_json::json!("web")));
    assert_eq!(get("ca"), Some(serde_json::json!("first\n")));
    assert_eq!(project.compilations(), 3);
    // A file `@file` read.
    std::fs::write(dir.join("ca.pem"), "second, longer\n").unwrap();
    assert_eq!(get("ca"), Some(serde_json::json!("second, longer\n")));
    assert_eq!(project.compilations(), 4);
    // A broken edit is reported, and its fix is seen.
    std::fs::write(dir.join("db.tsk"), "db_port: [\n").unwrap();
    assert!(project.target(None, None).is_err());
    std::fs::write(dir.join("db.tsk"), "db_port: 7\n").unwrap();
    assert_eq!(get("db_port"), Some(serde_json::json!(7)));
}

#[test]
fn changing_an_env_variable_recompiles() {
    // A name no other test uses: the process environment is shared by the test threads.
    let name = format!("TUSKC_API_CACHE_{}", std::process::id());
    let project = Project::from_sources([(
        "app.tsk",
        format!("host: @env(\"{name}\", \"localhost\")\n"),
    )])
    .unwrap();
    let host = || project.target(None, None).unwrap().get("host");
    assert_eq!(host(), Some(serde_json::json!("localhost")));
    assert_eq!(host(), Some(serde_json::json!("localhost")));
    assert_eq!(project.compilations(), 1);
    std::env::set_var(&name, "db.internal");
    assert_eq!(host(), Some(serde_json::json!("db.internal")));
    assert_eq!(host(), Some(serde_json::json!("db.internal")));
    assert_eq!(project.compilations(), 2);
    std::env::set_var(&name, "db.other");
    assert_eq!(host(), Some(serde_json::json!("db.other")));
    std::env::remove_var(&name);
    assert_eq!(host(), Some(serde_json::json!("localhost")));
    assert_eq!(project.compilations(), 4);
    // `--var` is part of the request.
    let var = project.build().var(&name, "given").compile().unwrap();
    assert_eq!(var.get("host"), Some(serde_json::json!("given")));
}

#[test]
fn changing_the_secrets_store_recompiles() {
    let dir = with_store("store");
    let set = |value: &str| set_secret(&dir, value);
    set("first-api-cache-value");
    let mut project = Project::open(&dir).unwrap();
    project.resolve_secrets(dir.join("dev.key"));
    let password = || project.target(Some("dev"), None).unwrap().get("password");
    assert_eq!(password(), Some(serde_json::json!("first-api-cache-value")));
    assert_eq!(password(), Some(serde_json::json!("first-api-cache-value")));
    assert_eq!(project.compilations(), 1);
    set("second-api-cache-value");
    assert_eq!(
        password(),
        Some(serde_json::json!("second-api-cache-value"))
    );
    assert_eq!(project.compilations(), 2);
}
