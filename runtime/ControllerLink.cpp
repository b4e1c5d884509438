// The node side of the controller protocol. Only joining, placement, id
// range refills and resolution wait for the controller; nothing else does.
#include "ControllerLink.hpp"
#include "Errors.hpp"

#include "SystemInfo.hpp"
#include "WorkerPool.hpp"
#include "nu/errors.hpp"
#include "nu/log/log.hpp"

namespace nu::detail {

using namespace nu::controller;

namespace {

/// Repeats \p call while a restarted controller answers Errc::recovering
/// (at most a minute: it recovers within a heartbeat timeout).
template <class Call> auto retry_while_recovering(const Call &call) {
  auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  auto result = call();
  while (!result && result.failure().code == Errc::recovering &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    result = call();
  }
  return result;
}

} // namespace

ControllerLink::ControllerLink(net::Transport &transport, Options options,
                               std::string node_address, Hooks hooks)
    : transport_(transport), options_(std::move(options)),
      node_address_(std::move(node_address)), hooks_(std::move(hooks)) {
  auto c = connect();
  if (!c)
    raise("cannot join the controller", c.failure());
  auto joined = (*c)->call<JoinReply>(
      Op::Join, JoinRequest{hello(), options_.main, load(/*proclets=*/0)});
  if (!joined && joined.failure().code == Errc::unreachable)
    raise("cannot join the controller", joined.failure());
  if (!joined)
    raise("the controller at " + options_.address + " refused this node",
          joined.failure());
  id_ = joined->id;
  ids_ = joined->ids;
  next_ = ids_.begin;
  max_granted_ = ids_.end - 1;
  heartbeat_ = std::chrono::milliseconds(std::max(1u, joined->heartbeat_ms));
  client_ = *c;
  joined_peers_.peers = std::move(joined->peers);
}

ControllerLink::~ControllerLink() { stop(); }

Expected<std::shared_ptr<Client>> ControllerLink::connect() {
  return Client::connect(transport_, options_.address, options_.timeout,
                         [this](Op op, std::span<const std::byte>) {
                           if (op == Op::Exit)
                             request_exit();
                         });
}

/// How busy this node's own CPUs were since the last report (at least
/// 100 ms of them, else the figure before): nodes confined to different
/// CPUs of one host report different load.
Load ControllerLink::load(std::uint64_t proclets) {
  constexpr std::uint64_t kMinTicksPerCpu = 10; // /proc/stat: 100 per second
  MachineLoad m = machine_load(mem_limit_.load());
  return Load{m.free_memory, cpu_.read(kMinTicksPerCpu * cpu_.cpus()),
              proclets};
}

NodeHello ControllerLink::hello() const {
  MachineLoad m = machine_load();
  return NodeHello{node_address_, Capacity{m.total_memory, m.cpus}, build_id(),
                   schema_digest()};
}

void ControllerLink::start() {
  hooks_.set_peers(joined_peers_);
  heartbeats_ = std::thread([this] { heartbeat_loop(); });
}

void ControllerLink::stop() {
  std::shared_ptr<Client> c;
  {
    std::scoped_lock lock(mu_);
    if (stopping_ && !heartbeats_.joinable() && !client_)
      return;
    stopping_ = true;
    c = std::move(client_);
  }
  cv_.notify_all();
  if (heartbeats_.joinable())
    heartbeats_.join();
  if (c)
    c->close();
}

std::shared_ptr<Client> ControllerLink::client() {
  std::scoped_lock lock(mu_);
  return client_;
}

void ControllerLink::heartbeat_loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, heartbeat_, [this] { return stopping_; })) {
    lock.unlock();
    beat();
    lock.lock();
  }
}

void ControllerLink::refresh() {
  WorkerPool::BlockingScope blocking;
  beat();
}

void ControllerLink::publish(std::string address) {
  {
    std::scoped_lock lock(mu_);
    published_ = std::move(address);
  }
  refresh();
}

void ControllerLink::beat() {
  std::scoped_lock serial(beat_mu_);
  auto c = client();
  if (!c || !c->connected())
    return reconnect();
  HeartbeatRequest request{id_, load(hooks_.proclet_count()), {}};
  {
    std::scoped_lock lock(mu_);
    request.published = published_;
  }
  auto peers = c->call<Membership>(Op::Heartbeat, request);
  if (peers) {
    hooks_.set_peers(*peers);
    if (hooks_.beat_done)
      hooks_.beat_done();
    return;
  }
  if (peers.failure().code == Errc::unreachable)
    return; // lost or slow: reconnect on the next beat if lost
  if (peers.failure().code == Errc::node_dead) // paused or cut off: back now
    return rejoin_after_death(*c);
  if (leaving()) // a heartbeat that crossed this node's own Leave
    return;
  log::get("node").error("node {}: the controller says: {}; exiting", id_,
                         peers.failure().message);
  request_exit();
}

/// The controller declared this node dead while it was silent; its
/// proclets are still here. It drops its controller connection (so that a
/// new one may rejoin under its id) and rejoins now or on the next beats.
void ControllerLink::rejoin_after_death(Client &old) {
  log::get("node").warn("node {} was declared dead while silent; rejoining",
                        id_);
  if (hooks_.declared_dead)
    hooks_.declared_dead();
  {
    std::scoped_lock lock(mu_);
    client_.reset();
  }
  old.close();
  reconnect();
}

void ControllerLink::reconnect() {
  auto c = connect();
  if (!c)
    return; // still down; try on the next beat
  NodeReport report{id_, hello(), load(hooks_.proclet_count()), 0,
                    hooks_.proclets()};
  {
    std::scoped_lock lock(ids_mu_);
    report.max_id = max_granted_; // the whole range stays ours
  }
  auto peers =
      (*c)->call<Membership>(Op::Rejoin, RejoinRequest{report, options_.main});
  // Refused while the controller still holds our old connection (it has
  // not seen it close yet): try again on the next beat.
  if (!peers && (peers.failure().code == Errc::unreachable ||
                 peers.failure().code == Errc::permission_denied))
    return;
  if (!peers) {
    log::get("node").error(
        "node {}: the restarted controller refused it: {}; exiting", id_,
        peers.failure().message);
    return request_exit();
  }
  log::get("node").warn("node {} rejoined the controller at {}", id_,
                        options_.address);
  {
    std::scoped_lock lock(mu_);
    if (stopping_)
      return;
    client_ = *c;
  }
  if (announced_) // a restarted controller does not know it yet
    (void)(*c)->call<None>(Op::Leaving, id_);
  hooks_.set_peers(*peers);
}

ProcletId ControllerLink::next_id() {
  std::scoped_lock lock(ids_mu_);
  if (next_ < ids_.end)
    return next_++;
  auto c = client();
  Expected<IdRange> range = c ? c->call<IdRange>(Op::GrantIds, id_)
                              : Expected<IdRange>(controller::Failure{
                                    Errc::unreachable, "not connected"});
  if (!range)
    raise("node " + std::to_string(id_) +
              " used up its proclet ids and the controller cannot grant more",
          range.failure());
  ids_ = *range;
  next_ = ids_.begin;
  max_granted_ = std::max(max_granted_, ids_.end - 1);
  return next_++;
}

std::optional<NodeId> ControllerLink::place(std::uint64_t expected_size,
                                            std::optional<NodeId> exclude) {
  auto c = client();
  if (!c)
    return std::nullopt;
  WorkerPool::BlockingScope blocking;
  auto where = c->call<NodeId>(
      Op::Place, PlacementRequest{std::nullopt, expected_size, exclude});
  return where ? std::optional<NodeId>(*where) : std::nullopt;
}

std::optional<NodeId> ControllerLink::next_place() {
  constexpr std::uint32_t kLease = 64;
  std::scoped_lock lock(places_mu_);
  auto now = std::chrono::steady_clock::now();
  if (places_.empty() || now >= places_until_) {
    places_.clear();
    auto c = client();
    if (!c)
      return std::nullopt;
    WorkerPool::BlockingScope blocking;
    auto lease = c->call<std::vector<NodeId>>(
        Op::PlaceMany, controller::PlacementLease{id_, 0, kLease});
    if (!lease || lease->empty())
      return std::nullopt;
    places_.assign(lease->begin(), lease->end());
    places_until_ = now + heartbeat_;
  }
  NodeId next = places_.front();
  places_.pop_front();
  return next;
}

std::optional<Location> ControllerLink::resolve(ProcletId id) {
  auto c = client();
  if (!c)
    return std::nullopt;
  WorkerPool::BlockingScope blocking;
  auto where = c->call<Location>(Op::Resolve, id);
  return where ? std::optional<Location>(*where) : std::nullopt;
}

std::optional<std::vector<Location>>
ControllerLink::resolve_many(const std::vector<ProcletId> &ids) {
  auto c = client();
  if (!c)
    return std::nullopt;
  WorkerPool::BlockingScope blocking;
  auto where = c->call<std::vector<Location>>(Op::ResolveMany, ids);
  if (!where || where->size() != ids.size())
    return std::nullopt;
  return std::move(*where);
}

void ControllerLink::registered(ProcletId id, NodeId node,
                                std::uint64_t epoch) {
  if (auto c = client())
    c->post(Op::Register,
            std::vector<Registration>{{id, Location{node, epoch}}});
}

std::optional<bool> ControllerLink::claim(ProcletId id, NodeId node,
                                          std::uint64_t epoch) {
  auto c = client();
  if (!c)
    return std::nullopt;
  WorkerPool::BlockingScope blocking;
  auto won = c->call<bool>(Op::Claim, Registration{id, Location{node, epoch}});
  if (!won)
    return won.failure().code == Errc::unreachable ? std::nullopt
                                                   : std::optional(false);
  return *won;
}

void ControllerLink::unregistered(ProcletId id) {
  if (auto c = client())
    c->post(Op::Unregister, std::vector<ProcletId>{id});
}

void ControllerLink::end_process() {
  set_leaving();
  if (auto c = client())
    (void)c->call<None>(Op::EndProcess);
}

bool ControllerLink::announce_leaving() {
  announced_ = true;
  auto c = client();
  return c && c->call<None>(Op::Leaving, id_).ok();
}

bool ControllerLink::connected() {
  auto c = client();
  return c && c->connected();
}

void ControllerLink::leave() {
  set_leaving();
  if (auto c = client())
    (void)c->call<None>(Op::Leave, id_);
}

void ControllerLink::set_leaving() {
  std::scoped_lock lock(mu_);
  leaving_ = true;
}

bool ControllerLink::leaving() {
  std::scoped_lock lock(mu_);
  return leaving_;
}

void ControllerLink::request_exit() {
  {
    std::scoped_lock lock(mu_);
    exit_ = true;
  }
  cv_.notify_all();
}

bool ControllerLink::wait_exit(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return exit_; });
}

} // namespace nu::detail
