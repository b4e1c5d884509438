// Proclet heaps: a jemalloc arena per proclet, so what a proclet allocates
// is counted apart and given back to the operating system when it leaves.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace nu::detail {

/// The heaps of one node's proclets. A heap is a jemalloc arena; arenas
/// are never destroyed (memory a proclet handed out may outlive it), so a
/// released heap is purged and kept for the next proclet. The heap released
/// last stays warm (its pages mapped) until another is released, it
/// expires, or a new proclet takes it: a proclet moving back and forth then
/// finds its pages where it left them.
class HeapPool {
public:
  using Clock = std::chrono::steady_clock;

  /// At most \p max heaps at once (0: none; every proclet then shares the
  /// node's heap and is charged the size of its state instead).
  explicit HeapPool(std::size_t max);
  HeapPool(const HeapPool &) = delete;
  HeapPool &operator=(const HeapPool &) = delete;

  /// True when this build has proclet heaps (not under a sanitizer).
  static bool supported();
  /// A heap for a new proclet, or 0 (the shared heap) when there is none.
  /// A \p huge heap backs its memory with transparent huge pages: one page
  /// fault per 2 MiB instead of 512, for a proclet arriving with a large
  /// state (a small proclet would hold a whole huge page).
  unsigned acquire(bool huge = false);
  /// Gives \p heap back. It becomes the warm heap; the one warm before is
  /// purged now (its free pages go back to the operating system).
  void release(unsigned heap);
  /// Purges the warm heap if it was released at least \p age ago.
  void expire(Clock::duration age);
  /// The allocation flags that select \p heap (0 for heap 0).
  static int flags(unsigned heap);
  /// Bytes allocated from \p heap, as of the last refresh().
  static std::uint64_t bytes(unsigned heap);
  /// Brings bytes() up to date (a few microseconds per live arena).
  static void refresh();
  /// Returns the free pages of every heap but the frames heap to the
  /// operating system.
  static void purge_all();

  /// The frames heap, which states are saved into for a move: its free
  /// pages are kept (not returned, even by purge_all), so that the next
  /// save does not fault them in again, which under memory pressure costs
  /// a reclaim per page. States larger than kKeptFrames are saved
  /// elsewhere.
  static constexpr std::uint64_t kKeptFrames = std::uint64_t{16} << 20;
  /// The allocation flags that select the frames heap (0: none).
  static int frames_flags();
  /// Purges the frames heap if a state of \p bytes, now sent, was larger
  /// than kKeptFrames (saved there on a size estimate too low).
  static void frames_sent(std::uint64_t bytes);
  /// Heaps in use now.
  std::size_t in_use() const;

private:
  unsigned take(bool huge); // a free heap of that kind, or a new one
  void cool(unsigned heap); // purges it; then it is free
  bool is_huge(unsigned heap) const;

  mutable std::mutex mu_;
  std::size_t max_;
  std::size_t in_use_ = 0;
  std::vector<unsigned> free_[2]; // released, purged: plain, huge
  std::vector<bool> huge_;        // by heap: one of huge pages
  unsigned warm_ = 0;             // released last, not purged (0: none)
  Clock::time_point warm_since_;
};

} // namespace nu::detail
