// Slot ranges from the shards' locations (nu::watch_locations keeps them
// current) and addresses (nu::publish_address), and request routing.
#include "Cluster.hpp"

#include "Slots.hpp"

#include <nu/locate.hpp>
#include <nu/runtime.hpp>

#include <cstdio>

namespace kv {
namespace {

/// Node \p id as clients reach it, if it published an address.
std::optional<ClusterNode> reachable(nu::NodeId id) {
  std::string address = nu::published_address(id);
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return std::nullopt;
  return ClusterNode{id, address.substr(0, colon),
                     std::atoi(address.c_str() + colon + 1)};
}

} // namespace

std::vector<std::vector<nu::NodeId>> BackupCache::get(const Store &store) {
  std::scoped_lock lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now >= until_ || nodes_.size() != store.shard_count()) {
    nodes_ = nu::backup_locations(store.shards());
    until_ = now + std::chrono::seconds(1);
  }
  return nodes_;
}

std::vector<SlotRange> slot_ranges(const Store &store, nu::NodeId self,
                                   BackupCache *backups) {
  const std::size_t n = store.shard_count();
  ClusterNode here = reachable(self).value_or(ClusterNode{self, "", 0});
  std::vector<std::vector<nu::NodeId>> copies(n);
  if (backups)
    copies = backups->get(store);
  std::vector<SlotRange> out;
  for (std::size_t shard = 0; shard < n; ++shard) {
    nu::NodeId at = store.shards()[shard].location();
    ClusterNode node = at == self ? here : reachable(at).value_or(here);
    std::vector<ClusterNode> replicas;
    for (nu::NodeId b : copies[shard])
      if (auto r = reachable(b); r && b != node.id)
        replicas.push_back(*r);
    std::size_t last =
        shard + 1 == n ? kSlots - 1 : first_slot(shard + 1, n) - 1;
    if (!out.empty() && out.back().node == node &&
        out.back().replicas == replicas)
      out.back().last = last;
    else
      out.push_back({first_slot(shard, n), last, node, std::move(replicas)});
  }
  return out;
}

std::vector<ClusterNode> cluster_nodes(nu::NodeId self) {
  std::vector<ClusterNode> out;
  if (auto me = reachable(self))
    out.push_back(*me);
  for (nu::NodeId id : nu::nodes())
    if (id != self)
      if (auto node = reachable(id))
        out.push_back(*node);
  return out;
}

std::string node_name(nu::NodeId id) {
  char name[41];
  std::snprintf(name, sizeof name, "%040llx",
                static_cast<unsigned long long>(id));
  return name;
}

Route route(const Store &store, nu::NodeId self, const KeySpec &keys,
            const std::vector<std::string_view> &args) {
  if (keys.first == 0 || args.size() <= static_cast<std::size_t>(keys.first))
    return {};
  const auto count = static_cast<int>(args.size());
  const int last = keys.last < 0 ? count + keys.last : keys.last;
  const std::size_t slot = key_slot(args[keys.first]);
  for (int i = keys.first + keys.step; i <= last && i < count; i += keys.step)
    if (key_slot(args[i]) != slot)
      return {"CROSSSLOT Keys in request don't hash to the same slot"};
  nu::NodeId at =
      store.shards()[slot_shard(slot, store.shard_count())].location();
  if (at == self || at == 0)
    return {};
  std::string address = nu::published_address(at);
  if (address.empty())
    return {"", true};
  return {"MOVED " + std::to_string(slot) + " " + address};
}

} // namespace kv
