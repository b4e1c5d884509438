#!/usr/bin/env bash
# Installs every build, test and demo dependency of nu from Debian 12
# packages (--bench: also the benchmarks' peers: Thrift, gRPC, redis-server).
# A no-op when everything is present; uses sudo when not run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build python3
  clang-16 libclang-16-dev llvm-16-dev llvm-16-tools
  clang-format-16 libclang-rt-16-dev
  libcereal-dev libasio-dev libgtest-dev libspdlog-dev libssl-dev openssl
  libjemalloc-dev
  redis-tools python3-redis gnuplot-nox
  libucx-dev ucx-utils
)

# The peers of bench/rpc and bench/kvstore; Thrift's headers need Boost's,
# which libthrift-dev does not depend on.
bench_packages=(
  libthrift-dev thrift-compiler libboost-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  pkg-config redis-server
)

case "${1-}" in
  "") ;;
  --bench) packages+=("${bench_packages[@]}") ;;
  *)
    echo "usage: $0 [--bench]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || {
    echo "setup: not root and no sudo; install: ${missing[*]}" >&2
    exit 1
  }
  sudo="sudo"
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
