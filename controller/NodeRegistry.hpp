// The nodes of a logical process as the controller knows them: join (same
// binary only), heartbeats with load, leave, death by missed heartbeats.
#pragma once

#include "Result.hpp"
#include "Types.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace nu::controller {

/// What a node says about itself when it joins.
struct NodeHello {
  std::string address; ///< where peers reach it, e.g. "127.0.0.1:5001"
  Capacity capacity;
  std::string build_id;      ///< the binary's build id
  std::string schema_digest; ///< hash of the generated serializers
};

enum class NodeState { live, left, dead };

/// The longest address a node may publish for outside clients.
inline constexpr std::size_t kMaxPublished = 256;

/// One node, as listed by NodeRegistry.
struct NodeInfo {
  NodeId id = 0;
  std::string address;
  /// The address it publishes for clients outside the logical process
  /// ("" if none), from its heartbeats.
  std::string published;
  Capacity capacity;
  Load load;
  TimePoint last_heartbeat;
  std::uint64_t heartbeats = 0;   ///< load reports since (re)joining, its own
  std::uint64_t load_version = 0; ///< changes whenever load is replaced
  NodeState state = NodeState::live;
  /// Live, but about to leave: it moves its proclets away, and placement
  /// passes it over.
  bool leaving = false;
  /// When its connection to the controller closed, if it has not come back
  /// (not sent: the controller's own bookkeeping).
  std::optional<TimePoint> disconnected;
};

/// What placement needs of a live node (no strings, cheap to copy).
struct NodeLoad {
  NodeId id = 0;
  Capacity capacity;
  Load load;
  std::uint64_t load_version = 0;
};

/// Thread-safe. Ids start at 1 and are never reused; dead and departed
/// nodes stay listed (state != live) so their ids stay taken.
class NodeRegistry {
public:
  /// Registers a new node. The first node fixes the binary (build id and
  /// schema digest) every later node must match.
  Expected<NodeId> join(const NodeHello &hello, TimePoint now);
  /// Re-registers a node under the id it had before the controller
  /// restarted (soft state), or after it was declared dead (it was paused
  /// or cut off, not gone). Refused if the id departed or is registered at
  /// another address; a node at the same address is made live again.
  Expected<NodeId> rejoin(NodeId id, const NodeHello &hello, TimePoint now);
  /// Records a live node's load (clamping cpu_load to 0..1) and the
  /// address it publishes for outside clients.
  Expected<void> heartbeat(NodeId id, const Load &load, TimePoint now,
                           const std::string &published = {});
  /// A live node announces that it will leave: it stays live (its
  /// proclets are still called there while it moves them away) but is no
  /// longer a placement candidate. Announcing twice is not an error.
  Expected<void> mark_leaving(NodeId id);
  /// A node leaving on purpose. Leaving twice is not an error.
  Expected<void> leave(NodeId id);
  /// Marks live nodes dead and returns them, in id order: those whose last
  /// heartbeat is older than \p timeout, and those whose connection closed
  /// more than \p reconnect ago without coming back (their process died:
  /// a paused one keeps its connection open).
  std::vector<NodeId> expire(TimePoint now, Clock::duration timeout,
                             Clock::duration reconnect);
  /// Node \p id's connection closed at \p now, or (\p now nullopt) it is
  /// connected again.
  void connection(NodeId id, std::optional<TimePoint> closed);
  /// Counts every live node as heard from at \p now: after the controller
  /// itself was not running, their silence says nothing about them.
  void grace(TimePoint now);

  /// Every live node with its last load, in id order.
  std::vector<NodeInfo> live_nodes() const;
  /// Every node ever registered (any state), in id order.
  std::vector<NodeInfo> all_nodes() const;
  /// One node, whatever its state.
  Expected<NodeInfo> find(NodeId id) const;
  /// Success if \p id is live, else why not (unknown, dead or left).
  Expected<void> check_live(NodeId id) const;
  /// Success if \p id is live and not leaving, else why not.
  Expected<void> check_placeable(NodeId id) const;
  /// Replaces \p out by the loads of the live nodes that are not leaving,
  /// in id order.
  void live_loads(std::vector<NodeLoad> &out) const;
  std::size_t live_count() const;

private:
  struct Binary {
    std::string build_id;
    std::string schema_digest;
  };

  Expected<void> check_hello(const NodeHello &hello) const;
  Expected<void> check_live_locked(NodeId id) const;
  void record(NodeId id, const NodeHello &hello, TimePoint now);

  mutable std::mutex mutex_;
  std::map<NodeId, NodeInfo> nodes_; // ordered: listings are deterministic
  NodeId next_id_ = 1;
  std::uint64_t load_versions_ = 0;
  std::optional<Binary> binary_; // set by the first node
};

} // namespace nu::controller
