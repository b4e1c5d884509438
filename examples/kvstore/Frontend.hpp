// The proclet that serves clients on one node: pinned there, it reads that
// node's own flags and runs a RESP server for as long as it lives.
#pragma once

#include "Options.hpp"
#include "Store.hpp"

#include <memory>
#include <string>

namespace kv {

class Server;

/// Binds this process's RESP port, before it joins the logical process,
/// if it will serve clients (a main node, or a server node given --port):
/// a port in use then fails this node's start, not the logical process.
/// False, with \p error ("cannot listen at H:P: why"), if it cannot.
bool reserve_port(const Options &options, bool server_node, std::string &error);

class [[nu::proclet]] Frontend {
public:
  /// Serves clients on the port reserve_port() bound in this process, if
  /// any; prints "nu-kvstore: node N serving RESP at HOST:PORT".
  explicit Frontend(Store store);
  ~Frontend();

  /// The port clients connect to (0: this node serves none).
  int Port() const;

private:
  [[nu::transient]] std::unique_ptr<Server> server_;
};

} // namespace kv
