// Migration with real processes: exact counts while every node moves
// proclets at random (counters, a ShardedMap), and a squeezed node shedding
// memory to stay under its limit, moving just enough.
#include "Cluster.hpp"
#include "Scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using nu::e2e::Cluster;
using nu::e2e::ClusterPaths;
using nu::e2e::Process;
using nu::e2e::Stream;

const ClusterPaths kPaths{NU_E2E_CONTROLLER, NU_E2E_NUCTL,
                          NU_E2E_MIGRATION_APP};
constexpr auto kScenarioTimeout = 60s;
const std::regex kMigrated(
    R"(^nu\[migrate\] info: migrated proclet \d+ from node (\d+) to)");
const std::regex
    kPaused(R"(^nu\[migrate\] info: migrated .*, paused (\d+) us$)");

// "migrated" log lines in \p p's stderr, from node \p from (0: any).
int migrations(const Process &p, std::uint32_t from = 0) {
  int n = 0;
  std::smatch m;
  for (const std::string &line : p.lines(Stream::err))
    if (std::regex_search(line, m, kMigrated) &&
        (from == 0 || std::stoul(m[1]) == from))
      ++n;
  return n;
}

// The pauses of the migrations in \p p's stderr, in microseconds.
void add_pauses(const Process &p, std::vector<long> &out) {
  std::smatch m;
  for (const std::string &line : p.lines(Stream::err))
    if (std::regex_search(line, m, kPaused))
      out.push_back(std::stol(m[1]));
}

// Prints the pauses' median and 99th percentile (scripts/soak.sh reads it).
void print_pauses(std::vector<long> pauses) {
  if (pauses.empty())
    return;
  std::sort(pauses.begin(), pauses.end());
  auto at = [&](double q) {
    return pauses[static_cast<std::size_t>(q * (pauses.size() - 1))];
  };
  std::cerr << "chaos pauses: n " << pauses.size() << " p50 " << at(0.5)
            << " us p99 " << at(0.99) << " us\n";
}

// The main node exits 0 after "OK <name>"; the server nodes follow it.
void expect_success(Cluster &cluster, const std::string &name) {
  nu::e2e::expect_scenario_ok(cluster.main(), name, kScenarioTimeout);
  if (testing::Test::HasFatalFailure())
    return;
  for (auto &node : cluster.nodes()) { // all their output is read then
    auto ended = node.process->wait(15s);
    ASSERT_TRUE(ended) << node.process->label() << " still running";
    EXPECT_TRUE(ended->exited_with(0)) << ended->describe();
  }
}

// Runs \p scenario with every node moving a random proclet every 5 ms;
// returns the number of migrations (-1 if the scenario failed).
int run_under_chaos(Cluster &cluster, const std::string &scenario) {
  cluster.start_controller();
  const std::vector<std::string> chaos{"--nu-chaos-migrate-ms=5",
                                       "--nu-log-level=info"};
  cluster.add_node(chaos);
  cluster.add_node(chaos);
  std::vector<std::string> main_flags = chaos; // a lost call fails sooner
  main_flags.push_back("--nu-call-timeout-ms=10000");
  cluster.start_main({"--nodes", "3", "--scenario", scenario}, main_flags);
  expect_success(cluster, scenario);
  if (testing::Test::HasFailure())
    return -1;
  int moved = migrations(cluster.main());
  std::vector<long> pauses;
  add_pauses(cluster.main(), pauses);
  for (auto &node : cluster.nodes()) {
    moved += migrations(*node.process);
    add_pauses(*node.process, pauses);
  }
  print_pauses(std::move(pauses));
  return moved;
}

TEST(Migration, ExactlyOnceUnderChaos) {
  Cluster cluster(kPaths);
  int moved = run_under_chaos(cluster, "chaos");
  if (moved < 0)
    return;
  EXPECT_GE(moved, 50) << "too few migrations during the calls";
  auto calls = cluster.main().wait_for_line(
      Stream::out, std::regex(R"(^calls-ms (\d+)$)"), 0ms);
  ASSERT_TRUE(calls);
  std::cerr << "chaos: " << moved << " migrations, 100000 calls in "
            << (*calls)[1] << " ms\n";
}

TEST(Migration, AShardedMapLosesNoWriteUnderChaos) {
  Cluster cluster(kPaths);
  int moved = run_under_chaos(cluster, "sharded-map");
  if (moved < 0)
    return;
  EXPECT_GE(moved, 20) << "too few shard migrations during the writes";
}

TEST(Migration, ASqueezedNodeShedsProcletsToStayUnderItsLimit) {
  constexpr std::uint64_t kLimit = 64 << 20;
  Cluster cluster(kPaths);
  cluster.start_controller();
  auto &squeezed = cluster.add_node(
      {"--nu-mem-limit=64M", "--nu-monitor-ms=20", "--nu-log-level=info"});
  std::uint32_t id = squeezed.id;
  Process &sq = *squeezed.process; // add_node may move `squeezed`
  cluster.add_node();
  cluster.start_main({"--nodes", "3", "--scenario", "memory", "--squeezed",
                      std::to_string(id), "--limit", std::to_string(kLimit)});
  expect_success(cluster, "memory");
  if (testing::Test::HasFailure())
    return;
  EXPECT_GT(migrations(sq, id), 0) << "the squeezed node moved nothing";
  auto rss = cluster.main().wait_for_line(
      Stream::out, std::regex(R"(^max-rss-mib (\d+) limit-mib 64$)"), 0ms);
  ASSERT_TRUE(rss) << "no max-rss-mib line";
  EXPECT_LT(std::stoul((*rss)[1]), 64u);
}

// The limit drops so that 12 MiB of 32 bags must go. Each bag's small
// strings were allocated in turn with the other bags', but in a heap of its
// own, so moving a bag frees its pages, and the bags moved hold at most
// 1.3x what was needed (with one shared heap, moved bags leave pages partly
// used and more must go).
TEST(Migration, ASqueezedNodeMovesJustEnough) {
  Cluster cluster(kPaths);
  cluster.start_controller();
  auto &squeezed = cluster.add_node(
      {"--nu-monitor-ms=20", "--nu-min-free=0", "--nu-log-level=info"});
  std::uint32_t id = squeezed.id;
  cluster.add_node({"--nu-min-free=0"});
  cluster.start_main({"--nodes", "3", "--scenario", "squeeze", "--squeezed",
                      std::to_string(id)},
                     {"--nu-min-free=0"});
  expect_success(cluster, "squeeze");
  if (testing::Test::HasFailure())
    return;
  auto moved = cluster.main().wait_for_line(
      Stream::out,
      std::regex(R"(^bags-moved (\d+) of 32 moved/needed ([0-9.]+)$)"), 0ms);
  ASSERT_TRUE(moved) << "no bags-moved line";
  EXPECT_GT(std::stoi((*moved)[1]), 0);
  EXPECT_LE(std::stod((*moved)[2]), 1.3) << (*moved)[0];
}

} // namespace
