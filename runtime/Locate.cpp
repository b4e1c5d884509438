// Clients outside the logical process: the address each node publishes for
// them, and where proclets live, kept current for the ones watched.
#include "nu/locate.hpp"
#include "ControllerLink.hpp"
#include "Node.hpp"
#include "nu/errors.hpp"

#include <algorithm>

namespace nu {
namespace detail {

void Node::publish(std::string address) {
  {
    std::scoped_lock lock(peers_mu_);
    published_ = address;
  }
  if (link_)
    link_->publish(std::move(address));
}

std::string Node::published(NodeId node) const {
  std::scoped_lock lock(peers_mu_);
  if (node == id())
    return published_;
  auto it = peer_published_.find(node);
  return it == peer_published_.end() ? std::string() : it->second;
}

void Node::watch(const std::vector<ProcletId> &ids) {
  {
    std::scoped_lock lock(watch_mu_);
    watched_.insert(ids.begin(), ids.end());
  }
  refresh_watched();
}

/// Asks the controller where the watched proclets are; forgets those this
/// node holds no handle to any more.
void Node::refresh_watched() {
  if (!link_)
    return;
  std::vector<ProcletId> ids;
  {
    std::scoped_lock lock(watch_mu_);
    ids.assign(watched_.begin(), watched_.end());
  }
  if (ids.empty())
    return;
  auto where = link_->resolve_many(ids);
  if (!where)
    return; // the next heartbeat tries again
  for (std::size_t i = 0; i < ids.size(); ++i)
    relocate_watched(ids[i], (*where)[i].node);
}

/// Points this node's handle to proclet \p id at \p where. The controller
/// learns of a move after the two nodes involved, so it never overrides
/// them: a proclet hosted here stays here, and "here" is never believed.
void Node::relocate_watched(ProcletId id, NodeId where) {
  std::scoped_lock lock(proxies_mu_);
  auto it = proxies_.find(id);
  if (it == proxies_.end()) {
    std::scoped_lock watch(watch_mu_);
    watched_.erase(id);
    return;
  }
  if (where == 0 || where == this->id() || it->second->hosted_here())
    return;
  it->second->location.store(where, std::memory_order_relaxed);
}

void watch_locations(Node *node, const std::vector<ProcletId> &ids) {
  if (ids.size() > controller::kMaxResolveMany)
    throw Error("nu::watch_locations: at most " +
                std::to_string(controller::kMaxResolveMany) +
                " proclets at a time");
  node->watch(ids);
}

} // namespace detail

void publish_address(const std::string &address) {
  if (address.size() > controller::kMaxPublished)
    throw Error("nu::publish_address: longer than " +
                std::to_string(controller::kMaxPublished) + " bytes");
  if (std::any_of(address.begin(), address.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
      }))
    throw Error("nu::publish_address: '" + address +
                "' holds a space or a control character");
  detail::current_node()->publish(address);
}

std::string published_address(NodeId node) {
  return detail::current_node()->published(node);
}

} // namespace nu
