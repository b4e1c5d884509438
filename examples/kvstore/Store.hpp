// The map every node's server reads and writes: a nu::ShardedMap of keys
// to entries, its shards spread over the nodes and migrating between them.
#pragma once

#include "Entry.hpp"

#include <nu/sharded_map.hpp>

#include <string>

namespace kv {

using Store = nu::ShardedMap<std::string, Entry>;

} // namespace kv
