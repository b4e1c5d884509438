// The benchmark's state: a pattern that is cheap to write but not a memset,
// and a word-wise checksum over it.
#include "State.hpp"

#include <cstring>

namespace migbench {

std::vector<std::uint8_t> make_state(std::size_t bytes) {
  std::vector<std::uint8_t> state(bytes);
  for (std::size_t i = 0; i < bytes; ++i)
    state[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
  return state;
}

std::uint64_t checksum(const std::vector<std::uint8_t> &state) {
  std::uint64_t sum = state.size();
  std::size_t i = 0;
  for (; i + 8 <= state.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, state.data() + i, 8);
    sum = (sum ^ word) * 0x100000001b3u;
  }
  for (; i < state.size(); ++i)
    sum = (sum ^ state[i]) * 0x100000001b3u;
  return sum;
}

} // namespace migbench
