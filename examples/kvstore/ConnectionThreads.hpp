// Connections served by a thread each (blocking on their sockets): the
// ones whose requests wait for other nodes, or whose client reads slowly.
#pragma once

#include "Connection.hpp"

#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace kv {

class ConnectionThreads {
public:
  ConnectionThreads() = default;
  /// Shuts every connection down and joins every thread.
  ~ConnectionThreads();
  ConnectionThreads(const ConnectionThreads &) = delete;
  ConnectionThreads &operator=(const ConnectionThreads &) = delete;

  /// Serves \p connection on a new thread until it ends.
  void add(std::unique_ptr<Connection> connection);

private:
  struct Served {
    std::unique_ptr<Connection> connection; // reset (closed) when done
    std::thread thread;
  };
  void reap();

  std::mutex mu_; // guards served_ and each Served::connection
  std::list<Served> served_;
  bool stopping_ = false;
};

} // namespace kv
