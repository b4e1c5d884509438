// A thread running posted tasks in FIFO order: how a transport runs its
// handlers off the sender's thread, one connection per lane.
#include "DeliveryLane.hpp"

namespace nu::net {

DeliveryLane::~DeliveryLane() { stop(); }

void DeliveryLane::start(std::shared_ptr<void> keepalive) {
  thread_ = std::thread([this, keepalive = std::move(keepalive)] { run(); });
}

bool DeliveryLane::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_)
      return false;
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

void DeliveryLane::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  if (!thread_.joinable())
    return;
  if (thread_.get_id() == std::this_thread::get_id())
    thread_.detach();
  else
    thread_.join();
}

void DeliveryLane::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty())
        return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

} // namespace nu::net
