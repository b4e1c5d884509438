// The server's requirepass: set from --requirepass or CONFIG SET, read by
// every connection thread; compared in time independent of where it differs.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

namespace kv {

/// Redis's default user's password ("" = none: every client is in).
class Password {
public:
  void set(std::string password);
  std::string get() const;
  /// True if a password is set (new clients must AUTH).
  bool required() const { return required_.load(std::memory_order_acquire); }
  /// True if \p attempt is the password (false when none is set).
  bool matches(std::string_view attempt) const;

private:
  mutable std::mutex mu_;
  std::string password_;
  std::atomic<bool> required_{false};
};

} // namespace kv
