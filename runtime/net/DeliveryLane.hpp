// A thread running posted tasks in FIFO order: how a transport runs its
// handlers off the sender's thread, one connection per lane.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace nu::net {

class DeliveryLane {
public:
  DeliveryLane() = default;
  ~DeliveryLane();
  DeliveryLane(const DeliveryLane &) = delete;
  DeliveryLane &operator=(const DeliveryLane &) = delete;

  // Starts the thread, which holds \p keepalive until it exits.
  void start(std::shared_ptr<void> keepalive);
  // Queues \p task; false (and the task dropped) once stop() began.
  bool post(std::function<void()> task);
  // Refuses new tasks, lets the queued ones run, then joins the thread (or
  // detaches it when called on the lane's own thread). One caller at a time.
  void stop();

private:
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace nu::net
