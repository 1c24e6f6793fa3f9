#!/usr/bin/env bash
# tuskc and jrsonnet (and Pkl, with PKL=) side by side on the peers' typed workload (gen.py in this folder).
#
#   bench/peers/side-by-side.sh [-r RUNS] [-w WARMUP] [SIZES...]     (sizes: services × 100 fields; default 10 100 1000)
#
# Generates the workloads into a temporary directory, builds tuskc release, and per job runs ONE `hyperfine -N` with
# every tool (100 × 100: one target, all 9 targets, the same with tuskc on one thread, `check`; other sizes: all 9
# targets). tuskc's outputs must equal
# gen.py's expected JSON (and so must jrsonnet's); peak RSS is measured apart with `/usr/bin/time -f %M`. Prints a
# Markdown table. Jsonnet has no separate check: its `check` row evaluates all.jsonnet (every assert runs, the output
# is discarded). Environment: JRSONNET= (default: jrsonnet on PATH), PKL= (optional), RUNS=/WARMUP= (default 5/1).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
runs=${RUNS:-5}
warmup=${WARMUP:-1}
while getopts "r:w:h" opt; do
  case $opt in
    r) runs=$OPTARG ;;
    w) warmup=$OPTARG ;;
    *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1000)

die() { echo "side-by-side: $*" >&2; exit 1; }
jr=${JRSONNET:-$(command -v jrsonnet || true)}
[ -n "$jr" ] && [ -x "$jr" ] || die "jrsonnet not found (set JRSONNET=/path/to/jrsonnet, or install it:
  cargo install jrsonnet --version 0.5.0-pre98 --locked)"
pkl=${PKL:-}
[ -z "$pkl" ] || [ -x "$pkl" ] || die "PKL=$pkl is not an executable"
for tool in hyperfine python3 cargo; do
  command -v $tool >/dev/null || die "$tool not found on PATH"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package \`time\`)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "building tuskc (release)..." >&2
(cd "$repo" && cargo build --release --quiet --bin tuskc)
tuskc=${CARGO_TARGET_DIR:-$repo/target}/release/tuskc
[ -x "$tuskc" ] || die "no release binary at $tuskc"

# Whether two JSON files hold the same value (object key order aside).
same_json() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"; }

# `build --all`'s files assembled as {env: {provider: config}} equal expected-all.json.
check_all() {
  python3 - "$1" "$2" <<'EOF' || die "tuskc build --all differs from $2"
import json, os, sys
out, expected = sys.argv[1], json.load(open(sys.argv[2]))
got = {e: {p: json.load(open(os.path.join(out, e, p, "config.json"))) for p in os.listdir(os.path.join(out, e))}
       for e in os.listdir(out)}
sys.exit(got != expected)
EOF
}

# Peak RSS of one run, in MB.
rss() { /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1 || die "failed: $*"; awk '{printf "%.0f MB", $1 / 1024}' "$tmp/rss"; }

# Mean of hyperfine's Nth command in its JSON export, in ms or s.
mean() {
  python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"]
print(f"{m * 1000:.1f} ms" if m < 1 else f"{m:.3f} s")' "$1" "$2"
}
ratio() {
  python3 -c 'import json,sys
r = [x["mean"] for x in json.load(open(sys.argv[1]))["results"]]
print(f"{r[int(sys.argv[2])] / r[0]:.1f}×")' "$1" "$2"
}

header="| job | tuskc mean | jrsonnet mean | ratio | tuskc RSS | jrsonnet RSS |"
rule="|---|---|---|---|---|---|"
[ -z "$pkl" ] || { header="$header Pkl mean | Pkl ratio | Pkl RSS |"; rule="$rule---|---|---|"; }
rows=()

for s in "${sizes[@]}"; do
  w=$tmp/w$s
  echo "generating ${s} × 100..." >&2
  python3 "$repo/bench/peers/gen.py" "$w" -S "$s" -P 100
  jobs=(all)
  [ "$s" != 100 ] || jobs=(one all all1 check)
  for job in "${jobs[@]}"; do
    case $job in
      one)
        t=("$tuskc" build "$w/tuskc/config.tsk" -e production -p aws -o "$tmp/one.json")
        j=("$jr" "$w/jsonnet/one.jsonnet")
        p=("$pkl" eval "$w/pkl/one.pkl")
        name="${s} × 100, one target" ;;
      all)
        t=("$tuskc" build "$w/tuskc/config.tsk" --all --out-dir "$tmp/out$s")
        j=("$jr" "$w/jsonnet/all.jsonnet")
        p=("$pkl" eval "$w/pkl/all.pkl")
        name="${s} × 100, all 9 targets" ;;
      all1)
        # tuskc builds targets on every core; jrsonnet uses one. The same job on one thread, for the record.
        t=("$tuskc" build "$w/tuskc/config.tsk" --all --out-dir "$tmp/out$s" -j 1)
        j=("$jr" "$w/jsonnet/all.jsonnet")
        p=("$pkl" eval "$w/pkl/all.pkl")
        name="${s} × 100, all 9 targets, tuskc on one thread (\`-j 1\`)" ;;
      check)
        t=("$tuskc" check "$w/tuskc/config.tsk")
        j=("$jr" "$w/jsonnet/all.jsonnet")
        p=("$pkl" eval "$w/pkl/all.pkl")
        name="${s} × 100, \`check\`" ;;
    esac
    # Correct outputs first: a fast wrong answer is not a result.
    "${t[@]}" >/dev/null || die "tuskc failed: ${t[*]}"
    "${j[@]}" >"$tmp/jr.json" || die "jrsonnet failed: ${j[*]}"
    case $job in
      one) same_json "$tmp/one.json" "$w/expected-one.json" || die "tuskc's one target differs from expected-one.json"
           same_json "$tmp/jr.json" "$w/expected-one.json" || die "jrsonnet's output differs from expected-one.json" ;;
      all|all1) check_all "$tmp/out$s" "$w/expected-all.json"
           same_json "$tmp/jr.json" "$w/expected-all.json" || die "jrsonnet's output differs from expected-all.json" ;;
    esac
    cmds=(-n tuskc "${t[*]}" -n jrsonnet "${j[*]}")
    [ -z "$pkl" ] || cmds+=(-n pkl "${p[*]}")
    echo "measuring: $name" >&2
    hyperfine -N -r "$runs" -w "$warmup" --style basic --export-json "$tmp/h.json" "${cmds[@]}" >&2
    row="| $name | $(mean "$tmp/h.json" 0) | $(mean "$tmp/h.json" 1) | $(ratio "$tmp/h.json" 1) | $(rss "${t[@]}") | $(rss "${j[@]}") |"
    [ -z "$pkl" ] || row="$row $(mean "$tmp/h.json" 2) | $(ratio "$tmp/h.json" 2) | $(rss "${p[@]}") |"
    rows+=("$row")
  done
done

echo
echo "$header"
echo "$rule"
printf '%s\n' "${rows[@]}"
echo
echo "ratio: the peer's mean over tuskc's (higher: tuskc faster). $runs runs after $warmup warm-up per command;" \
  "$(nproc) cores; tuskc $(git -C "$repo" rev-parse --short HEAD), $("$jr" --version)."
