// Socket helpers over the POSIX API: getaddrinfo for the listening
// address, SO_REUSEADDR, send with MSG_NOSIGNAL.
#include "Socket.hpp"

#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kv {
namespace {

/// A socket bound and listening at \p ai, or -1 (errno set).
int bind_and_listen(const addrinfo &ai) {
  int fd =
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0)
    return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, ai.ai_addr, ai.ai_addrlen) == 0 && ::listen(fd, 511) == 0)
    return fd;
  int saved = errno;
  ::close(fd);
  errno = saved;
  return -1;
}

} // namespace

int listen_at(const std::string &host, int port, std::string &error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found)) {
    error = ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  error.clear();
  for (addrinfo *ai = found; ai && fd < 0; ai = ai->ai_next)
    if ((fd = bind_and_listen(*ai)) < 0)
      error = std::strerror(errno);
  ::freeaddrinfo(found);
  return fd;
}

int local_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
    return -1;
  if (addr.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6 *>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in *>(&addr)->sin_port);
}

std::string peer_name(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
    return "?";
  if (addr.ss_family == AF_UNIX)
    return "local";
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr *>(&addr), len, host, sizeof host,
                    port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  if (addr.ss_family == AF_INET6)
    return "[" + std::string(host) + "]:" + port;
  return std::string(host) + ":" + port;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

} // namespace kv
