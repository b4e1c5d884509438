#!/usr/bin/env bash
# Runs the replication benchmark on loopback: calls/s to replicated proclets
# against the same without replication (controller, two server nodes, the
# main node), then the fail-over time: SIGKILL of the node hosting
# replicated counters under two writers, with default flags, measured as
# the slowest write (the calls the dead primary did not answer wait for a
# backup to take over).
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
  echo "usage: $0 <build-dir> [bench_replication flags: --proclets N" \
    "--seconds S --inflight N]" >&2
  exit 2
fi
build=$1
shift
bench=$build/bench/replication/bench_replication
app=$build/test/e2e/replication/nu_e2e_replication_app
controller=$build/controller/nu-controller
for program in "$bench" "$app" "$controller"; do
  if [[ ! -x $program ]]; then
    echo "run.sh: $program not built" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Waits up to 30 s for a line matching REGEX in FILE; prints its group 1.
await() {
  local file=$1 regex=$2
  for _ in $(seq 300); do
    if [[ -f $file ]] && line=$(grep -m1 -E "$regex" "$file"); then
      [[ $line =~ $regex ]] && echo "${BASH_REMATCH[1]}"
      return 0
    fi
    sleep 0.1
  done
  echo "run.sh: no line like '$regex' in $file:" >&2
  cat "$file" >&2
  return 1
}

# A controller with default flags and two server nodes of PROGRAM; sets
# address and the server pids by node id (server_pid[ID]).
declare -A server_pid
start_cluster() {
  local program=$1 i id
  "$controller" --listen 127.0.0.1:0 --quiet >"$tmp/controller.out" \
    2>"$tmp/controller.err" &
  pids+=($!)
  address=$(await "$tmp/controller.out" 'listening on ([0-9.]+:[0-9]+)')
  for i in 1 2; do
    "$program" --nu-join "$address" >/dev/null 2>"$tmp/server$i.err" &
    pids+=($!)
    id=$(await "$tmp/server$i.err" 'node ([0-9]+) serving at')
    server_pid[$id]=$!
  done
}

stop_cluster() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

echo "== calls to replicated proclets (Figure 14)"
start_cluster "$bench"
"$bench" --nu-controller "$address" "$@" 2>/dev/null
stop_cluster

echo
echo "== fail-over after SIGKILL of the primary's node (default flags)"
start_cluster "$app"
"$app" --nu-controller "$address" --scenario kill-primary \
  >"$tmp/main.out" 2>"$tmp/main.err" &
main=$!
victim=$(await "$tmp/main.out" '^kill ([0-9]+)$')
kill -9 "${server_pid[$victim]}"
if ! wait "$main"; then
  echo "run.sh: the fail-over run failed:" >&2
  cat "$tmp/main.err" >&2
  exit 1
fi
grep -E '^failed' "$tmp/main.out" | awk '{
  printf "writes failed: %s; slowest write (the fail-over): %s ms\n", $2, $4 }'
stop_cluster
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
