// The runtime's `--nu-` flags: both spellings, removal from argv, errors
// that list the valid flags, and the application's own arguments kept.
#include "Flags.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct Args {
  explicit Args(std::vector<std::string> in) : strings(std::move(in)) {
    for (auto &s : strings)
      ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
    argc = static_cast<int>(strings.size());
  }
  std::vector<std::string> rest() const {
    return std::vector<std::string>(ptrs.begin(), ptrs.begin() + argc);
  }
  std::vector<std::string> strings;
  std::vector<char *> ptrs;
  int argc;
};

TEST(Flags, BothSpellingsAndRemoval) {
  Args a({"app", "--nu-workers", "3", "x", "--nu-call-timeout-ms=250", "-v"});
  auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
  ASSERT_TRUE(flags) << flags.failure().message;
  EXPECT_EQ(flags->workers, 3u);
  EXPECT_EQ(flags->call_timeout.count(), 250);
  EXPECT_EQ(a.rest(), (std::vector<std::string>{"app", "x", "-v"}));
  EXPECT_EQ(a.ptrs[a.argc], nullptr);
}

TEST(Flags, UnknownFlagListsValidOnes) {
  Args a({"app", "--nu-wrokers=2"});
  auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
  ASSERT_FALSE(flags);
  EXPECT_NE(flags.failure().message.find("'--nu-wrokers'"), std::string::npos);
  EXPECT_NE(flags.failure().message.find("--nu-workers"), std::string::npos);
}

TEST(Flags, BadValues) {
  for (auto bad : {"--nu-workers=0", "--nu-workers=x", "--nu-workers=2k",
                   "--nu-call-timeout-ms=-5"}) {
    Args a({"app", bad});
    EXPECT_FALSE(nu::detail::parse_flags(a.argc, a.ptrs.data())) << bad;
  }
  Args missing({"app", "--nu-workers"});
  auto flags = nu::detail::parse_flags(missing.argc, missing.ptrs.data());
  ASSERT_FALSE(flags);
  EXPECT_NE(flags.failure().message.find("needs a value"), std::string::npos);
}

TEST(Flags, DoubleDashEndsRuntimeFlags) {
  Args a({"app", "--", "--nu-workers=2"});
  auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
  ASSERT_TRUE(flags);
  EXPECT_EQ(a.rest(),
            (std::vector<std::string>{"app", "--", "--nu-workers=2"}));
}

} // namespace
