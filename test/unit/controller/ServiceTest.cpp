// The controller service and client end to end over real transports: every
// operation, expiry, pushed Exit, restart + rejoin, bad input, lost links,
// and who may send what (forged requests on raw connections).
#include "Service.hpp"
#include "Client.hpp"

#include "nu/log/log.hpp"
#include "nu/net/memory_transport.hpp"
#include "nu/net/transport.hpp"
#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace nu::controller {
namespace {

using namespace std::chrono_literals;
using detail::Bytes;

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
constexpr std::uint64_t kGrant = 1000; // ids per range, to keep numbers small
/// The bound on anything asynchronous; only reached when a test fails.
constexpr auto kDeadline = 5s;
/// How long a client waits for one reply.
constexpr auto kCallTimeout = std::chrono::milliseconds(2000);
/// For tests not about expiry: nodes never die behind their back.
constexpr Clock::duration kNoExpiry = 60s;
/// For expiry tests: short, but well above the heartbeat period.
constexpr Clock::duration kExpiry = 300ms;

/// Polls \p pred until it holds or kDeadline passes.
template <class Pred> bool eventually(Pred pred) {
  const auto deadline = Clock::now() + kDeadline;
  while (!pred()) {
    if (Clock::now() > deadline)
      return pred();
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

NodeHello hello(int n, std::string build_id = "b1", std::string schema = "s1") {
  return NodeHello{"node" + std::to_string(n) + ":5000", Capacity{16 * kGiB, 4},
                   std::move(build_id), std::move(schema)};
}

std::vector<NodeId> ids_of(const std::vector<Peer> &peers) {
  std::vector<NodeId> ids;
  for (const Peer &p : peers)
    ids.push_back(p.id);
  return ids;
}

bool disjoint(const IdRange &a, const IdRange &b) {
  return a.end <= b.begin || b.end <= a.begin;
}

/// A join of a node that reports all its memory free.
JoinRequest join_request(NodeHello hello, bool main = false) {
  Load load{hello.capacity.memory_bytes, 0, 0};
  return JoinRequest{std::move(hello), main, load};
}

// Typed calls, one per operation.
Expected<JoinReply> join(Client &c, int n, bool main = false) {
  return c.call<JoinReply>(Op::Join, join_request(hello(n), main));
}
Expected<Membership> beat(Client &c, NodeId id, Load load = {}) {
  return c.call<Membership>(Op::Heartbeat, HeartbeatRequest{id, load, {}});
}
Expected<StatusReply> status(Client &c) {
  return c.call<StatusReply>(Op::Status);
}
Expected<Location> resolve(Client &c, ProcletId id) {
  return c.call<Location>(Op::Resolve, id);
}
Expected<NodeId> place(Client &c, std::optional<NodeId> node = std::nullopt,
                       std::uint64_t size = 0) {
  return c.call<NodeId>(Op::Place, PlacementRequest{node, size, std::nullopt});
}
/// Node \p id as Status lists it (a default NodeInfo with id 0 if absent).
NodeInfo node_info(Client &c, NodeId id) {
  auto s = status(c);
  EXPECT_TRUE(s) << s.failure().message;
  if (s)
    for (const NodeInfo &n : s->nodes)
      if (n.id == id)
        return n;
  return {};
}
/// Resolve answers with \p code (posts are asynchronous: polled).
bool resolves_to_error(Client &c, ProcletId id, Errc code) {
  return eventually([&] {
    auto r = resolve(c, id);
    return !r && r.failure().code == code;
  });
}
/// Resolve answers \p where (polled).
bool resolves_to(Client &c, ProcletId id, Location where) {
  return eventually([&] {
    auto r = resolve(c, id);
    return r && *r == where;
  });
}

// What a client's push handler saw. Shared with the handler, so it
// outlives a push that arrives while the test ends.
struct Pushes {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Op> ops;

  static Client::PushHandler handler(const std::shared_ptr<Pushes> &p) {
    return [p](Op op, std::span<const std::byte>) {
      std::scoped_lock lock(p->mu);
      p->ops.push_back(op);
      p->cv.notify_all();
    };
  }
  bool wait(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kDeadline, [&] { return ops.size() >= n; });
  }
  std::vector<Op> seen() {
    std::scoped_lock lock(mu);
    return ops;
  }
};

/// What a node that is kept alive reports: room for many proclets.
const Load kLiveLoad{8 * kGiB, 0.1, 0};

// Heartbeats for one node on a thread of its own, so it stays live.
class Beater {
public:
  Beater(std::shared_ptr<Client> client, NodeId id)
      : client_(std::move(client)), id_(id), thread_([this] { run(); }) {}
  ~Beater() { stop(); }
  void stop() {
    {
      std::scoped_lock lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }

private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      (void)beat(*client_, id_, kLiveLoad);
      lock.lock();
      cv_.wait_for(lock, 10ms, [this] { return stopping_; }); // pacing only
    }
  }

  std::shared_ptr<Client> client_;
  NodeId id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// A peer speaking raw frames: records what arrives and whether it closed.
struct RawInbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Bytes> frames;
  bool closed = false;

  static net::Handlers handlers(const std::shared_ptr<RawInbox> &in) {
    net::Handlers h;
    h.on_frame = [in](const std::shared_ptr<net::Connection> &, Bytes frame) {
      std::scoped_lock lock(in->mu);
      in->frames.push_back(std::move(frame));
      in->cv.notify_all();
    };
    h.on_close = [in](const std::shared_ptr<net::Connection> &,
                      std::error_code) {
      std::scoped_lock lock(in->mu);
      in->closed = true;
      in->cv.notify_all();
    };
    return h;
  }
  bool wait_closed() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, kDeadline, [&] { return closed; });
  }
  /// The \p n-th frame (0-based), waiting for it; empty if none came.
  Bytes frame(std::size_t n) {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, kDeadline, [&] { return frames.size() > n; }))
      return {};
    return frames[n];
  }
  std::size_t frame_count() {
    std::scoped_lock lock(mu);
    return frames.size();
  }
};

template <class... Ts> Bytes encoded(const Ts &...values) {
  Bytes out;
  detail::encode(out, detail::SerialContext{}, values...);
  return out;
}

Bytes make_frame(wire::FrameKind kind, std::uint64_t target,
                 std::uint64_t request_id, const Bytes &payload,
                 std::uint32_t flags = 0) {
  Bytes frame = wire::start_frame();
  frame.insert(frame.end(), payload.begin(), payload.end());
  wire::FrameHeader h;
  h.kind = kind;
  h.target = target;
  h.request_id = request_id;
  h.flags = flags;
  wire::finish_frame(frame, h);
  return frame;
}

Bytes control(Op op, std::uint64_t request_id, const Bytes &payload,
              std::uint32_t flags = 0) {
  return make_frame(wire::FrameKind::Control, static_cast<std::uint64_t>(op),
                    request_id, payload, flags);
}

/// The status at the start of a Control reply; the header is checked.
ReplyStatus reply_status(const Bytes &frame, Op op, std::uint64_t request_id) {
  auto view = wire::parse_frame(frame);
  EXPECT_TRUE(view) << (view ? "" : view.failure().message);
  if (!view)
    return {false, Errc::unreachable, "no reply"};
  EXPECT_EQ(view->header.kind, wire::FrameKind::Control);
  EXPECT_EQ(view->header.target, static_cast<std::uint64_t>(op));
  EXPECT_EQ(view->header.request_id, request_id);
  detail::Decoder in(view->payload, detail::SerialContext{});
  ReplyStatus s;
  in(s);
  return s;
}

// A connection speaking raw frames, as a forger would: requests whose
// replies it reads in order, and one-way posts.
class RawPeer {
public:
  RawPeer(std::shared_ptr<net::Connection> conn,
          std::shared_ptr<RawInbox> inbox)
      : conn_(std::move(conn)), inbox_(std::move(inbox)) {}

  /// Sends a request and returns its reply ("no reply" if none came).
  Bytes ask_raw(Op op, const Bytes &payload) {
    const std::uint64_t id = next_id_++;
    if (!conn_ || conn_->send(control(op, id, payload)))
      return {};
    return inbox_->frame(replies_++);
  }
  /// The status of the reply to a request.
  ReplyStatus ask(Op op, const Bytes &payload = {}) {
    const std::uint64_t id = next_id_;
    Bytes reply = ask_raw(op, payload);
    if (reply.empty())
      return {false, Errc::unreachable, "no reply"};
    return reply_status(reply, op, id);
  }
  /// Sends a one-way message and returns once the service handled it: it
  /// handles a connection's frames in order, and answers a Status after it.
  void post(Op op, const Bytes &payload) {
    ASSERT_TRUE(conn_);
    ASSERT_FALSE(conn_->send(control(op, 0, payload, wire::kOneWay)));
    ASSERT_TRUE(ask(Op::Status).ok);
  }
  /// Joins as a node of the test binary; its id (0 if refused).
  NodeId join(int n, bool main = false) {
    Bytes reply = ask_raw(Op::Join, encoded(join_request(hello(n), main)));
    auto view = wire::parse_frame(reply);
    if (!view)
      return 0;
    detail::Decoder in(view->payload, detail::SerialContext{});
    ReplyStatus s;
    in(s);
    if (!s.ok)
      return 0;
    JoinReply r;
    in(r);
    return r.id;
  }
  /// Frames received: replies, and whatever was pushed.
  std::size_t frames() const { return inbox_->frame_count(); }
  std::size_t replies() const { return replies_; }

private:
  std::shared_ptr<net::Connection> conn_;
  std::shared_ptr<RawInbox> inbox_;
  std::uint64_t next_id_ = 1;
  std::size_t replies_ = 0;
};

/// A refusal of what a connection may not do.
void expect_denied(const ReplyStatus &s, const std::string &what) {
  EXPECT_FALSE(s.ok) << "allowed: " << what;
  EXPECT_EQ(s.code, Errc::permission_denied) << s.message;
  EXPECT_NE(s.message.find(what), std::string::npos) << s.message;
}

/// Status as text, to compare before and after: each node's id, address,
/// state, heartbeat count and load, and the number of located proclets.
std::string describe(const StatusReply &s) {
  std::string text = std::to_string(s.proclets) + " proclets;";
  for (const NodeInfo &n : s.nodes)
    text += " node " + std::to_string(n.id) + " " + n.address + " " +
            std::string(to_string(n.state)) + " beats " +
            std::to_string(n.heartbeats) + " free " +
            std::to_string(n.load.free_memory) + " cpu " +
            std::to_string(n.load.cpu_load) + " count " +
            std::to_string(n.load.proclet_count) + ";";
  return text;
}

ServiceOptions service_options(Clock::duration heartbeat_timeout,
                               std::string transport,
                               std::shared_ptr<net::MemoryHub> hub) {
  ServiceOptions o;
  o.core.heartbeat_timeout = heartbeat_timeout;
  o.core.id_grant_size = kGrant;
  o.heartbeat = 20ms;
  o.transport = std::move(transport);
  o.transport_options.memory_hub = std::move(hub);
  return o;
}

class ServiceTest : public ::testing::Test {
protected:
  void SetUp() override {
    net::TransportOptions o;
    o.memory_hub = hub_;
    nodes_ = net::make_memory_transport(o);
  }
  void TearDown() override {
    service_.reset();
    nodes_.reset();
  }

  /// Starts a service at \p at ("" lets the hub choose).
  void start(Clock::duration heartbeat_timeout = kNoExpiry,
             const std::string &at = "",
             std::chrono::milliseconds recover_for = {}) {
    ServiceOptions options = service_options(heartbeat_timeout, "memory", hub_);
    options.recover_for = recover_for;
    service_ = std::make_unique<Service>(options);
    auto listening = service_->listen(at);
    ASSERT_TRUE(listening) << listening.failure().message;
    address_ = *listening;
  }
  std::shared_ptr<Client>
  connect(Client::PushHandler on_push = {},
          std::chrono::milliseconds timeout = kCallTimeout) {
    auto c = Client::connect(*nodes_, address_, timeout, std::move(on_push));
    EXPECT_TRUE(c) << c.failure().message;
    return c ? *c : nullptr;
  }
  /// A raw connection to the service, recording into \p inbox.
  std::shared_ptr<net::Connection>
  connect_raw(const std::shared_ptr<RawInbox> &inbox) {
    auto conn = nodes_->connect(address_, RawInbox::handlers(inbox));
    EXPECT_TRUE(conn) << conn.failure().message;
    return conn ? *conn : nullptr;
  }
  /// A raw connection to the service, as a forger uses it.
  RawPeer raw_peer() {
    auto inbox = std::make_shared<RawInbox>();
    return RawPeer(connect_raw(inbox), inbox);
  }
  /// Status as describe() puts it.
  std::string snapshot(Client &c) {
    auto s = status(c);
    EXPECT_TRUE(s) << s.failure().message;
    return s ? describe(*s) : "no status";
  }
  /// The service still answers a fresh, well-behaved client.
  void expect_still_serving() {
    auto c = connect();
    ASSERT_TRUE(c);
    auto s = status(*c);
    EXPECT_TRUE(s) << s.failure().message;
  }

  std::shared_ptr<net::MemoryHub> hub_ = std::make_shared<net::MemoryHub>();
  std::unique_ptr<net::Transport> nodes_; // the side nodes and tools use
  std::unique_ptr<Service> service_;
  std::string address_;
};

TEST_F(ServiceTest, JoinGivesNewIdsDisjointRangesAndPeers) {
  start();
  std::vector<std::shared_ptr<Client>> clients;
  std::vector<JoinReply> replies;
  for (int n = 1; n <= 3; ++n) {
    clients.push_back(connect());
    ASSERT_TRUE(clients.back());
    auto r = join(*clients.back(), n);
    ASSERT_TRUE(r) << r.failure().message;
    replies.push_back(*r);
  }
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const JoinReply &r = replies[i];
    EXPECT_EQ(r.id, i + 1);
    EXPECT_EQ(r.heartbeat_ms, 20u);
    EXPECT_GT(r.ids.size(), 0u);
    EXPECT_GE(r.ids.begin, 1u) << "id 0 is never handed out";
    for (std::size_t j = 0; j < i; ++j)
      EXPECT_TRUE(disjoint(r.ids, replies[j].ids))
          << "[" << r.ids.begin << "," << r.ids.end << ") overlaps ["
          << replies[j].ids.begin << "," << replies[j].ids.end << ")";
    // Every live node so far, the new one included, with its address.
    std::vector<Peer> expected;
    for (std::size_t j = 0; j <= i; ++j)
      expected.push_back(Peer{static_cast<NodeId>(j + 1),
                              hello(static_cast<int>(j + 1)).address,
                              {}});
    EXPECT_EQ(r.peers, expected);
  }
  // GrantIds refills a live node with yet another disjoint range.
  auto more = clients[0]->call<IdRange>(Op::GrantIds, NodeId{1});
  ASSERT_TRUE(more) << more.failure().message;
  for (const JoinReply &r : replies)
    EXPECT_TRUE(disjoint(*more, r.ids));
  // Only for itself: node 1's connection may not ask for node 42.
  auto unknown = clients[0]->call<IdRange>(Op::GrantIds, NodeId{42});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.failure().code, Errc::permission_denied);
}

TEST_F(ServiceTest, JoinRefusesADifferentBinary) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(join(*a, 1));
  auto b = connect();
  ASSERT_TRUE(b);
  for (const NodeHello &other : {hello(2, "b2", "s1"), hello(3, "b1", "s2")}) {
    auto r = b->call<JoinReply>(Op::Join, join_request(other));
    ASSERT_FALSE(r) << "node " << other.address << " was let in";
    EXPECT_EQ(r.failure().code, Errc::binary_mismatch);
    EXPECT_NE(r.failure().message.find("different binary"), std::string::npos)
        << r.failure().message;
  }
  // Refused nodes are not registered, and the connection still works.
  auto s = status(*b);
  ASSERT_TRUE(s) << s.failure().message;
  ASSERT_EQ(s->nodes.size(), 1u);
  EXPECT_EQ(s->nodes[0].id, 1u);
  // A node without capacity is refused as invalid.
  NodeHello empty = hello(4);
  empty.capacity = {};
  auto r = b->call<JoinReply>(Op::Join, join_request(empty));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().code, Errc::invalid_argument);
}

TEST_F(ServiceTest, HeartbeatUpdatesLoadAndReturnsMembership) {
  start();
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1));
  ASSERT_TRUE(join(*b, 2));

  auto m = beat(*a, 1, Load{5 * kGiB, 0.25, 7});
  ASSERT_TRUE(m) << m.failure().message;
  EXPECT_EQ(ids_of(m->peers), (std::vector<NodeId>{1, 2}));
  NodeInfo one = node_info(*b, 1);
  EXPECT_EQ(one.load.free_memory, 5 * kGiB);
  EXPECT_DOUBLE_EQ(one.load.cpu_load, 0.25);
  EXPECT_EQ(one.load.proclet_count, 0u) << "the location map's count";
  EXPECT_EQ(one.heartbeats, 2u) << "the join's report and this one";
  EXPECT_EQ(one.capacity.memory_bytes, 16 * kGiB);
  EXPECT_EQ(one.capacity.cpus, 4u);
  EXPECT_EQ(one.state, NodeState::live);
  NodeInfo two = node_info(*b, 2);
  EXPECT_EQ(two.heartbeats, 1u);
  EXPECT_EQ(two.load.free_memory, 16 * kGiB) << "the load it joined with";

  // CPU load is clamped; NaN and other nodes' heartbeats are refused.
  ASSERT_TRUE(beat(*a, 1, Load{kGiB, 3.0, 0}));
  EXPECT_DOUBLE_EQ(node_info(*b, 1).load.cpu_load, 1.0);
  EXPECT_EQ(node_info(*b, 1).heartbeats, 3u);
  auto nan = beat(*a, 1, Load{kGiB, std::nan(""), 0});
  ASSERT_FALSE(nan);
  EXPECT_EQ(nan.failure().code, Errc::invalid_argument);
  auto unknown = beat(*a, 99);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.failure().code, Errc::permission_denied);
}

TEST_F(ServiceTest, RegisterResolveUnregister) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(join(*a, 1));
  auto missing = resolve(*a, 100);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().code, Errc::unknown_proclet);

  a->post(Op::Register,
          std::vector<Registration>{{100, {1, 1}}, {101, {1, 2}}});
  EXPECT_TRUE(resolves_to(*a, 100, Location{1, 1}));
  EXPECT_TRUE(resolves_to(*a, 101, Location{1, 2}));
  EXPECT_EQ(status(*a)->proclets, 2u);
  EXPECT_EQ(node_info(*a, 1).load.proclet_count, 2u) << "current at once";
  // A late registration at an older epoch does not move it back.
  a->post(Op::Register,
          std::vector<Registration>{{101, {1, 1}}, {102, {1, 1}}});
  EXPECT_TRUE(resolves_to(*a, 102, Location{1, 1}));
  EXPECT_EQ(*resolve(*a, 101), (Location{1, 2}));

  a->post(Op::Unregister, std::vector<ProcletId>{100, 102, 555});
  EXPECT_TRUE(resolves_to_error(*a, 100, Errc::unknown_proclet));
  EXPECT_TRUE(resolves_to_error(*a, 102, Errc::unknown_proclet));
  EXPECT_EQ(*resolve(*a, 101), (Location{1, 2}));
  EXPECT_EQ(status(*a)->proclets, 1u);
  EXPECT_EQ(node_info(*a, 1).load.proclet_count, 1u);
}

// ResolveMany answers in order, node 0 for a proclet it does not know,
// and refuses more ids than its limit.
TEST_F(ServiceTest, ResolveManyAnswersInOrder) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(join(*a, 1));
  a->post(Op::Register,
          std::vector<Registration>{{100, {1, 1}}, {101, {1, 3}}});
  ASSERT_TRUE(resolves_to(*a, 101, Location{1, 3}));
  auto where = a->call<std::vector<Location>>(
      Op::ResolveMany, std::vector<ProcletId>{101, 555, 100});
  ASSERT_TRUE(where) << where.failure().message;
  EXPECT_EQ(*where, (std::vector<Location>{{1, 3}, {0, 0}, {1, 1}}));
  auto empty =
      a->call<std::vector<Location>>(Op::ResolveMany, std::vector<ProcletId>{});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto many = a->call<std::vector<Location>>(
      Op::ResolveMany, std::vector<ProcletId>(kMaxResolveMany + 1, 100));
  ASSERT_FALSE(many);
  EXPECT_EQ(many.failure().code, Errc::invalid_argument);
}

// A node's heartbeat carries the address it publishes for outside clients:
// every member learns it from its next heartbeat, and Status lists it.
TEST_F(ServiceTest, HeartbeatsCarryThePublishedAddress) {
  start();
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1));
  ASSERT_TRUE(join(*b, 2));
  ASSERT_TRUE(a->call<Membership>(Op::Heartbeat,
                                  HeartbeatRequest{1, {}, "127.0.0.1:7001"}));
  auto seen = beat(*b, 2);
  ASSERT_TRUE(seen);
  ASSERT_EQ(seen->peers.size(), 2u);
  EXPECT_EQ(seen->peers[0].published, "127.0.0.1:7001");
  EXPECT_EQ(seen->peers[1].published, "");
  EXPECT_EQ(node_info(*b, 1).published, "127.0.0.1:7001");
  auto long_one = a->call<Membership>(
      Op::Heartbeat,
      HeartbeatRequest{1, {}, std::string(kMaxPublished + 1, 'x')});
  ASSERT_FALSE(long_one);
  EXPECT_EQ(long_one.failure().code, Errc::invalid_argument);
  EXPECT_EQ(node_info(*b, 1).published, "127.0.0.1:7001");
}

TEST_F(ServiceTest, PlaceSpreadsOverLiveNodes) {
  start();
  auto c = connect();
  ASSERT_TRUE(c);
  auto none = place(*c);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.failure().code, Errc::no_live_node);
  std::vector<std::shared_ptr<Client>> nodes;
  for (int n = 1; n <= 3; ++n) {
    nodes.push_back(connect());
    ASSERT_TRUE(nodes.back());
    ASSERT_TRUE(join(*nodes.back(), n));
  }
  std::map<NodeId, int> count;
  for (int i = 0; i < 6; ++i) {
    auto p = place(*c);
    ASSERT_TRUE(p) << p.failure().message;
    ++count[*p];
  }
  EXPECT_EQ(count, (std::map<NodeId, int>{{1, 2}, {2, 2}, {3, 2}}));

  // A full node gets nothing; an explicit node gets the proclet.
  ASSERT_TRUE(beat(*nodes[0], 1, Load{0, 0, 10}));
  for (int i = 0; i < 4; ++i) {
    auto p = place(*c);
    ASSERT_TRUE(p) << p.failure().message;
    EXPECT_NE(*p, 1u);
  }
  EXPECT_EQ(*place(*c, 2), 2u);
  auto too_big = place(*c, std::nullopt, 64 * kGiB);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.failure().code, Errc::no_capacity);

  auto unknown = place(*c, 99);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.failure().code, Errc::unknown_node);
  ASSERT_TRUE(nodes[2]->call<None>(Op::Leave, NodeId{3}));
  auto departed = place(*c, 3);
  ASSERT_FALSE(departed);
  EXPECT_EQ(departed.failure().code, Errc::node_left);
}

// Placement uses the load a node measured when it joined, before its
// first heartbeat: a node that joins full gets nothing, and a NaN load is
// refused.
TEST_F(ServiceTest, PlaceUsesTheLoadReportedWithTheJoin) {
  start();
  auto a = connect(), b = connect(), c = connect();
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(join(*a, 1));
  JoinRequest full = join_request(hello(2));
  full.load.free_memory = 0;
  ASSERT_TRUE(b->call<JoinReply>(Op::Join, full));
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(*place(*a), 1u);
  JoinRequest nan = join_request(hello(3));
  nan.load.cpu_load = std::numeric_limits<double>::quiet_NaN();
  auto refused = c->call<JoinReply>(Op::Join, nan);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().code, Errc::invalid_argument);
}

TEST_F(ServiceTest, SilentNodeIsMarkedDeadAndDropped) {
  start(kExpiry);
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1));
  Beater keep_alive(a, 1);
  ASSERT_TRUE(join(*b, 2)); // and never beats again
  a->post(Op::Register, std::vector<Registration>{{10, {1, 1}}});
  b->post(Op::Register, std::vector<Registration>{{20, {2, 1}}});
  ASSERT_TRUE(resolves_to(*a, 20, Location{2, 1}));

  ASSERT_TRUE(
      eventually([&] { return node_info(*a, 2).state == NodeState::dead; }));
  EXPECT_EQ(node_info(*a, 1).state, NodeState::live);
  auto m = beat(*a, 1, kLiveLoad);
  ASSERT_TRUE(m) << m.failure().message;
  EXPECT_EQ(ids_of(m->peers), std::vector<NodeId>{1});
  EXPECT_EQ(m->gone, std::vector<NodeId>{2});
  // Marked dead, then its proclets are dropped: poll for the second step.
  EXPECT_TRUE(resolves_to_error(*a, 20, Errc::unknown_proclet));
  auto mine = resolve(*a, 10);
  ASSERT_TRUE(mine) << mine.failure().message;
  EXPECT_EQ(*mine, (Location{1, 1}));

  auto late = beat(*b, 2);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.failure().code, Errc::node_dead);
  auto there = place(*a, 2);
  ASSERT_FALSE(there);
  EXPECT_EQ(there.failure().code, Errc::node_dead);
  auto anywhere = place(*a);
  ASSERT_TRUE(anywhere) << anywhere.failure().message;
  EXPECT_EQ(*anywhere, 1u);
  // It was paused, not gone: it rejoins under its id with its proclets.
  std::vector<ProcletReport> kept{{20, 1}};
  auto back = b->call<Membership>(
      Op::Rejoin, RejoinRequest{NodeReport{2, hello(2), {}, 0, kept}, false});
  ASSERT_TRUE(back) << back.failure().message;
  EXPECT_EQ(ids_of(back->peers), (std::vector<NodeId>{1, 2}));
  EXPECT_TRUE(back->gone.empty());
  EXPECT_TRUE(resolves_to(*a, 20, Location{2, 1}));
  EXPECT_EQ(node_info(*a, 2).state, NodeState::live);
}

TEST_F(ServiceTest, EndProcessPushesExitToEveryOtherNode) {
  start();
  auto main_pushes = std::make_shared<Pushes>();
  auto b_pushes = std::make_shared<Pushes>();
  auto c_pushes = std::make_shared<Pushes>();
  auto tool_pushes = std::make_shared<Pushes>();
  auto a = connect(Pushes::handler(main_pushes));
  auto b = connect(Pushes::handler(b_pushes));
  auto c = connect(Pushes::handler(c_pushes));
  auto tool = connect(Pushes::handler(tool_pushes)); // never joins
  ASSERT_TRUE(a && b && c && tool);
  ASSERT_TRUE(join(*a, 1, /*main=*/true));
  ASSERT_TRUE(join(*b, 2));
  ASSERT_TRUE(join(*c, 3));

  auto ended = a->call<None>(Op::EndProcess);
  ASSERT_TRUE(ended) << ended.failure().message;
  ASSERT_TRUE(b_pushes->wait(1));
  ASSERT_TRUE(c_pushes->wait(1));
  EXPECT_EQ(b_pushes->seen(), std::vector<Op>{Op::Exit});
  EXPECT_EQ(c_pushes->seen(), std::vector<Op>{Op::Exit});
  // Frames on a connection arrive in order: an Exit sent to the main node
  // or the tool would have arrived before these replies.
  ASSERT_TRUE(status(*tool));
  ASSERT_TRUE(status(*a));
  EXPECT_TRUE(main_pushes->seen().empty());
  EXPECT_TRUE(tool_pushes->seen().empty());
}

TEST_F(ServiceTest, MainNodeExpiryPushesExit) {
  start(kExpiry);
  auto b_pushes = std::make_shared<Pushes>();
  auto a = connect();
  auto b = connect(Pushes::handler(b_pushes));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1, /*main=*/true)); // and never beats
  ASSERT_TRUE(join(*b, 2));
  Beater keep_alive(b, 2);
  ASSERT_TRUE(b_pushes->wait(1)) << "no Exit after the main node died";
  EXPECT_EQ(b_pushes->seen(), std::vector<Op>{Op::Exit});
  EXPECT_EQ(node_info(*b, 1).state, NodeState::dead);
  EXPECT_EQ(node_info(*b, 2).state, NodeState::live);
}

TEST_F(ServiceTest, RejoinAfterRestartRestoresProcletsAndIds) {
  start(kNoExpiry, "mem:controller");
  ASSERT_EQ(address_, "mem:controller");
  {
    auto a = connect(), b = connect();
    ASSERT_TRUE(a && b);
    auto ja = join(*a, 1, /*main=*/true);
    auto jb = join(*b, 2);
    ASSERT_TRUE(ja && jb);
    ASSERT_EQ(ja->ids, (IdRange{1, kGrant}));
    ASSERT_EQ(jb->ids, (IdRange{kGrant, 2 * kGrant}));
    a->post(Op::Register, std::vector<Registration>{{1, {1, 1}}, {2, {1, 3}}});
    b->post(Op::Register, std::vector<Registration>{{1005, {2, 1}}});
    ASSERT_TRUE(resolves_to(*a, 1005, Location{2, 1}));

    service_.reset(); // the controller goes away
    auto lost = status(*a);
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.failure().code, Errc::unreachable);
    EXPECT_TRUE(eventually([&] { return !a->connected(); }));
  }

  start(kNoExpiry, "mem:controller"); // restarted, empty
  auto b_pushes = std::make_shared<Pushes>();
  auto a = connect(), b = connect(Pushes::handler(b_pushes));
  ASSERT_TRUE(a && b);
  auto before = resolve(*a, 1);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.failure().code, Errc::unknown_proclet);

  auto mb = b->call<Membership>(
      Op::Rejoin,
      RejoinRequest{
          NodeReport{2, hello(2), Load{8 * kGiB, 0.5, 1}, 1005, {{1005, 1}}},
          false});
  ASSERT_TRUE(mb) << mb.failure().message;
  EXPECT_EQ(ids_of(mb->peers), std::vector<NodeId>{2});
  auto ma = a->call<Membership>(
      Op::Rejoin,
      RejoinRequest{
          NodeReport{1, hello(1), Load{4 * kGiB, 0, 2}, 2, {{1, 1}, {2, 3}}},
          true});
  ASSERT_TRUE(ma) << ma.failure().message;
  EXPECT_EQ(ids_of(ma->peers), (std::vector<NodeId>{1, 2}));

  EXPECT_EQ(*resolve(*a, 1), (Location{1, 1}));
  EXPECT_EQ(*resolve(*a, 2), (Location{1, 3}));
  EXPECT_EQ(*resolve(*a, 1005), (Location{2, 1}));
  EXPECT_EQ(status(*a)->proclets, 3u);
  EXPECT_EQ(node_info(*a, 2).load.free_memory, 8 * kGiB);
  EXPECT_EQ(node_info(*a, 2).state, NodeState::live);

  // A new node gets a new id and ids above everything reported.
  auto c = connect();
  ASSERT_TRUE(c);
  auto jc = join(*c, 3);
  ASSERT_TRUE(jc) << jc.failure().message;
  EXPECT_EQ(jc->id, 3u);
  EXPECT_GT(jc->ids.begin, 1005u);
  EXPECT_TRUE(disjoint(jc->ids, IdRange{1, kGrant}));
  EXPECT_TRUE(disjoint(jc->ids, IdRange{kGrant, 2 * kGrant}));
  EXPECT_EQ(ids_of(jc->peers), (std::vector<NodeId>{1, 2, 3}));

  // Rejoins that cannot be right are refused: node 1 is connected (its id
  // at another address, id_taken: ANodeRejoinsOnANewConnection...).
  auto taken = c->call<Membership>(
      Op::Rejoin, RejoinRequest{NodeReport{1, hello(9), {}, 0, {}}, false});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.failure().code, Errc::permission_denied);
  auto zero = c->call<Membership>(
      Op::Rejoin, RejoinRequest{NodeReport{0, hello(9), {}, 0, {}}, false});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.failure().code, Errc::invalid_argument);
  auto other = c->call<Membership>(
      Op::Rejoin,
      RejoinRequest{NodeReport{7, hello(7, "b9"), {}, 0, {}}, false});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.failure().code, Errc::binary_mismatch);

  // The rejoined main node ends the process; the rejoined node hears it.
  ASSERT_TRUE(a->call<None>(Op::EndProcess));
  ASSERT_TRUE(b_pushes->wait(1));
  EXPECT_EQ(b_pushes->seen(), std::vector<Op>{Op::Exit});
}

TEST_F(ServiceTest, LeaveMarksTheNodeLeft) {
  start();
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1));
  ASSERT_TRUE(join(*b, 2));
  a->post(Op::Register, std::vector<Registration>{{7, {1, 1}}});
  ASSERT_TRUE(resolves_to(*a, 7, Location{1, 1}));

  auto left = a->call<None>(Op::Leave, NodeId{1});
  ASSERT_TRUE(left) << left.failure().message;
  EXPECT_EQ(node_info(*b, 1).state, NodeState::left);
  EXPECT_EQ(node_info(*b, 2).state, NodeState::live);
  EXPECT_TRUE(resolves_to_error(*b, 7, Errc::unknown_proclet));
  auto m = beat(*b, 2);
  ASSERT_TRUE(m);
  EXPECT_EQ(ids_of(m->peers), std::vector<NodeId>{2});
  EXPECT_TRUE(a->call<None>(Op::Leave, NodeId{1})) << "leaving twice is fine";
  auto unknown = a->call<None>(Op::Leave, NodeId{99});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.failure().code, Errc::permission_denied);
  auto refill = a->call<IdRange>(Op::GrantIds, NodeId{1});
  ASSERT_FALSE(refill);
  EXPECT_EQ(refill.failure().code, Errc::node_left);
}

TEST_F(ServiceTest, GarbageBytesCloseTheConnection) {
  start();
  auto inbox = std::make_shared<RawInbox>();
  auto raw = connect_raw(inbox);
  ASSERT_TRUE(raw);
  (void)raw->send(Bytes(64, std::byte{0xAB}));
  EXPECT_TRUE(inbox->wait_closed());
  EXPECT_EQ(inbox->frame_count(), 0u);
  expect_still_serving();

  // A header that promises more payload than follows.
  auto inbox2 = std::make_shared<RawInbox>();
  auto raw2 = connect_raw(inbox2);
  ASSERT_TRUE(raw2);
  Bytes truncated = control(Op::Status, 1, Bytes(16, std::byte{1}));
  truncated.resize(truncated.size() - 8);
  (void)raw2->send(truncated);
  EXPECT_TRUE(inbox2->wait_closed());
  expect_still_serving();
}

TEST_F(ServiceTest, NonControlFramesAndUnknownOpsCloseTheConnection) {
  start();
  const std::vector<Bytes> bad = {
      make_frame(wire::FrameKind::Call, 1, 1, encoded(std::uint64_t{3})),
      make_frame(wire::FrameKind::Result, 0, 1, {}),
      make_frame(wire::FrameKind::Control, 0, 1, {}),
      make_frame(wire::FrameKind::Control, kMaxOp + 1, 1, {}),
      make_frame(wire::FrameKind::Control, ~std::uint64_t{0}, 1, {}),
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE("bad frame #" + std::to_string(i));
    auto inbox = std::make_shared<RawInbox>();
    auto raw = connect_raw(inbox);
    ASSERT_TRUE(raw);
    (void)raw->send(bad[i]);
    EXPECT_TRUE(inbox->wait_closed());
    EXPECT_EQ(inbox->frame_count(), 0u);
    expect_still_serving();
  }
}

TEST_F(ServiceTest, UndecodableRequestsGetInvalidArgument) {
  start();
  auto inbox = std::make_shared<RawInbox>();
  auto raw = connect_raw(inbox);
  ASSERT_TRUE(raw);
  std::size_t replies = 0;
  auto expect_invalid = [&](Bytes frame, Op op, std::uint64_t id,
                            const std::string &why) {
    SCOPED_TRACE(why);
    ASSERT_FALSE(raw->send(std::move(frame)));
    Bytes reply = inbox->frame(replies++);
    ASSERT_FALSE(reply.empty()) << "no reply";
    ReplyStatus s = reply_status(reply, op, id);
    EXPECT_FALSE(s.ok);
    EXPECT_EQ(s.code, Errc::invalid_argument);
    EXPECT_NE(s.message.find(why), std::string::npos) << s.message;
  };

  // Too short for a JoinRequest.
  expect_invalid(control(Op::Join, 5, Bytes{std::byte{1}, std::byte{2}}),
                 Op::Join, 5, "malformed request");
  // A string length beyond the payload.
  expect_invalid(control(Op::Join, 6, encoded(std::uint64_t{1} << 40)),
                 Op::Join, 6, "malformed request");
  // A whole JoinRequest followed by more bytes.
  Bytes trailing = encoded(join_request(hello(1)));
  trailing.push_back(std::byte{0});
  expect_invalid(control(Op::Join, 7, trailing), Op::Join, 7, "trailing");
  // Exit is pushed by the controller, never asked for.
  expect_invalid(control(Op::Exit, 8, {}), Op::Exit, 8, "not a request");
  // A Resolve with no proclet id.
  expect_invalid(control(Op::Resolve, 9, {}), Op::Resolve, 9,
                 "malformed request");
  // A Leaving whose node id is cut short, or followed by more bytes.
  expect_invalid(control(Op::Leaving, 13, Bytes{std::byte{1}, std::byte{0}}),
                 Op::Leaving, 13, "malformed request");
  Bytes long_leaving = encoded(NodeId{1});
  long_leaving.push_back(std::byte{0});
  expect_invalid(control(Op::Leaving, 14, long_leaving), Op::Leaving, 14,
                 "trailing");
  // Status and EndProcess carry nothing: a byte after them is refused.
  expect_invalid(control(Op::Status, 11, Bytes{std::byte{0}}), Op::Status, 11,
                 "trailing");
  expect_invalid(control(Op::EndProcess, 12, Bytes{std::byte{0}}),
                 Op::EndProcess, 12, "trailing");

  // A malformed one-way post is dropped without a reply...
  ASSERT_FALSE(raw->send(control(
      Op::Register, 0, encoded(std::uint64_t{1} << 40), wire::kOneWay)));
  // ...and the connection keeps working: nothing was joined or registered.
  ASSERT_FALSE(raw->send(control(Op::Status, 10, {})));
  Bytes reply = inbox->frame(replies);
  ASSERT_FALSE(reply.empty());
  EXPECT_TRUE(reply_status(reply, Op::Status, 10).ok);
  auto view = wire::parse_frame(reply);
  ASSERT_TRUE(view);
  detail::Decoder in(view->payload, detail::SerialContext{});
  ReplyStatus ok;
  StatusReply s;
  in(ok, s);
  in.finish();
  EXPECT_TRUE(s.nodes.empty());
  EXPECT_EQ(s.proclets, 0u);
  {
    std::scoped_lock lock(inbox->mu);
    EXPECT_FALSE(inbox->closed);
  }
  expect_still_serving();
}

TEST_F(ServiceTest, ClientReportsUnreachableWhenNothingListens) {
  auto c = Client::connect(*nodes_, "mem:nobody", 500ms);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.failure().code, Errc::unreachable);
  EXPECT_NE(c.failure().message.find("mem:nobody"), std::string::npos)
      << c.failure().message;
}

TEST_F(ServiceTest, CallsFailWhenTheServiceIsDestroyed) {
  start();
  auto c = connect({}, 500ms);
  ASSERT_TRUE(c);
  ASSERT_TRUE(status(*c));
  // Calls in a loop on another thread while the service goes away; each
  // one ends with an answer or unreachable, within the client's timeout.
  std::atomic<int> answered{0};
  auto caller = std::async(std::launch::async, [&] {
    auto slowest = Clock::duration::zero();
    for (;;) {
      auto t0 = Clock::now();
      auto s = status(*c);
      slowest = std::max(slowest, Clock::now() - t0);
      if (!s)
        return std::make_pair(s.failure(), slowest);
      ++answered;
    }
  });
  EXPECT_TRUE(eventually([&] { return answered >= 20; }));
  service_.reset(); // also what ends the loop if the line above failed
  ASSERT_EQ(caller.wait_for(kDeadline), std::future_status::ready)
      << "a call hung after the service was destroyed";
  auto [error, slowest] = caller.get();
  EXPECT_EQ(error.code, Errc::unreachable) << error.message;
  EXPECT_LT(slowest, 500ms + 1s);
  EXPECT_TRUE(eventually([&] { return !c->connected(); }));
  auto after = status(*c);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.failure().code, Errc::unreachable);
}

TEST_F(ServiceTest, PendingCallFailsWhenTheControllerGoesAway) {
  // A controller that takes requests and never answers, then vanishes
  // while one is pending: the caller learns at once, not at its timeout.
  net::TransportOptions o;
  o.memory_hub = hub_;
  auto silent = net::make_memory_transport(o);
  auto inbox = std::make_shared<RawInbox>();
  auto listening = silent->listen("", RawInbox::handlers(inbox));
  ASSERT_TRUE(listening);
  auto c = Client::connect(*nodes_, *listening, 60s);
  ASSERT_TRUE(c) << c.failure().message;
  std::shared_ptr<Client> client = *c;
  auto call = std::async(std::launch::async, [&] { return status(*client); });
  EXPECT_FALSE(inbox->frame(0).empty()) << "the request never arrived";
  silent.reset(); // also what ends the call if the line above failed
  ASSERT_EQ(call.wait_for(kDeadline), std::future_status::ready)
      << "the pending call waits for its timeout";
  auto r = call.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().code, Errc::unreachable);
  EXPECT_NE(r.failure().message.find("closed"), std::string::npos)
      << r.failure().message;
}

TEST_F(ServiceTest, CallTimesOutAndMalformedRepliesAreUnreachable) {
  net::TransportOptions o;
  o.memory_hub = hub_;
  auto fake = net::make_memory_transport(o);
  // Ignores request 1; answers request 2 with a payload that is not a reply.
  net::Handlers h;
  h.on_frame = [](const std::shared_ptr<net::Connection> &conn, Bytes frame) {
    auto view = wire::parse_frame(frame);
    if (view && view->header.request_id == 2)
      (void)conn->send(
          control(Op::Status, 2, Bytes{std::byte{1}, std::byte{0}}));
  };
  auto listening = fake->listen("", std::move(h));
  ASSERT_TRUE(listening);
  auto c = Client::connect(*nodes_, *listening, 100ms);
  ASSERT_TRUE(c) << c.failure().message;
  auto timed_out = status(**c);
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.failure().code, Errc::unreachable);
  EXPECT_NE(timed_out.failure().message.find("did not answer within 100 ms"),
            std::string::npos)
      << timed_out.failure().message;
  EXPECT_TRUE((*c)->connected());
  auto malformed = status(**c);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.failure().code, Errc::unreachable);
  EXPECT_NE(malformed.failure().message.find("malformed reply"),
            std::string::npos)
      << malformed.failure().message;
}

// Known bugs (see the report that added this file): each test states the
// behaviour the service should have; enable it once the bug is fixed.

// Service::register_proclets accepts a location on any node, so a late
// registration (e.g. by the proclet's creator) re-adds a proclet on a node
// that already died and was dropped, and it then resolves there forever.
TEST_F(ServiceTest, RegisterOnADeadOrUnknownNodeIsIgnored) {
  start(kExpiry);
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1));
  Beater keep_alive(a, 1);
  ASSERT_TRUE(join(*b, 2)); // and never beats again
  ASSERT_TRUE(
      eventually([&] { return node_info(*a, 2).state == NodeState::dead; }));
  // Node 2's connection is still open (and bound to it); no connection
  // joined as node 99, so that registration is refused before this check.
  b->post(Op::Register, std::vector<Registration>{{21, {2, 1}}});
  ASSERT_TRUE(status(*b)); // its frames are handled in order
  a->post(Op::Register, std::vector<Registration>{{22, {99, 1}}});
  a->post(Op::Register, std::vector<Registration>{{23, {1, 1}}});
  ASSERT_TRUE(resolves_to(*a, 23, Location{1, 1}));
  auto on_dead = resolve(*a, 21);
  EXPECT_FALSE(on_dead) << "resolves to dead node " << on_dead->node;
  auto on_unknown = resolve(*a, 22);
  EXPECT_FALSE(on_unknown) << "resolves to unknown node " << on_unknown->node;
}

// A controller restarted with recover_for takes only rejoins at first: a
// join or an id grant then could hand out what a node that has not
// rejoined yet still holds.
TEST_F(ServiceTest, ARecoveringControllerGrantsNothingUntilNodesRejoined) {
  start(kNoExpiry, "mem:controller");
  IdRange held_by_2;
  {
    auto a = connect(), b = connect();
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(join(*a, 1));
    auto jb = join(*b, 2);
    ASSERT_TRUE(jb);
    held_by_2 = jb->ids;
    service_.reset();
  }
  start(kNoExpiry, "mem:controller", std::chrono::milliseconds(300));
  auto a = connect(), b = connect(), c = connect();
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(a->call<Membership>(
      Op::Rejoin,
      RejoinRequest{NodeReport{1, hello(1), kLiveLoad, kGrant - 1, {}},
                    false}));
  auto early = join(*c, 3); // node 2 has not rejoined yet
  ASSERT_FALSE(early);
  EXPECT_EQ(early.failure().code, Errc::recovering) << early.failure().message;
  EXPECT_EQ(a->call<IdRange>(Op::GrantIds, NodeId{1}).failure().code,
            Errc::recovering);
  ASSERT_TRUE(b->call<Membership>(
      Op::Rejoin,
      RejoinRequest{NodeReport{2, hello(2), kLiveLoad, held_by_2.end - 1, {}},
                    false}));
  Expected<JoinReply> jc = early;
  ASSERT_TRUE(eventually([&] { return bool(jc = join(*c, 3)); }));
  EXPECT_EQ(jc->id, 3u);
  EXPECT_TRUE(disjoint(jc->ids, held_by_2));
  auto refill = a->call<IdRange>(Op::GrantIds, NodeId{1});
  ASSERT_TRUE(refill);
  EXPECT_TRUE(disjoint(*refill, held_by_2));
}

// A bool on the wire is read by copying its byte (archive.hpp's arithmetic
// load), so a byte other than 0 or 1 makes an invalid bool: undefined
// behaviour, which the sanitizer build aborts on. It should be refused.
TEST_F(ServiceTest, NonBooleanFlagIsRefused) {
  start();
  auto inbox = std::make_shared<RawInbox>();
  auto raw = connect_raw(inbox);
  ASSERT_TRUE(raw);
  Bytes payload = encoded(join_request(hello(1)));
  payload[encoded(hello(1)).size()] = std::byte{2}; // JoinRequest::main
  ASSERT_FALSE(raw->send(control(Op::Join, 1, payload)));
  Bytes reply = inbox->frame(0);
  ASSERT_FALSE(reply.empty());
  ReplyStatus s = reply_status(reply, Op::Join, 1);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.code, Errc::invalid_argument);
  expect_still_serving();
}

// Authorization: a connection speaks only for the nodes it joined or
// rejoined as. Each test forges requests on a raw connection, as an
// attacker would, checks that they are refused and changed nothing, and
// that the node's own connection still works. The service before this
// check took every one of them.

bool warnings_logged() { return log::level() <= log::Level::warn; }

std::size_t count_lines(const std::string &text, const std::string &needle) {
  std::istringstream lines(text);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);)
    count += line.find(needle) != std::string::npos;
  return count;
}

Bytes heartbeat_of(NodeId id, Load load = kLiveLoad) {
  return encoded(HeartbeatRequest{id, load, {}});
}

TEST_F(ServiceTest, AForgedHeartbeatIsRefused) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(join(*a, 1));
  RawPeer stranger = raw_peer(); // never joins
  RawPeer other = raw_peer();
  ASSERT_EQ(other.join(2), 2u);
  const std::string before = snapshot(*a);

  const Bytes forged = heartbeat_of(1, Load{1, 1.0, 999});
  expect_denied(stranger.ask(Op::Heartbeat, forged),
                "heartbeat for node 1 refused: this connection did not join "
                "as node 1");
  expect_denied(other.ask(Op::Heartbeat, forged), "heartbeat for node 1");
  EXPECT_EQ(snapshot(*a), before);

  ASSERT_TRUE(beat(*a, 1, kLiveLoad));
  EXPECT_EQ(node_info(*a, 1).heartbeats, 2u) << "the join's and its own";
  EXPECT_TRUE(other.ask(Op::Heartbeat, heartbeat_of(2)).ok);
}

/// The answer of type T to a request; nullopt if it was refused.
template <class T>
std::optional<T> answer(RawPeer &p, Op op, const Bytes &payload) {
  Bytes reply = p.ask_raw(op, payload);
  auto view = wire::parse_frame(reply);
  if (!view)
    return std::nullopt;
  detail::Decoder in(view->payload, detail::SerialContext{});
  ReplyStatus s;
  in(s);
  if (!s.ok)
    return std::nullopt;
  T value{};
  in(value);
  return value;
}

/// The answer to a backup's claim of proclet \p id for \p node at \p epoch:
/// granted or not; nullopt if the claim itself was refused.
std::optional<bool> claim(RawPeer &p, ProcletId id, NodeId node,
                          std::uint64_t epoch) {
  return answer<bool>(p, Op::Claim, encoded(Registration{id, {node, epoch}}));
}

TEST_F(ServiceTest, AClaimIsGrantedOnceAtANewerEpochAndOnlyToItsNode) {
  start();
  RawPeer a = raw_peer(), b = raw_peer(), stranger = raw_peer();
  ASSERT_EQ(a.join(1), 1u);
  ASSERT_EQ(b.join(2), 2u);
  a.post(Op::Register, encoded(std::vector<Registration>{{7, {1, 3}}}));
  expect_denied(stranger.ask(Op::Claim, encoded(Registration{7, {2, 4}})),
                "claim for node 2 refused");
  expect_denied(a.ask(Op::Claim, encoded(Registration{7, {2, 4}})),
                "claim for node 2 refused");
  EXPECT_EQ(claim(b, 7, 2, 3), false); // not newer than the primary's
  EXPECT_EQ(claim(b, 7, 2, 4), true);
  EXPECT_EQ(claim(b, 7, 2, 4), false); // a second copy at the same epoch
  EXPECT_EQ(claim(a, 7, 1, 4), false);
}

// A node leases placements for itself only, 1 to kMaxLease at a time;
// they go round the live nodes as single placements would.
TEST_F(ServiceTest, APlacementLeaseIsForItsOwnNodeAndBounded) {
  start();
  RawPeer a = raw_peer(), b = raw_peer(), stranger = raw_peer();
  ASSERT_EQ(a.join(1), 1u);
  ASSERT_EQ(b.join(2), 2u);
  expect_denied(stranger.ask(Op::PlaceMany, encoded(PlacementLease{1, 0, 4})),
                "placement lease for node 1 refused");
  expect_denied(b.ask(Op::PlaceMany, encoded(PlacementLease{1, 0, 4})),
                "placement lease for node 1 refused");
  for (std::uint32_t count : {0u, kMaxLease + 1})
    EXPECT_EQ(a.ask(Op::PlaceMany, encoded(PlacementLease{1, 0, count})).code,
              Errc::invalid_argument)
        << count;
  auto placed = answer<std::vector<NodeId>>(a, Op::PlaceMany,
                                            encoded(PlacementLease{1, 0, 4}));
  ASSERT_TRUE(placed);
  EXPECT_EQ(*placed, (std::vector<NodeId>{1, 2, 1, 2}));
}

TEST_F(ServiceTest, AForgedLeaveIsRefused) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(join(*a, 1));
  a->post(Op::Register, std::vector<Registration>{{7, {1, 1}}});
  ASSERT_TRUE(resolves_to(*a, 7, Location{1, 1}));
  RawPeer stranger = raw_peer();
  RawPeer other = raw_peer();
  ASSERT_EQ(other.join(2), 2u);
  const std::string before = snapshot(*a);

  expect_denied(stranger.ask(Op::Leave, encoded(NodeId{1})),
                "leave for node 1 refused: this connection did not join as "
                "node 1");
  expect_denied(other.ask(Op::Leave, encoded(NodeId{1})), "leave for node 1");
  EXPECT_EQ(snapshot(*a), before);
  EXPECT_EQ(node_info(*a, 1).state, NodeState::live);
  EXPECT_EQ(*resolve(*a, 7), (Location{1, 1}));

  ASSERT_TRUE(beat(*a, 1, kLiveLoad));
  ASSERT_TRUE(a->call<None>(Op::Leave, NodeId{1}));
  EXPECT_EQ(node_info(*a, 1).state, NodeState::left);
  EXPECT_TRUE(other.ask(Op::Leave, encoded(NodeId{2})).ok);
}

// A node about to leave says so on its own connection; it stays live, and
// no placement (single, explicit or leased) picks it from then on.
TEST_F(ServiceTest, ALeavingNodeIsPassedOverByPlacement) {
  start();
  RawPeer a = raw_peer(), b = raw_peer(), stranger = raw_peer();
  ASSERT_EQ(a.join(1), 1u);
  ASSERT_EQ(b.join(2), 2u);
  auto c = connect();
  ASSERT_TRUE(c);
  expect_denied(stranger.ask(Op::Leaving, encoded(NodeId{1})),
                "leaving for node 1 refused");
  expect_denied(b.ask(Op::Leaving, encoded(NodeId{1})),
                "leaving for node 1 refused");
  EXPECT_FALSE(node_info(*c, 1).leaving);
  auto place = [&](std::optional<NodeId> on = std::nullopt) {
    return answer<NodeId>(stranger, Op::Place,
                          encoded(PlacementRequest{on, 0, std::nullopt}));
  };
  EXPECT_EQ(place(), 1u);
  EXPECT_EQ(place(), 2u);

  ASSERT_TRUE(a.ask(Op::Leaving, encoded(NodeId{1})).ok);
  ASSERT_TRUE(a.ask(Op::Leaving, encoded(NodeId{1})).ok) << "twice is fine";
  NodeInfo one = node_info(*c, 1);
  EXPECT_TRUE(one.leaving);
  EXPECT_EQ(one.state, NodeState::live);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(place(), 2u);
  auto on_one =
      stranger.ask(Op::Place, encoded(PlacementRequest{1, 0, std::nullopt}));
  EXPECT_EQ(on_one.code, Errc::node_left);
  EXPECT_NE(on_one.message.find("node 1 is leaving"), std::string::npos)
      << on_one.message;
  auto leased = answer<std::vector<NodeId>>(a, Op::PlaceMany,
                                            encoded(PlacementLease{1, 0, 3}));
  EXPECT_EQ(leased, (std::vector<NodeId>{2, 2, 2}));

  ASSERT_TRUE(b.ask(Op::Leaving, encoded(NodeId{2})).ok);
  EXPECT_EQ(stranger.ask(Op::Place, encoded(PlacementRequest{})).code,
            Errc::no_live_node);
}

TEST_F(ServiceTest, ForgedRegistrationsAndUnregistrationsAreDropped) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(join(*a, 1));
  a->post(Op::Register,
          std::vector<Registration>{{100, {1, 1}}, {101, {1, 2}}});
  ASSERT_TRUE(resolves_to(*a, 101, Location{1, 2}));
  RawPeer stranger = raw_peer();
  RawPeer other = raw_peer();
  ASSERT_EQ(other.join(2), 2u);
  const std::string before = snapshot(*a);

  for (RawPeer *forger : {&stranger, &other}) {
    // Moving node 1's proclet, adding one there, forgetting another.
    forger->post(Op::Register, encoded(std::vector<Registration>{
                                   {100, {1, 5}}, {300, {1, 1}}}));
    forger->post(Op::Unregister, encoded(std::vector<ProcletId>{101}));
  }
  // A message naming the sender's node and another is dropped whole.
  other.post(Op::Register,
             encoded(std::vector<Registration>{{200, {2, 1}}, {100, {1, 9}}}));
  EXPECT_EQ(snapshot(*a), before);
  EXPECT_EQ(*resolve(*a, 100), (Location{1, 1}));
  EXPECT_EQ(*resolve(*a, 101), (Location{1, 2}));
  EXPECT_FALSE(resolve(*a, 200));
  EXPECT_FALSE(resolve(*a, 300));

  // Each node registers its own proclets. One that migrated from node 1
  // to node 2 is node 2's to forget, no longer node 1's.
  other.post(Op::Register,
             encoded(std::vector<Registration>{{200, {2, 1}}, {101, {2, 3}}}));
  EXPECT_EQ(*resolve(*a, 200), (Location{2, 1}));
  a->post(Op::Unregister, std::vector<ProcletId>{101});
  ASSERT_TRUE(status(*a)); // its frames are handled in order
  EXPECT_EQ(*resolve(*a, 101), (Location{2, 3}));
  other.post(Op::Unregister, encoded(std::vector<ProcletId>{101, 200}));
  a->post(Op::Unregister, std::vector<ProcletId>{100});
  EXPECT_TRUE(resolves_to_error(*a, 100, Errc::unknown_proclet));
  EXPECT_FALSE(resolve(*a, 101));
  EXPECT_FALSE(resolve(*a, 200));
  EXPECT_EQ(status(*a)->proclets, 0u);
}

TEST_F(ServiceTest, AForgedIdGrantIsRefused) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  auto ja = join(*a, 1);
  ASSERT_TRUE(ja);
  ASSERT_EQ(ja->ids, (IdRange{1, kGrant}));
  RawPeer stranger = raw_peer();
  RawPeer other = raw_peer();
  ASSERT_EQ(other.join(2), 2u); // granted [kGrant, 2 * kGrant)

  expect_denied(stranger.ask(Op::GrantIds, encoded(NodeId{1})),
                "id grant for node 1 refused: this connection did not join "
                "as node 1");
  expect_denied(other.ask(Op::GrantIds, encoded(NodeId{1})),
                "id grant for node 1");
  // Nothing was handed out meanwhile: node 1 gets the next range.
  auto refill = a->call<IdRange>(Op::GrantIds, NodeId{1});
  ASSERT_TRUE(refill) << refill.failure().message;
  EXPECT_EQ(*refill, (IdRange{2 * kGrant, 3 * kGrant}));
  EXPECT_TRUE(other.ask(Op::GrantIds, encoded(NodeId{2})).ok);
}

TEST_F(ServiceTest, ARejoinAsAConnectedNodeIsRefused) {
  start();
  auto b_pushes = std::make_shared<Pushes>();
  auto a = connect(), b = connect(Pushes::handler(b_pushes));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1, /*main=*/true));
  ASSERT_TRUE(join(*b, 2));
  a->post(Op::Register, std::vector<Registration>{{100, {1, 1}}});
  ASSERT_TRUE(resolves_to(*a, 100, Location{1, 1}));
  RawPeer stranger = raw_peer();
  const std::string before = snapshot(*a);

  // Node 1's address, no proclets, the main role: taken, this would have
  // dropped node 1's proclets and made the stranger node 1.
  const Bytes forged = encoded(
      RejoinRequest{NodeReport{1, hello(1), Load{1, 1.0, 0}, 0, {}}, true});
  expect_denied(stranger.ask(Op::Rejoin, forged),
                "rejoin as node 1 refused: node 1 is connected on another "
                "connection");
  EXPECT_EQ(snapshot(*a), before);
  EXPECT_EQ(*resolve(*a, 100), (Location{1, 1}));
  expect_denied(stranger.ask(Op::Heartbeat, heartbeat_of(1)),
                "heartbeat for node 1");
  expect_denied(stranger.ask(Op::EndProcess), "ending the logical process");

  // Node 1 still speaks for itself, and may rejoin on its own connection.
  ASSERT_TRUE(beat(*a, 1, kLiveLoad));
  auto again = a->call<Membership>(
      Op::Rejoin,
      RejoinRequest{NodeReport{1, hello(1), kLiveLoad, 0, {{100, 1}}}, true});
  ASSERT_TRUE(again) << again.failure().message;
  ASSERT_TRUE(status(*b));
  EXPECT_TRUE(b_pushes->seen().empty());
}

TEST_F(ServiceTest, ANodeRejoinsOnANewConnectionAfterItsOldOneClosed) {
  start();
  auto b_pushes = std::make_shared<Pushes>();
  auto a = connect(), b = connect(Pushes::handler(b_pushes));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1, /*main=*/true));
  ASSERT_TRUE(join(*b, 2));
  a->post(Op::Register, std::vector<Registration>{{100, {1, 1}}});
  ASSERT_TRUE(resolves_to(*b, 100, Location{1, 1}));

  a->close();
  auto a2 = connect();
  ASSERT_TRUE(a2);
  auto rejoin = [&] {
    return a2->call<Membership>(
        Op::Rejoin,
        RejoinRequest{
            NodeReport{1, hello(1), kLiveLoad, kGrant - 1, {{100, 1}}}, true});
  };
  // The service unbinds node 1 when it sees the close: poll for that.
  auto back = rejoin();
  ASSERT_TRUE(eventually([&] { return bool(back = rejoin()); }))
      << back.failure().message;
  EXPECT_EQ(ids_of(back->peers), (std::vector<NodeId>{1, 2}));

  // The new connection speaks for node 1; a stranger still does not.
  ASSERT_TRUE(beat(*a2, 1, kLiveLoad));
  ASSERT_TRUE(a2->call<IdRange>(Op::GrantIds, NodeId{1}));
  RawPeer stranger = raw_peer();
  expect_denied(stranger.ask(Op::Heartbeat, heartbeat_of(1)),
                "heartbeat for node 1");
  expect_denied(
      stranger.ask(Op::Rejoin,
                   encoded(RejoinRequest{
                       NodeReport{1, hello(1), kLiveLoad, 0, {}}, false})),
      "rejoin as node 1");
  EXPECT_EQ(*resolve(*b, 100), (Location{1, 1}));
  ASSERT_TRUE(a2->call<None>(Op::EndProcess)) << "it is still the main node";
  ASSERT_TRUE(b_pushes->wait(1));
  EXPECT_EQ(b_pushes->seen(), std::vector<Op>{Op::Exit});

  // Once that connection closes too, the id is free, but at node 1's
  // address only.
  a2->close();
  auto c = connect();
  ASSERT_TRUE(c);
  auto elsewhere = [&] {
    return c->call<Membership>(
        Op::Rejoin, RejoinRequest{NodeReport{1, hello(9), {}, 0, {}}, false});
  };
  auto taken = elsewhere();
  EXPECT_TRUE(eventually([&] {
    taken = elsewhere();
    return !taken && taken.failure().code == Errc::id_taken;
  })) << (taken ? "rejoined" : taken.failure().message);
}

TEST_F(ServiceTest, OnlyTheMainNodeEndsTheProcess) {
  start();
  auto main_pushes = std::make_shared<Pushes>();
  auto b_pushes = std::make_shared<Pushes>();
  auto a = connect(Pushes::handler(main_pushes));
  auto b = connect(Pushes::handler(b_pushes));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(join(*a, 1, /*main=*/true));
  ASSERT_TRUE(join(*b, 2));
  RawPeer stranger = raw_peer(); // never joins
  RawPeer other = raw_peer();
  ASSERT_EQ(other.join(3), 3u);

  expect_denied(stranger.ask(Op::EndProcess),
                "ending the logical process refused: this connection did not "
                "join as the main node");
  expect_denied(other.ask(Op::EndProcess), "ending the logical process");
  // Nor may a connection make itself the main node while node 1 is.
  expect_denied(stranger.ask(Op::Join, encoded(join_request(hello(4), true))),
                "join as the main node refused: node 1 is the main node");
  expect_denied(
      other.ask(Op::Rejoin,
                encoded(RejoinRequest{NodeReport{3, hello(3), kLiveLoad, 0, {}},
                                      true})),
      "rejoin as the main node refused: node 1 is the main node");
  expect_denied(other.ask(Op::EndProcess), "ending the logical process");

  // Nobody heard Exit: one would have arrived before these replies.
  ASSERT_TRUE(status(*a));
  ASSERT_TRUE(status(*b));
  ASSERT_TRUE(other.ask(Op::Status).ok);
  EXPECT_TRUE(main_pushes->seen().empty());
  EXPECT_TRUE(b_pushes->seen().empty());
  EXPECT_EQ(other.frames(), other.replies());
  EXPECT_EQ(stranger.frames(), stranger.replies());
  auto s = status(*a);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->nodes.size(), 3u) << describe(*s);

  ASSERT_TRUE(a->call<None>(Op::EndProcess));
  ASSERT_TRUE(b_pushes->wait(1));
  EXPECT_EQ(b_pushes->seen(), std::vector<Op>{Op::Exit});
}

TEST_F(ServiceTest, ABinaryMismatchRefusalNamesNoBuildIdOrDigest) {
  start();
  const std::string build = "build-0123456789abcdef";
  const std::string digest = "digest-fedcba9876543210";
  const std::string other_build = "build-other-5555";
  const std::string other_digest = "digest-other-7777";
  auto a = connect(), b = connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(
      a->call<JoinReply>(Op::Join, join_request(hello(1, build, digest))));

  std::vector<Failure> refusals;
  testing::internal::CaptureStderr();
  for (const NodeHello &h :
       {hello(2, other_build, digest), hello(3, build, other_digest)}) {
    auto joined = b->call<JoinReply>(Op::Join, join_request(h));
    refusals.push_back(joined ? Failure{} : joined.failure());
    auto rejoined = b->call<Membership>(
        Op::Rejoin, RejoinRequest{NodeReport{9, h, kLiveLoad, 0, {}}, false});
    refusals.push_back(rejoined ? Failure{} : rejoined.failure());
  }
  const std::string log = testing::internal::GetCapturedStderr();

  for (const Failure &f : refusals) {
    EXPECT_EQ(f.code, Errc::binary_mismatch) << f.message;
    EXPECT_NE(f.message.find("runs a different binary"), std::string::npos)
        << f.message;
    for (const std::string &secret : {build, digest, other_build, other_digest})
      EXPECT_EQ(f.message.find(secret), std::string::npos) << f.message;
  }
  if (!warnings_logged())
    GTEST_SKIP() << "NU_LOG_LEVEL hides warnings";
  // The details are for the controller's operator.
  EXPECT_NE(log.find("expected " + build), std::string::npos) << log;
  EXPECT_NE(log.find("expected " + digest), std::string::npos) << log;
}

TEST_F(ServiceTest, RefusalsAreLoggedRateLimited) {
  start();
  auto a = connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(join(*a, 1));
  RawPeer stranger = raw_peer();
  constexpr int kFlood = 200;
  int denied = 0;
  const auto started = Clock::now();
  testing::internal::CaptureStderr();
  for (int i = 0; i < kFlood; ++i) {
    ReplyStatus s = stranger.ask(Op::Heartbeat, heartbeat_of(1));
    denied += !s.ok && s.code == Errc::permission_denied;
  }
  const std::string log = testing::internal::GetCapturedStderr();
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started)
          .count();
  EXPECT_EQ(denied, kFlood);
  ASSERT_TRUE(beat(*a, 1, kLiveLoad));
  if (!warnings_logged())
    GTEST_SKIP() << "NU_LOG_LEVEL hides warnings";
  const std::size_t lines = count_lines(log, "heartbeat for node 1 refused");
  EXPECT_GE(lines, 1u) << log;
  EXPECT_LE(lines, 5u * (static_cast<std::size_t>(seconds) + 2)) << log;
}

TEST(ServiceOverTcp, JoinRegisterExitAndRestartOnTheSamePort) {
  auto make = [] {
    return std::make_unique<Service>(
        service_options(kNoExpiry, "tcp", nullptr));
  };
  auto service = make();
  auto listening = service->listen("127.0.0.1:0");
  ASSERT_TRUE(listening) << listening.failure().message;
  const std::string address = *listening;
  ASSERT_TRUE(address.starts_with("127.0.0.1:")) << address;
  ASSERT_NE(address, "127.0.0.1:0");

  auto transport = net::make_transport("tcp", {});
  ASSERT_TRUE(transport) << transport.failure().message;
  net::Transport &nodes = **transport;
  auto b_pushes = std::make_shared<Pushes>();
  auto a = Client::connect(nodes, address, kCallTimeout);
  auto b =
      Client::connect(nodes, address, kCallTimeout, Pushes::handler(b_pushes));
  ASSERT_TRUE(a && b);
  auto ja = join(**a, 1, /*main=*/true);
  auto jb = join(**b, 2);
  ASSERT_TRUE(ja && jb);
  EXPECT_EQ(ja->id, 1u);
  EXPECT_EQ(jb->id, 2u);
  EXPECT_TRUE(disjoint(ja->ids, jb->ids));
  EXPECT_EQ(ids_of(jb->peers), (std::vector<NodeId>{1, 2}));
  auto m = beat(**b, 2, Load{kGiB, 0.5, 1});
  ASSERT_TRUE(m);
  EXPECT_EQ(ids_of(m->peers), (std::vector<NodeId>{1, 2}));
  (*b)->post(Op::Register, std::vector<Registration>{{jb->ids.begin, {2, 1}}});
  EXPECT_TRUE(resolves_to(**a, jb->ids.begin, Location{2, 1}));

  // Garbage on a raw TCP connection: closed, and the service carries on.
  auto inbox = std::make_shared<RawInbox>();
  auto raw = nodes.connect(address, RawInbox::handlers(inbox));
  ASSERT_TRUE(raw) << raw.failure().message;
  (void)(*raw)->send(Bytes(64, std::byte{0xAB}));
  EXPECT_TRUE(inbox->wait_closed());
  ASSERT_TRUE(status(**a));

  ASSERT_TRUE((*a)->call<None>(Op::EndProcess));
  ASSERT_TRUE(b_pushes->wait(1));
  EXPECT_EQ(b_pushes->seen(), std::vector<Op>{Op::Exit});

  // Restart on the same port; node 2 rejoins with its proclet.
  service.reset();
  EXPECT_TRUE(eventually([&] { return !(*b)->connected(); }));
  service = make();
  auto again = service->listen(address);
  ASSERT_TRUE(again) << again.failure().message;
  EXPECT_EQ(*again, address);
  auto b2 = Client::connect(nodes, address, kCallTimeout);
  ASSERT_TRUE(b2) << b2.failure().message;
  auto rejoined = (*b2)->call<Membership>(
      Op::Rejoin, RejoinRequest{NodeReport{2,
                                           hello(2),
                                           Load{kGiB, 0.5, 1},
                                           jb->ids.begin,
                                           {{jb->ids.begin, 1}}},
                                false});
  ASSERT_TRUE(rejoined) << rejoined.failure().message;
  EXPECT_EQ(ids_of(rejoined->peers), std::vector<NodeId>{2});
  EXPECT_EQ(*resolve(**b2, jb->ids.begin), (Location{2, 1}));
  auto c = Client::connect(nodes, address, kCallTimeout);
  ASSERT_TRUE(c);
  auto jc = join(**c, 3);
  ASSERT_TRUE(jc) << jc.failure().message;
  EXPECT_EQ(jc->id, 3u);
  EXPECT_GT(jc->ids.begin, jb->ids.begin);
  service.reset();
}

TEST(ServiceOverTcp, ClientReportsUnreachableWhenNothingListens) {
  auto transport = net::make_transport("tcp", {});
  ASSERT_TRUE(transport);
  // A port that was just free: listen on it, then let it go.
  std::string address;
  {
    auto probe = net::make_transport("tcp", {});
    ASSERT_TRUE(probe);
    auto l = (*probe)->listen("127.0.0.1:0", {});
    ASSERT_TRUE(l) << l.failure().message;
    address = *l;
  }
  auto c = Client::connect(**transport, address, 500ms);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.failure().code, Errc::unreachable);
  EXPECT_NE(c.failure().message.find(address), std::string::npos)
      << c.failure().message;
  auto bad = Client::connect(**transport, "127.0.0.1:0", 500ms);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.failure().code, Errc::unreachable);
}

TEST(ServiceOptionsTest, UnknownTransportThrows) {
  ServiceOptions o;
  o.transport = "carrier-pigeon";
  EXPECT_THROW(Service{o}, std::runtime_error);
}

TEST(NodeStateNames, AreLiveLeftDead) {
  EXPECT_EQ(to_string(NodeState::live), "live");
  EXPECT_EQ(to_string(NodeState::left), "left");
  EXPECT_EQ(to_string(NodeState::dead), "dead");
}

} // namespace
} // namespace nu::controller
