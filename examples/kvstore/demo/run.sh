#!/usr/bin/env bash
# The nu-kvstore demo: a controller and three nodes on 127.0.0.1 under load;
# one node's memory limit is squeezed mid-run and it sheds shards live.
set -euo pipefail

if [[ $# -gt 1 || ${1-} == -* ]]; then
  echo "usage: $0 [build-dir]  (default build; NU_KVSTORE, NU_CONTROLLER," \
    "NU_KVSTORE_LOAD override the binaries, DEMO_* the shape)" >&2
  exit 2
fi
build=${1:-build}
kvstore=${NU_KVSTORE:-$build/examples/kvstore/nu-kvstore}
controller=${NU_CONTROLLER:-$build/controller/nu-controller}
load=${NU_KVSTORE_LOAD:-$build/examples/kvstore/demo/nu-kvstore-load}
plot=$(dirname "$0")/plot.gp
out=${DEMO_OUT:-$build/demo} # the CSV and the plot

# The demo's shape: 128 shards of about 1 MiB (940 values of 1 KiB), so that
# a move pauses a few ms.
shards=${DEMO_SHARDS:-128}
keys=${DEMO_KEYS:-120000}
value_size=${DEMO_VALUE_SIZE:-1024}
seconds=${DEMO_SECONDS:-40}
squeeze_at=${DEMO_SQUEEZE_AT:-15}
squeeze_to=${DEMO_SQUEEZE_TO:-60%}
# Nodes share this host's free memory: only the squeeze may move shards.
# Redis Cluster's protocol: each client sends a key to the node serving its
# slot and follows the shards when they move (MOVED redirects).
node_flags=(--port 0 --nu-min-free=0 --cluster)
# The transport between the processes (tcp, or ucx: docs/transports.md).
transport=${DEMO_TRANSPORT:-tcp}
node_flags+=(--nu-transport "$transport")

tmp=$(mktemp -d)
pids=() # everything started, ended on any exit

# The cluster secret every process proves it knows (docs/security.md): the
# controller, the nodes and nuctl read the file NU_SECRET_FILE names.
(umask 077 && head -c 32 /dev/urandom | base64 >"$tmp/secret")
export NU_SECRET_FILE=$tmp/secret

cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in {1..30}; do
    alive "${pids[@]}" || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# True if any of the PIDs still runs.
alive() {
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

# Prints MESSAGE and the end of LOG (if any), and exits non-zero.
fail() {
  echo "demo: $1" >&2
  if [[ -n ${2-} && -s $2 ]]; then
    echo "--- last lines of $(basename "$2" .log)'s output:" >&2
    tail -n 15 "$2" >&2
  fi
  exit 1
}

# Starts NAME's command in the background, its stdout and stderr line
# buffered into $tmp/NAME.log; sets started to its pid.
start() {
  local name=$1
  shift
  : >"$tmp/$name.log"
  stdbuf -oL -eL "$@" >"$tmp/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}

# Waits up to 30 s for a line of NAME's log matching REGEX while PID runs;
# sets match to BASH_REMATCH.
await() {
  local name=$1 pid=$2 regex=$3 line
  for _ in {1..300}; do
    while IFS= read -r line; do
      if [[ $line =~ $regex ]]; then
        match=("${BASH_REMATCH[@]}")
        return 0
      fi
    done <"$tmp/$name.log"
    alive "$pid" || fail "$name exited before it was ready" "$tmp/$name.log"
    sleep 0.1
  done
  fail "$name was not ready within 30 s" "$tmp/$name.log"
}

check_binaries() {
  local program
  for program in "$kvstore" "$controller" "$load" redis-cli; do
    command -v "$program" >/dev/null || fail "$program is not built" \
      "(cmake --build $build --target nu-kvstore nu-controller" \
      "nu-kvstore-load; redis-cli: scripts/setup.sh)"
  done
  command -v gnuplot >/dev/null || fail "gnuplot is not installed" \
    "(scripts/setup.sh)"
}

# A server node NAME joining the controller; sets NAME's pid and node id.
start_server() {
  local name=$1
  shift
  start "$name" "$kvstore" --nu-join "$controller_address" "${node_flags[@]}" \
    "$@"
  node_pid[$name]=$started
  await "$name" "$started" '^nu: node ([0-9]+) serving at'
  node_id[$name]=${match[1]}
}

# Every node's RESP address, once the main node created the store.
await_frontends() {
  local name
  for name in main b c; do
    await "$name" "${node_pid[$name]}" \
      '^nu-kvstore: node ([0-9]+) serving RESP at ([0-9.]+:[0-9]+)'
    node_id[$name]=${match[1]}
    resp[$name]=${match[2]}
  done
}

start_cluster() {
  start controller "$controller" --listen 127.0.0.1:0 --transport "$transport"
  await controller "$started" 'nu-controller: listening on ([0-9.]+:[0-9]+)'
  controller_address=${match[1]}
  start_server b
  start_server c --nu-log-level=info
  start main "$kvstore" --nu-controller "$controller_address" \
    "${node_flags[@]}" --shards "$shards"
  node_pid[main]=$started
  await_frontends
  await_cluster
}

# Until every node is in CLUSTER NODES (each published its RESP address
# with a heartbeat), so that clients see every node from the start.
await_cluster() {
  local port=${resp[main]##*:}
  for _ in {1..100}; do
    [[ $(redis-cli -p "$port" CLUSTER NODES | grep -c master) -eq 3 ]] &&
      return 0
    sleep 0.1
  done
  fail "CLUSTER NODES did not list the 3 nodes within 10 s" "$tmp/main.log"
}

# "nu[migrate] info: migrated proclet ID from node A to node B: N bytes,
# paused U us" on stdin, as "  migration: shard ID node A -> B, 2.1 MiB,
# paused 1.9 ms".
format_migrations() {
  local line tenths_mib pause_tenths
  local regex='^nu\[migrate\] info: migrated proclet ([0-9]+) from node'
  regex+=' ([0-9]+) to node'
  regex+=' ([0-9]+): ([0-9]+) bytes, paused ([0-9]+) us'
  while IFS= read -r line; do
    [[ $line =~ $regex ]] || continue
    tenths_mib=$(((BASH_REMATCH[4] * 10 + 524288) / 1048576))
    pause_tenths=$(((BASH_REMATCH[5] + 50) / 100))
    printf '  migration: shard %s node %s -> %s, %d.%d MiB, paused %d.%d ms\n' \
      "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" \
      $((tenths_mib / 10)) $((tenths_mib % 10)) \
      $((pause_tenths / 10)) $((pause_tenths % 10))
  done
}

# The squeezed node's migration log lines, reformatted, while the load runs.
show_migrations() {
  mkfifo "$tmp/migrations"
  tail -s 0.2 -n +1 -F --pid="$load_pid" "$tmp/c.log" \
    >"$tmp/migrations" 2>/dev/null &
  pids+=($!)
  format_migrations <"$tmp/migrations" &
  pids+=($!)
  display_pids+=("${pids[@]: -2}")
}

run_load() {
  "$load" --servers "${resp[main]},${resp[b]},${resp[c]}" \
    --cluster --connections 6 --pipeline 4 --keys "$keys" \
    --value-size "$value_size" \
    --set-ratio 0.1 --populate --duration "$seconds" \
    --squeeze-at "$squeeze_at" --squeeze-server "${resp[c]}" \
    --squeeze-to "$squeeze_to" --csv "$csv" >"$tmp/load.out" 2>&1 &
  load_pid=$!
  pids+=("$load_pid")
  display_pids=()
  tail -s 0.2 -n +1 -F --pid="$load_pid" "$tmp/load.out" 2>/dev/null &
  pids+=($!)
  display_pids+=($!)
  show_migrations
  wait "$load_pid" || load_status=$?
  wait "${display_pids[@]}" 2>/dev/null || true
  [[ ${load_status:-0} -eq 0 ]] || {
    check_nodes
    fail "the load generator failed (above)"
  }
}

# Fails if a node is no longer running.
check_nodes() {
  local name
  for name in main b c; do
    alive "${node_pid[$name]}" || fail "node ${node_id[$name]} ($name)" \
      "died during the run" "$tmp/$name.log"
  done
}

# SIGTERM to the main node ends every node; each must exit 0.
stop_cluster() {
  local name status
  check_nodes
  kill -TERM "${node_pid[main]}"
  for _ in {1..100}; do
    alive "${node_pid[@]}" || break
    sleep 0.1
  done
  for name in main b c; do
    alive "${node_pid[$name]}" && fail "node ${node_id[$name]} did not exit" \
      "within 10 s of SIGTERM to the main node" "$tmp/$name.log"
    status=0
    wait "${node_pid[$name]}" || status=$?
    [[ $status -eq 0 ]] || fail "node ${node_id[$name]} exited with" \
      "status $status" "$tmp/$name.log"
  done
}

# What the squeezed node's log says about its migrations.
migration_totals() {
  awk '$1 == "nu[migrate]" && $3 == "migrated" {
         n++; bytes += $12; pause[n] = $15 / 1000
         if ($15 / 1000 > max) max = $15 / 1000 }
       END {
         if (n == 0) { print "node '"${node_id[c]}"' logged no migration"; exit }
         for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
           if (pause[j] < pause[i]) { t = pause[i]; pause[i] = pause[j]; pause[j] = t }
         printf "node %s moved %d shards away: %.1f MiB in all, " \
                "pauses p50 %.1f ms, max %.1f ms\n", "'"${node_id[c]}"'", n,
                bytes / 1048576, pause[int((n + 1) / 2)], max }' "$tmp/c.log"
}

# Plots the CSV; the migration band spans the squeeze to the interval in
# which the squeezed node's migration count last grew.
make_plot() {
  local at limit band column
  at=$(sed -nE 's/^t=([0-9.]+)s +squeeze:.*/\1/p' "$tmp/load.out")
  limit=$(sed -nE 's/.*squeeze: CONFIG SET [^ ]+ ([0-9]+) .*/\1/p' \
    "$tmp/load.out")
  column=$((5 + 2 * 3 + 3))
  band=$(awk -F, -v c="$column" -v at="${at:--1}" '
    NR > 2 && $1 > at && $c > last { to = $1 }
    NR > 1 { last = $c }
    END { print (to ? to : at) }' "$csv")
  gnuplot -e "csv='$csv'; png='$png'; nodes=3; squeezed=3;
    labels='${node_id[main]} ${node_id[b]} ${node_id[c]}';
    squeeze=${at:--1}; limit=${limit:-0}/1048576.0;
    mig_from=${at:--1}; mig_to=$band" "$plot" ||
    fail "gnuplot could not plot $csv"
}

main() {
  check_binaries
  mkdir -p "$out"
  csv=$(realpath "$out")/kvstore-demo.csv
  png=$(realpath "$out")/kvstore-demo.png
  declare -gA node_pid=() node_id=() resp=()
  echo "== nu-kvstore: a controller and 3 nodes on 127.0.0.1, $shards shards"
  start_cluster
  echo "   nodes ${node_id[main]} (main), ${node_id[b]}, ${node_id[c]}" \
    "serving RESP at ${resp[main]}, ${resp[b]}, ${resp[c]}"
  echo "== $keys keys of $value_size bytes, then ${seconds} s of GET/SET" \
    "(10 % SET); at t=${squeeze_at}s node ${node_id[c]}'s memory limit is" \
    "set to $squeeze_to of its RSS, so it sheds shards while serving"
  run_load
  stop_cluster
  echo
  migration_totals
  make_plot
  echo "== plot: $png"
  echo "   data: $csv"
}

main
