// Tests of nu's logging: level names, one level for every component, and
// the rate limit for lines a peer can trigger.
#include "nu/log/log.hpp"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace nu::log {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimit::Clock;

TEST(LogLevel, NamesParse) {
  EXPECT_EQ(parse_level("trace"), Level::trace);
  EXPECT_EQ(parse_level("warn"), Level::warn);
  EXPECT_EQ(parse_level("error"), Level::err);
  EXPECT_EQ(parse_level("off"), Level::off);
  EXPECT_EQ(parse_level("loud"), std::nullopt);
  EXPECT_EQ(parse_level(""), std::nullopt);
}

TEST(LogLevel, AppliesToPresentAndFutureLoggers) {
  auto before = level();
  auto &early = get("test-early");
  set_level(Level::err);
  EXPECT_FALSE(early.should_log(Level::warn));
  EXPECT_FALSE(get("test-late").should_log(Level::warn));
  EXPECT_TRUE(get("test-late").should_log(Level::err));
  set_level(before);
  EXPECT_EQ(&get("test-early"), &early) << "one logger per component";
}

TEST(RateLimit, LetsABurstThroughThenCountsTheRest) {
  RateLimit limit(1s, 2);
  auto t = Clock::now();
  std::uint64_t suppressed = 99;
  EXPECT_TRUE(limit.allow(suppressed, t));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(limit.allow(suppressed, t + 1ms));
  for (int i = 0; i < 1000; ++i)
    EXPECT_FALSE(limit.allow(suppressed, t + 999ms));
  EXPECT_TRUE(limit.allow(suppressed, t + 1s));
  EXPECT_EQ(suppressed, 1000u);
  EXPECT_TRUE(limit.allow(suppressed, t + 1001ms));
  EXPECT_EQ(suppressed, 0u);
}

TEST(RateLimit, LimitedLinesSayHowManyWereHeldBack) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("test", sink);
  logger.set_pattern("%v");
  RateLimit limit(1h, 1);
  for (int i = 0; i < 100; ++i)
    limited(limit, logger, Level::warn, "line {}", i);
  EXPECT_EQ(out.str(), "line 0\n");
}

} // namespace
} // namespace nu::log
