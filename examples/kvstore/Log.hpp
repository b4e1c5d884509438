// Diagnostics a client can trigger (bad requests, limits reached): through
// nu's "kvstore" logger, at most one line a second per kind.
#pragma once

#include <string_view>

namespace kv {

/// The kinds of line that log_limited() limits separately.
enum class LogKind { Accept, MaxClients, Protocol, QueryBuffer, Stalled };

/// Logs \p line as a warning, unless a line of \p kind was logged less than
/// a second ago (then counts it, for the next line of its kind).
void log_limited(LogKind kind, std::string_view line);

} // namespace kv
