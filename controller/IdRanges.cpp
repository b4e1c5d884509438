// Proclet id ranges: aligned blocks handed out in order; observe() moves
// past every block a node reports using (soft state after a restart).
#include "IdRanges.hpp"

#include <algorithm>
#include <limits>

namespace nu::controller {

IdRanges::IdRanges(std::uint64_t grant_size)
    : grant_size_(std::max<std::uint64_t>(grant_size, 1)),
      block_limit_(std::numeric_limits<std::uint64_t>::max() / grant_size_) {}

Expected<IdRange> IdRanges::grant() {
  std::lock_guard lock(mutex_);
  if (next_block_ >= block_limit_)
    return Failure{Errc::ids_exhausted, "every proclet id has been handed out"};
  const std::uint64_t block = next_block_++;
  return IdRange{std::max<ProcletId>(block * grant_size_, 1),
                 (block + 1) * grant_size_};
}

void IdRanges::observe(ProcletId max_id) {
  if (max_id == 0) // a node that holds no ids
    return;
  const std::uint64_t after =
      std::min(max_id / grant_size_, block_limit_ - 1) + 1;
  std::lock_guard lock(mutex_);
  next_block_ = std::max(next_block_, after);
}

ProcletId IdRanges::next_id() const {
  std::lock_guard lock(mutex_);
  return std::max<ProcletId>(next_block_ * grant_size_, 1);
}

} // namespace nu::controller
