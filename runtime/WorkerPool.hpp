// The invocation workers of a node. Workers that block in a nested call are
// compensated for, so deep call chains never starve the pool.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace nu::detail {

class WorkerPool {
public:
  struct Options {
    /// Workers kept runnable (not blocked); 0 means hardware threads.
    unsigned threads = 0;
    /// Hard cap on threads, blocked ones included.
    unsigned max_threads = 4096;
    /// Thread name prefix (pthread_setname_np, 15 chars max in total).
    std::string name = "nu-worker";
    /// Runs first on every new worker thread (sets the thread's node).
    std::function<void()> on_thread_start;
  };

  explicit WorkerPool(Options options);
  /// Runs the queued tasks, then joins every worker.
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  /// Queues \p task; tasks start in FIFO order. After shutdown() the task
  /// runs inline on the caller.
  void submit(std::function<void()> task);
  /// Runs every queued task, including tasks they submit, then joins the
  /// workers. Idempotent; the destructor calls it.
  void shutdown();

  /// While alive, the calling worker counts as blocked: if tasks are queued
  /// and no worker is free, another worker starts. No-op off the pool.
  class BlockingScope {
  public:
    BlockingScope();
    ~BlockingScope();
    BlockingScope(const BlockingScope &) = delete;
    BlockingScope &operator=(const BlockingScope &) = delete;

  private:
    WorkerPool *pool_;
  };

  /// The pool whose worker is the calling thread, or null.
  static WorkerPool *current();
  std::size_t thread_count() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace nu::detail
