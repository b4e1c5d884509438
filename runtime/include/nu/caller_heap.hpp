// Allocating a method's result in its caller's heap: the proclet is not
// charged for it, and the caller frees it without crossing heaps.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include "nu/detail/heap.hpp"

namespace nu {

/// Inside a proclet's method or closure: what is allocated while it lives
/// comes from the heap of the code that called the method (the calling
/// proclet's, else the node's shared heap), for a result the method builds
/// to hand back. Without it such a copy is allocated in the proclet's heap,
/// charged to it until the caller frees it, and freeing it there costs the
/// caller a lock. Allocate nothing the proclet keeps while it lives: that
/// would be charged to the caller.
///
///     std::optional<V> Get(const K &key) const {
///       auto it = map_.find(key);
///       nu::CallerHeap for_caller;
///       return it == map_.end() ? std::nullopt : std::optional(it->second);
///     }
class CallerHeap {
public:
  CallerHeap() : scope_(detail::caller_heap_flags(), 0) {}
  CallerHeap(const CallerHeap &) = delete;
  CallerHeap &operator=(const CallerHeap &) = delete;

private:
  detail::HeapScope scope_;
};

} // namespace nu
