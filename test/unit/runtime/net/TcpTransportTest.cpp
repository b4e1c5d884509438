// Tests of the TCP transport on 127.0.0.1: request/reply, ordering, many
// senders, big frames, malformed input, closing, flow control, shutdown.
#include "net/TcpTransport.hpp"
#include "FrameHelpers.hpp"
#include "net/Frame.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nu::net {
namespace {

using namespace std::chrono_literals;
using ConnectionPtr = std::shared_ptr<Connection>;
constexpr auto kTimeout = 60s;

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
    std::thread::id thread;
  };

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Frame> frames;
  std::vector<Close> closes;
  std::vector<ConnectionPtr> opened; // the first frame of each connection
  // Runs on the I/O thread for each frame, before it is recorded.
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
      closes.push_back({c, error, std::this_thread::get_id()});
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
  std::size_t frame_count() {
    std::lock_guard lock(mutex);
    return frames.size();
  }
  std::size_t close_count() {
    std::lock_guard lock(mutex);
    return closes.size();
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

struct Pair {
  std::unique_ptr<Transport> server;
  std::unique_ptr<Transport> client;
  std::string address;

  explicit Pair(Inbox &server_inbox, unsigned server_threads = 1,
                TcpOptions tcp = {}) {
    TransportOptions options;
    client = make_tcp_transport(options, tcp);
    options.io_threads = server_threads;
    server = make_tcp_transport(options, tcp);
    auto listening = server->listen("127.0.0.1:0", server_inbox.handlers());
    EXPECT_TRUE(listening) << listening.failure().message;
    address = listening ? *listening : "";
  }
  ConnectionPtr connect(Inbox &inbox) {
    auto connection = client->connect(address, inbox.handlers());
    EXPECT_TRUE(connection) << connection.failure().message;
    return connection ? *connection : nullptr;
  }
};

std::uint16_t port_of(const std::string &address) {
  return static_cast<std::uint16_t>(
      std::stoul(address.substr(address.rfind(':') + 1)));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// A plain blocking socket, closed when it goes out of scope.
struct RawSocket {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  RawSocket() {
    timeval timeout{60, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  explicit RawSocket(int accepted) : fd(accepted) {}
  ~RawSocket() { close(); }
  void close() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  bool connect(const std::string &address) {
    auto peer = loopback(port_of(address));
    return ::connect(fd, reinterpret_cast<sockaddr *>(&peer), sizeof peer) == 0;
  }
  void write(const void *data, std::size_t size) {
    auto *bytes = static_cast<const char *>(data);
    while (size > 0) {
      auto written = ::send(fd, bytes, size, MSG_NOSIGNAL);
      ASSERT_GT(written, 0);
      bytes += written;
      size -= static_cast<std::size_t>(written);
    }
  }
  // True once the peer has closed (end of stream or reset).
  bool wait_closed() {
    char buffer[256];
    for (;;) {
      auto got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got == 0 || (got < 0 && errno == ECONNRESET))
        return true;
      if (got < 0)
        return false; // timed out
    }
  }
};

// A raw server on 127.0.0.1 that accepts but never reads.
struct RawServer {
  RawSocket socket;
  std::string address;
  RawServer() {
    auto local = loopback(0);
    socklen_t size = sizeof local;
    EXPECT_EQ(::bind(socket.fd, reinterpret_cast<sockaddr *>(&local), size), 0);
    EXPECT_EQ(::listen(socket.fd, 16), 0);
    ::getsockname(socket.fd, reinterpret_cast<sockaddr *>(&local), &size);
    address = "127.0.0.1:" + std::to_string(ntohs(local.sin_port));
  }
  RawSocket accept() {
    return RawSocket(::accept(socket.fd, nullptr, nullptr));
  }
};

TEST(TcpTransport, RequestAndReply) {
  Inbox server_inbox, client_inbox;
  echo(server_inbox);
  Pair pair(server_inbox);
  EXPECT_EQ(pair.address.rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE(port_of(pair.address), 0);
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
  EXPECT_NE(client_inbox.frames[0].thread, std::this_thread::get_id());
  ASSERT_TRUE(server_inbox.wait_frames(1));
  EXPECT_EQ(
      server_inbox.frames[0].connection->peer_address().rfind("127.0.0.1:", 0),
      0u);
}

TEST(TcpTransport, MadeByNameFromTheList) {
  Inbox inbox;
  echo(inbox);
  auto transport = make_transport("tcp", {});
  ASSERT_TRUE(transport) << transport.failure().message;
  EXPECT_EQ((*transport)->name(), "tcp");
  auto address = (*transport)->listen("", inbox.handlers());
  ASSERT_TRUE(address) << address.failure().message;
  EXPECT_EQ(address->rfind("127.0.0.1:", 0), 0u);
  auto connection = (*transport)->connect(*address, inbox.handlers());
  ASSERT_TRUE(connection) << connection.failure().message;
  ASSERT_FALSE((*connection)->send(make_frame(FrameKind::Call, 1, "x")));
  ASSERT_TRUE(inbox.wait_frames(2)); // the call and its reply
}

TEST(TcpTransport, ChecksAddresses) {
  auto transport = make_tcp_transport({});
  for (std::string bad : {"foo", "127.0.0.1", ":80", "127.0.0.1:x",
                          "127.0.0.1:70000", "nohost:80", "1.2.3:80"}) {
    auto listening = transport->listen(bad, {});
    ASSERT_FALSE(listening) << bad;
    EXPECT_EQ(listening.failure().code, std::errc::invalid_argument) << bad;
    EXPECT_NE(listening.failure().message.find("bad TCP address '" + bad),
              std::string::npos)
        << listening.failure().message;
    EXPECT_EQ(transport->connect(bad, {}).failure().code,
              std::errc::invalid_argument);
  }
  EXPECT_EQ(transport->connect("127.0.0.1:0", {}).failure().code,
            std::errc::invalid_argument);
  auto address = transport->listen("127.0.0.1:0", {});
  ASSERT_TRUE(address);
  auto taken = transport->listen(*address, {});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.failure().code, std::errc::address_in_use);
  EXPECT_EQ(taken.failure().message,
            "cannot listen at " + *address + ": address already in use");
  auto other = make_tcp_transport({});
  EXPECT_EQ(other->listen(*address, {}).failure().code,
            std::errc::address_in_use);
}

TEST(TcpTransport, ConnectToAClosedPortFailsFast) {
  std::string address;
  {
    RawServer server; // a port that was free a moment ago
    address = server.address;
  }
  auto transport = make_tcp_transport({});
  auto start = std::chrono::steady_clock::now();
  auto connection = transport->connect(address, {});
  ASSERT_FALSE(connection);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(connection.failure().code, std::errc::connection_refused);
  EXPECT_EQ(connection.failure().message.rfind("cannot connect to " + address),
            0u)
      << connection.failure().message;
}

TEST(TcpTransport, TenThousandFramesArriveInOrderInBatches) {
  Inbox server_inbox, client_inbox;
  TcpOptions tcp;
  tcp.inline_writes = false; // every frame goes through the I/O thread
  Pair pair(server_inbox, 1, tcp);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  constexpr std::uint64_t kFrames = 10000;
  for (std::uint64_t i = 0; i < kFrames; ++i)
    ASSERT_FALSE(connection->send(
        make_frame(FrameKind::Call, i, "frame " + std::to_string(i))));
  ASSERT_TRUE(server_inbox.wait_frames(kFrames));
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    ASSERT_EQ(request_id_of(server_inbox.frames[i].bytes), i);
    ASSERT_EQ(payload_of(server_inbox.frames[i].bytes),
              "frame " + std::to_string(i));
  }
  // Frames queued while a write was in flight shared later gather-writes.
  auto stats = tcp_stats(*connection);
  EXPECT_EQ(stats.frames_written, kFrames);
  EXPECT_LT(stats.writes, kFrames);
  EXPECT_GE(stats.writes, 1u);
  EXPECT_EQ(server_inbox.close_count(), 0u);
}

TEST(TcpTransport, AnIdleConnectionWritesInlineOtherwiseItQueues) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 1, "small")));
  auto stats = tcp_stats(*connection);
  EXPECT_EQ(stats.frames_written, 1u); // written before send() returned
  EXPECT_EQ(stats.writes, 1u);
  // A frame larger than the socket takes at once: the rest is queued and
  // written by the I/O thread, in order with what follows.
  std::string big(64u << 20, 'b');
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 2, big)));
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 3, "after")));
  ASSERT_TRUE(server_inbox.wait_frames(3));
  EXPECT_EQ(payload_of(server_inbox.frames[1].bytes), big);
  EXPECT_EQ(payload_of(server_inbox.frames[2].bytes), "after");
  EXPECT_EQ(tcp_stats(*connection).frames_written, 3u);
}

TEST(TcpTransport, ManyThreadsSend) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox, 2);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  constexpr int kThreads = 8;
  constexpr std::uint64_t kEach = 1000;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t)
    senders.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < kEach; ++i)
        EXPECT_FALSE(connection->send(
            make_frame(FrameKind::Call, i, std::to_string(t))));
    });
  for (auto &sender : senders)
    sender.join();
  ASSERT_TRUE(server_inbox.wait_frames(kThreads * kEach));
  std::map<std::string, std::uint64_t> next; // per sender, in order
  for (const auto &frame : server_inbox.frames) {
    auto &expected = next[payload_of(frame.bytes)];
    EXPECT_EQ(request_id_of(frame.bytes), expected);
    ++expected;
  }
  EXPECT_EQ(next.size(), std::size_t{kThreads});
}

TEST(TcpTransport, BigFrameRoundTrips) {
  Inbox server_inbox, client_inbox;
  echo(server_inbox);
  Pair pair(server_inbox);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  std::string payload(8u << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>('a' + i * 7 % 26);
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 1, payload)));
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 2, "small")));
  ASSERT_TRUE(client_inbox.wait_frames(2));
  EXPECT_EQ(request_id_of(client_inbox.frames[0].bytes), 1u);
  EXPECT_TRUE(payload_of(client_inbox.frames[0].bytes) == payload);
  EXPECT_EQ(payload_of(client_inbox.frames[1].bytes), "small");
}

TEST(TcpTransport, GarbageClosesOnlyThatConnection) {
  Inbox server_inbox, client_inbox;
  echo(server_inbox);
  Pair pair(server_inbox);
  ConnectionPtr good = pair.connect(client_inbox);
  ASSERT_TRUE(good);
  RawSocket raw;
  ASSERT_TRUE(raw.connect(pair.address));
  std::string garbage(100, 'x');
  raw.write(garbage.data(), garbage.size());
  EXPECT_TRUE(raw.wait_closed());
  ASSERT_TRUE(server_inbox.wait_closes(1));
  EXPECT_EQ(server_inbox.closes[0].error, std::errc::bad_message);
  EXPECT_EQ(server_inbox.frame_count(), 0u);
  // The other connection, and new ones, still work.
  ASSERT_FALSE(good->send(make_frame(FrameKind::Call, 1, "still")));
  ConnectionPtr fresh = pair.connect(client_inbox);
  ASSERT_TRUE(fresh);
  ASSERT_FALSE(fresh->send(make_frame(FrameKind::Call, 2, "new")));
  ASSERT_TRUE(client_inbox.wait_frames(2));
  EXPECT_EQ(server_inbox.close_count(), 1u);
}

TEST(TcpTransport, TruncatedFrameThenCloseDeliversNothing) {
  Inbox server_inbox;
  Pair pair(server_inbox);
  auto frame = make_frame(FrameKind::Call, 1, "0123456789");
  for (std::size_t cut : {std::size_t{20}, std::size_t{55}}) {
    RawSocket raw;
    ASSERT_TRUE(raw.connect(pair.address));
    raw.write(frame.data(), cut);
    raw.close();
  }
  ASSERT_TRUE(server_inbox.wait_closes(2));
  EXPECT_EQ(server_inbox.closes[0].error, std::errc::bad_message);
  EXPECT_EQ(server_inbox.closes[1].error, std::errc::bad_message);
  EXPECT_EQ(server_inbox.frame_count(), 0u);
}

TEST(TcpTransport, PeerClosingMidStreamKeepsWholeFrames) {
  Inbox server_inbox;
  Pair pair(server_inbox);
  Bytes stream;
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto frame = make_frame(FrameKind::Call, i, "whole");
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  auto last = make_frame(FrameKind::Call, 3, std::string(100000, 'z'));
  stream.insert(stream.end(), last.begin(), last.begin() + 70000);
  RawSocket raw;
  ASSERT_TRUE(raw.connect(pair.address));
  raw.write(stream.data(), stream.size());
  raw.close();
  ASSERT_TRUE(server_inbox.wait_closes(1));
  ASSERT_EQ(server_inbox.frame_count(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i)
    EXPECT_EQ(request_id_of(server_inbox.frames[i].bytes), i);
  EXPECT_EQ(server_inbox.closes[0].error, std::errc::bad_message);
}

TEST(TcpTransport, CloseRunsOnCloseOnceOnBothSidesAfterQueuedFrames) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  for (std::uint64_t i = 0; i < 1000; ++i)
    ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, i)));
  connection->close();
  EXPECT_EQ(connection->send(make_frame(FrameKind::Call, 0)),
            std::errc::not_connected);
  connection->close(); // closing twice is harmless
  ASSERT_TRUE(client_inbox.wait_closes(1));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  // What was queued before close() went out first.
  EXPECT_EQ(server_inbox.frame_count(), 1000u);
  EXPECT_FALSE(client_inbox.closes[0].error);
  EXPECT_NE(client_inbox.closes[0].thread, std::this_thread::get_id());
  EXPECT_EQ(server_inbox.closes[0].error, std::errc::connection_reset);
  auto accepted = server_inbox.closes[0].connection;
  EXPECT_EQ(accepted->send(make_frame(FrameKind::Call, 0)),
            std::errc::connection_reset);
  pair.client->shutdown();
  pair.server->shutdown();
  EXPECT_EQ(client_inbox.close_count(), 1u);
  EXPECT_EQ(server_inbox.close_count(), 1u);
}

TEST(TcpTransport, TheAcceptingSideCanClose) {
  Inbox server_inbox, client_inbox;
  server_inbox.on_frame = [](const ConnectionPtr &c, const Bytes &) {
    c->close();
  };
  Pair pair(server_inbox);
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  EXPECT_EQ(client_inbox.closes[0].error, std::errc::connection_reset);
  EXPECT_FALSE(server_inbox.closes[0].error);
  EXPECT_EQ(connection->send(make_frame(FrameKind::Call, 2)),
            std::errc::connection_reset);
}

// Sends frames of \p payload bytes until send() refuses; how many it took.
std::size_t sends_until_refused(Connection &connection, std::size_t payload) {
  auto frame = make_frame(FrameKind::Call, 1, std::string(payload, 'q'));
  for (std::size_t sent = 0; sent < 100000; ++sent) {
    auto error = connection.send(frame);
    if (error == std::errc::no_buffer_space)
      return sent;
    EXPECT_FALSE(error) << error.message();
    if (error)
      return 0;
  }
  return 0;
}

// A frame larger than the kernel's loopback buffers: with a peer that
// never reads, its write stays in flight and the queue cannot drain.
Bytes stuck_frame() {
  return make_frame(FrameKind::Call, 1, std::string(32u << 20, 's'));
}

TEST(TcpTransport, FlowControlBoundsQueuedBytes) {
  RawServer server;
  Inbox inbox;
  TcpOptions tcp;
  tcp.inline_writes = false; // the whole stuck frame stays queued
  tcp.max_queued_bytes = (32u << 20) + (1u << 20) + 2 * kHeaderSize;
  auto transport = make_tcp_transport({}, tcp);
  auto connection = transport->connect(server.address, inbox.handlers());
  ASSERT_TRUE(connection) << connection.failure().message;
  auto accepted = server.accept();
  // A frame into an empty queue always fits, even beyond the bound.
  ASSERT_FALSE((*connection)->send(stuck_frame()));
  EXPECT_EQ(sends_until_refused(**connection, (64u << 10) - kHeaderSize), 16u);
  EXPECT_FALSE((*connection)->send(make_frame(FrameKind::Call, 2)));
  EXPECT_EQ((*connection)->send(make_frame(FrameKind::Call, 3, "x")),
            std::errc::no_buffer_space);
  transport->shutdown(); // with a write stuck in flight
  ASSERT_EQ(inbox.close_count(), 1u);
  EXPECT_EQ(inbox.closes[0].error, std::errc::operation_canceled);
}

TEST(TcpTransport, FlowControlBoundsQueuedFrames) {
  RawServer server;
  Inbox inbox;
  TcpOptions tcp;
  tcp.inline_writes = false;
  tcp.max_queued_frames = 64;
  auto transport = make_tcp_transport({}, tcp);
  auto connection = transport->connect(server.address, inbox.handlers());
  ASSERT_TRUE(connection) << connection.failure().message;
  auto accepted = server.accept();
  ASSERT_FALSE((*connection)->send(stuck_frame()));
  EXPECT_EQ(sends_until_refused(**connection, 10), 63u);
  EXPECT_EQ((*connection)->send(make_frame(FrameKind::Call, 2)),
            std::errc::no_buffer_space);
}

TEST(TcpTransport, ShutdownClosesLiveConnections) {
  Inbox server_inbox, client_inbox;
  echo(server_inbox);
  Pair pair(server_inbox, 2);
  std::vector<ConnectionPtr> connections;
  for (int i = 0; i < 4; ++i) {
    connections.push_back(pair.connect(client_inbox));
    ASSERT_TRUE(connections.back());
    ASSERT_FALSE(connections.back()->send(make_frame(FrameKind::Call, 1)));
  }
  ASSERT_TRUE(client_inbox.wait_frames(4));
  pair.client->shutdown();
  EXPECT_EQ(client_inbox.close_count(), 4u); // all ran before it returned
  for (const auto &close : client_inbox.closes)
    EXPECT_EQ(close.error, std::errc::operation_canceled);
  ASSERT_TRUE(server_inbox.wait_closes(4));
  for (const auto &close : server_inbox.closes)
    EXPECT_EQ(close.error, std::errc::connection_reset);
  pair.client->shutdown(); // idempotent
  EXPECT_EQ(connections[0]->send(make_frame(FrameKind::Call, 2)),
            std::errc::not_connected);
  EXPECT_EQ(pair.client->connect(pair.address, {}).failure().code,
            std::errc::operation_canceled);
  pair.server.reset(); // the destructor shuts down too
  EXPECT_EQ(client_inbox.close_count(), 4u);
}

TEST(TcpTransport, ShutdownFromAHandlerDoesNotDeadlock) {
  Inbox server_inbox, client_inbox;
  Pair pair(server_inbox, 2);
  server_inbox.on_frame = [&](const ConnectionPtr &, const Bytes &) {
    pair.server->shutdown();
  };
  ConnectionPtr connection = pair.connect(client_inbox);
  ASSERT_TRUE(connection);
  ASSERT_FALSE(connection->send(make_frame(FrameKind::Call, 1)));
  ASSERT_TRUE(server_inbox.wait_closes(1));
  ASSERT_TRUE(client_inbox.wait_closes(1));
  EXPECT_EQ(server_inbox.closes[0].error, std::errc::operation_canceled);
  pair.server->shutdown(); // from here it also joins the I/O threads
  EXPECT_EQ(server_inbox.close_count(), 1u);
}

} // namespace
} // namespace nu::net
