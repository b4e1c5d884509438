// Live migration between nodes in one process (a real controller service,
// in-memory transport): state moves, calls follow, nothing is lost or run
// twice, and every race of a move with calls has its own test.
#include "ControlledCluster.hpp"
#include "TestProclets.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace nutest {
namespace {

using nu::ProcletOptions;

class Migration : public ControlledCluster {
protected:
  Migration() {
    EXPECT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  }
  nu::detail::NodeScope scope_{&node(0)};

  template <class T> nu::Proclet<T> on(nu::NodeId where) {
    return nu::make_proclet<T>(ProcletOptions{.node = where});
  }
  std::size_t hosted() {
    return node(0).proclet_count() + node(1).proclet_count() +
           node(2).proclet_count();
  }
};

TEST_F(Migration, StateMovesAndCallsFollow) {
  auto c = on<Counter>(2);
  c.Run(&Counter::Add, 5);
  nu::MigrationStats stats = nu::migrate(c, 3);
  EXPECT_EQ(stats.proclet, c.id());
  EXPECT_EQ(stats.from, 2u);
  EXPECT_EQ(stats.to, 3u);
  EXPECT_GT(stats.bytes, 0u);
  EXPECT_EQ(c.Run(&Counter::Where), 3u);
  EXPECT_EQ(c.Run(&Counter::Get), 5);
  EXPECT_EQ(c.location(), 3u); // the caller's cache was repaired
  EXPECT_EQ(node(1).proclet_count(), 0u);
  EXPECT_EQ(node(2).proclet_count(), 1u);
}

TEST_F(Migration, ToTheCallersNodeAndBackUsesTheFastpathThere) {
  auto c = on<Counter>(2);
  nu::migrate(c, 1);
  EXPECT_EQ(c.Run(&Counter::Where), 1u);
  EXPECT_EQ(c.location(), 1u);
  c.Run(&Counter::Add, 2);
  nu::migrate(c, 2);
  EXPECT_EQ(c.Run(&Counter::Get), 2);
  EXPECT_EQ(c.Run(&Counter::Where), 2u);
}

TEST_F(Migration, ALargeStateMovesInChunks) {
  auto b = on<Blob>(2);
  b.Run(&Blob::Fill, std::uint64_t{10} << 20, std::uint8_t{3});
  auto sum = b.Run(&Blob::Sum);
  auto stats = nu::migrate(b, 3);
  EXPECT_GT(stats.bytes, std::uint64_t{10} << 20);
  EXPECT_EQ(b.Run(&Blob::Size), std::uint64_t{10} << 20);
  EXPECT_EQ(b.Run(&Blob::Sum), sum);
}

// The slow-migration baseline (--nu-migrate-delay-ms and
// --nu-migrate-throttle-mbps): a move from a node so configured starts
// after the delay and its pause lasts at least the state's bytes at the
// throttled rate; the node counts the bytes it sent away.
TEST_F(Migration, TheBaselineDelaysAndThrottlesAMove) {
  auto o = options();
  o.migrate_delay = 100ms;
  o.migrate_throttle = 20'000'000; // 20 MB/s
  nodes_.push_back(std::make_unique<nu::detail::Node>(o));
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 4; }));
  auto b = on<Blob>(4);
  b.Run(&Blob::Fill, std::uint64_t{4} << 20, std::uint8_t{1});
  auto sum = b.Run(&Blob::Sum);
  auto start = std::chrono::steady_clock::now();
  auto stats = nu::migrate(b, 2);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(stats.pause, std::chrono::microseconds(stats.bytes * 1'000'000 /
                                                   o.migrate_throttle));
  EXPECT_GE(took, o.migrate_delay + stats.pause);
  EXPECT_EQ(b.Run(&Blob::Sum), sum);
  EXPECT_EQ(node(3).migrated_bytes(), stats.bytes);
  EXPECT_EQ(node(1).migrated_bytes(), 0u);
}

TEST_F(Migration, CallsDuringManyMovesAreNeitherLostNorRepeated) {
  auto c = on<Counter>(2);
  std::atomic<bool> done{false};
  std::vector<std::thread> callers;
  std::atomic<int> sent{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      nu::detail::NodeScope scope(&node(t % 3));
      nu::Proclet<Counter> mine = c;
      while (!done) {
        mine.Run(&Counter::Add, 1);
        ++sent;
      }
    });
  for (int i = 0; i < 60; ++i)
    nu::migrate(c, static_cast<nu::NodeId>(1 + (i + 2) % 3));
  done = true;
  for (auto &t : callers)
    t.join();
  EXPECT_EQ(c.Run(&Counter::Get), sent.load());
  EXPECT_GT(sent.load(), 0);
}

TEST_F(Migration, AsyncCallsInFlightDuringMovesAllComplete) {
  auto c = on<Counter>(2);
  std::vector<nu::Future<void>> futures;
  for (int i = 0; i < 3000; ++i) {
    futures.push_back(c.RunAsync(&Counter::Add, 1));
    if (i % 500 == 0)
      nu::migrate(c, (i / 500) % 2 == 0 ? 3u : 2u);
  }
  for (auto &f : futures)
    f.get();
  EXPECT_EQ(c.Run(&Counter::Get), 3000);
}

TEST_F(Migration, AMoveDuringACallWaitsForIt) {
  auto c = on<Counter>(2);
  auto slow = c.RunAsync(&Counter::Sleep, 100);
  std::this_thread::sleep_for(20ms);
  auto start = std::chrono::steady_clock::now();
  auto stats = nu::migrate(c, 3);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 50ms);
  EXPECT_LE(stats.pause, waited); // requests parked early ran meanwhile
  slow.get();
  EXPECT_EQ(c.Run(&Counter::Where), 3u);
}

TEST_F(Migration, TwoMovesWhoseCallsWaitOnEachOtherBothGoThrough) {
  auto a = on<Link>(2), b = on<Link>(3);
  a.Run(&Link::SetNext, b);
  b.Run(&Link::SetNext, a);
  auto x = a.RunAsync(&Link::SleepThenAsk, 50);
  auto y = b.RunAsync(&Link::SleepThenAsk, 50);
  std::this_thread::sleep_for(10ms);
  // Each move waits for a call that will call the other proclet, whose
  // requests that move holds.
  auto move = [&](const nu::Proclet<Link> &p) {
    return std::async(std::launch::async, [&] {
      nu::detail::NodeScope scope(&node(0));
      nu::migrate(p, 1);
    });
  };
  auto move_a = move(a), move_b = move(b);
  EXPECT_NO_THROW(move_a.get());
  EXPECT_NO_THROW(move_b.get());
  EXPECT_EQ(x.get(), 42);
  EXPECT_EQ(y.get(), 42);
  EXPECT_EQ(node(0).proclet_count(), 2u);
}

TEST_F(Migration, ACallLongerThanTheDrainDeadlineAbortsTheMove) {
  auto c = on<Counter>(2);
  c.Run(&Counter::Add, 7);
  auto slow = c.RunAsync(&Counter::Sleep, 1000);
  std::this_thread::sleep_for(20ms);
  auto late = c.RunAsync(&Counter::Add, 1); // parked, then served at home
  try {
    nu::migrate(c, 3);
    FAIL() << "the move should have been aborted";
  } catch (const nu::Error &e) {
    EXPECT_NE(std::string(e.what()).find("did not finish within 300 ms"),
              std::string::npos)
        << e.what();
  }
  late.get();
  slow.get();
  EXPECT_EQ(c.Run(&Counter::Where), 2u);
  EXPECT_EQ(c.Run(&Counter::Get), 8);
}

TEST_F(Migration, AMoveOfTheCalleeDuringANestedCall) {
  auto c = on<Counter>(3);
  c.Run(&Counter::Add, 4);
  auto h = on<Holder>(2);
  h.Run(&Holder::Set, c);
  auto read = h.RunAsync(&Holder::SleepThenRead, 100);
  std::this_thread::sleep_for(20ms);
  nu::migrate(c, 1); // waits for the Sleep inside; the Get follows it
  EXPECT_EQ(read.get(), 4);
  EXPECT_EQ(c.Run(&Counter::Where), 1u);
}

TEST_F(Migration, AMoveOfTheCallerWhileItWaits) {
  auto c = on<Counter>(3);
  c.Run(&Counter::Add, 4);
  auto h = on<Holder>(2);
  h.Run(&Holder::Set, c);
  auto read = h.RunAsync(&Holder::SleepThenRead, 100);
  std::this_thread::sleep_for(20ms);
  nu::migrate(h, 1); // the holder's call finishes first, then it moves
  EXPECT_EQ(read.get(), 4);
  EXPECT_EQ(h.Run(&Holder::Read), 4); // its handle works at the new node
}

TEST_F(Migration, BackAndForthKeepsStaleCachesWorking) {
  auto c = on<Counter>(2);
  nu::Proclet<Counter> stale;
  {
    nu::detail::NodeScope at3(&node(2));
    stale = c; // node 3's cache says node 2
    EXPECT_EQ(stale.Run(&Counter::Where), 2u);
  }
  for (nu::NodeId to : {3u, 1u, 2u, 3u, 1u})
    nu::migrate(c, to);
  nu::detail::NodeScope at3(&node(2));
  EXPECT_EQ(stale.Run(&Counter::Where), 1u);
  stale.reset();
}

TEST_F(Migration, WeakHandlesFollowToo) {
  auto c = on<Counter>(1);
  auto weak = c.get_weak();
  nu::migrate(c, 2);
  weak.Run(&Counter::Add, 3);
  EXPECT_EQ(weak.Run(&Counter::Get), 3);
}

TEST_F(Migration, HandlesInTheStateMoveAndLifetimeStillEnds) {
  int destroyed = counters_destroyed;
  {
    auto c = on<Counter>(3);
    c.Run(&Counter::Add, 9);
    auto h = on<Holder>(2);
    h.Run(&Holder::Set, c);
    c.reset();
    nu::migrate(h, 3);
    EXPECT_EQ(h.Run(&Holder::Read), 9);
  }
  // Every proclet is gone everywhere; the source's copy of the moved holder
  // dropped its handle too, without destroying what it held early.
  // (A slot leaves its node's table before its destructor runs: wait for
  // both.)
  EXPECT_TRUE(eventually([&] { return hosted() == 0; })) << hosted();
  EXPECT_TRUE(eventually([&] { return counters_destroyed >= destroyed + 1; }));
}

TEST_F(Migration, AnotherNodeCanMoveItAndDrainEmptiesANode) {
  nu::Proclet<Counter> cs[4];
  for (auto &c : cs)
    c = on<Counter>(2);
  auto pinned =
      nu::make_proclet<Counter>(ProcletOptions{.pinned = true, .node = 2});
  auto stats = node(2).request_move(cs[0].id(), 2, 1); // asked by node 3
  EXPECT_EQ(stats.from, 2u);
  EXPECT_EQ(stats.to, 1u);
  EXPECT_EQ(node(1).drain(), 3u);
  EXPECT_EQ(node(1).proclet_count(), 1u); // the pinned one
  for (auto &c : cs) {
    c.Run(&Counter::Add, 1);
    EXPECT_EQ(c.Run(&Counter::Get), 1);
    EXPECT_NE(c.Run(&Counter::Where), 2u);
  }
}

TEST_F(Migration, ClearErrorsAndTheProcletStays) {
  auto c = on<Counter>(2);
  auto pinned =
      nu::make_proclet<Counter>(ProcletOptions{.pinned = true, .node = 2});
  auto expect_error = [&](auto &&move, const std::string &part) {
    try {
      move();
      ADD_FAILURE() << "no error, expected: " << part;
    } catch (const nu::Error &e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << e.what();
    }
  };
  expect_error([&] { nu::migrate(pinned, 3); }, "is pinned");
  expect_error([&] { nu::migrate(c, 2); }, "is already on node 2");
  expect_error([&] { nu::migrate(c, 42); }, "there is no live node 42");
  expect_error([&] { nu::migrate(nu::Proclet<Counter>(), 2); },
               "the handle is empty");
  c.Run(&Counter::Add, 1);
  EXPECT_EQ(c.Run(&Counter::Where), 2u);
}

} // namespace
} // namespace nutest
