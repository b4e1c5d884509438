// Round-trip latency and pipelined throughput of 64-byte frames through the
// TCP transport, next to raw blocking TCP between two threads on loopback.
#include "nu/net/tcp_transport.hpp"
#include "nu/wire/frame.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using namespace nu::net;
using namespace nu::wire;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPayload = 64;
constexpr std::size_t kFrameSize = kHeaderSize + kPayload;
constexpr int kWarmup = 1000;
constexpr int kRoundTrips = 20000;
constexpr int kInFlight = 64;
constexpr int kThroughputFrames = 200000;

struct Result {
  double p50_us = 0;
  double p99_us = 0;
  double frames_per_s = 0;
};

Bytes ping_frame() {
  Bytes frame = start_frame();
  frame.resize(kFrameSize, std::byte{'p'});
  finish_frame(frame, FrameHeader{});
  return frame;
}

void fail(const char *what) {
  std::perror(what);
  std::exit(1);
}

double percentile(std::vector<double> samples, double p) {
  std::sort(samples.begin(), samples.end());
  return samples[static_cast<std::size_t>(p * (samples.size() - 1))];
}

// Counts replies on the client's I/O thread; each reply sends the next
// frame until \p total were sent. Latency is taken per round trip.
struct Driver {
  std::mutex mutex;
  std::condition_variable done_changed;
  bool done = false;
  int sent = 0, received = 0, total = 0;
  Clock::time_point last;
  std::vector<double> samples;
  Bytes frame = ping_frame();

  void on_reply(const std::shared_ptr<Connection> &connection) {
    auto now = Clock::now();
    samples.push_back(
        std::chrono::duration<double, std::micro>(now - last).count());
    last = now;
    if (++received == total)
      return finish();
    if (sent < total && !connection->send(frame))
      ++sent;
  }
  void finish() {
    std::lock_guard lock(mutex);
    done = true;
    done_changed.notify_all();
  }
  void run(Connection &connection, int frames, int in_flight) {
    {
      std::lock_guard lock(mutex);
      done = false;
      sent = received = 0;
      total = frames;
      samples.clear();
      last = Clock::now();
    }
    for (int i = 0; i < in_flight; ++i, ++sent)
      if (connection.send(frame))
        fail("send");
    std::unique_lock lock(mutex);
    done_changed.wait(lock, [&] { return done; });
  }
};

Result bench_transport() {
  auto server = make_tcp_transport({});
  auto client = make_tcp_transport({});
  Handlers echo;
  echo.on_frame = [](const std::shared_ptr<Connection> &c, Bytes frame) {
    c->send(std::move(frame));
  };
  auto address = server->listen("127.0.0.1:0", echo);
  Driver driver;
  Handlers replies;
  replies.on_frame = [&](const std::shared_ptr<Connection> &c, Bytes) {
    driver.on_reply(c);
  };
  auto connection = client->connect(*address, replies);
  if (!address || !connection)
    fail("transport setup");
  Result result;
  driver.run(**connection, kWarmup, 1);
  driver.run(**connection, kRoundTrips, 1);
  result.p50_us = percentile(driver.samples, 0.50);
  result.p99_us = percentile(driver.samples, 0.99);
  auto start = Clock::now();
  driver.run(**connection, kThroughputFrames, kInFlight);
  std::chrono::duration<double> elapsed = Clock::now() - start;
  result.frames_per_s = kThroughputFrames / elapsed.count();
  return result;
}

void write_all(int fd, const std::byte *data, std::size_t size) {
  while (size > 0) {
    auto written = ::send(fd, data, size, MSG_NOSIGNAL);
    if (written <= 0)
      fail("send");
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

void read_all(int fd, std::byte *data, std::size_t size) {
  while (size > 0) {
    auto got = ::recv(fd, data, size, 0);
    if (got <= 0)
      fail("recv");
    data += got;
    size -= static_cast<std::size_t>(got);
  }
}

void no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A raw loopback pair: {client fd, server fd}.
std::pair<int, int> raw_pair() {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr *>(&address), size) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &size) !=
          0)
    fail("raw listen");
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(client, reinterpret_cast<sockaddr *>(&address), size) != 0)
    fail("raw connect");
  int server = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  no_delay(client);
  no_delay(server);
  return {client, server};
}

// Echoes bytes until the client closes.
void raw_echo(int fd) {
  std::vector<std::byte> buffer(64 * 1024);
  for (;;) {
    auto got = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (got <= 0)
      return;
    write_all(fd, buffer.data(), static_cast<std::size_t>(got));
  }
}

std::vector<double> raw_ping_pong(int fd, int round_trips) {
  Bytes frame = ping_frame(), reply(kFrameSize);
  std::vector<double> samples;
  for (int i = 0; i < round_trips; ++i) {
    auto start = Clock::now();
    write_all(fd, frame.data(), frame.size());
    read_all(fd, reply.data(), reply.size());
    samples.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - start)
            .count());
  }
  return samples;
}

double raw_throughput(int fd) {
  Bytes frame = ping_frame(), reply(kFrameSize);
  auto start = Clock::now();
  for (int i = 0; i < kInFlight; ++i)
    write_all(fd, frame.data(), frame.size());
  for (int i = 0; i < kThroughputFrames; ++i) {
    read_all(fd, reply.data(), reply.size());
    if (i + kInFlight < kThroughputFrames)
      write_all(fd, frame.data(), frame.size());
  }
  std::chrono::duration<double> elapsed = Clock::now() - start;
  return kThroughputFrames / elapsed.count();
}

Result bench_raw() {
  auto [client, server] = raw_pair();
  std::thread echo(raw_echo, server);
  Result result;
  raw_ping_pong(client, kWarmup);
  auto samples = raw_ping_pong(client, kRoundTrips);
  result.p50_us = percentile(samples, 0.50);
  result.p99_us = percentile(samples, 0.99);
  result.frames_per_s = raw_throughput(client);
  ::shutdown(client, SHUT_WR);
  echo.join();
  ::close(client);
  ::close(server);
  return result;
}

void row(const char *name, double transport, double raw) {
  std::printf("%-38s %12.1f %12.1f %8.2f\n", name, transport, raw,
              transport / raw);
}

} // namespace

int main() {
  auto transport = bench_transport();
  auto raw = bench_raw();
  std::printf("%d-byte payload frames (%zu bytes on the wire), loopback; "
              "ratio = transport / raw\n",
              static_cast<int>(kPayload), kFrameSize);
  std::printf("%-38s %12s %12s %8s\n", "", "transport", "raw TCP", "ratio");
  row("ping-pong round trip p50 (us)", transport.p50_us, raw.p50_us);
  row("ping-pong round trip p99 (us)", transport.p99_us, raw.p99_us);
  row("throughput, 64 in flight (frames/s)", transport.frames_per_s,
      raw.frames_per_s);
  return 0;
}
