//! A deterministic generator of realistic projects: S services × P parameters, a shared module, schemas with
//! constraints, 3 environments overriding about 10% of the keys, 3 providers with provider-specific keys (declared
//! with `vary`), `@env` variables and secret references. Shared by the benchmarks (and the `gen` example of the
//! performance suite). The same arguments always give the same files.
#![allow(dead_code)]

use std::fmt::Write;
use std::path::Path;

pub const ENVIRONMENTS: [&str; 3] = ["development", "staging", "production"];
pub const PROVIDERS: [&str; 3] = ["aws", "azure", "gcp"];

/// The project's files: (relative path, text).
pub fn project(services: usize, params: usize) -> Vec<(String, String)> {
    let mut files = Vec::new();
    files.push((
        "tuskc.toml".to_string(),
        format!(
            "[project]\nname = \"workload\"\nentries = [\"main.tsk\"]\nenvironments = {:?}\nproviders = {:?}\n",
            ENVIRONMENTS, PROVIDERS
        ),
    ));
    files.push((
        "schemas.tsk".to_string(),
        "## One service's deployment settings.\nschema Service {\n  image: string(len 1..200)\n  replicas: int(1..1000)\n  port: int(1024..65535)\n  debug: bool = false\n  limits: { cpu: number(> 0), memory: string(pattern \"^[0-9]+(Mi|Gi)$\") }\n  ...\n}\n".to_string(),
    ));
    files.push((
        "shared.tsk".to_string(),
        "$domain: \"example.com\"\n$registry: \"registry.example.com/shop\"\n\n[shared: { log_level: LogLevel, ... }]\nlog_level: \"info\"\ntimeout_ms: 2500\nretries: 3\n\nenv production {\n  [shared]\n  log_level: \"warn\"\n}\n".to_string(),
    ));
    let mut main = String::from("use \"./schemas.tsk\"\nuse \"./shared.tsk\"\n");
    for s in 0..services {
        writeln!(main, "use \"./services/svc{s:04}.tsk\"").unwrap();
        files.push((format!("services/svc{s:04}.tsk"), service(s, params)));
    }
    main.push_str("\nvary cloud\n\n[project]\nname: \"workload\"\nenvironment: @environment\ncloud: @provider\n");
    for p in PROVIDERS {
        writeln!(
            main,
            "\nprovider {p} {{\n  [cloud]\n  name: \"{p}\"\n  {p}_account: \"acct-{p}\"\n  region: \"{p}-region-1\"\n}}"
        )
        .unwrap();
    }
    files.push(("main.tsk".to_string(), main));
    files
}

/// One service: its parameters in the base, overridden in each environment for about 10% of them.
fn service(s: usize, params: usize) -> String {
    let mut t = format!("[services.svc{s:04}: Service]\n");
    let fixed = 7; // image, replicas, port, debug, limits (2 keys), url
    writeln!(t, "image: \"${{$registry}}/svc{s:04}:1.{}\"", s % 10).unwrap();
    writeln!(t, "replicas: {}", 1 + s % 4).unwrap();
    writeln!(t, "port: @env(\"SVC{s:04}_PORT\", {})", 2000 + s).unwrap();
    writeln!(t, "debug: false").unwrap();
    writeln!(t, "limits {{ cpu: 0.5, memory: \"512Mi\" }}").unwrap();
    writeln!(t, "url: \"https://svc{s:04}.${{$domain}}\"").unwrap();
    let mut overridden = Vec::new();
    for k in 0..params.saturating_sub(fixed) {
        match k % 6 {
            0 => writeln!(t, "p{k}: \"value {s}-{k}\""),
            1 => writeln!(t, "p{k}: {}", s * 31 + k),
            2 => writeln!(t, "p{k}: {}", k % 2 == 0),
            3 => writeln!(t, "p{k} {{ enabled: true, weight: {} }}", k % 7),
            4 => writeln!(t, "p{k}: [\"a{k}\", \"b{k}\", \"c{k}\"]"),
            _ => writeln!(t, "p{k}: @secret(\"svc{s:04}/p{k}\")"),
        }
        .unwrap();
        if k % 10 == 1 {
            overridden.push(k);
        }
    }
    for (i, env) in ENVIRONMENTS.iter().enumerate() {
        writeln!(t, "\nenv {env} {{\n  [services.svc{s:04}]").unwrap();
        writeln!(t, "  replicas: {}", 1 + i * 3).unwrap();
        for k in &overridden {
            writeln!(t, "  p{k}: {}", s * 31 + k + i + 1).unwrap();
        }
        t.push_str("}\n");
    }
    t
}

/// Write the project under `dir`.
pub fn write(dir: &Path, services: usize, params: usize) {
    for (path, text) in project(services, params) {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(file, text).unwrap();
    }
}
