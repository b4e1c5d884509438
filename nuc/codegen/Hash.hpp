// FNV-1a 64, the hash behind every id nu puts on the wire. The runtime
// (nu/detail/hash.hpp) computes the same function over the same text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nuc::codegen {

inline constexpr std::uint64_t FnvOffsetBasis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t FnvPrime = 0x100000001b3ULL;

/// FNV-1a 64 of \p Text, continuing from \p Hash.
std::uint64_t fnv1a64(std::string_view Text,
                      std::uint64_t Hash = FnvOffsetBasis);

/// \p Value as a C++ literal: `0x0123456789abcdefULL`.
std::string hexLiteral(std::uint64_t Value);

} // namespace nuc::codegen
