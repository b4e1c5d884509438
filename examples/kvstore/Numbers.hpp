// Numbers as Redis reads them: strict 64-bit integers, memory sizes
// ("64mb"); and glob patterns (CONFIG GET) alongside.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kv {

/// A 64-bit integer as Redis's string2ll accepts it: an optional '-', no
/// '+', no leading zeros, no spaces, no other characters, no overflow.
std::optional<std::int64_t> parse_int64(std::string_view s);

/// A memory size as Redis's memtoll reads it: digits with an optional
/// unit b, k, kb, m, mb, g or gb (any case; k = 1000, kb = 1024, ...).
std::optional<std::uint64_t> parse_memory(std::string_view s);

/// a + b, unless it overflows.
std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b);

/// Redis's glob matching (stringmatchlen): *, ?, [a-z], [^x], \x; a
/// case-insensitive match when \p nocase.
bool glob_match(std::string_view pattern, std::string_view s,
                bool nocase = false);

} // namespace kv
