#!/usr/bin/env bash
# Speed and memory of `director context` against `git diff` on a large repository,
# measured side by side in one run.
#
# Generates (once, deterministically) a git repository of 50,000 files with 300 of
# them modified in the working tree (mostly source, some Terraform, Kubernetes and
# CI files, so the analyzers and the related-file scans run), then times
#   git diff HEAD                                       (the floor)
#   director context --task bench --repo <repo> --stats (each binary given)
# with hyperfine when it is installed (else a loop of runs), and measures each
# command's peak RSS with /usr/bin/time -v. Prints the ratios to git diff.
#
# Usage: scripts/bench-context.sh [director-binary ...]
#   With no binary, builds `target/release/director` (cargo build --release).
#   Several binaries (e.g. before and after a change) are measured side by side.
# Environment: BENCH_DIR (default /tmp/director-bench-context), BENCH_FILES (50000),
#   BENCH_CHANGED (300), BENCH_RUNS (10), BENCH_WARMUP (2).

set -euo pipefail

BENCH_DIR=${BENCH_DIR:-/tmp/director-bench-context}
BENCH_FILES=${BENCH_FILES:-50000}
BENCH_CHANGED=${BENCH_CHANGED:-300}
BENCH_RUNS=${BENCH_RUNS:-10}
BENCH_WARMUP=${BENCH_WARMUP:-2}
REPO="$BENCH_DIR/repo-$BENCH_FILES-$BENCH_CHANGED"
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ "$#" -eq 0 ]; then
  (cd "$ROOT" && cargo build --release -p director-cli >&2)
  set -- "$ROOT/target/release/director"
fi
for bin in "$@"; do
  [ -x "$bin" ] || { echo "error: $bin is not an executable" >&2; exit 2; }
done

generate() {
  rm -rf "$REPO"
  mkdir -p "$REPO"
  python3 - "$REPO" "$BENCH_FILES" "$BENCH_CHANGED" <<'PY'
import os, random, sys

repo, total, changed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(15)  # fixed seed: the same repository every time

def rust(i):
    body = "\n".join(
        f"    let v{j} = input.len() * {rng.randint(1, 999)} + {j};" for j in range(30)
    )
    return f"//! Module {i}.\n\npub fn f{i}(input: &str) -> usize {{\n{body}\n    v0\n}}\n"

def python(i):
    body = "\n".join(f"    x{j} = len(s) * {rng.randint(1, 999)}" for j in range(30))
    return f'"""Module {i}."""\n\ndef f{i}(s):\n{body}\n    return x0\n'

def typescript(i):
    body = "\n".join(f"  const v{j} = s.length * {rng.randint(1, 999)};" for j in range(30))
    return f"// Module {i}.\nexport function f{i}(s: string): number {{\n{body}\n  return v0;\n}}\n"

def terraform(i):
    return (
        f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "bench-{i}"\n}}\n\n'
        f'resource "aws_db_instance" "db{i}" {{\n  engine = "postgres"\n'
        f'  instance_class = "db.t3.micro"\n  multi_az = false\n}}\n'
    )

def k8s(i):
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n"
        f"spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: app{i}\n"
        f"  template:\n    metadata:\n      labels:\n        app: app{i}\n"
        f"    spec:\n      containers:\n        - name: app\n          image: app:{i}\n"
    )

def markdown(i):
    return f"# Note {i}\n\n" + "\n".join(f"Line {j} of note {i}." for j in range(20)) + "\n"

kinds = [
    ("src/svc{d}/m{i}.rs", rust, 40),
    ("py/pkg{d}/m{i}.py", python, 25),
    ("web/app{d}/m{i}.ts", typescript, 20),
    ("docs/d{d}/n{i}.md", markdown, 11),
    ("infra/mod{d}/r{i}.tf", terraform, 2),
    ("k8s/ns{d}/app{i}.yaml", k8s, 2),
]
weights = [w for _, _, w in kinds]
files = []
for i in range(total - 1):
    pattern, make, _ = rng.choices(kinds, weights)[0]
    path = pattern.format(d=i % 200, i=i)
    files.append((path, make))
    full = os.path.join(repo, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(make(i))
os.makedirs(os.path.join(repo, ".director/tasks"), exist_ok=True)
with open(os.path.join(repo, ".director/tasks/bench.toml"), "w") as f:
    f.write(
        'id = "bench"\ntitle = "Tune the services"\n'
        'description = "Adjust the services, their infrastructure and manifests."\n'
        'criteria = ["Nothing regresses"]\n'
    )
os.makedirs(os.path.join(repo, ".github/workflows"), exist_ok=True)
with open(os.path.join(repo, ".github/workflows/ci.yml"), "w") as f:
    f.write("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n")

# The change: `changed` files, chosen with the same seed, edited in place; infra and
# manifests among them so the analyzers and related-file scans have work.
rng2 = random.Random(300)
infra = [p for p, _ in files if p.endswith((".tf", ".yaml"))]
other = [p for p, _ in files if not p.endswith((".tf", ".yaml"))]
picked = rng2.sample(infra, min(20, len(infra)))
picked += rng2.sample(other, changed - len(picked))
with open(os.path.join(repo, ".bench-changed"), "w") as f:
    f.write("\n".join(sorted(picked)) + "\n")
PY
  (
    cd "$REPO"
    git init -q -b main
    git -c user.name=bench -c user.email=bench@example.com add -A
    git reset -q -- .bench-changed
    echo .bench-changed > .git/info/exclude
    GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z \
      git -c user.name=bench -c user.email=bench@example.com commit -qm base
    # Edit each picked file: a changed line near the top, one appended at the end.
    while read -r path; do
      sed -i '2s/$/ (changed)/' "$path"
      case "$path" in
        *.tf) printf 'resource "aws_s3_bucket" "extra" {\n  bucket = "extra"\n}\n' >>"$path" ;;
        *.yaml) printf '# changed\n' >>"$path" ;;
        *.py) printf '# changed\n' >>"$path" ;;
        *) printf '// changed\n' >>"$path" ;;
      esac
    done <.bench-changed
  )
  touch "$REPO/.bench-ready"
}

[ -f "$REPO/.bench-ready" ] || generate
echo "# repository: $REPO ($(git -C "$REPO" ls-files | wc -l) tracked files, $(git -C "$REPO" diff --name-only HEAD | wc -l) changed)"

commands=("git -C $REPO diff HEAD")
names=("git diff")
for bin in "$@"; do
  commands+=("$bin context --task bench --repo $REPO --stats")
  names+=("director context ($bin)")
done

# One warm-up of each, and a check that the context command works at all.
for c in "${commands[@]}"; do
  $c >/dev/null
done

declare -a means
if command -v hyperfine >/dev/null; then
  export_json="$BENCH_DIR/hyperfine.json"
  hyperfine -N --warmup "$BENCH_WARMUP" --runs "$BENCH_RUNS" --export-json "$export_json" \
    "${commands[@]}" >&2
  mapfile -t means < <(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["mean"])' "$export_json")
else
  for c in "${commands[@]}"; do
    start=$(date +%s.%N)
    for _ in $(seq "$BENCH_RUNS"); do $c >/dev/null; done
    end=$(date +%s.%N)
    means+=("$(echo "($end - $start) / $BENCH_RUNS" | bc -l)")
  done
fi

declare -a rss
for c in "${commands[@]}"; do
  kb=$( { /usr/bin/time -v $c >/dev/null; } 2>&1 | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
  rss+=("$kb")
done

printf '\n%-60s %10s %8s %10s %8s\n' "command" "mean (s)" "x git" "RSS (MiB)" "x git"
for i in "${!commands[@]}"; do
  python3 -c '
import sys
name, mean, kb, base_mean, base_kb = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"{name[:60]:<60} {mean:>10.3f} {mean / base_mean:>8.2f} {kb / 1024:>10.1f} {kb / base_kb:>8.2f}")
' "${names[$i]}" "${means[$i]}" "${rss[$i]}" "${means[0]}" "${rss[0]}"
done
