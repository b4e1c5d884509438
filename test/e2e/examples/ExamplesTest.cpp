// The k-means and social-network examples run as a user would: in one
// process, and as a logical process of three (controller, two server nodes,
// the main node) with default placement, also under chaos migration.
#include "Cluster.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>

namespace {

using namespace std::chrono_literals;
using nu::e2e::Cluster;
using nu::e2e::ClusterPaths;
using nu::e2e::Process;
using nu::e2e::RunResult;
using nu::e2e::Stream;

constexpr auto kTimeout = 60s;

// The first line of `text` that matches `pattern`, or "".
std::string line_matching(const std::string &text, const std::string &pattern) {
  std::smatch m;
  std::regex re(pattern);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, re))
      return line;
  return "";
}

int count_lines(const std::string &text, const std::string &part) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    n += line.find(part) != std::string::npos;
  return n;
}

// How many nodes a "... per node: 1:3 2:3 3:2" line names.
int nodes_used(const std::string &line) {
  std::regex entry(R"( \d+:\d+)");
  return static_cast<int>(
      std::distance(std::sregex_iterator(line.begin(), line.end(), entry),
                    std::sregex_iterator()));
}

class Example : public testing::TestWithParam<const char *> {
protected:
  std::string app() const {
    return std::string(GetParam()) == "kmeans" ? NU_E2E_KMEANS : NU_E2E_SOCIAL;
  }

  RunResult run_alone(std::vector<std::string> args) {
    return Cluster::run(app(), std::move(args), GetParam(), kTimeout);
  }

  // Runs the example as a main node with two server nodes; each node gets
  // `nu_flags`. Returns the main node's output once it exited 0, and counts
  // the migrations every node logged.
  std::string run_three(std::vector<std::string> args,
                        std::vector<std::string> nu_flags = {},
                        int *migrations = nullptr) {
    Cluster cluster(ClusterPaths{NU_E2E_CONTROLLER, NU_E2E_NUCTL, app()});
    // Server nodes learn of later members by heartbeat; chaos moves proclets
    // only to the members a node knows.
    cluster.controller_flags = {"--heartbeat-ms", "50"};
    cluster.start_controller();
    cluster.add_node(nu_flags);
    cluster.add_node(nu_flags);
    Process &main = cluster.start_main(std::move(args), nu_flags);
    auto status = main.wait(kTimeout);
    EXPECT_TRUE(status && status->exited_with(0))
        << (status ? status->describe() : "still running") << "\n"
        << main.text(Stream::err);
    if (migrations) {
      *migrations = count_lines(main.text(Stream::err), "migrated proclet");
      for (auto &node : cluster.nodes()) {
        node.process->kill(SIGTERM);
        node.process->wait(kTimeout);
        *migrations +=
            count_lines(node.process->text(Stream::err), "migrated proclet");
      }
    }
    return main.text(Stream::out);
  }
};

TEST_P(Example, BadFlagsAreRefusedWithUsage) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--seed", "x"}, {"--bogus", "1"}, {"--seed"}}) {
    RunResult r = run_alone(args);
    EXPECT_TRUE(r.status.exited_with(2)) << r.status.describe();
    EXPECT_NE(r.err.find("usage: " + std::string(GetParam())),
              std::string::npos)
        << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, Example,
                         testing::Values("kmeans", "social"));

using Kmeans = Example;

// The same points and steps give the same result bit for bit wherever the
// partitions run, and however often they move meanwhile.
TEST_P(Kmeans, SameResultInOneAndThreeProcessesAndUnderChaos) {
  const std::vector<std::string> args{
      "--points", "60000", "--partitions", "9", "--iterations", "150"};
  RunResult alone = run_alone(args);
  ASSERT_TRUE(alone.status.exited_with(0)) << alone.err;
  std::string result = line_matching(alone.out, "^result inertia ");
  ASSERT_FALSE(result.empty()) << alone.out;

  std::string three = run_three(args);
  EXPECT_EQ(line_matching(three, "^result inertia "), result) << three;
  EXPECT_EQ(nodes_used(line_matching(three, "^partitions per node:")), 3)
      << three;

  int moved = 0;
  std::string chaos = run_three(
      args, {"--nu-chaos-migrate-ms", "2", "--nu-log-level", "info"}, &moved);
  EXPECT_EQ(line_matching(chaos, "^result inertia "), result) << chaos;
  EXPECT_GE(moved, 10);
}

INSTANTIATE_TEST_SUITE_P(Examples, Kmeans, testing::Values("kmeans"));

using Social = Example;

// Every timeline holds exactly what the posts put there; an unknown user
// reaches main as the program's own exception type.
TEST_P(Social, TimelinesAreRightInThreeProcessesAndUnderChaos) {
  std::string three = run_three({"--users", "1500", "--posts", "3000"});
  EXPECT_NE(three.find("timelines checked: 1500, wrong: 0"), std::string::npos)
      << three;
  EXPECT_NE(three.find("unknown user: no user"), std::string::npos) << three;
  EXPECT_EQ(nodes_used(line_matching(three, "^shards per node:")), 3) << three;

  int moved = 0;
  std::string chaos = run_three(
      {"--users", "500", "--posts", "600"},
      {"--nu-chaos-migrate-ms", "10", "--nu-log-level", "info"}, &moved);
  EXPECT_NE(chaos.find("timelines checked: 500, wrong: 0"), std::string::npos)
      << chaos;
  EXPECT_GE(moved, 10);
}

INSTANTIATE_TEST_SUITE_P(Examples, Social, testing::Values("social"));

} // namespace
