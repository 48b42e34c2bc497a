#!/usr/bin/env bash
# Fuzz every target (or the ones named) for $FUZZ_SECONDS each (default 600), one at
# a time on one core, and print minutes, executions and findings per target.
# Needs a nightly toolchain and cargo-fuzz (docs/fuzzing.md). Logs go to fuzz/logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=(verdict task config terraform kubernetes dockerfile compose redact quote pack)
fi
mkdir -p fuzz/logs
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  start=$(date +%s)
  rm -f fuzz-0.log
  nice -n 19 cargo +nightly fuzz run -s none "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -jobs=1 -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=10 \
    -print_final_stats=1 >"fuzz/logs/$t.out" 2>&1
  mv -f fuzz-0.log "fuzz/logs/$t.log" 2>/dev/null
  execs=$(grep -ho 'stat::number_of_executed_units: [0-9]*' "fuzz/logs/$t.log" 2>/dev/null | tail -1 | awk '{print $2}')
  found=$(ls "fuzz/artifacts/$t" 2>/dev/null | grep -cE '^(crash|timeout|oom|leak)-')
  echo "$t: $(( ($(date +%s) - start) / 60 )) min, ${execs:-?} executions, $found crash/timeout/oom artifacts"
done
