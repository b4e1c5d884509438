// Replicated proclets with real processes: SIGKILL the node hosting them,
// or one holding their backups, while two threads write; no acknowledged
// write is lost and the writers go on.
#include "Cluster.hpp"
#include "Scenario.hpp"

#include <gtest/gtest.h>

#include <csignal>
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
                          NU_E2E_REPLICATION_APP};

// Runs \p scenario on a controller, two server nodes and a main node, and
// SIGKILLs the node the app names once it has written for a while.
void run_with_kill(const std::string &scenario) {
  Cluster cluster(kPaths);
  cluster.controller_flags = {"--heartbeat-ms", "100", "--heartbeat-timeout-ms",
                              "800"};
  cluster.start_controller();
  cluster.add_nodes(2);
  cluster.start_main({"--scenario", scenario},
                     {"--nu-call-timeout-ms=2000", "--nu-log-level=info"});
  auto kill = cluster.main().wait_for_line(Stream::out,
                                           std::regex(R"(^kill (\d+)$)"), 30s);
  ASSERT_TRUE(kill) << cluster.main().text(Stream::err);
  auto victim = static_cast<std::uint32_t>(std::stoul((*kill)[1]));
  cluster.kill_node(victim);
  nu::e2e::expect_scenario_ok(cluster.main(), scenario, 60s);
  auto failed = cluster.main().wait_for_line(
      Stream::out, std::regex(R"(^failed (\d+) slowest-ms (\d+)$)"), 0ms);
  ASSERT_TRUE(failed);
  std::cerr << scenario << ": " << (*failed)[1]
            << " writes failed, the slowest took " << (*failed)[2] << " ms\n";
  EXPECT_EQ((*failed)[1], "0"); // sent again until a backup took over
}

TEST(Replication, PrimaryKilledUnderWritesLosesNothing) {
  run_with_kill("kill-primary");
}

TEST(Replication, BackupKilledUnderWritesFailsNothing) {
  run_with_kill("kill-backup");
}

// Three server nodes killed one after the other, each replaced by a new
// one, while two threads write to counters with two backups each and every
// node moves one of its proclets every 50 ms.
TEST(Replication,
     NodesKilledAndReplacedUnderWritesAndMovesCountEveryWriteOnce) {
  Cluster cluster(kPaths);
  cluster.controller_flags = {"--heartbeat-ms", "100", "--heartbeat-timeout-ms",
                              "800"};
  cluster.start_controller();
  const std::vector<std::string> chaos{"--nu-chaos-migrate-ms=50",
                                       "--nu-log-level=info"};
  for (int i = 0; i < 3; ++i)
    cluster.add_node(chaos);
  std::vector<std::string> main_flags = chaos; // proclets leave it too
  main_flags.push_back("--nu-call-timeout-ms=4000");
  cluster.start_main({"--scenario", "chaos"}, main_flags);
  ASSERT_TRUE(
      cluster.main().wait_for_line(Stream::out, std::regex("^writing$"), 30s));
  int moved = 0;
  auto count_moves = [&moved](const nu::e2e::Process &p) {
    static const std::regex kMigrated("migrated proclet \\d+ from node");
    for (const std::string &line : p.lines(Stream::err))
      moved += std::regex_search(line, kMigrated);
  };
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(1500ms);
    cluster.kill_node(cluster.nodes()[round].id); // the oldest left
    cluster.add_node(chaos);
  }
  nu::e2e::expect_scenario_ok(cluster.main(), "chaos", 60s);
  auto failed = cluster.main().wait_for_line(
      Stream::out, std::regex(R"(^failed (\d+) slowest-ms (\d+)$)"), 0ms);
  ASSERT_TRUE(failed);
  count_moves(cluster.main());
  for (const auto &node : cluster.nodes()) // the killed ones too
    count_moves(*node.process);
  std::cerr << "chaos: " << (*failed)[1] << " writes failed, the slowest took "
            << (*failed)[2] << " ms, " << moved << " migrations\n";
  EXPECT_EQ((*failed)[1], "0");
  EXPECT_GE(moved, 20) << "too few migrations during the writes";
}

} // namespace
