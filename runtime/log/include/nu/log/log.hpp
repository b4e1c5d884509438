// nu's logging: one spdlog logger per component ("net", "rpc", "node", ...)
// writing "nu[component] level: message" to stderr, and a rate limit.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace nu::log {

using Level = spdlog::level::level_enum;

/// Parses "trace", "debug", "info", "warn", "error" or "off".
std::optional<Level> parse_level(std::string_view name);
/// Sets the level of every nu logger, present and future (default: info,
/// or the NU_LOG_LEVEL environment variable when it names a level).
void set_level(Level level);
Level level();
/// The logger of \p component, created on first use; thread-safe.
spdlog::logger &get(std::string_view component);

/// Lets at most `burst` lines through per `interval`; what it holds back
/// is counted and reported with the next line let through. For lines a
/// peer can trigger (malformed frames, refused connections). Thread-safe.
class RateLimit {
public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimit(
      std::chrono::milliseconds interval = std::chrono::seconds(1),
      unsigned burst = 5);
  /// True if a line may be written at \p now; then \p suppressed holds how
  /// many were held back since the last line written.
  bool allow(std::uint64_t &suppressed, Clock::time_point now = Clock::now());

private:
  const std::int64_t interval_ns_;
  const unsigned burst_;
  std::atomic<std::int64_t> window_start_{0};
  std::atomic<unsigned> in_window_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

/// Logs at \p level through \p limit: "message (N similar lines
/// suppressed)" when some were held back.
template <class... Args>
void limited(RateLimit &limit, spdlog::logger &logger, Level level,
             spdlog::format_string_t<Args...> format, Args &&...args) {
  if (!logger.should_log(level))
    return;
  std::uint64_t suppressed = 0;
  if (!limit.allow(suppressed))
    return;
  auto text = fmt::format(format, std::forward<Args>(args)...);
  if (suppressed == 0)
    return logger.log(level, "{}", text);
  logger.log(level, "{} ({} similar lines suppressed)", text, suppressed);
}

} // namespace nu::log
