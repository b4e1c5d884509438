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
  // Node 2 leaves as a server node does on SIGTERM, and is gone.
  void node_2_leaves() {
    node(1).leave();
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

} // namespace
} // namespace nutest
