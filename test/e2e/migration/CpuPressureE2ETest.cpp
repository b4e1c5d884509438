// CPU pressure with real processes confined to CPUs: a busy loop takes the
// CPU of a node with --nu-cpu-high, whose busy proclets then move to the
// node with an idle CPU, never to the one sharing the busy CPU.
#include "Cluster.hpp"
#include "Scenario.hpp"

#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using nu::e2e::Cluster;
using nu::e2e::ClusterPaths;
using nu::e2e::Stream;

const ClusterPaths kPaths{NU_E2E_CONTROLLER, NU_E2E_NUCTL,
                          NU_E2E_MIGRATION_APP};

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set))
        out.push_back(cpu);
  return out;
}

void pin_this_thread(const std::vector<int> &cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus)
    CPU_SET(cpu, &set);
  ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0);
}

// Confines the calling thread, and so the processes it starts, to one CPU
// until destroyed.
class Confined {
public:
  explicit Confined(int cpu) : before_(allowed_cpus()) {
    pin_this_thread({cpu});
  }
  ~Confined() { pin_this_thread(before_); }

private:
  std::vector<int> before_;
};

// A thread that keeps one CPU busy until destroyed: the antagonist.
class BusyLoop {
public:
  explicit BusyLoop(int cpu)
      : thread_([this, cpu] {
          pin_this_thread({cpu});
          while (!stop_.load(std::memory_order_relaxed)) {
          }
        }) {}
  ~BusyLoop() {
    stop_ = true;
    thread_.join();
  }

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Nodes a and b share CPU 0, where the busy loop runs; node c and the main
// node have CPU 1. a's spinners must all go to c or the main node: the
// controller sees how busy each node's own CPUs are, not the host's load.
TEST(CpuPressure, BusyProcletsMoveToTheNodeWithAnIdleCpu) {
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2)
    GTEST_SKIP() << "needs two CPUs";
  Cluster cluster(kPaths);
  cluster.start_controller();
  std::uint32_t squeezed = 0, busy = 0;
  {
    Confined on(cpus[0]);
    squeezed = cluster
                   .add_node({"--nu-cpu-high=0.9", "--nu-monitor-ms=100",
                              "--nu-min-free=0", "--nu-log-level=info"})
                   .id;
    busy = cluster.add_node({"--nu-min-free=0"}).id;
  }
  Confined on(cpus[1]);
  cluster.add_node({"--nu-min-free=0"});
  BusyLoop antagonist(cpus[0]);
  std::this_thread::sleep_for(1500ms); // three heartbeats with it
  const std::string before = cluster.nuctl({"status"}).out;
  cluster.start_main({"--nodes", "4", "--scenario", "cpu", "--squeezed",
                      std::to_string(squeezed), "--busy", std::to_string(busy)},
                     {"--nu-min-free=0"});
  nu::e2e::expect_scenario_ok(cluster.main(), "cpu", 60s);
  if (testing::Test::HasFatalFailure())
    return;
  auto moved = cluster.main().wait_for_line(
      Stream::out,
      std::regex(R"(^spinners-moved (\d+) of (\d+) to-busy (\d+)$)"), 0ms);
  ASSERT_TRUE(moved) << "no spinners-moved line";
  EXPECT_EQ((*moved)[1], (*moved)[2]) << (*moved)[0];
  EXPECT_EQ((*moved)[3], "0")
      << "spinners went to the node whose CPU is busy; before they ran:\n"
      << before;
}

} // namespace
