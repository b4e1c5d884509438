// A node's links to its peers: listening, connecting, sending requests and
// matching replies to waiting callers.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "nu/errors.hpp"

#include <algorithm>
#include <iostream>

namespace nu::detail {
namespace {

ReplyKind reply_kind(net::FrameKind kind) {
  return static_cast<ReplyKind>(static_cast<int>(kind) -
                                static_cast<int>(net::FrameKind::Result));
}

} // namespace

Node::Node(Options options) : options_(std::move(options)) {
  auto transport =
      net::make_transport(options_.transport, options_.transport_options);
  if (!transport)
    throw Error("nu: " + transport.failure().message);
  transport_ = std::move(*transport);
  auto address = transport_->listen(options_.listen_address, handlers());
  if (!address)
    throw Error("nu: cannot listen: " + address.failure().message);
  address_ = *address;
  if (!options_.controller.empty()) {
    ControllerLink::Hooks hooks;
    hooks.set_peers = [this](const auto &peers) { set_peers(peers); };
    hooks.proclets = [this] { return proclet_reports(); };
    hooks.proclet_count = [this] { return proclet_count(); };
    link_ = std::make_unique<ControllerLink>(
        *transport_,
        ControllerLink::Options{options_.controller, options_.main,
                                options_.call_timeout},
        address_, std::move(hooks));
    options_.id = link_->id();
  }
  WorkerPool::Options pool;
  pool.threads = options_.workers;
  pool.name = "nu-w" + std::to_string(options_.id);
  pool.on_thread_start = [this] { tls_node = this; };
  pool_ = std::make_unique<WorkerPool>(std::move(pool));
  if (link_)
    link_->start();
}

Node::~Node() {
  if (link_)
    link_->stop();
  stopping_ = true;
  pool_->shutdown(); // runs what is queued; later work runs inline
  std::unordered_map<ProcletId, std::shared_ptr<Slot>> left;
  {
    std::unique_lock lock(slots_mu_);
    left.swap(slots_);
  }
  for (auto &[id, slot] : left) // still referenced (a cycle, a leak)
    destroy(slot);
  transport_->shutdown();
  fail_pending(0, "the node shut down");
  std::scoped_lock lock(proxies_mu_);
  for (auto &[id, proxy] : proxies_)
    proxy->node = nullptr; // handles outliving the node just free themselves
}

void Node::submit(std::function<void()> task) {
  pool_->submit(std::move(task));
}

void Node::add_peer(NodeId peer, std::string address) {
  std::scoped_lock lock(peers_mu_);
  peer_addresses_[peer] = std::move(address);
}

void Node::set_peers(const std::vector<controller::Peer> &peers) {
  std::set<NodeId> live;
  std::vector<std::shared_ptr<net::Connection>> lost;
  std::vector<NodeId> gone;
  {
    std::scoped_lock lock(peers_mu_);
    for (const controller::Peer &p : peers)
      if (p.id != id()) {
        live.insert(p.id);
        peer_addresses_[p.id] = p.address;
      }
    for (auto it = peer_addresses_.begin(); it != peer_addresses_.end();) {
      if (live.contains(it->first)) {
        ++it;
        continue;
      }
      gone.push_back(it->first);
      departed_.insert(it->first);
      if (auto c = connections_.extract(it->first))
        lost.push_back(std::move(c.mapped()));
      it = peer_addresses_.erase(it);
    }
  }
  for (auto &conn : lost)
    conn->close();
  for (NodeId peer : gone) {
    fail_pending(peer, unreachable(peer));
    drop_transfers_from(peer);
  }
}

std::string Node::unreachable(NodeId peer) const {
  std::string node = "node " + std::to_string(peer);
  std::scoped_lock lock(peers_mu_);
  if (departed_.contains(peer))
    return node + " is dead or left the logical process";
  if (auto it = peer_addresses_.find(peer); it != peer_addresses_.end())
    return node + " at " + it->second + " cannot be reached";
  return node + " is unknown";
}

/// True if \p peer is this node or a live peer; asks the controller about
/// a node it has not heard of yet.
bool Node::knows(NodeId peer) {
  {
    std::scoped_lock lock(peers_mu_);
    if (peer == id() || peer_addresses_.contains(peer))
      return true;
    if (!link_ || departed_.contains(peer))
      return false;
  }
  link_->refresh();
  std::scoped_lock lock(peers_mu_);
  return peer_addresses_.contains(peer);
}

void Node::update_location(ProcletId id, NodeId location) {
  std::scoped_lock lock(proxies_mu_);
  if (auto it = proxies_.find(id); it != proxies_.end()) {
    it->second->location.store(location, std::memory_order_relaxed);
    if (location != this->id()) // it left: calls go the request way
      it->second->local.store(nullptr, std::memory_order_release);
  }
}

std::vector<NodeId> Node::nodes() const {
  std::scoped_lock lock(peers_mu_);
  std::vector<NodeId> out{id()};
  for (const auto &[peer, address] : peer_addresses_)
    out.push_back(peer);
  std::sort(out.begin(), out.end());
  return out;
}

net::Handlers Node::handlers() {
  net::Handlers h;
  h.on_frame = [this](const std::shared_ptr<net::Connection> &conn,
                      Bytes frame) { on_frame(conn, std::move(frame)); };
  h.on_close = [this](const std::shared_ptr<net::Connection> &conn,
                      std::error_code) { on_close(conn); };
  return h;
}

std::shared_ptr<net::Connection> Node::connection(NodeId peer) {
  if (!knows(peer))
    return nullptr;
  std::scoped_lock lock(peers_mu_);
  if (auto it = connections_.find(peer); it != connections_.end())
    return it->second;
  auto address = peer_addresses_.find(peer);
  if (address == peer_addresses_.end())
    return nullptr;
  auto conn = transport_->connect(address->second, handlers());
  if (!conn)
    return nullptr;
  connections_[peer] = *conn;
  return *conn;
}

void Node::send_frame(NodeId to, Bytes frame) {
  if (auto conn = connection(to))
    conn->send(std::move(frame));
}

/// Where proclet \p id went, if its cached node \p gone cannot be reached
/// (it left after a drain, or died): the controller knows; else \p gone.
NodeId Node::relocated_from(ProcletId id, NodeId gone) {
  auto where = link_ ? link_->resolve(id) : std::nullopt;
  if (!where || where->node == gone)
    return gone;
  update_location(id, where->node);
  return where->node;
}

std::uint64_t Node::request_rpc(NodeId to, net::FrameHeader header, Bytes frame,
                                std::shared_ptr<CallState> state) {
  using enum net::FrameKind;
  const net::FrameKind k = header.kind;
  if ((k == Call || k == CallClosure || k == GrantWeight || k == Move) &&
      header.proclet_id != 0 && to != id() && !connection(to))
    to = relocated_from(header.proclet_id, to);
  header.request_id = next_request_.fetch_add(1, std::memory_order_relaxed);
  state->set_remote(this, header.request_id, header.proclet_id,
                    CallState::Clock::now() + options_.call_timeout);
  net::finish_frame(frame, header);
  if (to == id()) { // loopback: served by our own workers
    submit([this, frame = std::move(frame), state]() mutable {
      serve(std::move(frame), [state](Bytes reply) {
        auto view = net::parse_frame(reply);
        auto kind =
            static_cast<ReplyKind>(static_cast<int>(view->header.kind) -
                                   static_cast<int>(net::FrameKind::Result));
        state->complete_remote(kind, std::move(reply), net::kHeaderSize);
      });
    });
    return header.request_id;
  }
  auto conn = connection(to);
  if (!conn) {
    state->fail(std::make_exception_ptr(
        ProcletUnavailable(header.proclet_id, unreachable(to))));
    return header.request_id;
  }
  {
    std::scoped_lock lock(pending_mu_);
    pending_[header.request_id] = {state, to, nullptr};
  }
  if (auto error = conn->send(std::move(frame))) {
    cancel_request(header.request_id);
    state->fail(std::make_exception_ptr(ProcletUnavailable(
        header.proclet_id,
        "cannot send to node " + std::to_string(to) + ": " + error.message())));
  }
  return header.request_id;
}

/// Sends a request on behalf of another node; \p relay gets the reply, or
/// empty bytes if none will come.
void Node::relay_rpc(NodeId to, net::FrameHeader header, Bytes frame,
                     Reply relay) {
  header.request_id = next_request_.fetch_add(1, std::memory_order_relaxed);
  net::finish_frame(frame, header);
  auto conn = connection(to);
  if (!conn)
    return relay({});
  {
    std::scoped_lock lock(pending_mu_);
    pending_[header.request_id] = {nullptr, to, relay};
  }
  if (conn->send(std::move(frame))) {
    cancel_request(header.request_id);
    relay({});
  }
}

void Node::send_request(ProcletId id, NodeId location, RequestKind kind,
                        std::uint64_t target, std::uint64_t aux, Bytes frame,
                        std::shared_ptr<CallState> state) {
  net::FrameHeader header;
  header.kind = kind == RequestKind::Method ? net::FrameKind::Call
                                            : net::FrameKind::CallClosure;
  header.proclet_id = id;
  header.target = target;
  header.aux = aux;
  request_rpc(location, header, std::move(frame), std::move(state));
}

void Node::cancel_request(std::uint64_t request_id) {
  std::scoped_lock lock(pending_mu_);
  pending_.erase(request_id);
}

void Node::on_frame(const std::shared_ptr<net::Connection> &conn, Bytes frame) {
  auto view = net::parse_frame(frame);
  if (!view) {
    std::cerr << "nu: closing connection " << conn->peer_address() << ": "
              << view.failure().message << "\n";
    conn->close();
    return;
  }
  switch (view->header.kind) {
  case net::FrameKind::Result:
  case net::FrameKind::Error:
  case net::FrameKind::Unavailable:
    on_reply(view->header, std::move(frame));
    return;
  default:
    break;
  }
  if (stopping_)
    return;
  submit([this, conn, frame = std::move(frame)]() mutable {
    serve(std::move(frame),
          [conn](Bytes reply) { conn->send(std::move(reply)); });
  });
}

void Node::on_reply(const net::FrameHeader &header, Bytes frame) {
  Pending pending;
  {
    std::scoped_lock lock(pending_mu_);
    auto it = pending_.find(header.request_id);
    if (it == pending_.end())
      return; // the caller gave up waiting
    pending = std::move(it->second);
    pending_.erase(it);
  }
  if (pending.relay)
    return pending.relay(std::move(frame));
  if (header.flags & net::kRelocated) // forwarded: repair the cache
    update_location(header.proclet_id, static_cast<NodeId>(header.target));
  pending.state->complete_remote(reply_kind(header.kind), std::move(frame),
                                 net::kHeaderSize);
}

void Node::on_close(const std::shared_ptr<net::Connection> &conn) {
  NodeId peer = 0;
  {
    std::scoped_lock lock(peers_mu_);
    for (auto it = connections_.begin(); it != connections_.end(); ++it)
      if (it->second == conn) {
        peer = it->first;
        connections_.erase(it);
        break;
      }
  }
  if (peer != 0)
    fail_pending(peer, "the connection to node " + std::to_string(peer) +
                           " was lost");
}

void Node::fail_pending(NodeId peer, const std::string &why) {
  std::vector<Pending> failed;
  {
    std::scoped_lock lock(pending_mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (peer == 0 || it->second.peer == peer) {
        failed.push_back(std::move(it->second));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto &p : failed) {
    if (p.relay)
      p.relay({});
    else
      p.state->fail_unavailable(why);
  }
}

} // namespace nu::detail
