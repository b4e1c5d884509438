// Proclet ids handed to nodes in ranges, so a node creates proclets without
// asking the controller each time; ranges never overlap, even across restarts.
#pragma once

#include "Result.hpp"
#include "Types.hpp"

#include <cstdint>
#include <mutex>

namespace nu::controller {

/// The ids [begin, end).
struct IdRange {
  ProcletId begin = 0;
  ProcletId end = 0;

  bool contains(ProcletId id) const { return begin <= id && id < end; }
  std::uint64_t size() const { return end - begin; }
  bool operator==(const IdRange &) const = default;
};

/// Thread-safe. Ranges are aligned blocks of grant_size ids (the first one
/// starts at 1: id 0 is never handed out). Because blocks are aligned, a
/// restarted controller that observe()s any id a node used skips that
/// node's whole block, including ids it has not used yet; grant_size must
/// therefore stay the same across controller restarts.
class IdRanges {
public:
  static constexpr std::uint64_t kDefaultGrantSize = std::uint64_t{1} << 20;

  /// \p grant_size ids per range (at least 1).
  explicit IdRanges(std::uint64_t grant_size = kDefaultGrantSize);

  /// The next unused range.
  Expected<IdRange> grant();
  /// Never grants \p max_id, nor any id of its block, nor a lower block:
  /// what nodes report (the highest id they hold) when they re-register.
  /// 0 means the node holds none and changes nothing.
  void observe(ProcletId max_id);
  /// The lowest id a future grant may start at.
  ProcletId next_id() const;
  std::uint64_t grant_size() const { return grant_size_; }

private:
  const std::uint64_t grant_size_;
  const std::uint64_t block_limit_; // blocks [0, block_limit_) fit in 64 bits
  mutable std::mutex mutex_;
  std::uint64_t next_block_ = 0;
};

} // namespace nu::controller
