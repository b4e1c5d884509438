#!/usr/bin/env bash
# Sets up and builds nu, then runs the demo: the accumulator of the Nu paper
# (Figure 4), built with nu_add_executable, as a logical process on this
# machine with the embedded runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target accumulator >/dev/null

echo "== examples/accumulator: two proclets, a method, a closure, async calls,"
echo "   a handle passed as an argument (expect 10, 15, 25)"
./build/examples/accumulator/accumulator
