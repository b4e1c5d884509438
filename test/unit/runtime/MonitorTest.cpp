// The migration policy: pressure with hysteresis, the ranking by use per
// migration time, and the monitor thread (faked samples) and chaos moves.
#include "migrate/Monitor.hpp"
#include "ControlledCluster.hpp"
#include "CpuUse.hpp"
#include "SystemInfo.hpp"
#include "TestProclets.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

namespace nutest {
namespace {

using nu::detail::Candidate;
using nu::detail::Monitor;
using nu::detail::MonitorOptions;
using nu::detail::Pressure;
using nu::detail::ResourceSample;

constexpr std::uint64_t MiB = 1 << 20;

Pressure assess(std::uint64_t rss, std::uint64_t free, double cpu,
                const MonitorOptions &o, Pressure previous = Pressure::none) {
  return nu::detail::assess(ResourceSample{rss, free, cpu}, o, previous);
}

std::vector<nu::ProcletId> ids(const std::vector<Candidate> &cs) {
  std::vector<nu::ProcletId> out;
  for (const Candidate &c : cs)
    out.push_back(c.id);
  return out;
}

TEST(Policy, MemoryLimitAbove90RelievedBelow80Percent) {
  MonitorOptions o;
  o.mem_limit = 100 * MiB;
  o.min_free = 0;
  EXPECT_EQ(assess(89 * MiB, 0, 0, o), Pressure::none);
  EXPECT_EQ(assess(91 * MiB, 0, 0, o), Pressure::memory);
  EXPECT_EQ(assess(85 * MiB, 0, 0, o, Pressure::memory), Pressure::memory);
  EXPECT_EQ(assess(85 * MiB, 0, 0, o, Pressure::none), Pressure::none);
  EXPECT_EQ(assess(79 * MiB, 0, 0, o, Pressure::memory), Pressure::none);
  o.mem_limit = 0; // none: RSS alone never is pressure
  EXPECT_EQ(assess(1000 * MiB, 0, 0, o), Pressure::none);
}

TEST(Policy, HostFreeMemoryBelowMinFreeRelievedAt125Percent) {
  MonitorOptions o;
  o.min_free = 64 * MiB;
  EXPECT_EQ(assess(0, 65 * MiB, 0, o), Pressure::none);
  EXPECT_EQ(assess(0, 63 * MiB, 0, o), Pressure::memory);
  EXPECT_EQ(assess(0, 70 * MiB, 0, o, Pressure::memory), Pressure::memory);
  EXPECT_EQ(assess(0, 80 * MiB, 0, o, Pressure::memory), Pressure::none);
  o.min_free = 0;
  EXPECT_EQ(assess(0, 0, 0, o), Pressure::none);
}

TEST(Policy, CpuOnlyWhenEnabledAndMemoryFirst) {
  MonitorOptions o;
  o.min_free = 0;
  EXPECT_EQ(assess(0, 0, 1.0, o), Pressure::none); // off by default
  o.cpu_high = 0.5;
  EXPECT_EQ(assess(0, 0, 0.49, o), Pressure::none);
  EXPECT_EQ(assess(0, 0, 0.51, o), Pressure::cpu);
  EXPECT_EQ(assess(0, 0, 0.45, o, Pressure::cpu), Pressure::cpu);
  EXPECT_EQ(assess(0, 0, 0.39, o, Pressure::cpu), Pressure::none);
  o.mem_limit = 10 * MiB;
  EXPECT_EQ(assess(10 * MiB, 0, 0.9, o), Pressure::memory);
}

TEST(Policy, FreeMemoryFallingFastIsPressureAhead) {
  MonitorOptions o;
  o.min_free = 16 * MiB;
  auto falling = [&](std::uint64_t free, double per_s, Pressure previous) {
    ResourceSample s{0, free, 0, 0, per_s};
    return nu::detail::assess(s, o, previous);
  };
  // Within a second at this rate free memory is under 16 MiB.
  EXPECT_EQ(falling(100 * MiB, 150.0 * MiB, Pressure::none), Pressure::memory);
  EXPECT_EQ(falling(100 * MiB, 50.0 * MiB, Pressure::none), Pressure::none);
  // Relieved at 20 MiB plus a second of the fall.
  EXPECT_EQ(falling(30 * MiB, 0, Pressure::memory), Pressure::none);
  EXPECT_EQ(falling(30 * MiB, 20.0 * MiB, Pressure::memory), Pressure::memory);
}

TEST(Policy, FreeTrendIsTheSlowerOfTheLast100MsAndTheLastInterval) {
  using namespace std::chrono_literals;
  nu::detail::FreeTrend trend;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(trend.add(t0, 1000 * MiB), 0.0); // one sample: no rate
  EXPECT_NEAR(trend.add(t0 + 50ms, 995 * MiB), 100.0 * MiB, 1.0);
  EXPECT_NEAR(trend.add(t0 + 100ms, 990 * MiB), 100.0 * MiB, 1.0);
  // Read again after a purge: higher than the oldest sample, not falling.
  EXPECT_EQ(trend.correct(1001 * MiB), 0.0);
  EXPECT_NEAR(trend.correct(990 * MiB), 100.0 * MiB, 1.0);
  // The fall stopped: the last interval says so at once.
  EXPECT_EQ(trend.add(t0 + 150ms, 990 * MiB), 0.0);
  // It falls faster again: the window's average is the slower.
  EXPECT_NEAR(trend.add(t0 + 200ms, 980 * MiB), 10.0 * MiB / 0.1, 1.0);
  // The samples of t0 to t0 + 100 ms are too old now: 990 -> 970.
  EXPECT_NEAR(trend.add(t0 + 250ms, 970 * MiB), 20.0 * MiB / 0.1, 1.0);
}

TEST(Policy, APaceKeepsUpWithTheFallUntilTheNextSample) {
  using namespace std::chrono_literals;
  MonitorOptions o;
  o.min_free = 16 * MiB;
  ResourceSample s{0, 100 * MiB, 0, 0, 200.0 * MiB};
  EXPECT_EQ(nu::detail::pace_bytes(s, o, 100ms), 20 * MiB);
  EXPECT_EQ(nu::detail::pace_bytes(s, o, 50ms), 10 * MiB);
  s.free_falling = 0;
  EXPECT_EQ(nu::detail::pace_bytes(s, o, 100ms), 0u);
  s.free_falling = 200.0 * MiB;
  o.min_free = 0; // only a limit: its level, one move a sample
  EXPECT_EQ(nu::detail::pace_bytes(s, o, 100ms), 0u);
}

TEST(Policy, TheSamplerTellsThisProcesssCpuFromOthers) {
  auto sample = nu::detail::proc_sampler();
  auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  volatile std::uint64_t spins = 0;
  while (std::chrono::steady_clock::now() < until)
    spins = spins + 1; // one thread busy: its share of the allowed CPUs
  ResourceSample s = sample();
  double cpus = static_cast<double>(nu::detail::allowed_cpus().size());
  EXPECT_GT(s.cpu_own, 0.25 / cpus); // less if the test machine is busy
  EXPECT_LE(s.cpu_own, s.cpu);
  EXPECT_LE(s.cpu, 1.0);
}

TEST(Policy, CpuPressureIsOtherProcessesWork) {
  MonitorOptions o;
  o.min_free = 0;
  o.cpu_high = 0.9;
  auto with_own = [&](double cpu, double own, Pressure previous) {
    return nu::detail::assess(ResourceSample{0, 0, cpu, own}, o, previous);
  };
  // The node keeps its CPUs busy itself: moving would not relieve it.
  EXPECT_EQ(with_own(1.0, 0.95, Pressure::none), Pressure::none);
  EXPECT_EQ(with_own(1.0, 0.85, Pressure::none), Pressure::none);
  // An antagonist takes a share of them.
  EXPECT_EQ(with_own(1.0, 0.5, Pressure::none), Pressure::cpu);
  EXPECT_EQ(with_own(0.95, 0.0, Pressure::none), Pressure::cpu);
  // Once its proclets left, the antagonist's own load is not relieved by
  // moves, but still pressure (the monitor backs off: nothing uses it).
  EXPECT_EQ(with_own(1.0, 0.0, Pressure::cpu), Pressure::cpu);
  EXPECT_EQ(with_own(0.7, 0.0, Pressure::cpu), Pressure::none);
}

TEST(Policy, MigrationTimeIsAFixedCostPlusBytesAtABandwidth) {
  double fixed = nu::detail::migration_time_ns(0);
  EXPECT_GT(fixed, 0);
  double per_mib = nu::detail::migration_time_ns(MiB) - fixed;
  EXPECT_GT(per_mib, 0);
  EXPECT_DOUBLE_EQ(nu::detail::migration_time_ns(10 * MiB),
                   fixed + 10 * per_mib);
}

TEST(Policy, RankByUsePerMigrationTime) {
  // Memory: use is the size, so the biggest comes first.
  EXPECT_EQ(ids(nu::detail::rank(
                {{1, MiB, MiB}, {2, 8 * MiB, 8 * MiB}, {3, 64, 64}})),
            (std::vector<nu::ProcletId>{2, 1, 3}));
  // CPU: the same use, a smaller state is cheaper to move.
  EXPECT_EQ(ids(nu::detail::rank({{1, 64 * MiB, 1000}, {2, 64, 1000}})),
            (std::vector<nu::ProcletId>{2, 1}));
  // More use can outweigh a bigger state; none is left out; ties by id.
  EXPECT_EQ(ids(nu::detail::rank(
                {{5, 64, 0}, {4, MiB, 100'000'000}, {3, 64, 10}, {2, 64, 10}})),
            (std::vector<nu::ProcletId>{4, 2, 3}));
  EXPECT_TRUE(nu::detail::rank({}).empty());
}

TEST(Policy, ABatchIsPlacedForItsStatesUntilTheirUseReachesThePace) {
  std::vector<Candidate> ranked{
      {1, 3 * MiB, 4 * MiB}, {2, 2 * MiB, 2 * MiB}, {3, MiB, MiB}};
  // No pace (CPU pressure, or one move a sample): the first alone.
  EXPECT_EQ(nu::detail::batch_bytes(ranked, 0), 3 * MiB);
  EXPECT_EQ(nu::detail::batch_bytes(ranked, 4 * MiB), 3 * MiB);
  EXPECT_EQ(nu::detail::batch_bytes(ranked, 4 * MiB + 1), 5 * MiB);
  EXPECT_EQ(nu::detail::batch_bytes(ranked, 6 * MiB), 5 * MiB);
  EXPECT_EQ(nu::detail::batch_bytes(ranked, 100 * MiB), 6 * MiB);
  EXPECT_EQ(nu::detail::batch_bytes(std::span(ranked).subspan(2), 0), MiB);
}

TEST(Policy, CandidatesUseTheirHeapOrSizeOrCpuSinceTheLastSample) {
  // Proclet 1 shares the node's heap: charged its state's size; proclet 2
  // is charged what its own heap holds.
  std::vector<nu::detail::Node::ProcletUsage> usage{{1, 100, 0, 5000},
                                                    {2, 200, 4096, 700}};
  std::unordered_map<nu::ProcletId, std::uint64_t> before{{1, 4000}, {2, 700}};
  auto memory = nu::detail::candidates(usage, Pressure::memory, before);
  ASSERT_EQ(memory.size(), 2u);
  EXPECT_EQ(memory[0].use, 100u);
  EXPECT_EQ(memory[1].use, 4096u);
  auto cpu = nu::detail::candidates(usage, Pressure::cpu, before);
  EXPECT_EQ(cpu[0].use, 1000u);
  EXPECT_EQ(cpu[1].use, 0u);
  EXPECT_EQ(cpu[1].bytes, 200u);
  auto newcomer = nu::detail::candidates(usage, Pressure::cpu, {});
  EXPECT_EQ(newcomer[1].use, 700u);
}

TEST(Policy, HeartbeatFreeMemoryIsCappedByTheLimit) {
  EXPECT_EQ(nu::detail::machine_load(1).free_memory, 0u);
  std::uint64_t limit = nu::detail::process_rss() + 32 * MiB;
  EXPECT_LE(nu::detail::machine_load(limit).free_memory, 48 * MiB);
  EXPECT_GT(nu::detail::process_rss(), 0u);
  EXPECT_GT(nu::detail::process_cpu_ns(), 0u);
}

class MonitorTest : public ControlledCluster {
protected:
  MonitorTest() {
    EXPECT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  }
  nu::detail::NodeScope scope_{&node(0)};

  template <class T> nu::Proclet<T> on(nu::NodeId where) {
    return nu::make_proclet<T>(nu::ProcletOptions{.node = where});
  }
  /// The free memory the controller last heard of from node \p id.
  std::uint64_t reported_free(nu::NodeId id) {
    std::vector<nu::controller::NodeLoad> loads;
    service_->core().nodes().live_loads(loads);
    for (const auto &l : loads)
      if (l.id == id)
        return l.load.free_memory;
    return 0;
  }
  static MonitorOptions options(std::chrono::milliseconds period) {
    MonitorOptions o;
    o.period = period;
    o.min_free = 0;
    return o;
  }
};

TEST_F(MonitorTest, AsyncLocalCallsAreChargedToTheirProclet) {
  auto async = on<Counter>(1), inline_ = on<Counter>(1);
  async.RunAsync(&Counter::Sleep, 30).get();
  inline_.Run(&Counter::Sleep, 30); // the fastpath, not timed
  std::map<nu::ProcletId, std::uint64_t> cpu;
  for (const auto &u : node(0).movable_proclets())
    cpu[u.id] = u.cpu_ns;
  EXPECT_GE(cpu.at(async.id()), 25'000'000u);
  EXPECT_EQ(cpu.at(inline_.id()), 0u);
}

TEST_F(MonitorTest, MovesProcletsAwayUntilMemoryPressureIsGone) {
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < 10; ++i) {
    counters.push_back(on<Counter>(2));
    counters.back().Run(&Counter::Add, i);
  }
  MonitorOptions o = options(10ms);
  o.mem_limit = 10 * MiB; // 1 MiB per proclet: above 9, below 8 is fine
  o.sample = [&] {
    return ResourceSample{node(1).proclet_count() * MiB, 0, 0};
  };
  Monitor monitor(node(1), o);
  EXPECT_TRUE(eventually([&] { return node(1).proclet_count() == 7; }))
      << node(1).proclet_count();
  std::this_thread::sleep_for(200ms); // and no further
  EXPECT_EQ(node(1).proclet_count(), 7u);
  EXPECT_EQ(monitor.moves(), 3u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(counters[i].Run(&Counter::Get), i);
}

TEST_F(MonitorTest, MovesKeepPaceWithFreeMemoryFallingFast) {
  // 60 proclets of a unit in 80 units of memory; another process takes 3
  // units a read of the memory (two reads a sample under pressure) up to
  // 36: one move a sample would run out at the 7th.
  constexpr std::uint64_t unit = 256 << 10;
  std::vector<nu::Proclet<Blob>> blobs;
  for (int i = 0; i < 60; ++i) {
    blobs.push_back(on<Blob>(2));
    blobs.back().Run(&Blob::Fill, unit, std::uint8_t{1});
  }
  std::atomic<std::int64_t> least_free{80};
  std::int64_t taken = 0;
  MonitorOptions o = options(20ms);
  o.min_free = 4 * unit; // relieved at 5: 21 must go
  o.sample = [&] {
    taken = std::min<std::int64_t>(taken + 3, 36);
    auto rss = static_cast<std::int64_t>(node(1).proclet_count());
    std::int64_t free = 80 - taken - rss;
    least_free = std::min<std::int64_t>(least_free, free);
    auto bytes = [&](std::int64_t n) {
      return static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0)) * unit;
    };
    return ResourceSample{bytes(rss), bytes(free), 0};
  };
  Monitor monitor(node(1), o);
  EXPECT_TRUE(eventually([&] { return node(1).proclet_count() <= 39; }))
      << node(1).proclet_count();
  std::this_thread::sleep_for(300ms); // the fall stopped: so do the moves
  monitor.stop();
  EXPECT_GT(least_free.load(), 0) << "moves fell behind";
  // At the fall's pace, about what it took, not all 60.
  EXPECT_LE(monitor.moves(), 36u + 12u);
  for (auto &b : blobs)
    EXPECT_EQ(b.Run(&Blob::Size), unit);
}

TEST_F(MonitorTest, ABatchNoNodeHasRoomForMovesProcletByProclet) {
  // 12 proclets of 1 MiB; free memory falls 10 MiB a read (two reads a
  // sample), so a batch is 10-20 MiB, but the other nodes have 6 MiB each.
  std::vector<nu::Proclet<Blob>> blobs;
  for (int i = 0; i < 12; ++i) {
    blobs.push_back(on<Blob>(2));
    blobs.back().Run(&Blob::Fill, MiB, std::uint8_t{1});
  }
  auto leave_room = [&] { // RSS grows as they take proclets (and ASan's
    for (int i : {0, 2})  // quarantine), so it is set again each sample
      node(i).set_mem_limit(nu::detail::process_rss() + 6 * MiB);
  };
  leave_room();
  ASSERT_TRUE(eventually([&] {
    return reported_free(1) < 8 * MiB && reported_free(3) < 8 * MiB;
  })) << reported_free(1)
      << " " << reported_free(3);
  MonitorOptions o = options(20ms);
  o.min_free = std::uint64_t{1} << 40; // always short, and always falling
  std::uint64_t taken = 0;
  o.sample = [&] {
    leave_room();
    taken += 10 * MiB;
    std::uint64_t rss = node(1).proclet_count() * MiB;
    return ResourceSample{rss, (std::uint64_t{1} << 39) - taken - rss, 0};
  };
  Monitor monitor(node(1), o);
  EXPECT_TRUE(eventually([&] { return monitor.moves() >= 4; }))
      << monitor.moves() << " moves";
  monitor.stop();
  EXPECT_EQ(node(0).proclet_count() + node(2).proclet_count(), monitor.moves());
  for (auto &b : blobs)
    EXPECT_EQ(b.Run(&Blob::Size), MiB);
}

TEST_F(MonitorTest, ALimitSetWhileRunningTakesEffect) {
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < 10; ++i)
    counters.push_back(on<Counter>(2));
  MonitorOptions o = options(10ms);
  o.sample = [&] {
    return ResourceSample{node(1).proclet_count() * MiB, 0, 0};
  };
  Monitor monitor(node(1), o);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(node(1).proclet_count(), 10u) << "no limit yet";
  {
    nu::detail::NodeScope scope(&node(1));
    nu::set_memory_limit(10 * MiB);
  }
  EXPECT_TRUE(eventually([&] { return node(1).proclet_count() == 7; }))
      << node(1).proclet_count();
  // A move is counted once its migration call has returned.
  EXPECT_TRUE(eventually([&] { return monitor.moves() == 3; }))
      << monitor.moves();
}

TEST_F(MonitorTest, CpuPressureMovesTheBusiestFirst) {
  auto idle1 = on<Counter>(2), busy = on<Counter>(2), idle2 = on<Counter>(2);
  std::atomic<bool> done{false};
  std::thread caller([&] {
    nu::detail::NodeScope scope(&node(0));
    nu::Proclet<Counter> b = busy;
    while (!done)
      b.Run(&Counter::Sleep, 1);
  });
  std::this_thread::sleep_for(50ms);
  MonitorOptions o = options(30ms);
  o.cpu_high = 0.5;
  o.sample = [&] {
    return ResourceSample{0, 0, node(1).migrations() == 0 ? 0.9 : 0.0};
  };
  {
    Monitor monitor(node(1), o);
    EXPECT_TRUE(eventually([&] { return node(1).migrations() > 0; }));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(monitor.moves(), 1u);
  }
  done = true;
  caller.join();
  EXPECT_NE(busy.Run(&Counter::Where), 2u);
  EXPECT_EQ(idle1.Run(&Counter::Where), 2u);
  EXPECT_EQ(idle2.Run(&Counter::Where), 2u);
}

TEST_F(MonitorTest, NothingToMoveWarnsOnceAndBacksOff) {
  auto pinned =
      nu::make_proclet<Counter>(nu::ProcletOptions{.pinned = true, .node = 2});
  std::atomic<int> samples{0};
  MonitorOptions o = options(5ms);
  o.mem_limit = MiB;
  o.sample = [&] {
    ++samples;
    return ResourceSample{100 * MiB, 0, 0};
  };
  testing::internal::CaptureStderr();
  {
    Monitor monitor(node(1), o);
    std::this_thread::sleep_for(300ms);
  }
  std::string err = testing::internal::GetCapturedStderr();
  auto first = err.find("no proclet can move");
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("no proclet can move", first + 1), std::string::npos)
      << err;
  EXPECT_NE(err.find("memory pressure (RSS 100 MiB of --nu-mem-limit 1 MiB"),
            std::string::npos)
      << err;
  EXPECT_LT(samples.load(), 300 / 5 * 2 + 2); // sampled per period, no spin
  EXPECT_EQ(pinned.Run(&Counter::Where), 2u);
}

TEST_F(MonitorTest, ChaosMovesProcletsAndNoCallIsLostOrRepeated) {
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < 8; ++i)
    counters.push_back(on<Counter>(static_cast<nu::NodeId>(1 + i % 3)));
  MonitorOptions o = options(0ms);
  o.chaos = 2ms;
  std::vector<std::unique_ptr<Monitor>> monitors;
  for (int i = 0; i < 3; ++i)
    monitors.push_back(std::make_unique<Monitor>(node(i), o));
  // Each thread makes kCalls calls, and goes on until chaos moved more
  // than kMoves proclets (the moves' count depends on the machine's speed).
  constexpr int kThreads = 4, kCalls = 1600;
  constexpr std::uint64_t kMoves = 10;
  auto moves = [&] {
    return node(0).migrations() + node(1).migrations() + node(2).migrations();
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::vector<std::thread> callers;
  std::vector<std::string> errors(kThreads);
  std::vector<std::vector<int>> added(kThreads,
                                      std::vector<int>(counters.size()));
  for (int t = 0; t < kThreads; ++t)
    callers.emplace_back([&, t] {
      nu::detail::NodeScope scope(&node(t % 3));
      try {
        std::vector<nu::Future<void>> pending;
        for (int i = 0;
             i < kCalls ||
             (moves() <= kMoves && std::chrono::steady_clock::now() < deadline);
             ++i) {
          std::size_t k = (t + i) % counters.size();
          if (i % 2)
            counters[k].Run(&Counter::Add, 1);
          else
            pending.push_back(counters[k].RunAsync(&Counter::Add, 1));
          added[t][k]++;
        }
        for (auto &f : pending)
          f.get();
      } catch (const std::exception &e) {
        errors[t] = e.what();
      }
    });
  for (auto &t : callers)
    t.join();
  monitors.clear();
  for (const std::string &e : errors)
    ASSERT_EQ(e, "") << "a call failed";
  for (std::size_t k = 0; k < counters.size(); ++k) {
    int expected = 0;
    for (const std::vector<int> &by_thread : added)
      expected += by_thread[k];
    EXPECT_EQ(counters[k].Run(&Counter::Get), expected) << k;
  }
  EXPECT_GT(moves(), kMoves);
}

TEST_F(MonitorTest, HeartbeatsReportTheRoomLeftUnderTheLimit) {
  MonitorOptions o = options(0ms);
  o.mem_limit = nu::detail::process_rss() + 32 * MiB;
  Monitor monitor(node(1), o);
  EXPECT_TRUE(eventually([&] {
    auto free = reported_free(node(1).id());
    return free > 0 && free <= 48 * MiB;
  })) << reported_free(node(1).id());
}

} // namespace
} // namespace nutest
