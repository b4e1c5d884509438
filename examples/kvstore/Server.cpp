// Listening, then handing the socket to Clients with a Session for each
// client; stopping: Clients shuts every socket down and joins its threads.
#include "Server.hpp"

#include "Socket.hpp"

#include <algorithm>
#include <thread>

namespace kv {
namespace {

std::size_t loop_count() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

} // namespace

Server::Server(Store store, const Options &options, int fd)
    : store_(std::move(store)) {
  const Limits &limits = options.limits;
  info_.host = options.host;
  info_.port = local_port(fd);
  info_.started_ms = now_ms();
  info_.max_clients = limits.max_clients;
  info_.password.set(options.requirepass);
  info_.cluster = options.cluster;
  clients_ = std::make_unique<Clients>(
      fd, [this] { return std::make_unique<Session>(store_, info_); }, limits,
      loop_count(), [this] { ++info_.threaded_clients; });
}

Server::~Server() = default;

} // namespace kv
