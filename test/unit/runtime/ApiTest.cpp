// The API a program writes against, compiled through nuc like user code, on
// three nodes in one process: overloaded methods picked by nu::overload,
// default arguments, random engines as state, local and remote alike.
#include "ControlledCluster.hpp"

#include <nu/migrate.hpp>
#include <nu/overload.hpp>

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nutest {
namespace {

// An exception type the program registers: callers catch it as itself.
struct Overdrawn : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class [[nu::proclet]] Box {
public:
  void Withdraw(long n) {
    if (n > value_)
      throw Overdrawn("short by " + std::to_string(n - value_));
    value_ -= n;
  }
  void Fail() { throw std::logic_error("not registered"); }
  long Get() const { return value_; }
  void Add(long n) { value_ += n; }
  void Add(long n, long times) { value_ += n * times; }
  long Scale(long factor = 2) { return value_ *= factor; }
  nu::Proclet<Box> Self() const { return nu::get_current_proclet(this); }

private:
  long value_ = 0;
};

// Draws from a seeded engine through a distribution: both are state.
class [[nu::proclet]] Dice {
public:
  explicit Dice(unsigned long seed) : engine_(seed) {}
  std::vector<double> Draw(int n) {
    std::vector<double> out;
    for (int i = 0; i < n; ++i)
      out.push_back(noise_(engine_) + static_cast<double>(die_(engine_)));
    return out;
  }

private:
  std::mt19937_64 engine_;
  std::normal_distribution<double> noise_{0.0, 1.0};
  std::uniform_int_distribution<int> die_{1, 6};
};

class Api : public ControlledCluster {
protected:
  Api() {
    EXPECT_TRUE(eventually([&] { return node(0).nodes().size() == 3; }));
  }
  nu::detail::NodeScope scope_{&node(0)};
};

TEST_F(Api, OverloadsArePickedByTheirParameterTypes) {
  for (nu::NodeId where : {1u, 2u}) {
    auto box = nu::make_proclet<Box>(nu::ProcletOptions{.node = where});
    box.Run(nu::overload<long>(&Box::Add), 5L);
    box.Run(nu::overload<long, long>(&Box::Add), 2L, 3);
    box.RunAsync(nu::overload<long>(&Box::Add), 1L).get();
    EXPECT_EQ(box.Run(nu::overload<>(&Box::Get)), 12) << "on node " << where;
    // A default argument is not part of a member pointer: pass it.
    EXPECT_EQ(box.Run(&Box::Scale, 2L), 24) << "on node " << where;
  }
}

TEST_F(Api, AProcletGetsItsOwnHandle) {
  for (nu::NodeId where : {1u, 2u}) {
    auto box = nu::make_proclet<Box>(nu::ProcletOptions{.node = where});
    box.Run(nu::overload<long>(&Box::Add), 3L);
    nu::Proclet<Box> self = box.Run(&Box::Self);
    EXPECT_EQ(self, box);
    box.reset(); // the handle it gave out keeps it alive
    EXPECT_EQ(self.Run(nu::overload<>(&Box::Get)), 3) << "on node " << where;
  }
  Box plain;
  EXPECT_THROW(nu::get_current_proclet(&plain), nu::Error);
}

TEST_F(Api, RegisteredExceptionsArriveAsThemselves) {
  nu::register_exception<Overdrawn>();
  for (nu::NodeId where : {1u, 2u}) {
    auto box = nu::make_proclet<Box>(nu::ProcletOptions{.node = where});
    box.Run(nu::overload<long>(&Box::Add), 2L);
    try {
      box.Run(&Box::Withdraw, 5L);
      ADD_FAILURE() << "no exception";
    } catch (const Overdrawn &e) {
      EXPECT_STREQ(e.what(), "short by 3") << "on node " << where;
    }
    EXPECT_THROW(box.RunAsync(&Box::Withdraw, 5L).get(), Overdrawn);
    EXPECT_THROW(box.Run([](Box &b) { b.Withdraw(9); }), Overdrawn);
    try { // the rest stay nu::RemoteError
      box.Run(&Box::Fail);
      ADD_FAILURE() << "no exception";
    } catch (const nu::RemoteError &e) {
      EXPECT_EQ(e.type_name(), "std::logic_error");
    }
  }
}

// A moved proclet's engine and distribution go on where they were: the
// draws across two migrations are those of one unmoved stream.
TEST_F(Api, RandomEnginesAndDistributionsMigrate) {
  std::mt19937_64 engine(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_int_distribution<int> die(1, 6);
  std::vector<double> expected;
  for (int i = 0; i < 30; ++i)
    expected.push_back(noise(engine) + static_cast<double>(die(engine)));

  auto dice = nu::make_proclet<Dice>(nu::ProcletOptions{.node = 2}, 7UL);
  std::vector<double> drawn = dice.Run(&Dice::Draw, 5); // odd: one kept
  nu::migrate(dice, 3);
  for (double d : dice.Run(&Dice::Draw, 11))
    drawn.push_back(d);
  nu::migrate(dice, 1);
  for (double d : dice.Run(&Dice::Draw, 14))
    drawn.push_back(d);
  EXPECT_EQ(drawn, expected);
}

} // namespace
} // namespace nutest
