// The controller service: decodes each Control request, applies it to the
// ControllerCore, replies; a thread expires nodes that stopped beating.
#include "Service.hpp"
#include "nu/log/log.hpp"

#include <stdexcept>

namespace nu::controller {
namespace {

using detail::Bytes;

template <class... Ts> Bytes reply_bytes(const ReplyStatus &s, const Ts &...v) {
  Bytes frame = wire::start_frame();
  detail::encode(frame, detail::SerialContext{}, s, v...);
  return frame;
}
template <class T> Bytes ok(const T &value) {
  return reply_bytes(ReplyStatus{}, value);
}
Bytes ok() { return reply_bytes(ReplyStatus{}); }
Bytes failed(const Failure &e) {
  return reply_bytes(ReplyStatus{false, errc_of(e.code), e.message});
}
template <class T> Bytes reply(const Expected<T> &r) {
  return r ? ok(*r) : failed(r.failure());
}

template <class T> T read(detail::Decoder &in) {
  T value{};
  in(value);
  in.finish();
  return value;
}

std::string not_joined_as(NodeId id) {
  return "this connection did not join as node " + std::to_string(id);
}

Bytes control_frame(Op op, std::uint64_t request_id, Bytes frame) {
  wire::FrameHeader h;
  h.kind = wire::FrameKind::Control;
  h.target = static_cast<std::uint64_t>(op);
  h.request_id = request_id;
  if (request_id == 0)
    h.flags = wire::kOneWay;
  wire::finish_frame(frame, h);
  return frame;
}

} // namespace

std::string_view to_string(NodeState state) {
  switch (state) {
  case NodeState::live:
    return "live";
  case NodeState::left:
    return "left";
  case NodeState::dead:
    return "dead";
  }
  return "unknown";
}

namespace {

/// The core's options, with the time a node whose connection closed has to
/// come back: one and a half heartbeats (a node reconnects at its next).
ControllerOptions core_options(const ServiceOptions &o) {
  ControllerOptions core = o.core;
  core.reconnect_timeout =
      std::min<Clock::duration>(3 * o.heartbeat / 2, core.heartbeat_timeout);
  return core;
}

} // namespace

Service::Service(ServiceOptions options)
    : options_(std::move(options)),
      recovered_at_(Clock::now() + options_.recover_for),
      core_(core_options(options_)),
      peer_lines_(std::make_unique<log::RateLimit>()) {
  auto transport =
      net::make_transport(options_.transport, options_.transport_options);
  if (!transport)
    throw std::runtime_error("nu-controller: " + transport.failure().message);
  transport_ = std::move(*transport);
  expirer_ = std::thread([this] { expire_loop(); });
}

Service::~Service() { shutdown(); }

void Service::shutdown() {
  {
    std::scoped_lock lock(mu_);
    if (stopping_)
      return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  expirer_.join();
  transport_->shutdown();
  std::scoped_lock lock(mu_);
  nodes_.clear();
}

detail::Expected<std::string> Service::listen(const std::string &address) {
  net::Handlers h;
  h.on_frame = [this](const Conn &conn, Bytes frame) {
    on_frame(conn, std::move(frame));
  };
  h.on_close = [this](const Conn &conn, std::error_code) {
    std::scoped_lock lock(mu_);
    std::erase_if(nodes_, [&](const auto &entry) {
      if (entry.second != conn)
        return false;
      core_.nodes().connection(entry.first, Clock::now());
      return true;
    });
  };
  return transport_->listen(address, std::move(h));
}

void Service::log(const std::string &line) const {
  log::get("controller").info("{}", line);
}

/// For lines a peer can cause: at most a few a second.
void Service::log_limited(const Conn &conn, const std::string &line) const {
  log::limited(*peer_lines_, log::get("controller"), log::Level::warn,
               "connection {}: {}", conn->peer_address(), line);
}

void Service::on_frame(const Conn &conn, Bytes frame) {
  auto view = wire::parse_frame(frame);
  if (view &&
      (view->header.kind != wire::FrameKind::Control ||
       view->header.target == 0 || view->header.target > kMaxOp ||
       (view->header.request_id == 0 && !(view->header.flags & wire::kOneWay))))
    view = detail::Failure{std::make_error_code(std::errc::bad_message),
                           "not a controller request"};
  if (!view) {
    log_limited(conn, "closing it: " + view.failure().message);
    conn->close();
    return;
  }
  Bytes out;
  try {
    out = handle(conn, *view);
  } catch (const detail::DecodeError &e) {
    out = failed({Errc::invalid_argument,
                  std::string("malformed request: ") + e.what()});
  }
  if ((view->header.flags & wire::kOneWay) != 0 || out.empty())
    return;
  auto op = static_cast<Op>(view->header.target);
  conn->send(control_frame(op, view->header.request_id, std::move(out)));
}

Bytes Service::handle(const Conn &conn, const wire::FrameView &frame) {
  detail::Decoder in(frame.payload, detail::SerialContext{});
  switch (static_cast<Op>(frame.header.target)) {
  case Op::Join:
    return join(conn, in);
  case Op::Rejoin:
    return rejoin(conn, in);
  case Op::Heartbeat:
    return heartbeat(conn, in);
  case Op::Leave:
    return leave(conn, in);
  case Op::Leaving:
    return leaving(conn, in);
  case Op::Place:
    return place(in);
  case Op::PlaceMany:
    return place_many(conn, in);
  case Op::GrantIds:
    return grant_ids(conn, in);
  case Op::Register:
    return register_proclets(conn, in);
  case Op::Unregister:
    return unregister_proclets(conn, in);
  case Op::Resolve:
    return resolve(in);
  case Op::ResolveMany:
    return resolve_many(in);
  case Op::Claim:
    return claim(conn, in);
  case Op::Status:
    in.finish(); // both carry nothing
    return status();
  case Op::EndProcess:
    in.finish();
    return end_process(conn);
  case Op::Exit:
    break;
  }
  return failed({Errc::invalid_argument, "not a request"});
}

Membership Service::membership() {
  Membership m;
  for (const NodeInfo &n : core_.nodes().all_nodes())
    if (n.state == NodeState::live)
      m.peers.push_back({n.id, n.address, n.published});
    else
      m.gone.push_back(n.id);
  return m;
}

std::optional<Failure> Service::recovering() const {
  auto left = recovered_at_ - Clock::now();
  if (left <= Clock::duration::zero())
    return std::nullopt;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left);
  return Failure{Errc::recovering,
                 "the controller restarted and waits " +
                     std::to_string(ms.count() + 1) +
                     " ms more for the nodes to rejoin; retry"};
}

bool Service::bound(NodeId id, const Conn &conn) const {
  std::scoped_lock lock(mu_);
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second == conn;
}

void Service::bind(NodeId id, const Conn &conn, bool main) {
  std::scoped_lock lock(mu_);
  nodes_[id] = conn;
  core_.nodes().connection(id, std::nullopt);
  if (main)
    main_node_ = id;
}

/// A refusal: logged (rate-limited) and answered with permission_denied.
Failure Service::refuse(const Conn &conn, std::string message) {
  log_limited(conn, message);
  return Failure{Errc::permission_denied, std::move(message)};
}

/// Nothing if \p conn joined or rejoined as node \p id, else the refusal of
/// \p what.
std::optional<Failure> Service::check_bound(const Conn &conn,
                                            std::string_view what, NodeId id) {
  if (bound(id, conn))
    return std::nullopt;
  return refuse(conn, std::string(what) + " for node " + std::to_string(id) +
                          " refused: " + not_joined_as(id));
}

/// A node may rejoin on a new connection once its old one closed (which
/// unbinds it; a restarted controller has no bindings at all), never while
/// another open connection is bound to its id.
std::optional<Failure> Service::check_rejoin(const Conn &conn, NodeId id) {
  bool elsewhere = false;
  {
    std::scoped_lock lock(mu_);
    auto it = nodes_.find(id);
    elsewhere = it != nodes_.end() && it->second != conn;
  }
  if (!elsewhere)
    return std::nullopt;
  const std::string node = "node " + std::to_string(id);
  return refuse(conn, "rejoin as " + node + " refused: " + node +
                          " is connected on another connection");
}

/// A logical process has one main node: claiming the role (\p what is
/// "join" or "rejoin", as node \p id, 0 for a new node) is refused while
/// another node holds it and is live.
std::optional<Failure> Service::check_main(const Conn &conn,
                                           std::string_view what, NodeId id) {
  NodeId main = 0;
  {
    std::scoped_lock lock(mu_);
    main = main_node_;
  }
  if (main == 0 || main == id || !core_.nodes().check_live(main))
    return std::nullopt;
  return refuse(conn, std::string(what) + " as the main node refused: node " +
                          std::to_string(main) + " is the main node");
}

/// What a node that failed to \p what ("join" or "rejoin") is told. A
/// different binary is only named as such: the build ids and schema
/// digests go to the log, never to the peer.
Failure Service::refused_node(const Conn &conn, std::string_view what,
                              const NodeHello &hello, const Failure &why) {
  log_limited(conn, std::string(what) + " refused: " + why.message);
  if (why.code != Errc::binary_mismatch)
    return why;
  return Failure{Errc::binary_mismatch,
                 "node at " + hello.address + " runs a different binary"};
}

Bytes Service::join(const Conn &conn, detail::Decoder &in) {
  auto request = read<JoinRequest>(in);
  if (auto wait = recovering())
    return failed(*wait);
  std::scoped_lock claim(claim_mu_);
  if (request.main)
    if (auto refused = check_main(conn, "join", 0))
      return failed(*refused);
  auto id = core_.join(request.hello, request.load, Clock::now());
  if (!id)
    return failed(refused_node(conn, "join", request.hello, id.failure()));
  auto ids = core_.ids().grant();
  if (!ids)
    return failed(ids.failure());
  bind(*id, conn, request.main);
  log("node " + std::to_string(*id) + " joined from " + request.hello.address +
      (request.main ? " (main)" : ""));
  return ok(JoinReply{*id, *ids, membership().peers,
                      static_cast<std::uint32_t>(options_.heartbeat.count())});
}

Bytes Service::rejoin(const Conn &conn, detail::Decoder &in) {
  auto request = read<RejoinRequest>(in);
  const NodeId id = request.report.id;
  std::scoped_lock claim(claim_mu_);
  if (auto refused = check_rejoin(conn, id))
    return failed(*refused);
  if (request.main)
    if (auto refused = check_main(conn, "rejoin", id))
      return failed(*refused);
  auto stats = core_.rejoin(request.report, Clock::now());
  if (!stats)
    return failed(
        refused_node(conn, "rejoin", request.report.hello, stats.failure()));
  bind(id, conn, request.main);
  log("node " + std::to_string(id) + " rejoined with " +
      std::to_string(stats->applied) + " proclets");
  return ok(membership());
}

Bytes Service::heartbeat(const Conn &conn, detail::Decoder &in) {
  auto request = read<HeartbeatRequest>(in);
  if (auto refused = check_bound(conn, "heartbeat", request.id))
    return failed(*refused);
  if (auto beat = core_.nodes().heartbeat(request.id, request.load,
                                          Clock::now(), request.published);
      !beat)
    return failed(beat.failure());
  return ok(membership());
}

/// The connection stays bound: leaving twice is no error, and the main
/// node ends the process after it left.
Bytes Service::leave(const Conn &conn, detail::Decoder &in) {
  auto id = read<NodeId>(in);
  if (auto refused = check_bound(conn, "leave", id))
    return failed(*refused);
  auto dropped = core_.leave(id);
  if (!dropped)
    return failed(dropped.failure());
  log("node " + std::to_string(id) + " left");
  return ok();
}

/// A node about to leave moves its proclets away first: nothing new may be
/// placed on it meanwhile.
Bytes Service::leaving(const Conn &conn, detail::Decoder &in) {
  auto id = read<NodeId>(in);
  if (auto refused = check_bound(conn, "leaving", id))
    return failed(*refused);
  auto marked = core_.nodes().mark_leaving(id);
  if (!marked)
    return failed(marked.failure());
  log("node " + std::to_string(id) +
      " is leaving: nothing more is placed there");
  return ok();
}

Bytes Service::place(detail::Decoder &in) {
  return reply(core_.placement().place(read<PlacementRequest>(in)));
}

/// Only a node may lease placements: each reserves room on the nodes.
Bytes Service::place_many(const Conn &conn, detail::Decoder &in) {
  auto lease = read<PlacementLease>(in);
  if (auto refused = check_bound(conn, "placement lease", lease.node))
    return failed(*refused);
  return reply(core_.placement().place_many(lease));
}

Bytes Service::grant_ids(const Conn &conn, detail::Decoder &in) {
  auto id = read<NodeId>(in);
  if (auto refused = check_bound(conn, "id grant", id))
    return failed(*refused);
  if (auto live = core_.nodes().check_live(id); !live)
    return failed(live.failure());
  if (auto wait = recovering())
    return failed(*wait);
  return reply(core_.ids().grant());
}

/// A node registers only proclets it hosts: a message naming another node
/// is dropped whole. Only live nodes' proclets are recorded; the check
/// after the update catches a node that died meanwhile (expiry marks it
/// dead, then drops).
Bytes Service::register_proclets(const Conn &conn, detail::Decoder &in) {
  auto registrations = read<std::vector<Registration>>(in);
  for (const Registration &r : registrations)
    if (check_bound(conn, "registration", r.location.node))
      return {};
  for (const Registration &r : registrations) {
    if (!core_.nodes().check_live(r.location.node))
      continue;
    core_.locations().update(r.id, r.location.node, r.location.epoch);
    if (!core_.nodes().check_live(r.location.node))
      (void)core_.locations().remove(r.id);
  }
  return {};
}

/// Only the node hosting a proclet destroys it, and the map follows a
/// proclet that migrates (the destination registers it at a newer epoch),
/// so a proclet is forgotten only at the word of the node the map names.
/// The removal checks that node again under the map's lock: a newer
/// registration elsewhere that came in meanwhile is kept. Proclets not in
/// the map are ignored, as before.
Bytes Service::unregister_proclets(const Conn &conn, detail::Decoder &in) {
  std::size_t refused = 0;
  std::string first;
  for (ProcletId id : read<std::vector<ProcletId>>(in)) {
    auto where = core_.locations().resolve(id);
    if (!where)
      continue;
    if (bound(where->node, conn)) {
      (void)core_.locations().remove_from(id, where->node);
      continue;
    }
    if (refused++ == 0)
      first = "unregister of proclet " + std::to_string(id) + " on node " +
              std::to_string(where->node) +
              " refused: " + not_joined_as(where->node);
  }
  if (refused > 1)
    first += " (and " + std::to_string(refused - 1) + " more proclets)";
  if (refused > 0)
    (void)refuse(conn, first);
  return {};
}

/// A backup of a proclet whose host died asks to host it at a newer epoch:
/// granted to the first copy that asks at an epoch above every one known
/// for it (the backups left behind by a reconfiguration never are).
Bytes Service::claim(const Conn &conn, detail::Decoder &in) {
  auto r = read<Registration>(in);
  if (auto refused = check_bound(conn, "claim", r.location.node))
    return failed(*refused);
  if (!core_.nodes().check_live(r.location.node))
    return ok(false);
  return ok(core_.locations().update(r.id, r.location.node, r.location.epoch));
}

Bytes Service::resolve(detail::Decoder &in) {
  return reply(core_.locations().resolve(read<ProcletId>(in)));
}

/// Where each proclet is, in order; node 0 for one the map does not know.
Bytes Service::resolve_many(detail::Decoder &in) {
  auto ids = read<std::vector<ProcletId>>(in);
  if (ids.size() > kMaxResolveMany)
    return failed({Errc::invalid_argument, "a ResolveMany is for at most " +
                                               std::to_string(kMaxResolveMany) +
                                               " proclets, not " +
                                               std::to_string(ids.size())});
  std::vector<Location> out;
  out.reserve(ids.size());
  for (ProcletId id : ids) {
    auto where = core_.locations().resolve(id);
    out.push_back(where ? *where : Location{});
  }
  return ok(out);
}

// A live node's proclet count is the location map's, which every
// registration updates at once (its heartbeat's lags a migration).
Bytes Service::status() {
  StatusReply reply{core_.nodes().all_nodes(), core_.locations().size()};
  auto counts = core_.locations().count_by_node();
  for (NodeInfo &n : reply.nodes)
    if (n.state == NodeState::live)
      n.load.proclet_count = counts[n.id];
  return ok(reply);
}

Bytes Service::end_process(const Conn &conn) {
  NodeId main = 0;
  {
    std::scoped_lock lock(mu_);
    main = main_node_;
  }
  if (!bound(main, conn)) // ids start at 1: none is bound as 0
    return failed(refuse(conn, "ending the logical process refused: this "
                               "connection did not join as the main node"));
  log("the logical process ended (main node " + std::to_string(main) + ")");
  push_exit(main);
  return ok();
}

void Service::push_exit(NodeId except) {
  std::map<NodeId, Conn> targets;
  {
    std::scoped_lock lock(mu_);
    targets = nodes_;
  }
  for (const auto &[id, conn] : targets)
    if (id != except && core_.nodes().check_live(id))
      conn->send(control_frame(Op::Exit, 0, wire::start_frame()));
}

/// True (and every live node given a fresh timeout) if this loop last ran
/// so long ago, at \p last, that the controller itself must have been
/// paused or starved: the nodes' silence is then its own.
bool Service::was_paused(Clock::time_point &last) {
  const auto now = Clock::now();
  const auto gap = now - std::exchange(last, now);
  const auto limit = std::max<Clock::duration>(
      2 * options_.heartbeat, options_.core.heartbeat_timeout / 2);
  if (gap <= limit)
    return false;
  core_.nodes().grace(now);
  log("the controller did not run for " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(gap).count()) +
      " ms (paused?): every node gets a fresh heartbeat timeout");
  return true;
}

void Service::expire_loop() {
  std::unique_lock lock(mu_);
  auto last = Clock::now();
  while (!stop_cv_.wait_for(lock, options_.heartbeat / 2,
                            [this] { return stopping_; })) {
    lock.unlock();
    if (was_paused(last)) {
      lock.lock();
      continue;
    }
    auto lost = core_.expire(Clock::now());
    bool main_lost = false;
    for (const LostNode &node : lost) {
      log("node " + std::to_string(node.id) +
          " missed its heartbeats: marked dead, " +
          std::to_string(node.proclets.size()) + " proclets lost");
      lock.lock();
      main_lost = main_lost || node.id == main_node_;
      lock.unlock();
    }
    if (main_lost) {
      log("the main node is dead: ending the logical process");
      push_exit(0);
    }
    lock.lock();
  }
}

} // namespace nu::controller
