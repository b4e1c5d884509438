// The event loop: level-triggered epoll over the connections' sockets and
// an eventfd that announces new connections and the stop.
#include "EventLoop.hpp"

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <system_error>
#include <unistd.h>

namespace kv {

EventLoop::EventLoop(SlowHandler on_slow, std::chrono::milliseconds tick)
    : on_slow_(std::move(on_slow)), tick_(tick),
      epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "epoll");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr; // the wake fd
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

EventLoop::~EventLoop() {
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  mine_.clear();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void EventLoop::add(std::unique_ptr<Connection> connection) {
  {
    std::scoped_lock lock(mu_);
    incoming_.push_back(std::move(connection));
  }
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void EventLoop::run() {
  epoll_event events[64];
  auto next_sweep = Connection::Clock::now() + tick_;
  while (true) {
    int wait_ms = mine_.empty() ? -1 : static_cast<int>(tick_.count());
    int n = ::epoll_wait(epoll_fd_, events, 64, wait_ms);
    bool woken = false;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr)
        serve(static_cast<Connection *>(events[i].data.ptr));
      else
        woken = true;
    }
    auto now = Connection::Clock::now();
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + tick_;
    }
    if (!woken)
      continue;
    std::uint64_t count;
    (void)!::read(wake_fd_, &count, sizeof count);
    {
      std::scoped_lock lock(mu_);
      if (stopping_)
        return;
    }
    take_new();
  }
}

void EventLoop::take_new() {
  std::vector<std::unique_ptr<Connection>> taken;
  {
    std::scoped_lock lock(mu_);
    taken.swap(incoming_);
  }
  for (auto &c : taken) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c.get();
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c->fd(), &ev) == 0)
      mine_.emplace(c.get(), std::move(c));
  }
}

/// Closes the connections whose half-sent request waited too long.
void EventLoop::sweep(Connection::Clock::time_point now) {
  for (auto it = mine_.begin(); it != mine_.end();) {
    if (!it->first->expired(now)) {
      ++it;
      continue;
    }
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first->fd(), nullptr);
    it = mine_.erase(it);
  }
}

void EventLoop::serve(Connection *c) {
  auto status = c->serve_ready();
  if (status == Connection::Status::Open)
    return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd(), nullptr);
  auto it = mine_.find(c);
  std::unique_ptr<Connection> owned = std::move(it->second);
  mine_.erase(it);
  if (status == Connection::Status::Slow)
    on_slow_(std::move(owned));
}

} // namespace kv
