#!/usr/bin/env bash
# Measures `director hook claude-code` on a stop with nothing changed since the last
# pass (the fast pass: change fingerprint only, no verification, no provider call)
# side by side with a stop that verifies (offline: the deterministic evidence alone,
# so no provider is needed), in one run, and prints both medians and their ratio.
#
# Usage: scripts/hook-fast-pass.sh [path/to/director] [runs]   (default: target/release/director, 20)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-$ROOT/target/release/director}
RUNS=${2:-20}
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p director-cli" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
git init -q -b main
mkdir -p src && printf 'pub fn f() -> u32 { 1 }\n' > src/lib.rs
# A realistic working tree: a few hundred tracked files besides the change.
for d in $(seq 40); do mkdir -p "m$d"; for f in $(seq 10); do printf 'x = %s\n' "$f" > "m$d/f$f.py"; done; done
git add -A && git -c user.name=t -c user.email=t@e commit -qm base
printf 'pub fn f() -> u32 { 2 }\n' > src/lib.rs
payload() { printf '{"session_id":"bench-%s","transcript_path":null,"cwd":"%s","hook_event_name":"Stop","stop_hook_active":false,"last_assistant_message":"done"}' "$1" "$WORK"; }
stop() { payload "$1" | "$BIN" hook claude-code --offline; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
full=(); fast=()
for i in $(seq "$RUNS"); do
    # A new session each time: no last pass, so the hook verifies.
    full+=("$(ms stop "run-$i")")
    # The same session again with nothing changed: the fast pass.
    fast+=("$(ms stop "run-$i")")
done
F=$(printf '%s\n' "${full[@]}" | median); P=$(printf '%s\n' "${fast[@]}" | median)
echo "verifying stop (offline, evidence only): median ${F} ms over $RUNS runs"
echo "unchanged stop (fast pass):              median ${P} ms over $RUNS runs"
awk -v f="$F" -v p="$P" 'BEGIN { if (p > 0) printf "ratio: the fast pass takes %.2f of a verifying stop\n", p / f }'
