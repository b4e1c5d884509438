// Proclet heaps: what a proclet's code allocates is charged to it, follows
// it when it moves, and goes back to the operating system when it leaves.
#include "ControlledCluster.hpp"
#include "SystemInfo.hpp"
#include "TestProclets.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace nutest {
namespace {

using nu::detail::HeapPool;

constexpr std::uint64_t MiB = 1 << 20;

/// The bytes of this process backed by transparent huge pages.
std::uint64_t huge_page_bytes() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  std::uint64_t kib = 0;
  while (in >> key)
    if (key == "AnonHugePages:" && in >> kib)
      return kib * 1024;
  return 0;
}

bool huge_pages_on() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes((std::istreambuf_iterator<char>(in)), {});
  return !modes.empty() && modes.find("[never]") == std::string::npos;
}

/// Fills \p bytes in the heap of \p flags and frees them again.
void touch_flags(int flags, std::size_t bytes) {
  nu::detail::HeapScope scope(flags);
  // Not a new-expression, which the compiler may leave out.
  auto *buffer = static_cast<volatile char *>(::operator new(bytes));
  for (std::size_t i = 0; i < bytes; i += 4096)
    buffer[i] = 1;
  ::operator delete(const_cast<char *>(buffer));
}

void touch(unsigned heap, std::size_t bytes) {
  touch_flags(HeapPool::flags(heap), bytes);
}

/// Allocates \p n blocks of 48 bytes in \p heap.
std::vector<void *> small_blocks(unsigned heap, int n) {
  std::vector<void *> blocks(static_cast<std::size_t>(n));
  nu::detail::HeapScope scope(HeapPool::flags(heap));
  for (void *&block : blocks)
    block = ::operator new(48);
  return blocks;
}

/// Frees \p blocks inside \p heap.
void free_blocks(unsigned heap, const std::vector<void *> &blocks) {
  nu::detail::HeapScope scope(HeapPool::flags(heap));
  for (void *block : blocks)
    ::operator delete(block);
}

std::uint64_t bytes_now(unsigned heap) {
  HeapPool::refresh();
  return HeapPool::bytes(heap);
}

class Heaps : public ControlledCluster {
protected:
  void SetUp() override {
    if (!HeapPool::supported())
      GTEST_SKIP() << "no proclet heaps in this build (a sanitizer's)";
    ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  }
  nu::detail::NodeScope scope_{&node(0)};

  nu::Proclet<Blob> blob(nu::NodeId where, std::uint64_t bytes) {
    auto b = nu::make_proclet<Blob>(nu::ProcletOptions{.node = where});
    b.Run(&Blob::Fill, bytes, std::uint8_t{1});
    return b;
  }
  /// The heap bytes node \p i lists for proclet \p id (0: not listed).
  std::uint64_t charged(int i, nu::ProcletId id) {
    for (const auto &[proclet, type, bytes, heap, role] :
         node(i).list_proclets())
      if (proclet == id)
        return heap;
    return 0;
  }
};

TEST_F(Heaps, ALocalCallChargesWhatItAllocatesToTheCallee) {
  auto a = blob(1, 8 * MiB); // node 1 is this test's: the fastpath
  auto b = blob(1, 0);
  EXPECT_GE(charged(0, a.id()), 8 * MiB);
  EXPECT_LT(charged(0, a.id()), 9 * MiB);
  EXPECT_LT(charged(0, b.id()), MiB);
  nu::NodeStats stats = nu::node_stats(); // node 1's
  EXPECT_EQ(stats.proclet_heaps, 2u);
  EXPECT_GE(stats.heap_bytes, 8 * MiB);
  EXPECT_LT(stats.heap_bytes, 10 * MiB);
}

TEST_F(Heaps, ACopyTheCalleeOnlyReadsIsMadeInTheCallersHeap) {
  auto a = blob(1, 0);
  std::vector<std::uint8_t> big(8 * MiB, 1);
  std::uint64_t during = a.Run(
      +[](Blob &, const std::vector<std::uint8_t> &) {
        return nu::node_stats().heap_bytes;
      },
      big);
  EXPECT_LT(during, MiB);
  a.Run(&Blob::Assign, big); // what it keeps, it copies into its own heap
  EXPECT_GE(charged(0, a.id()), 8 * MiB);
}

TEST_F(Heaps, AnArgumentTakenByValueIsCopiedInTheCalleesHeap) {
  auto a = blob(1, 0);
  std::vector<std::uint8_t> big(8 * MiB, 1);
  std::uint64_t during = a.Run(
      +[](Blob &, std::vector<std::uint8_t>) {
        return nu::node_stats().heap_bytes;
      },
      big);
  EXPECT_GE(during, 8 * MiB);
  a.Run(&Blob::Adopt, big); // so what it moves into its state is its own
  EXPECT_GE(charged(0, a.id()), 8 * MiB);
  EXPECT_LT(charged(0, a.id()), 9 * MiB);
}

TEST_F(Heaps, AResultBuiltInTheCallersHeapIsChargedToTheCaller) {
  auto a = blob(1, 0), b = blob(1, 8 * MiB);
  constexpr auto keep_copy = +[](Blob &self, nu::Proclet<Blob> other) {
    self.Adopt(other.Run(&Blob::Copy));
  };
  a.Run(keep_copy, b);
  EXPECT_GE(charged(0, a.id()), 8 * MiB);
  EXPECT_LT(charged(0, b.id()), 9 * MiB);
  auto c = blob(1, 0); // entered through a weak handle: a scope, no stack
  c.get_weak().Run(keep_copy, b);
  EXPECT_GE(charged(0, c.id()), 8 * MiB);
  EXPECT_LT(charged(0, b.id()), 9 * MiB);
}

TEST_F(Heaps, AWeakHandlesLocalCallChargesTheCallee) {
  auto a = blob(1, 0);
  a.get_weak().Run(&Blob::Fill, 8 * MiB, std::uint8_t{1});
  EXPECT_GE(charged(0, a.id()), 8 * MiB);
}

TEST_F(Heaps, ARemoteCallChargesTheProcletItRuns) {
  auto a = blob(2, 8 * MiB);
  EXPECT_GE(charged(1, a.id()), 8 * MiB);
  EXPECT_LT(charged(1, a.id()), 9 * MiB);
  auto usage = node(1).movable_proclets();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].memory(), usage[0].heap); // the policy's figure
}

TEST_F(Heaps, ACallInsideARequestChargesTheProcletItEnters) {
  auto a = blob(2, 0), b = blob(2, 0);
  // A request runs the closure on a (node 2), which fills a and then b
  // through the fastpath there.
  a.Run(
      +[](Blob &self, nu::Proclet<Blob> other) {
        self.Fill(MiB, 1);
        other.Run(&Blob::Fill, 4 * MiB, std::uint8_t{2});
        self.Fill(2 * MiB, 3); // back in a's heap
      },
      b);
  EXPECT_GE(charged(1, a.id()), 2 * MiB);
  EXPECT_LT(charged(1, a.id()), 3 * MiB);
  EXPECT_GE(charged(1, b.id()), 4 * MiB);
  EXPECT_LT(charged(1, b.id()), 5 * MiB);
}

TEST_F(Heaps, AMovedProcletIsChargedAtItsDestinationAndFreedAtItsSource) {
  auto a = blob(2, 8 * MiB);
  ASSERT_EQ(node(1).heaps().in_use(), 1u);
  nu::migrate(a, 3);
  EXPECT_GE(charged(2, a.id()), 8 * MiB); // loading the state was charged
  EXPECT_TRUE(eventually([&] { return node(1).heaps().in_use() == 0; }));
  EXPECT_EQ(a.Run(&Blob::Size), 8 * MiB);
}

TEST_F(Heaps, ALeavingProcletsMemoryGoesBackToTheSystemAtOnce) {
  std::uint64_t full = 0;
  {
    // Below jemalloc's 8 MiB "oversize" threshold, which it frees at once.
    std::vector<nu::Proclet<Blob>> blobs;
    for (int i = 0; i < 8; ++i)
      blobs.push_back(blob(1, 4 * MiB));
    full = nu::detail::process_rss();
  }
  // jemalloc keeps freed pages for 10 s; a heap given back is purged.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (nu::detail::process_rss() + 24 * MiB >= full &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_LT(nu::detail::process_rss() + 24 * MiB, full)
      << "RSS " << nu::detail::process_rss() / MiB << " MiB, was " << full / MiB
      << " MiB";
  EXPECT_TRUE(eventually([&] { return node(0).heaps().in_use() == 0; }));
}

TEST_F(Heaps, TheHeapReleasedLastKeepsItsPagesUntilItExpires) {
  HeapPool pool(4);
  unsigned a = pool.acquire();
  ASSERT_NE(a, 0u);
  touch(a, 6 * MiB); // below jemalloc's 8 MiB "oversize" threshold
  std::uint64_t full = nu::detail::process_rss();
  pool.release(a);
  EXPECT_GT(nu::detail::process_rss() + 2 * MiB, full) << "purged at once";
  EXPECT_EQ(pool.acquire(), a); // a proclet arriving finds the pages
  EXPECT_GT(nu::detail::process_rss() + 2 * MiB, full);
  pool.release(a);
  pool.expire(std::chrono::hours(1)); // not that old
  EXPECT_GT(nu::detail::process_rss() + 2 * MiB, full);
  pool.expire(std::chrono::seconds(0));
  EXPECT_LT(nu::detail::process_rss() + 4 * MiB, full) << "not purged";
}

TEST_F(Heaps, ReleasingAHeapPurgesTheOneReleasedBefore) {
  HeapPool pool(4);
  unsigned a = pool.acquire(), b = pool.acquire();
  touch(a, 6 * MiB);
  std::uint64_t full = nu::detail::process_rss();
  pool.release(a);
  pool.release(b);
  EXPECT_LT(nu::detail::process_rss() + 4 * MiB, full) << "a not purged";
  EXPECT_EQ(pool.acquire(), b); // the warm one first
  EXPECT_EQ(pool.acquire(), a);
  EXPECT_EQ(pool.in_use(), 2u);
}

// States are saved for a move in the frames heap, whose pages stay mapped
// (under memory pressure too: purge_all leaves them) so that the next save
// does not fault them in; once a state too big for it went through, it is
// purged.
TEST_F(Heaps, TheFramesHeapKeepsItsPagesUnlessAStateWasTooBig) {
  ASSERT_NE(HeapPool::frames_flags(), 0);
  touch_flags(HeapPool::frames_flags(), 6 * MiB);
  HeapPool::purge_all(); // every other heap's free pages go
  std::uint64_t full = nu::detail::process_rss();
  HeapPool::frames_sent(HeapPool::kKeptFrames);
  EXPECT_GT(nu::detail::process_rss() + 2 * MiB, full) << "purged";
  HeapPool::frames_sent(HeapPool::kKeptFrames + 1);
  EXPECT_LT(nu::detail::process_rss() + 4 * MiB, full)
      << "the frames heap kept nothing through purge_all";
}

TEST_F(Heaps, SmallBlocksComeFromTheThreadsCacheOfTheirOwnHeap) {
  HeapPool pool(4);
  unsigned a = pool.acquire(), b = pool.acquire();
  auto in_a = small_blocks(a, 10);
  std::uint64_t a_bytes = bytes_now(a);
  EXPECT_GE(a_bytes, 10 * 48u);
  auto in_b = small_blocks(b, 300);
  EXPECT_GE(bytes_now(b), 300 * 48u);
  EXPECT_EQ(bytes_now(a), a_bytes); // none of b's came from a's cache
  free_blocks(a, in_a);
  free_blocks(b, in_b);
  pool.release(a);
  pool.release(b);
  EXPECT_EQ(bytes_now(a), 0u);
  EXPECT_EQ(bytes_now(b), 0u);
}

TEST_F(Heaps, AReleasedHeapTakesBackWhatTheCachesHeld) {
  HeapPool pool(4);
  unsigned a = pool.acquire();
  free_blocks(a, small_blocks(a, 1));
  ASSERT_GT(bytes_now(a), 48u) << "the cache took no batch: nothing to test";
  pool.release(a);
  EXPECT_EQ(bytes_now(a), 0u);
}

TEST_F(Heaps, AnExitingThreadGivesItsCachesBack) {
  HeapPool pool(4);
  unsigned a = pool.acquire();
  std::uint64_t cached = 0;
  std::thread([&] {
    free_blocks(a, small_blocks(a, 1));
    cached = bytes_now(a);
  }).join();
  ASSERT_GT(cached, 48u) << "the cache took no batch: nothing to test";
  EXPECT_EQ(bytes_now(a), 0u);
}

TEST_F(Heaps, ALargeStateArrivesOnHugePages) {
  if (!huge_pages_on())
    GTEST_SKIP() << "transparent huge pages are off on this machine";
  auto a = blob(2, 24 * MiB);
  std::uint64_t before = huge_page_bytes();
  nu::migrate(a, 3);
  EXPECT_GE(huge_page_bytes(), before + 12 * MiB);
  auto small = blob(2, 64 * 1024); // a small one stays on small pages
  std::uint64_t after = huge_page_bytes();
  nu::migrate(small, 3);
  EXPECT_LT(huge_page_bytes(), after + 2 * MiB);
  EXPECT_EQ(a.Run(&Blob::Size), 24 * MiB);
}

TEST_F(Heaps, BeyondItsHeapsANodeChargesTheStateSize) {
  auto o = options();
  o.proclet_heaps = 1;
  nodes_.push_back(std::make_unique<nu::detail::Node>(o));
  nu::detail::Node &fourth = *nodes_.back();
  ASSERT_TRUE(eventually([&] { return fourth.nodes().size() == 4; }));
  auto a = blob(fourth.id(), MiB);
  auto b = blob(fourth.id(), MiB);
  EXPECT_EQ(fourth.heaps().in_use(), 1u);
  std::uint64_t with_heap = 0, shared = 0;
  for (const auto &u : fourth.movable_proclets())
    (u.heap != 0 ? with_heap : shared) = u.memory();
  EXPECT_GE(with_heap, MiB);
  EXPECT_GE(shared, MiB); // its state's size
  EXPECT_LT(shared, MiB + 4096);
}

} // namespace
} // namespace nutest
