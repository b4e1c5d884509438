// Blocking-socket helpers the benchmarks' raw TCP peers share: whole reads
// and writes, TCP_NODELAY, and 127.0.0.1 addresses.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace benchlib {

/// Reads exactly \p n bytes; false at end of stream or on error.
inline bool read_full(int fd, void *data, std::size_t n) {
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

/// Writes all \p n bytes (send \p flags, e.g. MSG_MORE); false on error.
inline bool write_full(int fd, const void *data, std::size_t n, int flags = 0) {
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

inline bool set_nodelay(int fd) {
  int one = 1;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

inline sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

} // namespace benchlib
