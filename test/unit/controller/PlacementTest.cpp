// Placement: explicit nodes, spreading by free memory and CPU, avoiding
// full and dead nodes, and determinism.
#include "Placement.hpp"
#include "TestNodes.hpp"

#include <gtest/gtest.h>

#include <map>

namespace nu::controller {
namespace {

using namespace std::chrono_literals;
using test::at;
using test::hello;
using test::kGiB;

class PlacementTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (int port = 5001; port <= 5003; ++port)
      ids.push_back(*nodes.join(hello(port), at(0)));
  }

  std::map<NodeId, int> place_many(Placement &placement, int count,
                                   std::uint64_t size = 0) {
    std::map<NodeId, int> placed;
    for (int i = 0; i < count; ++i)
      ++placed[*placement.place(
          PlacementRequest{std::nullopt, size, std::nullopt})];
    return placed;
  }

  NodeRegistry nodes;
  std::vector<NodeId> ids;
};

TEST_F(PlacementTest, SpreadsEvenlyOverEqualNodes) {
  Placement placement(nodes);
  auto placed = place_many(placement, 300);
  ASSERT_EQ(placed.size(), 3u);
  for (NodeId id : ids)
    EXPECT_EQ(placed[id], 100);
}

TEST_F(PlacementTest, ConsecutivePlacementsGoRoundRobin) {
  Placement placement(nodes);
  for (int round = 0; round < 3; ++round)
    for (NodeId id : ids)
      EXPECT_EQ(*placement.place({}), id);
}

TEST_F(PlacementTest, ALeaseIsWhatPlacementsInARowWouldGive) {
  Placement leased(nodes), one_by_one(nodes);
  auto lease = leased.place_many({ids[0], 0, 7});
  ASSERT_TRUE(lease);
  ASSERT_EQ(lease->size(), 7u);
  for (NodeId id : *lease)
    EXPECT_EQ(*one_by_one.place({}), id);
  EXPECT_FALSE(leased.place_many({ids[0], 0, 0}));
  EXPECT_FALSE(leased.place_many({ids[0], 0, kMaxLease + 1}));
}

TEST_F(PlacementTest, ALeaseStopsWhereTheNodesAreFull) {
  Placement placement(nodes);
  for (NodeId id : ids)
    ASSERT_TRUE(nodes.heartbeat(id, Load{3 * kGiB, 0, 0}, at(1)));
  auto lease = placement.place_many({ids[0], 2 * kGiB, 10});
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->size(), 3u) << "one 2 GiB proclet fits on each node";
  EXPECT_FALSE(placement.place_many({ids[0], 2 * kGiB, 10}))
      << "none fits any more";
}

TEST_F(PlacementTest, PrefersFreeResources) {
  Placement placement(nodes);
  ASSERT_TRUE(nodes.heartbeat(ids[0], Load{2 * kGiB, 0.9, 0}, at(1)));
  ASSERT_TRUE(nodes.heartbeat(ids[1], Load{8 * kGiB, 0.5, 0}, at(1)));
  ASSERT_TRUE(nodes.heartbeat(ids[2], Load{15 * kGiB, 0.1, 0}, at(1)));
  EXPECT_EQ(*placement.place({}), ids[2]);
  EXPECT_EQ(*placement.place({}), ids[2]);
}

TEST_F(PlacementTest, ReservationsFillNodesBetweenHeartbeats) {
  // Node 3 has 4 GiB more free than the others: 1 GiB proclets go there
  // until it is level with them, then spread over all three.
  Placement placement(nodes);
  for (NodeId id : ids)
    ASSERT_TRUE(nodes.heartbeat(id, Load{8 * kGiB, 0, 0}, at(1)));
  ASSERT_TRUE(nodes.heartbeat(ids[2], Load{12 * kGiB, 0, 0}, at(1)));
  auto placed = place_many(placement, 7, kGiB);
  EXPECT_EQ(placed[ids[2]], 5);
  EXPECT_EQ(placed[ids[0]], 1);
  EXPECT_EQ(placed[ids[1]], 1);
  // A heartbeat replaces the estimate.
  ASSERT_TRUE(nodes.heartbeat(ids[2], Load{12 * kGiB, 0, 0}, at(2)));
  EXPECT_EQ(*placement.place({std::nullopt, kGiB, std::nullopt}), ids[2]);
}

TEST_F(PlacementTest, AvoidsAFullNode) {
  Placement placement(nodes);
  ASSERT_TRUE(nodes.heartbeat(ids[1], Load{0, 0, 0}, at(1)));
  auto placed = place_many(placement, 100);
  EXPECT_EQ(placed.count(ids[1]), 0u);
  EXPECT_EQ(placed[ids[0]] + placed[ids[2]], 100);
}

TEST_F(PlacementTest, AvoidsABusyNode) {
  Placement placement(nodes);
  ASSERT_TRUE(nodes.heartbeat(ids[0], Load{16 * kGiB, 1.0, 0}, at(1)));
  auto placed = place_many(placement, 10);
  EXPECT_EQ(placed.count(ids[0]), 0u);
}

TEST_F(PlacementTest, NeverPicksADeadOrDepartedNode) {
  Placement placement(nodes);
  ASSERT_TRUE(nodes.heartbeat(ids[0], Load{16 * kGiB, 0, 0}, at(10)));
  ASSERT_TRUE(nodes.heartbeat(ids[2], Load{16 * kGiB, 0, 0}, at(10)));
  ASSERT_EQ(nodes.expire(at(10), 5s, 1s), std::vector<NodeId>{ids[1]});
  ASSERT_TRUE(nodes.leave(ids[2]));
  auto placed = place_many(placement, 20);
  EXPECT_EQ(placed.size(), 1u);
  EXPECT_EQ(placed[ids[0]], 20);
}

TEST_F(PlacementTest, HonoursAnExplicitNode) {
  Placement placement(nodes);
  ASSERT_TRUE(nodes.heartbeat(ids[1], Load{0, 1.0, 0}, at(1)));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(*placement.place({ids[1], 0, std::nullopt}), ids[1]);
}

TEST_F(PlacementTest, NeverPicksTheExcludedNode) {
  Placement placement(nodes);
  ASSERT_TRUE(nodes.heartbeat(ids[1], Load{16 * kGiB, 0, 0}, at(1)));
  for (int i = 0; i < 10; ++i)
    EXPECT_NE(*placement.place({std::nullopt, 0, ids[1]}), ids[1]);
  for (NodeId id : {ids[0], ids[2]})
    ASSERT_TRUE(nodes.leave(id));
  auto none = placement.place({std::nullopt, 0, ids[1]});
  EXPECT_EQ(none.failure().code, Errc::no_capacity);
}

TEST_F(PlacementTest, ExplicitNodeErrors) {
  Placement placement(nodes);
  auto unknown = placement.place({NodeId{42}, 0, std::nullopt});
  EXPECT_EQ(unknown.failure().code, Errc::unknown_node);
  EXPECT_EQ(unknown.failure().message,
            "node 42 is not part of this logical process");
  ASSERT_TRUE(nodes.heartbeat(ids[0], Load{kGiB, 0, 0}, at(10)));
  nodes.expire(at(10), 5s, 1s);
  auto dead = placement.place({ids[1], 0, std::nullopt});
  EXPECT_EQ(dead.failure().code, Errc::node_dead);
  EXPECT_EQ(dead.failure().message,
            "node 2 is dead (it missed its heartbeats)");
}

TEST_F(PlacementTest, NoRoomAnywhere) {
  Placement placement(nodes);
  auto too_big = placement.place({std::nullopt, 17 * kGiB, std::nullopt});
  EXPECT_EQ(too_big.failure().code, Errc::no_capacity);
  EXPECT_EQ(too_big.failure().message,
            "no live node has 18253611008 bytes free for a new proclet");
  for (NodeId id : ids)
    ASSERT_TRUE(nodes.leave(id));
  auto none = placement.place({});
  EXPECT_EQ(none.failure().code, Errc::no_live_node);
  EXPECT_EQ(none.failure().message, "no live node to place a proclet on");
}

TEST_F(PlacementTest, IsDeterministic) {
  auto run = [&](NodeRegistry &registry) {
    Placement placement(registry);
    std::vector<NodeId> chosen;
    for (int i = 0; i < 50; ++i)
      chosen.push_back(
          *placement.place({std::nullopt, 100u << 20, std::nullopt}));
    return chosen;
  };
  NodeRegistry other;
  for (int port = 5001; port <= 5003; ++port)
    ASSERT_TRUE(other.join(hello(port), at(0)));
  for (NodeRegistry *registry : {&nodes, &other}) {
    ASSERT_TRUE(registry->heartbeat(1, Load{9 * kGiB, 0.3, 0}, at(1)));
    ASSERT_TRUE(registry->heartbeat(2, Load{10 * kGiB, 0.4, 0}, at(1)));
  }
  EXPECT_EQ(run(nodes), run(other));
}

TEST(PlacementScore, MeanOfFreeMemoryAndIdleCpu) {
  NodeLoad node{1, Capacity{100, 1}, Load{50, 0.5, 0}, 1};
  EXPECT_DOUBLE_EQ(*placement_score(node, 0, 0), 0.5);
  EXPECT_DOUBLE_EQ(*placement_score(node, 10, 20), (0.2 + 0.5) / 2);
  EXPECT_FALSE(placement_score(node, 0, 51));
  EXPECT_FALSE(placement_score(node, 50, 0));
}

} // namespace
} // namespace nu::controller
