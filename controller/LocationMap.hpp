// Where every proclet lives: proclet id -> {node, epoch}, in 64 shards with
// a mutex each, since resolve() is the controller's hot path.
#pragma once

#include "Result.hpp"
#include "Types.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace nu::controller {

/// What rebuild() did with a node's report.
struct RebuildStats {
  std::size_t applied = 0; ///< entries now naming the reporting node
  std::size_t stale = 0;   ///< reported at an older epoch than known; ignored
  std::size_t removed = 0; ///< entries of the node it no longer reports
};

/// Thread-safe. A location only ever moves to a higher epoch: updates
/// that arrive late (a lower or equal epoch) are ignored.
class LocationMap {
public:
  static constexpr std::size_t kShards = 64;

  /// Sets \p id's location unless one with an epoch >= \p epoch is known
  /// (or was, on a node that died since); true if it was set.
  bool update(ProcletId id, NodeId node, std::uint64_t epoch);
  /// \p id's location, or unknown_proclet.
  Expected<Location> resolve(ProcletId id) const;
  /// Forgets \p id (destroyed); returns where it was, or unknown_proclet.
  Expected<Location> remove(ProcletId id);
  /// Forgets \p id only if its location names \p node (checked and
  /// removed under one lock); true if it did.
  bool remove_from(ProcletId id, NodeId node);
  /// Forgets every proclet on \p node (it died) and returns them, sorted.
  /// Their epochs are kept: a copy taking over must come at a newer one,
  /// the node coming back (it was paused) at least at the same.
  std::vector<ProcletId> drop_node(NodeId node);
  /// Soft-state recovery: \p node reports what it hosts. Every reported
  /// proclet is updated as by update(); entries that still name \p node
  /// but are missing from the report are removed.
  RebuildStats rebuild(NodeId node, std::span<const ProcletReport> reports);

  std::size_t size() const;
  /// How many proclets each node hosts, as registered (nodes with none are
  /// absent).
  std::unordered_map<NodeId, std::uint64_t> count_by_node() const;
  /// Pre-sizes the shards for about \p proclets entries in total.
  void reserve(std::size_t proclets);

private:
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<ProcletId, Location> entries;
    std::unordered_map<ProcletId, std::uint64_t> lost; // epochs, drop_node
  };

  static std::size_t shard_index(ProcletId id);
  Shard &shard_of(ProcletId id) { return shards_[shard_index(id)]; }
  const Shard &shard_of(ProcletId id) const { return shards_[shard_index(id)]; }

  std::array<Shard, kShards> shards_;
};

} // namespace nu::controller
