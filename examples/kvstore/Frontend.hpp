// The proclet that serves clients on one node: pinned there, it reads that
// node's own flags and runs a RESP server for as long as it lives.
#pragma once

#include "Store.hpp"

#include <memory>

namespace kv {

class Server;

class [[nu::proclet]] Frontend {
public:
  /// Reads this node's flags (nu::process_args()) and serves clients if
  /// this is the main node (\p main_node) or it was given --port; prints
  /// "nu-kvstore: node N serving RESP at HOST:PORT". Throws nu::Error when
  /// it cannot listen.
  Frontend(Store store, bool main_node);
  ~Frontend();

  /// The port clients connect to (0: this node serves none).
  int Port() const;

private:
  [[nu::transient]] std::unique_ptr<Server> server_;
};

} // namespace kv
