// Tests of the RPC endpoint over the in-memory and TCP transports: replies
// complete only their own call on its own connection; deadlines, closes,
// cancels and shutdown each end a call exactly once; bad frames close.
#include "nu/rpc/endpoint.hpp"

#include "nu/net/memory_transport.hpp"
#include "nu/net/tcp_transport.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace nu::rpc {
namespace {

using namespace std::chrono_literals;

Bytes frame_of(wire::FrameKind kind, std::uint64_t id) {
  Bytes frame = wire::start_frame();
  wire::FrameHeader header;
  header.kind = kind;
  header.request_id = id;
  wire::finish_frame(frame, header);
  return frame;
}

// Waits (bounded) until \p done holds.
template <class Pred> bool eventually(Pred done) {
  for (int i = 0; i < 500 && !done(); ++i)
    std::this_thread::sleep_for(10ms);
  return done();
}

// A server endpoint that holds each request until told to answer it.
struct Server {
  explicit Server(net::Transport &transport)
      : endpoint(transport, handlers()) {}
  EndpointHandlers handlers() {
    EndpointHandlers h;
    h.on_request = [this](const ConnectionPtr &conn, Bytes frame) {
      std::scoped_lock lock(mu);
      held.emplace_back(conn, wire::parse_header(frame)->request_id);
    };
    h.name = "test server";
    return h;
  }
  std::size_t held_count() {
    std::scoped_lock lock(mu);
    return held.size();
  }
  // Answers the first held request with a Result frame.
  void answer() {
    std::scoped_lock lock(mu);
    auto [conn, id] = held.front();
    held.erase(held.begin());
    conn->send(frame_of(wire::FrameKind::Result, id));
  }
  std::mutex mu;
  std::vector<std::pair<ConnectionPtr, std::uint64_t>> held;
  Endpoint endpoint;
};

// What a call's handler saw, and how many times it ran.
struct Outcome {
  std::atomic<int> runs{0};
  std::promise<Expected<Bytes>> result;
  ReplyHandler handler() {
    return [this](Expected<Bytes> reply) {
      if (runs.fetch_add(1) == 0)
        result.set_value(std::move(reply));
    };
  }
};

struct MemoryKind {
  static std::unique_ptr<net::Transport> make() {
    static auto hub = std::make_shared<net::MemoryHub>();
    net::TransportOptions options;
    options.memory_hub = hub;
    return net::make_memory_transport(options);
  }
};
struct TcpKind {
  static std::unique_ptr<net::Transport> make() {
    return net::make_tcp_transport({});
  }
};

template <class Kind> class EndpointTest : public ::testing::Test {
protected:
  std::unique_ptr<net::Transport> server_transport = Kind::make();
  std::unique_ptr<net::Transport> client_transport = Kind::make();
  Server server{*server_transport};
  std::string address = *server.endpoint.listen("");
  Endpoint client{*client_transport, EndpointHandlers{}};
  ConnectionPtr conn = *client.connect(address);

  wire::FrameHeader request() {
    wire::FrameHeader h;
    h.kind = wire::FrameKind::Call;
    return h;
  }
  std::uint64_t call(Outcome &outcome,
                     Clock::time_point deadline = Clock::time_point::max()) {
    return client.call(conn, request(), wire::start_frame(), deadline,
                       outcome.handler());
  }
  void TearDown() override {
    client_transport->shutdown();
    server_transport->shutdown();
  }
};

using Kinds = ::testing::Types<MemoryKind, TcpKind>;
TYPED_TEST_SUITE(EndpointTest, Kinds);

TYPED_TEST(EndpointTest, ReplyCompletesItsCall) {
  Outcome outcome;
  auto id = this->call(outcome);
  ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));
  this->server.answer();
  auto reply = outcome.result.get_future().get();
  ASSERT_TRUE(reply);
  EXPECT_EQ(wire::parse_header(*reply)->request_id, id);
  EXPECT_EQ(this->client.pending(), 0u);
}

TYPED_TEST(EndpointTest, BlockingCallReturnsTheReply) {
  std::thread answerer([this] {
    ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));
    this->server.answer();
  });
  auto reply =
      this->client.call(this->conn, this->request(), wire::start_frame(), 30s);
  answerer.join();
  ASSERT_TRUE(reply);
  EXPECT_EQ(wire::parse_header(*reply)->kind, wire::FrameKind::Result);
}

// A reply forged on another connection, with the id of a call waiting,
// completes nothing and closes the forger's connection.
TYPED_TEST(EndpointTest, ForgedReplyOnAnotherConnectionCompletesNothing) {
  std::atomic<int> closes{0};
  EndpointHandlers h;
  h.on_close = [&](const ConnectionPtr &, std::error_code) { ++closes; };
  Endpoint node{*this->client_transport, std::move(h)};
  auto node_address = *node.listen("");
  auto to_server = *node.connect(this->address);
  Outcome outcome;
  auto id = node.call(to_server, this->request(), wire::start_frame(),
                      Clock::time_point::max(), outcome.handler());
  ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));

  // The forger: another endpoint, connected to the node, sends replies.
  auto forger_transport = TypeParam::make();
  std::atomic<bool> forger_closed{false};
  EndpointHandlers fh;
  fh.on_close = [&](const ConnectionPtr &, std::error_code) {
    forger_closed = true;
  };
  Endpoint forger{*forger_transport, std::move(fh)};
  auto forged = *forger.connect(node_address);
  for (auto kind : {wire::FrameKind::Result, wire::FrameKind::Error,
                    wire::FrameKind::Unavailable})
    forged->send(frame_of(kind, id));
  EXPECT_TRUE(eventually([&] { return forger_closed.load(); }));
  EXPECT_EQ(outcome.runs.load(), 0);
  EXPECT_EQ(node.pending(), 1u);

  this->server.answer(); // the real reply still completes the call
  auto reply = outcome.result.get_future().get();
  ASSERT_TRUE(reply);
  EXPECT_EQ(wire::parse_header(*reply)->kind, wire::FrameKind::Result);
  EXPECT_EQ(outcome.runs.load(), 1);
  forger_transport->shutdown();
}

TYPED_TEST(EndpointTest, StrayReplyIsDropped) {
  this->conn->send(frame_of(wire::FrameKind::Result, 424242));
  Outcome outcome;
  this->call(outcome); // the connection still works
  ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));
  this->server.answer();
  EXPECT_TRUE(outcome.result.get_future().get());
}

TYPED_TEST(EndpointTest, DeadlineFailsTheCallOnce) {
  Outcome outcome;
  auto start = Clock::now();
  this->call(outcome, start + 100ms);
  auto reply = outcome.result.get_future().get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.failure().code, std::errc::timed_out);
  EXPECT_GE(Clock::now() - start, 100ms);
  ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));
  this->server.answer(); // too late: dropped
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(outcome.runs.load(), 1);
  EXPECT_EQ(this->client.pending(), 0u);
}

TYPED_TEST(EndpointTest, EarlierDeadlineWakesTheExpiryThread) {
  Outcome late, early;
  auto late_id = this->call(late, Clock::now() + 60s);
  auto start = Clock::now();
  this->call(early, start + 50ms);
  auto reply = early.result.get_future().get();
  EXPECT_FALSE(reply);
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_EQ(late.runs.load(), 0);
  // Still waiting; cancelled so the teardown cannot complete it after
  // `late` is gone.
  EXPECT_TRUE(this->client.cancel(late_id));
}

TYPED_TEST(EndpointTest, LostConnectionFailsItsCalls) {
  Outcome outcome;
  this->call(outcome);
  ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));
  {
    std::scoped_lock lock(this->server.mu);
    this->server.held.front().first->close();
  }
  auto reply = outcome.result.get_future().get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.failure().code, std::errc::connection_reset);
}

TYPED_TEST(EndpointTest, CancelledCallNeverCompletes) {
  Outcome outcome;
  auto id = this->call(outcome);
  EXPECT_TRUE(this->client.cancel(id));
  EXPECT_FALSE(this->client.cancel(id));
  ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));
  this->server.answer();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(outcome.runs.load(), 0);
}

TYPED_TEST(EndpointTest, DestroyedEndpointFailsWhatWaits) {
  Outcome outcome;
  {
    Endpoint doomed{*this->client_transport, EndpointHandlers{}};
    auto conn = *doomed.connect(this->address);
    doomed.call(conn, this->request(), wire::start_frame(), Clock::now() + 60s,
                outcome.handler());
  }
  auto reply = outcome.result.get_future().get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.failure().code, std::errc::operation_canceled);
}

TYPED_TEST(EndpointTest, MalformedFrameClosesTheConnection) {
  std::atomic<bool> closed{false};
  EndpointHandlers h;
  h.on_close = [&](const ConnectionPtr &, std::error_code) { closed = true; };
  Endpoint peer{*this->client_transport, std::move(h)};
  auto conn = *peer.connect(this->address);
  Bytes bad = frame_of(wire::FrameKind::Call, 1);
  bad[0] = std::byte{0}; // bad magic
  conn->send(std::move(bad));
  EXPECT_TRUE(eventually([&] { return closed.load(); }));
  EXPECT_EQ(this->server.held_count(), 0u);
}

TYPED_TEST(EndpointTest, PostIsOneWay) {
  ASSERT_FALSE(
      this->client.post(this->conn, this->request(), wire::start_frame()));
  ASSERT_TRUE(eventually([&] { return this->server.held_count() == 1; }));
  EXPECT_EQ(this->client.pending(), 0u);
}

TYPED_TEST(EndpointTest, CallWithoutConnectionFails) {
  Outcome outcome;
  this->client.call(nullptr, this->request(), wire::start_frame(),
                    Clock::time_point::max(), outcome.handler());
  auto reply = outcome.result.get_future().get();
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.failure().code, std::errc::not_connected);
}

} // namespace
} // namespace nu::rpc
