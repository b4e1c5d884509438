// Where the shards' backups are (--replicas), asked of every node at most
// once a second: CLUSTER SLOTS and SHARDS list them as replicas.
#pragma once

#include "Store.hpp"

#include <chrono>
#include <mutex>
#include <vector>

namespace kv {

/// The nodes holding backups of each shard, in shard order.
class BackupCache {
public:
  std::vector<std::vector<nu::NodeId>> get(const Store &store);

private:
  std::mutex mu_;
  std::chrono::steady_clock::time_point until_;
  std::vector<std::vector<nu::NodeId>> nodes_;
};

} // namespace kv
