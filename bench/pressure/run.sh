#!/usr/bin/env bash
# Memory pressure as the Nu paper's Figure 8 measures it, on this machine:
# nu-kvstore on three nodes under a steady load; an antagonist in the victim
# node's memory cgroup takes memory as fast as Linux gives it; Nu against
# the slow-migration baseline (--nu-migrate-delay-ms=200
# --nu-migrate-throttle-mbps=600). Root only (a memory cgroup, a swap file).
# Prints a table, writes a CSV and a plot per run; stops everything it
# started and removes the swap file and the cgroups on any exit.
set -euo pipefail

script=run.sh # for common.sh's messages
swap=/var/tmp/nu-pressure.swap
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"
build_dir_as_root "a memory cgroup and a swap file" "$@"
kvstore=$build/examples/kvstore/nu-kvstore
controller=$build/controller/nu-controller
load=$build/examples/kvstore/demo/nu-kvstore-load
antagonist=$build/bench/pressure/bench_pressure_antagonist
require "$kvstore" "$controller" "$load" "$antagonist" redis-cli gnuplot \
  mkswap swapon

seconds=${PRESSURE_SECONDS:-25}  # of load after populating
at=${PRESSURE_AT:-8}             # the antagonist starts at this second
keys=${PRESSURE_KEYS:-300000}    # of 1 KiB: about 100 MiB per node
shards=${PRESSURE_SHARDS:-96}
shed=${PRESSURE_SHED_MIB:-24}    # what the victim must give up, MiB
limit=${PRESSURE_LIMIT_MIB:-512} # the victim's cgroup, MiB
min_free=${PRESSURE_MIN_FREE_MIB:-16} # relieved at 125 % of it
swap_iops=${PRESSURE_SWAP_IOPS:-0} # 0: the swap file at its disk's speed
modes=${PRESSURE_MODES:-nu baseline}
out=${PRESSURE_OUT:-$build/pressure}
baseline_flags=(--nu-migrate-delay-ms=200 --nu-migrate-throttle-mbps=600)
[[ $swap_iops =~ ^[0-9]+$ ]] ||
  fail "want PRESSURE_SWAP_IOPS a whole number of I/Os a second (0: no limit)"
mkdir -p "$out"

cgroup_parent memory
if ((cg_v1)); then
  cg_limit=memory.limit_in_bytes cg_usage=memory.usage_in_bytes
else
  cg_limit=memory.max cg_usage=memory.current
fi

cleanup_more() {
  swapoff "$swap" 2>/dev/null || true
  rm -f "$swap"
}

make_swap() {
  fallocate -l 2G "$swap"
  chmod 600 "$swap"
  mkswap "$swap" >/dev/null
  swapon "$swap"
}

# The victim node's cgroup for run MODE: LIMIT MiB, swap allowed.
make_cgroup() {
  make_cgroup_dir "nu-pressure-$1"
  echo $((limit << 20)) >"$cg/$cg_limit"
  victim_cg=$cg
}

# With SWAP_IOPS, a limit on the victim's I/O to the swap file's disk: that
# many reads and writes a second (a slower disk than this VM's; v1 counts
# the I/O of the process that waits for it: page faults, direct reclaim).
# Sets io_cg to a cgroup to join as well, if the limit needs one.
make_io_cgroup() {
  local dev memory_parent=$cg_parent memory_v1=$cg_v1
  io_cg=
  ((swap_iops)) || return 0
  dev=$(stat -c '%Hd:%Ld' "$swap")
  if [[ -e /sys/dev/block/$dev/partition ]]; then # limits take whole disks
    dev=$(cat "$(readlink -f "/sys/dev/block/$dev")/../dev")
  fi
  if [[ -d /sys/fs/cgroup/blkio ]]; then
    cgroup_parent blkio
    make_cgroup_dir "nu-pressure-$1-io"
    echo "$dev $swap_iops" >"$cg/blkio.throttle.read_iops_device"
    echo "$dev $swap_iops" >"$cg/blkio.throttle.write_iops_device"
    io_cg=$cg
  else # v2: a process is in one cgroup of it, the victim's if memory is v2
    cgroup_parent io
    echo "+io" >"$cg_parent/cgroup.subtree_control"
    if ((memory_v1)); then
      make_cgroup_dir "nu-pressure-$1-io"
      io_cg=$cg
    else
      cg=$victim_cg
    fi
    echo "$dev riops=$swap_iops wiops=$swap_iops" >"$cg/io.max"
  fi
  cg_parent=$memory_parent cg_v1=$memory_v1
}

# Controller, node b, the victim node c (in its cgroup), the main node.
start_cluster() {
  local flags=(--port 0 --cluster --nu-log-level=info "${mode_flags[@]}")
  start controller "$controller" --listen 127.0.0.1:0 --quiet
  await controller 'listening on ([0-9.]+:[0-9]+)'
  address=${match[1]}
  start b "$kvstore" --nu-join "$address" --nu-min-free=0 "${flags[@]}"
  await b '^nu: node ([0-9]+) serving at'
  # At debug level the victim logs each move's drain, save and send times.
  start c --cgroup "$victim_cg" --cgroup "$io_cg" "$kvstore" \
    --nu-join "$address" --nu-min-free="${min_free}M" --nu-monitor-ms=20 \
    "${flags[@]}" --nu-log-level=debug
  victim_pid=$started
  await c '^nu: node ([0-9]+) serving at'
  start main "$kvstore" --nu-controller "$address" --nu-min-free=0 \
    --shards "$shards" "${flags[@]}"
  local name
  for name in main b c; do
    await "$name" '^nu-kvstore: node [0-9]+ serving RESP at ([0-9.:]+)'
    resp[$name]=${match[1]}
  done
  for _ in {1..100}; do
    [[ $(redis-cli -p "${resp[main]##*:}" CLUSTER NODES | grep -c master) \
      -eq 3 ]] && return 0
    sleep 0.1
  done
  fail "CLUSTER NODES did not list the 3 nodes" "$tmp/main.log"
}

# The victim's swap use in MiB every 100 ms, the largest in $tmp/swap.max.
watch_swap() {
  local kib most=0
  while kill -0 "$victim_pid" 2>/dev/null; do
    kib=$(awk '/^VmSwap:/ {print $2}' "/proc/$victim_pid/status" \
      2>/dev/null || echo 0)
    ((${kib:-0} > most)) && most=$kib
    echo $((most / 1024)) >"$tmp/swap.max"
    sleep 0.1
  done
}

# Once the load's CSV reaches second AT: the antagonist takes what the
# cgroup has left plus SHED MiB.
unleash() {
  local csv=$1 used mib
  until awk -F, -v at="$at" 'NR > 1 && $1 >= at {found = 1} END {exit !found}' \
    "$csv" 2>/dev/null; do
    kill -0 "$load_pid" 2>/dev/null || fail "the load ended early" "$tmp/load.log"
    sleep 0.05
  done
  used=$(($(cat "$victim_cg/$cg_usage") >> 20))
  mib=$((limit - used + shed))
  echo "== $mode: the antagonist takes $mib MiB (cgroup: $used of $limit MiB" \
    "used, the victim must give up $shed)" >&2
  start antagonist --cgroup "$victim_cg" --cgroup "$io_cg" "$antagonist" \
    "$mib"
}

# One run: MODE (nu or baseline); its CSV in $out/MODE.csv.
run_mode() {
  mode=$1
  mode_flags=()
  [[ $mode == baseline ]] && mode_flags=("${baseline_flags[@]}")
  declare -gA resp=()
  make_cgroup "$mode"
  make_io_cgroup "$mode"
  start_cluster
  watch_swap &
  pids+=($!)
  local csv=$out/$mode.csv
  rm -f "$csv"
  start load "$load" --servers "${resp[main]},${resp[b]},${resp[c]}" \
    --cluster --connections 4 --pipeline 1 --keys "$keys" --value-size 1024 \
    --set-ratio 0.1 --populate --duration "$seconds" --interval-ms 100 \
    --csv "$csv"
  load_pid=$started
  unleash "$csv"
  wait "$load_pid" || fail "the load generator failed" "$tmp/load.log"
  summarize "$csv" >>"$tmp/rows"
  plot "$csv"
  end_run "$mode"
}

# The antagonist's outcome: its time, or how it failed.
antagonist_result() {
  local line
  line=$(grep -m1 '^antagonist:' "$tmp/antagonist.log" || true)
  if [[ $line =~ allocated\ ([0-9]+)\ MiB\ in\ ([0-9.]+)\ ms ]]; then
    echo "ok-${BASH_REMATCH[2]}ms"
  elif [[ -n $line ]]; then
    echo "failed"
  else
    echo "killed" # by the OOM killer, before it finished
  fi
}

# A table row from CSV: steady p99.9 (median before the antagonist), how
# long p99.9 stayed above 3x it after, the worst p99.9, ops/s then.
summarize() {
  local moved migrations
  migrations=$(redis-cli -p "${resp[c]##*:}" INFO nu |
    awk -F: '/^nu_migrations:/ {print $2+0}')
  moved=$(redis-cli -p "${resp[c]##*:}" INFO nu |
    awk -F: '/^nu_migrated_bytes:/ {printf "%.1f", $2 / 1048576}')
  awk -F, -v at="$at" -v mode="$mode" -v swap="$(cat "$tmp/swap.max")" \
    -v ant="$(antagonist_result)" -v moves="${migrations:-0}" \
    -v moved="${moved:-0}" '
    NR == 1 { next }
    $1 < at { before[++n] = $15; ops_before += $2; rows_before++; next }
    { t[++m] = $1; p[m] = $15; ops[m] = $2 }
    END {
      for (i = 2; i <= n; i++) # insertion sort (mawk has no asort)
        for (j = i; j > 1 && before[j - 1] > before[j]; j--) {
          x = before[j]; before[j] = before[j - 1]; before[j - 1] = x
        }
      steady = before[int((n + 1) / 2)]
      last = 0; worst = 0; ops_low = 1e18
      for (i = 1; i <= m; i++) {
        if (p[i] > 3 * steady) last = i
        if (p[i] > worst) worst = p[i]
      }
      ops_during = 0
      for (i = 1; i <= last; i++) ops_during += ops[i]
      span = last ? t[last] - at + 0.1 : 0
      printf "%-9s %9.1f %10.2f %10.2f %8.0fx %9.0f %9.0f %7d %8s %6s %s\n",
        mode, span, steady, worst, worst / steady,
        ops_before / rows_before, last ? ops_during / last : 0,
        moves, moved, swap, ant
    }' "$1"
}

plot() {
  local csv=$1 png=$out/$mode.png
  gnuplot -e "csv='$csv'; png='$png'; at=$at; title='$mode'" \
    "$(dirname "$0")/plot.gp" 2>/dev/null || echo "run.sh: no plot" >&2
  echo "== $mode: plot $png, data $csv" >&2
}

make_swap || fail "cannot make a swap file at $swap"
# shellcheck disable=SC2086 # the modes are words
run_modes $modes

swap_speed=
((swap_iops)) && swap_speed=" at $swap_iops reads and writes a second"
echo
echo "nu-kvstore on 3 nodes, $keys keys of 1 KiB in $shards shards," \
  "4 connections; at ${at}s an antagonist in node c's ${limit} MiB cgroup" \
  "takes what is left plus ${shed} MiB; 2 GiB of swap$swap_speed;" \
  "$(nproc) cores"
printf '%-9s %9s %10s %10s %9s %9s %9s %7s %8s %6s %s\n' mode \
  "disrupt s" "p99.9 ms" "worst ms" "worst/st" "ops/s" "ops/s dis" \
  "moves" "MiB out" "swapMiB" antagonist
cat "$tmp/rows"
