// What one run of the migration benchmark measured, and the lines it prints
// for run.sh ("HEAD section ..." once, "ROW section order text" per row).
#pragma once

#include "Stats.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace migbench {

/// Everything measured for one state size.
struct SizeResult {
  std::size_t size = 0;
  std::uint64_t bytes = 0; // MigrationStats::bytes
  Seconds pause, wall;     // MigrationStats::pause, nu::migrate on the caller
  Seconds memcpy, tcp, restart;
};

/// Latencies of blocking calls, with or without moves meanwhile.
struct CallsResult {
  std::string name;
  Seconds latency;
  Seconds pause; // of the moves made meanwhile
};

struct Results {
  std::string placement;
  double call_seconds = 0;
  Seconds rtt; // raw TCP 64-byte round trips
  std::vector<SizeResult> sizes;
  std::vector<CallsResult> calls;
};

void print_report(const Results &results);

} // namespace migbench
