// A node leaving the logical process gracefully (SIGTERM on a server node):
// the calls it relays for proclets that moved away are answered first.
#include "ControlledCluster.hpp"
#include "TestProclets.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace nutest {
namespace {

class NodeLeave : public ControlledCluster {
protected:
  NodeLeave() {
    EXPECT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  }
  // A counter on node 2, moved to node 3 behind node 1's back: node 1's
  // calls to it go to node 2, which relays them.
  nu::Proclet<Counter> moved_behind_the_callers_back() {
    auto c = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
    c.Run(&Counter::Add, 1);
    node(1).migrate(c.id(), 3);
    return c;
  }
  // Node 2 leaves as a server node does on SIGTERM, and is gone; with
  // \p move_late, after draining (what arrived meanwhile moves too).
  void node_2_leaves(bool move_late = false) {
    node(1).leave(move_late);
    nodes_[1].reset();
  }

  nu::detail::NodeScope scope_{&node(0)};
};

TEST_F(NodeLeave, CallsItRelaysAreAnsweredBeforeItGoes) {
  auto c = moved_behind_the_callers_back();
  std::vector<nu::Future<void>> slow;
  for (int i = 0; i < 4; ++i)
    slow.push_back(c.RunAsync(&Counter::Sleep, 300));
  std::this_thread::sleep_for(50ms); // relayed, not answered yet
  node_2_leaves();
  for (auto &f : slow)
    EXPECT_NO_THROW(f.get());
  EXPECT_EQ(c.Run(&Counter::Get), 1);
  EXPECT_EQ(c.Run(&Counter::Where), 3u);
}

// Calls keep coming to the leaving node (each counter's first call goes
// there) before, while and after it leaves, which a slow relayed call
// makes last: every one is run, once.
TEST_F(NodeLeave, CallsSentWhileItLeavesAreRunOnce) {
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < 60; ++i)
    counters.push_back(moved_behind_the_callers_back());
  auto slow = counters[0].RunAsync(&Counter::Sleep, 300);
  std::thread caller([&] {
    nu::detail::NodeScope scope(&node(0));
    for (std::size_t i = 1; i < counters.size(); ++i) {
      EXPECT_NO_THROW(counters[i].Run(&Counter::Add, 1)) << "counter " << i;
      std::this_thread::sleep_for(6ms);
    }
  });
  std::this_thread::sleep_for(50ms);
  node_2_leaves();
  EXPECT_NO_THROW(slow.get());
  counters[0].Run(&Counter::Add, 1);
  caller.join();
  for (auto &c : counters)
    EXPECT_EQ(c.Run(&Counter::Get), 2) << "counter " << c.id();
}

// A node that said GoAway is called no more until the controller lists it
// as gone; from then on it is an ordinary departed node, which the
// controller may list as live again.
TEST_F(NodeLeave, ItIsForgottenOnceTheControllerListsItGone) {
  auto kept = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
  kept.Run(&Counter::Add, 1); // node 1 calls node 2: it is told to go away
  node_2_leaves();            // and kept is lost with it
  auto why = [&]() -> std::string {
    try {
      kept.Run(&Counter::Get);
    } catch (const nu::ProcletUnavailable &e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_TRUE(eventually([&] {
    return why().find("node 2 is dead or left the logical process") !=
           std::string::npos;
  })) << why();
}

// A stopped server node moves what it hosts to the other nodes before it
// leaves (SIGTERM's drain): nothing it hosted is lost.
TEST_F(NodeLeave, AStoppedNodeMovesItsProcletsAwayFirst) {
  std::vector<nu::Proclet<Counter>> counters;
  for (int i = 0; i < 12; ++i) {
    counters.push_back(
        nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2}));
    counters.back().Run(&Counter::Add, i);
  }
  auto r = node(1).drain_before_leaving({});
  EXPECT_EQ(r.moved, counters.size());
  EXPECT_EQ(r.failed, 0u) << r.first_error;
  EXPECT_TRUE(node(1).movable_proclets().empty());
  node_2_leaves(true);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(counters[i].Run(&Counter::Get), i);
    EXPECT_NE(counters[i].Run(&Counter::Where), 2u);
  }
}

// Proclets keep being created (by node 1, whose placement lease named node
// 2 before it said it was leaving) while node 2 drains and leaves: each is
// still there afterwards.
TEST_F(NodeLeave, ProcletsCreatedWhileItDrainsAreNotLost) {
  std::atomic<bool> stop{false};
  std::vector<nu::Proclet<Counter>> created;
  std::thread creator([&] {
    nu::detail::NodeScope scope(&node(0));
    while (!stop) {
      created.push_back(nu::make_proclet<Counter>());
      created.back().Run(&Counter::Add, 1);
    }
  });
  EXPECT_TRUE(
      eventually([&] { return node(1).movable_proclets().size() > 5; }));
  auto r = node(1).drain_before_leaving({});
  EXPECT_GT(r.moved, 0u);
  node_2_leaves(true);
  stop = true;
  creator.join();
  for (auto &c : created)
    EXPECT_EQ(c.Run(&Counter::Get), 1) << "counter " << c.id();
}

// A proclet created on node 2 after its drain (by a node that does not
// know yet that it is leaving) moves when it leaves.
TEST_F(NodeLeave, AProcletCreatedThereAfterTheDrainMovesWhenItLeaves) {
  EXPECT_EQ(node(1).drain_before_leaving({}).moved, 0u);
  auto late = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
  late.Run(&Counter::Add, 7);
  ASSERT_EQ(late.Run(&Counter::Where), 2u);
  node_2_leaves(true);
  EXPECT_EQ(late.Run(&Counter::Get), 7);
  EXPECT_NE(late.Run(&Counter::Where), 2u);
}

// Once a node drains to leave, nothing is moved to it: the mover gets an
// error saying why, and the proclet stays where it was.
TEST_F(NodeLeave, ANodeDrainingToLeaveTakesNoMoves) {
  auto c = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2});
  c.Run(&Counter::Add, 5);
  node(2).drain_before_leaving({});
  try {
    node(1).migrate(c.id(), 3);
    ADD_FAILURE() << "moved to a node that is leaving";
  } catch (const nu::Error &e) {
    EXPECT_NE(std::string(e.what()).find("node 3 is leaving"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(c.Run(&Counter::Get), 5);
  EXPECT_EQ(c.Run(&Counter::Where), 2u);
}

// A stop requested before the drain starts ends it at once: what did not
// move is reported.
TEST_F(NodeLeave, ADrainThatIsCutShortSaysWhatIsLeft) {
  std::vector<nu::Proclet<Counter>> kept;
  for (int i = 0; i < 3; ++i)
    kept.push_back(nu::make_proclet<Counter>(nu::ProcletOptions{.node = 2}));
  std::stop_source cut;
  cut.request_stop();
  auto r = node(1).drain_before_leaving(cut.get_token());
  EXPECT_EQ(r.moved, 0u);
  EXPECT_EQ(r.failed, 3u);
  EXPECT_EQ(r.first_error, "stopped before they moved");
}

} // namespace
} // namespace nutest
