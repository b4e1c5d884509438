// NodeRegistry: joins (ids, binary checks), heartbeats, leave, expiry and
// re-registration after a controller restart.
#include "NodeRegistry.hpp"
#include "TestNodes.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace nu::controller {
namespace {

using namespace std::chrono_literals;
using test::at;
using test::hello;
using test::kGiB;

TEST(NodeRegistry, JoinHandsOutIdsFromOne) {
  NodeRegistry nodes;
  EXPECT_EQ(*nodes.join(hello(5001), at(0)), 1u);
  EXPECT_EQ(*nodes.join(hello(5002), at(0)), 2u);
  auto live = nodes.live_nodes();
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].address, "127.0.0.1:5001");
  EXPECT_EQ(live[0].load.free_memory, 16 * kGiB);
  EXPECT_EQ(live[1].id, 2u);
}

TEST(NodeRegistry, RefusesADifferentBuildId) {
  NodeRegistry nodes;
  ASSERT_TRUE(nodes.join(hello(5000, "X"), at(0)));
  auto refused = nodes.join(hello(5001, "Y"), at(0));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().code, Errc::binary_mismatch);
  EXPECT_EQ(refused.failure().message, "node at 127.0.0.1:5001 runs a "
                                       "different binary (build id Y, "
                                       "expected X)");
  EXPECT_EQ(nodes.live_count(), 1u);
}

TEST(NodeRegistry, RefusesADifferentSchemaDigest) {
  NodeRegistry nodes;
  ASSERT_TRUE(nodes.join(hello(5000, "b", "s1"), at(0)));
  auto refused = nodes.join(hello(5001, "b", "s2"), at(0));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().message, "node at 127.0.0.1:5001 runs a "
                                       "different binary (schema digest s2, "
                                       "expected s1)");
}

TEST(NodeRegistry, RefusesBadHellos) {
  NodeRegistry nodes;
  NodeHello no_address = hello(1);
  no_address.address.clear();
  EXPECT_EQ(nodes.join(no_address, at(0)).failure().code,
            Errc::invalid_argument);
  NodeHello no_memory = hello(1);
  no_memory.capacity.memory_bytes = 0;
  EXPECT_EQ(nodes.join(no_memory, at(0)).failure().code,
            Errc::invalid_argument);
  // A refused join neither takes an id nor fixes the binary.
  EXPECT_EQ(*nodes.join(hello(1, "other"), at(0)), 1u);
}

TEST(NodeRegistry, HeartbeatRecordsLoad) {
  NodeRegistry nodes;
  NodeId id = *nodes.join(hello(5001), at(0));
  ASSERT_TRUE(nodes.heartbeat(id, Load{kGiB, 0.25, 7}, at(1)));
  NodeInfo info = *nodes.find(id);
  EXPECT_EQ(info.load.free_memory, kGiB);
  EXPECT_DOUBLE_EQ(info.load.cpu_load, 0.25);
  EXPECT_EQ(info.load.proclet_count, 7u);
  EXPECT_EQ(info.last_heartbeat, at(1));
  EXPECT_EQ(info.heartbeats, 1u);
  ASSERT_TRUE(nodes.heartbeat(id, Load{kGiB, 3.0, 7}, at(2)));
  EXPECT_DOUBLE_EQ(nodes.find(id)->load.cpu_load, 1.0);
}

TEST(NodeRegistry, HeartbeatErrors) {
  NodeRegistry nodes;
  auto unknown = nodes.heartbeat(9, Load{}, at(0));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.failure().code, Errc::unknown_node);
  EXPECT_EQ(unknown.failure().message,
            "node 9 is not part of this logical process");
  NodeId id = *nodes.join(hello(5001), at(0));
  EXPECT_EQ(nodes.heartbeat(id, Load{0, std::nan(""), 0}, at(0)).failure().code,
            Errc::invalid_argument);
  ASSERT_EQ(nodes.expire(at(10), 5s, 1s), std::vector<NodeId>{id});
  auto dead = nodes.heartbeat(id, Load{}, at(11));
  EXPECT_EQ(dead.failure().code, Errc::node_dead);
  EXPECT_EQ(dead.failure().message,
            "node 1 is dead (it missed its heartbeats)");
}

TEST(NodeRegistry, LeaveRemovesFromLiveNodes) {
  NodeRegistry nodes;
  NodeId a = *nodes.join(hello(5001), at(0));
  NodeId b = *nodes.join(hello(5002), at(0));
  ASSERT_TRUE(nodes.leave(a));
  EXPECT_TRUE(nodes.leave(a)); // twice is fine
  ASSERT_EQ(nodes.live_nodes().size(), 1u);
  EXPECT_EQ(nodes.live_nodes()[0].id, b);
  EXPECT_EQ(nodes.find(a)->state, NodeState::left);
  EXPECT_EQ(nodes.check_live(a).failure().code, Errc::node_left);
  EXPECT_EQ(nodes.leave(42).failure().code, Errc::unknown_node);
  EXPECT_EQ(nodes.heartbeat(a, Load{}, at(1)).failure().code, Errc::node_left);
  // Ids are never reused.
  EXPECT_EQ(*nodes.join(hello(5001), at(1)), 3u);
}

TEST(NodeRegistry, ALeavingNodeStaysLiveButIsNoPlacementCandidate) {
  NodeRegistry nodes;
  NodeId a = *nodes.join(hello(5001), at(0));
  NodeId b = *nodes.join(hello(5002), at(0));
  ASSERT_TRUE(nodes.mark_leaving(a));
  EXPECT_TRUE(nodes.mark_leaving(a)); // twice is fine
  EXPECT_TRUE(nodes.check_live(a));
  EXPECT_TRUE(nodes.find(a)->leaving);
  EXPECT_EQ(nodes.check_placeable(a).failure().code, Errc::node_left);
  EXPECT_TRUE(nodes.check_placeable(b));
  std::vector<NodeLoad> loads;
  nodes.live_loads(loads);
  ASSERT_EQ(loads.size(), 1u);
  EXPECT_EQ(loads[0].id, b);
  EXPECT_EQ(nodes.live_count(), 2u);
  EXPECT_EQ(nodes.mark_leaving(42).failure().code, Errc::unknown_node);
  ASSERT_TRUE(nodes.leave(a));
  EXPECT_EQ(nodes.mark_leaving(a).failure().code, Errc::node_left);
}

TEST(NodeRegistry, ANodeWhoseConnectionClosedIsDeadUnlessItComesBack) {
  NodeRegistry nodes;
  NodeId a = *nodes.join(hello(5001), at(0));
  NodeId b = *nodes.join(hello(5002), at(0));
  nodes.connection(a, at(1)); // its process died
  nodes.connection(b, at(1)); // a blip: it reconnects at its next beat
  nodes.connection(b, std::nullopt);
  EXPECT_TRUE(nodes.expire(at(2), 5s, 1s).empty()); // exactly: not yet
  EXPECT_EQ(nodes.expire(at(3), 5s, 1s), std::vector<NodeId>{a});
  EXPECT_EQ(nodes.find(b)->state, NodeState::live);
}

TEST(NodeRegistry, ExpireMarksSilentNodesDead) {
  NodeRegistry nodes;
  NodeId a = *nodes.join(hello(5001), at(0));
  NodeId b = *nodes.join(hello(5002), at(0));
  NodeId c = *nodes.join(hello(5003), at(0));
  ASSERT_TRUE(nodes.heartbeat(b, Load{kGiB, 0, 0}, at(4)));
  EXPECT_TRUE(
      nodes.expire(at(5), 5s, 1s).empty()); // exactly the timeout: alive
  EXPECT_EQ(nodes.expire(at(6), 5s, 1s), (std::vector<NodeId>{a, c}));
  EXPECT_TRUE(nodes.expire(at(6), 5s, 1s).empty()); // only once
  EXPECT_EQ(nodes.live_count(), 1u);
  EXPECT_EQ(nodes.find(a)->state, NodeState::dead);
  EXPECT_EQ(nodes.all_nodes().size(), 3u);
  EXPECT_EQ(nodes.leave(a).failure().code, Errc::node_dead);
}

TEST(NodeRegistry, RejoinKeepsTheOldIdAfterARestart) {
  NodeRegistry restarted;
  EXPECT_EQ(*restarted.rejoin(7, hello(5007), at(0)), 7u);
  EXPECT_EQ(*restarted.rejoin(3, hello(5003), at(0)), 3u);
  // New nodes get ids above every re-registered one.
  EXPECT_EQ(*restarted.join(hello(5008), at(0)), 8u);
  auto live = restarted.live_nodes();
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[0].id, 3u);
  // The first re-registered node fixed the binary.
  EXPECT_EQ(restarted.rejoin(2, hello(5002, "b2"), at(0)).failure().code,
            Errc::binary_mismatch);
}

TEST(NodeRegistry, GraceGivesLiveNodesAFreshTimeout) {
  NodeRegistry nodes;
  NodeId a = *nodes.join(hello(5001), at(0));
  NodeId b = *nodes.join(hello(5002), at(0));
  nodes.expire(at(100), 5s, 1s); // b is dead before the grace
  ASSERT_TRUE(nodes.rejoin(a, hello(5001), at(100)));
  nodes.grace(at(200));
  EXPECT_TRUE(nodes.expire(at(204), 5s, 1s).empty());
  EXPECT_EQ(nodes.find(a)->state, NodeState::live);
  EXPECT_EQ(nodes.find(b)->state, NodeState::dead); // no grace for the dead
  EXPECT_EQ(nodes.expire(at(206), 5s, 1s), std::vector<NodeId>{a});
}

TEST(NodeRegistry, RejoinErrors) {
  NodeRegistry nodes;
  NodeId a = *nodes.join(hello(5001), at(0));
  EXPECT_EQ(*nodes.rejoin(a, hello(5001), at(1)), a); // a refresh
  auto taken = nodes.rejoin(a, hello(6000), at(1));
  EXPECT_EQ(taken.failure().code, Errc::id_taken);
  EXPECT_EQ(taken.failure().message,
            "node 1 is already taken by 127.0.0.1:5001, not 127.0.0.1:6000");
  EXPECT_EQ(nodes.rejoin(0, hello(5001), at(1)).failure().code,
            Errc::invalid_argument);
  nodes.expire(at(100), 5s, 1s); // paused, not gone: it may come back
  EXPECT_EQ(nodes.find(a)->state, NodeState::dead);
  EXPECT_EQ(nodes.rejoin(a, hello(6000), at(100)).failure().code,
            Errc::id_taken);
  EXPECT_EQ(*nodes.rejoin(a, hello(5001), at(100)), a);
  EXPECT_EQ(nodes.find(a)->state, NodeState::live);
  NodeId b = *nodes.join(hello(5002), at(100));
  ASSERT_TRUE(nodes.leave(b));
  EXPECT_EQ(nodes.rejoin(b, hello(5002), at(100)).failure().code,
            Errc::node_left);
}

} // namespace
} // namespace nu::controller
