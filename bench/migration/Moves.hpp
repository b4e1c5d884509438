// The nu side of the migration benchmark: timed migrations of a Blob of
// each size, and call latencies while a Blob moves back and forth.
#pragma once

#include "Report.hpp"

#include <nu/nu.hpp>

#include <cstddef>

namespace migbench {

/// The node the benchmark runs on and the server node it moves to.
struct Nodes {
  nu::NodeId home = 0;
  nu::NodeId away = 0;
};

/// Waits up to 10 s for a second node to join.
Nodes find_nodes();

/// Creates a `size`-byte Blob at home, moves it `moves` times (away, home,
/// ...), checks its state afterwards; fills pause, wall and bytes.
void time_moves(const Nodes &nodes, int moves, SizeResult &out);

/// Blocking Ping calls to a 1 MiB Blob on the away node for `seconds`,
/// with it moved home and back every 20 ms when `moving`.
CallsResult time_calls(const Nodes &nodes, double seconds, bool moving);

} // namespace migbench
