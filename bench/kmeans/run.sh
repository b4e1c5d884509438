#!/usr/bin/env bash
# k-means per iteration: the plain threaded version (1 and 2 threads), the
# nu example in one process and as 3 processes on loopback; one table.
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
  echo "usage: $0 <build-dir> [kmeans flags]  (default:" \
    "--points 400000 --iterations 30)" >&2
  exit 2
fi
build=$1
shift
flags=("$@")
if [[ ${#flags[@]} -eq 0 ]]; then flags=(--points 400000 --iterations 30); fi
kmeans=$build/examples/kmeans/kmeans
threads=$build/bench/kmeans/bench_kmeans_threads
controller=$build/controller/nu-controller
for program in "$kmeans" "$threads" "$controller"; do
  if [[ ! -x $program ]]; then
    echo "run.sh: $program not built" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
# shellcheck source=../lib/background.sh
source "$(dirname "$0")/../lib/background.sh"
results=$tmp/results # "name ms inertia" per run
touch "$results"

# Appends NAME's mean iteration and result from the output file OUT.
record() {
  local name=$1 out=$2
  awk -v name="$name" '/^mean iteration/ { ms = $3 }
    /^result inertia/ { inertia = $3 }
    END { print name, ms, inertia }' "$out" >>"$results"
}

three_processes() {
  start_bg controller "$controller" --listen 127.0.0.1:0 --quiet
  await_line controller '^nu-controller: listening on ([0-9.]+:[0-9]+)' ||
    return 1
  local address=$ready
  start_bg node1 "$kmeans" --nu-join "$address" --nu-monitor-ms 0
  start_bg node2 "$kmeans" --nu-join "$address" --nu-monitor-ms 0
  sleep 1 # both have joined and heard of each other
  "$kmeans" --nu-controller "$address" --nu-monitor-ms 0 "${flags[@]}" \
    >"$tmp/nu3.txt" 2>"$tmp/nu3.err" || {
    cat "$tmp/nu3.err" >&2
    failed=1
  }
  record "nu-3-processes" "$tmp/nu3.txt"
  stop_all
}

"$threads" --threads 1 "${flags[@]}" >"$tmp/t1.txt"
record "threads-1" "$tmp/t1.txt"
"$threads" --threads 2 "${flags[@]}" >"$tmp/t2.txt"
record "threads-2" "$tmp/t2.txt"
"$kmeans" --nu-monitor-ms 0 "${flags[@]}" >"$tmp/nu1.txt" 2>"$tmp/nu1.err"
record "nu-1-process" "$tmp/nu1.txt"
three_processes

echo "k-means ${flags[*]} (other flags: the example's defaults);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^partitions per node' "$tmp/nu3.txt" | sed 's/^/nu-3-processes: /'
# Ratios against the threaded version on as many threads as there are CPUs
# here (2); every version must reach the same result bit for bit.
awk 'NR == 1 { inertia = $3 } { ms[NR] = $2; name[NR] = $1; res[NR] = $3 }
  END {
    printf "%-16s %14s %14s %14s\n", "version", "ms/iteration",
           "vs threads-2", "same result"
    for (i = 1; i <= NR; i++)
      printf "%-16s %14.3f %13.2fx %14s\n", name[i], ms[i], ms[i] / ms[2],
             res[i] == inertia ? "yes" : "NO"
  }' "$results"
# A version that reached another result is a bug, not a slow run.
if [[ $(awk '{ print $3 }' "$results" | sort -u | wc -l) -ne 1 ]]; then
  failed=1
fi
exit "$failed"
