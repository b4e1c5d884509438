// A thread that serves many connections through epoll while their
// requests stay quick, hands over the ones that turn slow, and closes the
// ones that stall half way through a request.
#pragma once

#include "Connection.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kv {

class EventLoop {
public:
  /// Called on the loop's thread with a connection that turned slow.
  using SlowHandler = std::function<void(std::unique_ptr<Connection>)>;

  /// Starts the thread. A connection that turns slow (Connection::Status)
  /// goes to \p on_slow, and never comes back. Every \p tick (while it
  /// has connections) it closes the ones that expired().
  explicit EventLoop(SlowHandler on_slow,
                     std::chrono::milliseconds tick = std::chrono::seconds(1));
  /// Stops the thread and closes the connections it still has.
  ~EventLoop();
  EventLoop(const EventLoop &) = delete;
  EventLoop &operator=(const EventLoop &) = delete;

  /// Gives the loop a connection (from any thread).
  void add(std::unique_ptr<Connection> connection);

private:
  void run();
  void take_new();
  void serve(Connection *c);
  void sweep(Connection::Clock::time_point now);

  SlowHandler on_slow_;
  std::chrono::milliseconds tick_;
  int epoll_fd_;
  int wake_fd_; // an eventfd: new connections, or stop
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> incoming_; // guarded by mu_
  bool stopping_ = false;                             // guarded by mu_
  std::unordered_map<Connection *, std::unique_ptr<Connection>> mine_;
  std::thread thread_;
};

} // namespace kv
