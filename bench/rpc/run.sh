#!/usr/bin/env bash
# Runs the RPC benchmark: Add(a, b) through raw TCP, Thrift, gRPC and nu
# (plain, on ucx, with a cluster secret, with TLS and the secret) on
# loopback, unpinned and all on CPU 0,
# and prints one comparison table.
set -euo pipefail

if [[ $# -ne 1 || ! -d $1 ]]; then
  echo "usage: $0 <build-dir>  (seconds per run: RPC_BENCH_SECONDS=2)" >&2
  exit 2
fi
rpc=$1/bench/rpc
controller=$1/controller/nu-controller
seconds=${RPC_BENCH_SECONDS:-2}
placements=(unpinned cpu0)

tmp=$(mktemp -d)
results=$tmp/results # lines: system placement inflight calls/s p50 p99
touch "$results"
pin=() # taskset prefix of the current placement (set_pin)
ctl_flags=() node_flags=() # nu's extra flags (nu_tls)
# shellcheck source=../lib/background.sh
source "$(dirname "$0")/../lib/background.sh"

# Sets pin to the command prefix of a placement.
set_pin() {
  pin=()
  if [[ $1 == cpu0 ]]; then pin=(taskset -c 0); fi
}

# Runs one client command; appends its RESULT to the results file.
record() {
  local placement=$1 output
  shift
  if ! output=$("$@"); then
    echo "run.sh: failed: $*" >&2
    failed=1
    return 0
  fi
  echo "$output"
  awk -v placement="$placement" -v as="${system_as-}" '$1 == "RESULT" {
    for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print (as != "" ? as : $2), placement, v["inflight"], v["calls_per_s"],
          v["p50_us"],
          v["p99_us"]
  }' <<<"$output" >>"$results"
}

run_peer() {
  local system=$1 binary=$rpc/bench_rpc_$1 placement inflight
  if [[ ! -x $binary ]]; then
    echo "== $system: $binary not built, skipped (scripts/setup.sh --bench)"
    return 0
  fi
  for placement in "${placements[@]}"; do
    echo "== $system, $placement"
    set_pin "$placement"
    start_bg "$system" "${pin[@]}" "$binary" server --port 0
    if await_line "$system" '^READY ([0-9]+)$'; then
      for inflight in 1 64; do
        record "$placement" "${pin[@]}" "$binary" client \
          --port "$ready" --inflight "$inflight" --seconds "$seconds"
      done
    fi
    stop_all
  done
}

# A fresh controller and server node for each client run.
run_nu_once() {
  local placement=$1 inflight=$2 binary=$rpc/bench_rpc_nu address
  set_pin "$placement"
  start_bg controller "${pin[@]}" "$controller" --listen 127.0.0.1:0 --quiet \
    "${ctl_flags[@]}"
  if ! await_line controller '^nu-controller: listening on ([0-9.]+:[0-9]+)'
  then
    stop_all
    return 0
  fi
  address=$ready
  start_bg nu-server "${pin[@]}" "$binary" --nu-join "$address" \
    "${node_flags[@]}"
  record "$placement" "${pin[@]}" "$binary" --nu-controller "$address" \
    "${node_flags[@]}" -- \
    --inflight "$inflight" --seconds "$seconds"
  stop_all
}

run_nu() {
  local placement inflight
  if [[ ! -x $rpc/bench_rpc_nu ]]; then
    echo "== nu: $rpc/bench_rpc_nu not built, skipped"
    return 0
  fi
  if [[ ! -x $controller ]]; then
    echo "== nu: $controller not built, skipped"
    return 0
  fi
  for placement in "${placements[@]}"; do
    echo "== nu, $placement"
    for inflight in 1 64; do run_nu_once "$placement" "$inflight"; done
  done
}

print_table() {
  awk '
    { calls[$1, $2, $3] = $4; p50[$1, $2, $3] = $5; p99[$1, $2, $3] = $6 }
    function cell(array, key) { return (key in array) ? array[key] : "-" }
    function ratio(top, bottom) {
      return (top == "-" || bottom == "-" || bottom == 0) ? "-" \
             : sprintf("%.2f", top / bottom)
    }
    END {
      n = split("rawtcp thrift grpc nu nu_ucx nu_auth nu_tls", systems, " ")
      split("unpinned cpu0", placements, " ")
      printf "%-8s %-9s %12s %12s %10s %10s %12s %12s\n", "system", \
             "placement", "calls/s@1", "calls/s@64", "p50us@1", "p99us@1", \
             "nu/this@64", "p50/rawtcp"
      for (i = 1; i <= n; i++) for (j = 1; j <= 2; j++) {
        s = systems[i]; p = placements[j]
        if (!((s, p, 1) in calls) && !((s, p, 64) in calls)) continue
        printf "%-8s %-9s %12s %12s %10s %10s %12s %12s\n", s, p, \
               cell(calls, s SUBSEP p SUBSEP 1), \
               cell(calls, s SUBSEP p SUBSEP 64), \
               cell(p50, s SUBSEP p SUBSEP 1), cell(p99, s SUBSEP p SUBSEP 1), \
               ratio(cell(calls, "nu" SUBSEP p SUBSEP 64), \
                     cell(calls, s SUBSEP p SUBSEP 64)), \
               ratio(cell(p50, s SUBSEP p SUBSEP 1), \
                     cell(p50, "rawtcp" SUBSEP p SUBSEP 1))
      }
    }' "$results"
}

# The goals of bench/README.md, each as a ratio with MET or MISSED.
print_goals() {
  awk '
    { calls[$1, $2, $3] = $4; p50[$1, $2, $3] = $5 }
    function goal(what, top, bottom, low, high,   r) {
      if (top == "" || bottom == "" || bottom == 0) {
        printf "%-52s %8s %s\n", what, "-", "NOT RUN"; return
      }
      r = top / bottom
      printf "%-52s %7.2fx %s\n", what, r, \
             (r >= low && r <= high) ? "MET" : "MISSED"
    }
    END {
      print "goal                                                   ratio"
      goal("nu p50@1 <= 1.3x raw TCP round trip, unpinned", \
           p50["nu", "unpinned", 1], p50["rawtcp", "unpinned", 1], 0, 1.3)
      goal("nu p50@1 <= 1.3x raw TCP round trip, cpu0", \
           p50["nu", "cpu0", 1], p50["rawtcp", "cpu0", 1], 0, 1.3)
      goal("nu calls/s@1 >= Thrift, unpinned", \
           calls["nu", "unpinned", 1], calls["thrift", "unpinned", 1], 1, 1e9)
      goal("nu calls/s@64 >= 5x Thrift, unpinned", \
           calls["nu", "unpinned", 64], calls["thrift", "unpinned", 64], 5, 1e9)
      goal("nu_ucx p50@1 <= 0.5x nu over tcp, unpinned", \
           p50["nu_ucx", "unpinned", 1], p50["nu", "unpinned", 1], 0, 0.5)
      goal("nu_ucx p50@1 <= 0.5x nu over tcp, cpu0", \
           p50["nu_ucx", "cpu0", 1], p50["nu", "cpu0", 1], 0, 0.5)
      goal("nu_ucx calls/s@64 >= 1.5x nu over tcp, unpinned", \
           calls["nu_ucx", "unpinned", 64], calls["nu", "unpinned", 64], 1.5, 1e9)
    }' "$results"
}

for system in rawtcp thrift grpc; do run_peer "$system"; done
run_nu
# nu on the ucx transport plugin, when it was built.
if [[ -f $1/transports/libnu-transport-ucx.so ]]; then
  ctl_flags=(--transport ucx) node_flags=(--nu-transport ucx)
  system_as=nu_ucx run_nu
  ctl_flags=() node_flags=()
else
  echo "== nu_ucx: $1/transports/libnu-transport-ucx.so not built, skipped"
fi
# nu again with a cluster secret: every connection authenticated.
(umask 077 && head -c 32 /dev/urandom | base64 >"$tmp/secret")
NU_SECRET_FILE=$tmp/secret system_as=nu_auth run_nu
# And over TLS too (scripts/make-certs.sh's certificates).
"$(dirname "$0")/../../scripts/make-certs.sh" "$tmp/certs" nu >/dev/null
for flag in cert key ca; do
  file=$tmp/certs/nu.${flag/cert/pem}
  [[ $flag == ca ]] && file=$tmp/certs/ca.pem
  ctl_flags+=("--tls-$flag" "$file")
  node_flags+=("--nu-tls-$flag" "$file")
done
NU_SECRET_FILE=$tmp/secret system_as=nu_tls run_nu
echo
echo "Add(a, b) over 127.0.0.1, ${seconds}s per run; cpu0 = server and" \
  "client under taskset -c 0"
print_table
echo
print_goals
exit "$failed"
