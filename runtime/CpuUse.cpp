// /proc/stat's per-CPU lines, summed over the CPUs of this process's
// affinity mask.
#include "CpuUse.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace nu::detail {
namespace {

/// Reads the next unsigned number of \p line after \p at; false at its end.
bool next_number(std::string_view line, std::size_t &at, std::uint64_t &out) {
  while (at < line.size() && line[at] == ' ')
    ++at;
  auto [end, ec] =
      std::from_chars(line.data() + at, line.data() + line.size(), out);
  if (ec != std::errc())
    return false;
  at = static_cast<std::size_t>(end - line.data());
  return true;
}

/// Adds "cpuN user nice system idle iowait irq softirq steal ..." to \p t.
void add_line(std::string_view line, CpuTimes &t) {
  std::size_t at = line.find(' ');
  std::uint64_t v = 0;
  for (int field = 0; at != std::string_view::npos && next_number(line, at, v);
       ++field) {
    if (field >= 8)
      break; // guest time is counted in user time already
    t.total += v;
    if (field != 3 && field != 4) // idle, iowait
      t.busy += v;
  }
}

} // namespace

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set))
      out.push_back(cpu);
  return out;
}

CpuTimes cpu_times(std::string_view stat, const std::vector<int> &cpus) {
  CpuTimes t;
  while (!stat.empty()) {
    std::size_t end = std::min(stat.find('\n'), stat.size());
    std::string_view line = stat.substr(0, end);
    stat.remove_prefix(std::min(end + 1, stat.size()));
    if (!line.starts_with("cpu") || line.size() < 4 || line[3] == ' ')
      continue; // other lines, and the all-CPU total
    int cpu = -1;
    auto [p, ec] =
        std::from_chars(line.data() + 3, line.data() + line.size(), cpu);
    if (ec == std::errc() && std::binary_search(cpus.begin(), cpus.end(), cpu))
      add_line(line, t);
  }
  return t;
}

CpuTimes cpu_times_now(const std::vector<int> &cpus) {
  std::ifstream in("/proc/stat");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  return cpu_times(text, cpus);
}

double busy_fraction(const CpuTimes &before, const CpuTimes &after) {
  if (after.total <= before.total)
    return 0;
  double busy = after.busy > before.busy
                    ? static_cast<double>(after.busy - before.busy)
                    : 0;
  return std::clamp(busy / static_cast<double>(after.total - before.total), 0.0,
                    1.0);
}

CpuBusy::CpuBusy() : cpus_(allowed_cpus()), before_(cpu_times_now(cpus_)) {}

double CpuBusy::read(std::uint64_t min_ticks) {
  CpuTimes now = cpu_times_now(cpus_);
  if (now.total < before_.total + min_ticks)
    return last_;
  last_ = busy_fraction(before_, now);
  before_ = now;
  return last_;
}

} // namespace nu::detail
