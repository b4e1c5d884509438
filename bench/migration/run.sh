#!/usr/bin/env bash
# Runs the migration benchmark on loopback (controller, one server node, the
# main node), unpinned and all under taskset -c 0, and prints its tables.
set -euo pipefail

if [[ $# -ne 1 || ! -d $1 ]]; then
  echo "usage: $0 <build-dir>  (seconds of calls per case:" \
    "MIGRATION_CALL_SECONDS=4; transport: NU_BENCH_TRANSPORT=tcp)" >&2
  exit 2
fi
binary=$1/bench/migration/bench_migration
controller=$1/controller/nu-controller
call_seconds=${MIGRATION_CALL_SECONDS:-4}
nu_flags=(--nu-monitor-ms 0) # no policy: only the benchmark moves proclets
ctl_flags=()
transport=${NU_BENCH_TRANSPORT:-tcp} # e.g. ucx: every process on that one
if [[ $transport != tcp ]]; then
  nu_flags+=(--nu-transport "$transport")
  ctl_flags+=(--transport "$transport")
fi
for program in "$binary" "$controller"; do
  if [[ ! -x $program ]]; then
    echo "run.sh: $program not built" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
lines=$tmp/lines # HEAD and ROW lines of every run
touch "$lines"
# shellcheck source=../lib/background.sh
source "$(dirname "$0")/../lib/background.sh"

# One run: a fresh controller and server node, the main node measuring.
run_placement() {
  local placement=$1 address pin=()
  if [[ $placement == cpu0 ]]; then pin=(taskset -c 0); fi
  echo "== $placement" >&2
  start_bg controller "${pin[@]}" "$controller" --listen 127.0.0.1:0 --quiet \
    "${ctl_flags[@]}"
  if await_line controller '^nu-controller: listening on ([0-9.]+:[0-9]+)'
  then
    address=$ready
    start_bg server "${pin[@]}" "$binary" --nu-join "$address" "${nu_flags[@]}"
    if ! "${pin[@]}" "$binary" --nu-controller "$address" "${nu_flags[@]}" \
      -- --placement "$placement" --call-seconds "$call_seconds" \
      >>"$lines"; then
      echo "run.sh: the $placement run failed; server node's stderr:" >&2
      cat "$tmp/server.err" >&2
      failed=1
    fi
  fi
  stop_all
}

# Each section: its HEAD lines (first run), then its rows by order, the
# runs' rows of one order next to each other.
print_tables() {
  awk '
    $1 == "HEAD" { line = $0; sub(/^HEAD [a-z]+ /, "", line)
                   if (!(($2, line) in seen)) { seen[$2, line] = 1
                     heads[$2] = heads[$2] line "\n" } }
    $1 == "ROW"  { line = $0; sub(/^ROW [a-z]+ [0-9]+ /, "", line)
                   rows[$2, $3] = rows[$2, $3] line "\n" }
    END {
      n = split("limits migration calls", sections, " ")
      for (i = 1; i <= n; i++) {
        s = sections[i]
        if (!(s in heads)) continue
        printf "\n%s", heads[s]
        for (order = 0; order < 10; order++)
          if ((s, order) in rows) printf "%s", rows[s, order]
      }
    }' "$lines"
}

for placement in unpinned cpu0; do run_placement "$placement"; done
echo
echo "loopback, 2 processes (+ controller), transport $transport; cpu0 = all" \
  "of them under taskset -c 0; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
print_tables
exit "$failed"
