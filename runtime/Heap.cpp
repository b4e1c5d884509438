// Proclet heaps on jemalloc arenas, and the operator new and delete that
// allocate from the running proclet's heap (plain malloc outside proclets).
#include "Heap.hpp"

#include "nu/detail/heap.hpp"

#ifdef NU_PROCLET_HEAPS
#include <jemalloc/jemalloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>
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

} // namespace

bool HeapPool::supported() { return true; }

unsigned HeapPool::acquire() {
  std::scoped_lock lock(mu_);
  if (in_use_ >= max_)
    return 0;
  unsigned arena = 0;
  if (!free_.empty()) {
    arena = free_.back();
    free_.pop_back();
  } else {
    std::size_t size = sizeof(arena);
    if (mallctl("arenas.create", &arena, &size, nullptr, 0) != 0)
      return 0; // jemalloc's 4095 arenas are all taken
  }
  in_use_++;
  return arena;
}

void HeapPool::release(unsigned heap) {
  if (heap == 0)
    return;
  arena_ctl(heap, "purge");
  std::scoped_lock lock(mu_);
  free_.push_back(heap);
  in_use_--;
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

void HeapPool::purge_all() { arena_ctl(MALLCTL_ARENAS_ALL, "purge"); }

#else // a sanitizer's allocator: every proclet shares the node's heap

bool HeapPool::supported() { return false; }
unsigned HeapPool::acquire() { return 0; }
void HeapPool::release(unsigned) {}
int HeapPool::flags(unsigned) { return 0; }
std::uint64_t HeapPool::bytes(unsigned) { return 0; }
void HeapPool::refresh() {}
void HeapPool::purge_all() {}

#endif

HeapPool::HeapPool(std::size_t max) : max_(supported() ? max : 0) {}

std::size_t HeapPool::in_use() const {
  std::scoped_lock lock(mu_);
  return in_use_;
}

} // namespace nu::detail

#ifdef NU_PROCLET_HEAPS

// The replaceable allocation functions. Inside a proclet they allocate from
// its arena and bypass the thread's cache, whose blocks may belong to any
// arena; elsewhere they are jemalloc's malloc and free.
namespace {

using nu::detail::current_heap_flags;

void *allocate(std::size_t size, int extra = 0) noexcept {
  size = size == 0 ? 1 : size;
  int flags = current_heap_flags() | extra;
  return flags == 0 ? std::malloc(size) : mallocx(size, flags);
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
