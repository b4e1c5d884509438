// IdRanges: ranges are aligned, disjoint and in order; observe() after a
// restart never lets a range overlap one a node already holds.
#include "IdRanges.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace nu::controller {
namespace {

bool overlap(const IdRange &a, const IdRange &b) {
  return a.begin < b.end && b.begin < a.end;
}

TEST(IdRanges, GrantsDisjointRangesStartingAtOne) {
  IdRanges ids;
  IdRange first = *ids.grant();
  EXPECT_EQ(first, (IdRange{1, 1u << 20}));
  EXPECT_FALSE(first.contains(0));
  IdRange second = *ids.grant();
  EXPECT_EQ(second, (IdRange{1u << 20, 2u << 20}));
  EXPECT_EQ(second.size(), IdRanges::kDefaultGrantSize);
  EXPECT_EQ(ids.next_id(), 2u << 20);
}

TEST(IdRanges, ManyGrantsNeverOverlap) {
  IdRanges ids(1000);
  std::vector<IdRange> granted;
  for (int i = 0; i < 200; ++i)
    granted.push_back(*ids.grant());
  for (std::size_t i = 1; i < granted.size(); ++i)
    EXPECT_EQ(granted[i].begin, granted[i - 1].end);
}

TEST(IdRanges, ObserveSkipsTheWholeBlockOfAnId) {
  // Before the restart: node A holds [1, 1000), node B [1000, 2000) and
  // has only used up to 1500.
  IdRanges before(1000);
  IdRange a = *before.grant();
  IdRange b = *before.grant();
  IdRanges after(1000);
  after.observe(5);    // from A
  after.observe(1500); // from B
  IdRange next = *after.grant();
  EXPECT_EQ(next, (IdRange{2000, 3000}));
  EXPECT_FALSE(overlap(next, a));
  EXPECT_FALSE(overlap(next, b));
}

TEST(IdRanges, ObserveNeverMovesBackwards) {
  IdRanges ids(100);
  ids.observe(950);
  ids.observe(10);
  ids.observe(0); // a node that holds nothing
  EXPECT_EQ(ids.grant()->begin, 1000u);
  ids.observe(999); // in a block already passed
  EXPECT_EQ(ids.grant()->begin, 1100u);
}

TEST(IdRanges, ObserveOfZeroChangesNothing) {
  IdRanges ids(100);
  ids.observe(0);
  EXPECT_EQ(*ids.grant(), (IdRange{1, 100}));
}

TEST(IdRanges, ExhaustionIsAnError) {
  IdRanges ids(std::uint64_t{1} << 62);
  EXPECT_TRUE(ids.grant());
  EXPECT_TRUE(ids.grant());
  EXPECT_TRUE(ids.grant());
  auto none = ids.grant();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.failure().code, Errc::ids_exhausted);
  IdRanges observed(1000);
  observed.observe(std::numeric_limits<ProcletId>::max());
  EXPECT_EQ(observed.grant().failure().code, Errc::ids_exhausted);
}

} // namespace
} // namespace nu::controller
