// Placement of new proclets: score live nodes by free memory and CPU,
// pick the best (round-robin among ties) and reserve the proclet's size.
#include "Placement.hpp"

#include <algorithm>
#include <string>

namespace nu::controller {
namespace {

std::string bytes_text(std::uint64_t bytes) {
  return std::to_string(bytes) + " bytes";
}

} // namespace

std::optional<double> placement_score(const NodeLoad &node,
                                      std::uint64_t reserved,
                                      std::uint64_t size) {
  const std::uint64_t free = node.load.free_memory;
  const std::uint64_t available = free > reserved ? free - reserved : 0;
  if (available == 0 || available < size)
    return std::nullopt;
  const double capacity = static_cast<double>(
      std::max<std::uint64_t>(node.capacity.memory_bytes, 1));
  const double memory =
      std::min(1.0, static_cast<double>(available - size) / capacity);
  const double cpu = 1.0 - std::clamp(node.load.cpu_load, 0.0, 1.0);
  return (memory + cpu) / 2;
}

Placement::Placement(const NodeRegistry &nodes, PlacementOptions options)
    : nodes_(nodes), options_(options) {}

Expected<NodeId> Placement::place(const PlacementRequest &request) {
  const std::uint64_t size = request.expected_size != 0 ? request.expected_size
                                                        : options_.default_size;
  std::lock_guard lock(mutex_);
  nodes_.live_loads(scratch_);
  if (request.node)
    return place_explicit(*request.node, size);
  return place_best(size, request.exclude);
}

Expected<std::vector<NodeId>>
Placement::place_many(const PlacementLease &lease) {
  if (lease.count == 0 || lease.count > kMaxLease)
    return Failure{Errc::invalid_argument, "a placement lease is for 1 to " +
                                               std::to_string(kMaxLease) +
                                               " proclets, not " +
                                               std::to_string(lease.count)};
  const std::uint64_t size =
      lease.expected_size != 0 ? lease.expected_size : options_.default_size;
  std::lock_guard lock(mutex_);
  nodes_.live_loads(scratch_);
  std::vector<NodeId> out;
  while (out.size() < lease.count) {
    auto where = place_best(size, std::nullopt);
    if (!where && out.empty())
      return where.failure();
    if (!where)
      break;
    out.push_back(*where);
  }
  return out;
}

Expected<NodeId> Placement::place_explicit(NodeId id, std::uint64_t size) {
  auto it = std::find_if(scratch_.begin(), scratch_.end(),
                         [id](const NodeLoad &node) { return node.id == id; });
  if (it == scratch_.end()) {
    if (auto open = nodes_.check_placeable(id); !open)
      return open.failure();
    // It joined after our snapshot: place there without a reservation.
    return id;
  }
  reserve(*it, size);
  last_ = id;
  return id;
}

Expected<NodeId> Placement::place_best(std::uint64_t size,
                                       std::optional<NodeId> exclude) {
  if (scratch_.empty())
    return Failure{Errc::no_live_node, "no live node to place a proclet on"};
  scores_.clear();
  double best = -1;
  for (const NodeLoad &node : scratch_) {
    double score =
        node.id == exclude
            ? -1
            : placement_score(node, reserved(node), size).value_or(-1);
    scores_.push_back(score);
    best = std::max(best, score);
  }
  if (best < 0)
    return Failure{Errc::no_capacity, "no live node has " + bytes_text(size) +
                                          " free for a new proclet"};
  // Among the tied best (scratch_ is in id order), the first after last_.
  std::size_t chosen = scratch_.size();
  for (std::size_t i = 0; i < scratch_.size(); ++i) {
    if (scores_[i] < 0 || scores_[i] < best - options_.tie_width)
      continue;
    if (chosen == scratch_.size())
      chosen = i; // wraps around if none is after last_
    if (scratch_[i].id > last_) {
      chosen = i;
      break;
    }
  }
  reserve(scratch_[chosen], size);
  last_ = scratch_[chosen].id;
  return last_;
}

std::uint64_t Placement::reserved(const NodeLoad &node) const {
  auto it = reservations_.find(node.id);
  if (it == reservations_.end() || it->second.load_version != node.load_version)
    return 0;
  return it->second.bytes;
}

void Placement::reserve(const NodeLoad &node, std::uint64_t size) {
  Reservation &reservation = reservations_[node.id];
  if (reservation.load_version != node.load_version)
    reservation = Reservation{node.load_version, 0};
  reservation.bytes += size;
}

} // namespace nu::controller
