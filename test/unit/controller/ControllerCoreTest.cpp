// ControllerCore: a node's death and departure, and a controller restart
// rebuilt from the nodes' reports giving the same answers as before.
#include "ControllerCore.hpp"
#include "TestNodes.hpp"

#include <gtest/gtest.h>

#include <map>

namespace nu::controller {
namespace {

using namespace std::chrono_literals;
using test::at;
using test::hello;
using test::kGiB;

// What the nodes themselves know: the proclets they host, with epochs,
// and the ranges they were granted.
struct NodeMemory {
  std::map<ProcletId, std::uint64_t> proclets;
  IdRange range;
  ProcletId next = 0;
};

TEST(ControllerCore, ExpireDropsADeadNodesProclets) {
  ControllerCore core;
  NodeId a = *core.nodes().join(hello(5001), at(0));
  NodeId b = *core.nodes().join(hello(5002), at(0));
  ASSERT_TRUE(core.locations().update(10, a, 1));
  ASSERT_TRUE(core.locations().update(11, b, 1));
  ASSERT_TRUE(core.nodes().heartbeat(b, Load{kGiB, 0, 1}, at(4)));
  auto lost = core.expire(at(6));
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].id, a);
  EXPECT_EQ(lost[0].proclets, std::vector<ProcletId>{10});
  EXPECT_FALSE(core.locations().resolve(10));
  EXPECT_EQ(core.locations().resolve(11)->node, b);
  EXPECT_EQ(*core.placement().place({}), b);
}

TEST(ControllerCore, LeaveDropsTheNodesProclets) {
  ControllerCore core;
  NodeId a = *core.nodes().join(hello(5001), at(0));
  ASSERT_TRUE(core.locations().update(10, a, 1));
  EXPECT_EQ(*core.leave(a), std::vector<ProcletId>{10});
  EXPECT_EQ(core.leave(99).failure().code, Errc::unknown_node);
}

TEST(ControllerCore, RestartRebuildsTheSameAnswers) {
  ControllerCore before(ControllerOptions{{}, 1000, 5s});
  std::map<NodeId, NodeMemory> memory;
  for (int port = 5001; port <= 5003; ++port) {
    NodeId id = *before.nodes().join(hello(port), at(0));
    memory[id].range = *before.ids().grant();
    memory[id].next = memory[id].range.begin;
  }
  // 300 proclets placed by the controller, numbered by the node's range.
  for (int i = 0; i < 300; ++i) {
    NodeId node = *before.placement().place({});
    ProcletId id = memory[node].next++;
    memory[node].proclets[id] = 1;
    ASSERT_TRUE(before.locations().update(id, node, 1));
  }
  // Some migrate from node 1 to node 2 (epoch 2); one is destroyed.
  std::vector<ProcletId> moving;
  for (auto [id, epoch] : memory[1].proclets)
    if (moving.size() < 10)
      moving.push_back(id);
  for (ProcletId id : moving) {
    memory[1].proclets.erase(id);
    memory[2].proclets[id] = 2;
    ASSERT_TRUE(before.locations().update(id, 2, 2));
  }
  ProcletId destroyed = memory[3].proclets.begin()->first;
  memory[3].proclets.erase(destroyed);
  ASSERT_TRUE(before.locations().remove(destroyed));

  // The controller restarts; every node re-registers with what it knows.
  ControllerCore after(ControllerOptions{{}, 1000, 5s});
  for (auto &[node, known] : memory) {
    NodeReport report{node,
                      hello(5000 + static_cast<int>(node)),
                      Load{16 * kGiB, 0, known.proclets.size()},
                      known.next - 1,
                      {}};
    for (auto [id, epoch] : known.proclets)
      report.proclets.push_back(ProcletReport{id, epoch});
    auto rebuilt = after.rejoin(report, at(1));
    ASSERT_TRUE(rebuilt) << rebuilt.failure().message;
    EXPECT_EQ(rebuilt->applied, known.proclets.size());
  }

  EXPECT_EQ(after.locations().size(), before.locations().size());
  for (ProcletId id = 1; id < 3000; ++id) {
    auto old_answer = before.locations().resolve(id);
    auto new_answer = after.locations().resolve(id);
    ASSERT_EQ(old_answer.ok(), new_answer.ok()) << "proclet " << id;
    if (old_answer) {
      EXPECT_EQ(*old_answer, *new_answer) << "proclet " << id;
    }
  }
  EXPECT_EQ(after.nodes().live_count(), 3u);
  // New ranges overlap none the nodes still hold; new nodes get new ids.
  IdRange next = *after.ids().grant();
  for (auto &[node, known] : memory)
    EXPECT_GE(next.begin, known.range.end);
  EXPECT_EQ(*after.nodes().join(hello(5004), at(1)), 4u);
}

TEST(ControllerCore, RejoinErrorsComeBackAsValues) {
  ControllerCore core;
  ASSERT_TRUE(core.nodes().join(hello(5001, "X"), at(0)));
  NodeReport report{2, hello(5002, "Y"), Load{}, 0, {}};
  auto refused = core.rejoin(report, at(0));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().code, Errc::binary_mismatch);
}

TEST(ControllerCore, ErrcNames) {
  EXPECT_EQ(to_string(Errc::unknown_node), "unknown_node");
  EXPECT_EQ(to_string(Errc::ids_exhausted), "ids_exhausted");
  EXPECT_EQ(to_string(Errc::permission_denied), "permission_denied");
  std::error_code denied = Errc::permission_denied;
  EXPECT_STREQ(denied.category().name(), "nu.controller");
  EXPECT_EQ(denied.message(), "permission_denied");
  EXPECT_EQ(errc_of(denied), Errc::permission_denied);
}

} // namespace
} // namespace nu::controller
