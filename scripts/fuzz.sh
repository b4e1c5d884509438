#!/usr/bin/env bash
# Fuzzes every decoder of bytes from outside (test/fuzz/) with libFuzzer,
# ASan and UBSan: builds build-fuzz/ with Clang, replays the saved crashes
# of test/fuzz/regressions/, runs each target SECONDS (default 600) on a
# copy of its seeds in build-fuzz/corpus/, prints a table; fails on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
if [[ ! "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS per target, default 600]" >&2
  exit 2
fi
targets=(fuzz_frame fuzz_handshake fuzz_controller fuzz_migration_chunk
         fuzz_resp)
out=build-fuzz

./scripts/setup.sh
CC=clang-16 CXX=clang++-16 cmake -S . -B "$out" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNU_FUZZ=ON
cmake --build "$out" -j "$(nproc)" --target nu_fuzz

export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1

# The libFuzzer options of target $1: limits, and its dictionary if any.
options() {
  echo "-rss_limit_mb=2048 -timeout=10 -print_final_stats=1"
  if [[ -f test/fuzz/$1.dict ]]; then
    echo "-dict=test/fuzz/$1.dict"
  fi
  if [[ $1 == fuzz_resp ]]; then # RESP's 64 KiB line limits
    echo "-max_len=70000"
  fi
}

# Runs target $1 once on each of its saved crashes; prints how many still
# crash.
replay() {
  local t=$1 file failures=0
  for file in test/fuzz/regressions/"$t"/*; do
    [[ -f $file ]] || continue
    # shellcheck disable=SC2046 # the options are words
    "$out/test/fuzz/$t" $(options "$t") \
      -artifact_prefix="$out/artifacts/$t/replay-" "$file" \
      >>"$out/logs/$t.regressions.log" 2>&1 || failures=$((failures + 1))
  done
  echo "$failures"
}

# Fuzzes target $1 for $seconds on its corpus copy (new inputs go there).
fuzz() {
  local t=$1
  mkdir -p "$out/corpus/$t"
  cp test/fuzz/corpus/"$t"/* "$out/corpus/$t/" # the seeds, unchanged
  # shellcheck disable=SC2046
  "$out/test/fuzz/$t" $(options "$t") -max_total_time="$seconds" \
    -artifact_prefix="$out/artifacts/$t/" "$out/corpus/$t" \
    >"$out/logs/$t.log" 2>&1
}

row() {
  printf '%-22s %12s %8s %6s %14s %8s\n' "$@"
}

# Target $1's table line from its log: runs, exec/s, coverage, corpus
# (inputs/bytes, as libFuzzer last counted them), and $2 crashes.
summary() {
  local log=$out/logs/$1.log runs rate cov corpus
  runs=$(awk '/^stat::number_of_executed_units:/ {n = $2} END {print n}' \
    "$log")
  rate=$(awk '/^stat::average_exec_per_sec:/ {n = $2} END {print n}' "$log")
  cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(grep -ao 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 |
    cut -d' ' -f2)
  row "$1" "${runs:--}" "${rate:--}" "${cov:--}" "${corpus:--}" "$2"
}

mkdir -p "$out/logs"
failed=0
lines=()
for t in "${targets[@]}"; do
  mkdir -p "$out/artifacts/$t"
  rm -f "$out/logs/$t.regressions.log"
  crashes=$(replay "$t")
  if [[ $crashes -ne 0 ]]; then
    echo "fuzz.sh: $t: $crashes saved crashes (test/fuzz/regressions/$t)" \
         "still crash: $out/logs/$t.regressions.log" >&2
  fi
  echo "fuzz.sh: $t for $seconds s"
  if ! fuzz "$t"; then
    echo "fuzz.sh: $t crashed: $out/logs/$t.log; input in" \
         "$out/artifacts/$t/" >&2
    crashes=$((crashes + 1))
  fi
  [[ $crashes -eq 0 ]] || failed=1
  lines+=("$(summary "$t" "$crashes")")
done

row target runs exec/s cov corpus crashes
printf '%s\n' "${lines[@]}"
if [[ $failed -ne 0 ]]; then
  echo "fuzz.sh: crashes found; logs in $out/logs/" >&2
  exit 1
fi
echo "fuzz.sh: no crash"
