// The read-modify-write steps that run on a key's shard (SET with NX, XX
// or KEEPTTL; INCR and friends) and the parsing of SET's options.
#pragma once

#include "Entry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

/// SET's options after the value.
struct SetOptions {
  enum Condition { Always, IfAbsent, IfPresent }; // -, NX, XX
  Condition condition = Always;
  bool keep_ttl = false;
  std::int64_t expires_ms = 0; ///< absolute; 0: none
};

/// Parses `SET key value [NX|XX] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]`
/// (\p args is the whole request) at time \p now. Returns the error reply
/// ("ERR syntax error", ...) or "" when \p out is set.
std::string parse_set_options(const std::vector<std::string_view> &args,
                              std::int64_t now, SetOptions &out);

/// SET with a condition, on the shard: stores \p e in \p v unless the
/// condition fails (then returns false). KEEPTTL keeps the old deadline.
bool apply_set(std::optional<Entry> &v, Entry e, int condition, bool keep_ttl,
               std::int64_t now);

/// What an INCR-like update found.
enum class IncrStatus { Ok, NotInteger, Overflow };
struct IncrResult {
  IncrStatus status = IncrStatus::Ok;
  std::int64_t value = 0;

  // A serializer of its own, as for Entry.
  template <class Archive> void serialize(Archive &ar) { ar(status, value); }
};

/// Adds \p delta to the integer in \p v (absent or expired: 0), keeping
/// its deadline.
IncrResult increment(std::optional<Entry> &v, std::int64_t delta,
                     std::int64_t now);

} // namespace kv
