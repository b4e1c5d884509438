// Redis Cluster's key slots: CRC16 of the key (or of its hash tag) modulo
// 16384, and the contiguous range of slots each shard of the map holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

inline constexpr std::size_t kSlots = 16384;

/// CRC16-CCITT (XMODEM), as Redis Cluster computes it.
std::uint16_t crc16(std::string_view bytes);

/// The slot of \p key: of the part between the first '{' and the next '}'
/// if that part is not empty, else of the whole key.
std::size_t key_slot(std::string_view key);

/// The shard of \p shards holding \p slot: shard i holds the i-th of
/// \p shards equal runs of slots.
inline std::size_t slot_shard(std::size_t slot, std::size_t shards) {
  return slot * shards / kSlots;
}

/// The first slot of shard \p shard of \p shards (its last is the next
/// shard's first minus one; the last shard's is 16383).
inline std::size_t first_slot(std::size_t shard, std::size_t shards) {
  return (shard * kSlots + shards - 1) / shards;
}

/// The map's partition (nu::ShardedMap's third parameter): keys go to the
/// shard holding their slot, so a slot lives in one shard.
struct SlotPartition {
  std::size_t operator()(const std::string &key, std::size_t shards) const {
    return slot_shard(key_slot(key), shards);
  }
};

} // namespace kv
