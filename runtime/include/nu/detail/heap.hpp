// Which heap the calling thread allocates from: proclet code runs inside its
// proclet's heap, so what it allocates is charged to that proclet.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/local_call.hpp"

namespace nu::detail {

/// The heap a HeapScope chose, the fastpath depth it was chosen at, and
/// the heap of the code that called into it (0 for a request: the result
/// only goes into its reply).
struct HeapChoice {
  int flags = 0;
  unsigned depth = 0;
  int caller = 0;
};
// Initial-exec: read by every operator new, also from the runtime's
// position-independent code (nu is never loaded by dlopen).
[[gnu::tls_model(
    "initial-exec")]] constinit inline thread_local HeapChoice tls_heap{};

inline unsigned fastpath_depth(const ThreadCalls *calls) {
  return calls ? calls->depth.load(std::memory_order_relaxed) : 0;
}

/// The allocation flags of the heap this thread allocates from (0: the
/// shared heap): that of the proclet a fastpath call entered last, unless a
/// HeapScope was opened inside that call. Fastpath calls thus cost nothing
/// more; the runtime's operator new and delete ask here. (A replicated
/// proclet's record of calls stands in a record that looks full and holds
/// no slot: its scope's heap then applies.)
inline int heap_flags_at(const ThreadCalls *calls, unsigned depth) {
  if (depth <= tls_heap.depth)
    return tls_heap.flags;
  const Slot *slot = calls->slots[depth - 1].load(std::memory_order_relaxed);
  return slot ? slot->heap_flags : tls_heap.flags;
}
inline int current_heap_flags() {
  const ThreadCalls *calls = tls_calls;
  return heap_flags_at(calls, fastpath_depth(calls));
}
/// The flags of the heap of the code that called the proclet running now.
inline int caller_heap_flags() {
  const ThreadCalls *calls = tls_calls;
  unsigned depth = fastpath_depth(calls);
  return depth > tls_heap.depth ? heap_flags_at(calls, depth - 1)
                                : tls_heap.caller;
}

/// Makes this thread allocate from the heap of \p flags until it ends (or a
/// fastpath call enters another proclet), called from \p caller's.
class HeapScope {
public:
  explicit HeapScope(int flags, int caller = 0) : saved_(tls_heap) {
    tls_heap = {flags, fastpath_depth(tls_calls), caller};
  }
  ~HeapScope() { tls_heap = saved_; }
  HeapScope(const HeapScope &) = delete;
  HeapScope &operator=(const HeapScope &) = delete;

private:
  HeapChoice saved_;
};

/// A HeapScope where \p kOpen, else nothing.
template <bool kOpen> struct HeapScopeIf : HeapScope {
  using HeapScope::HeapScope;
};
template <> struct HeapScopeIf<false> {
  explicit HeapScopeIf(int, int = 0) {}
};

} // namespace nu::detail
