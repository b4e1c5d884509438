// Key slots as Redis Cluster computes them, and the shards' slot ranges.
#include "Slots.hpp"

#include <gtest/gtest.h>

namespace kv {
namespace {

TEST(Slots, Crc16IsXmodem) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
}

// Values redis-server answers to CLUSTER KEYSLOT.
TEST(Slots, KeySlotsMatchRedis) {
  EXPECT_EQ(key_slot("foo"), 12182u);
  EXPECT_EQ(key_slot("bar"), 5061u);
  EXPECT_EQ(key_slot("somekey"), 11058u);
  EXPECT_EQ(key_slot("hello"), 866u);
}

TEST(Slots, HashTagsAsRedisReadsThem) {
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("{user1000}.followers"), key_slot("user1000"));
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % kSlots); // empty
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  EXPECT_EQ(key_slot("foo{bar"), crc16("foo{bar") % kSlots); // unclosed
}

TEST(Slots, ShardsHoldContiguousRangesThatCoverEverySlot) {
  for (std::size_t shards : {1u, 3u, 64u, 100u, 16384u}) {
    EXPECT_EQ(first_slot(0, shards), 0u);
    for (std::size_t slot = 0; slot < kSlots; ++slot) {
      std::size_t s = slot_shard(slot, shards);
      ASSERT_LT(s, shards);
      ASSERT_GE(slot, first_slot(s, shards)) << shards << " " << slot;
      ASSERT_TRUE(s + 1 == shards || slot < first_slot(s + 1, shards));
    }
    for (std::size_t s = 0; s + 1 < shards; ++s)
      EXPECT_LT(first_slot(s, shards), first_slot(s + 1, shards));
  }
}

} // namespace
} // namespace kv
