// A listening socket's clients: accepted (up to a limit, pausing when out
// of descriptors), then served by event loops or a thread each.
#pragma once

#include "Connection.hpp"
#include "ConnectionThreads.hpp"
#include "EventLoop.hpp"
#include "Limits.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kv {

class Clients {
public:
  using MakeHandler = std::function<std::unique_ptr<Handler>()>;

  /// Accepts clients on \p listen_fd (taken: closed at the end), each
  /// served with a handler from \p make_handler on one of \p loops event
  /// loops, within \p limits. \p on_threaded (if any) is called when a
  /// client moves to a thread of its own.
  Clients(int listen_fd, MakeHandler make_handler, const Limits &limits,
          std::size_t loops, std::function<void()> on_threaded = {});
  /// Stops accepting, disconnects every client, joins every thread.
  ~Clients();
  Clients(const Clients &) = delete;
  Clients &operator=(const Clients &) = delete;

  /// The clients connected now.
  std::size_t count() const { return count_; }

private:
  void accept_clients();
  void admit(int fd);
  void back_off(int error);

  int listen_fd_;
  MakeHandler make_handler_;
  Limits limits_;
  std::function<void()> on_threaded_;
  std::atomic<std::size_t> count_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_; // for stopped_, to wake a back-off
  std::condition_variable stopped_;
  ConnectionThreads threads_; // outlives the loops, which hand clients over
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::size_t next_loop_ = 0;
  std::thread acceptor_;
};

} // namespace kv
