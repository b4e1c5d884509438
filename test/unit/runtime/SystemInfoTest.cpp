// The memory a process's cgroups leave it, read from fake hierarchies laid
// out as cgroup v1 and v2 mount them.
#include "SystemInfo.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace nu::detail {
namespace {

namespace fs = std::filesystem;

class CgroupFree : public testing::Test {
protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("nu-cgroup-" + std::to_string(::getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string &dir, const std::string &file,
             const std::string &text) {
    fs::create_directories(root_ / dir);
    std::ofstream(root_ / dir / file) << text << "\n";
  }
  std::optional<std::uint64_t> free(const std::string &self) {
    return cgroup_free(self, root_.string());
  }

  fs::path root_;
};

TEST_F(CgroupFree, V1TakesTheTightestLimitUpTheHierarchy) {
  write("memory/a/b", "memory.limit_in_bytes", "1000");
  write("memory/a/b", "memory.usage_in_bytes", "300");
  write("memory/a", "memory.limit_in_bytes", "500");
  write("memory/a", "memory.usage_in_bytes", "400");
  write("memory", "memory.limit_in_bytes", "9223372036854771712"); // none
  write("memory", "memory.usage_in_bytes", "5000");
  EXPECT_EQ(free("4:memory:/a/b\n3:cpuset:/\n0::/\n"), 100u);
  EXPECT_EQ(free("4:cpu,memory:/a/b\n"), 100u); // controllers share a line
}

TEST_F(CgroupFree, V2ReadsMaxAndCurrentAtTheRootOrBesideV1) {
  write("x/y", "memory.max", "1000");
  write("x/y", "memory.current", "400");
  write("x", "memory.max", "max");
  write("x", "memory.current", "900");
  EXPECT_EQ(free("0::/x/y\n"), 600u);
  write("unified/s", "memory.max", "2048");
  write("unified/s", "memory.current", "3000"); // over: nothing left
  EXPECT_EQ(free("0::/s\n"), 0u);
}

TEST_F(CgroupFree, NoLimitOrNoFilesOrGarbageIsNone) {
  write("memory/a", "memory.limit_in_bytes", "9223372036854771712");
  write("memory/a", "memory.usage_in_bytes", "10");
  EXPECT_FALSE(free("4:memory:/a\n"));
  EXPECT_FALSE(free("0::/nowhere\n"));
  write("memory/g", "memory.limit_in_bytes", "lots");
  write("memory/g", "memory.usage_in_bytes", "10");
  EXPECT_FALSE(free("4:memory:/g\nnot a line\n::\n"));
  EXPECT_FALSE(free(""));
}

TEST(MachineLoad, ThisProcessHasFreeMemory) {
  EXPECT_GT(machine_load().free_memory, 0u);
}

} // namespace
} // namespace nu::detail
