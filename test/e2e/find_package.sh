#!/usr/bin/env bash
# Installs nu from a build tree into a fresh prefix, builds the accumulator,
# kmeans and social examples against it with find_package(Nu) as a user's
# own projects, runs them and checks their output.
# Usage: find_package.sh <nu build dir> <nu source dir> <scratch dir>
set -euo pipefail
build=$1 source=$2 scratch=$3

rm -rf "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source/examples/accumulator" -B "$scratch/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null

# The nuc that ran must be the installed one, not the build tree's.
grep -q "$scratch/prefix/bin/nuc" "$scratch/build/build.ninja"
out=$("$scratch/build/accumulator")
expected=$'10\n15\n25'
if [[ "$out" != "$expected" ]]; then
  echo "accumulator printed:"; echo "$out"; echo "expected:"; echo "$expected"
  exit 1
fi

for example in kmeans social; do
  cmake -S "$source/examples/$example" -B "$scratch/$example" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
  cmake --build "$scratch/$example" >/dev/null
done
"$scratch/kmeans/kmeans" --points 20000 --iterations 3 | grep -q '^result inertia'
"$scratch/social/social" --users 300 --posts 300 |
  grep -q '^timelines checked: 300, wrong: 0$'
echo "find_package(Nu) from $scratch/prefix: accumulator printed 10, 15, 25;" \
  "kmeans and social built and ran"
