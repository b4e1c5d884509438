// A node's links to its peers: listening, connecting, sending requests
// through its endpoint and completing callers with the replies.
#include "Node.hpp"

#include "ControllerLink.hpp"
#include "Errors.hpp"
#include "Replies.hpp"
#include "nu/errors.hpp"
#include "replicate/Record.hpp"

#include <algorithm>

namespace nu::detail {
namespace {

ReplyKind reply_kind(wire::FrameKind kind) {
  return static_cast<ReplyKind>(static_cast<int>(kind) -
                                static_cast<int>(wire::FrameKind::Result));
}

} // namespace

Node::Node(Options options) : options_(std::move(options)) {
  auto transport =
      net::make_transport(options_.transport, options_.transport_options);
  if (!transport)
    raise("", transport.failure());
  transport_ = std::move(*transport);
  endpoint_ = make_endpoint();
  auto address = endpoint_->listen(options_.listen_address);
  if (!address)
    raise("cannot listen", address.failure());
  address_ = *address;
  if (!options_.controller.empty()) {
    ControllerLink::Hooks hooks;
    hooks.set_peers = [this](const auto &peers) { set_peers(peers); };
    hooks.proclets = [this] { return proclet_reports(); };
    hooks.proclet_count = [this] { return proclet_count(); };
    hooks.declared_dead = [this] { submit([this] { stand_down_stale(); }); };
    hooks.beat_done = [this] { refresh_watched(); };
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
  start_serving();
  if (link_)
    link_->start();
}

/// Requests that came before the node was whole (peers may learn of it
/// once it joined, before its workers exist: on_request parks them) run
/// now.
void Node::start_serving() {
  std::vector<std::function<void()>> early;
  {
    std::scoped_lock lock(early_mu_);
    ready_.store(true, std::memory_order_release);
    early.swap(early_);
  }
  for (auto &task : early)
    pool_->submit(std::move(task));
}

Node::~Node() {
  if (link_)
    link_->stop();
  stopping_ = true;
  later_.stop();     // calls waiting to be sent again give up now
  pool_->shutdown(); // runs what is queued; later work runs inline
  std::unordered_map<ProcletId, std::shared_ptr<Slot>> left;
  {
    std::unique_lock lock(slots_mu_);
    left.swap(slots_);
  }
  for (auto &[id, slot] : left) // still referenced (a cycle, a leak)
    destroy(slot);
  transport_->shutdown();
  endpoint_->fail_all({std::make_error_code(std::errc::operation_canceled),
                       "the node shut down"});
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

/// Takes the controller's membership: live peers are (again) reachable,
/// and the connections to peers it lists as dead or departed are closed,
/// failing their calls. A peer it does not list at all (a restarted
/// controller has not heard from it yet) is kept.
void Node::set_peers(const controller::Membership &membership) {
  std::vector<std::pair<NodeId, std::shared_ptr<net::Connection>>> lost;
  std::vector<NodeId> gone;
  {
    std::scoped_lock lock(peers_mu_);
    for (const controller::Peer &p : membership.peers)
      if (p.id != id()) {
        peer_addresses_[p.id] = p.address;
        peer_published_[p.id] = p.published;
        departed_.erase(p.id); // declared dead, then back (it was paused)
      }
    for (NodeId peer : membership.gone) {
      // Gone for the controller too: should it list that id as live again
      // (a restarted controller may give it to a new node), it is.
      leaving_peers_.erase(peer);
      if (peer == id() || !departed_.insert(peer).second)
        continue; // known already
      gone.push_back(peer);
      peer_addresses_.erase(peer);
      peer_published_.erase(peer);
      if (auto c = connections_.extract(peer))
        lost.emplace_back(peer, std::move(c.mapped()));
    }
  }
  for (auto &[peer, conn] : lost) {
    conn->close();
    endpoint_->fail(*conn, {std::make_error_code(std::errc::connection_reset),
                            unreachable(peer)});
  }
  for (NodeId peer : gone)
    incoming_.drop_from(peer); // a node gone mid-transfer sends no more
  if (!gone.empty())
    take_over({gone.begin(), gone.end()});
}

std::string Node::unreachable(NodeId peer) const {
  std::string node = "node " + std::to_string(peer);
  std::scoped_lock lock(peers_mu_);
  if (leaving_peers_.contains(peer))
    return node + " left the logical process";
  if (departed_.contains(peer))
    return node + " is dead or left the logical process";
  if (auto it = peer_addresses_.find(peer); it != peer_addresses_.end())
    return node + " at " + it->second + " cannot be reached";
  return node + " is unknown";
}

/// True if \p peer is this node or a live peer (not one leaving); asks the
/// controller about a node it has not heard of yet.
bool Node::knows(NodeId peer) {
  {
    std::scoped_lock lock(peers_mu_);
    if (leaving_peers_.contains(peer))
      return false;
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

std::unique_ptr<rpc::Endpoint> Node::make_endpoint() {
  rpc::EndpointHandlers h;
  h.on_request = [this](const std::shared_ptr<net::Connection> &conn,
                        Bytes frame) { on_request(conn, std::move(frame)); };
  h.on_close = [this](const std::shared_ptr<net::Connection> &conn,
                      std::error_code) { on_close(conn); };
  h.name = "node";
  return std::make_unique<rpc::Endpoint>(*transport_, std::move(h));
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
  auto conn = endpoint_->connect(address->second);
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

std::uint64_t Node::request_rpc(NodeId to, wire::FrameHeader header,
                                Bytes frame, std::shared_ptr<CallState> state,
                                Done done) {
  if (!done)
    done = [this, state](Expected<Bytes> reply) {
      complete_call(*state, std::move(reply));
    };
  using enum wire::FrameKind;
  const wire::FrameKind k = header.kind;
  if ((k == Call || k == CallClosure || k == GrantWeight || k == Move) &&
      header.proclet_id != 0 && to != id() && !connection(to))
    to = relocated_from(header.proclet_id, to);
  header.request_id = endpoint_->new_request_id();
  auto deadline = CallState::Clock::now() + options_.call_timeout;
  state->set_remote(this, header.request_id, header.proclet_id, deadline);
  if (to == id()) { // loopback: served by our own workers
    wire::finish_frame(frame, header);
    submit([this, frame = std::move(frame), done]() mutable {
      serve(std::move(frame), [done](Bytes reply) { done(std::move(reply)); });
    });
    return header.request_id;
  }
  auto conn = connection(to);
  if (!conn) {
    done(Failure{std::make_error_code(std::errc::connection_reset),
                 unreachable(to)});
    return header.request_id;
  }
  endpoint_->call(conn, header, std::move(frame), deadline, std::move(done));
  return header.request_id;
}

void Node::complete_call(CallState &state, Expected<Bytes> reply) {
  if (!reply) {
    if (reply.failure().code == std::errc::timed_out)
      return state.fail_timeout(options_.call_timeout);
    return state.fail_unavailable(reply.failure().message);
  }
  auto header = wire::parse_header(*reply);
  if (header->flags & wire::kReplicated)
    note_replicated(header->proclet_id);
  if (header->flags & wire::kRelocated) // forwarded: repair the cache
    update_location(header->proclet_id, static_cast<NodeId>(header->target));
  state.complete_remote(reply_kind(header->kind), std::move(*reply),
                        wire::kHeaderSize);
}

/// Sends a request on behalf of another node; \p relay gets the reply, or
/// empty bytes if none will come.
void Node::relay_rpc(NodeId to, wire::FrameHeader header, Bytes frame,
                     Reply relay) {
  auto conn = connection(to);
  if (!conn)
    return relay({});
  header.request_id = 0; // a new id of ours
  endpoint_->call(conn, header, std::move(frame),
                  CallState::Clock::now() + options_.call_timeout,
                  [relay = std::move(relay)](Expected<Bytes> reply) {
                    relay(reply ? std::move(*reply) : Bytes{});
                  });
}

/// A call to a replicated proclet, and how long it may be sent again.
struct Node::Retry {
  wire::FrameHeader header;
  Bytes frame; // tagged: the proclet runs it at most once however often sent
  NodeId location;
  CallState::Clock::time_point deadline;
  std::shared_ptr<CallState> state;
  Done done;
};

namespace {

constexpr std::chrono::milliseconds kRetryPause{50};

// No reply came, or the node did not have the proclet (yet).
bool retryable(const Expected<Bytes> &reply) {
  return !reply ||
         wire::parse_header(*reply)->kind == wire::FrameKind::Unavailable;
}

} // namespace

void Node::send_request(ProcletId id, NodeId location, RequestKind kind,
                        std::uint64_t target, std::uint64_t aux, Bytes frame,
                        std::shared_ptr<CallState> state) {
  wire::FrameHeader header;
  header.kind = kind == RequestKind::Method ? wire::FrameKind::Call
                                            : wire::FrameKind::CallClosure;
  header.proclet_id = id;
  header.target = target;
  header.aux = aux;
  if (current_replayer())
    return replay_call(header, *state);
  Done done = [this, state](Expected<Bytes> reply) {
    complete_call(*state, std::move(reply));
  };
  if (auto recorder = current_recorder()) {
    auto index = recorder->reserve(
        {id, static_cast<std::uint8_t>(header.kind), target, aux, {}});
    done = [recorder, index, done](Expected<Bytes> reply) {
      recorder->fill(index, reply);
      done(std::move(reply));
    };
  }
  if (!known_replicated(id)) {
    request_rpc(location, header, std::move(frame), std::move(state),
                std::move(done));
    return;
  }
  header.flags |= wire::kTagged;
  encode(frame, SerialContext{}, CallTag{this->id(), next_call_++});
  auto deadline = CallState::Clock::now() + options_.call_timeout;
  send_retrying(std::make_shared<Retry>(Retry{
      header, std::move(frame), location, deadline, state, std::move(done)}));
}

/// Sends a call to a replicated proclet, and again, to where the controller
/// says the proclet is, while its primary cannot be reached or refuses it:
/// until a backup took over or the call's time is up.
void Node::send_retrying(const std::shared_ptr<Retry> &retry) {
  request_rpc(retry->location, retry->header, retry->frame, retry->state,
              [this, retry](Expected<Bytes> reply) {
                if (!retryable(reply) || stopping_ ||
                    CallState::Clock::now() >= retry->deadline)
                  return retry->done(std::move(reply));
                later_.after(kRetryPause, [this, retry] {
                  retry->location =
                      relocated_from(retry->header.proclet_id, retry->location);
                  send_retrying(retry);
                });
              });
}

void Node::note_replicated(ProcletId id) {
  {
    std::shared_lock lock(replicated_mu_);
    if (replicated_.contains(id))
      return;
  }
  std::unique_lock lock(replicated_mu_);
  replicated_.insert(id);
}

bool Node::known_replicated(ProcletId id) const {
  std::shared_lock lock(replicated_mu_);
  return replicated_.contains(id);
}

/// A call a backup's replay makes: answered with what the primary's call
/// got, or refused if the primary made no such call.
void Node::replay_call(const wire::FrameHeader &header, CallState &state) {
  auto deadline = CallState::Clock::now() + options_.call_timeout;
  state.set_remote(this, 0, header.proclet_id, deadline);
  auto reply = current_replayer()->next({header.proclet_id,
                                         static_cast<std::uint8_t>(header.kind),
                                         header.target,
                                         header.aux,
                                         {}});
  if (!reply)
    return state.fail(std::make_exception_ptr(
        Error("nu: a replicated method made a call on its backup that it did "
              "not make on its primary")));
  complete_call(state, std::move(*reply));
}

void Node::cancel_request(std::uint64_t request_id) {
  endpoint_->cancel(request_id);
}

// A validated request frame from a peer (replies went to their callers).
void Node::on_request(const std::shared_ptr<net::Connection> &conn,
                      Bytes frame) {
  if (stopping_)
    return;
  auto header = wire::parse_header(frame); // validated by the endpoint
  if (!may_serve(conn->peer_role(), *header))
    return refuse(*conn, *header);
  if (header->kind == wire::FrameKind::GoAway)
    return serve_go_away(conn, *header);
  note_caller(conn, *header);
  Reply reply = [conn, unanswered = Unanswered(unanswered_)](Bytes r) {
    conn->send(std::move(r));
  };
  if (header->kind == wire::FrameKind::Replicate &&
      ready_.load(std::memory_order_acquire))
    // Applied here, in the order they came: a backup applies a primary's
    // operations in sequence, and a worker's wake-up would cost more.
    return serve(std::move(frame), std::move(reply));
  std::function<void()> task = [this, reply = std::move(reply),
                                frame = std::move(frame)]() mutable {
    serve(std::move(frame), std::move(reply));
  };
  if (!ready_.load(std::memory_order_acquire)) { // still in the constructor
    std::scoped_lock lock(early_mu_);
    if (!ready_.load(std::memory_order_relaxed))
      return early_.push_back(std::move(task));
  }
  submit(std::move(task));
}

// What a peer may ask of a node, by the role it proved: moves come from
// operators (nuctl) and the controller, which may ask nothing else (they
// hold no handles); a node may ask anything but a move it does not relay,
// and may list what a node hosts (nu::backup_locations); only a node may
// say it is going away.
// Without a cluster secret no peer proved a role: any may ask anything.
bool Node::may_serve(net::PeerRole role, const wire::FrameHeader &header) {
  bool move = header.kind == wire::FrameKind::Move;
  switch (role) {
  case net::PeerRole::unknown:
    return true;
  case net::PeerRole::node:
    return !move || (header.flags & wire::kForwarded) != 0 ||
           header.aux == wire::kMoveList;
  case net::PeerRole::controller:
  case net::PeerRole::tool:
    return move;
  }
  return false;
}

void Node::refuse(net::Connection &conn, const wire::FrameHeader &header) {
  const std::string why =
      "a move is taken from the controller or nuctl (and from a node only "
      "when it relays one), everything else only from a node";
  log::limited(refusals_, log::get("node"), log::Level::warn,
               "node {}: refused a request of kind {} from {}: {}", id(),
               static_cast<int>(header.kind), conn.peer_address(), why);
  if ((header.flags & wire::kOneWay) == 0)
    conn.send(reply_with(header, wire::FrameKind::Error,
                         std::string("nu::Error"), "nu: " + why));
}

void Node::on_close(const std::shared_ptr<net::Connection> &conn) {
  {
    std::scoped_lock lock(callers_mu_);
    callers_.erase(conn.get());
  }
  NodeId peer = 0;
  {
    std::scoped_lock lock(peers_mu_);
    for (auto it = connections_.begin(); it != connections_.end(); ++it)
      if (it->second == conn) {
        peer = it->first;
        connections_.erase(it);
        break;
      }
    if (auto it = draining_.find(conn.get()); it != draining_.end()) {
      peer = it->second;
      draining_.erase(it);
    }
  }
  if (peer != 0)
    endpoint_->fail(*conn, {std::make_error_code(std::errc::connection_reset),
                            "the connection to node " + std::to_string(peer) +
                                " was lost"});
}

} // namespace nu::detail
