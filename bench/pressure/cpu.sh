#!/usr/bin/env bash
# CPU pressure as the Nu paper's Figure 9 measures it, on this machine:
# k-means on node a (a cpuset of CPU 0) with an idle node b (CPU 1); at AT s
# an antagonist of busy threads joins a's cpuset. Nu (--nu-cpu-high) against
# the slow-migration baseline and against no migration. Root only (cpusets).
# Prints a table, writes a CSV and a plot per run; stops everything it
# started and removes the cpusets on any exit.
set -euo pipefail

script=cpu.sh # for common.sh's messages
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
build_dir_as_root "cpusets" "$@"
kmeans=$build/examples/kmeans/kmeans
controller=$build/controller/nu-controller
require "$kmeans" "$controller" gnuplot
if (($(nproc) < 2)); then
  echo "cpu.sh: needs 2 CPUs, one per node" >&2
  exit 1
fi

seconds=${PRESSURE_SECONDS:-30}  # of k-means, more than AT
at=${PRESSURE_AT:-8}             # the antagonist starts at this second
threads=${PRESSURE_THREADS:-2}   # the antagonist's busy threads
points=${PRESSURE_POINTS:-1600000}
partitions=${PRESSURE_PARTITIONS:-8}
cpu_high=${PRESSURE_CPU_HIGH:-0.9}
modes=${PRESSURE_MODES:-nu baseline none}
out=${PRESSURE_OUT:-$build/pressure}
baseline_flags=(--nu-migrate-delay-ms=200 --nu-migrate-throttle-mbps=600)
mkdir -p "$out"
((at >= 8 && seconds > at)) ||
  fail "want PRESSURE_AT >= 8 (6 s of steady speed after a warm-up) and PRESSURE_SECONDS > PRESSURE_AT"

cgroup_parent cpuset
mems=$(cat "$cg_parent/cpuset.mems" 2>/dev/null || echo 0)

# A cpuset NAME of CPU N; sets cg.
make_cpuset() {
  make_cgroup_dir "nu-pressure-$1"
  if ((cg_v1)); then
    echo "$2" >"$cg/cpuset.cpus"
    echo "$mems" >"$cg/cpuset.mems"
  else
    echo "+cpuset" >"$cg_parent/cgroup.subtree_control"
    echo "$2" >"$cg/cpuset.cpus"
  fi
}

# Runs "$@" (exec'd: its pid is the one started) with each line of its
# output prefixed by the time it was read.
# shellcheck disable=SC2016
stamped='exec > >(while IFS= read -r line; do
  printf "%s %s\n" "$EPOCHREALTIME" "$line"; done) 2>&1
exec stdbuf -oL -eL "$@"'

# Controller (on any CPU), node a running k-means (cpuset a), then the idle
# node b (cpuset b): every partition starts on a.
start_cluster() {
  local flags=(--nu-log-level=info --nu-monitor-ms=100 "${mode_flags[@]}")
  start controller "$controller" --listen 127.0.0.1:0 --quiet
  await controller 'listening on ([0-9.]+:[0-9]+)'
  address=${match[1]}
  start a --cgroup "$cg_a" bash -c "$stamped" _ "$kmeans" \
    --nu-controller "$address" "${flags[@]}" --points "$points" \
    --partitions "$partitions" --iterations 1000000
  await a 'partitions per node: ([0-9]+):([0-9]+)$'
  start b --cgroup "$cg_b" "$kmeans" --nu-join "$address" "${flags[@]}"
  await b '^nu: node ([0-9]+) serving at'
}

# The time of node a's first iteration (epoch seconds); sets t0.
first_iteration() {
  await a '^([0-9.]+) iteration 1:'
  t0=${match[1]}
}

# At AT s after t0: THREADS busy loops in a's cpuset.
unleash() {
  local now i
  while now=$EPOCHREALTIME && awk -v n="$now" -v t="$t0" -v at="$at" \
    'BEGIN {exit !(n - t < at)}'; do
    sleep 0.05
  done
  echo "== $mode: the antagonist takes CPU 0 with $threads busy threads" >&2
  for i in $(seq "$threads"); do
    start "antagonist$i" --cgroup "$cg_a" sh -c 'while :; do :; done'
  done
}

# Node a's log as CSV: second (since t0), iterations in that second,
# partitions moved off a by then.
to_csv() {
  awk -v t0="$t0" -v end="$seconds" '
    $2 == "iteration" { s = int($1 - t0); if (s >= 0 && s < end) it[s]++ }
    / migrated .* from node / { m = int($1 - t0); moved[m]++ }
    END {
      print "second,iterations,moved"
      for (s = 0; s < end; s++) {
        total += moved[s]
        printf "%d,%d,%d\n", s, it[s] + 0, total
      }
    }' "$tmp/a.log"
}

# A table row from node a's log: iterations/s in the 6 s before AT (after
# a warm-up) and in the 10 s after (or to the end); the disruption lasts
# until the end of the last iteration after AT that took over 1.5x the
# median before.
summarize() {
  awk -v t0="$t0" -v at="$at" -v mode="$mode" -v moves="$1" \
    -v w="$((seconds - at < 10 ? seconds - at : 10))" '
    $2 != "iteration" { next }
    { t = $1 - t0 }
    t >= at - 6 && t < at { ms[++n] = $4 }
    t >= at && t < at + w { during++ }
    t >= at { end[++k] = t; took[k] = $4 }
    END {
      for (i = 2; i <= n; i++) # insertion sort (mawk has no asort)
        for (j = i; j > 1 && ms[j - 1] > ms[j]; j--) {
          x = ms[j]; ms[j] = ms[j - 1]; ms[j - 1] = x
        }
      median = ms[int((n + 1) / 2)]
      last = at
      for (i = 1; i <= k; i++) if (took[i] > 1.5 * median) last = end[i]
      printf "%-9s %9.1f %9.1f %9.2f %8.1f%% %7d\n", mode, n / 6,
        during / w, last - at, 100 * (1 - during / w / (n / 6)), moves
    }' "$tmp/a.log"
}

plot() {
  local csv=$1 png=$out/cpu-$mode.png
  gnuplot -e "csv='$csv'; png='$png'; at=$at; title='$mode'" \
    "$(dirname "$0")/cpu.gp" 2>/dev/null || echo "cpu.sh: no plot" >&2
  echo "== $mode: plot $png, data $csv" >&2
}

# One run: MODE (nu, baseline or none); its CSV in $out/cpu-MODE.csv.
run_mode() {
  mode=$1
  mode_flags=(--nu-cpu-high="$cpu_high")
  [[ $mode == baseline ]] && mode_flags+=("${baseline_flags[@]}")
  [[ $mode == none ]] && mode_flags=(--nu-cpu-high=0)
  make_cpuset "a-$mode" 0
  cg_a=$cg
  make_cpuset "b-$mode" 1
  cg_b=$cg
  start_cluster
  first_iteration
  unleash
  sleep "$(awk -v t="$t0" -v n="$EPOCHREALTIME" -v s="$seconds" \
    'BEGIN {d = t + s - n; print (d > 0 ? d : 0)}')"
  local csv=$out/cpu-$mode.csv
  to_csv >"$csv"
  summarize "$(tail -n 1 "$csv" | cut -d, -f3)" >>"$tmp/rows"
  plot "$csv"
  end_run "cpu-$mode"
}

# shellcheck disable=SC2086 # the modes are words
run_modes $modes

echo
echo "k-means, $points points in $partitions partitions, on node a (CPU 0);" \
  "node b idle (CPU 1); at ${at}s $threads busy threads join CPU 0"
printf '%-9s %9s %9s %9s %9s %7s\n' mode "it/s" "it/s 10s" "disrupt s" \
  "drop" "moves"
cat "$tmp/rows"
