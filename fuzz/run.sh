#!/usr/bin/env bash
# Fuzz every target (or the ones named) for $FUZZ_SECONDS each (default 600), one at
# a time on one core, and print minutes, executions and findings per target.
# Needs a nightly toolchain and cargo-fuzz (docs/fuzzing.md). Each target runs in
# fuzz/logs/<target>/ (libFuzzer's fuzz-0.log lands there).
set -uo pipefail
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
seconds=${FUZZ_SECONDS:-600}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=(verdict task config terraform kubernetes dockerfile compose redact quote pack)
fi
for t in "${targets[@]}"; do
  mkdir -p "$fuzz_dir/corpus/$t" "$fuzz_dir/logs/$t"
  start=$(date +%s)
  (
    cd "$fuzz_dir/logs/$t" && rm -f fuzz-0.log &&
      nice -n 19 cargo +nightly fuzz run --fuzz-dir "$fuzz_dir" -s none "$t" \
        "$fuzz_dir/corpus/$t" "$fuzz_dir/seeds/$t" -- \
        -jobs=1 -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
        -timeout=10 -print_final_stats=1 >run.out 2>&1
  )
  log="$fuzz_dir/logs/$t/fuzz-0.log"
  execs=$(grep -ho 'stat::number_of_executed_units: [0-9]*' "$log" 2>/dev/null | tail -1 | awk '{print $2}')
  found=$(ls "$fuzz_dir/artifacts/$t" 2>/dev/null | grep -cE '^(crash|timeout|oom|leak)-')
  echo "$t: $(( ($(date +%s) - start) / 60 )) min, ${execs:-?} executions, $found crash/timeout/oom artifacts"
done
