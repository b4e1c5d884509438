// How busy the CPUs a node may run on are (its affinity, which a cpuset
// sets), whoever keeps them busy: nodes confined to different CPUs of one
// host see different load.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace nu::detail {

/// Time the CPUs spent busy, and in all, in /proc/stat's ticks.
struct CpuTimes {
  std::uint64_t busy = 0;
  std::uint64_t total = 0;
};

/// The CPUs this process may run on (sched_getaffinity), in order.
std::vector<int> allowed_cpus();

/// The sum over \p cpus of the "cpuN" lines of \p stat (/proc/stat's
/// text): busy is all but idle and iowait. CPUs it does not list add
/// nothing.
CpuTimes cpu_times(std::string_view stat, const std::vector<int> &cpus);

/// cpu_times of /proc/stat now.
CpuTimes cpu_times_now(const std::vector<int> &cpus);

/// The busy fraction of the CPUs between two readings (0..1; 0 if no time
/// passed).
double busy_fraction(const CpuTimes &before, const CpuTimes &after);

} // namespace nu::detail
