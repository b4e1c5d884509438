// The registry of every thread's fastpath record, and the process-wide
// barrier (membarrier) that lets migrations read them.
#include "nu/detail/local_call.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mutex>

namespace nu::detail {
namespace {

std::atomic<ThreadCalls *> all_threads{nullptr};
/// True when the process-wide barrier works; else entering fences itself.
std::atomic<bool> asymmetric_fences{false};

long membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0, 0); }

void enable_barrier() {
  static std::once_flag once;
  std::call_once(once, [] {
    long cmds = membarrier(MEMBARRIER_CMD_QUERY);
    bool ok = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
              membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
    asymmetric_fences.store(ok, std::memory_order_seq_cst);
  });
}

/// Gives the record back when its thread exits.
struct Release {
  ThreadCalls *calls = nullptr;
  ~Release() {
    if (!calls)
      return;
    calls->depth.store(0, std::memory_order_release);
    calls->in_use.store(false, std::memory_order_release);
    tls_calls = nullptr;
  }
};
thread_local Release release_at_exit;

ThreadCalls *claim() {
  ThreadCalls *head = all_threads.load(std::memory_order_acquire);
  for (ThreadCalls *t = head; t; t = t->next) {
    bool free = false;
    if (t->in_use.compare_exchange_strong(free, true))
      return t;
  }
  auto *t = new ThreadCalls; // records live as long as the process
  t->in_use.store(true, std::memory_order_relaxed);
  t->next = head;
  while (!all_threads.compare_exchange_weak(t->next, t))
    ;
  return t;
}

} // namespace

ThreadCalls *register_thread_calls() {
  enable_barrier();
  ThreadCalls *t = claim();
  t->self_fence = !asymmetric_fences.load(std::memory_order_relaxed);
  release_at_exit.calls = t;
  tls_calls = t;
  return t;
}

void process_barrier() {
  enable_barrier();
  if (asymmetric_fences.load(std::memory_order_relaxed))
    membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
  else
    full_fence();
}

bool inside_any_thread(const Slot *slot) {
  for (ThreadCalls *t = all_threads.load(std::memory_order_acquire); t;
       t = t->next) {
    unsigned depth = t->depth.load(std::memory_order_acquire);
    for (unsigned i = 0; i < depth && i < ThreadCalls::kDepth; ++i)
      if (t->slots[i].load(std::memory_order_relaxed) == slot)
        return true;
  }
  return false;
}

} // namespace nu::detail
