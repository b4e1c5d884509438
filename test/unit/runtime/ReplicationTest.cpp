// Replicated proclets on a real controller and three nodes (in-memory
// transport): backups apply every call, one takes over when the primary's
// node dies and calls go on exactly once; what replication refuses.
#include "replicate/Replication.hpp"
#include "ControlledCluster.hpp"
#include "TestProclets.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace nutest {
namespace {

using namespace std::chrono_literals;

class Replication : public ControlledCluster {
protected:
  void SetUp() override {
    ASSERT_TRUE(eventually([&] { // every node knows every other
      for (int i = 0; i < 3; ++i)
        if (node(i).nodes().size() != 3)
          return false;
      return true;
    }));
  }
  nu::detail::NodeScope scope_{&node(0)};
};

TEST_F(Replication, BackupsTakeOverAndCallsGoOnExactlyOnce) {
  auto c = nu::make_proclet<Counter>(
      nu::ProcletOptions{.node = 3, .replicas = 2}, 5);
  for (int i = 0; i < 100; ++i)
    c.Run(&Counter::Add, 1);
  EXPECT_EQ(node(0).backup_count() + node(1).backup_count(), 2u);
  nodes_[2].reset(); // node 3 dies with the primary
  for (int i = 0; i < 100; ++i)
    c.Run(&Counter::Add, 1); // sent again until a backup took over
  EXPECT_EQ(c.Run(&Counter::Get), 205);
  EXPECT_NE(c.Run(&Counter::Where), 3u);
  // The new primary found a backup among the nodes left.
  EXPECT_TRUE(eventually(
      [&] { return node(0).backup_count() + node(1).backup_count() == 1; }));
}

TEST_F(Replication, ABackupRepeatsNoCallToAnotherProclet) {
  auto sink = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1});
  auto holder =
      nu::make_proclet<Holder>(nu::ProcletOptions{.node = 2, .replicas = 1});
  holder.Run(&Holder::Set, sink);
  for (int i = 0; i < 20; ++i)
    holder.Run(&Holder::AddToHeld, 1);
  EXPECT_EQ(sink.Run(&Counter::Get), 20);
  nodes_[1].reset(); // the backup takes over: its copy holds the sink too
  holder.Run(&Holder::AddToHeld, 1);
  EXPECT_EQ(sink.Run(&Counter::Get), 21);
  EXPECT_EQ(holder.Run(&Holder::Read), 21);
}

TEST_F(Replication, ALostBackupIsReplacedWithoutFailingACall) {
  auto c = nu::make_proclet<Counter>(nu::ProcletOptions{.replicas = 1});
  c.Run(&Counter::Add, 1);
  int holder = node(1).backup_count() == 1 ? 1 : 2;
  nodes_[holder].reset();
  c.Run(&Counter::Add, 1);
  EXPECT_EQ(c.Run(&Counter::Get), 2);
  EXPECT_EQ(node(3 - holder).backup_count(), 1u);
}

// Two proclets on node 2 whose backups differ (their ids pick them): one
// moves onto its backup's node, the other next to its backup. Either way
// the backups follow the new primary: the old node's death changes
// nothing, the new one's makes a backup take over.
TEST_F(Replication, APrimaryMigratesAndItsBackupsFollowIt) {
  std::vector<nu::Proclet<Counter>> all, counters; // all: none dropped
  std::set<bool> on_node_1;
  for (int i = 0; i < 16 && on_node_1.size() < 2; ++i) {
    std::size_t before = node(0).backup_count();
    all.push_back(nu::make_proclet<Counter>(
        nu::ProcletOptions{.node = 2, .replicas = 1}));
    all.back().Run(&Counter::Add, 1);
    if (on_node_1.insert(node(0).backup_count() > before).second)
      counters.push_back(all.back());
  }
  ASSERT_EQ(counters.size(), 2u) << "every backup landed on the same node";
  std::size_t on_1 = node(0).backup_count(), on_3 = node(2).backup_count();
  for (auto &c : counters) {
    nu::migrate(c, 3);
    c.Run(&Counter::Add, 1);
    EXPECT_EQ(c.Run(&Counter::Where), 3u);
  }
  // The one that moved onto its backup's node has a new one: not on node
  // 2, which it came from.
  EXPECT_TRUE(eventually([&] {
    return node(0).backup_count() == on_1 + 1 &&
           node(2).backup_count() == on_3 - 1;
  }));
  nodes_[1].reset(); // node 2: a primary no more
  ASSERT_TRUE(eventually([&] { return node(0).nodes().size() == 2; }));
  std::this_thread::sleep_for(100ms); // a backup that claimed would have
  EXPECT_EQ(node(0).backup_count(), on_1 + 1);
  for (auto &c : counters) {
    c.Run(&Counter::Add, 1);
    EXPECT_EQ(c.Run(&Counter::Where), 3u);
  }
  nodes_[2].reset(); // node 3: the backups on node 1 take over
  for (auto &c : counters) {
    c.Run(&Counter::Add, 1);
    EXPECT_EQ(c.Run(&Counter::Get), 4);
    EXPECT_EQ(c.Run(&Counter::Where), 1u);
  }
}

// A primary that loses its backup moves on only with a new epoch granted
// by the controller. Without one it refuses the call, and says why; the
// call ran there, so the same call sent again is not answered as done (its
// operation is nowhere else) but told to try again, until it times out.
TEST_F(Replication, WithoutTheControllerAPrimaryThatLostItsBackupRefuses) {
  std::vector<nu::Proclet<Counter>> made; // until a backup is on node 2
  for (int i = 0; i < 16 && node(1).backup_count() == 0; ++i) {
    made.push_back(nu::make_proclet<Counter>(
        nu::ProcletOptions{.node = 3, .replicas = 1}));
    made.back().Run(&Counter::Add, 1);
  }
  ASSERT_EQ(node(1).backup_count(), 1u) << "no backup landed on node 2";
  auto c = made.back();
  service_.reset();  // the controller goes
  nodes_[1].reset(); // and so does node 2, with the backup
  EXPECT_THROW(c.Run(&Counter::Add, 1), nu::CallTimeout)
      << "a primary moved on without its backup";
}

TEST_F(Replication, DroppingTheLastHandleDropsTheBackups) {
  {
    auto c = nu::make_proclet<Counter>(nu::ProcletOptions{.replicas = 2});
    c.Run(&Counter::Add, 1);
    EXPECT_EQ(node(1).backup_count() + node(2).backup_count(), 2u);
  }
  EXPECT_TRUE(eventually(
      [&] { return node(1).backup_count() + node(2).backup_count() == 0; }));
}

TEST_F(Replication, WhatReplicationRefuses) {
  EXPECT_THROW(nu::make_proclet<Counter>(nu::ProcletOptions{.replicas = 4}),
               nu::Error);
  auto holder = nu::make_proclet<Holder>(nu::ProcletOptions{.replicas = 1});
  try {
    holder.Run(&Holder::MakeOne);
    ADD_FAILURE() << "a replicated method made a proclet";
  } catch (const nu::RemoteError &e) {
    EXPECT_NE(std::string(e.what()).find("cannot create proclets"),
              std::string::npos)
        << e.what();
  }
}

TEST(Completions, KeepTheLatestAndRefuseARecordThatDisagrees) {
  using nu::detail::CallTag;
  nu::detail::Completions kept;
  for (std::uint64_t i = 1; i <= nu::detail::Completions::kMaxCalls + 1; ++i)
    kept.add({1, i}, nu::detail::Bytes(1));
  EXPECT_EQ(kept.find({1, 1}), nullptr); // the oldest went
  ASSERT_NE(kept.find({1, 2}), nullptr);
  kept.add({2, 1}, nu::detail::Bytes(nu::detail::Completions::kMaxBytes + 1));
  EXPECT_EQ(kept.find({2, 1}), nullptr); // too big to keep
  // A seed whose order names a call it holds no reply for.
  std::deque<CallTag> order{{1, 1}, {1, 2}};
  std::map<CallTag, nu::detail::Bytes> replies{{{1, 1}, {}}, {{1, 3}, {}}};
  nu::detail::Bytes bytes;
  nu::detail::encode(bytes, nu::detail::SerialContext{}, order, replies);
  nu::detail::Completions loaded;
  nu::detail::Decoder in(bytes, nu::detail::SerialContext{});
  EXPECT_THROW(in(loaded), nu::detail::DecodeError);
}

} // namespace
} // namespace nutest
