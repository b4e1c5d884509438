// Counting the live keys of the whole map (DBSIZE, INFO's keyspace): each
// shard counts where it lives, all shards at once.
#pragma once

#include "Store.hpp"

#include <cstdint>

namespace kv {

/// The keys that have not expired, and how many of them have a deadline.
struct KeyCounts {
  std::uint64_t keys = 0;
  std::uint64_t expires = 0;

  // A serializer of its own, as for Entry.
  template <class Archive> void serialize(Archive &ar) { ar(keys, expires); }
};

/// Counts \p store's live keys at time \p now.
KeyCounts count_keys(Store &store, std::int64_t now);

} // namespace kv
