// Tests of what is particular to the TCP transport on 127.0.0.1: HOST:PORT
// addresses, batching and inline writes, flow control, raw peers cutting a
// frame short. What every transport does is in ConformanceTest.cpp.
#include "FrameHelpers.hpp"
#include "nu/net/tcp_transport.hpp"
#include "nu/net/testing/inbox.hpp"
#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>

namespace nu::net {
namespace {

using namespace std::chrono_literals;
using ConnectionPtr = std::shared_ptr<Connection>;

using conformance::Inbox;
using test::make_frame;
using test::payload_of;
using test::request_id_of;

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
  RawSocket() = default;
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

TEST(TcpTransport, ChecksAddresses) {
  auto transport = make_tcp_transport({});
  auto picked = transport->listen("", {}); // a free port on the loopback
  ASSERT_TRUE(picked) << picked.failure().message;
  EXPECT_EQ(picked->rfind("127.0.0.1:", 0), 0u) << *picked;
  EXPECT_NE(port_of(*picked), 0);
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
  auto frames = server_inbox.frames();
  for (std::uint64_t i = 0; i < kFrames; ++i) {
    ASSERT_EQ(request_id_of(frames[i].bytes), i);
    ASSERT_EQ(payload_of(frames[i].bytes), "frame " + std::to_string(i));
  }
  EXPECT_EQ(frames[0].connection->peer_address().rfind("127.0.0.1:", 0), 0u);
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
  auto frames = server_inbox.frames();
  EXPECT_EQ(payload_of(frames[1].bytes), big);
  EXPECT_EQ(payload_of(frames[2].bytes), "after");
  EXPECT_EQ(tcp_stats(*connection).frames_written, 3u);
}

// A peer that is no nu transport sends whole frames, then part of one (cut
// in its header, in its payload, in a payload beyond the 64 KiB read
// buffer), then closes: the whole frames arrive, the stump is bad_message.
TEST(TcpTransport, ARawPeerCuttingAFrameShortIsBadMessage) {
  Inbox server_inbox;
  Pair pair(server_inbox);
  for (auto [payload, cut] : {std::pair<std::size_t, std::size_t>{10, 20},
                              {10, 55},
                              {100000, 70000}}) {
    Bytes stream;
    for (std::uint64_t i = 0; i < 3; ++i) {
      auto frame = make_frame(FrameKind::Call, i, "whole");
      stream.insert(stream.end(), frame.begin(), frame.end());
    }
    auto last = make_frame(FrameKind::Call, 3, std::string(payload, 'z'));
    stream.insert(stream.end(), last.begin(), last.begin() + cut);
    RawSocket raw;
    ASSERT_TRUE(raw.connect(pair.address));
    raw.write(stream.data(), stream.size());
    raw.close();
  }
  ASSERT_TRUE(server_inbox.wait_closes(3));
  for (const auto &close : server_inbox.closes()) {
    EXPECT_EQ(close.error, std::errc::bad_message);
    EXPECT_EQ(close.frames_before, 3u);
  }
  std::map<Connection *, std::uint64_t> next;
  for (const auto &frame : server_inbox.frames())
    EXPECT_EQ(request_id_of(frame.bytes), next[frame.connection.get()]++);
  EXPECT_EQ(server_inbox.frame_count(), 9u);
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
  EXPECT_EQ(inbox.closes()[0].error, std::errc::operation_canceled);
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

} // namespace
} // namespace nu::net
