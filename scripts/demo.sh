#!/usr/bin/env bash
# Sets up and builds nu, then runs the demo: nuc lists the proclets of the
# accumulator example and shows its diagnostics on a program with mistakes.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target nuc >/dev/null

flags=(-- -std=c++20 -Itest/lit/Inputs)
echo "== nuc --list-proclets examples/accumulator/main.cpp"
./build/nuc/nuc --list-proclets examples/accumulator/main.cpp "${flags[@]}"
echo
echo "== nuc examples/sharing_mistakes/main.cpp (one mistake per rule)"
if ./build/nuc/nuc examples/sharing_mistakes/main.cpp "${flags[@]}"; then
  echo "demo: expected nuc to reject sharing_mistakes/main.cpp" >&2
  exit 1
fi
echo
echo "demo: nuc rejected every mistake (exit status 1, as intended)"
