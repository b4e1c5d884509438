// The runtime's `--nu-` flags: both spellings, removal from argv, errors
// that list the valid flags, and the application's own arguments kept.
#include "Flags.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
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

// A stopped server node drains for a minute unless told otherwise; 0 turns
// the drain off.
TEST(Flags, StopDrain) {
  Args none({"app"});
  EXPECT_EQ(nu::detail::parse_flags(none.argc, none.ptrs.data())->stop_drain,
            std::chrono::seconds(60));
  Args off({"app", "--nu-stop-drain-ms=0"});
  EXPECT_EQ(nu::detail::parse_flags(off.argc, off.ptrs.data())->stop_drain,
            std::chrono::milliseconds(0));
  for (auto bad : {"--nu-stop-drain-ms=-1", "--nu-stop-drain-ms=x",
                   "--nu-stop-drain-ms=3600001"}) {
    Args a({"app", bad});
    EXPECT_FALSE(nu::detail::parse_flags(a.argc, a.ptrs.data())) << bad;
  }
}

TEST(Flags, SecretAndTlsFiles) {
  Args a({"app", "--nu-secret-file", "s", "--nu-tls-cert=c.pem", "--nu-tls-key",
          "k.pem", "--nu-tls-ca=ca.pem"});
  auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
  ASSERT_TRUE(flags) << flags.failure().message;
  EXPECT_EQ(flags->secret_file, "s");
  EXPECT_EQ(flags->tls.cert, "c.pem");
  EXPECT_EQ(flags->tls.key, "k.pem");
  EXPECT_EQ(flags->tls.ca, "ca.pem");
  Args none({"app"});
  EXPECT_TRUE(
      nu::detail::parse_flags(none.argc, none.ptrs.data())->tls.empty());
  for (auto empty : {"--nu-tls-cert=", "--nu-tls-key=", "--nu-tls-ca=",
                     "--nu-secret-file="}) {
    Args bad({"app", empty});
    auto refused = nu::detail::parse_flags(bad.argc, bad.ptrs.data());
    ASSERT_FALSE(refused) << empty;
    EXPECT_NE(refused.failure().message.find("needs a file"),
              std::string::npos);
  }
}

TEST(Flags, PolicyDefaults) {
  Args a({"app"});
  auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->monitor.count(), 100);
  EXPECT_EQ(flags->mem_limit, 0u);
  EXPECT_EQ(flags->min_free, 64u << 20);
  EXPECT_EQ(flags->cpu_high, 0.0);
  EXPECT_EQ(flags->chaos_migrate.count(), 0);
  EXPECT_EQ(flags->migrate_throttle_mbps, 0u);
  EXPECT_EQ(flags->migrate_delay.count(), 0);
}

TEST(Flags, PolicyFlagsAndByteSuffixes) {
  Args a({"app", "--nu-mem-limit", "64M", "--nu-min-free=2g",
          "--nu-cpu-high=0.75", "--nu-monitor-ms", "0",
          "--nu-chaos-migrate-ms=5", "--nu-migrate-throttle-mbps", "600",
          "--nu-migrate-delay-ms=200"});
  auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
  ASSERT_TRUE(flags) << flags.failure().message;
  EXPECT_EQ(flags->migrate_throttle_mbps, 600u);
  EXPECT_EQ(flags->migrate_delay.count(), 200);
  EXPECT_EQ(flags->mem_limit, 64u << 20);
  EXPECT_EQ(flags->min_free, std::uint64_t{2} << 30);
  EXPECT_EQ(flags->cpu_high, 0.75);
  EXPECT_EQ(flags->monitor.count(), 0);
  EXPECT_EQ(flags->chaos_migrate.count(), 5);
  EXPECT_EQ(a.rest(), (std::vector<std::string>{"app"}));
  for (auto [text, bytes] : {std::pair{"123", 123ull},
                             {"0", 0ull},
                             {"4k", 4096ull},
                             {"1K", 1024ull},
                             {"3m", 3ull << 20},
                             {"1G", 1ull << 30}}) {
    Args b({"app", std::string("--nu-mem-limit=") + text});
    auto parsed = nu::detail::parse_flags(b.argc, b.ptrs.data());
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(parsed->mem_limit, bytes) << text;
  }
}

TEST(Flags, BadPolicyValues) {
  for (auto bad :
       {"--nu-mem-limit=", "--nu-mem-limit=M", "--nu-mem-limit=64MB",
        "--nu-mem-limit=-1", "--nu-mem-limit=1.5G", "--nu-mem-limit=2T",
        "--nu-mem-limit=9999999999G", "--nu-min-free=x", "--nu-cpu-high=1.5",
        "--nu-cpu-high=-0.1", "--nu-cpu-high=high", "--nu-monitor-ms=-1",
        "--nu-chaos-migrate-ms=often", "--nu-migrate-throttle-mbps=-5",
        "--nu-migrate-throttle-mbps=fast", "--nu-migrate-delay-ms=soon"}) {
    Args a({"app", bad});
    auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
    ASSERT_FALSE(flags) << bad;
    EXPECT_NE(flags.failure().message.find("expects"), std::string::npos)
        << flags.failure().message;
  }
}

TEST(Flags, DoubleDashEndsRuntimeFlags) {
  Args a({"app", "--", "--nu-workers=2"});
  auto flags = nu::detail::parse_flags(a.argc, a.ptrs.data());
  ASSERT_TRUE(flags);
  EXPECT_EQ(a.rest(),
            (std::vector<std::string>{"app", "--", "--nu-workers=2"}));
}

} // namespace
