// nu::main: runs the function in the main proclet on a fresh node and
// returns its exit code; bad flags and escaping exceptions are reported.
#include "TestProclets.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace {

int run(std::vector<std::string> args, std::function<int(int, char **)> fn) {
  std::vector<char *> argv;
  for (auto &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  return nu::main(static_cast<int>(args.size()), argv.data(), fn);
}

TEST(Main, RunsFunctionAndReturnsItsCode) {
  int seen_argc = 0;
  int code = run({"app", "--nu-workers=2", "arg"}, [&](int argc, char **) {
    seen_argc = argc;
    auto c = nu::make_proclet<nutest::Counter>(41);
    c.Run(&nutest::Counter::Add, 1);
    EXPECT_EQ(nu::nodes(), std::vector<nu::NodeId>{nu::this_node()});
    int from_thread = 0;
    std::thread t([&] { from_thread = c.Run(&nutest::Counter::Get); });
    t.join();
    return from_thread;
  });
  EXPECT_EQ(code, 42);
  EXPECT_EQ(seen_argc, 2);
}

TEST(Main, TheProcessArgumentsAndStatsOfTheNode) {
  std::vector<std::string> seen;
  nu::NodeStats stats;
  run({"app", "--port", "--nu-workers=2", "6380"}, [&](int, char **) {
    seen = nu::process_args();
    nu::set_memory_limit(512 << 20);
    auto c = nu::make_proclet<nutest::Counter>(1);
    stats = nu::node_stats();
    return 0;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"app", "--port", "6380"}));
  EXPECT_EQ(stats.node, 1u);
  EXPECT_EQ(stats.proclets, 2u) << "the main proclet and the counter";
  EXPECT_EQ(stats.migrations, 0u);
  EXPECT_GT(stats.rss, 0u);
  EXPECT_EQ(stats.mem_limit, 512u << 20);
}

TEST(Main, VoidFunctionReturnsZero) {
  std::vector<std::string> args{"app"};
  char *argv[] = {args[0].data(), nullptr};
  EXPECT_EQ(nu::main(1, argv, [] {}), 0);
}

TEST(Main, BadFlagIsExitCodeTwo) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run({"app", "--nu-nope"}, [](int, char **) { return 0; }), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("unknown flag"),
            std::string::npos);
}

TEST(Main, EscapingExceptionIsExitCodeOne) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(run({"app"},
                [](int, char **) -> int { throw std::runtime_error("boom"); }),
            1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("boom"),
            std::string::npos);
}

TEST(Main, NoRuntimeOutsideMain) {
  EXPECT_THROW(nu::make_proclet<nutest::Counter>(), nu::Error);
}

// A handle kept past nu::main is a clear error to call, not a crash, and
// frees itself.
TEST(Main, HandlesOutlivingMainAreAClearError) {
  nu::Proclet<nutest::Counter> kept;
  run({"app"}, [&](int, char **) {
    kept = nu::make_proclet<nutest::Counter>(1);
    return 0;
  });
  try {
    kept.Run(&nutest::Counter::Get);
    ADD_FAILURE() << "a call after nu::main returned did not throw";
  } catch (const nu::Error &e) {
    EXPECT_NE(std::string(e.what()).find("nu::main returned"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(kept.RunAsync(&nutest::Counter::Get), nu::Error);
  EXPECT_THROW(kept.Run([](nutest::Counter &c) { return c.Get(); }), nu::Error);
  EXPECT_THROW(nu::make_proclet<nutest::Counter>(), nu::Error);
  kept.reset();
}

} // namespace
