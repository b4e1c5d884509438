// The sharded proclet location map: epoch-checked updates, resolve, and
// the whole-map operations a node's death or re-registration needs.
#include "LocationMap.hpp"

#include <algorithm>
#include <string>

namespace nu::controller {
namespace {

Failure unknown(ProcletId id) {
  return Failure{Errc::unknown_proclet, "proclet " + std::to_string(id) +
                                            " is not in the location map"};
}

enum class Outcome { applied, unchanged, stale };

// Applies an update to a locked shard. A proclet dropped with its node
// comes back only at an epoch above the one it had (\p same_ok: or equal,
// as when the node itself reports it again).
template <class Shard>
Outcome apply(Shard &shard, ProcletId id, NodeId node, std::uint64_t epoch,
              bool same_ok = false) {
  if (auto lost = shard.lost.find(id); lost != shard.lost.end()) {
    if (epoch < lost->second + (same_ok ? 0 : 1))
      return Outcome::stale;
    shard.lost.erase(lost);
  }
  auto &entries = shard.entries;
  auto [it, inserted] = entries.try_emplace(id, Location{node, epoch});
  if (inserted)
    return Outcome::applied;
  if (it->second == Location{node, epoch})
    return Outcome::unchanged;
  if (epoch <= it->second.epoch)
    return Outcome::stale;
  it->second = Location{node, epoch};
  return Outcome::applied;
}

} // namespace

std::size_t LocationMap::shard_index(ProcletId id) {
  // Fibonacci hashing: consecutive ids (one node's range) spread evenly.
  static_assert(kShards == 64);
  return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> 58);
}

bool LocationMap::update(ProcletId id, NodeId node, std::uint64_t epoch) {
  Shard &shard = shard_of(id);
  std::lock_guard lock(shard.mutex);
  return apply(shard, id, node, epoch) == Outcome::applied;
}

Expected<Location> LocationMap::resolve(ProcletId id) const {
  const Shard &shard = shard_of(id);
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(id);
    if (it != shard.entries.end())
      return it->second;
  }
  return unknown(id);
}

Expected<Location> LocationMap::remove(ProcletId id) {
  Shard &shard = shard_of(id);
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(id);
    if (it != shard.entries.end()) {
      Location was = it->second;
      shard.entries.erase(it);
      return was;
    }
  }
  return unknown(id);
}

bool LocationMap::remove_from(ProcletId id, NodeId node) {
  Shard &shard = shard_of(id);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(id);
  if (it == shard.entries.end() || it->second.node != node)
    return false;
  shard.entries.erase(it);
  return true;
}

std::vector<ProcletId> LocationMap::drop_node(NodeId node) {
  std::vector<ProcletId> dropped;
  for (Shard &shard : shards_) {
    std::lock_guard lock(shard.mutex);
    std::erase_if(shard.entries, [&](const auto &entry) {
      if (entry.second.node != node)
        return false;
      dropped.push_back(entry.first);
      shard.lost[entry.first] = entry.second.epoch;
      return true;
    });
  }
  std::sort(dropped.begin(), dropped.end());
  return dropped;
}

RebuildStats LocationMap::rebuild(NodeId node,
                                  std::span<const ProcletReport> reports) {
  RebuildStats stats;
  for (const ProcletReport &report : reports) {
    Shard &shard = shard_of(report.id);
    std::lock_guard lock(shard.mutex);
    if (apply(shard, report.id, node, report.epoch, true) == Outcome::stale)
      ++stats.stale;
    else
      ++stats.applied;
  }
  std::vector<ProcletId> reported;
  reported.reserve(reports.size());
  for (const ProcletReport &report : reports)
    reported.push_back(report.id);
  std::sort(reported.begin(), reported.end());
  for (Shard &shard : shards_) {
    std::lock_guard lock(shard.mutex);
    stats.removed += std::erase_if(shard.entries, [&](const auto &entry) {
      return entry.second.node == node &&
             !std::binary_search(reported.begin(), reported.end(), entry.first);
    });
  }
  return stats;
}

std::size_t LocationMap::size() const {
  std::size_t total = 0;
  for (const Shard &shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

std::unordered_map<NodeId, std::uint64_t> LocationMap::count_by_node() const {
  std::unordered_map<NodeId, std::uint64_t> counts;
  for (const Shard &shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto &[id, location] : shard.entries)
      ++counts[location.node];
  }
  return counts;
}

void LocationMap::reserve(std::size_t proclets) {
  for (Shard &shard : shards_) {
    std::lock_guard lock(shard.mutex);
    shard.entries.reserve(proclets / kShards + 1);
  }
}

} // namespace nu::controller
