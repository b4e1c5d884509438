// Serving clients outside the logical process: the address each node
// publishes for them, and where a proclet lives, kept current.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/proclet.hpp"

#include <string>
#include <vector>

namespace nu {

/// Publishes \p address (e.g. "127.0.0.1:7001": a service this node runs for
/// clients outside the logical process) as the caller's node's address.
/// Every node learns it within a heartbeat (the controller's
/// `--heartbeat-ms`, 500 ms by default). At most 256 bytes, no spaces or
/// control characters; throws nu::Error otherwise.
void publish_address(const std::string &address);

/// The address node \p node published ("" if none, or not heard of yet).
std::string published_address(NodeId node);

namespace detail {
void watch_locations(Node *node, const std::vector<ProcletId> &ids);
std::vector<std::vector<NodeId>>
backup_locations(Node *node, const std::vector<ProcletId> &ids);
} // namespace detail

/// Keeps where the caller's node believes each of \p proclets lives
/// (Proclet::location()) current without calling them: at once on the
/// nodes a proclet moves from and to, and on the others within a heartbeat
/// (each heartbeat asks the controller about the watched proclets, 65,536
/// per request). Watching ends when this node holds no handle to the
/// proclet.
/// `published_address(p.location())` is then where to send a client whose
/// request is for `p`.
template <class T>
void watch_locations(const std::vector<Proclet<T>> &proclets) {
  std::vector<ProcletId> ids;
  ids.reserve(proclets.size());
  for (const Proclet<T> &p : proclets)
    if (p)
      ids.push_back(p.id());
  detail::watch_locations(detail::current_node(), ids);
}

/// The nodes holding a backup of each of \p proclets (made with
/// ProcletOptions::replicas; an empty list for the others), in order: every
/// live node is asked what it holds, all at once (one request each). A node
/// that does not answer is left out. For a Redis Cluster's replicas, say.
template <class T>
std::vector<std::vector<NodeId>>
backup_locations(const std::vector<Proclet<T>> &proclets) {
  std::vector<ProcletId> ids;
  ids.reserve(proclets.size());
  for (const Proclet<T> &p : proclets)
    ids.push_back(p.id());
  return detail::backup_locations(detail::current_node(), ids);
}

} // namespace nu
