// Proclet heaps on jemalloc arenas, and the operator new and delete that
// allocate from the running proclet's heap (plain malloc outside proclets).
#include "Heap.hpp"
#include "HeapCaches.hpp"

#include "nu/detail/heap.hpp"

#ifdef NU_PROCLET_HEAPS
#include <jemalloc/jemalloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>
#endif

namespace nu::detail {

#ifdef NU_PROCLET_HEAPS

namespace {

/// Runs jemalloc's `arena.<arena>.<what>`.
void arena_ctl(unsigned arena, const char *what) {
  std::string name = "arena." + std::to_string(arena) + "." + what;
  mallctl(name.c_str(), nullptr, nullptr, nullptr, 0);
}

/// A statistic of arena <i>, looked up by name once.
class ArenaStat {
public:
  explicit ArenaStat(const char *name) {
    mallctlnametomib(name, mib_, &length_);
  }
  std::uint64_t read(unsigned arena) const {
    std::size_t mib[kMax];
    std::copy(mib_, mib_ + length_, mib);
    mib[2] = arena;
    std::size_t value = 0, size = sizeof(value);
    if (mallctlbymib(mib, length_, &value, &size, nullptr, 0) != 0)
      return 0;
    return value;
  }

private:
  static constexpr std::size_t kMax = 8;
  std::size_t mib_[kMax] = {};
  std::size_t length_ = kMax;
};

/// Extent hooks that map memory as jemalloc does and advise the kernel to
/// back it with transparent huge pages.
extent_hooks_t *huge_page_hooks() {
  static extent_hooks_t *plain = [] {
    extent_hooks_t *hooks = nullptr;
    std::size_t size = sizeof(hooks);
    mallctl("arena.0.extent_hooks", &hooks, &size, nullptr, 0);
    return hooks;
  }();
  static extent_hooks_t huge = [] {
    extent_hooks_t hooks = *plain;
    hooks.alloc = [](extent_hooks_t *, void *address, std::size_t size,
                     std::size_t alignment, bool *zero, bool *commit,
                     unsigned arena) -> void * {
      void *p =
          plain->alloc(plain, address, size, alignment, zero, commit, arena);
      if (p != nullptr)
        madvise(p, size, MADV_HUGEPAGE);
      return p;
    };
    return hooks;
  }();
  return &huge;
}

/// The frames heap's arena: created once, its free pages never decay.
unsigned frames_arena() {
  static const unsigned arena = [] {
    unsigned created = 0;
    std::size_t size = sizeof(created);
    if (mallctl("arenas.create", &created, &size, nullptr, 0) != 0)
      return 0u;
    ssize_t never = -1;
    for (const char *what : {"dirty_decay_ms", "muzzy_decay_ms"}) {
      std::string name = "arena." + std::to_string(created) + "." + what;
      mallctl(name.c_str(), nullptr, nullptr, &never, sizeof(never));
    }
    return created;
  }();
  return arena;
}

} // namespace

bool HeapPool::supported() { return true; }

unsigned HeapPool::acquire(bool huge) {
  std::scoped_lock lock(mu_);
  if (in_use_ >= max_)
    return 0;
  unsigned arena = warm_ != 0 && is_huge(warm_) == huge
                       ? std::exchange(warm_, 0)
                       : take(huge);
  if (arena != 0)
    in_use_++;
  return arena;
}

unsigned HeapPool::take(bool huge) {
  if (std::vector<unsigned> &free = free_[huge]; !free.empty()) {
    unsigned arena = free.back();
    free.pop_back();
    return arena;
  }
  extent_hooks_t *hooks = huge ? huge_page_hooks() : nullptr;
  unsigned arena = 0;
  std::size_t size = sizeof(arena);
  if (mallctl("arenas.create", &arena, &size, huge ? &hooks : nullptr,
              huge ? sizeof(hooks) : 0) != 0)
    return 0; // jemalloc's 4095 arenas are all taken
  if (huge_.size() <= arena)
    huge_.resize(arena + 1);
  huge_[arena] = huge;
  return arena;
}

bool HeapPool::is_huge(unsigned heap) const {
  return heap < huge_.size() && huge_[heap];
}

void HeapPool::release(unsigned heap) {
  if (heap == 0)
    return;
  flush_heap_caches(heap);
  unsigned cold = 0;
  {
    std::scoped_lock lock(mu_);
    in_use_--;
    cold = std::exchange(warm_, heap);
    warm_since_ = Clock::now();
  }
  if (cold != 0)
    cool(cold);
}

void HeapPool::expire(Clock::duration age) {
  unsigned cold = 0;
  {
    std::scoped_lock lock(mu_);
    if (warm_ == 0 || Clock::now() - warm_since_ < age)
      return;
    cold = std::exchange(warm_, 0);
  }
  cool(cold);
}

void HeapPool::cool(unsigned heap) {
  arena_ctl(heap, "purge");
  std::scoped_lock lock(mu_);
  free_[is_huge(heap)].push_back(heap);
}

int HeapPool::flags(unsigned heap) {
  return heap == 0 ? 0 : MALLOCX_ARENA(heap) | MALLOCX_TCACHE_NONE;
}

std::uint64_t HeapPool::bytes(unsigned heap) {
  static const ArenaStat small("stats.arenas.0.small.allocated");
  static const ArenaStat large("stats.arenas.0.large.allocated");
  return heap == 0 ? 0 : small.read(heap) + large.read(heap);
}

void HeapPool::refresh() {
  std::uint64_t epoch = 1;
  std::size_t size = sizeof(epoch);
  mallctl("epoch", &epoch, &size, &epoch, size);
}

void HeapPool::purge_all() {
  unsigned arenas = 0;
  std::size_t size = sizeof(arenas);
  std::size_t mib[3];
  std::size_t length = 3;
  if (mallctl("arenas.narenas", &arenas, &size, nullptr, 0) != 0 ||
      mallctlnametomib("arena.0.purge", mib, &length) != 0)
    return arena_ctl(MALLCTL_ARENAS_ALL, "purge");
  const unsigned kept = frames_arena();
  for (unsigned arena = 0; arena < arenas; ++arena)
    if (arena != kept) {
      mib[1] = arena;
      mallctlbymib(mib, length, nullptr, nullptr, nullptr, 0);
    }
}

int HeapPool::frames_flags() {
  unsigned arena = frames_arena();
  return arena == 0 ? 0 : MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
}

void HeapPool::frames_sent(std::uint64_t bytes) {
  if (bytes > kKeptFrames && frames_arena() != 0)
    arena_ctl(frames_arena(), "purge");
}

#else // a sanitizer's allocator: every proclet shares the node's heap

bool HeapPool::supported() { return false; }
unsigned HeapPool::acquire(bool) { return 0; }
void HeapPool::release(unsigned) {}
void HeapPool::expire(Clock::duration) {}
void HeapPool::cool(unsigned) {}
bool HeapPool::is_huge(unsigned) const { return false; }
int HeapPool::flags(unsigned) { return 0; }
std::uint64_t HeapPool::bytes(unsigned) { return 0; }
void HeapPool::refresh() {}
void HeapPool::purge_all() {}
int HeapPool::frames_flags() { return 0; }
void HeapPool::frames_sent(std::uint64_t) {}

#endif

HeapPool::HeapPool(std::size_t max) : max_(supported() ? max : 0) {}

std::size_t HeapPool::in_use() const {
  std::scoped_lock lock(mu_);
  return in_use_;
}

} // namespace nu::detail

#ifdef NU_PROCLET_HEAPS

// The replaceable allocation functions. Inside a proclet they allocate from
// its arena through the thread's cache of that arena (HeapCaches.hpp), and
// free bypassing every cache (a cache would hand the block to whoever
// allocates next, in any heap); elsewhere they are jemalloc's malloc and
// free.
namespace {

using nu::detail::current_heap_flags;

void *allocate(std::size_t size, int extra = 0) noexcept {
  size = size == 0 ? 1 : size;
  if (int heap = current_heap_flags(); heap != 0)
    return mallocx(size, nu::detail::heap_cache(heap, size) | extra);
  return extra == 0 ? std::malloc(size) : mallocx(size, extra);
}
void *allocate_or_throw(std::size_t size, int extra = 0) {
  if (void *p = allocate(size, extra))
    return p;
  throw std::bad_alloc();
}
int aligned(std::align_val_t align) {
  return MALLOCX_ALIGN(static_cast<std::size_t>(align));
}
void deallocate(void *p) noexcept {
  if (!p)
    return;
  if (current_heap_flags() == 0)
    std::free(p);
  else
    dallocx(p, MALLOCX_TCACHE_NONE);
}
void deallocate(void *p, std::size_t size) noexcept {
  if (p)
    sdallocx(p, size == 0 ? 1 : size,
             current_heap_flags() == 0 ? 0 : MALLOCX_TCACHE_NONE);
}

} // namespace

void *operator new(std::size_t n) { return allocate_or_throw(n); }
void *operator new[](std::size_t n) { return allocate_or_throw(n); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept {
  return allocate(n);
}
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept {
  return allocate(n);
}
void *operator new(std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, aligned(a));
}
void *operator new[](std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, aligned(a));
}
void *operator new(std::size_t n, std::align_val_t a,
                   const std::nothrow_t &) noexcept {
  return allocate(n, aligned(a));
}
void *operator new[](std::size_t n, std::align_val_t a,
                     const std::nothrow_t &) noexcept {
  return allocate(n, aligned(a));
}
void operator delete(void *p) noexcept { deallocate(p); }
void operator delete[](void *p) noexcept { deallocate(p); }
void operator delete(void *p, std::size_t n) noexcept { deallocate(p, n); }
void operator delete[](void *p, std::size_t n) noexcept { deallocate(p, n); }
void operator delete(void *p, const std::nothrow_t &) noexcept {
  deallocate(p);
}
void operator delete[](void *p, const std::nothrow_t &) noexcept {
  deallocate(p);
}
void operator delete(void *p, std::align_val_t) noexcept { deallocate(p); }
void operator delete[](void *p, std::align_val_t) noexcept { deallocate(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept {
  deallocate(p);
}
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept {
  deallocate(p);
}
void operator delete(void *p, std::align_val_t,
                     const std::nothrow_t &) noexcept {
  deallocate(p);
}
void operator delete[](void *p, std::align_val_t,
                       const std::nothrow_t &) noexcept {
  deallocate(p);
}

#endif
