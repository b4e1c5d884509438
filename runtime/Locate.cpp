// Clients outside the logical process: the address each node publishes for
// them, and where proclets live, kept current for the ones watched.
#include "nu/locate.hpp"
#include "ControllerLink.hpp"
#include "Node.hpp"
#include "nu/errors.hpp"

#include <algorithm>
#include <unordered_map>

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

/// Asks the controller where the watched proclets are (as many requests as
/// ResolveMany's limit needs); forgets those this node holds no handle to
/// any more.
void Node::refresh_watched() {
  if (!link_)
    return;
  std::vector<ProcletId> ids;
  {
    std::scoped_lock lock(watch_mu_);
    ids.assign(watched_.begin(), watched_.end());
  }
  for (std::size_t at = 0; at < ids.size(); at += controller::kMaxResolveMany) {
    std::vector<ProcletId> part(
        ids.begin() + at,
        ids.begin() + std::min(ids.size(), at + controller::kMaxResolveMany));
    auto where = link_->resolve_many(part);
    if (!where)
      return; // the next heartbeat tries again
    for (std::size_t i = 0; i < part.size(); ++i)
      relocate_watched(part[i], (*where)[i].node);
  }
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

std::vector<std::vector<NodeId>>
Node::backup_locations(const std::vector<ProcletId> &ids) {
  using Listing = std::vector<wire::ProcletListing>;
  std::vector<std::pair<NodeId, std::shared_ptr<TypedState<Listing>>>> asked;
  for (NodeId n : nodes()) {
    if (n == id())
      continue; // read below
    wire::FrameHeader header;
    header.kind = wire::FrameKind::Move;
    header.aux = wire::kMoveList;
    auto state = std::make_shared<TypedState<Listing>>();
    try {
      request_rpc(n, header, wire::start_frame(), state);
    } catch (const std::exception &) {
      continue; // unreachable: left out
    }
    asked.emplace_back(n, std::move(state));
  }
  std::unordered_map<ProcletId, std::size_t> index;
  for (std::size_t i = 0; i < ids.size(); ++i)
    index.emplace(ids[i], i);
  std::vector<std::vector<NodeId>> out(ids.size());
  auto add = [&](NodeId n, const Listing &listing) {
    for (const auto &[proclet, type, bytes, heap, role] : listing)
      if (auto it = index.find(proclet); it != index.end() && role == "backup")
        out[it->second].push_back(n);
  };
  add(id(), list_proclets());
  for (auto &[n, state] : asked) {
    try {
      add(n, state->take());
    } catch (const std::exception &) {
      // gone or silent: it holds nothing we can count on
    }
  }
  for (auto &nodes : out)
    std::sort(nodes.begin(), nodes.end());
  return out;
}

void watch_locations(Node *node, const std::vector<ProcletId> &ids) {
  node->watch(ids);
}

std::vector<std::vector<NodeId>>
backup_locations(Node *node, const std::vector<ProcletId> &ids) {
  return node->backup_locations(ids);
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
