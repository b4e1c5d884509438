#!/usr/bin/env python3
# Times nuc against clang++-16 -fsyntax-only on realistic.cpp, interleaved
# run by run; reports min/median/mean and the nuc/clang ratio (not asserted).
import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCE = HERE / "realistic.cpp"
INPUTS = REPO / "test" / "lit" / "Inputs"
GOAL = 1.5


def find_clang():
    found = shutil.which("clang++-16") or "/usr/lib/llvm-16/bin/clang++"
    if not Path(found).exists():
        sys.exit("error: clang++-16 not on PATH nor in /usr/lib/llvm-16/bin")
    return found


def commands(nuc):
    flags = ["-std=c++20", f"-I{INPUTS}"]
    clang = [find_clang(), "-fsyntax-only", "-Wno-unknown-attributes"]
    return {
        "nuc": [nuc, str(SOURCE), "--", *flags],
        "clang -fsyntax-only": [*clang, *flags, str(SOURCE)],
    }


def time_once(name, cmd):
    """Wall time of one run in ms; exits if the command fails."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as err:
        sys.exit(f"error: cannot run {name}: {err}")
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        sys.stderr.write(f"error: {name} exited {proc.returncode}\n"
                         f"$ {' '.join(cmd)}\n{proc.stderr}")
        sys.exit(1)
    return elapsed


def measure(cmds, runs):
    times = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(time_once(name, cmd))
    return times


def print_table(times):
    head = ["runs", "min", "median", "mean"]
    print(f"{'command':<22}" + "".join(f"{h:>10}" for h in head) + "  (ms)")
    for name, ts in times.items():
        print(f"{name:<22}{len(ts):>10}{min(ts):>10.1f}"
              f"{statistics.median(ts):>10.1f}{statistics.mean(ts):>10.1f}")


def print_ratio(times):
    nuc, clang = times.values()
    med = statistics.median(nuc) / statistics.median(clang)
    low = min(nuc) / min(clang)
    print(f"ratio nuc/clang: median {med:.2f}x, min {low:.2f}x "
          f"(goal <= {GOAL}x)")


def main():
    parser = argparse.ArgumentParser(
        description="Time nuc against clang++-16 -fsyntax-only.")
    parser.add_argument("--nuc", default=str(REPO / "build" / "nuc" / "nuc"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", action="store_true",
                        help="run each command once first, untimed")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    cmds = commands(args.nuc)
    if args.warmup:
        measure(cmds, 1)
    times = measure(cmds, args.runs)
    print_table(times)
    print_ratio(times)


if __name__ == "__main__":
    main()
