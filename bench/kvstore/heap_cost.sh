#!/usr/bin/env bash
# What proclet heaps cost nu-kvstore: one node started with its shards in
# heaps of their own and with --nu-proclet-heaps 0, in turn, ROUNDS times;
# prints the node's CPU time per SET and per GET (redis-benchmark -c 50
# -P 16 -d 32 -r 100000), a figure steadier than ops/s on a shared VM.
set -euo pipefail

if [[ $# -gt 1 || ${1-} == -* ]]; then
  echo "usage: $0 [build-dir]  (default build; HEAP_COST_ROUNDS=4," \
    "HEAP_COST_REQUESTS=2000000)" >&2
  exit 2
fi
kvstore=${1:-build}/examples/kvstore/nu-kvstore
rounds=${HEAP_COST_ROUNDS:-4}
requests=${HEAP_COST_REQUESTS:-2000000}
for program in "$kvstore" redis-benchmark redis-cli; do
  if ! command -v "$program" >/dev/null; then
    echo "heap_cost.sh: $program not found" >&2
    exit 2
  fi
done

pid=""
trap '[[ -z $pid ]] || kill "$pid" 2>/dev/null || true' EXIT

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# One node in MODE (heaps or shared) on PORT: "MODE set-us get-us".
measure() {
  local mode=$1 port=$2 flags=() test before line=$1
  [[ $mode == shared ]] && flags=(--nu-proclet-heaps 0)
  "$kvstore" --port "$port" --shards 64 --nu-monitor-ms 0 "${flags[@]}" \
    </dev/null >/dev/null 2>&1 &
  pid=$!
  for _ in {1..100}; do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    echo "heap_cost.sh: nu-kvstore did not start on port $port" >&2
    return 1
  fi
  for test in set get; do
    redis-benchmark -p "$port" -t "$test" -c 50 -P 16 -d 32 -r 100000 \
      -n 300000 -q >/dev/null # warm up, and fill the keys for GET
    before=$(ticks "$pid")
    redis-benchmark -p "$port" -t "$test" -c 50 -P 16 -d 32 -r 100000 \
      -n "$requests" -q >/dev/null
    line+=$(awk -v t=$(($(ticks "$pid") - before)) -v n="$requests" \
      -v hz="$(getconf CLK_TCK)" 'BEGIN { printf " %9.3f", t / hz * 1e6 / n }')
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  echo "$line"
}

port=$((20000 + RANDOM % 10000)) # below Linux's ephemeral ports
echo "CPU us per request   SET       GET"
for ((round = 0; round < rounds; round++)); do
  for mode in heaps shared; do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
      echo "heap_cost.sh: port $port is taken" >&2
      exit 1
    fi
    line=$(measure "$mode" "$port")
    awk '{ printf "%-18s %9s %9s\n", $1, $2, $3 }' <<<"$line"
    port=$((port + 1))
  done
done
