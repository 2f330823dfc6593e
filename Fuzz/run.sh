#!/usr/bin/env bash
# Runs every fuzz target (or those named) for FUZZ_SECONDS each, one after another, or all
# at once with FUZZ_PARALLEL=1 (each target one process; on a shared machine they share its
# cores, so exec/s drop); logs and corpora live in .fuzz/ (git-ignored). A crash, hang or
# OOM input is copied into fixtures/malformed/fuzz-crashes/<target>/ so `make test` replays
# it from then on.
#
# Each Targets/<Name>/Harness.swift names its seeds and dictionary in header lines:
#   // fuzz-seeds: fixtures/pickle/*.pkl fixtures/models/*.pkl
#   // fuzz-dict: pickle
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
jobs_nice=${FUZZ_NICE:-10}
rss=${FUZZ_RSS_MB:-2048}
bin=Fuzz/.build/release
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(ls Fuzz/Targets))
parallel=${FUZZ_PARALLEL:-0}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
run_target() {
  local target=$1
  local harness=Fuzz/Targets/$target/Harness.swift seeds dict corpus crashes seeddir log status found
  seeds=$(sed -n 's|^// fuzz-seeds: ||p' "$harness")
  dict=$(sed -n 's|^// fuzz-dict: ||p' "$harness")
  corpus=.fuzz/corpus/$target crashes=.fuzz/crashes/$target seeddir=.fuzz/seeds/$target
  mkdir -p "$corpus" "$crashes" "$seeddir" .fuzz/logs
  for f in $seeds; do [ -f "$f" ] && cp -f "$f" "$seeddir/$(echo "$f" | tr / _)"; done
  log=.fuzz/logs/$target-$stamp.log
  echo "== $target: $seconds s, log $log"
  status=0
  nice -n "$jobs_nice" "$bin/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb="$rss" \
    -malloc_limit_mb="$rss" -print_final_stats=1 -artifact_prefix="$crashes/" \
    ${dict:+-dict=Fuzz/dictionaries/$dict.dict} "$corpus" "$seeddir" >"$log" 2>&1 || status=$?
  grep -E '^stat::|^#[0-9]+.*DONE' "$log" | tail -8 || true
  found=$(ls "$crashes" 2>/dev/null | wc -l)
  if [ "$found" -gt 0 ]; then
    mkdir -p "fixtures/malformed/fuzz-crashes/$target"
    cp -n "$crashes"/* "fixtures/malformed/fuzz-crashes/$target/"
    echo "!! $target: $found finding(s) copied to fixtures/malformed/fuzz-crashes/$target (exit $status)"
  fi
}
pids=()
for target in "${targets[@]}"; do
  if [ "$parallel" = 1 ]; then
    run_target "$target" & pids+=($!)
  else
    run_target "$target"
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
