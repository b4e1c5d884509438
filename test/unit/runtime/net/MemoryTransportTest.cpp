// Tests of the in-memory transport: request/reply, ordering, concurrency,
// closing and shutting down, malformed frames, and off-thread delivery.
#include "net/MemoryTransport.hpp"
#include "FrameHelpers.hpp"
#include "net/Frame.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace nu::net {
namespace {

using namespace std::chrono_literals;
using ConnectionPtr = std::shared_ptr<Connection>;
constexpr auto kTimeout = 60s;
thread_local int handler_depth = 0; // handlers running on this thread

using test::make_frame;
using test::payload_of;
using test::request_id_of;

// Records what a transport's handlers saw; outlives the transports using it.
struct Inbox {
  struct Frame {
    ConnectionPtr connection;
    Bytes bytes;
    std::thread::id thread;
  };
  struct Close {
    ConnectionPtr connection;
    std::error_code error;
  };

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Frame> frames;
  std::vector<Close> closes;
  // Runs on the delivery thread for each frame, before it is recorded.
  std::function<void(const ConnectionPtr &, const Bytes &)> on_frame;

  Handlers handlers() {
    Handlers h;
    h.on_frame = [this](const ConnectionPtr &c, Bytes bytes) {
      if (on_frame)
        on_frame(c, bytes);
      std::lock_guard lock(mutex);
      frames.push_back({c, std::move(bytes), std::this_thread::get_id()});
      changed.notify_all();
    };
    h.on_close = [this](const ConnectionPtr &c, std::error_code error) {
      std::lock_guard lock(mutex);
      closes.push_back({c, error});
      changed.notify_all();
    };
    return h;
  }
  bool wait_frames(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kTimeout, [&] { return frames.size() >= n; });
  }
  bool wait_closes(std::size_t n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kTimeout, [&] { return closes.size() >= n; });
  }
  std::size_t close_count() {
    std::lock_guard lock(mutex);
    return closes.size();
  }
};

struct Pair {
  std::shared_ptr<MemoryHub> hub = std::make_shared<MemoryHub>();
  std::unique_ptr<Transport> server;
  std::unique_ptr<Transport> client;
  std::string address;

  Pair(Inbox &server_inbox, unsigned server_threads = 1) {
    TransportOptions options;
    options.memory_hub = hub;
    client = make_memory_transport(options);
    options.io_threads = server_threads;
    server = make_memory_transport(options);
    auto listening = server->listen("", server_inbox.handlers());
    EXPECT_TRUE(listening) << listening.failure().message;
    address = listening ? *listening : "";
  }
  ConnectionPtr connect(Inbox &inbox) {
    auto connection = client->connect(address, inbox.handlers());
    EXPECT_TRUE(connection) << connection.failure().message;
    return connection ? *connection : nullptr;
  }
};

// A server that answers every frame with a Result echoing its payload.
void echo(Inbox &server) {
  server.on_frame = [](const ConnectionPtr &c, const Bytes &bytes) {
    auto view = parse_frame(bytes);
    ASSERT_TRUE(view);
    std::string payload(reinterpret_cast<const char *>(view->payload.data()),
                        view->payload.size());
    c->send(make_frame(FrameKind::Result, view->header.request_id, payload));
  };
}

TEST(MemoryTransport, RequestAndReply) {
  Inbox server_inbox, client_inbox;
  echo(server_inbox);
  Pair pair(server_inbox);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  EXPECT_EQ(connection->peer_address(), pair.address);
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 7, "ping")));
  ASSERT_TRUE(client_inbox.wait_frames(1));
  auto view = parse_frame(client_inbox.frames[0].bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->header.kind, FrameKind::Result);
  EXPECT_EQ(view->header.request_id, 7u);
  EXPECT_EQ(payload_of(client_inbox.frames[0].bytes), "ping");
  EXPECT_EQ(client_inbox.frames[0].connection, connection);
  ASSERT_TRUE(server_inbox.wait_frames(1));
  EXPECT_EQ(server_inbox.frames[0].connection->peer_address().rfind("mem:", 0),
            0u);
}

TEST(MemoryTransport, ListenPicksAndChecksAddresses) {
  Inbox inbox;
  auto hub = std::make_shared<MemoryHub>();
  TransportOptions options;
  options.memory_hub = hub;
  auto a = make_memory_transport(options);
  auto b = make_memory_transport(options);
  EXPECT_EQ(*a->listen("", inbox.handlers()), "mem:1");
  EXPECT_EQ(*b->listen("", inbox.handlers()), "mem:2");
  EXPECT_EQ(*a->listen("mem:foo", inbox.handlers()), "mem:foo");
  auto taken = b->listen("mem:foo", inbox.handlers());
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.failure().code, std::errc::address_in_use);
  EXPECT_EQ(taken.failure().message,
            "in-memory address 'mem:foo' is already in use");
  EXPECT_EQ(b->listen("mem:2", {}).failure().code, std::errc::address_in_use);
  auto bad = b->listen("tcp:foo", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.failure().code, std::errc::invalid_argument);
  EXPECT_FALSE(b->listen("mem:", {}));
  // A shut-down transport gives its addresses back.
  a->shutdown();
  EXPECT_TRUE(b->listen("mem:foo", {}));
  EXPECT_EQ(*b->listen("", {}), "mem:3");
}

TEST(MemoryTransport, UnknownAddressIsRefused) {
  Inbox inbox;
  auto transport = make_memory_transport({});
  auto connection = transport->connect("mem:9", inbox.handlers());
  ASSERT_FALSE(connection);
  EXPECT_EQ(connection.failure().code, std::errc::connection_refused);
  EXPECT_EQ(connection.failure().message,
            "no in-memory transport listening at 'mem:9'");
}

TEST(MemoryTransport, AStandaloneTransportTalksToItself) {
  Inbox inbox;
  echo(inbox);
  auto transport = make_memory_transport({});
  auto address = transport->listen("", inbox.handlers());
  ASSERT_TRUE(address);
  auto connection = transport->connect(*address, inbox.handlers());
  ASSERT_TRUE(connection);
  ASSERT_FALSE((*connection)->send(make_frame(FrameKind::Call, 1, "x")));
  ASSERT_TRUE(inbox.wait_frames(2)); // the call, then its echoed result
}

TEST(MemoryTransport, KeepsTenThousandFramesInOrder) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  constexpr std::uint64_t kFrames = 10000;
  for (std::uint64_t i = 0; i < kFrames; ++i)
    ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, i)));
  ASSERT_TRUE(server_inbox.wait_frames(kFrames));
  for (std::uint64_t i = 0; i < kFrames; ++i)
    ASSERT_EQ(request_id_of(server_inbox.frames[i].bytes), i);
}

TEST(MemoryTransport, KeepsOrderPerConnectionOnSeveralThreads) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox, /*server_threads=*/3);
  std::vector<ConnectionPtr> connections;
  for (int i = 0; i < 6; ++i)
    connections.push_back(pair.connect(client_inbox));
  constexpr std::uint64_t kPerConnection = 2000;
  for (std::uint64_t i = 0; i < kPerConnection; ++i)
    for (std::uint64_t c = 0; c < connections.size(); ++c)
      ASSERT_FALSE(connections[c]->send(make_frame(FrameKind::Call, i)));
  ASSERT_TRUE(server_inbox.wait_frames(kPerConnection * connections.size()));
  std::map<Connection *, std::uint64_t> next;
  std::set<std::thread::id> threads;
  std::lock_guard lock(server_inbox.mutex);
  for (const auto &frame : server_inbox.frames) {
    ASSERT_EQ(request_id_of(frame.bytes), next[frame.connection.get()]++);
    threads.insert(frame.thread);
  }
  EXPECT_EQ(next.size(), connections.size());
  EXPECT_LE(threads.size(), 3u);
  EXPECT_FALSE(threads.count(std::this_thread::get_id()));
}

TEST(MemoryTransport, ManyThreadsSendAtOnce) {
  Inbox server_inbox, client_inbox;
  echo(server_inbox);
  Pair pair(server_inbox, 2);
  ConnectionPtr shared = pair.connect(client_inbox);
  constexpr std::uint64_t kThreads = 8, kFrames = 500;
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ConnectionPtr own = pair.connect(client_inbox);
      for (std::uint64_t i = 0; i < kFrames; ++i) {
        EXPECT_FALSE(shared->send(make_frame(FrameKind::Call, t << 32 | i)));
        EXPECT_FALSE(own->send(make_frame(FrameKind::Call, t << 32 | i)));
      }
    });
  for (auto &thread : threads)
    thread.join();
  ASSERT_TRUE(client_inbox.wait_frames(2 * kThreads * kFrames));
  // Each sender's frames arrive in the order it sent them.
  std::map<std::pair<Connection *, std::uint64_t>, std::uint64_t> next;
  std::lock_guard lock(client_inbox.mutex);
  for (const auto &frame : client_inbox.frames) {
    std::uint64_t id = request_id_of(frame.bytes);
    auto key = std::make_pair(frame.connection.get(), id >> 32);
    ASSERT_EQ(id & 0xFFFFFFFF, next[key]++);
  }
}

// Closes one side of a connection and checks both on_close ran once.
void close_from(bool client_side) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr client = pair.connect(client_inbox);
  ASSERT_FALSE(client->send(make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(server_inbox.wait_frames(1));
  ConnectionPtr server = server_inbox.frames[0].connection;
  (client_side ? client : server)->close();
  (client_side ? client : server)->close(); // a second close is a no-op
  (client_side ? server : client)->close();
  ASSERT_TRUE(server_inbox.wait_closes(1));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  pair.server->shutdown(); // joins: any extra on_close would have run
  pair.client->shutdown();
  ASSERT_EQ(server_inbox.close_count(), 1u);
  ASSERT_EQ(client_inbox.close_count(), 1u);
  EXPECT_EQ(server_inbox.closes[0].connection, server);
  EXPECT_EQ(client_inbox.closes[0].connection, client);
  auto reset = std::make_error_code(std::errc::connection_reset);
  EXPECT_EQ(client_inbox.closes[0].error,
            client_side ? std::error_code{} : reset);
  EXPECT_EQ(server_inbox.closes[0].error,
            client_side ? reset : std::error_code{});
}

TEST(MemoryTransport, CloseFromTheClient) { close_from(true); }
TEST(MemoryTransport, CloseFromTheServer) { close_from(false); }

TEST(MemoryTransport, SendingAfterCloseIsAnError) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr client = pair.connect(client_inbox);
  ASSERT_FALSE(client->send(make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(server_inbox.wait_frames(1));
  ConnectionPtr server = server_inbox.frames[0].connection;
  client->close();
  EXPECT_EQ(client->send(make_frame(FrameKind::Call, 2)),
            std::errc::not_connected);
  EXPECT_EQ(server->send(make_frame(FrameKind::Result, 1)),
            std::errc::connection_reset);
  ASSERT_TRUE(server_inbox.wait_closes(1));
  ASSERT_TRUE(client_inbox.wait_closes(1));
}

TEST(MemoryTransport, FramesSentBeforeThePeerClosedStillArrive) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr client = pair.connect(client_inbox);
  for (int i = 0; i < 100; ++i)
    ASSERT_FALSE(client->send(make_frame(FrameKind::Release, i)));
  client->close();
  ASSERT_TRUE(server_inbox.wait_closes(1));
  std::lock_guard lock(server_inbox.mutex);
  EXPECT_EQ(server_inbox.frames.size(), 100u); // on_close comes last
}

TEST(MemoryTransport, ShutdownWithALivePeer) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr client = pair.connect(client_inbox);
  ASSERT_FALSE(client->send(make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(server_inbox.wait_frames(1));
  pair.server->shutdown();
  pair.server->shutdown(); // idempotent
  // The server's own side was closed before shutdown returned.
  ASSERT_EQ(server_inbox.close_count(), 1u);
  EXPECT_EQ(server_inbox.closes[0].error, std::errc::operation_canceled);
  ASSERT_TRUE(client_inbox.wait_closes(1));
  EXPECT_EQ(client_inbox.closes[0].error, std::errc::connection_reset);
  EXPECT_EQ(client->send(make_frame(FrameKind::Call, 2)),
            std::errc::connection_reset);
  pair.server.reset(); // destroyed while the client still holds its side
  EXPECT_EQ(client->send(make_frame(FrameKind::Call, 3)),
            std::errc::connection_reset);
  client->close();
  auto again = pair.client->connect(pair.address, client_inbox.handlers());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.failure().code, std::errc::connection_refused);
}

TEST(MemoryTransport, DestroyedTransportLeavesItsConnectionsUsable) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr client = pair.connect(client_inbox);
  pair.client.reset(); // the connection's own transport is gone
  EXPECT_EQ(client->send(make_frame(FrameKind::Call, 1)),
            std::errc::not_connected);
  client->close();
  EXPECT_EQ(client->peer_address(), pair.address);
  ASSERT_TRUE(server_inbox.wait_closes(1));
}

TEST(MemoryTransport, AShutDownTransportRefusesWork) {
  Inbox inbox;
  auto transport = make_memory_transport({});
  transport->shutdown();
  EXPECT_EQ(transport->listen("", inbox.handlers()).failure().code,
            std::errc::operation_canceled);
}

TEST(MemoryTransport, MalformedFrameClosesOnlyThatConnection) {
  Inbox server_inbox, bad_inbox, good_inbox;
  echo(server_inbox);
  Pair pair(server_inbox);
  ConnectionPtr bad = pair.connect(bad_inbox);
  ConnectionPtr good = pair.connect(good_inbox);
  Bytes garbage = make_frame(FrameKind::Call, 1);
  garbage[0] = std::byte{0x34};
  garbage[1] = std::byte{0x12};
  testing::internal::CaptureStderr();
  ASSERT_FALSE(bad->send(std::move(garbage)));
  ASSERT_TRUE(bad_inbox.wait_closes(1));
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(bad_inbox.closes[0].error, std::errc::connection_reset);
  EXPECT_EQ(log.rfind("nu: closing connection mem:", 0), 0u) << log;
  EXPECT_NE(log.find(": bad magic 0x1234\n"), std::string::npos) << log;
  EXPECT_EQ(bad->send(make_frame(FrameKind::Call, 2)),
            std::errc::connection_reset);
  ASSERT_FALSE(good->send(make_frame(FrameKind::Call, 3, "still here")));
  ASSERT_TRUE(good_inbox.wait_frames(1));
  EXPECT_EQ(payload_of(good_inbox.frames[0].bytes), "still here");
  ASSERT_TRUE(server_inbox.wait_frames(1));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  std::lock_guard lock(server_inbox.mutex);
  EXPECT_EQ(server_inbox.closes[0].error, std::errc::bad_message);
  EXPECT_EQ(server_inbox.frames.size(), 1u); // only the good frame
}

TEST(MemoryTransport, TruncatedFrameIsMalformedToo) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr client = pair.connect(client_inbox);
  Bytes frame = make_frame(FrameKind::Call, 1, "abcdef");
  frame.pop_back();
  testing::internal::CaptureStderr();
  ASSERT_FALSE(client->send(std::move(frame)));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("truncated frame: 5 of 6 payload bytes"),
            std::string::npos)
      << log;
}

TEST(MemoryTransport, NoHandlerRunsInsideSend) {
  Inbox inbox;
  std::atomic<bool> nested{false};
  std::atomic<int> bounces{0};
  // Each frame is sent straight back on the same connection from the
  // handler: if send ran handlers inline, they would nest.
  inbox.on_frame = [&](const ConnectionPtr &c, const Bytes &bytes) {
    if (handler_depth++ != 0)
      nested = true;
    if (bounces++ < 100)
      c->send(Bytes(bytes));
    --handler_depth;
  };
  Pair pair(inbox);
  ConnectionPtr client = pair.connect(inbox);
  ASSERT_FALSE(client->send(make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(inbox.wait_frames(101));
  EXPECT_FALSE(nested);
  std::lock_guard lock(inbox.mutex);
  for (const auto &frame : inbox.frames)
    EXPECT_NE(frame.thread, std::this_thread::get_id());
}

TEST(MemoryTransport, CloseRunsNoHandlerInline) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr client = pair.connect(client_inbox);
  std::thread::id closed_on;
  std::promise<void> closed;
  Handlers handlers;
  handlers.on_close = [&](const ConnectionPtr &, std::error_code) {
    closed_on = std::this_thread::get_id();
    closed.set_value();
  };
  auto other = pair.client->connect(pair.address, handlers);
  ASSERT_TRUE(other);
  (*other)->close();
  auto done = closed.get_future();
  ASSERT_EQ(done.wait_for(kTimeout), std::future_status::ready);
  EXPECT_NE(closed_on, std::this_thread::get_id());
}

TEST(MemoryTransport, ShutdownFromItsOwnHandler) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  server_inbox.on_frame = [&](const ConnectionPtr &, const Bytes &) {
    pair.server->shutdown();
  };
  ConnectionPtr client = pair.connect(client_inbox);
  ASSERT_FALSE(client->send(make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  ASSERT_TRUE(server_inbox.wait_closes(1));
}

} // namespace
} // namespace nu::net
