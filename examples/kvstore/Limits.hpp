// What one client may cost a server: Redis's maxclients and
// client-query-buffer-limit, and a timeout for a request left half sent.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace kv {

/// The limits a server puts on its clients (--max-clients,
/// --max-query-buffer, --partial-timeout-ms).
struct Limits {
  /// Clients served at once; one more is told so and disconnected.
  std::size_t max_clients = 10000;
  /// Bytes buffered for a request not complete yet; over it the connection
  /// is closed.
  std::size_t max_query_buffer = 64u << 20;
  /// How long part of a request may wait for its next bytes before the
  /// connection is closed (0: forever).
  std::chrono::milliseconds partial_timeout{30'000};
};

/// How often an event loop looks for stalled requests: a quarter of the
/// partial-request timeout, within [10 ms, 1 s].
inline std::chrono::milliseconds sweep_interval(const Limits &limits) {
  using std::chrono::milliseconds;
  if (limits.partial_timeout.count() <= 0)
    return milliseconds(1000);
  return std::clamp(limits.partial_timeout / 4, milliseconds(10),
                    milliseconds(1000));
}

} // namespace kv
