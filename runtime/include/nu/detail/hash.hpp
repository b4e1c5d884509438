// FNV-1a, the hash behind every id nu puts on the wire: proclet types,
// methods, closures, schemas. nuc computes the same function.
#pragma once

#ifdef __NUC__ // nuc checks user code, not the runtime it builds on
#pragma GCC system_header
#endif

#include <cstdint>
#include <string_view>

namespace nu::detail {

constexpr std::uint64_t fnv1a64(std::string_view text,
                                std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

} // namespace nu::detail
