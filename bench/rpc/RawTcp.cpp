// RPC benchmark peer: Add(a, b) as a raw TCP ping-pong of fixed 64-byte
// messages over blocking sockets, the floor for any RPC system on loopback.
#include "Driver.hpp"

#include "../lib/Socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

namespace {

using namespace rpcbench;
using namespace benchlib;

constexpr std::size_t kMessageSize = 64;
using Message = std::array<char, kMessageSize>;

[[noreturn]] void fail(const char *what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Request: a, b as two int32 at offsets 0 and 4; reply: a + b at offset 0.
Message encode(std::int32_t first, std::int32_t second) {
  Message message{};
  std::memcpy(message.data(), &first, sizeof first);
  std::memcpy(message.data() + 4, &second, sizeof second);
  return message;
}

std::int32_t field(const Message &message, std::size_t offset) {
  std::int32_t value = 0;
  std::memcpy(&value, message.data() + offset, sizeof value);
  return value;
}

// ---- Server ---------------------------------------------------------------

void serve_connection(int fd) {
  Message message;
  while (read_full(fd, message.data(), message.size())) {
    Message reply = encode(field(message, 0) + field(message, 4), 0);
    if (!write_full(fd, reply.data(), reply.size()))
      break;
  }
  ::close(fd);
}

void accept_loop(int listener) {
  for (;;) {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0)
      continue;
    if (!set_nodelay(fd)) {
      ::close(fd);
      continue;
    }
    std::thread(serve_connection, fd).detach();
  }
}

// Listens on 127.0.0.1:port; returns the socket and the port it got.
std::pair<int, int> listen_on(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    fail("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = loopback(port);
  if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
    fail("bind");
  if (::listen(fd, 128) != 0)
    fail("listen");
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0)
    fail("getsockname");
  return {fd, ntohs(address.sin_port)};
}

int run_server(const Options &options) {
  block_stop_signals();
  auto [listener, port] = listen_on(options.port);
  std::thread(accept_loop, listener).detach();
  announce_ready(port);
  wait_for_shutdown();
  exit_server();
}

// ---- Client ---------------------------------------------------------------

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    fail("socket");
  sockaddr_in address = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address))
    fail("connect");
  if (!set_nodelay(fd))
    fail("setsockopt(TCP_NODELAY)");
  return fd;
}

// Pipelined on one connection: the server answers in order.
int run_client(const Options &options) {
  int fd = connect_to(options.port);
  std::deque<std::int32_t> expected;
  std::int32_t next = 0;
  auto start = [&] {
    std::int32_t first = next++ % 100000, second = 7;
    Message request = encode(first, second);
    if (!write_full(fd, request.data(), request.size()))
      fail("send");
    expected.push_back(first + second);
  };
  auto finish = [&] {
    Message reply;
    if (!read_full(fd, reply.data(), reply.size()))
      throw std::runtime_error("connection closed by the server");
    if (field(reply, 0) != expected.front())
      throw std::runtime_error("wrong sum from the server");
    expected.pop_front();
  };
  int status = run_pipelined("rawtcp", options.client, start, finish);
  ::close(fd);
  return status;
}

} // namespace

int main(int argc, char **argv) {
  std::optional<Options> options = parse_options(argc, argv);
  if (!options)
    return usage(argv[0]);
  return guarded_main([&] {
    return options->server ? run_server(*options) : run_client(*options);
  });
}
