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

Service::Service(ServiceOptions options)
    : options_(std::move(options)),
      recovered_at_(Clock::now() + options_.recover_for), core_(options_.core) {
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
    std::erase_if(nodes_,
                  [&](const auto &entry) { return entry.second == conn; });
  };
  return transport_->listen(address, std::move(h));
}

void Service::log(const std::string &line) const {
  log::get("controller").info("{}", line);
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
    log("closing connection " + conn->peer_address() + ": " +
        view.failure().message);
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
    return heartbeat(in);
  case Op::Leave:
    return leave(conn, in);
  case Op::Place:
    return place(in);
  case Op::GrantIds:
    return grant_ids(in);
  case Op::Register:
    return register_proclets(in);
  case Op::Unregister:
    return unregister_proclets(in);
  case Op::Resolve:
    return resolve(in);
  case Op::Status:
    return status();
  case Op::EndProcess:
    return end_process(conn);
  case Op::Exit:
    break;
  }
  return failed({Errc::invalid_argument, "not a request"});
}

Membership Service::membership() {
  Membership m;
  for (const NodeInfo &n : core_.nodes().live_nodes())
    m.peers.push_back({n.id, n.address});
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

Bytes Service::join(const Conn &conn, detail::Decoder &in) {
  auto request = read<JoinRequest>(in);
  if (auto wait = recovering())
    return failed(*wait);
  auto id = core_.join(request.hello, request.load, Clock::now());
  if (!id) {
    log("refused a node at " + request.hello.address + ": " +
        id.failure().message);
    return failed(id.failure());
  }
  auto ids = core_.ids().grant();
  if (!ids)
    return failed(ids.failure());
  {
    std::scoped_lock lock(mu_);
    nodes_[*id] = conn;
    if (request.main)
      main_node_ = *id;
  }
  log("node " + std::to_string(*id) + " joined from " + request.hello.address +
      (request.main ? " (main)" : ""));
  return ok(JoinReply{*id, *ids, membership().peers,
                      static_cast<std::uint32_t>(options_.heartbeat.count())});
}

Bytes Service::rejoin(const Conn &conn, detail::Decoder &in) {
  auto request = read<RejoinRequest>(in);
  auto stats = core_.rejoin(request.report, Clock::now());
  if (!stats)
    return failed(stats.failure());
  {
    std::scoped_lock lock(mu_);
    nodes_[request.report.id] = conn;
    if (request.main)
      main_node_ = request.report.id;
  }
  log("node " + std::to_string(request.report.id) + " rejoined with " +
      std::to_string(stats->applied) + " proclets");
  return ok(membership());
}

Bytes Service::heartbeat(detail::Decoder &in) {
  auto request = read<HeartbeatRequest>(in);
  if (auto beat =
          core_.nodes().heartbeat(request.id, request.load, Clock::now());
      !beat)
    return failed(beat.failure());
  return ok(membership());
}

Bytes Service::leave(const Conn &conn, detail::Decoder &in) {
  auto id = read<NodeId>(in);
  auto dropped = core_.leave(id);
  if (!dropped)
    return failed(dropped.failure());
  {
    std::scoped_lock lock(mu_);
    if (auto it = nodes_.find(id); it != nodes_.end() && it->second == conn)
      nodes_.erase(it);
  }
  log("node " + std::to_string(id) + " left");
  return ok();
}

Bytes Service::place(detail::Decoder &in) {
  return reply(core_.placement().place(read<PlacementRequest>(in)));
}

Bytes Service::grant_ids(detail::Decoder &in) {
  if (auto live = core_.nodes().check_live(read<NodeId>(in)); !live)
    return failed(live.failure());
  if (auto wait = recovering())
    return failed(*wait);
  return reply(core_.ids().grant());
}

/// Only live nodes' proclets are recorded; the check after the update
/// catches a node that died meanwhile (expiry marks it dead, then drops).
Bytes Service::register_proclets(detail::Decoder &in) {
  for (const Registration &r : read<std::vector<Registration>>(in)) {
    if (!core_.nodes().check_live(r.location.node))
      continue;
    core_.locations().update(r.id, r.location.node, r.location.epoch);
    if (!core_.nodes().check_live(r.location.node))
      (void)core_.locations().remove(r.id);
  }
  return {};
}

Bytes Service::unregister_proclets(detail::Decoder &in) {
  for (ProcletId id : read<std::vector<ProcletId>>(in))
    (void)core_.locations().remove(id);
  return {};
}

Bytes Service::resolve(detail::Decoder &in) {
  return reply(core_.locations().resolve(read<ProcletId>(in)));
}

Bytes Service::status() {
  return ok(StatusReply{core_.nodes().all_nodes(), core_.locations().size()});
}

Bytes Service::end_process(const Conn &conn) {
  NodeId sender = 0;
  {
    std::scoped_lock lock(mu_);
    for (const auto &[id, c] : nodes_)
      if (c == conn)
        sender = id;
  }
  log("the logical process ended (main node " + std::to_string(sender) + ")");
  push_exit(sender);
  return ok();
}

void Service::push_exit(NodeId except) {
  std::map<NodeId, Conn> targets;
  {
    std::scoped_lock lock(mu_);
    targets = nodes_;
  }
  for (const auto &[id, conn] : targets)
    if (id != except)
      conn->send(control_frame(Op::Exit, 0, wire::start_frame()));
}

void Service::expire_loop() {
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, options_.heartbeat,
                            [this] { return stopping_; })) {
    lock.unlock();
    auto lost = core_.expire(Clock::now());
    bool main_lost = false;
    for (const LostNode &node : lost) {
      log("node " + std::to_string(node.id) +
          " missed its heartbeats: marked dead, " +
          std::to_string(node.proclets.size()) + " proclets lost");
      lock.lock();
      nodes_.erase(node.id);
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
