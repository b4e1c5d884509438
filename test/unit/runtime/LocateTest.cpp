// Published addresses and watched locations (nu/locate.hpp) on a real
// controller and three nodes: what a node learns, and how soon.
#include "ControlledCluster.hpp"
#include "TestProclets.hpp"

#include <nu/locate.hpp>
#include <nu/migrate.hpp>
#include <nu/options.hpp>

#include <gtest/gtest.h>

namespace nutest {
namespace {

using nu::detail::NodeScope;

TEST_F(ControlledCluster, EveryNodeLearnsTheAddressesOthersPublish) {
  {
    NodeScope scope(&node(1));
    nu::publish_address("127.0.0.1:7002");
    EXPECT_EQ(nu::published_address(2), "127.0.0.1:7002"); // at once here
  }
  NodeScope scope(&node(0));
  EXPECT_EQ(nu::published_address(3), "");
  EXPECT_TRUE(eventually([] { return nu::published_address(2) != ""; }));
  EXPECT_EQ(nu::published_address(2), "127.0.0.1:7002");
  EXPECT_EQ(nu::published_address(99), "");
}

TEST_F(ControlledCluster, AnAddressWithASpaceOrTooLongIsRefused) {
  NodeScope scope(&node(0));
  EXPECT_THROW(nu::publish_address("127.0.0.1 7001"), nu::Error);
  EXPECT_THROW(nu::publish_address("a\nb"), nu::Error);
  EXPECT_THROW(nu::publish_address(std::string(257, 'a')), nu::Error);
  EXPECT_NO_THROW(nu::publish_address(std::string(256, 'a')));
  EXPECT_EQ(nu::published_address(1), std::string(256, 'a'));
}

// Node 1 holds a handle to a proclet on node 2 and never calls it; node 2
// moves it to node 3. Unwatched, node 1 still believes node 2; watched, it
// learns node 3 within a heartbeat. The nodes involved know at once.
TEST_F(ControlledCluster, AWatchedLocationFollowsAMoveWithoutACall) {
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  NodeScope scope(&node(0));
  auto watched = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
  auto unwatched = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
  nu::watch_locations(std::vector{watched});
  for (auto *p : {&watched, &unwatched}) {
    ASSERT_EQ(p->location(), 2u);
    NodeScope there(&node(1));
    node(1).migrate(p->id(), 3);
  }
  EXPECT_TRUE(eventually([&] { return watched.location() == 3; }));
  std::this_thread::sleep_for(100ms); // five heartbeats
  EXPECT_EQ(unwatched.location(), 2u);
  EXPECT_EQ(unwatched.Run(&Counter::Where), 3u); // a call repairs it
  EXPECT_EQ(unwatched.location(), 3u);
}

// The controller hears of a move after the two nodes involved: its answer
// never overrides a node that hosts the proclet, nor names that node for a
// proclet it does not host.
TEST_F(ControlledCluster, TheControllerNeverOverridesWhatANodeKnows) {
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  NodeScope scope(&node(0));
  auto here = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1});
  auto gone = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1});
  nu::watch_locations(std::vector{here, gone});
  node(0).migrate(gone.id(), 2);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(here.location(), 1u);
  EXPECT_EQ(gone.location(), 2u);
  EXPECT_EQ(here.Run(&Counter::Where), 1u);
}

// Every node says which backups it holds: a proclet with two backups is
// found on the two nodes that hold them, one without on none.
TEST_F(ControlledCluster, BackupLocationsListTheNodesHoldingBackups) {
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  NodeScope scope(&node(2));
  auto kept = nu::make_proclet<Counter>(
      nu::ProcletOptions{.node = 1, .replicas = 2}, 5);
  auto plain = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1});
  kept.Run(&Counter::Add, 1); // applied by both backups before it returns
  auto where = nu::backup_locations(std::vector{kept, plain});
  ASSERT_EQ(where.size(), 2u);
  EXPECT_EQ(where[0], (std::vector<nu::NodeId>{2, 3}));
  EXPECT_TRUE(where[1].empty());
}

} // namespace
} // namespace nutest
