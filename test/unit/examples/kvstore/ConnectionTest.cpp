// Serving connections over socket pairs, from an event loop and from a
// thread each: pipelined requests answered in order, big requests across
// reads, big replies, QUIT, protocol errors, and the hand-over of slow
// connections from the loop to a thread.
#include "ConnectionThreads.hpp"
#include "EventLoop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <sys/socket.h>
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

/// One connection served as the parameter says; the test is its client.
class Serving : public ::testing::TestWithParam<Mode> {
protected:
  Serving() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    auto c = std::make_unique<kv::Connection>(
        fds_[1], std::make_unique<EchoHandler>(counts_));
    if (GetParam() == Mode::Thread)
      threads_.add(std::move(c));
    else
      loop_.add(std::move(c));
  }
  ~Serving() override { ::close(fds_[0]); }

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
  kv::ConnectionThreads threads_;
  kv::EventLoop loop_{[this](std::unique_ptr<kv::Connection> c) {
    ++counts_.handed_over;
    threads_.add(std::move(c));
  }};
};

INSTANTIATE_TEST_SUITE_P(Both, Serving,
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
