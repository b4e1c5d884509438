// Which heap the calling thread allocates from: proclet code runs inside its
// proclet's heap, so what it allocates is charged to that proclet.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

namespace nu::detail {

/// The allocation flags of the heap this thread allocates from (0: the
/// shared heap). Read by the runtime's operator new and delete.
constinit inline thread_local int tls_heap_flags = 0;

/// Makes this thread allocate from the heap of \p flags until it ends.
class HeapScope {
public:
  [[gnu::always_inline]] explicit HeapScope(int flags)
      : saved_(tls_heap_flags) {
    tls_heap_flags = flags;
  }
  [[gnu::always_inline]] ~HeapScope() { tls_heap_flags = saved_; }
  HeapScope(const HeapScope &) = delete;
  HeapScope &operator=(const HeapScope &) = delete;

private:
  int saved_;
};

} // namespace nu::detail
