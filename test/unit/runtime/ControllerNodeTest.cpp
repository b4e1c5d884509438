// Nodes joined through a real controller service (in-memory transport):
// assigned ids, membership, placement, forwarding with cache repair, death.
#include "ControlledCluster.hpp"
#include "ControllerLink.hpp"
#include "TestProclets.hpp"

#include <gtest/gtest.h>

#include <map>

namespace nutest {
namespace {

using namespace std::chrono_literals;
using nu::detail::Node;

TEST_F(ControlledCluster, TheControllerAssignsIdsAndEveryNodeSeesAll) {
  EXPECT_EQ(node(0).id(), 1u);
  EXPECT_EQ(node(1).id(), 2u);
  EXPECT_EQ(node(2).id(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(eventually([&] {
      return node(i).nodes() == std::vector<nu::NodeId>{1, 2, 3};
    })) << "node "
        << i + 1;
}

// A heartbeat that crosses the node's own Leave is answered "has left":
// the node is leaving anyway, so that is no reason to report an error and
// exit (which a clean exit once printed).
TEST_F(ControlledCluster, AHeartbeatAfterLeavingIsNoError) {
  auto *link = node(1).link();
  ASSERT_NE(link, nullptr);
  link->leave();
  link->refresh(); // the controller answers "node 2 has left"
  EXPECT_FALSE(link->wait_exit(200ms));
}

TEST_F(ControlledCluster, ProcletIdsComeFromDisjointRanges) {
  nu::detail::NodeScope scope(&node(0));
  auto a = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1});
  auto b = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
  EXPECT_NE(a.id(), b.id());
  EXPECT_NE(a.id() >> 20, b.id() >> 20); // different grants
}

/// How many of \p count proclets made with default placement (all alive
/// at once) landed on each node.
std::map<nu::NodeId, int> placed(int count) {
  std::vector<nu::Proclet<Counter>> counters;
  std::map<nu::NodeId, int> where;
  for (int i = 0; i < count; ++i) {
    counters.push_back(nu::make_proclet<Counter>());
    ++where[counters.back().Run(&Counter::Where)];
  }
  return where;
}

TEST_F(ControlledCluster, PlacementSpreadsOverTheNodes) {
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  nu::detail::NodeScope scope(&node(0));
  EXPECT_EQ(placed(30).size(), 3u);
}

// Node 1 joined first: before its first heartbeat it has not heard of the
// others, and yet its first proclets spread (the controller's lease names
// them, and node 1 asks who they are).
TEST_F(ControlledCluster, PlacementSpreadsFromTheFirstProclet) {
  nu::detail::NodeScope scope(&node(0));
  auto where = placed(9);
  EXPECT_EQ(where.size(), 3u);
  for (auto [node, count] : where)
    EXPECT_GE(count, 2) << "node " << node;
}

TEST_F(ControlledCluster, ACallToTheWrongNodeIsForwardedAndTheCacheRepaired) {
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  nu::detail::NodeScope scope(&node(0));
  auto counter = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 3}, 5);
  ASSERT_TRUE(eventually(
      [&] { return service_->core().locations().resolve(counter.id()).ok(); }));
  // Make node 1's cached location wrong: it now believes node 2 hosts it.
  const auto &type = nu::detail::proclet_type(typeid(Counter), "Counter");
  nu::detail::Proxy *proxy = node(0).adopt(counter.id(), type.id, 3, 1);
  nu::Proclet<Counter> same(proxy); // releases adopt's reference
  proxy->weight.fetch_sub(1);       // and takes back its made-up weight
  proxy->location.store(2);
  EXPECT_EQ(counter.Run(&Counter::Get), 5); // node 2 forwards it to node 3
  EXPECT_EQ(proxy->location.load(), 3u);    // and the answer repaired it
  EXPECT_EQ(counter.Run(&Counter::Where), 3u);
}

TEST_F(ControlledCluster, CallsToADeadNodeFailWithProcletUnavailable) {
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  nu::detail::NodeScope scope(&node(0));
  auto lost = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 3});
  auto kept = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
  lost.Run(&Counter::Add, 1);
  nodes_[2].reset(); // node 3 goes away without leaving
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 2; }));
  try {
    lost.Run(&Counter::Get);
    ADD_FAILURE() << "no exception";
  } catch (const nu::ProcletUnavailable &e) {
    EXPECT_NE(std::string(e.what()).find("node 3 is dead"), std::string::npos)
        << e.what();
  }
  kept.Run(&Counter::Add, 2);
  EXPECT_EQ(kept.Run(&Counter::Get), 2);
  auto info = service_->core().nodes().find(3);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state, nu::controller::NodeState::dead);
}

TEST_F(ControlledCluster, ANodeOfAnotherBinaryIsRefused) {
  Node::Options o = options();
  // Join under the same binary works; a forged different build id does not.
  nu::controller::ServiceOptions so;
  so.transport = "memory";
  so.transport_options.memory_hub = hub_;
  nu::controller::Service other(so);
  auto other_address = *other.listen("");
  nu::controller::NodeHello forged{"x", {1, 1}, "0000", "0000"};
  ASSERT_TRUE(other.core().nodes().join(forged, {}).ok());
  o.controller = other_address;
  try {
    Node refused(o);
    ADD_FAILURE() << "joined";
  } catch (const nu::Error &e) {
    EXPECT_NE(std::string(e.what()).find("different binary"), std::string::npos)
        << e.what();
  }
}

} // namespace
} // namespace nutest
