#!/usr/bin/env bash
# Benchmarks nu-kvstore against redis-server with redis-benchmark (SET, GET;
# 50 clients, pipeline 16, 32-byte values) on 127.0.0.1 and prints a table:
# one node, three nodes reached through one, spread, and --cluster.
set -euo pipefail

if [[ $# -gt 1 || ${1-} == -* ]]; then
  echo "usage: $0 [build-dir]  (default build; KVSTORE_BENCH_SECONDS=5" \
    "per test)" >&2
  exit 2
fi
build=${1:-build}
kvstore=$build/examples/kvstore/nu-kvstore
controller=$build/controller/nu-controller
seconds=${KVSTORE_BENCH_SECONDS:-5}
# No migration policy: every shard stays where it was placed.
nu_flags=(--port 0 --shards 64 --nu-monitor-ms 0)
for program in "$kvstore" "$controller" redis-server redis-benchmark; do
  if ! command -v "$program" >/dev/null; then
    echo "run.sh: $program not found (build it, or scripts/setup.sh --bench)" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
rows=$tmp/rows # target, test, ops/s, p50, p99, max, server CPU us/op per line
touch "$rows"
# shellcheck source=../lib/background.sh
source "$(dirname "$0")/../lib/background.sh"
resp_line='^nu-kvstore: node [0-9]+ serving RESP at ([0-9.]+:[0-9]+)'

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Waits up to 30 s for NAME's stderr to match REGEX.
await_stderr() {
  local name=$1 regex=$2
  for _ in {1..300}; do
    grep -qE "$regex" "$tmp/$name.err" && return 0
    sleep 0.1
  done
  failed=1
  echo "run.sh: $name did not get ready; its stderr:" >&2
  cat "$tmp/$name.err" >&2
  return 1
}

# redis-benchmark TEST with N requests against each of PORTS in parallel,
# 50 clients split over them; prints "ops/s p50 p99 max": ops/s summed, p50
# the mean, p99 and max the largest.
run_parallel() {
  local test=$1 n=$2 i=0 port status=0 clients bench_pids=() pid
  shift 2
  clients=$(((50 + $# - 1) / $#))
  for port in "$@"; do
    timeout 120 redis-benchmark -h 127.0.0.1 -p "$port" -t "$test" \
      -c "$clients" -P 16 -d 32 -r 100000 -n "$n" --csv "${rb_flags[@]}" \
      >"$tmp/rb.$i" 2>"$tmp/rb.$i.err" &
    bench_pids+=($!)
    i=$((i + 1))
  done
  for pid in "${bench_pids[@]}"; do wait "$pid" || status=$?; done
  if [[ $status -ne 0 ]] || ! grep -q '^"[A-Z]' "$tmp"/rb.0; then
    echo "run.sh: redis-benchmark $test failed:" >&2
    cat "$tmp"/rb.*.err >&2
    return 1
  fi
  # The CSV row after the header (--cluster prints the nodes first).
  awk -F'"' '$1 == "" && $2 != "test" { rps += $4; p50 += $10; n++
                        if ($14 > p99) p99 = $14; if ($16 > max) max = $16 }
    END { printf "%.0f %.3f %.3f %.3f\n", rps, p50 / n, p99, max }' \
    "$tmp"/rb.[0-9]
  rm -f "$tmp"/rb.*
}

# The CPU time (clock ticks) the servers started so far have used.
server_ticks() {
  local pid
  for pid in "${pids[@]}"; do cat "/proc/$pid/stat" 2>/dev/null || true; done |
    awk '{ ticks += $14 + $15 } END { print ticks + 0 }'
}

# Both tests against PORTS: a short run to learn the rate, then one of
# about $seconds seconds; one row each, with the servers' CPU time per
# request (user + system) over the second run.
measure() {
  local target=$1 test result rps n ticks cpu
  shift
  for test in set get; do
    result=$(run_parallel "$test" $((20000 / $#)) "$@") || return 1
    rps=${result%% *}
    n=$((rps * seconds / $# + 1000))
    ticks=$(server_ticks)
    result=$(run_parallel "$test" "$n" "$@") || return 1
    ticks=$(($(server_ticks) - ticks))
    cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n=$((n * $#)) \
      'BEGIN { printf "%.3f", t / hz * 1e6 / n }')
    echo "$target ${test^^} $result $cpu" >>"$rows"
    echo "  $target ${test^^}: ${result%% *} ops/s" >&2
  done
}

bench_redis() {
  local port
  port=$(free_port)
  echo "== redis-server" >&2
  start_bg redis redis-server --port "$port" --bind 127.0.0.1 --save '' \
    --appendonly no
  if await_line redis 'Ready to accept connections()'; then
    measure redis-server "$port" || failed=1
  fi
  stop_all
}

# One node: with its shards in heaps of their own (the default), and
# (TARGET nu-kvstore-1node-noheaps) with every shard in the shared heap.
bench_one_node() {
  local target=${1:-nu-kvstore-1node}
  echo "== $target" >&2
  start_bg one stdbuf -oL "$kvstore" "${nu_flags[@]}" "${@:2}"
  if await_line one "$resp_line"; then
    measure "$target" "${ready##*:}" || failed=1
  fi
  stop_all
}

# A server node NAME (node_out[NAME] = the fd of its stdout).
start_server() {
  local name=$1
  start_bg "$name" stdbuf -oL "$kvstore" --nu-join "$address" \
    "${nu_flags[@]}"
  node_out[$name]=$bg_out
  await_stderr "$name" '^nu: node [0-9]+ serving at'
}

# Controller + 2 server nodes + the main node (nu_flags, then the
# arguments); sets ports (main's first).
start_three() {
  local name
  declare -gA node_out=()
  start_bg controller "$controller" --listen 127.0.0.1:0 --quiet
  await_line controller '^nu-controller: listening on ([0-9.]+:[0-9]+)' ||
    return 1
  address=$ready
  start_server b && start_server c || return 1
  start_bg main stdbuf -oL "$kvstore" --nu-controller "$address" \
    "${nu_flags[@]}"
  await_line main "$resp_line" || return 1
  ports=("${ready##*:}")
  for name in b c; do
    bg_out=${node_out[$name]}
    await_line "$name" "$resp_line" || return 1
    ports+=("${ready##*:}")
  done
}

bench_three_nodes() {
  echo "== nu-kvstore, 3 nodes" >&2
  if start_three; then
    measure nu-kvstore-3nodes "${ports[0]}" || failed=1
    measure nu-kvstore-3nodes-spread "${ports[@]}" || failed=1
  fi
  stop_all
}

# redis-benchmark --cluster: its 50 clients steered to the node serving
# each key's slot (CLUSTER NODES, then MOVED).
bench_cluster() {
  echo "== nu-kvstore --cluster, 3 nodes" >&2
  nu_flags+=(--cluster)
  rb_flags=(--cluster)
  if start_three; then
    measure nu-kvstore-3nodes-cluster "${ports[0]}" || failed=1
  fi
  stop_all
  rb_flags=()
}

print_table() {
  echo "redis-benchmark -c 50 -P 16 -d 32 -r 100000, ~${seconds} s per test;" \
    "127.0.0.1, $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "spread: one redis-benchmark per node (-c 17), ops/s summed," \
    "p50 averaged, p99/max the largest"
  echo "cpu us: the servers' CPU time (user + system, all nodes) per request"
  awk '$1 == "redis-server" { base[$2] = $3 }
    $1 == "nu-kvstore-1node" { one[$2] = $3; one_p50[$2] = $4; one_cpu[$2] = $7 }
    { row[NR] = $0 }
    END {
      printf "%-26s %-4s %10s %9s %9s %8s %8s %8s %8s %7s %8s\n", "target",
             "test", "ops/s", "vs redis", "vs 1node", "p50 ms", "p50/1node",
             "p99 ms", "max ms", "cpu us", "cpu/1node"
      for (i = 1; i <= NR; i++) {
        split(row[i], f, " ")
        ratio = base[f[2]] ? sprintf("%.2fx", f[3] / base[f[2]]) : "-"
        r1 = one[f[2]] ? sprintf("%.2fx", f[3] / one[f[2]]) : "-"
        p1 = one_p50[f[2]] ? sprintf("%.2fx", f[4] / one_p50[f[2]]) : "-"
        c1 = one_cpu[f[2]] > 0 ? sprintf("%.2fx", f[7] / one_cpu[f[2]]) : "-"
        printf "%-26s %-4s %10d %9s %9s %8.3f %8s %8.3f %8.3f %7.2f %8s\n",
               f[1], f[2], f[3], ratio, r1, f[4], p1, f[5], f[6], f[7], c1
      }
    }' "$rows"
}

rb_flags=()
bench_redis
bench_one_node
bench_one_node nu-kvstore-1node-noheaps --nu-proclet-heaps 0
bench_three_nodes
bench_cluster
echo
print_table
exit "$failed"
