#!/usr/bin/env bash
# Runs the exactly-once chaos e2e (test/e2e/migration) RUNS times in a row
# (default 20) while BUSY busy loops (default 2) hold the CPUs, printing each
# run's migrations and pauses; stops at the first failure. Uses an existing
# Release build dir (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-20}
busy=${2:-2}
build=${3:-build}
if [[ ! $runs =~ ^[1-9][0-9]*$ || ! $busy =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [RUNS=20] [BUSY=2] [BUILD_DIR=build]" >&2
  exit 2
fi
tests=$build/test/e2e/migration/nu_e2e_migration_tests
if [[ ! -x $tests ]]; then
  echo "soak.sh: $tests not built (cmake --build $build)" >&2
  exit 2
fi

loops=()
stop_loops() { kill "${loops[@]}" 2>/dev/null || true; }
trap stop_loops EXIT
for ((i = 0; i < busy; ++i)); do
  (while :; do :; done) &
  loops+=($!)
done

filter='Migration.ExactlyOnceUnderChaos:Migration.AShardedMapLosesNoWrite*'
for ((run = 1; run <= runs; ++run)); do
  start=$(date +%s.%N)
  if ! log=$("$tests" --gtest_filter="$filter" 2>&1); then
    echo "$log"
    echo "soak.sh: run $run of $runs FAILED" >&2
    exit 1
  fi
  summary=$(grep -o 'chaos: [0-9]* migrations' <<<"$log" | head -1 || true)
  # The exactly-once test's pauses, then the sharded map's.
  pauses=$(grep -o 'p50 [0-9]* us p99 [0-9]* us' <<<"$log" | paste -sd';' || true)
  summary="${summary:-?}; pauses ${pauses:-?}"
  awk -v run="$run" -v runs="$runs" -v start="$start" -v now="$(date +%s.%N)" \
    -v what="$summary" 'BEGIN {
      printf "run %2d/%d passed in %5.1f s (%s)\n", run, runs, now - start, what
    }'
done
echo "soak.sh: $runs runs in a row passed under $busy busy loops"
