// Plain values the controller's state is made of: ids, time, a node's
// capacity and load, a proclet's location.
#pragma once

#include "nu/ids.hpp"

#include <chrono>
#include <cstdint>

namespace nu::controller {

using nu::NodeId;
using nu::ProcletId;

/// Time as the controller sees it; passed in, so tests choose it.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

/// What a node has in total.
struct Capacity {
  std::uint64_t memory_bytes = 0;
  std::uint32_t cpus = 0;
};

/// What a node reports with every heartbeat.
struct Load {
  std::uint64_t free_memory = 0;
  double cpu_load = 0; ///< 0 (idle) .. 1 (every CPU busy)
  std::uint64_t proclet_count = 0;
};

/// Where a proclet lives; a higher epoch is a newer location.
struct Location {
  NodeId node = 0;
  std::uint64_t epoch = 0;
  bool operator==(const Location &) const = default;
};

/// One proclet a node hosts, as it reports it when it re-registers.
struct ProcletReport {
  ProcletId id = 0;
  std::uint64_t epoch = 0;
};

} // namespace nu::controller
