# Background processes for the benchmarks' run.sh scripts: start them with
# a stdin held open and a stdout to read, wait for a readiness line, stop.
# Sourcing scripts set `tmp` (a scratch directory) first.

pids=()     # everything started in the background
ready=""    # what await_line matched
bg_out=""   # fd of the last start_bg's stdout
held_fds=() # our ends of their stdin and stdout
failed=0

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts NAME's command in the background with a stdin that stays open until
# stop_all and a stdout we read; sets bg_out to the fd of that stdout.
start_bg() {
  local name=$1 fd
  shift
  mkfifo "$tmp/$name.in" "$tmp/$name.out"
  (
    for fd in "${held_fds[@]}"; do exec {fd}>&-; done
    exec "$@"
  ) <"$tmp/$name.in" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  exec {fd}>"$tmp/$name.in"
  held_fds+=("$fd")
  exec {bg_out}<"$tmp/$name.out"
  held_fds+=("$bg_out")
}

# Reads bg_out until a line matches REGEX; sets ready to its first group.
# The rest of that output goes to NAME.log, so the process never blocks on it.
await_line() {
  local name=$1 regex=$2 line
  while IFS= read -r -t 30 -u "$bg_out" line; do
    if [[ $line =~ $regex ]]; then
      ready=${BASH_REMATCH[1]}
      cat <&"$bg_out" >"$tmp/$name.log" &
      pids+=($!)
      return 0
    fi
  done
  failed=1
  echo "run.sh: $name did not get ready; its stderr:" >&2
  cat "$tmp/$name.err" >&2
  return 1
}

# Closes the background processes' stdin, ends them, forgets them.
stop_all() {
  local fd pid
  for fd in "${held_fds[@]}"; do exec {fd}>&-; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  held_fds=()
  pids=()
  rm -f "$tmp"/*.in "$tmp"/*.out
}
