// The controller's whole state in one object, and the operations that span
// its parts (re-registration, a node's death); the service wraps this.
#pragma once

#include "IdRanges.hpp"
#include "LocationMap.hpp"
#include "NodeRegistry.hpp"
#include "Placement.hpp"
#include "Result.hpp"
#include "Types.hpp"

#include <vector>

namespace nu::controller {

/// What a node sends when it re-registers with a restarted controller.
struct NodeReport {
  NodeId id = 0;
  NodeHello hello;
  Load load;
  ProcletId max_id = 0; ///< the highest proclet id it holds (0: none)
  std::vector<ProcletReport> proclets;
};

/// A node found dead and the proclets lost with it.
struct LostNode {
  NodeId id = 0;
  std::vector<ProcletId> proclets;
};

struct ControllerOptions {
  PlacementOptions placement;
  std::uint64_t id_grant_size = IdRanges::kDefaultGrantSize;
  Clock::duration heartbeat_timeout = std::chrono::seconds(5);
  /// How long a node whose connection closed has to come back before it is
  /// dead (its process died; a paused node keeps its connection).
  Clock::duration reconnect_timeout = std::chrono::seconds(1);
};

/// Thread-safe; no global state, so several can live in one process.
class ControllerCore {
public:
  explicit ControllerCore(ControllerOptions options = {});
  ControllerCore(const ControllerCore &) = delete;
  ControllerCore &operator=(const ControllerCore &) = delete;

  NodeRegistry &nodes() { return nodes_; }
  Placement &placement() { return placement_; }
  IdRanges &ids() { return ids_; }
  LocationMap &locations() { return locations_; }

  /// Registers a new node with the load it measured when joining, so
  /// placement can use it before its first heartbeat.
  Expected<NodeId> join(const NodeHello &hello, const Load &load,
                        TimePoint now);
  /// Re-registers a node with its old id, its load, its highest proclet
  /// id and its proclets (soft-state recovery after a restart).
  Expected<RebuildStats> rejoin(const NodeReport &report, TimePoint now);
  /// Nodes that missed their heartbeats: marked dead, their proclets
  /// dropped from the map and returned.
  std::vector<LostNode> expire(TimePoint now);
  /// A node leaving on purpose; returns the proclets still mapped to it.
  Expected<std::vector<ProcletId>> leave(NodeId id);

private:
  const ControllerOptions options_;
  NodeRegistry nodes_;
  Placement placement_;
  IdRanges ids_;
  LocationMap locations_;
};

} // namespace nu::controller
