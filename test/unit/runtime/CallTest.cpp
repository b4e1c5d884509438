// Run and RunAsync with methods and closures, on both paths: results of
// many types, shipped arguments, placement.
#include "Cluster.hpp"
#include "TestProclets.hpp"

namespace nutest {
namespace {

using Calls = PathTest;

TEST_P(Calls, MethodsReturnValues) {
  auto c = nu::make_proclet<Counter>(10);
  c.Run(&Counter::Add, 5);
  EXPECT_EQ(c.Run(&Counter::Get), 15);
  EXPECT_EQ(c.Run(&Counter::Echo, "hi"), "hi!");
  EXPECT_EQ(c.Run(&Counter::Range, 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(c.Run(&Counter::Maybe, true), 15);
  EXPECT_EQ(c.Run(&Counter::Maybe, false), std::nullopt);
}

TEST_P(Calls, ProcletLivesWherePlaced) {
  auto c = nu::make_proclet<Counter>();
  EXPECT_EQ(c.Run(&Counter::Where), remote() ? 2u : 1u);
  auto here = nu::make_proclet<Counter>(nu::ProcletOptions{.node = 1});
  EXPECT_EQ(here.Run(&Counter::Where), 1u);
  EXPECT_THROW(nu::make_proclet<Counter>(nu::ProcletOptions{.node = 9}),
               nu::Error);
}

TEST_P(Calls, ClosuresWithAndWithoutUnaryPlus) {
  auto c = nu::make_proclet<Counter>(1);
  EXPECT_EQ(c.Run([](Counter &k) { return k.Get() + 1; }), 2);
  EXPECT_EQ(c.Run(
                +[](Counter &k, int n) {
                  k.Add(n);
                  return k.Get();
                },
                4),
            5);
  EXPECT_EQ(c.Run([](Counter &k, std::string s) { return k.Echo(s); }, "x"),
            "x!");
  EXPECT_EQ(c.Run([](auto &k, auto n) { return k.Get() * n; }, 3), 15);
}

// A handle is a name, like shared_ptr: calls go through const ones too.
TEST_P(Calls, ConstHandlesAreCallable) {
  const auto c = nu::make_proclet<Counter>(3);
  const nu::WeakProclet<Counter> w = c.get_weak();
  auto twice = [](const nu::Proclet<Counter> &p) {
    return p.Run(&Counter::Get) + p.RunAsync(&Counter::Get).get();
  };
  EXPECT_EQ(twice(c), 6);
  c.Run(&Counter::Add, 1);
  EXPECT_EQ(c.Run([](Counter &k) { return k.Get(); }), 4);
  EXPECT_EQ(c.RunAsync([](Counter &k, int n) { return k.Get() * n; }, 2).get(),
            8);
  EXPECT_EQ(w.Run(&Counter::Get), 4);
  EXPECT_EQ(w.RunAsync(&Counter::Get).get(), 4);
}

// Where the parameter types are not known, a string literal travels as
// std::string: to a constructor, and to a generic closure.
TEST_P(Calls, StringLiteralsTravelAsStrings) {
  auto c = nu::make_proclet<Counter>("41");
  EXPECT_EQ(c.Run(&Counter::Get), 41);
  EXPECT_EQ(c.Run([](Counter &, auto text) { return text + "!"; }, "hi"),
            "hi!");
  EXPECT_EQ(
      c.RunAsync([](Counter &, auto text) { return text.size(); }, "abc").get(),
      3u);
}

TEST_P(Calls, WhenAllGathersResultsInOrder) {
  auto c = nu::make_proclet<Counter>(1);
  std::vector<nu::Future<std::string>> echoes;
  for (int i = 0; i < 5; ++i)
    echoes.push_back(c.RunAsync(&Counter::Echo, std::to_string(i)));
  EXPECT_EQ(nu::when_all(std::move(echoes)).get(),
            (std::vector<std::string>{"0!", "1!", "2!", "3!", "4!"}));
  std::vector<nu::Future<void>> adds;
  for (int i = 0; i < 3; ++i)
    adds.push_back(c.RunAsync(&Counter::Add, 1));
  nu::when_all(std::move(adds)).get();
  EXPECT_EQ(c.Run(&Counter::Get), 4);
  EXPECT_TRUE(nu::when_all(std::vector<nu::Future<int>>{}).get().empty());
}

TEST_P(Calls, WhenAllFailsWithTheFirstFailure) {
  auto c = nu::make_proclet<Counter>(1);
  std::vector<nu::Future<void>> calls;
  calls.push_back(c.RunAsync(&Counter::Add, 1));
  calls.push_back(c.RunAsync(&Counter::Throw, "first"));
  calls.push_back(c.RunAsync(&Counter::Throw, "second"));
  try {
    nu::when_all(std::move(calls)).get();
    ADD_FAILURE() << "when_all did not fail";
  } catch (const nu::RemoteError &e) {
    EXPECT_STREQ(e.what(), "first");
  }
  EXPECT_THROW(nu::when_all(std::vector<nu::Future<int>>(1)), nu::Error);
}

TEST_P(Calls, WhenAnyIsTheFirstReady) {
  auto c = nu::make_proclet<Counter>(1);
  std::vector<nu::Future<int>> race;
  race.push_back(c.RunAsync([](Counter &k) {
    k.Sleep(300);
    return 1;
  }));
  race.push_back(c.RunAsync([](Counter &) { return 2; }));
  EXPECT_EQ(nu::when_any(race).get(), 1u);
  EXPECT_EQ(race[1].get(), 2);
  EXPECT_EQ(race[0].get(), 1);
  EXPECT_THROW(nu::when_any(std::vector<nu::Future<int>>{}), nu::Error);
}

TEST_P(Calls, HandleAsClosureArgument) { // the paper's Figure 4
  auto p1 = nu::make_proclet<Counter>(10);
  auto p2 = nu::make_proclet<Counter>(10);
  p1.Run(
      +[](Counter &a, nu::Proclet<Counter> p) { a.Add(p.Run(&Counter::Get)); },
      p2);
  EXPECT_EQ(p1.Run(&Counter::Get), 20);
}

TEST_P(Calls, AsyncMethodsAndClosures) {
  auto c = nu::make_proclet<Counter>(10);
  nu::Future<int> f1 = c.RunAsync(&Counter::Get);
  EXPECT_EQ(f1.get(), 10);
  nu::Future<void> f2 = c.RunAsync(&Counter::Add, 1);
  f2.get();
  auto f3 = c.RunAsync(
      +[](Counter &k, int n) { return k.Get() + n; }, 5);
  EXPECT_EQ(f3.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(f3.ready());
  EXPECT_EQ(f3.get(), 16);
  EXPECT_FALSE(f3.valid());
  auto f4 = c.RunAsync([](Counter &k) { k.Add(1); });
  f4.wait();
  f4.get();
  EXPECT_EQ(c.Run(&Counter::Get), 12);
}

TEST_P(Calls, ArgumentsAreCopiedIntoTheCallee) {
  auto c = nu::make_proclet<Counter>();
  std::vector<int> v{1, 2, 3};
  EXPECT_NE(c.Run(&Counter::AddressOf, v),
            reinterpret_cast<std::uintptr_t>(&v));
}

TEST_P(Calls, ManyThreadsHammerOneProclet) {
  auto c = nu::make_proclet<Counter>();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([c]() mutable {
      for (int i = 0; i < 500; ++i)
        c.Run(&Counter::Add, 1);
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(c.Run(&Counter::Get), 4000);
}

TEST_P(Calls, TwentyThousandOutstandingCalls) {
  auto c = nu::make_proclet<Counter>();
  std::vector<nu::Future<void>> futures;
  for (int i = 0; i < 20000; ++i)
    futures.push_back(c.RunAsync(&Counter::Add, 1));
  for (auto &f : futures)
    f.get();
  EXPECT_EQ(c.Run(&Counter::Get), 20000);
}

TEST_P(Calls, DeepChainAcrossNodes) {
  std::vector<nu::Proclet<Link>> links;
  for (int i = 0; i < 64; ++i) // alternate nodes: every hop is remote
    links.push_back(nu::make_proclet<Link>(nu::ProcletOptions{
        .node = remote() ? nu::NodeId(1 + i % 2) : nu::NodeId(1)}));
  for (int i = 0; i + 1 < 64; ++i)
    links[i].Run(&Link::SetNext, links[i + 1]);
  EXPECT_EQ(links[0].Run(&Link::Depth), 64);
  auto f = links[0].RunAsync(&Link::Depth);
  EXPECT_EQ(links[1].Run(&Link::Depth), 63);
  EXPECT_EQ(f.get(), 64);
}

INSTANTIATE_TEST_SUITE_P(Paths, Calls,
                         testing::Values(Path::Local, Path::Remote), path_name);

} // namespace
} // namespace nutest
