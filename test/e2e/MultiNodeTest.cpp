// End-to-end tests of a logical process made of real processes: the
// controller, three server nodes and a main node running each scenario.
#include "Cluster.hpp"
#include "Scenario.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <thread>

namespace {

using namespace std::chrono_literals;
using nu::e2e::Cluster;
using nu::e2e::ClusterPaths;
using nu::e2e::Process;
using nu::e2e::RunResult;
using nu::e2e::Stream;

const ClusterPaths kPaths{NU_E2E_CONTROLLER, NU_E2E_NUCTL, NU_E2E_APP};
constexpr int kServerNodes = 3;
constexpr auto kScenarioTimeout = 45s;

// A port nothing listens on: bound once by the kernel's choice, then freed.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&addr), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
    throw std::runtime_error("cannot pick a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool has_line(const std::string &text, const std::regex &pattern) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, pattern))
      return true;
  return false;
}

// Polls `nuctl status` until a row matches `row`, up to `limit`.
bool status_shows(Cluster &cluster, const std::regex &row,
                  std::chrono::milliseconds limit) {
  auto deadline = Process::Clock::now() + limit;
  for (;;) {
    RunResult r = cluster.nuctl({"status"});
    if (r.status.exited_with(0) && has_line(r.out, row))
      return true;
    if (Process::Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(200ms);
  }
}

std::regex node_row(std::uint32_t id, const std::string &state) {
  return std::regex("^\\s*" + std::to_string(id) + "\\s+" + state + "\\b");
}

// Numbers the accumulator scenario printed, one per line.
std::vector<std::string> numeric_lines(const Process &p) {
  std::vector<std::string> out;
  for (const std::string &line : p.lines(Stream::out))
    if (std::regex_match(line, std::regex(R"(\d+)")))
      out.push_back(line);
  return out;
}

class MultiNode : public testing::Test {
protected:
  void SetUp() override {
    cluster.start_controller();
    cluster.add_nodes(kServerNodes);
  }

  Process &start_scenario(const std::string &name,
                          std::vector<std::string> nu_flags = {}) {
    return cluster.start_main(
        {"--nodes", std::to_string(kServerNodes + 1), "--scenario", name},
        std::move(nu_flags));
  }

  // The main node exits 0 after printing "OK <name>".
  static void expect_success(Process &main, const std::string &name) {
    nu::e2e::expect_scenario_ok(main, name, kScenarioTimeout);
  }

  void run_scenario(const std::string &name) {
    expect_success(start_scenario(name), name);
  }

  Cluster cluster{kPaths};
};

TEST_F(MultiNode, Accumulator) {
  Process &main = start_scenario("accumulator");
  expect_success(main, "accumulator");
  EXPECT_EQ(numeric_lines(main), (std::vector<std::string>{"10", "15", "25"}));
}

TEST_F(MultiNode, Nested) { run_scenario("nested"); }

TEST_F(MultiNode, Handles) { run_scenario("handles"); }

TEST_F(MultiNode, Async) { run_scenario("async"); }

TEST_F(MultiNode, Exceptions) { run_scenario("exceptions"); }

TEST_F(MultiNode, Lifetime) { run_scenario("lifetime"); }

TEST_F(MultiNode, NuctlListsEveryNode) {
  for (const auto &node : cluster.nodes())
    EXPECT_TRUE(status_shows(cluster, node_row(node.id, "live"), 10s))
        << "node " << node.id << " not listed as live";
  RunResult r = cluster.nuctl({"status"});
  EXPECT_TRUE(r.status.exited_with(0)) << r.status.describe();
  EXPECT_TRUE(has_line(r.out, std::regex("total", std::regex::icase)));
}

TEST_F(MultiNode, KillNodeThenCallFailsFast) {
  Process &main = start_scenario("kill-wait", {"--nu-call-timeout-ms=3000"});
  auto ready = main.wait_for_line(
      Stream::out, std::regex(R"(^READY-TO-KILL (\d+)$)"), kScenarioTimeout);
  ASSERT_TRUE(ready) << "no READY-TO-KILL line";
  auto victim = static_cast<std::uint32_t>(std::stoul((*ready)[1]));
  cluster.kill_node(victim);
  ASSERT_TRUE(main.write_stdin("go\n"));
  auto elapsed = main.wait_for_line(
      Stream::out, std::regex(R"(^elapsed-ms (\d+)$)"), kScenarioTimeout);
  ASSERT_TRUE(elapsed) << "no elapsed-ms line";
  EXPECT_LT(std::stol((*elapsed)[1]), 3000);
  EXPECT_TRUE(status_shows(cluster, node_row(victim, "dead"), 10s))
      << "nuctl does not list node " << victim << " as dead";
  expect_success(main, "kill-wait");
}

TEST_F(MultiNode, ControllerRestart) {
  Process &main = start_scenario("controller-restart");
  ASSERT_TRUE(main.wait_for_line(Stream::out, std::regex("^READY-RESTART$"),
                                 kScenarioTimeout));
  cluster.kill_controller();
  ASSERT_TRUE(main.write_stdin("go\n"));
  ASSERT_TRUE(main.wait_for_line(
      Stream::out, std::regex("^CALLS-OK-WHILE-DOWN$"), kScenarioTimeout));
  cluster.restart_controller();
  ASSERT_TRUE(main.write_stdin("go\n"));
  expect_success(main, "controller-restart");
  RunResult r = cluster.nuctl({"status"});
  EXPECT_TRUE(r.status.exited_with(0)) << r.status.describe() << "\n" << r.err;
}

// Both spellings of the flags; every server node exits 0 after main.
TEST_F(MultiNode, ServerNodesExitAfterMain) {
  std::vector<std::string> transport;
  if (!cluster.transport.empty())
    transport.push_back("--nu-transport=" + cluster.transport);
  std::vector<std::string> join{"--nu-join=" + cluster.address()};
  join.insert(join.end(), transport.begin(), transport.end());
  Process extra(kPaths.app, join, "node4");
  ASSERT_TRUE(extra.wait_for_line(
      Stream::err, std::regex(R"(nu: node \d+ serving at \S+)"), 15s));
  std::vector<std::string> args{"--nu-controller=" + cluster.address(),
                                "--nodes", std::to_string(kServerNodes + 2),
                                "--scenario", "accumulator"};
  args.insert(args.end(), transport.begin(), transport.end());
  Process main(kPaths.app, args, "main");
  expect_success(main, "accumulator");
  for (auto &node : cluster.nodes()) {
    auto status = node.process->wait(10s);
    ASSERT_TRUE(status) << node.process->label() << " still running";
    EXPECT_TRUE(status->exited_with(0)) << status->describe();
  }
  auto status = extra.wait(10s);
  ASSERT_TRUE(status) << "node4 still running";
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
}

TEST_F(MultiNode, SigtermStopsANodeAndTheController) {
  Process &node = *cluster.nodes()[0].process;
  node.kill(SIGTERM);
  auto status = node.wait(10s);
  ASSERT_TRUE(status) << "node still running 10 s after SIGTERM";
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
  cluster.controller().kill(SIGTERM);
  EXPECT_TRUE(cluster.controller().wait(10s))
      << "controller still running 10 s after SIGTERM";
}

TEST(Controller, BadFlagExitsWithTwo) {
  RunResult r =
      Cluster::run(kPaths.controller, {"--no-such-flag"}, "controller", 10s);
  EXPECT_TRUE(r.status.exited_with(2)) << r.status.describe();
}

TEST(Nuctl, UnreachableControllerExitsWithOne) {
  std::string address = "127.0.0.1:" + std::to_string(closed_port());
  RunResult r = Cluster::run(kPaths.nuctl, {"--controller", address, "status"},
                             "nuctl", 20s);
  EXPECT_TRUE(r.status.exited_with(1)) << r.status.describe();
  EXPECT_FALSE(r.err.empty());
}

TEST(App, UnreachableControllerFailsWithAMessage) {
  std::string address = "127.0.0.1:" + std::to_string(closed_port());
  auto start = Process::Clock::now();
  RunResult r = Cluster::run(
      kPaths.app,
      {"--nu-controller", address, "--nodes", "1", "--scenario", "accumulator"},
      "main", 15s);
  EXPECT_LT(Process::Clock::now() - start, 10s);
  EXPECT_FALSE(r.status.exited_with(0)) << r.status.describe();
  EXPECT_TRUE(r.status.exited()) << r.status.describe(); // no crash
  EXPECT_TRUE(
      has_line(r.err, std::regex("controller|" + address, std::regex::icase)))
      << "stderr:\n"
      << r.err;
}

TEST(App, NodeOfADifferentBinaryIsRefused) {
  Cluster cluster(kPaths);
  cluster.start_controller();
  cluster.add_node();
  RunResult r = Cluster::run(NU_E2E_OTHER_APP, {"--nu-join", cluster.address()},
                             "other", 15s);
  EXPECT_FALSE(r.status.exited_with(0)) << r.status.describe();
  EXPECT_TRUE(r.status.exited()) << r.status.describe(); // no crash
  EXPECT_TRUE(has_line(r.err, std::regex("binary", std::regex::icase)))
      << "stderr:\n"
      << r.err;
  EXPECT_TRUE(cluster.nodes()[0].process->running());
}

TEST(App, UnknownNuFlagListsTheValidOnes) {
  for (const char *flag : {"--nu-bogus", "--nu-bogus=1"}) {
    RunResult r = Cluster::run(kPaths.app, {flag}, "app", 10s);
    EXPECT_TRUE(r.status.exited_with(2)) << flag << ": " << r.status.describe();
    for (const char *valid :
         {"--nu-join", "--nu-controller", "--nu-call-timeout-ms"})
      EXPECT_NE(r.err.find(valid), std::string::npos)
          << flag << ": stderr does not list " << valid << ":\n"
          << r.err;
  }
}

} // namespace
