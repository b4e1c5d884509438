// The invocation workers of a node: a FIFO task queue served by threads that
// are topped up while workers block in nested calls and trimmed when idle.
#include "WorkerPool.hpp"
#include "nu/log/log.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <list>
#include <mutex>
#include <thread>

namespace nu::detail {
namespace {

// A surplus worker (more runnable workers than Options::threads) exits after
// it has been idle this long; a short grace period avoids thread churn when
// calls block and unblock in quick succession.
constexpr auto idle_timeout = std::chrono::milliseconds(500);

thread_local WorkerPool *t_pool = nullptr;
thread_local unsigned t_blocking_depth = 0;

[[noreturn]] void fatal(const char *message) {
  log::get("workers").critical("{}", message);
  std::abort();
}

void report_exception(const char *what, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception &e) {
    log::get("workers").error("{}: {}", what, e.what());
  } catch (...) {
    log::get("workers").error("{}: unknown exception", what);
  }
}

void run_guarded(const char *what, const std::function<void()> &fn) {
  try {
    fn();
  } catch (...) {
    report_exception(what, std::current_exception());
  }
}

void set_thread_name(const std::string &prefix, std::size_t index) {
  constexpr std::size_t max_name = 15;
  std::string suffix = "-" + std::to_string(index);
  if (suffix.size() > max_name)
    suffix.resize(max_name);
  std::string name = prefix.substr(0, max_name - suffix.size()) + suffix;
  pthread_setname_np(pthread_self(), name.c_str());
}

} // namespace

struct WorkerPool::Impl {
  using ThreadList = std::list<std::thread>;

  WorkerPool *owner;
  Options options;

  mutable std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable all_exited;
  std::deque<std::function<void()>> queue;
  ThreadList running;    // threads of live workers
  ThreadList exited;     // workers that left and are waiting to be joined
  std::size_t alive = 0; // live workers, blocked ones included
  std::size_t idle = 0;  // workers waiting for a task
  std::size_t blocked = 0;
  std::size_t started = 0; // workers ever started, for thread names
  bool stopping = false;

  Impl(WorkerPool *pool, Options opts) : owner(pool), options(std::move(opts)) {
    if (options.threads == 0)
      options.threads = std::thread::hardware_concurrency();
    options.max_threads = std::max(options.max_threads, 1u);
    options.threads = std::clamp(options.threads, 1u, options.max_threads);
  }

  std::size_t runnable() const { return alive - blocked; }
  bool surplus() const { return runnable() > options.threads; }

  void spawn_locked();
  void maybe_spawn_locked();
  void worker_main(ThreadList::iterator self);
  bool wait_for_work(std::unique_lock<std::mutex> &lock);
  void leave(std::unique_lock<std::mutex> &lock, ThreadList::iterator self);
  void shut_down();
};

void WorkerPool::Impl::spawn_locked() {
  auto self = running.emplace(running.end());
  ++alive;
  try {
    *self = std::thread([this, self, index = started++] {
      set_thread_name(options.name, index);
      worker_main(self);
    });
  } catch (...) {
    running.erase(self);
    --alive;
    throw;
  }
}

// Starts a worker when a queued task would otherwise wait although fewer
// than Options::threads workers are runnable (the others being blocked).
void WorkerPool::Impl::maybe_spawn_locked() {
  if (queue.size() <= idle || runnable() >= options.threads)
    return;
  if (alive >= options.max_threads)
    return;
  try {
    spawn_locked();
  } catch (const std::exception &e) { // tasks wait for a free worker
    log::get("workers").error("cannot start a worker: {}", e.what());
  }
}

void WorkerPool::Impl::worker_main(ThreadList::iterator self) {
  t_pool = owner;
  if (options.on_thread_start)
    run_guarded("on_thread_start threw", options.on_thread_start);
  std::unique_lock lock(mutex);
  for (;;) {
    if (!queue.empty()) {
      auto task = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      run_guarded("task threw", task);
      task = nullptr; // captured state is destroyed outside the lock
      lock.lock();
      continue;
    }
    if (stopping || !wait_for_work(lock))
      break;
  }
  leave(lock, self);
}

// Waits for a task; false when this worker should exit because it has been
// a surplus idle worker for idle_timeout.
bool WorkerPool::Impl::wait_for_work(std::unique_lock<std::mutex> &lock) {
  ++idle;
  auto deadline = std::chrono::steady_clock::now() + idle_timeout;
  for (;;) {
    auto status = work_ready.wait_until(lock, deadline);
    if (!queue.empty() || stopping)
      break;
    if (status != std::cv_status::timeout)
      continue;
    if (surplus()) {
      --idle;
      return false;
    }
    deadline = std::chrono::steady_clock::now() + idle_timeout;
  }
  --idle;
  return true;
}

// Moves this worker's thread to the exited list, whose earlier entries it
// joins; the last one left is joined by the destructor.
void WorkerPool::Impl::leave(std::unique_lock<std::mutex> &lock,
                             ThreadList::iterator self) {
  ThreadList to_join;
  to_join.splice(to_join.end(), exited);
  exited.splice(exited.end(), running, self);
  --alive;
  if (alive == 0)
    all_exited.notify_all();
  lock.unlock();
  for (auto &thread : to_join)
    thread.join();
}

void WorkerPool::Impl::shut_down() {
  std::unique_lock lock(mutex);
  stopping = true;
  work_ready.notify_all();
  all_exited.wait(lock, [this] { return alive == 0; });
  ThreadList to_join;
  to_join.splice(to_join.end(), exited);
  lock.unlock();
  for (auto &thread : to_join)
    thread.join();
}

WorkerPool::WorkerPool(Options options)
    : impl_(std::make_unique<Impl>(this, std::move(options))) {
  try {
    std::lock_guard lock(impl_->mutex);
    for (unsigned i = 0; i < impl_->options.threads; ++i)
      impl_->spawn_locked();
  } catch (...) {
    impl_->shut_down();
    throw;
  }
}

WorkerPool::~WorkerPool() {
  if (t_pool == this)
    fatal("a WorkerPool is destroyed by one of its own workers");
  impl_->shut_down();
}

void WorkerPool::shutdown() {
  if (t_pool == this)
    fatal("a WorkerPool is shut down by one of its own workers");
  impl_->shut_down();
}

void WorkerPool::submit(std::function<void()> task) {
  std::unique_lock lock(impl_->mutex);
  // While draining, the pool's own tasks may queue follow-up work; anyone
  // else's task (and any task once the workers are gone) runs inline.
  if (impl_->stopping && t_pool != this) {
    lock.unlock();
    task();
    return;
  }
  impl_->queue.push_back(std::move(task));
  impl_->maybe_spawn_locked();
  bool wake = impl_->idle > 0;
  lock.unlock(); // the woken worker must not block on the mutex we hold
  if (wake)
    impl_->work_ready.notify_one();
}

WorkerPool *WorkerPool::current() { return t_pool; }

std::size_t WorkerPool::thread_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->alive;
}

WorkerPool::BlockingScope::BlockingScope() : pool_(t_pool) {
  if (!pool_ || t_blocking_depth++ > 0)
    return;
  std::lock_guard lock(pool_->impl_->mutex);
  ++pool_->impl_->blocked;
  pool_->impl_->maybe_spawn_locked();
}

WorkerPool::BlockingScope::~BlockingScope() {
  if (!pool_ || --t_blocking_depth > 0)
    return;
  std::lock_guard lock(pool_->impl_->mutex);
  --pool_->impl_->blocked;
}

} // namespace nu::detail
