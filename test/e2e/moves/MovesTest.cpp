// End-to-end migration across real processes: a controller, three server
// nodes and a main node; proclets moved by code, by nuctl, by a drain.
#include "Cluster.hpp"
#include "Scenario.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace {

using namespace std::chrono_literals;
using nu::e2e::Cluster;
using nu::e2e::ClusterPaths;
using nu::e2e::LineMatch;
using nu::e2e::Process;
using nu::e2e::RunResult;
using nu::e2e::Stream;

const ClusterPaths kPaths{NU_E2E_CONTROLLER, NU_E2E_NUCTL, NU_E2E_MOVES_APP};
constexpr int kServerNodes = 3;
constexpr auto kScenarioTimeout = 60s;

bool has_line(const std::string &text, const std::regex &pattern) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, pattern))
      return true;
  return false;
}

// The proclet count `nuctl status` shows for node `id` in `state`, if it
// lists it so.
std::optional<unsigned long> proclets_on(Cluster &cluster, std::uint32_t id,
                                         const std::string &state = "live") {
  RunResult r = cluster.nuctl({"status"});
  std::smatch m;
  const std::regex row("^\\s*" + std::to_string(id) + "\\s+" + state +
                       R"(\s+\S+\s+[\d.]+ MiB\s+\d+%\s+(\d+)\s+\S+\s*$)");
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (std::regex_match(line, m, row))
      return std::stoul(m[1]);
  return std::nullopt;
}

// The resident memory of process `pid` in KiB, from /proc.
std::optional<long> rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:"))
      return std::stol(line.substr(6));
  return std::nullopt;
}

std::string describe(const RunResult &r) {
  return r.status.describe() + "\nstdout:\n" + r.out + "stderr:\n" + r.err;
}

class Moves : public testing::Test {
protected:
  // Starts the controller and the server nodes, each with `node_flags`.
  void start(std::vector<std::string> node_flags = {}) {
    cluster.start_controller();
    for (int i = 0; i < kServerNodes; ++i)
      cluster.add_node(node_flags);
  }

  Process &start_scenario(const std::string &name,
                          std::vector<std::string> nu_flags = {}) {
    return cluster.start_main(
        {"--nodes", std::to_string(kServerNodes + 1), "--scenario", name},
        std::move(nu_flags));
  }

  // A line of the main node's stdout matching `pattern`; fails if none.
  LineMatch line(const std::string &pattern) {
    auto m = cluster.main().wait_for_line(Stream::out, std::regex(pattern),
                                          kScenarioTimeout);
    if (!m)
      throw std::runtime_error("no line matching '" + pattern + "'");
    return *m;
  }

  void expect_success(const std::string &name) {
    nu::e2e::expect_scenario_ok(cluster.main(), name, kScenarioTimeout);
  }

  // Runs scenario `name` until it prints "READY-<TAG> <node>", then drains
  // that node with nuctl; returns the node and nuctl's run.
  std::pair<std::uint32_t, RunResult> drain_in(const std::string &name,
                                               const std::string &tag) {
    start();
    start_scenario(name);
    LineMatch ready = line("^READY-" + tag + R"( (\d+)$)");
    return {static_cast<std::uint32_t>(std::stoul(ready[1])),
            cluster.nuctl({"drain", ready[1]})};
  }

  // Stops server node `id` with SIGTERM: it leaves and exits 0 within 10 s.
  void stop_node(std::uint32_t id) {
    Process &node = *cluster.node(id).process;
    node.kill(SIGTERM);
    auto status = node.wait(10s);
    ASSERT_TRUE(status) << "node " << id << " still running 10 s after SIGTERM";
    EXPECT_TRUE(status->exited_with(0)) << status->describe();
  }

  // Starts the cluster and scenario "stop"; returns the node hosting its
  // counters.
  std::uint32_t start_stop(std::vector<std::string> node_flags = {}) {
    start(std::move(node_flags));
    start_scenario("stop");
    return static_cast<std::uint32_t>(
        std::stoul(line(R"(^READY-STOP (\d+)$)")[1]));
  }

  // Sends node `id` SIGTERM; true once it says it is moving its proclets.
  bool begin_stop(std::uint32_t id) {
    Process &node = *cluster.node(id).process;
    node.kill(SIGTERM);
    return node.wait_for_line(Stream::err, std::regex("stopping: moving"), 10s)
        .has_value();
  }

  // Scenario "stop" finds `answered` of its 12 counters with their values.
  void expect_answered(const std::string &answered) {
    ASSERT_TRUE(cluster.main().write_stdin("go\n"));
    line("^ANSWERED " + answered + " OF 12$");
    expect_success("stop");
  }

  Cluster cluster{kPaths};
};

TEST_F(Moves, MigrateRepeatedlyWhileThreadsCall) {
  start();
  start_scenario("threads");
  expect_success("threads");
  std::size_t moves = 0;
  for (const std::string &l : cluster.main().lines(Stream::out))
    moves +=
        std::regex_search(l, std::regex(R"(^moved \d+ -> \d+: \d+ bytes)"));
  EXPECT_EQ(moves, 24u);
}

TEST_F(Moves, NuctlMigrateWhileCalled) {
  start();
  start_scenario("nuctl-migrate");
  LineMatch ready = line(R"(^READY-MIGRATE (\d+) (\d+) (\d+)$)");
  RunResult r = cluster.nuctl({"migrate", ready[1], ready[3]});
  EXPECT_TRUE(r.status.exited_with(0)) << describe(r);
  EXPECT_TRUE(
      has_line(r.out, std::regex("^migrated proclet " + ready[1] +
                                 " from node " + ready[2] + " to node " +
                                 ready[3] + R"(: \d+ bytes, paused \d+ us$)")))
      << describe(r);
  line("^SEEN-MOVED " + ready[3] + "$");
  ASSERT_TRUE(cluster.main().write_stdin("go\n"));
  expect_success("nuctl-migrate");
}

// The row `nuctl proclets` prints for proclet `id`, if it lists it: its
// node, type, state bytes and role.
std::optional<std::smatch> listed(const std::string &out,
                                  const std::string &id) {
  static const std::regex row(R"(^(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s*(.*)$)");
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row) && m[1] == id)
      return m;
  }
  return std::nullopt;
}

// A user finds a proclet's id with `nuctl proclets`, moves it with it, and
// sees it on the new node.
TEST_F(Moves, NuctlListsProcletsAndTheirMoves) {
  start();
  start_scenario("nuctl-migrate");
  LineMatch ready = line(R"(^READY-MIGRATE (\d+) (\d+) (\d+)$)");
  const std::string id = ready[1], from = ready[2], to = ready[3];
  RunResult all = cluster.nuctl({"proclets"});
  ASSERT_TRUE(all.status.exited_with(0)) << describe(all);
  auto row = listed(all.out, id);
  ASSERT_TRUE(row) << describe(all);
  EXPECT_EQ((*row)[2], from);
  EXPECT_GT(std::stoull((*row)[4]), 0u) << describe(all);
  EXPECT_TRUE(has_line(all.out, std::regex(R"(\bpinned$)"))) << describe(all);
  RunResult here = cluster.nuctl({"proclets", "--node", from});
  EXPECT_TRUE(listed(here.out, id)) << describe(here);
  RunResult there = cluster.nuctl({"proclets", "--node", to});
  EXPECT_FALSE(listed(there.out, id)) << describe(there);

  const std::uint32_t from_id = std::stoul(from), to_id = std::stoul(to);
  auto before_from = proclets_on(cluster, from_id);
  auto before_to = proclets_on(cluster, to_id);
  ASSERT_TRUE(before_from && before_to);
  RunResult moved = cluster.nuctl({"migrate", id, to});
  EXPECT_TRUE(moved.status.exited_with(0)) << describe(moved);
  // Status counts from registrations, not the next heartbeat (a second
  // away): current once the destination's registration has arrived.
  auto deadline = Process::Clock::now() + 500ms;
  while (proclets_on(cluster, to_id) != *before_to + 1 &&
         Process::Clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(proclets_on(cluster, to_id), *before_to + 1);
  EXPECT_EQ(proclets_on(cluster, from_id), *before_from - 1);
  line("^SEEN-MOVED " + to + "$");
  there = cluster.nuctl({"proclets", "--node", to});
  row = listed(there.out, id);
  ASSERT_TRUE(row) << describe(there);
  EXPECT_EQ((*row)[2], to);
  EXPECT_FALSE(listed(cluster.nuctl({"proclets", "--node", from}).out, id));
  ASSERT_TRUE(cluster.main().write_stdin("go\n"));
  expect_success("nuctl-migrate");
}

TEST_F(Moves, NuctlDrainWhileCalledThenTheNodeLeaves) {
  auto [victim, r] = drain_in("drain", "DRAIN");
  ASSERT_TRUE(r.status.exited_with(0)) << describe(r);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.out, m,
                        std::regex("^drained node " + std::to_string(victim) +
                                   R"(: (\d+) proclets moved\n)")))
      << describe(r);
  EXPECT_GE(std::stoul(m[1]), 15u); // 10 busy and 5 idle counters
  auto deadline = Process::Clock::now() + 10s;
  std::optional<unsigned long> left;
  while ((left = proclets_on(cluster, victim)) != 0u &&
         Process::Clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  EXPECT_EQ(left, 0u) << "proclets on node " << victim << " after the drain";
  stop_node(victim);
  ASSERT_TRUE(cluster.main().write_stdin("go\n"));
  expect_success("drain");
}

// A node that leaves (SIGTERM) answers the calls it relays first: the main
// node's calls to counters drained off it, sent there because main's cache
// still says so, are running elsewhere when it is told to stop.
TEST_F(Moves, ALeavingNodeAnswersTheCallsItRelays) {
  auto [victim, r] = drain_in("leave", "LEAVE");
  ASSERT_TRUE(r.status.exited_with(0)) << describe(r);
  ASSERT_TRUE(cluster.main().write_stdin("go\n"));
  line("^CALLING$");
  std::this_thread::sleep_for(300ms); // the calls reached their counters
  stop_node(victim);
  expect_success("leave");
}

// A node stopped with SIGTERM, never drained by hand, moves its proclets to
// the other nodes before it leaves: each counter it hosted keeps its value.
TEST_F(Moves, SigtermMovesTheNodesProcletsAwayFirst) {
  auto victim = start_stop();
  stop_node(victim);
  EXPECT_TRUE(has_line(
      cluster.node(victim).process->text(Stream::err),
      std::regex(R"(^nu: node \d+ moved 1[2-9] proclets before leaving$)")))
      << cluster.node(victim).process->text(Stream::err);
  expect_answered("12");
}

// With --nu-stop-drain-ms=0 a stopped node leaves at once: what it hosted
// is lost, and calls to it say so.
TEST_F(Moves, SigtermWithoutADrainLeavesAtOnce) {
  auto victim = start_stop({"--nu-stop-drain-ms=0"});
  stop_node(victim);
  EXPECT_FALSE(has_line(cluster.node(victim).process->text(Stream::err),
                        std::regex("stopping: moving")));
  expect_answered("0");
}

// A second SIGTERM cuts the drain short (each move here waits 1 s first):
// the node leaves within a move, and says how many proclets it lost.
TEST_F(Moves, ASecondSigtermCutsTheDrainShort) {
  auto victim = start_stop({"--nu-migrate-delay-ms=1000"});
  Process &node = *cluster.node(victim).process;
  ASSERT_TRUE(begin_stop(victim));
  auto deadline = Process::Clock::now() + 20s; // a move done, and more left
  while (proclets_on(cluster, victim, "leaving").value_or(12) == 12 &&
         Process::Clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  auto cut = Process::Clock::now();
  node.kill(SIGTERM);
  auto status = node.wait(10s);
  ASSERT_TRUE(status) << "still running 10 s after the second SIGTERM";
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
  EXPECT_LT(Process::Clock::now() - cut, 5s);
  std::smatch m;
  const std::string err = node.text(Stream::err);
  ASSERT_TRUE(std::regex_search(
      err, m,
      std::regex(R"(moved (\d+) proclets before leaving; (\d+) could not )"
                 R"(move and are lost \(stopped before they moved\))")))
      << err;
  EXPECT_GE(std::stoul(m[1]), 1u);
  EXPECT_EQ(std::stoul(m[1]) + std::stoul(m[2]), 12u);
  expect_answered(m[1]);
}

// The controller restarts while a stopped node drains (each move waits
// 300 ms first): the node waits for it, tells it again that it is leaving
// once it rejoined, and moves every proclet.
TEST_F(Moves, AControllerRestartDuringADrainLosesNothing) {
  auto victim = start_stop({"--nu-migrate-delay-ms=300"});
  Process &node = *cluster.node(victim).process;
  ASSERT_TRUE(begin_stop(victim));
  cluster.kill_controller();
  std::this_thread::sleep_for(2s); // longer than the drain's patience
  cluster.restart_controller();
  const std::regex leaving("^\\s*" + std::to_string(victim) + "\\s+leaving\\b");
  auto deadline = Process::Clock::now() + 10s;
  while (!has_line(cluster.nuctl({"status"}).out, leaving) &&
         Process::Clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  EXPECT_LT(Process::Clock::now(), deadline)
      << "the restarted controller never listed node " << victim
      << " as leaving";
  auto status = node.wait(30s);
  ASSERT_TRUE(status) << "still running 30 s after the restart";
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
  EXPECT_TRUE(has_line(
      node.text(Stream::err),
      std::regex(R"(^nu: node \d+ moved 12 proclets before leaving$)")))
      << node.text(Stream::err);
  expect_answered("12");
}

// Every server node stopped at once: the others are leaving too, so each
// moves its proclets to the main node, and all exit promptly.
TEST_F(Moves, NodesStoppedTogetherAllLeavePromptly) {
  start_stop();
  auto begun = Process::Clock::now();
  for (auto &n : cluster.nodes())
    n.process->kill(SIGTERM);
  for (auto &n : cluster.nodes()) {
    auto status = n.process->wait(20s);
    ASSERT_TRUE(status) << n.process->label() << " still running";
    EXPECT_TRUE(status->exited_with(0)) << status->describe();
  }
  EXPECT_LT(Process::Clock::now() - begun, 15s);
  expect_answered("12");
}

// The destination's resident memory grows by the whole state's size once
// the first chunk of it arrives: the transfer is then under way.
TEST_F(Moves, DestinationKilledMidTransfer) {
  // The good 320 MiB moves before the kill take ~3 s here, and once took
  // over 15 s beside a parallel build: the timeout leaves them room; the
  // failure must still come well before it, from the lost connection.
  start({"--nu-call-timeout-ms=40000"});
  start_scenario("kill-dest", {"--nu-call-timeout-ms=40000"});
  LineMatch ready = line(R"(^READY-KILL-DEST (\d+)$)");
  auto victim = static_cast<std::uint32_t>(std::stoul(ready[1]));
  const pid_t pid = cluster.node(victim).process->pid();
  const long base = rss_kib(pid).value_or(0);
  ASSERT_TRUE(cluster.main().write_stdin("go\n"));
  auto deadline = Process::Clock::now() + 20s;
  long rss = base;
  while ((rss = rss_kib(pid).value_or(0)) < base + (64 << 10) &&
         Process::Clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  cluster.kill_node(victim);
  ASSERT_GE(rss, base + (64 << 10)) << "no transfer began within 20 s";
  std::cerr << "killed node " << victim << " at " << (rss >> 10)
            << " MiB resident (" << (base >> 10) << " MiB before)\n";
  // Counted from the move's start (the transfer itself took 6 s once on a
  // loaded machine); the call timeout (40 s) is what it must beat.
  LineMatch failed = line(R"(^move failed after (\d+) ms: )");
  EXPECT_LT(std::stol(failed[1]), 20000) << failed.line;
  expect_success("kill-dest");
}

class NuctlRefuses : public Moves {
protected:
  // Runs nuctl; expects exit `code` and, on stderr, "nuctl: " and `what`.
  void expect_refusal(std::vector<std::string> args, int code,
                      const std::string &what) {
    RunResult r = cluster.nuctl(args);
    EXPECT_TRUE(r.status.exited_with(code)) << describe(r);
    EXPECT_TRUE(r.out.empty()) << describe(r);
    EXPECT_TRUE(r.err.starts_with("nuctl: ")) << describe(r);
    EXPECT_TRUE(has_line(r.err, std::regex(what))) << describe(r);
    if (code == 2) {
      EXPECT_TRUE(has_line(r.err, std::regex("^usage: nuctl"))) << describe(r);
    }
  }
};

TEST_F(NuctlRefuses, BadInput) {
  start();
  start_scenario("bad-input");
  LineMatch ready = line(R"(^READY-BAD (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$)");
  const std::string pinned = ready[1], normal = ready[2], doomed = ready[3];
  const std::string home = ready[4], other = ready[5], doomed_home = ready[6];
  expect_refusal({"migrate", "abc", other}, 2, "'abc' is not a proclet id");
  expect_refusal({"migrate", normal, "xyz"}, 2, "'xyz' is not a node id");
  expect_refusal({"migrate", normal}, 2, "migrate takes 2 arguments");
  expect_refusal({"drain"}, 2, "drain takes 1 argument");
  expect_refusal({"drain", "-3"}, 2, "not a node id");
  expect_refusal({"move", normal, other}, 2, "unknown command 'move'");
  expect_refusal({"migrate", "999999999", other}, 1,
                 "^nuctl: there is no proclet 999999999$");
  expect_refusal({"migrate", pinned, other}, 1, "pinned");
  expect_refusal({"migrate", normal, "77"}, 1, "there is no node 77");
  expect_refusal({"migrate", normal, home}, 1, "already on node " + home);
  expect_refusal({"drain", "77"}, 1, "there is no node 77");
  expect_refusal({"proclets", "--node", "abc"}, 2, "'abc' is not a node id");
  expect_refusal({"proclets", home}, 2, "proclets takes 0 arguments");
  expect_refusal({"status", "--node", home}, 2, "--node belongs to proclets");
  expect_refusal({"proclets", "--node", "77"}, 1,
                 "^nuctl: cannot list proclets: there is no node 77$");
  cluster.kill_node(static_cast<std::uint32_t>(std::stoul(doomed_home)));
  // Its node is gone; the controller may not have noticed yet.
  expect_refusal({"migrate", doomed, other}, 1, "node " + doomed_home);
  expect_refusal({"migrate", normal, doomed_home}, 1, "node " + doomed_home);
  // Once the controller has noticed, nuctl says so itself.
  const std::regex dead("^\\s*" + doomed_home + "\\s+dead\\b");
  auto deadline = Process::Clock::now() + 10s;
  while (!has_line(cluster.nuctl({"status"}).out, dead) &&
         Process::Clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  expect_refusal({"migrate", normal, doomed_home}, 1,
                 "^nuctl: cannot migrate proclet " + normal + ": node " +
                     doomed_home + " is dead$");
  expect_refusal({"drain", doomed_home}, 1,
                 "^nuctl: cannot drain: node " + doomed_home + " is dead$");
  expect_refusal({"proclets", "--node", doomed_home}, 1,
                 "^nuctl: cannot list proclets: node " + doomed_home +
                     " is dead$");
  ASSERT_TRUE(cluster.main().write_stdin("go\n"));
  expect_success("bad-input");
}

} // namespace
