// Serving connections over socket pairs, from an event loop and from a
// thread each: pipelined requests answered in order, big requests across
// reads, big replies, QUIT, protocol errors, the hand-over of slow
// connections from the loop to a thread, and the limits on what a client
// may cost (buffered bytes, a request left half sent).
#include "ConnectionThreads.hpp"
#include "EventLoop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

struct Counts {
  std::atomic<int> requests{0};
  std::atomic<int> handed_over{0};
};

/// Replies with the request's arguments joined by spaces; QUIT quits;
/// SLOW makes it slow().
class EchoHandler : public kv::Handler {
public:
  explicit EchoHandler(Counts &counts) : counts_(counts) {}
  void execute(const std::vector<std::string_view> &args,
               kv::RespWriter &out) override {
    std::string joined;
    for (auto a : args)
      joined += (joined.empty() ? "" : " ") + std::string(a);
    quit_ = joined == "QUIT";
    slow_ |= joined == "SLOW";
    out.bulk(joined);
    ++counts_.requests;
  }
  bool quit() const override { return quit_; }
  bool slow() override { return slow_; }

private:
  Counts &counts_;
  bool quit_ = false;
  bool slow_ = false;
};

enum class Mode { Loop, Thread };

/// Sends all of \p data unless the peer goes; false if it did.
bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// One connection served as the parameter says, within limits_; the test
/// is its client (whose reads give up after 5 s).
class Serving : public ::testing::TestWithParam<Mode> {
protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    timeval five{5, 0};
    ::setsockopt(fds_[0], SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
    auto c = std::make_unique<kv::Connection>(
        fds_[1], std::make_unique<EchoHandler>(counts_), limits_);
    if (GetParam() == Mode::Thread)
      threads_.add(std::move(c));
    else
      loop_.add(std::move(c));
  }
  ~Serving() override { ::close(fds_[0]); }

  /// True once the server closed the connection (false: 5 s went by).
  bool closed_by_server() {
    char buf[65536];
    while (true) {
      ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n == 0 || (n < 0 && errno == ECONNRESET))
        return true;
      if (n < 0 && errno != EINTR)
        return false;
    }
  }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fds_[0], data.data(), data.size());
      ASSERT_GT(n, 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  /// \p size bytes, or fewer if the server closes first.
  std::string read(std::size_t size = SIZE_MAX) {
    std::string all;
    char buf[65536];
    while (all.size() < size) {
      ssize_t n = ::read(fds_[0], buf, std::min(sizeof buf, size - all.size()));
      if (n <= 0)
        break;
      all.append(buf, static_cast<std::size_t>(n));
    }
    return all;
  }

  int fds_[2] = {-1, -1};
  Counts counts_;
  kv::Limits limits_;
  kv::ConnectionThreads threads_;
  kv::EventLoop loop_{[this](std::unique_ptr<kv::Connection> c) {
                        ++counts_.handed_over;
                        threads_.add(std::move(c));
                      },
                      20ms};
};

INSTANTIATE_TEST_SUITE_P(Both, Serving,
                         ::testing::Values(Mode::Loop, Mode::Thread));

/// Serving with small limits: 1 MiB of query buffer, 400 ms for the rest
/// of a request.
class Limited : public Serving {
protected:
  Limited() {
    limits_.max_query_buffer = 1 << 20;
    limits_.partial_timeout = 400ms;
  }
};

INSTANTIATE_TEST_SUITE_P(Both, Limited,
                         ::testing::Values(Mode::Loop, Mode::Thread));

TEST_P(Serving, PipelinedRequestsAreAnsweredInOrder) {
  send("*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING\r\n\r\n*1\r\n$4\r\nECHO\r\n");
  EXPECT_EQ(read(31), "$5\r\nGET a\r\n$4\r\nPING\r\n$4\r\nECHO\r\n");
  send("PING\r\n");
  EXPECT_EQ(read(10), "$4\r\nPING\r\n");
}

TEST_P(Serving, ARequestCanArriveInPieces) {
  std::string big(3 << 20, 'x');
  std::string request = "*2\r\n$3\r\nSET\r\n$" + std::to_string(big.size()) +
                        "\r\n" + big + "\r\n";
  std::thread writer([&] {
    for (std::size_t i = 0; i < request.size(); i += 100'000) {
      send(std::string_view(request).substr(i, 100'000));
      std::this_thread::yield();
    }
  });
  std::string expected =
      "$" + std::to_string(big.size() + 4) + "\r\nSET " + big + "\r\n";
  EXPECT_EQ(read(expected.size()), expected);
  writer.join();
}

TEST_P(Serving, LargeRepliesToAClientThatReadsLate) {
  std::string value(100'000, 'v');
  std::string request =
      "*1\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  std::string batch;
  for (int i = 0; i < 30; ++i)
    batch += request;
  std::thread writer([&] { send(batch); });
  std::this_thread::sleep_for(50ms); // the server's writes block meanwhile
  std::string reply =
      "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  std::string got = read(30 * reply.size());
  writer.join();
  ASSERT_EQ(got.size(), 30 * reply.size());
  EXPECT_EQ(got.substr(29 * reply.size()), reply);
}

TEST_P(Serving, QuitClosesAfterItsReply) {
  send("PING\r\nQUIT\r\nPING\r\n");
  EXPECT_EQ(read(), "$4\r\nPING\r\n$4\r\nQUIT\r\n");
  EXPECT_EQ(counts_.requests, 2);
}

TEST_P(Serving, AProtocolErrorIsAnsweredThenTheConnectionCloses) {
  send("PING\r\n*1\r\n$x\r\nPING\r\n");
  EXPECT_EQ(read(), "$4\r\nPING\r\n"
                    "-ERR Protocol error: invalid bulk length\r\n");
}

TEST_P(Serving, ItEndsWhenTheClientLeaves) {
  send("PING\r\n");
  EXPECT_EQ(read(10), "$4\r\nPING\r\n");
  ::shutdown(fds_[0], SHUT_WR);
  EXPECT_EQ(read(), "") << "closed by the server";
}

TEST_P(Serving, ASlowConnectionMovesToAThreadAndGoesOn) {
  send("SLOW\r\n");
  EXPECT_EQ(read(10), "$4\r\nSLOW\r\n");
  send("PING\r\n");
  EXPECT_EQ(read(10), "$4\r\nPING\r\n");
  EXPECT_EQ(counts_.handed_over, GetParam() == Mode::Loop ? 1 : 0);
}

TEST_P(Serving, AHugeAnnouncedBulkIsAnsweredAsRedisDoes) {
  send("*1\r\n$629145600\r\n"); // 600 MiB: over the 512 MiB allowed
  EXPECT_EQ(read(), "-ERR Protocol error: invalid bulk length\r\n");
}

TEST_P(Serving, AHugeAnnouncedCountIsAnsweredAsRedisDoes) {
  send("*2000000000\r\n");
  EXPECT_EQ(read(), "-ERR Protocol error: invalid multibulk length\r\n");
}

TEST_P(Limited, AStalledRequestIsClosedAfterTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  send("*1\r\n$536870000\r\nabc");
  EXPECT_TRUE(closed_by_server());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 350ms);
  EXPECT_EQ(counts_.requests, 0);
}

TEST_P(Limited, ARequestThatKeepsComingIsNotStalled) {
  send("*1\r\n$10\r\n");
  for (int i = 0; i < 10; ++i) { // 500 ms in all, never 400 ms silent
    std::this_thread::sleep_for(50ms);
    send("x");
  }
  send("\r\n");
  EXPECT_EQ(read(17), "$10\r\nxxxxxxxxxx\r\n");
}

TEST_P(Limited, AnIdleConnectionIsNotStalled) {
  send("PING\r\n");
  EXPECT_EQ(read(10), "$4\r\nPING\r\n");
  std::this_thread::sleep_for(900ms);
  send("PING\r\n");
  EXPECT_EQ(read(10), "$4\r\nPING\r\n");
}

TEST_P(Limited, ARequestOverTheQueryBufferLimitIsClosed) {
  std::thread writer([&] {
    send_all(fds_[0], "*1\r\n$10000000\r\n" + std::string(2 << 20, 'x'));
  });
  EXPECT_TRUE(closed_by_server());
  writer.join();
  EXPECT_EQ(counts_.requests, 0);
}

TEST_P(Limited, ARequestUnderTheQueryBufferLimitIsServed) {
  std::string value(1000 * 1000, 'v');
  std::thread writer([&] {
    send("*1\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n");
  });
  std::string reply = "$1000000\r\n" + value + "\r\n";
  EXPECT_EQ(read(reply.size()), reply);
  writer.join();
}

/// A connection served step by step on the test's thread.
struct Stepped {
  Stepped(const kv::Limits &limits = {}) {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    connection = std::make_unique<kv::Connection>(
        fds[1], std::make_unique<EchoHandler>(counts), limits);
  }
  ~Stepped() { ::close(fds[0]); }

  /// Sends \p data, then serves until all of it was read.
  kv::Connection::Status feed(std::string_view data) {
    EXPECT_TRUE(send_all(fds[0], data));
    while (true) {
      auto status = connection->serve_ready();
      int pending = 0;
      ::ioctl(fds[1], FIONREAD, &pending);
      if (status != kv::Connection::Status::Open || pending == 0)
        return status;
    }
  }

  int fds[2] = {-1, -1};
  Counts counts;
  std::unique_ptr<kv::Connection> connection;
};

TEST(Connection, ItsBufferGrowsWithTheBytesThatCameNotTheLengthAnnounced) {
  Stepped s;
  ASSERT_EQ(s.feed("*1\r\n$536870000\r\nabc"), kv::Connection::Status::Open);
  for (int i = 0; i < 16; ++i) // 256 KiB of the 512 MiB announced
    ASSERT_EQ(s.feed(std::string(16 * 1024, 'x')),
              kv::Connection::Status::Open);
  EXPECT_GE(s.connection->buffer_capacity(), 256u * 1024);
  EXPECT_LT(s.connection->buffer_capacity(), 1u << 20);
}

TEST(Connection, ItsBufferStaysUnderTheQueryBufferLimit) {
  kv::Limits limits;
  limits.max_query_buffer = 1 << 20;
  Stepped s(limits);
  auto status = s.feed("*1\r\n$536870000\r\n");
  std::size_t fed = 0;
  while (status == kv::Connection::Status::Open && fed < (4u << 20)) {
    EXPECT_LE(s.connection->buffer_capacity(), (1u << 20) + 16 * 1024);
    status = s.feed(std::string(16 * 1024, 'x'));
    fed += 16 * 1024;
  }
  EXPECT_EQ(status, kv::Connection::Status::Closed);
  EXPECT_LE(fed, (1u << 20) + 16 * 1024);
}

TEST(Connection, ExpiresWhenPartOfARequestWaitsTooLong) {
  Stepped s; // the default timeout: 30 s
  auto now = kv::Connection::Clock::now();
  EXPECT_FALSE(s.connection->expired(now + 1h)) << "nothing sent yet";
  ASSERT_EQ(s.feed("PING\r\n"), kv::Connection::Status::Open);
  EXPECT_FALSE(s.connection->expired(now + 1h)) << "idle is fine";
  ASSERT_EQ(s.feed("*2\r\n$4\r\nECHO"), kv::Connection::Status::Open);
  now = kv::Connection::Clock::now();
  EXPECT_FALSE(s.connection->expired(now + 29s));
  EXPECT_TRUE(s.connection->expired(now + 31s));
}

TEST(Connection, NeverExpiresWithNoTimeout) {
  kv::Limits limits;
  limits.partial_timeout = 0ms;
  Stepped s(limits);
  ASSERT_EQ(s.feed("*2\r\n"), kv::Connection::Status::Open);
  EXPECT_FALSE(s.connection->expired(kv::Connection::Clock::now() + 24h));
}

TEST(EventLoop, ServesManyConnections) {
  Counts counts;
  kv::ConnectionThreads threads;
  kv::EventLoop loop(
      [&](std::unique_ptr<kv::Connection> c) { threads.add(std::move(c)); });
  std::vector<int> clients;
  for (int i = 0; i < 20; ++i) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    loop.add(std::make_unique<kv::Connection>(
        fds[1], std::make_unique<EchoHandler>(counts)));
    clients.push_back(fds[0]);
  }
  for (int round = 0; round < 3; ++round)
    for (int fd : clients)
      ASSERT_EQ(::write(fd, "PING\r\nECHO\r\n", 12), 12);
  for (int fd : clients) {
    std::string got;
    char buf[256];
    while (got.size() < 3 * 20) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      ASSERT_GT(n, 0);
      got.append(buf, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(got.substr(0, 20), "$4\r\nPING\r\n$4\r\nECHO\r\n");
    ::close(fd);
  }
  EXPECT_EQ(counts.requests, 20 * 3 * 2);
}

TEST(ConnectionThreads, StoppingDisconnectsEveryClient) {
  Counts counts;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  {
    kv::ConnectionThreads threads;
    threads.add(std::make_unique<kv::Connection>(
        fds[1], std::make_unique<EchoHandler>(counts)));
  } // joined: the blocked read was woken
  char c;
  EXPECT_EQ(::read(fds[0], &c, 1), 0);
  ::close(fds[0]);
}

} // namespace
