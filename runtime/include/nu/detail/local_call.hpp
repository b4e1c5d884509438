// The local fastpath's record of which proclets a thread is inside, so that
// migration can wait for calls in flight without a shared counter per call.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/handle.hpp"

#include <atomic>
#include <chrono>

namespace nu::detail {

/// The slots a thread is inside through the fastpath, innermost last.
/// Written only by its thread; read by migrations after a process-wide
/// barrier (membarrier), so that entering costs no atomic read-modify-write.
struct ThreadCalls {
  static constexpr unsigned kDepth = 32;
  std::atomic<unsigned> depth{0};
  /// True when the process has no process-wide barrier: entering then
  /// fences itself (kept here, on the line entering touches anyway).
  bool self_fence = true;
  std::atomic<Slot *> slots[kDepth] = {};
  std::atomic<bool> in_use{false};
  ThreadCalls *next = nullptr;
};

// Initial-exec, as tls_heap (heap.hpp): every operator new reads it.
[[gnu::tls_model(
    "initial-exec")]] constinit inline thread_local ThreadCalls *tls_calls =
    nullptr;

#if defined(__SANITIZE_THREAD__)
#define NU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NU_TSAN 1
#endif
#endif

/// A sequentially consistent fence (TSan models no fences: a seq_cst
/// read-modify-write stands in for one there).
inline void full_fence() {
#ifdef NU_TSAN
  static std::atomic<int> fence;
  fence.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

/// The calling thread's record, registered on first use.
ThreadCalls *register_thread_calls();
/// Makes every thread's earlier fastpath stores visible to the caller.
void process_barrier();
/// True if some thread is inside \p slot through the fastpath.
bool inside_any_thread(const Slot *slot);

/// A fastpath call into the proclet of \p proxy when it is hosted here and
/// active; empty otherwise (the call then goes the request way).
class LocalCall {
public:
  [[gnu::always_inline]] explicit LocalCall(const Proxy &proxy) {
    Slot *s = proxy.local.load(std::memory_order_acquire);
    if (!s)
      return;
    calls_ = tls_calls ? tls_calls : register_thread_calls();
    depth_ = calls_->depth.load(std::memory_order_relaxed);
    if (depth_ == ThreadCalls::kDepth)
      return;
    calls_->slots[depth_].store(s, std::memory_order_relaxed);
    calls_->depth.store(depth_ + 1, std::memory_order_relaxed);
    if (calls_->self_fence)
      full_fence();
    else
      std::atomic_signal_fence(std::memory_order_seq_cst);
    // Still this proxy's slot (not retired by a migration) and active.
    // Acquire: a slot retired and a new one hosted at the same address
    // (the proclet moved away and back) must be seen initialized.
    if (proxy.local.load(std::memory_order_acquire) == s &&
        s->state.load(std::memory_order_relaxed) == SlotState::Active) {
      slot_ = s;
      return;
    }
    calls_->depth.store(depth_, std::memory_order_release);
  }
  [[gnu::always_inline]] ~LocalCall() {
    if (slot_)
      calls_->depth.store(depth_, std::memory_order_release);
  }
  LocalCall(const LocalCall &) = delete;
  LocalCall &operator=(const LocalCall &) = delete;

  Slot *slot() const { return slot_; }
  explicit operator bool() const { return slot_ != nullptr; }

private:
  ThreadCalls *calls_ = nullptr;
  Slot *slot_ = nullptr;
  unsigned depth_ = 0;
};

/// Times an asynchronous call to a local proclet (run by a worker) and
/// charges it to that proclet for the policy, if it still lives here.
/// Calls made inline through the fastpath are not timed: two clock reads
/// would cost more than the call.
class AsyncCharge {
public:
  explicit AsyncCharge(const Proxy &proxy)
      : proxy_(proxy), start_(std::chrono::steady_clock::now()) {}
  ~AsyncCharge() {
    auto spent = std::chrono::steady_clock::now() - start_;
    if (LocalCall local{proxy_})
      local.slot()->cpu_ns.fetch_add(std::chrono::nanoseconds(spent).count(),
                                     std::memory_order_relaxed);
  }
  AsyncCharge(const AsyncCharge &) = delete;
  AsyncCharge &operator=(const AsyncCharge &) = delete;

private:
  const Proxy &proxy_;
  std::chrono::steady_clock::time_point start_;
};

} // namespace nu::detail
