// Reading how busy a node's CPUs are from /proc/stat, for the CPUs of its
// affinity mask only.
#include "CpuUse.hpp"

#include <gtest/gtest.h>

#include <sched.h>

#include <chrono>
#include <thread>

namespace nutest {
namespace {

using nu::detail::CpuTimes;

constexpr std::string_view kStat = "cpu  400 0 100 1000 50 0 10 0 0 0\n"
                                   "cpu0 300 0 50 200 10 0 5 0 0 0\n"
                                   "cpu1 100 0 50 800 40 0 5 0 0 0\n"
                                   "cpu12 7 0 0 3 0 0 0 0 0 0\n"
                                   "intr 12345 0 0\n"
                                   "ctxt 999\n";

TEST(CpuUse, SumsTheLinesOfTheGivenCpusOnly) {
  CpuTimes zero = nu::detail::cpu_times(kStat, {0});
  EXPECT_EQ(zero.busy, 355u);  // user + system + softirq
  EXPECT_EQ(zero.total, 565u); // and idle, iowait
  CpuTimes one = nu::detail::cpu_times(kStat, {1});
  EXPECT_EQ(one.busy, 155u);
  EXPECT_EQ(one.total, 995u);
  CpuTimes both = nu::detail::cpu_times(kStat, {0, 1});
  EXPECT_EQ(both.busy, 510u);
  EXPECT_EQ(nu::detail::cpu_times(kStat, {12}).total, 10u);
  EXPECT_EQ(nu::detail::cpu_times(kStat, {1, 2}).total, 995u); // 2: absent
  EXPECT_EQ(nu::detail::cpu_times("", {0}).total, 0u);
  EXPECT_EQ(nu::detail::cpu_times("cpu0 garbage\ncpux 1 2\n", {0}).total, 0u);
}

TEST(CpuUse, BusyFractionOfTwoReadings) {
  EXPECT_DOUBLE_EQ(nu::detail::busy_fraction({100, 400}, {150, 500}), 0.5);
  EXPECT_EQ(nu::detail::busy_fraction({100, 400}, {100, 400}), 0.0);
  EXPECT_EQ(nu::detail::busy_fraction({100, 400}, {90, 300}), 0.0);
}

// The mask is the process's own: confined to one CPU, it sees that one.
TEST(CpuUse, AllowedCpusFollowTheAffinityMask) {
  auto all = nu::detail::allowed_cpus();
  ASSERT_FALSE(all.empty());
  std::thread confined([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(all.back(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    EXPECT_EQ(nu::detail::allowed_cpus(), std::vector<int>{all.back()});
    // A spinning thread on that CPU makes it busy.
    auto before = nu::detail::cpu_times_now({all.back()});
    auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < until) {
    }
    auto after = nu::detail::cpu_times_now({all.back()});
    EXPECT_GT(nu::detail::busy_fraction(before, after), 0.5);
  });
  confined.join();
}

// A CpuBusy of a thread confined to one CPU sees that CPU busy while the
// thread spins, and keeps its figure for reads closer than the minimum.
TEST(CpuUse, CpuBusyReadsTheIntervalSinceTheLastRead) {
  auto all = nu::detail::allowed_cpus();
  ASSERT_FALSE(all.empty());
  std::thread confined([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(all.front(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    nu::detail::CpuBusy busy;
    EXPECT_EQ(busy.cpus(), 1u);
    EXPECT_EQ(busy.read(1'000'000), 0.0) << "no interval yet: no figure";
    auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < until) {
    }
    double spun = busy.read(10);
    EXPECT_GT(spun, 0.5);
    EXPECT_EQ(busy.read(1'000'000), spun) << "too soon: the figure before";
  });
  confined.join();
}

} // namespace
} // namespace nutest
