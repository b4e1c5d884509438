// The state every migrated proclet and every restarted process rebuilds: a
// byte vector filled with a pattern, and a checksum to compare copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace migbench {

/// Allocates `bytes` bytes and fills them with a pattern.
std::vector<std::uint8_t> make_state(std::size_t bytes);

/// A checksum of the whole state, to tell a moved copy from the original.
std::uint64_t checksum(const std::vector<std::uint8_t> &state);

} // namespace migbench
