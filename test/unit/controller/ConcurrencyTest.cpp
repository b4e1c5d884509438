// Concurrent use of the controller's state from 8 threads: run under TSan
// (build-ctl-tsan); the final state must match every thread's last word.
#include "ControllerCore.hpp"
#include "TestNodes.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace nu::controller {
namespace {

using test::at;
using test::hello;
using test::kGiB;

constexpr int kThreads = 8;

TEST(Concurrency, ResolveAndUpdateFromEightThreads) {
  constexpr ProcletId kProclets = 4096;
  constexpr int kOps = 20000;
  LocationMap map;
  auto epochs = std::make_unique<std::atomic<std::uint64_t>[]>(kProclets);
  for (ProcletId id = 0; id < kProclets; ++id) {
    ASSERT_TRUE(map.update(id, 1, 1));
    epochs[id] = 1;
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<std::uint64_t>(t));
      for (int i = 0; i < kOps; ++i) {
        ProcletId id = random() % kProclets;
        if (i % 4 == 0) {
          std::uint64_t epoch = epochs[id].fetch_add(1) + 1;
          map.update(id, static_cast<NodeId>(epoch % 3 + 1), epoch);
        } else if (!map.resolve(id)) {
          ++failures;
        }
      }
    });
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  // Whatever order the updates landed in, the highest epoch won.
  for (ProcletId id = 0; id < kProclets; ++id) {
    std::uint64_t last = epochs[id].load();
    ASSERT_EQ(
        *map.resolve(id),
        (Location{static_cast<NodeId>(last == 1 ? 1 : last % 3 + 1), last}))
        << "proclet " << id;
  }
}

TEST(Concurrency, EveryOperationAtOnce) {
  ControllerCore core;
  std::vector<NodeId> nodes;
  for (int port = 5001; port <= 5003; ++port)
    nodes.push_back(*core.nodes().join(hello(port), at(0)));
  std::vector<std::vector<IdRange>> granted(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        ProcletId id = static_cast<ProcletId>(t) * 1000000 + i;
        auto node = core.placement().place({});
        if (!node) {
          ++failures;
          continue;
        }
        core.locations().update(id, *node, 1);
        if (!core.locations().resolve(id))
          ++failures;
        if (i % 10 == 0 &&
            !core.nodes().heartbeat(nodes[i % 3], Load{8 * kGiB, 0.5, 1},
                                    at(i / 100)))
          ++failures;
        if (i % 100 == 0) {
          granted[t].push_back(*core.ids().grant());
          core.nodes().live_nodes();
          if (!core.locations().remove(id))
            ++failures;
        }
      }
    });
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<ProcletId> begins;
  for (auto &ranges : granted)
    for (const IdRange &range : ranges)
      EXPECT_TRUE(begins.insert(range.begin).second);
  EXPECT_EQ(core.locations().size(), kThreads * (2000 - 20u));
}

} // namespace
} // namespace nu::controller
