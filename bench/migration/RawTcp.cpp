// The raw TCP sink/echo server and client: blocking sockets, TCP_NODELAY,
// one thread per connection on the server side.
#include "RawTcp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>

namespace migbench {
namespace {

constexpr std::size_t kAnswer = 64;
constexpr std::size_t kHeader = sizeof(std::uint64_t);

void check(bool ok, const char *what) {
  if (!ok)
    throw std::system_error(errno, std::generic_category(), what);
}

/// Reads exactly n bytes; false at end of stream or on error.
bool read_full(int fd, void *data, std::size_t n) {
  auto *at = static_cast<char *>(data);
  while (n > 0) {
    ssize_t got = ::recv(fd, at, n, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    at += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool write_full(int fd, const void *data, std::size_t n, int flags = 0) {
  auto *at = static_cast<const char *>(data);
  while (n > 0) {
    ssize_t put = ::send(fd, at, n, flags | MSG_NOSIGNAL);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0)
      return false;
    at += put;
    n -= static_cast<std::size_t>(put);
  }
  return true;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

/// Reads and drops `length` bytes through `sink`.
bool discard(int fd, std::vector<char> &sink, std::uint64_t length) {
  while (length > 0) {
    std::size_t n = std::min<std::uint64_t>(length, sink.size());
    if (!read_full(fd, sink.data(), n))
      return false;
    length -= n;
  }
  return true;
}

/// Answers requests on one connection until the client closes it.
void serve(int fd) {
  std::vector<char> sink(std::size_t{1} << 20);
  std::uint64_t length = 0;
  char answer[kAnswer] = {};
  while (read_full(fd, &length, kHeader) && discard(fd, sink, length) &&
         write_full(fd, answer, kAnswer)) {
  }
  ::close(fd);
}

void accept_loop(int listener) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0 && errno == EINTR)
      continue;
    if (fd < 0)
      return;
    set_nodelay(fd);
    std::thread(serve, fd).detach();
  }
}

} // namespace

int start_tcp_server() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(fd >= 0, "socket");
  sockaddr_in address = loopback(0);
  check(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0,
        "bind");
  check(::listen(fd, 16) == 0, "listen");
  socklen_t size = sizeof address;
  check(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) == 0,
        "getsockname");
  std::thread(accept_loop, fd).detach();
  return ntohs(address.sin_port);
}

TcpClient::TcpClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(fd_ >= 0, "socket");
  sockaddr_in address = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address)) {
    int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::generic_category(), "connect");
  }
  set_nodelay(fd_);
}

TcpClient::~TcpClient() { ::close(fd_); }

double TcpClient::exchange(const std::vector<std::uint8_t> &payload,
                           std::size_t bytes) {
  using Clock = std::chrono::steady_clock;
  std::uint64_t length = std::min(bytes, payload.size());
  char answer[kAnswer];
  auto start = Clock::now();
  check(write_full(fd_, &length, kHeader, MSG_MORE) &&
            write_full(fd_, payload.data(), length) &&
            read_full(fd_, answer, kAnswer),
        "raw TCP exchange");
  return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace migbench
