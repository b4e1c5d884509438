// Each thread's caches of proclet heaps: what a thread allocates in a
// proclet's heap comes from a jemalloc cache of its own for that heap.
#pragma once

#ifdef NU_PROCLET_HEAPS

#include <jemalloc/jemalloc.h>

#include <cstddef>

namespace nu::detail {

/// The arenas a proclet heap can be (jemalloc's limit).
inline constexpr unsigned kArenas = 4096;

/// The arena that jemalloc flags \p flags select (MALLOCX_ARENA's inverse).
inline unsigned arena_of(int flags) {
  return (static_cast<unsigned>(flags) >> 20) - 1;
}
static_assert(MALLOCX_ARENA(5) >> 20 == 6, "jemalloc encodes arenas so");

/// This thread's allocation flags per arena (0: not looked up yet).
[[gnu::tls_model(
    "initial-exec")]] constinit inline thread_local int *tls_heap_caches =
    nullptr;

/// Looks up, or creates, this thread's cache of \p arena.
int make_heap_cache(unsigned arena);

/// The largest allocation that goes through a cache. A cache that misses
/// takes a batch of blocks from its heap (up to 100 of a size, fewer of
/// larger ones), all charged to the heap until they are handed out: bigger
/// blocks would charge a proclet for far more than it holds.
inline constexpr std::size_t kCachedMax = 256;

/// The flags that allocate \p size bytes from the heap of \p flags: small
/// blocks through this thread's cache of that heap, a jemalloc tcache
/// filled from it alone, so the charge stays exact; larger ones uncached.
inline int heap_cache(int flags, std::size_t size) {
  if (size > kCachedMax)
    return flags;
  unsigned arena = arena_of(flags);
  int *caches = tls_heap_caches;
  int cached = caches ? caches[arena] : 0;
  return cached != 0 ? cached : make_heap_cache(arena);
}

/// Gives every block the threads' caches hold for \p arena back to it. Call
/// once no proclet code runs in that heap (it has been released).
void flush_heap_caches(unsigned arena);

} // namespace nu::detail

#endif
