// A RESP server on one node: a listening socket, an accepting thread, a
// few event loops for clients whose keys are here, and a thread for each
// client that reaches other nodes (its requests wait for replies).
#pragma once

#include "Commands.hpp"
#include "ConnectionThreads.hpp"
#include "EventLoop.hpp"
#include "Store.hpp"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kv {

/// The most clients served at once; more are told so and disconnected.
inline constexpr std::size_t kMaxClients = 10000;

class Server {
public:
  /// Listens at \p host:\p port (0: a free port). Throws nu::Error
  /// ("nu-kvstore: cannot listen at H:P: why") when it cannot.
  Server(Store store, const std::string &host, int port);
  /// Stops accepting, disconnects every client, joins every thread.
  ~Server();
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  /// The port it listens at.
  int port() const { return info_.port; }

private:
  void accept_clients();
  void add_client(int fd);

  Store store_;
  ServerInfo info_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  ConnectionThreads threads_; // outlives the loops, which hand clients over
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::size_t next_loop_ = 0;
  std::thread acceptor_;
};

} // namespace kv
