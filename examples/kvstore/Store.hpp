// The map every node's server reads and writes: a nu::ShardedMap of keys
// to entries by key slot, its shards spread over the nodes and migrating.
#pragma once

#include "Entry.hpp"
#include "Slots.hpp"

#include <nu/sharded_map.hpp>

#include <string>

namespace kv {

/// Keys go to shards by Redis Cluster's slots, in cluster mode or not.
using Store = nu::ShardedMap<std::string, Entry, SlotPartition>;

} // namespace kv
