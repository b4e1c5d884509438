// Tasks to run after a delay: one thread per node that waits for their
// times and hands each to the node's workers, so that nothing waiting to
// retry occupies a worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace nu::detail {

class Later {
public:
  using Clock = std::chrono::steady_clock;
  /// \p run takes each task when its time has come (e.g. Node::submit).
  explicit Later(std::function<void(std::function<void()>)> run)
      : run_(std::move(run)) {}
  ~Later() { stop(); }
  Later(const Later &) = delete;
  Later &operator=(const Later &) = delete;

  /// Runs \p task after \p delay (at once, on the caller, once stopped).
  void after(Clock::duration delay, std::function<void()> task) {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      return task();
    }
    tasks_.emplace(Clock::now() + delay, std::move(task));
    if (!thread_.joinable())
      thread_ = std::thread([this] { loop(); });
    cv_.notify_all();
  }

  /// Stops waiting: the tasks not run yet run now, on the caller, and
  /// later ones at once. Idempotent.
  void stop() {
    std::multimap<Clock::time_point, std::function<void()>> left;
    {
      std::scoped_lock lock(mu_);
      stopping_ = true;
      left.swap(tasks_);
    }
    cv_.notify_all();
    if (thread_.joinable())
      thread_.join();
    for (auto &[when, task] : left)
      task();
  }

private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto when = tasks_.begin()->first;
      if (Clock::now() < when) {
        cv_.wait_until(lock, when); // or a new task, or stopping
        continue;
      }
      auto task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      run_(std::move(task));
      lock.lock();
    }
  }

  std::function<void(std::function<void()>)> run_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace nu::detail
