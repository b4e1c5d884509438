// LocationMap: update/resolve/remove, epochs that reject stale updates,
// a dead node's entries dropped, and rebuild from nodes' reports.
#include "LocationMap.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace nu::controller {
namespace {

TEST(LocationMap, UpdateThenResolve) {
  LocationMap map;
  EXPECT_TRUE(map.update(42, 1, 1));
  EXPECT_EQ(*map.resolve(42), (Location{1, 1}));
  EXPECT_EQ(map.size(), 1u);
}

TEST(LocationMap, ResolveUnknownIsAnError) {
  LocationMap map;
  auto missing = map.resolve(7);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().code, Errc::unknown_proclet);
  EXPECT_EQ(missing.failure().message, "proclet 7 is not in the location map");
}

TEST(LocationMap, NewerEpochsWinStaleOnesAreIgnored) {
  LocationMap map;
  ASSERT_TRUE(map.update(42, 1, 1));
  EXPECT_TRUE(map.update(42, 2, 2));  // migrated to node 2
  EXPECT_FALSE(map.update(42, 1, 1)); // a late message from before
  EXPECT_FALSE(map.update(42, 3, 2)); // same epoch, other node: stale
  EXPECT_FALSE(map.update(42, 2, 2)); // a duplicate
  EXPECT_EQ(*map.resolve(42), (Location{2, 2}));
  EXPECT_TRUE(map.update(42, 3, 7)); // epochs may jump
  EXPECT_EQ(*map.resolve(42), (Location{3, 7}));
}

TEST(LocationMap, Remove) {
  LocationMap map;
  ASSERT_TRUE(map.update(42, 1, 3));
  EXPECT_EQ(*map.remove(42), (Location{1, 3}));
  EXPECT_FALSE(map.resolve(42));
  EXPECT_EQ(map.remove(42).failure().code, Errc::unknown_proclet);
  EXPECT_EQ(map.size(), 0u);
}

TEST(LocationMap, RemoveFromOnlyTheNodeItNames) {
  LocationMap map;
  ASSERT_TRUE(map.update(42, 1, 3));
  EXPECT_FALSE(map.remove_from(42, 2));
  EXPECT_EQ(*map.resolve(42), (Location{1, 3}));
  ASSERT_TRUE(map.update(42, 2, 4)); // migrated to node 2
  EXPECT_FALSE(map.remove_from(42, 1));
  EXPECT_TRUE(map.remove_from(42, 2));
  EXPECT_FALSE(map.resolve(42));
  EXPECT_FALSE(map.remove_from(42, 2));
  EXPECT_FALSE(map.remove_from(7, 1));
}

TEST(LocationMap, DropNodeRemovesAndReturnsItsProclets) {
  LocationMap map;
  for (ProcletId id = 1; id <= 300; ++id)
    ASSERT_TRUE(map.update(id, static_cast<NodeId>(id % 3 + 1), 1));
  std::vector<ProcletId> dropped = map.drop_node(2);
  ASSERT_EQ(dropped.size(), 100u);
  for (std::size_t i = 0; i < dropped.size(); ++i)
    EXPECT_EQ(dropped[i], 3 * i + 1); // sorted: 1, 4, 7, ...
  EXPECT_EQ(map.size(), 200u);
  EXPECT_FALSE(map.resolve(1));
  EXPECT_EQ(map.resolve(2)->node, 3u);
  EXPECT_TRUE(map.drop_node(2).empty());
}

TEST(LocationMap, ADroppedProcletComesBackOnlyAtANewerEpoch) {
  LocationMap map;
  ASSERT_TRUE(map.update(5, 1, 4));
  ASSERT_TRUE(map.update(6, 1, 2));
  map.drop_node(1);
  EXPECT_FALSE(map.update(5, 2, 3)); // a backup left behind
  EXPECT_FALSE(map.update(5, 2, 4)); // not newer
  EXPECT_TRUE(map.update(5, 3, 5));  // the backup that takes over
  EXPECT_EQ(*map.resolve(5), (Location{3, 5}));
  // The dead node, paused rather than dead, reports the same epoch again.
  std::vector<ProcletReport> reports{{5, 4}, {6, 2}};
  RebuildStats stats = map.rebuild(1, reports);
  EXPECT_EQ(stats.stale, 1u);
  EXPECT_EQ(*map.resolve(5), (Location{3, 5}));
  EXPECT_EQ(*map.resolve(6), (Location{1, 2}));
}

TEST(LocationMap, RebuildFromReports) {
  LocationMap map;
  std::vector<ProcletReport> node1{{1, 1}, {2, 1}, {3, 1}};
  std::vector<ProcletReport> node2{{4, 1}, {5, 1}};
  RebuildStats one = map.rebuild(1, node1);
  EXPECT_EQ(one.applied, 3u);
  EXPECT_EQ(one.stale, 0u);
  RebuildStats two = map.rebuild(2, node2);
  EXPECT_EQ(two.applied, 2u);
  EXPECT_EQ(map.size(), 5u);
  EXPECT_EQ(*map.resolve(4), (Location{2, 1}));
}

TEST(LocationMap, RebuildDuringAMigrationKeepsTheNewerEpoch) {
  // Proclet 9 was moving from node 1 (epoch 4) to node 2 (epoch 5) when
  // the controller restarted: both report it, in either order.
  for (bool source_first : {true, false}) {
    LocationMap map;
    std::vector<ProcletReport> source{{9, 4}};
    std::vector<ProcletReport> destination{{9, 5}};
    if (source_first) {
      map.rebuild(1, source);
      EXPECT_EQ(map.rebuild(2, destination).applied, 1u);
    } else {
      map.rebuild(2, destination);
      EXPECT_EQ(map.rebuild(1, source).stale, 1u);
    }
    EXPECT_EQ(*map.resolve(9), (Location{2, 5}));
  }
}

TEST(LocationMap, RebuildRemovesWhatTheNodeNoLongerReports) {
  LocationMap map;
  ASSERT_TRUE(map.update(1, 1, 1));
  ASSERT_TRUE(map.update(2, 1, 1));
  ASSERT_TRUE(map.update(3, 2, 1));
  std::vector<ProcletReport> now{{2, 1}};
  RebuildStats stats = map.rebuild(1, now);
  EXPECT_EQ(stats.applied, 1u);
  EXPECT_EQ(stats.removed, 1u);
  EXPECT_FALSE(map.resolve(1));
  EXPECT_EQ(*map.resolve(2), (Location{1, 1}));
  EXPECT_EQ(*map.resolve(3), (Location{2, 1}));
}

TEST(LocationMap, ReserveKeepsEntries) {
  LocationMap map;
  ASSERT_TRUE(map.update(1, 1, 1));
  map.reserve(100000);
  EXPECT_EQ(*map.resolve(1), (Location{1, 1}));
}

} // namespace
} // namespace nu::controller
