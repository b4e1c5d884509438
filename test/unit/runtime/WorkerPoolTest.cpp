// Unit tests of WorkerPool: FIFO order, compensation for blocked workers
// (deep chains, many outstanding calls), the thread cap, and shutdown.
#include "WorkerPool.hpp"

#include <gtest/gtest.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace nu::detail {
namespace {

using namespace std::chrono_literals;
using Pool = WorkerPool;

constexpr auto timeout = 60s;

// Counts events; tests wait for a count with a generous timeout.
class Counter {
public:
  void add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  bool wait_for(std::size_t target) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_ >= target; });
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t count_ = 0;
};

// Records the largest value it has seen.
class Peak {
public:
  void see(std::size_t value) {
    std::size_t old = peak_.load();
    while (value > old && !peak_.compare_exchange_weak(old, value)) {
    }
  }
  std::size_t get() const { return peak_.load(); }

private:
  std::atomic<std::size_t> peak_{0};
};

Pool::Options options(unsigned threads, unsigned max_threads = 4096) {
  Pool::Options result;
  result.threads = threads;
  result.max_threads = max_threads;
  return result;
}

// Polls until the pool is back to \p threads workers (surplus ones exit
// after an idle timeout).
bool settles_to(const Pool &pool, std::size_t threads) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (pool.thread_count() != threads) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Waits for \p future inside a BlockingScope, as a nested call does.
template <typename T> bool blocking_wait(std::future<T> &future) {
  Pool::BlockingScope blocking;
  return future.wait_for(timeout) == std::future_status::ready;
}

TEST(WorkerPool, RunsTasksInFifoOrderWithOneThread) {
  std::vector<int> order;
  std::promise<void> done;
  Pool pool(options(1));
  for (int i = 0; i < 1000; ++i)
    pool.submit([&order, i] { order.push_back(i); });
  pool.submit([&] { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(timeout), std::future_status::ready);
  ASSERT_EQ(order.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(WorkerPool, ZeroThreadsMeansHardwareThreads) {
  auto expected = std::max(1u, std::thread::hardware_concurrency());
  Pool pool(options(0));
  EXPECT_EQ(pool.thread_count(), expected);
}

TEST(WorkerPool, AcceptsTasksFromManySubmitters) {
  constexpr int submitters = 8, per_submitter = 5000;
  Counter done;
  std::vector<std::thread> threads;
  Pool pool(options(3));
  for (int s = 0; s < submitters; ++s) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_submitter; ++i)
        pool.submit([&] { done.add(); });
    });
  }
  for (auto &thread : threads)
    thread.join();
  EXPECT_TRUE(done.wait_for(submitters * per_submitter));
  EXPECT_EQ(pool.thread_count(), 3u);
}

TEST(WorkerPool, CurrentIsThePoolOfTheCallingWorker) {
  EXPECT_EQ(Pool::current(), nullptr);
  std::promise<Pool *> seen;
  Pool pool(options(1));
  pool.submit([&] { seen.set_value(Pool::current()); });
  EXPECT_EQ(seen.get_future().get(), &pool);
}

TEST(WorkerPool, BlockingScopeOffThePoolIsANoOp) {
  Pool pool(options(2));
  {
    Pool::BlockingScope outer;
    Pool::BlockingScope inner;
  }
  EXPECT_EQ(pool.thread_count(), 2u);
}

int chain(Pool &pool, int depth) {
  if (depth == 64)
    return 0;
  auto next = std::make_shared<std::promise<int>>();
  auto result = next->get_future();
  pool.submit(
      [&pool, next, depth] { next->set_value(chain(pool, depth + 1)); });
  if (!blocking_wait(result))
    return -1000;
  return result.get() + 1;
}

TEST(WorkerPool, DeepChainOfNestedCallsCompletesOnTwoThreads) {
  std::promise<int> result;
  Pool pool(options(2));
  pool.submit([&] { result.set_value(chain(pool, 0)); });
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(timeout), std::future_status::ready);
  EXPECT_EQ(future.get(), 64);
  EXPECT_TRUE(settles_to(pool, 2));
}

TEST(WorkerPool, TwentyThousandBlockingCallsComplete) {
  constexpr unsigned max_threads = 64;
  constexpr std::size_t tasks = 20000, lag = 16;
  std::vector<std::promise<void>> replies(tasks);
  Counter done;
  Peak threads;
  Pool pool(options(2, max_threads));
  for (std::size_t i = 0; i < tasks; ++i) {
    pool.submit([&, i] {
      threads.see(pool.thread_count());
      if (i >= lag)
        replies[i - lag].set_value(); // the reply to an earlier call
      if (i + lag < tasks) {
        auto reply = replies[i].get_future();
        EXPECT_TRUE(blocking_wait(reply));
      }
      done.add();
    });
  }
  EXPECT_TRUE(done.wait_for(tasks));
  EXPECT_LE(threads.get(), max_threads);
  EXPECT_GT(threads.get(), lag);
  EXPECT_TRUE(settles_to(pool, 2));
}

TEST(WorkerPool, SubmitFromAnotherThreadStartsWorkerWhenAllAreBlocked) {
  std::promise<void> reply;
  std::promise<void> done;
  Pool pool(options(1));
  pool.submit([&] {
    auto future = reply.get_future();
    EXPECT_TRUE(blocking_wait(future));
    done.set_value();
  });
  std::thread outsider([&] { pool.submit([&] { reply.set_value(); }); });
  outsider.join();
  EXPECT_EQ(done.get_future().wait_for(timeout), std::future_status::ready);
}

TEST(WorkerPool, NeverExceedsMaxThreads) {
  constexpr unsigned max_threads = 8;
  constexpr std::size_t tasks = 20;
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  Counter entered, done;
  Peak threads, running;
  std::atomic<std::size_t> now_running{0};
  Pool pool(options(2, max_threads));
  for (std::size_t i = 0; i < tasks; ++i) {
    pool.submit([&] {
      running.see(++now_running);
      threads.see(pool.thread_count());
      entered.add();
      {
        Pool::BlockingScope blocking;
        EXPECT_EQ(open.wait_for(timeout), std::future_status::ready);
      }
      --now_running;
      done.add();
    });
  }
  ASSERT_TRUE(entered.wait_for(max_threads));
  EXPECT_EQ(pool.thread_count(), max_threads);
  EXPECT_EQ(entered.count(), max_threads); // the others wait in the queue
  gate.set_value();
  EXPECT_TRUE(done.wait_for(tasks));
  EXPECT_EQ(running.get(), max_threads);
  EXPECT_LE(threads.get(), max_threads);
  EXPECT_TRUE(settles_to(pool, 2));
}

TEST(WorkerPool, NestedBlockingScopesCountOnce) {
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  Counter done;
  Pool pool(options(1, 2));
  pool.submit([&] {
    Pool::BlockingScope outer;
    Pool::BlockingScope inner;
    EXPECT_EQ(open.wait_for(timeout), std::future_status::ready);
    done.add();
  });
  pool.submit([&] { gate.set_value(); }); // needs a compensating worker
  EXPECT_TRUE(done.wait_for(1));
  EXPECT_LE(pool.thread_count(), 2u);
}

TEST(WorkerPool, RunsOnThreadStartOnEveryWorker) {
  std::mutex mutex;
  std::set<std::thread::id> started;
  std::atomic<int> outside_pool{0};
  auto opts = options(3);
  opts.on_thread_start = [&] {
    if (!Pool::current())
      ++outside_pool;
    std::lock_guard lock(mutex);
    started.insert(std::this_thread::get_id());
  };
  std::set<std::thread::id> ran_on;
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  Counter entered, done;
  Pool pool(std::move(opts));
  for (int i = 0; i < 10; ++i) {
    pool.submit([&] {
      {
        std::lock_guard lock(mutex);
        ran_on.insert(std::this_thread::get_id());
      }
      entered.add();
      Pool::BlockingScope blocking;
      EXPECT_EQ(open.wait_for(timeout), std::future_status::ready);
      done.add();
    });
  }
  ASSERT_TRUE(entered.wait_for(10)); // all ten blocked at once: ten workers
  gate.set_value();
  ASSERT_TRUE(done.wait_for(10));
  std::lock_guard lock(mutex);
  EXPECT_EQ(ran_on.size(), 10u);
  EXPECT_TRUE(std::includes(started.begin(), started.end(), ran_on.begin(),
                            ran_on.end()));
  EXPECT_EQ(outside_pool.load(), 0);
}

std::string thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

TEST(WorkerPool, NamesItsThreads) {
  auto opts = options(1);
  opts.name = "a-rather-long-pool-name";
  std::promise<std::string> name;
  Pool pool(std::move(opts));
  pool.submit([&] { name.set_value(thread_name()); });
  EXPECT_EQ(name.get_future().get(), "a-rather-long-0");
}

TEST(WorkerPool, DestructorRunsQueuedTasks) {
  Counter done;
  std::promise<void> gate;
  auto open = gate.get_future();
  {
    Pool pool(options(1));
    pool.submit([&] { open.wait(); });
    for (int i = 0; i < 100; ++i)
      pool.submit([&] { done.add(); });
    gate.set_value();
  }
  EXPECT_EQ(done.count(), 100u);
}

TEST(WorkerPool, TasksMaySubmitWhileThePoolDrains) {
  Counter done;
  std::promise<void> gate;
  auto open = gate.get_future();
  {
    Pool pool(options(2));
    pool.submit([&] {
      open.wait();
      pool.submit([&] { done.add(); });
    });
    gate.set_value();
  }
  EXPECT_EQ(done.count(), 1u);
}

// Queues \p depth more tasks, one from each, counting each one that runs.
void resubmit(Pool &pool, Counter &done, int depth) {
  done.add();
  if (depth > 0)
    pool.submit([&pool, &done, depth] { resubmit(pool, done, depth - 1); });
}

TEST(WorkerPool, ShutdownRunsQueuedTasksAndWhatTheySubmit) {
  Counter done;
  std::promise<void> gate;
  auto open = gate.get_future();
  Pool pool(options(2));
  pool.submit([&] { open.wait(); });
  for (int i = 0; i < 10; ++i)
    pool.submit([&] { resubmit(pool, done, 9); });
  gate.set_value();
  pool.shutdown();
  EXPECT_EQ(done.count(), 100u);
  EXPECT_EQ(pool.thread_count(), 0u);
  pool.shutdown(); // idempotent, and the destructor calls it again
  EXPECT_EQ(pool.thread_count(), 0u);
}

TEST(WorkerPool, SubmitAfterShutdownRunsInline) {
  Pool pool(options(2));
  pool.shutdown();
  std::thread::id ran_on;
  pool.submit([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(WorkerPool, ExceptionInTaskKeepsTheWorkerAlive) {
  std::promise<void> after;
  Pool pool(options(1));
  testing::internal::CaptureStderr();
  pool.submit([] { throw std::runtime_error("boom"); });
  pool.submit([] { throw 42; });
  pool.submit([&] { after.set_value(); });
  auto status = after.get_future().wait_for(timeout);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(status, std::future_status::ready);
  EXPECT_NE(err.find("nu[workers] error: task threw: boom\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("nu[workers] error: task threw: unknown exception\n"),
            std::string::npos)
      << err;
  EXPECT_EQ(pool.thread_count(), 1u);
}

TEST(WorkerPoolDeathTest, DestroyingFromOwnWorkerAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto *pool = new Pool(options(1));
        std::promise<void> never;
        pool->submit([pool] { delete pool; });
        never.get_future().wait_for(timeout);
      },
      "destroyed by one of its own workers");
}

} // namespace
} // namespace nu::detail
