// What the store keeps per key: the value and its deadline, and when an
// entry counts as expired (then it reads as absent everywhere).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kv {

/// A key's value and its expiry: an absolute wall-clock deadline in
/// milliseconds since the epoch, 0 for none.
struct Entry {
  std::string value;
  std::int64_t expires_ms = 0;

  // A serializer of its own: nuc's generated ones are not visible while
  // nuc itself parses a source that sends an aggregate through the runtime.
  template <class Archive> void serialize(Archive &ar) {
    ar(value, expires_ms);
  }
};

/// Wall-clock milliseconds since the epoch (what deadlines are kept in).
inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

/// True once \p e's deadline has passed.
inline bool expired(const Entry &e, std::int64_t now) {
  return e.expires_ms != 0 && e.expires_ms <= now;
}

/// True if \p e holds an entry that has not expired.
inline bool live(const std::optional<Entry> &e, std::int64_t now) {
  return e && !expired(*e, now);
}

} // namespace kv
