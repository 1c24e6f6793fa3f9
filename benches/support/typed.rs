//! The tuskc half of the peers' typed workload (bench/peers/gen.py): S `[svcNNNN: SvcNNNN]` sections, each bound
//! to its own P-field schema (literal unions, `int(lo..hi)` ranges, an identifier pattern, nested record types,
//! lists), `env` blocks overriding about 10% of the keys (some three levels deep, as dotted keys) and `provider`
//! blocks adding a `cloud` record per service. [`config`] returns the same text as gen.py's `tuskc/config.tsk` for
//! the same `-S`/`-P` (and `--bad`): it replays gen.py's model with Python's own random number generator (MT19937
//! seeded as `random.Random(1)`, with its `_randbelow`, `random()` and `sample`), so both draw the same values in
//! the same order. tests/typed_workload.rs compares the two texts. Shared by the pipeline benches and the `gen`
//! example (`--typed`).
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write;

const ENVS: [&str; 3] = ["development", "staging", "production"];
const PROVS: [&str; 3] = ["aws", "azure", "gcp"];
const LEVEL: [&str; 3] = ["low", "medium", "high"];
const TLS_VERSION: [&str; 2] = ["tls12", "tls13"];
const ENUMS: [(&str, &[&str]); 3] = [
    ("Level", &LEVEL),
    ("TlsVersion", &TLS_VERSION),
    ("Provider", &PROVS),
];
const IDENT_RE: &str = "^[a-z][a-z0-9-]*$";
const WORDS: [&str; 10] = [
    "api", "db", "cache", "queue", "edge", "auth", "search", "blob", "metrics", "mail",
];

/// One invalid value planted in production/svc0000 (gen.py's `--bad`): every tool must reject the project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bad {
    /// An `int(lo..hi)` field set to `hi + 1`.
    Range,
    /// A literal-union field set to `"extreme"`.
    Enum,
    /// An identifier field set to `"Bad_Ident!"`.
    Regex,
}

impl Bad {
    pub fn parse(s: &str) -> Option<Bad> {
        match s {
            "range" => Some(Bad::Range),
            "enum" => Some(Bad::Enum),
            "regex" => Some(Bad::Regex),
            _ => None,
        }
    }
}

/// Python's `random.Random` (MT19937, CPython's `_randommodule.c`), only the calls gen.py makes.
struct PyRandom {
    mt: [u32; 624],
    index: usize,
}

impl PyRandom {
    /// `random.Random(seed)` for a small non-negative integer seed: `init_by_array([seed])`.
    fn new(seed: u32) -> PyRandom {
        let mut mt = [0u32; 624];
        mt[0] = 19_650_218;
        for i in 1..624 {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        let (mut i, mut j) = (1usize, 0u32);
        for _ in 0..624 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(seed)
                .wrapping_add(j);
            i += 1;
            j = 0; // the key has one word: j wraps to 0 after every step
            if i >= 624 {
                mt[0] = mt[623];
                i = 1;
            }
        }
        for _ in 0..623 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= 624 {
                mt[0] = mt[623];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        PyRandom { mt, index: 624 }
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            for k in 0..624 {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % 624] & 0x7fff_ffff);
                let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                self.mt[k] = self.mt[(k + 397) % 624] ^ (y >> 1) ^ mag;
            }
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `_randbelow_with_getrandbits(n)` for `0 < n < 2**32`.
    fn below(&mut self, n: usize) -> usize {
        let k = usize::BITS - n.leading_zeros();
        loop {
            let r = (self.next_u32() >> (32 - k)) as usize;
            if r < n {
                return r;
            }
        }
    }

    /// `randint(lo, hi)`.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    fn choice<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// `random()`: 53 random bits in [0, 1).
    fn random(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `sample(range(n), k)`.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut setsize = 21usize;
        if k > 5 {
            let exp = ((k * 3) as f64).ln() / 4f64.ln();
            setsize += 4usize.pow(exp.ceil() as u32);
        }
        let mut out = Vec::with_capacity(k);
        if n <= setsize {
            let mut pool: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = self.below(n - i);
                out.push(pool[j]);
                pool[j] = pool[n - i - 1];
            }
        } else {
            for _ in 0..k {
                let mut j = self.below(n);
                while out.contains(&j) {
                    j = self.below(n);
                }
                out.push(j);
            }
        }
        out
    }
}

#[derive(Clone, Debug)]
enum Type {
    Enum(&'static str),
    Ident,
    Int(i64, i64),
    Bool,
    ListNat,
    ListStr,
    Rec(String),
}

#[derive(Clone, Debug)]
enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Value>),
    Rec(Vec<(String, Value)>),
}

impl Value {
    fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Rec(fields) => fields.iter().find(|(f, _)| f == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

type Record = Vec<(String, Type)>;

struct Model {
    records: Vec<(String, Record)>,
    svcs: Vec<String>,
    base: Vec<Vec<(String, Value)>>,
    /// Per environment, per service: the overriding fields.
    envs: Vec<Vec<Vec<(String, Value)>>>,
    /// Per provider, per service: the `cloud` record.
    provs: Vec<Vec<Value>>,
}

fn shared() -> Vec<(String, Record)> {
    let f = |n: &str, t: Type| (n.to_string(), t);
    vec![
        (
            "Tls".into(),
            vec![
                f("enabled", Type::Bool),
                f("version", Type::Enum("TlsVersion")),
                f("ciphers", Type::ListStr),
            ],
        ),
        (
            "Endpoint".into(),
            vec![
                f("host", Type::Ident),
                f("port", Type::Int(1, 65535)),
                f("enabled", Type::Bool),
            ],
        ),
        (
            "Server".into(),
            vec![
                f("host", Type::Ident),
                f("port", Type::Int(1, 65535)),
                f("tls", Type::Rec("Tls".into())),
            ],
        ),
        (
            "Cloud".into(),
            vec![
                f("provider", Type::Enum("Provider")),
                f("region", Type::Ident),
                f("instanceType", Type::Ident),
                f("replicas", Type::Int(1, 100)),
                f("zones", Type::ListStr),
            ],
        ),
    ]
}

/// gen.py's `svc_fields`: the kind and constraint vary with (service, parameter).
fn svc_fields(i: usize, params: usize) -> Record {
    let mut out: Record = (0..params)
        .map(|j| {
            let v = (i * 3 + j) % 2 == 1;
            let t = match (i + j) % 5 {
                0 if v => Type::Ident,
                0 => Type::Enum("Level"),
                1 => Type::Int(0, (10 * (10 + (i * 31 + j * 17) % 990)) as i64),
                2 => Type::Bool,
                3 if v => Type::Rec("Server".into()),
                3 => Type::Rec("Endpoint".into()),
                _ if v => Type::ListStr,
                _ => Type::ListNat,
            };
            (format!("p{j:03}"), t)
        })
        .collect();
    out.push(("cloud".into(), Type::Rec("Cloud".into())));
    out
}

fn enum_values(name: &str) -> &'static [&'static str] {
    ENUMS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, vs)| vs)
}

struct Gen<'a> {
    rng: PyRandom,
    records: &'a HashMap<String, Record>,
}

impl Gen<'_> {
    fn value(&mut self, t: &Type) -> Value {
        match t {
            Type::Enum(n) => Value::Str(self.rng.choice(enum_values(n)).to_string()),
            Type::Ident => {
                let w = self.rng.choice(&WORDS);
                Value::Str(format!("{w}-{}", self.rng.below(1000)))
            }
            Type::Int(lo, hi) => Value::Int(self.rng.int(*lo, *hi)),
            Type::Bool => Value::Bool(self.rng.random() < 0.5),
            Type::ListNat | Type::ListStr => {
                let n = self.rng.int(1, 4);
                let item = match t {
                    Type::ListStr => Type::Ident,
                    _ => Type::Int(0, 999),
                };
                Value::List((0..n).map(|_| self.value(&item)).collect())
            }
            Type::Rec(name) => {
                let records = self.records;
                Value::Rec(
                    records[name]
                        .iter()
                        .map(|(f, ft)| (f.clone(), self.value(ft)))
                        .collect(),
                )
            }
        }
    }

    /// A new value of the same type; records get one deep leaf changed.
    fn override_(&mut self, t: &Type, old: &Value) -> Value {
        match t {
            Type::Rec(name) => {
                let records = self.records;
                let (f, ft) = &records[name][1 + self.rng.below(2)];
                let old_f = old.field(f).unwrap_or(old);
                let new = match ft {
                    Type::Rec(_) => {
                        let enabled = matches!(old_f.field("enabled"), Some(Value::Bool(true)));
                        Value::Rec(vec![("enabled".into(), Value::Bool(!enabled))])
                    }
                    _ => self.override_(ft, old_f),
                };
                Value::Rec(vec![(f.clone(), new)])
            }
            Type::Bool => Value::Bool(!matches!(old, Value::Bool(true))),
            _ => self.value(t),
        }
    }
}

fn model(services: usize, params: usize, bad: Option<Bad>) -> Result<Model, String> {
    let mut records = shared();
    let svcs: Vec<String> = (0..services).map(|i| format!("svc{i:04}")).collect();
    for (i, s) in svcs.iter().enumerate() {
        records.push((format!("Svc{}", &s[3..]), svc_fields(i, params)));
    }
    let by_name: HashMap<String, Record> = records.iter().cloned().collect();
    let mut g = Gen {
        rng: PyRandom::new(1),
        records: &by_name,
    };
    let svc_rec = |s: &str| &by_name[&format!("Svc{}", &s[3..])];
    let base: Vec<Vec<(String, Value)>> = svcs
        .iter()
        .map(|s| {
            svc_rec(s)
                .iter()
                .filter(|(f, _)| f != "cloud")
                .map(|(f, t)| (f.clone(), g.value(t)))
                .collect()
        })
        .collect();
    let k = ((params as f64 * 0.1).round_ties_even() as usize).max(1);
    let mut envs = Vec::new();
    for _ in ENVS {
        let mut layer = Vec::new();
        for (si, s) in svcs.iter().enumerate() {
            let fields = svc_rec(s);
            let mut picks = g.rng.sample(params, k);
            picks.sort_unstable();
            let o = picks
                .into_iter()
                .map(|j| {
                    let (f, t) = &fields[j];
                    (f.clone(), g.override_(t, &base[si][j].1))
                })
                .collect::<Vec<_>>();
            layer.push(o);
        }
        envs.push(layer);
    }
    let mut provs = Vec::new();
    for p in PROVS {
        let mut layer = Vec::new();
        for _ in &svcs {
            let Value::Rec(mut cloud) = g.value(&Type::Rec("Cloud".into())) else {
                return Err("Cloud is a record".into());
            };
            let dir = g.rng.choice(&["east", "west", "north"]);
            let n = g.rng.int(1, 4);
            set(&mut cloud, "provider", Value::Str(p.to_string()));
            set(&mut cloud, "region", Value::Str(format!("{p}-{dir}-{n}")));
            layer.push(Value::Rec(cloud));
        }
        provs.push(layer);
    }
    if let Some(bad) = bad {
        let fields = svc_rec(svcs.first().ok_or("--bad needs at least one service")?);
        let found = fields.iter().find(|(_, t)| {
            matches!(
                (bad, t),
                (Bad::Range, Type::Int(..))
                    | (Bad::Enum, Type::Enum(_))
                    | (Bad::Regex, Type::Ident)
            )
        });
        let (f, t) = found.ok_or("svc0000 has no field of the kind --bad needs")?;
        let v = match (bad, t) {
            (Bad::Range, Type::Int(_, hi)) => Value::Int(hi + 1),
            (Bad::Enum, _) => Value::Str("extreme".into()),
            _ => Value::Str("Bad_Ident!".into()),
        };
        set(&mut envs[2][0], f, v);
    }
    Ok(Model {
        records,
        svcs,
        base,
        envs,
        provs,
    })
}

/// Python's `d[key] = v`: replaced in place, or appended.
fn set(fields: &mut Vec<(String, Value)>, key: &str, v: Value) {
    match fields.iter_mut().find(|(f, _)| f == key) {
        Some(slot) => slot.1 = v,
        None => fields.push((key.to_string(), v)),
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn lit(out: &mut String, v: &Value) {
    match v {
        Value::Str(s) => out.push_str(&quote(s)),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                lit(out, x);
            }
            out.push(']');
        }
        Value::Rec(fields) => {
            out.push_str("{ ");
            for (i, (k, x)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                lit(out, x);
            }
            out.push_str(" }");
        }
    }
}

/// One `  key: value` line per leaf, nested records as dotted keys.
fn leaves(out: &mut String, fields: &[(String, Value)], prefix: &str) {
    for (k, x) in fields {
        match x {
            Value::Rec(inner) => leaves(out, inner, &format!("{prefix}{k}.")),
            _ => {
                let _ = write!(out, "  {prefix}{k}: ");
                lit(out, x);
                out.push('\n');
            }
        }
    }
}

fn typ(t: &Type) -> String {
    match t {
        Type::Enum(n) => (*n).to_string(),
        Type::Ident => "Ident".into(),
        Type::Int(lo, hi) => format!("int({lo}..{hi})"),
        Type::Bool => "bool".into(),
        Type::ListNat => "[int]".into(),
        Type::ListStr => "[string]".into(),
        Type::Rec(n) => n.clone(),
    }
}

/// The text of gen.py's `OUTDIR/tuskc/config.tsk` for `-S services -P params [--bad ...]`. Errors only where gen.py
/// fails too (`--bad` on a project whose svc0000 has no field of that kind).
pub fn config(services: usize, params: usize, bad: Option<Bad>) -> Result<String, String> {
    let m = model(services, params, bad)?;
    let mut out = String::new();
    let _ = writeln!(out, "type Ident = string(pattern {})", quote(IDENT_RE));
    for (n, vs) in ENUMS {
        let alts: Vec<String> = vs.iter().map(|v| quote(v)).collect();
        let _ = writeln!(out, "type {n} = {}", alts.join(" | "));
    }
    for (n, rec) in &m.records {
        let _ = writeln!(out, "schema {n} {{");
        for (f, t) in rec {
            let _ = writeln!(out, "  {f}: {}", typ(t));
        }
        out.push_str("}\n");
    }
    out.push('\n');
    for (s, fields) in m.svcs.iter().zip(&m.base) {
        let _ = writeln!(out, "[{s}: Svc{}]", &s[3..]);
        for (k, v) in fields {
            let _ = write!(out, "{k}: ");
            lit(&mut out, v);
            out.push('\n');
        }
        out.push('\n');
    }
    for (e, layer) in ENVS.iter().zip(&m.envs) {
        let _ = writeln!(out, "env {e} {{");
        for (s, o) in m.svcs.iter().zip(layer) {
            let _ = writeln!(out, "  [{s}]");
            leaves(&mut out, o, "");
        }
        out.push_str("}\n\n");
    }
    for (p, layer) in PROVS.iter().zip(&m.provs) {
        let _ = writeln!(out, "provider {p} {{");
        for (s, cloud) in m.svcs.iter().zip(layer) {
            let _ = write!(out, "  [{s}]\n  cloud: ");
            lit(&mut out, cloud);
            out.push('\n');
        }
        out.push_str("}\n\n");
    }
    // gen.py joins its lines with "\n" after a last empty line: the file ends with one newline.
    out.pop();
    Ok(out)
}

/// Writes `dir/config.tsk` (the project is that one file: no manifest, the environments and providers are the
/// file's blocks) and returns its path.
pub fn write(
    dir: &std::path::Path,
    services: usize,
    params: usize,
    bad: Option<Bad>,
) -> Result<std::path::PathBuf, String> {
    let text = config(services, params, bad)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("config.tsk");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
