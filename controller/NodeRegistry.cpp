// The controller's node table: join checks (same binary), heartbeats,
// leave and expiry. One mutex; nodes are few and these calls are rare.
#include "NodeRegistry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nu::controller {
namespace {

Failure error(Errc code, std::string message) {
  return Failure{code, std::move(message)};
}

std::string node_name(NodeId id) { return "node " + std::to_string(id); }

} // namespace

Expected<void> NodeRegistry::check_hello(const NodeHello &hello) const {
  if (hello.address.empty())
    return error(Errc::invalid_argument,
                 "a joining node must give its address");
  const std::string who = "node at " + hello.address;
  if (hello.capacity.memory_bytes == 0 || hello.capacity.cpus == 0)
    return error(Errc::invalid_argument,
                 who + " reports no memory or no CPUs (memory " +
                     std::to_string(hello.capacity.memory_bytes) + " bytes, " +
                     std::to_string(hello.capacity.cpus) + " cpus)");
  if (!binary_)
    return {};
  if (hello.build_id != binary_->build_id)
    return error(Errc::binary_mismatch,
                 who + " runs a different binary (build id " + hello.build_id +
                     ", expected " + binary_->build_id + ")");
  if (hello.schema_digest != binary_->schema_digest)
    return error(Errc::binary_mismatch,
                 who + " runs a different binary (schema digest " +
                     hello.schema_digest + ", expected " +
                     binary_->schema_digest + ")");
  return {};
}

void NodeRegistry::record(NodeId id, const NodeHello &hello, TimePoint now) {
  if (!binary_)
    binary_ = Binary{hello.build_id, hello.schema_digest};
  NodeInfo info;
  info.id = id;
  info.address = hello.address;
  info.capacity = hello.capacity;
  info.load.free_memory = hello.capacity.memory_bytes;
  info.last_heartbeat = now;
  info.load_version = ++load_versions_;
  nodes_[id] = std::move(info);
  next_id_ = std::max(next_id_, id + 1);
}

Expected<NodeId> NodeRegistry::join(const NodeHello &hello, TimePoint now) {
  std::lock_guard lock(mutex_);
  if (auto checked = check_hello(hello); !checked)
    return checked.failure();
  if (next_id_ == std::numeric_limits<NodeId>::max())
    return error(Errc::ids_exhausted, "no node ids are left");
  NodeId id = next_id_;
  record(id, hello, now);
  return id;
}

Expected<NodeId> NodeRegistry::rejoin(NodeId id, const NodeHello &hello,
                                      TimePoint now) {
  if (id == 0 || id == std::numeric_limits<NodeId>::max())
    return error(Errc::invalid_argument, "node at " + hello.address +
                                             " rejoins with invalid id " +
                                             std::to_string(id));
  std::lock_guard lock(mutex_);
  if (auto checked = check_hello(hello); !checked)
    return checked.failure();
  auto it = nodes_.find(id);
  if (it != nodes_.end()) {
    const NodeInfo &old = it->second;
    if (old.state == NodeState::left)
      return error(Errc::node_left,
                   node_name(id) + " has left; it must join as a new node");
    if (old.address != hello.address)
      return error(Errc::id_taken, node_name(id) + " is already taken by " +
                                       old.address + ", not " + hello.address);
  }
  record(id, hello, now);
  return id;
}

Expected<void> NodeRegistry::check_live_locked(NodeId id) const {
  auto it = nodes_.find(id);
  if (it == nodes_.end())
    return error(Errc::unknown_node,
                 node_name(id) + " is not part of this logical process");
  if (it->second.state == NodeState::dead)
    return error(Errc::node_dead,
                 node_name(id) + " is dead (it missed its heartbeats)");
  if (it->second.state == NodeState::left)
    return error(Errc::node_left, node_name(id) + " has left");
  return {};
}

Expected<void> NodeRegistry::heartbeat(NodeId id, const Load &load,
                                       TimePoint now,
                                       const std::string &published) {
  if (std::isnan(load.cpu_load))
    return error(Errc::invalid_argument,
                 node_name(id) + " reported a CPU load that is not a number");
  if (published.size() > kMaxPublished)
    return error(Errc::invalid_argument,
                 node_name(id) + " published an address longer than " +
                     std::to_string(kMaxPublished) + " bytes");
  std::lock_guard lock(mutex_);
  if (auto live = check_live_locked(id); !live)
    return live;
  NodeInfo &info = nodes_[id];
  info.load = load;
  info.load.cpu_load = std::clamp(load.cpu_load, 0.0, 1.0);
  info.published = published;
  info.last_heartbeat = std::max(info.last_heartbeat, now);
  ++info.heartbeats;
  info.load_version = ++load_versions_;
  return {};
}

Expected<void> NodeRegistry::mark_leaving(NodeId id) {
  std::lock_guard lock(mutex_);
  if (auto live = check_live_locked(id); !live)
    return live;
  nodes_[id].leaving = true;
  return {};
}

Expected<void> NodeRegistry::leave(NodeId id) {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(id);
  if (it != nodes_.end() && it->second.state == NodeState::left)
    return {};
  if (auto live = check_live_locked(id); !live)
    return live;
  it->second.state = NodeState::left;
  return {};
}

std::vector<NodeId> NodeRegistry::expire(TimePoint now, Clock::duration timeout,
                                         Clock::duration reconnect) {
  std::vector<NodeId> expired;
  std::lock_guard lock(mutex_);
  for (auto &[id, info] : nodes_) {
    bool gone = info.disconnected && now - *info.disconnected > reconnect;
    if (info.state != NodeState::live ||
        (now - info.last_heartbeat <= timeout && !gone))
      continue;
    info.state = NodeState::dead;
    expired.push_back(id);
  }
  return expired;
}

void NodeRegistry::connection(NodeId id, std::optional<TimePoint> closed) {
  std::lock_guard lock(mutex_);
  if (auto it = nodes_.find(id); it != nodes_.end())
    it->second.disconnected = closed;
}

void NodeRegistry::grace(TimePoint now) {
  std::lock_guard lock(mutex_);
  for (auto &[id, info] : nodes_)
    if (info.state == NodeState::live) {
      info.last_heartbeat = std::max(info.last_heartbeat, now);
      if (info.disconnected)
        info.disconnected = now;
    }
}

std::vector<NodeInfo> NodeRegistry::live_nodes() const {
  std::vector<NodeInfo> live;
  std::lock_guard lock(mutex_);
  for (const auto &[id, info] : nodes_)
    if (info.state == NodeState::live)
      live.push_back(info);
  return live;
}

std::vector<NodeInfo> NodeRegistry::all_nodes() const {
  std::vector<NodeInfo> all;
  std::lock_guard lock(mutex_);
  for (const auto &[id, info] : nodes_)
    all.push_back(info);
  return all;
}

Expected<NodeInfo> NodeRegistry::find(NodeId id) const {
  std::lock_guard lock(mutex_);
  auto it = nodes_.find(id);
  if (it == nodes_.end())
    return error(Errc::unknown_node,
                 node_name(id) + " is not part of this logical process");
  return it->second;
}

Expected<void> NodeRegistry::check_live(NodeId id) const {
  std::lock_guard lock(mutex_);
  return check_live_locked(id);
}

Expected<void> NodeRegistry::check_placeable(NodeId id) const {
  std::lock_guard lock(mutex_);
  if (auto live = check_live_locked(id); !live)
    return live;
  if (nodes_.at(id).leaving)
    return error(Errc::node_left,
                 node_name(id) + " is leaving: it takes no new proclets");
  return {};
}

void NodeRegistry::live_loads(std::vector<NodeLoad> &out) const {
  out.clear();
  std::lock_guard lock(mutex_);
  for (const auto &[id, info] : nodes_)
    if (info.state == NodeState::live && !info.leaving)
      out.push_back(NodeLoad{id, info.capacity, info.load, info.load_version});
}

std::size_t NodeRegistry::live_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(nodes_.begin(), nodes_.end(), [](const auto &entry) {
        return entry.second.state == NodeState::live;
      }));
}

} // namespace nu::controller
