// What the chunks of a migrating proclet's state carry besides the bytes,
// and a transfer being assembled at the destination.
#pragma once

#include "nu/detail/archive.hpp"
#include "nu/ids.hpp"

#include <cstdint>

namespace nu::detail {

/// What every chunk says about the transfer it belongs to.
struct ChunkInfo {
  NodeId from = 0;
  std::uint64_t transfer = 0;
  std::uint64_t offset = 0;
  std::uint64_t total = 0;
  std::uint64_t epoch = 0;
  std::uint64_t weight = 0;
  bool pinned = false;

  template <class A> void serialize(A &ar) {
    ar(from, transfer, offset, total, epoch, weight, pinned);
  }
};

/// Bytes before the state in a buffer of Node::save_state: a frame header
/// and an encoded ChunkInfo (fixed size).
std::size_t state_prefix();

/// A state arriving in chunks, possibly out of order.
struct Incoming {
  Bytes state;
  std::uint64_t received = 0;
};

} // namespace nu::detail
