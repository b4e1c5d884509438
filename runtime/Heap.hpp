// Proclet heaps: a jemalloc arena per proclet, so what a proclet allocates
// is counted apart and given back to the operating system when it leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace nu::detail {

/// The heaps of one node's proclets. A heap is a jemalloc arena; arenas
/// are never destroyed (memory a proclet handed out may outlive it), so a
/// released heap is purged and kept for the next proclet.
class HeapPool {
public:
  /// At most \p max heaps at once (0: none; every proclet then shares the
  /// node's heap and is charged the size of its state instead).
  explicit HeapPool(std::size_t max);
  HeapPool(const HeapPool &) = delete;
  HeapPool &operator=(const HeapPool &) = delete;

  /// True when this build has proclet heaps (not under a sanitizer).
  static bool supported();
  /// A heap for a new proclet, or 0 (the shared heap) when there is none.
  unsigned acquire();
  /// Gives \p heap back: its free pages go back to the operating system.
  void release(unsigned heap);
  /// The allocation flags that select \p heap (0 for heap 0).
  static int flags(unsigned heap);
  /// Bytes allocated from \p heap, as of the last refresh().
  static std::uint64_t bytes(unsigned heap);
  /// Brings bytes() up to date (a few microseconds per live arena).
  static void refresh();
  /// Returns the free pages of every heap to the operating system.
  static void purge_all();
  /// Heaps in use now.
  std::size_t in_use() const;

private:
  mutable std::mutex mu_;
  std::size_t max_;
  std::size_t in_use_ = 0;
  std::vector<unsigned> free_; // released, purged, ready for reuse
};

} // namespace nu::detail
