// The raw TCP sink/echo server and client: blocking sockets, TCP_NODELAY,
// one thread per connection on the server side.
#include "RawTcp.hpp"

#include "../lib/Socket.hpp"

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

using namespace benchlib;

constexpr std::size_t kAnswer = 64;
constexpr std::size_t kHeader = sizeof(std::uint64_t);

void check(bool ok, const char *what) {
  if (!ok)
    throw std::system_error(errno, std::generic_category(), what);
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
