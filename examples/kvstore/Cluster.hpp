// The Redis Cluster view of the map on one node: which node serves each
// run of slots (where its shard lives now) and where to send a client.
#pragma once

#include "Backups.hpp"
#include "Commands.hpp"
#include "Store.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

/// A node as cluster clients see it.
struct ClusterNode {
  nu::NodeId id = 0;
  std::string host; ///< from its published address
  int port = 0;
  bool operator==(const ClusterNode &) const = default;
};

/// Slots [first, last], the node serving them and the nodes holding
/// backups of their shards (--replicas).
struct SlotRange {
  std::size_t first = 0;
  std::size_t last = 0;
  ClusterNode node;
  std::vector<ClusterNode> replicas;
};

/// The slot ranges in slot order, consecutive shards on one node (and with
/// the same backups, when \p backups is given) merged. A shard on a node
/// that published no address is served by \p self.
std::vector<SlotRange> slot_ranges(const Store &store, nu::NodeId self,
                                   BackupCache *backups = nullptr);

/// Every node with a published address, \p self first.
std::vector<ClusterNode> cluster_nodes(nu::NodeId self);

/// The 40-character name Redis Cluster gives node \p id.
std::string node_name(nu::NodeId id);

/// Where a request goes in cluster mode.
struct Route {
  /// The error sending the client elsewhere, or "" to serve it here.
  std::string redirect;
  /// Served here through a shard on another node (it waits for a reply).
  bool remote = false;
};

/// For a request whose keys \p keys says where to find in \p args:
/// "CROSSSLOT ..." when its keys are in different slots, "MOVED <slot>
/// <host:port>" when the shard holding them is on another node that
/// published an address, else served here (through the shard's handle,
/// which also follows a move under way).
Route route(const Store &store, nu::NodeId self, const KeySpec &keys,
            const std::vector<std::string_view> &args);

} // namespace kv
