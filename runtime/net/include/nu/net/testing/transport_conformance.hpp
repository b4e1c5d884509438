// The transport conformance suite (GoogleTest): the contract of
// nu/net/transport.hpp that every transport, built in or plugin, must meet.
#pragma once

// Use: in one .cpp of a test program linked with GTest::gtest_main (or
// GTest::gtest and a main()) and Nu::net, at namespace scope:
//
//   #include <nu/net/testing/transport_conformance.hpp>
//   NU_TRANSPORT_CONFORMANCE(Tcp, "tcp");                   // compiled in
//   NU_TRANSPORT_CONFORMANCE(Shm, "/opt/shm/libnu_shm.so"); // a plugin
//   NU_TRANSPORT_CONFORMANCE(Mine, "mine", &make_mine);     // a factory
//
// Tests are named <Prefix>/TransportConformance.<Case>/<label>. Include
// this header in one source file per program only: it defines the tests.
// To test a plugin without writing code, run the prebuilt runner
// (run_from_environment()) with NU_CONFORMANCE_TRANSPORT=/path/to/lib.so.
//
// The contract, as the memory and TCP transports meet it (each case below
// checks some of it; "peer" is the other side of a connection):
// - listen("") picks an address and returns it; connect() to it succeeds,
//   and that connection's peer_address() is the address. A transport can
//   connect to itself.
// - Frames arrive whole, exactly once, and in the order they were sent on
//   their connection (per sending thread when several send at once), from
//   an empty payload to frames of several MiB, in both directions.
// - Handlers run on the transport's threads: never inside send() or
//   close(), and for the accepting side on at most io_threads threads.
// - close(), from either side, runs on_close exactly once on each side:
//   with no error on the side that closed, connection_reset on the peer.
//   Frames sent before close() arrive before the peer's on_close. Then
//   send() fails: not_connected on the side that closed, connection_reset
//   on the peer. Closing again does nothing.
// - connect() to an address nobody listens at (any more) fails promptly
//   with connection_refused and a message naming the address.
// - shutdown() closes every connection of the transport, their on_close
//   (operation_canceled; the peers see connection_reset) having run when
//   it returns, and stops listening; it is idempotent and may be called
//   from a handler. Afterwards listen() and connect() fail with
//   operation_canceled and send() with not_connected. Destroying a
//   transport shuts it down; the connections it handed out stay valid
//   objects (send() fails with not_connected, close() does nothing).
// - Hostile input. send() queues bytes as they are; the receiving side
//   validates each frame (wire::parse_frame) and closes the connection
//   over a bad one, and only that connection. A malformed frame (bad
//   magic): the receiver's on_close gets bad_message, the sender's
//   connection_reset. A header claiming more than wire::kMaxPayload:
//   message_size. A frame cut short followed by close(): the frames before
//   it arrive, no part of it does, and the receiver's on_close gets
//   bad_message if it saw the stump before the close (TCP always does) or
//   connection_reset if the close came first (memory, which moves whole
//   buffers, may see either first).
//   The TCP transport's own limits on hostile peers (raw sockets, timeouts,
//   buffers) are tested with it; they are no part of this contract.

#include "nu/net/memory_transport.hpp"
#include "nu/net/plugin.hpp"
#include "nu/net/testing/inbox.hpp"
#include "nu/net/transport.hpp"
#include "nu/wire/frame.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace nu::net::conformance {

/// A transport for the suite to test.
struct Target {
  /// Names the tests of the instantiation (kept: letters, digits, '_').
  std::string label;
  /// What Transport::name() must return; empty: anything but "".
  std::string name;
  /// Makes a transport; a test makes up to three, sharing one MemoryHub.
  std::function<Expected<std::unique_ptr<Transport>>(const TransportOptions &)>
      make;
};

/// The environment variable the runner reads the transport from.
inline constexpr const char *kEnvironmentVariable = "NU_CONFORMANCE_TRANSPORT";

/// The transport make_transport() makes of \p name_or_path: a name in the
/// compiled-in list ("memory", "tcp") or the path of a plugin .so, which
/// then stays loaded until the program exits.
inline Target target(std::string name_or_path) {
  Target made;
  made.label = name_or_path;
  if (is_plugin_path(name_or_path)) {
    made.label.erase(0, made.label.rfind('/') + 1);
    made.label = made.label.substr(0, made.label.find('.'));
  } else {
    made.name = name_or_path;
  }
  made.make = [name_or_path](const TransportOptions &options) {
    // nu unloads a plugin when its last object goes, but a thread the
    // plugin left running (shutdown() from a handler detaches it) may still
    // be in its code then: the suite tests transports, not unloading.
    if (is_plugin_path(name_or_path))
      if (void *pinned = dlopen(name_or_path.c_str(),
                                RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))
        dlclose(pinned);
    return make_transport(name_or_path, options);
  };
  return made;
}

/// The transport \p factory makes, whose name() is \p name.
inline Target
target(std::string name,
       std::unique_ptr<Transport> (*factory)(const TransportOptions &)) {
  Target made{name, name, {}};
  made.make = [factory](const TransportOptions &options)
      -> Expected<std::unique_ptr<Transport>> { return factory(options); };
  return made;
}

/// \p made itself (a Target with a make function of its own).
inline Target target(Target made) { return made; }

/// The transport kEnvironmentVariable names (as target(name_or_path)).
inline Target environment_target() {
  const char *name = std::getenv(kEnvironmentVariable);
  return target(name ? name : "");
}

/// The body of a runner's main(): runs the suite instantiated with
/// environment_target(), or explains its use (exit status 2).
inline int run_from_environment(int argc, char **argv) {
  const char *name = std::getenv(kEnvironmentVariable);
  if (!name || !*name) {
    std::fprintf(stderr,
                 "usage: %s=<transport name or plugin .so path> %s "
                 "[gtest flags]\nRuns the transport conformance suite "
                 "against that transport.\n",
                 kEnvironmentVariable, argc > 0 ? argv[0] : "runner");
    return 2;
  }
  auto made = environment_target().make({});
  if (!made) {
    std::fprintf(stderr, "%s=%s: %s\n", kEnvironmentVariable, name,
                 made.failure().message.c_str());
    return 2;
  }
  made->reset();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

/// Prints a Target as its label (in messages about a test).
inline void PrintTo(const Target &target, std::ostream *out) {
  *out << target.label;
}

/// Names a test by its Target's label.
struct TargetName {
  std::string operator()(const ::testing::TestParamInfo<Target> &info) const {
    std::string name;
    for (char c : info.param.label)
      name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return name.empty() ? "unnamed" : name;
  }
};

namespace detail {

using ConnectionPtr = std::shared_ptr<Connection>;
using wire::FrameKind;

// How many handlers run on this thread now (to see one run inside send()).
inline int &handler_depth() {
  thread_local int depth = 0;
  return depth;
}

// Whether \p frame is make_frame(request_id, payload_size) echoed back.
inline bool is_reply(const Bytes &frame, std::uint64_t request_id,
                     std::size_t payload_size) {
  auto view = wire::parse_frame(frame);
  return view && view->header.kind == FrameKind::Result &&
         intact(frame, request_id, payload_size);
}

inline bool either(std::error_code error, std::errc a, std::errc b) {
  return error == a || error == b;
}

} // namespace detail

/// The fixture of the suite: a server transport (kServerThreads I/O
/// threads) listening at address, and a client transport.
class TransportConformance : public ::testing::TestWithParam<Target> {
protected:
  using ConnectionPtr = detail::ConnectionPtr;
  static constexpr unsigned kServerThreads = 2;

  void SetUp() override {
    server = make(kServerThreads);
    client = make(1);
    ASSERT_TRUE(server && client);
    auto listening = server->listen("", server_inbox.handlers());
    ASSERT_TRUE(listening) << "listen(\"\"): " << listening.failure().message;
    ASSERT_FALSE(listening->empty()) << "listen(\"\") returned no address";
    address = *listening;
  }

  // A transport under test with its own I/O threads (the hub is shared).
  std::unique_ptr<Transport> make(unsigned io_threads) {
    TransportOptions options;
    options.memory_hub = hub;
    options.io_threads = io_threads;
    auto made = GetParam().make(options);
    if (!made) {
      ADD_FAILURE() << "cannot make the transport: " << made.failure().message;
      return nullptr;
    }
    return std::move(*made);
  }

  // A connection of the client to the server, recording into \p inbox.
  ConnectionPtr connect(Inbox &inbox) {
    auto connection = client->connect(address, inbox.handlers());
    EXPECT_TRUE(connection)
        << "connect(\"" << address << "\"): " << connection.failure().message;
    return connection ? *connection : nullptr;
  }

  // The inboxes, declared before the transports, outlive them.
  std::shared_ptr<MemoryHub> hub = std::make_shared<MemoryHub>();
  Inbox server_inbox, client_inbox, other_inbox;
  std::unique_ptr<Transport> server, client;
  std::string address;
};

// listen(""), connect, a request and its reply each way; handlers see the
// connection connect() returned, on another thread.
TEST_P(TransportConformance, RequestAndReplyBothWays) {
  if (GetParam().name.empty())
    EXPECT_FALSE(server->name().empty());
  else
    EXPECT_EQ(server->name(), GetParam().name);
  server_inbox.echo();
  client_inbox.echo();
  ConnectionPtr connection = connect(client_inbox);
  ASSERT_TRUE(connection);
  EXPECT_EQ(connection->peer_address(), address);
  ASSERT_FALSE(connection->send(make_frame(7, 4)));
  ASSERT_TRUE(client_inbox.wait_frames(1));
  auto reply = client_inbox.frames()[0];
  EXPECT_TRUE(detail::is_reply(reply.bytes, 7, 4));
  EXPECT_EQ(reply.connection, connection);
  EXPECT_NE(reply.thread, std::this_thread::get_id());
  // The accepting side asks; the connecting side answers.
  auto request = server_inbox.frames().at(0);
  EXPECT_TRUE(intact(request.bytes, 7, 4));
  EXPECT_FALSE(request.connection->peer_address().empty());
  ASSERT_FALSE(request.connection->send(make_frame(8, 3)));
  ASSERT_TRUE(server_inbox.wait_frames(2));
  auto answer = server_inbox.frames()[1];
  EXPECT_TRUE(detail::is_reply(answer.bytes, 8, 3));
  EXPECT_EQ(answer.connection, request.connection);
  ASSERT_TRUE(client_inbox.wait_frames(2));
  EXPECT_TRUE(intact(client_inbox.frames()[1].bytes, 8, 3));
}

TEST_P(TransportConformance, ATransportTalksToItself) {
  Inbox inbox; // outlives the transport
  inbox.echo();
  auto transport = make(1);
  ASSERT_TRUE(transport);
  auto own = transport->listen("", inbox.handlers());
  ASSERT_TRUE(own) << own.failure().message;
  auto connection = transport->connect(*own, inbox.handlers());
  ASSERT_TRUE(connection) << connection.failure().message;
  ASSERT_FALSE((*connection)->send(make_frame(1, 1)));
  ASSERT_TRUE(inbox.wait_frames(2)); // the call, then its echoed result
  transport->shutdown();
}

// 10,000 frames of 0 B to 8 MiB of payload, echoed: each arrives whole,
// once, in order, both ways.
TEST_P(TransportConformance, FramesArriveWholeAndInOrder) {
  constexpr std::size_t kFrames = 10000;
  constexpr std::size_t kSmall[] = {0, 1, 47, 48, 49, 1000, 4096};
  std::vector<std::size_t> sizes(kFrames);
  for (std::size_t i = 0; i < kFrames; ++i)
    sizes[i] = kSmall[i % std::size(kSmall)];
  sizes[1000] = (64u << 10) + 17;
  sizes[4000] = (1u << 20) + 3;
  sizes[7000] = (3u << 20) + 5;
  sizes[kFrames - 1] = 8u << 20;
  server_inbox.echo();
  ConnectionPtr connection = connect(client_inbox);
  ASSERT_TRUE(connection);
  for (std::size_t i = 0; i < kFrames; ++i)
    ASSERT_FALSE(connection->send(make_frame(i, sizes[i]))) << "frame " << i;
  ASSERT_TRUE(server_inbox.wait_frames(kFrames))
      << server_inbox.frame_count() << " of " << kFrames << " frames";
  ASSERT_TRUE(client_inbox.wait_frames(kFrames))
      << client_inbox.frame_count() << " of " << kFrames << " replies";
  for (Inbox *inbox : {&server_inbox, &client_inbox}) {
    auto frames = inbox->frames();
    ASSERT_EQ(frames.size(), kFrames);
    for (std::size_t i = 0; i < kFrames; ++i)
      ASSERT_TRUE(intact(frames[i].bytes, i, sizes[i]))
          << "frame " << i << " of " << sizes[i] << " payload bytes";
  }
  EXPECT_EQ(server_inbox.close_count(), 0u);
  EXPECT_EQ(client_inbox.close_count(), 0u);
}

// Eight threads send at once on one shared connection and on one of their
// own: per connection, each thread's frames come back in its order.
TEST_P(TransportConformance, ManyThreadsSendAtOnce) {
  server_inbox.echo();
  ConnectionPtr shared = connect(client_inbox);
  ASSERT_TRUE(shared);
  constexpr std::uint64_t kThreads = 8, kEach = 500;
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ConnectionPtr own = connect(client_inbox);
      for (std::uint64_t i = 0; own && i < kEach; ++i) {
        EXPECT_FALSE(shared->send(make_frame(t << 32 | i, t)));
        EXPECT_FALSE(own->send(make_frame(t << 32 | i, t)));
      }
    });
  for (auto &thread : threads)
    thread.join();
  ASSERT_TRUE(client_inbox.wait_frames(2 * kThreads * kEach))
      << client_inbox.frame_count() << " of " << 2 * kThreads * kEach;
  std::map<std::pair<Connection *, std::uint64_t>, std::uint64_t> next;
  for (const auto &frame : client_inbox.frames()) {
    std::uint64_t id = request_id_of(frame.bytes);
    ASSERT_TRUE(intact(frame.bytes, id, id >> 32));
    auto key = std::make_pair(frame.connection.get(), id >> 32);
    ASSERT_EQ(id & 0xFFFFFFFF, next[key]++);
  }
  EXPECT_EQ(next.size(), 2 * kThreads); // (connection, sender) pairs
}

// Six connections interleaved: each keeps its order; the accepting side's
// handlers run on at most its io_threads threads, never the sender's.
TEST_P(TransportConformance, SeveralConnectionsKeepTheirOwnOrder) {
  std::vector<ConnectionPtr> connections;
  for (int i = 0; i < 6; ++i) {
    connections.push_back(connect(client_inbox));
    ASSERT_TRUE(connections.back());
  }
  constexpr std::uint64_t kEach = 1000;
  for (std::uint64_t i = 0; i < kEach; ++i)
    for (const auto &connection : connections)
      ASSERT_FALSE(connection->send(make_frame(i, i % 5)));
  ASSERT_TRUE(server_inbox.wait_frames(kEach * connections.size()));
  std::map<Connection *, std::uint64_t> next;
  std::set<std::thread::id> threads;
  for (const auto &frame : server_inbox.frames()) {
    auto expected = next[frame.connection.get()]++;
    ASSERT_TRUE(intact(frame.bytes, expected, expected % 5));
    threads.insert(frame.thread);
  }
  EXPECT_EQ(next.size(), connections.size());
  EXPECT_LE(threads.size(), kServerThreads);
  EXPECT_FALSE(threads.count(std::this_thread::get_id()));
}

// Each frame is sent straight back from the handler, on the same
// connection: had send() run a handler inline, they would nest.
TEST_P(TransportConformance, SendNeverRunsAHandlerInline) {
  struct Bounces {
    std::atomic<bool> nested{false};
    std::atomic<int> count{0};
  };
  auto bounces = std::make_shared<Bounces>(); // the last hook may outlive us
  server_inbox.on_frame([bounces](const ConnectionPtr &c, const Bytes &bytes) {
    if (detail::handler_depth()++ != 0)
      bounces->nested = true;
    if (bounces->count++ < 100) {
      EXPECT_FALSE(c->send(Bytes(bytes)));
    }
    --detail::handler_depth();
  });
  ConnectionPtr connection = connect(server_inbox); // both ends record here
  ASSERT_TRUE(connection);
  ASSERT_FALSE(connection->send(make_frame(1, 10)));
  ASSERT_TRUE(server_inbox.wait_frames(101));
  EXPECT_FALSE(bounces->nested);
  for (const auto &frame : server_inbox.frames())
    EXPECT_NE(frame.thread, std::this_thread::get_id());
}

// The connecting side closes with frames still queued.
TEST_P(TransportConformance, CloseFromTheConnectingSide) {
  ConnectionPtr connection = connect(client_inbox);
  ASSERT_TRUE(connection);
  for (std::uint64_t i = 0; i < 1000; ++i)
    ASSERT_FALSE(connection->send(make_frame(i, 0)));
  connection->close();
  EXPECT_EQ(connection->send(make_frame(0, 0)), std::errc::not_connected);
  connection->close(); // closing twice does nothing
  ASSERT_TRUE(client_inbox.wait_closes(1));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  auto mine = client_inbox.closes()[0];
  EXPECT_EQ(mine.connection, connection);
  EXPECT_FALSE(mine.error) << mine.error.message();
  EXPECT_NE(mine.thread, std::this_thread::get_id());
  auto theirs = server_inbox.closes()[0];
  EXPECT_EQ(theirs.error, std::errc::connection_reset);
  EXPECT_EQ(theirs.frames_before, 1000u); // what was sent went out first
  EXPECT_EQ(theirs.connection->send(make_frame(1, 0)),
            std::errc::connection_reset);
  theirs.connection->close(); // the peer closing too does nothing
  client->shutdown();         // any extra on_close would run by now
  server->shutdown();
  EXPECT_EQ(client_inbox.close_count(), 1u);
  EXPECT_EQ(server_inbox.close_count(), 1u);
}

// The accepting side closes, from its handler.
TEST_P(TransportConformance, CloseFromTheAcceptingSide) {
  server_inbox.on_frame([](const ConnectionPtr &c, const Bytes &) {
    c->close();
    c->close();
  });
  ConnectionPtr connection = connect(client_inbox);
  ASSERT_TRUE(connection);
  ASSERT_FALSE(connection->send(make_frame(1, 0)));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  auto mine = server_inbox.closes()[0];
  EXPECT_FALSE(mine.error) << mine.error.message();
  EXPECT_EQ(mine.connection->send(make_frame(2, 0)), std::errc::not_connected);
  auto theirs = client_inbox.closes()[0];
  EXPECT_EQ(theirs.connection, connection);
  EXPECT_EQ(theirs.error, std::errc::connection_reset);
  EXPECT_EQ(connection->send(make_frame(3, 0)), std::errc::connection_reset);
  connection->close();
  client->shutdown();
  server->shutdown();
  EXPECT_EQ(client_inbox.close_count(), 1u);
  EXPECT_EQ(server_inbox.close_count(), 1u);
}

// Where the server listened before it shut down, and after it is gone.
TEST_P(TransportConformance, ConnectWhereNobodyListensFails) {
  server->shutdown();
  for (int round = 0; round < 2; ++round) {
    auto start = std::chrono::steady_clock::now();
    auto connection = client->connect(address, client_inbox.handlers());
    ASSERT_FALSE(connection) << "round " << round;
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              std::chrono::seconds(3));
    EXPECT_EQ(connection.failure().code, std::errc::connection_refused)
        << connection.failure().code.message();
    EXPECT_NE(connection.failure().message.find(address), std::string::npos)
        << connection.failure().message;
    server.reset();
  }
}

TEST_P(TransportConformance, ShutdownClosesEverything) {
  server_inbox.echo();
  std::vector<ConnectionPtr> connections;
  for (std::uint64_t i = 0; i < 4; ++i) {
    connections.push_back(connect(client_inbox));
    ASSERT_TRUE(connections.back());
    ASSERT_FALSE(connections.back()->send(make_frame(i, 1)));
  }
  ASSERT_TRUE(client_inbox.wait_frames(4));
  client->shutdown();
  ASSERT_EQ(client_inbox.close_count(), 4u); // all ran before it returned
  for (const auto &close : client_inbox.closes())
    EXPECT_EQ(close.error, std::errc::operation_canceled);
  ASSERT_TRUE(server_inbox.wait_closes(4));
  for (const auto &close : server_inbox.closes())
    EXPECT_EQ(close.error, std::errc::connection_reset);
  client->shutdown(); // idempotent
  EXPECT_EQ(client_inbox.close_count(), 4u);
  EXPECT_EQ(connections[0]->send(make_frame(5, 0)), std::errc::not_connected);
  auto peer = server_inbox.closes()[0].connection;
  EXPECT_EQ(peer->send(make_frame(6, 0)), std::errc::connection_reset);
  EXPECT_EQ(client->connect(address, client_inbox.handlers()).failure().code,
            std::errc::operation_canceled);
  EXPECT_EQ(client->listen("", client_inbox.handlers()).failure().code,
            std::errc::operation_canceled);
  client.reset(); // gone, not only shut down
  EXPECT_EQ(peer->send(make_frame(7, 0)), std::errc::connection_reset);
  EXPECT_EQ(connections[0]->send(make_frame(8, 0)), std::errc::not_connected);
  server.reset(); // the destructor shuts down too
  EXPECT_EQ(server_inbox.close_count(), 4u);
  EXPECT_EQ(client_inbox.close_count(), 4u);
}

TEST_P(TransportConformance, ShutdownFromAHandler) {
  server_inbox.on_frame(
      [this](const ConnectionPtr &, const Bytes &) { server->shutdown(); });
  ConnectionPtr connection = connect(client_inbox);
  ASSERT_TRUE(connection);
  ASSERT_FALSE(connection->send(make_frame(1, 0)));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  EXPECT_EQ(server_inbox.closes()[0].error, std::errc::operation_canceled);
  EXPECT_EQ(client_inbox.closes()[0].error, std::errc::connection_reset);
  server->shutdown(); // from here, it may also wait for the threads
  EXPECT_EQ(server_inbox.close_count(), 1u);
}

// A connection outliving its transport: closed, and safe to use.
TEST_P(TransportConformance, ConnectionsOutliveTheirTransport) {
  ConnectionPtr connection = connect(client_inbox);
  ASSERT_TRUE(connection);
  ASSERT_FALSE(connection->send(make_frame(1, 0)));
  ASSERT_TRUE(server_inbox.wait_frames(1));
  client.reset();
  EXPECT_EQ(client_inbox.close_count(), 1u);
  EXPECT_EQ(connection->send(make_frame(2, 0)), std::errc::not_connected);
  connection->close();
  EXPECT_EQ(connection->peer_address(), address);
  ASSERT_TRUE(server_inbox.wait_closes(1));
  EXPECT_EQ(server_inbox.closes()[0].error, std::errc::connection_reset);
}

// A frame with a bad magic number: its connection closes, the others (and
// new ones) keep working, and the transport delivers nothing of it.
TEST_P(TransportConformance, MalformedFrameClosesOnlyThatConnection) {
  server_inbox.echo();
  ConnectionPtr bad = connect(other_inbox);
  ConnectionPtr good = connect(client_inbox);
  ASSERT_TRUE(bad && good);
  Bytes garbage = make_frame(1, 8);
  garbage[0] = std::byte{0x34};
  garbage[1] = std::byte{0x12};
  ASSERT_FALSE(bad->send(std::move(garbage)));
  ASSERT_TRUE(other_inbox.wait_closes(1));
  EXPECT_EQ(other_inbox.closes()[0].error, std::errc::connection_reset);
  EXPECT_EQ(bad->send(make_frame(2, 0)), std::errc::connection_reset);
  ASSERT_TRUE(server_inbox.wait_closes(1));
  auto rejected = server_inbox.closes()[0];
  EXPECT_EQ(rejected.error, std::errc::bad_message);
  EXPECT_EQ(rejected.frames_before, 0u);
  ASSERT_FALSE(good->send(make_frame(3, 10)));
  ConnectionPtr fresh = connect(client_inbox);
  ASSERT_TRUE(fresh);
  ASSERT_FALSE(fresh->send(make_frame(4, 10)));
  ASSERT_TRUE(client_inbox.wait_frames(2));
  ASSERT_TRUE(server_inbox.wait_frames(2));
  std::set<std::uint64_t> answered;
  for (const auto &frame : client_inbox.frames())
    answered.insert(request_id_of(frame.bytes));
  EXPECT_EQ(answered, (std::set<std::uint64_t>{3, 4}));
  EXPECT_EQ(server_inbox.frame_count(), 2u);
  EXPECT_EQ(server_inbox.close_count(), 1u);
  EXPECT_EQ(other_inbox.frame_count(), 0u);
}

// A header claiming more than kMaxPayload closes its connection.
TEST_P(TransportConformance, OversizedPayloadClosesTheConnection) {
  server_inbox.echo();
  Bytes header = make_frame(1, 0);
  constexpr std::size_t kPayloadSizeAt = 8; // docs/wire.md
  std::uint32_t claimed = wire::kMaxPayload + 1;
  for (std::size_t i = 0; i < 4; ++i)
    header[kPayloadSizeAt + i] = static_cast<std::byte>(claimed >> (8 * i));
  auto parsed = wire::parse_header(header);
  ASSERT_FALSE(parsed);
  ASSERT_EQ(parsed.failure().code, std::errc::message_size);
  ConnectionPtr bad = connect(other_inbox);
  ASSERT_TRUE(bad);
  ASSERT_FALSE(bad->send(std::move(header)));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  EXPECT_EQ(server_inbox.closes()[0].error, std::errc::message_size);
  ASSERT_TRUE(other_inbox.wait_closes(1));
  EXPECT_EQ(other_inbox.closes()[0].error, std::errc::connection_reset);
  EXPECT_EQ(server_inbox.frame_count(), 0u);
  ConnectionPtr good = connect(client_inbox);
  ASSERT_TRUE(good);
  ASSERT_FALSE(good->send(make_frame(2, 1)));
  ASSERT_TRUE(client_inbox.wait_frames(1));
}

// Whole frames, then one cut short (in its header, in its payload, in a
// payload larger than 64 KiB), then close(): only the whole ones arrive.
TEST_P(TransportConformance, TruncatedFrameThenCloseDeliversNoPart) {
  const std::pair<std::size_t, std::size_t> kCuts[] = {
      {10, 20}, {10, 55}, {100000, 70000}}; // {payload, bytes sent}
  std::vector<ConnectionPtr> connections;
  for (auto [payload, sent] : kCuts) {
    connections.push_back(connect(client_inbox));
    ASSERT_TRUE(connections.back());
    for (std::uint64_t i = 0; i < 3; ++i)
      ASSERT_FALSE(connections.back()->send(make_frame(i, 5)));
    Bytes stump = make_frame(3, payload);
    stump.resize(sent);
    ASSERT_FALSE(connections.back()->send(std::move(stump)));
    connections.back()->close();
  }
  ASSERT_TRUE(server_inbox.wait_closes(std::size(kCuts)));
  for (const auto &close : server_inbox.closes()) {
    EXPECT_TRUE(detail::either(close.error, std::errc::bad_message,
                               std::errc::connection_reset))
        << close.error.message();
    EXPECT_EQ(close.frames_before, 3u);
  }
  std::map<Connection *, std::uint64_t> next;
  for (const auto &frame : server_inbox.frames()) {
    auto expected = next[frame.connection.get()]++;
    EXPECT_TRUE(intact(frame.bytes, expected, 5));
  }
  EXPECT_EQ(server_inbox.frame_count(), 3 * std::size(kCuts));
}

} // namespace nu::net::conformance

/// Instantiates the suite as <prefix>/TransportConformance.* for the
/// transport conformance::target(...) makes of the other arguments: a name
/// or .so path, a name and a factory, or a Target. Use at global namespace
/// scope.
#define NU_TRANSPORT_CONFORMANCE(prefix, ...)                                  \
  namespace nu::net::conformance {                                             \
  INSTANTIATE_TEST_SUITE_P(prefix, TransportConformance,                       \
                           ::testing::Values(target(__VA_ARGS__)),             \
                           TargetName());                                      \
  }                                                                            \
  static_assert(true, "")
