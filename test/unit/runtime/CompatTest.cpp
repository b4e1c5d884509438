// The compatibility header for programs written against the original Nu
// code base: run/run_async, constructor arguments as a tuple,
// runtime_main_init.
#include "TestProclets.hpp"

#include <nu/compat.hpp>

#include <gtest/gtest.h>

namespace {

TEST(Compat, OriginalSpellings) {
  std::string name = "app";
  char *argv[] = {name.data(), nullptr};
  int code = nu::runtime_main_init(1, argv, [](int argc, char **) {
    int start = 40;
    auto c = nu::make_proclet<nutest::Counter>(std::forward_as_tuple(start));
    auto pinned =
        nu::make_proclet<nutest::Counter>(std::make_tuple(1), /*pinned=*/true);
    c.run(&nutest::Counter::Add, 1);
    auto f = c.run_async(+[](nutest::Counter &k) { return k.Get(); });
    EXPECT_EQ(pinned.run(&nutest::Counter::Get), 1);
    return f.get() + argc;
  });
  EXPECT_EQ(code, 42);
}

} // namespace
