// Tests of the TCP transport against hostile peers on 127.0.0.1: huge
// headers, slow and idle peers, buffer and connection limits, EMFILE, floods.
#include "FrameHelpers.hpp"
#include "nu/net/tcp_transport.hpp"
#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace nu::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ConnectionPtr = std::shared_ptr<Connection>;
constexpr auto kTimeout = 10s;

using test::make_frame;
using test::request_id_of;

// What a transport's handlers saw; echoes every frame back when asked to.
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Bytes> frames;
  std::vector<std::error_code> closes;
  bool echo = false;

  Handlers handlers() {
    Handlers h;
    h.on_frame = [this](const ConnectionPtr &c, Bytes bytes) {
      if (echo) {
        auto view = parse_frame(bytes);
        std::string payload(
            reinterpret_cast<const char *>(view->payload.data()),
            view->payload.size());
        c->send(
            make_frame(FrameKind::Result, view->header.request_id, payload));
      }
      std::lock_guard lock(mutex);
      frames.push_back(std::move(bytes));
      changed.notify_all();
    };
    h.on_close = [this](const ConnectionPtr &, std::error_code error) {
      std::lock_guard lock(mutex);
      closes.push_back(error);
      changed.notify_all();
    };
    return h;
  }
  bool wait_frames(std::size_t n, Clock::duration timeout = kTimeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return frames.size() >= n; });
  }
  bool wait_closes(std::size_t n, Clock::duration timeout = kTimeout) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return closes.size() >= n; });
  }
  std::size_t close_count() {
    std::lock_guard lock(mutex);
    return closes.size();
  }
  std::vector<std::error_code> close_errors() {
    std::lock_guard lock(mutex);
    return closes;
  }
};

// An echo server on 127.0.0.1 with the given options.
struct Server {
  Inbox inbox; // outlives the transport
  std::unique_ptr<Transport> transport;
  std::uint16_t port = 0;

  explicit Server(const TcpOptions &tcp) {
    inbox.echo = true;
    transport = make_tcp_transport({}, tcp);
    auto address = transport->listen("127.0.0.1:0", inbox.handlers());
    EXPECT_TRUE(address) << address.failure().message;
    if (address)
      port = static_cast<std::uint16_t>(
          std::stoul(address->substr(address->rfind(':') + 1)));
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

// A well-behaved peer: a TCP transport connection doing request/reply.
struct Client {
  Inbox inbox;
  std::unique_ptr<Transport> transport = make_tcp_transport({});
  ConnectionPtr connection;

  explicit Client(const Server &server) {
    auto connected = transport->connect(server.address(), inbox.handlers());
    EXPECT_TRUE(connected) << connected.failure().message;
    if (connected)
      connection = *connected;
  }
  bool round_trip(std::uint64_t id) {
    if (!connection ||
        connection->send(make_frame(FrameKind::Call, id, "ping")))
      return false;
    std::unique_lock lock(inbox.mutex);
    return inbox.changed.wait_for(lock, kTimeout, [&] {
      return std::any_of(
          inbox.frames.begin(), inbox.frames.end(),
          [&](const Bytes &frame) { return request_id_of(frame) == id; });
    });
  }
};

// A plain blocking socket (the hostile peer), closed when it goes.
struct RawSocket {
  int fd = -1;

  RawSocket() = default;
  RawSocket(RawSocket &&other) noexcept : fd(std::exchange(other.fd, -1)) {}
  RawSocket &operator=(RawSocket &&) = delete;
  ~RawSocket() { close(); }

  bool open() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    return fd >= 0;
  }
  bool connect(std::uint16_t port) {
    if (fd < 0 && !open())
      return false;
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(port);
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd, reinterpret_cast<sockaddr *>(&peer), sizeof peer) == 0;
  }
  void close() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  // False if the peer stopped taking bytes (closed, reset, timed out).
  bool send_all(const void *data, std::size_t size) {
    auto *bytes = static_cast<const char *>(data);
    while (size > 0) {
      auto sent = ::send(fd, bytes, size, MSG_NOSIGNAL);
      if (sent <= 0)
        return false;
      bytes += sent;
      size -= static_cast<std::size_t>(sent);
    }
    return true;
  }
  bool send_all(const Bytes &bytes) {
    return send_all(bytes.data(), bytes.size());
  }
  bool recv_all(void *data, std::size_t size) {
    auto *bytes = static_cast<char *>(data);
    while (size > 0) {
      auto got = ::recv(fd, bytes, size, 0);
      if (got <= 0)
        return false;
      bytes += got;
      size -= static_cast<std::size_t>(got);
    }
    return true;
  }
  // True if the peer closes (end of stream or reset) within \p timeout.
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - Clock::now());
      pollfd waiting{fd, POLLIN, 0};
      if (::poll(&waiting, 1, static_cast<int>(std::max(left.count(), 0L))) <=
          0)
        return false;
      char buffer[4096];
      auto got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno == ECONNRESET))
        return true;
    }
  }
  // Sends a call and reads its echo.
  bool round_trip(std::uint64_t id, std::string_view payload = "ping") {
    auto call = make_frame(FrameKind::Call, id, payload);
    Bytes reply(call.size());
    if (!send_all(call) || !recv_all(reply.data(), reply.size()))
      return false;
    auto view = parse_frame(reply);
    return view && view->header.kind == FrameKind::Result &&
           view->header.request_id == id;
  }
};

// A valid header promising \p payload bytes that never come.
Bytes header_claiming(std::uint32_t payload) {
  Bytes frame = start_frame();
  finish_frame(frame, FrameHeader{});
  for (int i = 0; i < 4; ++i)
    frame[8 + i] = static_cast<std::byte>(payload >> (8 * i));
  auto header = parse_header(frame);
  EXPECT_TRUE(header && header->payload_size == payload);
  return frame;
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::chrono::nanoseconds cpu_time() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) +
         std::chrono::nanoseconds(now.tv_nsec);
}

// RLIMIT_NOFILE's soft limit, changed for a scope and restored after it.
class FdLimit {
public:
  FdLimit() { ::getrlimit(RLIMIT_NOFILE, &saved_); }
  ~FdLimit() { restore(); }
  rlim_t soft() const { return saved_.rlim_cur; }
  rlim_t hard() const { return saved_.rlim_max; }
  bool set(rlim_t soft) {
    rlimit limit = saved_;
    limit.rlim_cur = soft;
    return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
  }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
  rlimit saved_{};
};

// The lowest descriptor number free now.
int lowest_free_fd() {
  int probe = ::dup(0);
  ::close(probe);
  return probe;
}

TEST(TcpLimits, HugeHeaderThenSilenceCostsABoundedBuffer) {
  TcpOptions tcp;
  tcp.partial_frame_timeout = 300ms;
  Server server(tcp);
  auto hostile = header_claiming(kMaxPayload);
  hostile.resize(hostile.size() + 20, std::byte{'p'});
  auto before = rss_bytes();
  std::vector<RawSocket> peers(8);
  for (auto &peer : peers) {
    ASSERT_TRUE(peer.connect(server.port));
    ASSERT_TRUE(peer.send_all(hostile));
  }
  // Watch the process's memory until the server has closed them all.
  auto peak = before;
  std::size_t closed = 0;
  std::vector<bool> done(peers.size());
  for (auto deadline = Clock::now() + 5s;
       closed < peers.size() && Clock::now() < deadline;) {
    for (std::size_t i = 0; i < peers.size(); ++i)
      if (!done[i] && peers[i].closed_within(5ms))
        done[i] = true, ++closed;
    peak = std::max(peak, rss_bytes());
  }
  EXPECT_LT(peak - before, std::size_t{32} << 20);
  EXPECT_EQ(closed, peers.size());
  ASSERT_TRUE(server.inbox.wait_closes(peers.size()));
  for (auto error : server.inbox.close_errors())
    EXPECT_EQ(error, std::errc::timed_out);
}

TEST(TcpLimits, SlowlorisIsClosedWhileASteadyTrickleCompletes) {
  TcpOptions tcp;
  tcp.partial_frame_timeout = 300ms;
  Server server(tcp);
  RawSocket slow, trickle;
  ASSERT_TRUE(slow.connect(server.port));
  ASSERT_TRUE(trickle.connect(server.port));
  auto frame = make_frame(FrameKind::Call, 1, "0123456789");
  ASSERT_TRUE(slow.send_all(frame.data(), 20));
  // A 128 KiB frame, 4 KiB every 50 ms: about 1.6 s, well past the timeout.
  auto big = make_frame(FrameKind::Call, 2, std::string(128u << 10, 't'));
  for (std::size_t at = 0; at < big.size(); at += 4096) {
    ASSERT_TRUE(trickle.send_all(big.data() + at,
                                 std::min<std::size_t>(4096, big.size() - at)));
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(slow.closed_within(5000ms));
  Bytes echo(big.size());
  ASSERT_TRUE(trickle.recv_all(echo.data(), echo.size()));
  EXPECT_EQ(request_id_of(echo), 2u);
  EXPECT_TRUE(trickle.round_trip(3)); // still open
  ASSERT_EQ(server.inbox.close_count(), 1u);
  EXPECT_EQ(server.inbox.close_errors()[0], std::errc::timed_out);
}

TEST(TcpLimits, IdleTimeoutClosesIdleConnectionsOnlyWhenOn) {
  TcpOptions tcp;
  tcp.idle_timeout = 300ms;
  Server strict(tcp);
  RawSocket idle;
  ASSERT_TRUE(idle.connect(strict.port));
  ASSERT_TRUE(idle.round_trip(1));
  auto last_active = Clock::now();
  ASSERT_TRUE(idle.closed_within(5000ms));
  EXPECT_GE(Clock::now() - last_active, 250ms);
  ASSERT_TRUE(strict.inbox.wait_closes(1));
  EXPECT_EQ(strict.inbox.close_errors()[0], std::errc::timed_out);

  Server lenient(TcpOptions{}); // idle_timeout off by default
  RawSocket kept;
  ASSERT_TRUE(kept.connect(lenient.port));
  ASSERT_TRUE(kept.round_trip(1));
  EXPECT_FALSE(kept.closed_within(1500ms));
  EXPECT_TRUE(kept.round_trip(2));
  EXPECT_EQ(lenient.inbox.close_count(), 0u);
}

TEST(TcpLimits, BytesOfIncompleteFramesAreBoundedPerTransport) {
  TcpOptions tcp;
  tcp.max_buffered_bytes = 1u << 20;
  Server server(tcp);
  // Two peers each send 700 KiB of a 2 MiB frame: both cannot be buffered.
  auto start = header_claiming(2u << 20);
  start.resize(start.size() + (700u << 10), std::byte{'b'});
  RawSocket first, second;
  ASSERT_TRUE(first.connect(server.port));
  ASSERT_TRUE(second.connect(server.port));
  first.send_all(start); // may fail: the server closes one of them
  second.send_all(start);
  ASSERT_TRUE(server.inbox.wait_closes(1));
  EXPECT_EQ(server.inbox.close_errors()[0], std::errc::no_buffer_space);
  EXPECT_TRUE(first.closed_within(2000ms) != second.closed_within(100ms));
  Client client(server);
  EXPECT_TRUE(client.round_trip(1));
  EXPECT_EQ(server.inbox.close_count(), 1u);
}

// Frames around the read buffer's and chunks' sizes, in odd-sized pieces:
// each arrives whole, however its buffers grew.
TEST(TcpLimits, GrowingBuffersKeepFramesIntact) {
  Server server(TcpOptions{});
  server.inbox.echo = false;
  constexpr std::size_t kSizes[] = {(64u << 10) - 48,  (64u << 10) - 47,
                                    (128u << 10) - 48, (128u << 10) + 1,
                                    (256u << 10) - 48, (256u << 10) + 100,
                                    300u << 10,        (600u << 10) + 7};
  Bytes stream;
  std::vector<Bytes> sent;
  for (std::size_t i = 0; i < std::size(kSizes); ++i) {
    std::string payload(kSizes[i], '\0');
    for (std::size_t j = 0; j < payload.size(); ++j)
      payload[j] = static_cast<char>(j * 31 + i);
    sent.push_back(make_frame(FrameKind::Call, i, payload));
    stream.insert(stream.end(), sent.back().begin(), sent.back().end());
  }
  RawSocket peer;
  ASSERT_TRUE(peer.connect(server.port));
  for (std::size_t at = 0; at < stream.size(); at += 70001)
    ASSERT_TRUE(peer.send_all(
        stream.data() + at, std::min<std::size_t>(70001, stream.size() - at)));
  ASSERT_TRUE(server.inbox.wait_frames(sent.size()));
  std::lock_guard lock(server.inbox.mutex);
  for (std::size_t i = 0; i < sent.size(); ++i)
    EXPECT_TRUE(server.inbox.frames[i] == sent[i]) << "frame " << i;
}

// Raises the soft limit on descriptors to \p wanted if the hard one allows.
bool allow_fds(FdLimit &limit, rlim_t wanted) {
  if (limit.soft() >= wanted)
    return true;
  return limit.hard() >= wanted && limit.set(wanted);
}

TEST(TcpLimits, TwoThousandIdleConnectionsDoNotStopService) {
  FdLimit limit;
  if (!allow_fds(limit, 4500))
    GTEST_SKIP() << "needs 4500 descriptors, the hard limit is "
                 << limit.hard();
  Server server(TcpOptions{});
  std::vector<RawSocket> idle(2000);
  auto before = rss_bytes();
  for (auto &peer : idle)
    ASSERT_TRUE(peer.connect(server.port));
  Client client(server);
  EXPECT_TRUE(client.round_trip(1));
  EXPECT_TRUE(idle.back().round_trip(2));
  EXPECT_EQ(server.inbox.close_count(), 0u);
  // An idle connection costs a few KiB, not a full-size read buffer.
  // (ThreadSanitizer's shadow memory makes RSS no measure of that.)
#ifndef __SANITIZE_THREAD__
  auto after = rss_bytes();
  EXPECT_LT(after - std::min(before, after), std::size_t{48} << 20);
#else
  (void)before;
#endif
}

TEST(TcpLimits, ConnectionsBeyondMaxConnectionsAreClosed) {
  TcpOptions tcp;
  tcp.max_connections = 100;
  Server server(tcp);
  std::vector<RawSocket> peers(120);
  for (auto &peer : peers)
    ASSERT_TRUE(peer.connect(server.port));
  auto deadline = Clock::now() + 5s;
  for (std::size_t i = 100; i < peers.size(); ++i)
    EXPECT_TRUE(peers[i].closed_within(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                              Clock::now())))
        << "connection " << i + 1;
  for (std::size_t i = 0; i < 100; ++i)
    ASSERT_TRUE(peers[i].round_trip(i)) << "connection " << i + 1;
  // Closing some makes room for as many new ones.
  for (std::size_t i = 0; i < 10; ++i)
    peers[i].close();
  ASSERT_TRUE(server.inbox.wait_closes(10));
  RawSocket late;
  ASSERT_TRUE(late.connect(server.port));
  EXPECT_TRUE(late.round_trip(1000));
  EXPECT_TRUE(peers[99].round_trip(1001));
}

TEST(TcpLimits, OutOfDescriptorsAcceptBacksOffAndRecovers) {
  Server server(TcpOptions{});
  RawSocket open;
  ASSERT_TRUE(open.connect(server.port));
  ASSERT_TRUE(open.round_trip(1));
  std::vector<RawSocket> pending(5);
  for (auto &peer : pending)
    ASSERT_TRUE(peer.open());
  FdLimit limit;
  ASSERT_TRUE(limit.set(static_cast<rlim_t>(lowest_free_fd())));
  // The kernel completes these handshakes; accept() fails with EMFILE.
  for (auto &peer : pending)
    ASSERT_TRUE(peer.connect(server.port));
  auto cpu_before = cpu_time();
  auto wall_before = Clock::now();
  std::this_thread::sleep_for(600ms);
  auto cpu = cpu_time() - cpu_before;
  auto wall = Clock::now() - wall_before;
  EXPECT_LT(cpu, wall * 3 / 10) << "accepting spins while out of descriptors";
  EXPECT_TRUE(open.round_trip(2));
  limit.restore();
  for (std::size_t i = 0; i < pending.size(); ++i)
    EXPECT_TRUE(pending[i].round_trip(10 + i)) << "pending connection " << i;
  EXPECT_TRUE(open.round_trip(3));
}

// Runs \p body with stderr going to a file; returns what it wrote.
template <class Body> std::string capture_stderr(Body body) {
  std::fflush(stderr);
  FILE *file = std::tmpfile();
  int saved = ::dup(2);
  ::dup2(::fileno(file), 2);
  body();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, file));)
    text.append(buffer, got);
  std::fclose(file);
  return text;
}

std::size_t count_lines(const std::string &text, const std::string &needle) {
  std::istringstream lines(text);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line);)
    count += line.find(needle) != std::string::npos;
  return count;
}

bool warnings_logged() {
  const char *level = std::getenv("NU_LOG_LEVEL");
  if (!level)
    return true;
  std::string name = level;
  return name == "trace" || name == "debug" || name == "info" || name == "warn";
}

TEST(TcpLimits, AFloodOfMalformedFramesIsLoggedRateLimited) {
  Server server(TcpOptions{});
  constexpr std::size_t kPeers = 100;
  std::string garbage(100, 'x');
  auto started = Clock::now();
  auto log = capture_stderr([&] {
    std::vector<RawSocket> peers(kPeers);
    for (auto &peer : peers) {
      ASSERT_TRUE(peer.connect(server.port));
      peer.send_all(garbage.data(), garbage.size());
    }
    ASSERT_TRUE(server.inbox.wait_closes(kPeers));
    std::this_thread::sleep_for(1100ms); // the next line says what was held
    RawSocket last;
    ASSERT_TRUE(last.connect(server.port));
    last.send_all(garbage.data(), garbage.size());
    ASSERT_TRUE(server.inbox.wait_closes(kPeers + 1));
  });
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started)
          .count();
  for (auto error : server.inbox.close_errors())
    EXPECT_EQ(error, std::errc::bad_message);
  Client client(server);
  EXPECT_TRUE(client.round_trip(1));
  if (!warnings_logged())
    GTEST_SKIP() << "NU_LOG_LEVEL hides warnings";
  auto lines = count_lines(log, "closing connection");
  EXPECT_GE(lines, 2u) << log;
  EXPECT_LE(lines, 5u * (static_cast<std::size_t>(seconds) + 2)) << log;
  EXPECT_GE(count_lines(log, "similar lines suppressed"), 1u) << log;
}

} // namespace
} // namespace nu::net
