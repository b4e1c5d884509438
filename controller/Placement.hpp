// Where a new proclet goes: an explicit node if asked, otherwise the live
// node with the most free memory and CPU, ties taken round-robin.
#pragma once

#include "NodeRegistry.hpp"
#include "Result.hpp"
#include "Types.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace nu::controller {

/// What the creator of a proclet asks for.
struct PlacementRequest {
  std::optional<NodeId> node;      ///< create it exactly there
  std::uint64_t expected_size = 0; ///< bytes; 0 if unknown
  std::optional<NodeId> exclude;   ///< never this node (it is moving off)
};

/// Where the next `count` proclets of `expected_size` bytes (0: unknown)
/// that `node` creates go: decided at once, used without asking again.
struct PlacementLease {
  NodeId node = 0;
  std::uint64_t expected_size = 0;
  std::uint32_t count = 0; ///< 1 to kMaxLease
};
inline constexpr std::uint32_t kMaxLease = 256;

struct PlacementOptions {
  /// Size assumed for a proclet whose creator gave none.
  std::uint64_t default_size = 64 * 1024;
  /// Scores closer than this count as a tie.
  double tie_width = 1.0 / 1024;
};

/// Score of \p node for a proclet of \p size bytes when \p reserved bytes
/// were already placed there since its last load report: the mean of its
/// free memory fraction and 1 - CPU load, in 0..1; nullopt if it does not
/// fit (free memory below \p size, or none at all).
std::optional<double> placement_score(const NodeLoad &node,
                                      std::uint64_t reserved,
                                      std::uint64_t size);

/// Thread-safe. Deterministic: the same registry state and sequence of
/// requests give the same answers. Each placement reserves its size on the
/// chosen node until that node's next heartbeat, so a burst of placements
/// between heartbeats fills nodes evenly instead of piling onto one.
class Placement {
public:
  explicit Placement(const NodeRegistry &nodes, PlacementOptions options = {});

  /// The node for a new proclet; never a dead or departed one.
  Expected<NodeId> place(const PlacementRequest &request);
  /// The nodes for the next lease.count new proclets, as many placements
  /// in a row would give (fewer if the nodes fill up first).
  Expected<std::vector<NodeId>> place_many(const PlacementLease &lease);

private:
  struct Reservation {
    std::uint64_t load_version = 0;
    std::uint64_t bytes = 0;
  };

  Expected<NodeId> place_explicit(NodeId id, std::uint64_t size);
  Expected<NodeId> place_best(std::uint64_t size,
                              std::optional<NodeId> exclude);
  std::uint64_t reserved(const NodeLoad &node) const;
  void reserve(const NodeLoad &node, std::uint64_t size);

  const NodeRegistry &nodes_;
  const PlacementOptions options_;
  std::mutex mutex_;
  std::vector<NodeLoad> scratch_; // the live nodes, reused per call
  std::vector<double> scores_;    // per scratch_ entry, < 0: no fit
  std::unordered_map<NodeId, Reservation> reservations_;
  NodeId last_ = 0; // the last node chosen, for round-robin ties
};

} // namespace nu::controller
