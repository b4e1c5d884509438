#!/usr/bin/env bash
# Sets up and builds nu, then runs the demo: nu-kvstore, a Redis-compatible
# store, on three nodes shedding shards live when one is squeezed for memory.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "== building nu-kvstore, nu-controller and nu-kvstore-load" \
  "(the first build takes several minutes)"
mkdir -p build/demo
if ! cmake --build build -j "$(nproc)" \
  --target nu-kvstore nu-controller nu-kvstore-load >build/demo/build.log 2>&1
then
  tail -n 30 build/demo/build.log >&2
  echo "demo: the build failed (all of it: build/demo/build.log)" >&2
  exit 1
fi

exec ./examples/kvstore/demo/run.sh build
