// How busy the CPUs a node may run on are (its affinity, which a cpuset
// sets), whoever keeps them busy: nodes confined to different CPUs of one
// host see different load.
#pragma once

#include <algorithm>
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

/// How busy the CPUs this process may run on were between one read and
/// the next.
class CpuBusy {
public:
  /// Reads /proc/stat: the first read() counts from here.
  CpuBusy();
  /// The busy fraction since the previous read (0..1). Reads closer
  /// together than \p min_ticks of the CPUs' time return the previous
  /// figure and leave the interval open: a few ticks are noise.
  double read(std::uint64_t min_ticks = 0);
  /// How many CPUs it watches (at least 1).
  std::size_t cpus() const { return std::max<std::size_t>(1, cpus_.size()); }

private:
  std::vector<int> cpus_;
  CpuTimes before_;
  double last_ = 0;
};

} // namespace nu::detail
