// Distributed reference counting on both paths: a proclet is destroyed
// when its last handle anywhere is gone, and not before.
#include "Cluster.hpp"
#include "TestProclets.hpp"

namespace nutest {
namespace {

using Lifetime = PathTest;

std::size_t hosted(Cluster &c) {
  return c.a().proclet_count() + c.b().proclet_count();
}

TEST_P(Lifetime, LastHandleDestroys) {
  int before = counters_destroyed;
  auto c = nu::make_proclet<Counter>();
  auto copy = c;
  c.reset();
  EXPECT_EQ(copy.Run(&Counter::Get), 0);
  EXPECT_EQ(counters_destroyed, before);
  copy.reset();
  EXPECT_TRUE(eventually([&] { return counters_destroyed == before + 1; }));
  EXPECT_TRUE(eventually([&] { return hosted(cluster_) == 0; }));
}

TEST_P(Lifetime, HandleStoredInAnotherProclet) {
  int before = counters_destroyed;
  auto holder = nu::make_proclet<Holder>();
  {
    auto c = nu::make_proclet<Counter>(7);
    holder.Run(&Holder::Set, c);
  }
  EXPECT_EQ(holder.Run(&Holder::Read), 7);
  EXPECT_EQ(counters_destroyed, before);
  auto back = holder.Run(&Holder::Take);
  EXPECT_EQ(back.Run(&Counter::Get), 7);
  holder.reset();
  EXPECT_EQ(back.Run(&Counter::Get), 7) << "Take moved the handle out";
  back.reset();
  EXPECT_TRUE(eventually([&] { return counters_destroyed == before + 1; }));
  EXPECT_TRUE(eventually([&] { return hosted(cluster_) == 0; }));
}

TEST_P(Lifetime, HolderDestructionReleasesWhatItHolds) {
  int before = counters_destroyed;
  auto holder = nu::make_proclet<Holder>();
  holder.Run(&Holder::Set, nu::make_proclet<Counter>());
  holder.reset();
  EXPECT_TRUE(eventually([&] { return counters_destroyed == before + 1; }));
  EXPECT_TRUE(eventually([&] { return hosted(cluster_) == 0; }));
}

TEST_P(Lifetime, HandlePassedBackAndForthManyTimes) {
  // Each hop splits the weight: more hops than the weight has bits.
  auto holder = nu::make_proclet<Holder>();
  auto c = nu::make_proclet<Counter>(5);
  for (int i = 0; i < 100; ++i) {
    holder.Run(&Holder::Set, c);
    c = holder.Run(&Holder::Take);
  }
  EXPECT_EQ(c.Run(&Counter::Get), 5);
  int before = counters_destroyed;
  c.reset();
  holder.reset();
  EXPECT_TRUE(eventually([&] { return counters_destroyed == before + 1; }));
  EXPECT_TRUE(eventually([&] { return hosted(cluster_) == 0; }));
}

TEST_P(Lifetime, ThousandsOfHandlesInEveryDirection) {
  int before = counters_destroyed;
  std::vector<nu::Proclet<Holder>> holders;
  for (int i = 0; i < 20; ++i)
    holders.push_back(nu::make_proclet<Holder>(
        nu::ProcletOptions{.node = nu::NodeId(1 + i % 2)}));
  for (int i = 0; i < 1000; ++i) {
    auto c = nu::make_proclet<Counter>(
        nu::ProcletOptions{.node = nu::NodeId(1 + (i / 3) % 2)}, i);
    holders[i % 20].Run(&Holder::Set, c);
    holders[(i + 7) % 20].Run(&Holder::Set, holders[i % 20].Run(&Holder::Take));
  }
  holders.clear();
  EXPECT_TRUE(eventually([&] { return counters_destroyed == before + 1000; }));
  EXPECT_TRUE(eventually([&] { return hosted(cluster_) == 0; }));
}

INSTANTIATE_TEST_SUITE_P(Paths, Lifetime,
                         testing::Values(Path::Local, Path::Remote), path_name);

} // namespace
} // namespace nutest
