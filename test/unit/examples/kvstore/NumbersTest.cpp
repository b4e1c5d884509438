// Strict integers (Redis's string2ll), memory sizes (memtoll) and glob
// patterns (stringmatchlen).
#include "Numbers.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace {

using kv::parse_int64;

TEST(ParseInt64, AcceptsWhatRedisAccepts) {
  EXPECT_EQ(parse_int64("0"), 0);
  EXPECT_EQ(parse_int64("7"), 7);
  EXPECT_EQ(parse_int64("-15"), -15);
  EXPECT_EQ(parse_int64("9223372036854775807"),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_int64("-9223372036854775808"),
            std::numeric_limits<std::int64_t>::min());
}

TEST(ParseInt64, RejectsTheRest) {
  for (std::string_view bad :
       {"", "-", "+1", " 1", "1 ", "01", "-0", "00", "1.0", "1e3", "0x10",
        "abc", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999", "123456789012345678901"})
    EXPECT_EQ(parse_int64(bad), std::nullopt) << "'" << bad << "'";
}

TEST(ParseMemory, UnitsAsRedisReadsThem) {
  EXPECT_EQ(kv::parse_memory("0"), 0u);
  EXPECT_EQ(kv::parse_memory("123"), 123u);
  EXPECT_EQ(kv::parse_memory("5b"), 5u);
  EXPECT_EQ(kv::parse_memory("2k"), 2000u);
  EXPECT_EQ(kv::parse_memory("2KB"), 2048u);
  EXPECT_EQ(kv::parse_memory("3m"), 3000000u);
  EXPECT_EQ(kv::parse_memory("64mb"), 64u << 20);
  EXPECT_EQ(kv::parse_memory("1g"), 1000000000u);
  EXPECT_EQ(kv::parse_memory("1Gb"), 1u << 30);
  for (std::string_view bad :
       {"", "mb", "-1", "1tb", "1.5gb", "12 mb", "x", "99999999999gb"})
    EXPECT_EQ(kv::parse_memory(bad), std::nullopt) << "'" << bad << "'";
}

TEST(CheckedAdd, Overflows) {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(kv::checked_add(max - 1, 1), max);
  EXPECT_EQ(kv::checked_add(max, 1), std::nullopt);
  EXPECT_EQ(kv::checked_add(-max - 1, -1), std::nullopt);
}

TEST(GlobMatch, Patterns) {
  using kv::glob_match;
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("save", "save"));
  EXPECT_FALSE(glob_match("save", "saves"));
  EXPECT_TRUE(glob_match("nu-*", "nu-mem-limit"));
  EXPECT_TRUE(glob_match("*mem*", "nu-mem-limit"));
  EXPECT_FALSE(glob_match("*mem", "nu-mem-limit"));
  EXPECT_TRUE(glob_match("s?ve", "save"));
  EXPECT_FALSE(glob_match("s?ve", "sve"));
  EXPECT_TRUE(glob_match("[abc]x", "bx"));
  EXPECT_FALSE(glob_match("[^abc]x", "bx"));
  EXPECT_TRUE(glob_match("[a-c]x", "cx"));
  EXPECT_TRUE(glob_match("a\\*", "a*"));
  EXPECT_FALSE(glob_match("a\\*", "ab"));
  EXPECT_FALSE(glob_match("SAVE", "save"));
  EXPECT_TRUE(glob_match("SAVE", "save", true));
  EXPECT_TRUE(glob_match("**a**", "bab"));
}

} // namespace
