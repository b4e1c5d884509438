// A node's links to its peers: listening, connecting, sending requests and
// matching replies to waiting callers.
#include "Node.hpp"

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
  WorkerPool::Options pool;
  pool.threads = options_.workers;
  pool.name = "nu-w" + std::to_string(options_.id);
  pool.on_thread_start = [this] { tls_node = this; };
  pool_ = std::make_unique<WorkerPool>(std::move(pool));
}

Node::~Node() {
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

std::uint64_t Node::request_rpc(NodeId to, net::FrameHeader header, Bytes frame,
                                std::shared_ptr<CallState> state) {
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
    state->fail(std::make_exception_ptr(ProcletUnavailable(
        header.proclet_id, "node " + std::to_string(to) + " is unknown")));
    return header.request_id;
  }
  {
    std::scoped_lock lock(pending_mu_);
    pending_[header.request_id] = {state, to};
  }
  if (auto error = conn->send(std::move(frame))) {
    cancel_request(header.request_id);
    state->fail(std::make_exception_ptr(ProcletUnavailable(
        header.proclet_id,
        "cannot send to node " + std::to_string(to) + ": " + error.message())));
  }
  return header.request_id;
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
  std::shared_ptr<CallState> state;
  {
    std::scoped_lock lock(pending_mu_);
    auto it = pending_.find(header.request_id);
    if (it == pending_.end())
      return; // the caller gave up waiting
    state = std::move(it->second.state);
    pending_.erase(it);
  }
  state->complete_remote(reply_kind(header.kind), std::move(frame),
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
  for (auto &p : failed)
    p.state->fail_unavailable(why);
}

} // namespace nu::detail
