// A RESP server on one node: a listening socket, an accepting thread, a
// few event loops for clients whose keys are here, and a thread for each
// client that reaches other nodes (its requests wait for replies).
#pragma once

#include "Clients.hpp"
#include "Commands.hpp"
#include "Limits.hpp"
#include "Options.hpp"
#include "Store.hpp"

#include <memory>
#include <string>

namespace kv {

class Server {
public:
  /// Serves clients as \p options say (host, limits, requirepass,
  /// cluster) on \p listen_fd, a listening socket (taken: closed when the
  /// server stops).
  Server(Store store, const Options &options, int listen_fd);
  /// Stops accepting, disconnects every client, joins every thread.
  ~Server();
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  /// The port it listens at.
  int port() const { return info_.port; }

private:
  Store store_;
  ServerInfo info_;
  std::unique_ptr<Clients> clients_; // last: its sessions use the above
};

} // namespace kv
