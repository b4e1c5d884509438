// Throughput of the controller's state: resolve (hit), update and placement
// on 1M proclets and 3 nodes, on 1 and 2 threads, against the 300k/s goal.
#include "ControllerCore.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace nu::controller;
using Wall = std::chrono::steady_clock;

constexpr double kGoal = 300e3; // controller operations per second
constexpr ProcletId kProclets = 1 << 20;
constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

/// Operations per second of \p op run \p per_thread times on each of
/// \p threads threads (thread index, iteration); best of 3 rounds.
double rate(int threads, long per_thread,
            const std::function<void(int, long)> &op) {
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    Wall::time_point start;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        if (++ready == threads)
          start = Wall::now();
        while (ready.load() < threads) {
        }
        for (long i = 0; i < per_thread; ++i)
          op(t, i);
      });
    for (auto &thread : pool)
      thread.join();
    std::chrono::duration<double> took = Wall::now() - start;
    best = std::max(best,
                    static_cast<double>(per_thread) * threads / took.count());
  }
  return best;
}

// A multiplicative scramble so lookups do not walk ids in order.
ProcletId scrambled(long i) {
  return static_cast<ProcletId>(i) * 0x9E3779B97ull % kProclets + 1;
}

void report(const char *name, int threads, double ops) {
  std::printf("%-22s %7d %14.0f %10.1f %8.1fx\n", name, threads, ops,
              1e9 / ops * threads, ops / kGoal);
}

} // namespace

int main(int argc, char **argv) {
  long ops = argc > 1 ? std::atol(argv[1]) : 2'000'000;
  ControllerCore core;
  std::vector<NodeId> nodes;
  for (int port = 5001; port <= 5003; ++port)
    nodes.push_back(
        *core.nodes().join(NodeHello{"127.0.0.1:" + std::to_string(port),
                                     Capacity{64 * kGiB, 8}, "bench", "bench"},
                           TimePoint{}));
  LocationMap &map = core.locations();
  map.reserve(kProclets);
  for (ProcletId id = 1; id <= kProclets; ++id)
    map.update(id, nodes[id % 3], 1);
  std::atomic<std::uint64_t> epoch{1};
  std::atomic<long> misses{0};

  std::printf("controller state, %u proclets, %zu nodes, goal %.0f ops/s\n",
              static_cast<unsigned>(map.size()), nodes.size(), kGoal);
  std::printf("%-22s %7s %14s %10s %9s\n", "operation", "threads", "ops/s",
              "ns/op", "vs goal");
  for (int threads : {1, 2}) {
    long each = ops / threads;
    report("resolve (hit)", threads, rate(threads, each, [&](int, long i) {
             if (!map.resolve(scrambled(i)))
               ++misses;
           }));
    report("update (newer epoch)", threads,
           rate(threads, each, [&](int t, long i) {
             std::uint64_t e = epoch.fetch_add(1, std::memory_order_relaxed);
             map.update(scrambled(i + t), nodes[i % 3], e + 1);
           }));
    report("place (3 nodes)", threads, rate(threads, each / 4, [&](int, long) {
             if (!core.placement().place({std::nullopt, 4096, std::nullopt}))
               ++misses;
           }));
  }
  if (misses.load() != 0) {
    std::printf("error: %ld operations failed\n", misses.load());
    return 1;
  }
  return 0;
}
