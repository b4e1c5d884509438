# What bench/pressure's scripts share: background processes with logs,
# cgroups made for a run, and a cleanup that removes all of it on any exit.
# Sourcing scripts set `script` (their name, for messages) first and may
# define cleanup_more (called by the cleanup, before $tmp is removed).
# shellcheck shell=bash disable=SC2034 # sets variables for its callers

# Reads the one optional argument, the build directory, into build; exits
# unless run as root (WHY: what for).
build_dir_as_root() {
  local why=$1
  shift
  if [[ $# -gt 1 || ${1-} == -* ]]; then
    echo "usage: $0 [build-dir]  (default build; as root)" >&2
    exit 2
  fi
  build=${1:-build}
  if [[ $EUID -ne 0 ]]; then
    echo "${script:-bench/pressure}: needs root ($why)" >&2
    exit 2
  fi
}

# Exits unless every PROGRAM can run.
require() {
  local program
  for program in "$@"; do
    command -v "$program" >/dev/null || {
      echo "${script:-bench/pressure}: $program is missing (cmake --build $build;" \
        "scripts/setup.sh)" >&2
      exit 1
    }
  done
}

tmp=$(mktemp -d)
pids=()
cgroups=()

cleanup() {
  local status=$? pid cg
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for cg in "${cgroups[@]}"; do rmdir "$cg" 2>/dev/null || true; done
  if declare -F cleanup_more >/dev/null; then cleanup_more; fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "${script:-bench/pressure}: $1" >&2
  [[ -n ${2-} && -s $2 ]] && tail -n 15 "$2" >&2
  exit 1
}

# Sets cg_parent to where CONTROLLER's cgroups go: under this shell's own
# cgroup (v1) or at the root of the unified hierarchy (v2).
cgroup_parent() {
  local controller=$1
  if [[ -d /sys/fs/cgroup/$controller ]]; then
    cg_parent=/sys/fs/cgroup/$controller$(awk -F: -v c="$controller" \
      '$2 ~ "(^|,)" c "(,|$)" {print $3}' /proc/self/cgroup)
    cg_v1=1
  elif grep -qw "$controller" /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    cg_parent=/sys/fs/cgroup
    cg_v1=0
  else
    fail "no $controller cgroup controller (v1 or v2)"
  fi
}

# Makes cgroup NAME under cg_parent (removed on exit); sets cg.
make_cgroup_dir() {
  cg=$cg_parent/$1
  mkdir -p "$cg"
  cgroups+=("$cg")
}

# Starts NAME's command in the background (in each cgroup CG given as
# --cgroup CG first; an empty CG is skipped); output in $tmp/NAME.log; sets
# started.
start() {
  local name=$1 cgs=()
  shift
  : >"$tmp/$name.log"
  while [[ $1 == --cgroup ]]; do
    [[ -n $2 ]] && cgs+=("$2")
    shift 2
  done
  if ((${#cgs[@]})); then # the shell joins the cgroups, then becomes "$@"
    # shellcheck disable=SC2016
    stdbuf -oL -eL sh -c 'for cg in $0; do echo $$ >"$cg/cgroup.procs" ||
      exit 1; done; exec "$@"' "${cgs[*]}" "$@" >"$tmp/$name.log" 2>&1 &
  else
    stdbuf -oL -eL "$@" >"$tmp/$name.log" 2>&1 &
  fi
  started=$!
  pids+=("$started")
}

# Waits up to 60 s for a line of NAME's log matching REGEX; sets match.
await() {
  local name=$1 regex=$2 line
  for _ in {1..600}; do
    while IFS= read -r line; do
      if [[ $line =~ $regex ]]; then
        match=("${BASH_REMATCH[@]}")
        return 0
      fi
    done <"$tmp/$name.log"
    sleep 0.1
  done
  fail "$name: no line matching '$regex' within 60 s" "$tmp/$name.log"
}

# Ends a run: keeps its logs as $out/PREFIX-NAME.log and stops everything
# it started.
end_run() {
  local log pid
  for log in "$tmp"/*.log; do cp "$log" "${out:?}/$1-$(basename "$log")"; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# Runs run_mode for each of MODES, its table row in $tmp/rows.
run_modes() {
  local mode
  : >"$tmp/rows"
  for mode in "$@"; do
    echo "== $mode" >&2
    run_mode "$mode"
  done
}
