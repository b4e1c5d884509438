// Rate-limited diagnostics: a nu::log::RateLimit of one line a second for
// each kind of line, all on the "kvstore" logger.
#include "Log.hpp"

#include "nu/log/log.hpp"

namespace kv {

void log_limited(LogKind kind, std::string_view line) {
  using nu::log::RateLimit;
  using std::chrono::seconds;
  static RateLimit limits[] = {
      RateLimit(seconds(1), 1), RateLimit(seconds(1), 1),
      RateLimit(seconds(1), 1), RateLimit(seconds(1), 1),
      RateLimit(seconds(1), 1)};
  static_assert(std::size(limits) == static_cast<int>(LogKind::Stalled) + 1);
  nu::log::limited(limits[static_cast<int>(kind)], nu::log::get("kvstore"),
                   nu::log::Level::warn, "{}", line);
}

} // namespace kv
