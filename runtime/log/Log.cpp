// The component loggers: created on first use with a shared stderr sink,
// all at one level, set by set_level or NU_LOG_LEVEL.
#include "nu/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace nu::log {
namespace {

// The loggers and their level: process-wide, as stderr is.
struct Loggers {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> byname;
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> sink =
      std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::atomic<Level> level{initial_level()};

  static Level initial_level() {
    const char *env = std::getenv("NU_LOG_LEVEL");
    auto parsed = env ? parse_level(env) : std::nullopt;
    return parsed.value_or(Level::info);
  }
};

Loggers &loggers() {
  static Loggers *all = new Loggers; // never destroyed: logs at exit work
  return *all;
}

} // namespace

std::optional<Level> parse_level(std::string_view name) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {
      {"trace", Level::trace}, {"debug", Level::debug}, {"info", Level::info},
      {"warn", Level::warn},   {"error", Level::err},   {"off", Level::off}};
  for (const auto &[text, level] : kNames)
    if (name == text)
      return level;
  return std::nullopt;
}

void set_level(Level level) {
  auto &all = loggers();
  std::scoped_lock lock(all.mu);
  all.level = level;
  for (auto &[name, logger] : all.byname)
    logger->set_level(level);
}

Level level() { return loggers().level.load(); }

spdlog::logger &get(std::string_view component) {
  auto &all = loggers();
  std::scoped_lock lock(all.mu);
  if (auto it = all.byname.find(component); it != all.byname.end())
    return *it->second;
  auto logger =
      std::make_shared<spdlog::logger>(std::string(component), all.sink);
  logger->set_pattern("nu[%n] %l: %v");
  logger->set_level(all.level.load());
  auto &out = *logger;
  all.byname.emplace(std::string(component), std::move(logger));
  return out;
}

RateLimit::RateLimit(std::chrono::milliseconds interval, unsigned burst)
    : interval_ns_(std::chrono::nanoseconds(interval).count()), burst_(burst) {}

bool RateLimit::allow(std::uint64_t &suppressed, Clock::time_point at) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               at.time_since_epoch())
                               .count();
  auto start = window_start_.load(std::memory_order_relaxed);
  if (now - start >= interval_ns_ &&
      window_start_.compare_exchange_strong(start, now))
    in_window_.store(0, std::memory_order_relaxed);
  if (in_window_.fetch_add(1, std::memory_order_relaxed) >= burst_) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
  return true;
}

} // namespace nu::log
