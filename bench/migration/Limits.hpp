// The physical limits a migration is compared with, measured in the same
// run: memcpy, and raw TCP between the same two processes.
#pragma once

#include "RawTcp.hpp"
#include "Stats.hpp"

#include <cstddef>

namespace migbench {

/// Seconds per memcpy of `bytes` bytes between two warm buffers.
Seconds memcpy_seconds(std::size_t bytes, int reps);

/// Seconds per raw TCP transfer of `bytes` bytes (plus a 64-byte answer)
/// over `client`, after one unmeasured transfer.
Seconds tcp_seconds(TcpClient &client, std::size_t bytes, int reps);

/// Seconds per 64-byte ping-pong over `client`, after 200 unmeasured ones.
Seconds round_trips(TcpClient &client, int count);

} // namespace migbench
