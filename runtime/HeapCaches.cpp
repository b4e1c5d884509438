// Each thread's caches of proclet heaps, and the list of them per heap that
// a released heap's caches are flushed through.
#include "HeapCaches.hpp"

#ifdef NU_PROCLET_HEAPS

#include "nu/detail/heap.hpp"

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

namespace nu::detail {
namespace {

/// The tcaches of every thread, by arena. Process-wide, as jemalloc's
/// arenas and tcaches are; leaked, because threads exit after statics die.
struct Registry {
  std::mutex mu;
  std::vector<std::vector<unsigned>> by_arena{kArenas};
};
Registry &registry() {
  static Registry *r = [] {
    HeapScope shared(0);
    return new Registry;
  }();
  return *r;
}

/// The tcache that allocation flags \p flags name, or -1 for none.
int tcache_of(int flags) { return ((flags >> 8) & 0xfff) - 2; }

/// Once the thread's caches are gone, it allocates in heaps uncached.
constinit thread_local bool tls_caches_gone = false;

/// Destroys the thread's caches when it exits.
struct Owner {
  bool active = false;
  ~Owner() {
    int *caches = std::exchange(tls_heap_caches, nullptr);
    tls_caches_gone = true;
    if (!caches)
      return;
    Registry &r = registry();
    std::scoped_lock lock(r.mu);
    for (unsigned arena = 0; arena < kArenas; ++arena) {
      int id = tcache_of(caches[arena]);
      if (id < 0)
        continue;
      std::erase(r.by_arena[arena], static_cast<unsigned>(id));
      unsigned tcache = static_cast<unsigned>(id);
      mallctl("tcache.destroy", nullptr, nullptr, &tcache, sizeof(tcache));
    }
    std::free(caches);
  }
};
thread_local Owner tls_owner;

} // namespace

int make_heap_cache(unsigned arena) {
  int uncached = MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
  if (tls_caches_gone || arena >= kArenas)
    return uncached;
  if (!tls_heap_caches) {
    tls_heap_caches = static_cast<int *>(std::calloc(kArenas, sizeof(int)));
    if (!tls_heap_caches)
      return uncached;
    tls_owner.active = true;
  }
  tls_heap_caches[arena] = uncached; // what allocating below uses
  unsigned id = 0;
  std::size_t size = sizeof(id);
  if (mallctl("tcache.create", &id, &size, nullptr, 0) != 0)
    return uncached; // jemalloc's 4096 tcaches are all taken
  {
    HeapScope shared(0);
    Registry &r = registry();
    std::scoped_lock lock(r.mu);
    r.by_arena[arena].push_back(id);
  }
  return tls_heap_caches[arena] = MALLOCX_ARENA(arena) | MALLOCX_TCACHE(id);
}

void flush_heap_caches(unsigned arena) {
  Registry &r = registry();
  std::scoped_lock lock(r.mu);
  for (unsigned id : r.by_arena[arena])
    mallctl("tcache.flush", nullptr, nullptr, &id, sizeof(id));
}

} // namespace nu::detail

#endif
