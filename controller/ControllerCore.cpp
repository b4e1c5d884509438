// Operations over several parts of the controller's state: a node's
// re-registration (soft-state rebuild), death and departure.
#include "ControllerCore.hpp"

namespace nu::controller {

ControllerCore::ControllerCore(ControllerOptions options)
    : options_(options), placement_(nodes_, options.placement),
      ids_(options.id_grant_size) {}

Expected<NodeId> ControllerCore::join(const NodeHello &hello, const Load &load,
                                      TimePoint now) {
  auto id = nodes_.join(hello, now);
  if (!id)
    return id;
  if (auto beat = nodes_.heartbeat(*id, load, now); !beat) {
    (void)nodes_.leave(*id);
    return beat.failure();
  }
  return id;
}

Expected<RebuildStats> ControllerCore::rejoin(const NodeReport &report,
                                              TimePoint now) {
  if (auto joined = nodes_.rejoin(report.id, report.hello, now); !joined)
    return joined.failure();
  if (auto beat = nodes_.heartbeat(report.id, report.load, now); !beat)
    return beat.failure();
  ids_.observe(report.max_id);
  return locations_.rebuild(report.id, report.proclets);
}

std::vector<LostNode> ControllerCore::expire(TimePoint now) {
  std::vector<LostNode> lost;
  for (NodeId id : nodes_.expire(now, options_.heartbeat_timeout,
                                 options_.reconnect_timeout))
    lost.push_back(LostNode{id, locations_.drop_node(id)});
  return lost;
}

Expected<std::vector<ProcletId>> ControllerCore::leave(NodeId id) {
  if (auto left = nodes_.leave(id); !left)
    return left.failure();
  return locations_.drop_node(id);
}

} // namespace nu::controller
