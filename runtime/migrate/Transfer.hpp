// What the chunks of a migrating proclet's state carry besides the bytes,
// and the transfers being assembled at the destination.
#pragma once

#include "nu/detail/archive.hpp"
#include "nu/ids.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

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
  /// A backup's copy of a replicated proclet (not a migration): its
  /// primary's sequence number and how many backups it keeps.
  bool replica = false;
  std::uint64_t seq = 0;
  std::uint32_t replicas = 0;

  template <class A> void serialize(A &ar) {
    ar(from, transfer, offset, total, epoch, weight, pinned, replica, seq,
       replicas);
  }
};

/// Bytes before the state in a buffer of Node::save_state: a frame header
/// and an encoded ChunkInfo (fixed size).
std::size_t state_prefix();

/// Bytes of state per Migrate frame, and frames unacknowledged at once.
inline constexpr std::size_t kMigrationChunk = std::size_t{4} << 20;
inline constexpr std::size_t kMigrationWindow = 4;

/// A whole state as the pieces it arrived in, read one after the other.
using StateParts = std::span<const std::span<const std::byte>>;

/// A proclet's state saved straight into the Migrate frames that will
/// carry it: each starts with state_prefix() bytes of room and holds at
/// most kMigrationChunk bytes of state, only the last fewer.
struct SavedState {
  std::deque<Bytes> frames;
  /// An archive that appends to the state.
  OutArchive archive(SerialContext ctx) {
    return OutArchive(frames, ctx, state_prefix() + kMigrationChunk,
                      state_prefix());
  }
  /// Bytes of state (without the rooms).
  std::uint64_t bytes() const {
    return frames.empty() ? 0
                          : (frames.size() - 1) * kMigrationChunk +
                                frames.back().size() - state_prefix();
  }
};

/// A state arriving in chunks, possibly out of order, kept in the frames
/// that brought them (no assembly copy). What it holds grows with the
/// chunks that came, never with the size a chunk claims.
class Incoming {
public:
  enum class Added { refused, partly, completed };

  explicit Incoming(std::uint64_t total) : total_(total) {}
  /// Keeps the chunk \p bytes, which lie in \p frame: `completed` for the
  /// one chunk that completes the state; `refused` if it claims another
  /// total, is off the chunk boundaries or not exactly a chunk long (the
  /// last: what is left), repeats one, or runs ahead of the window after
  /// what came (a sender never does).
  Added add(const ChunkInfo &info, std::span<const std::byte> bytes,
            Bytes frame);
  /// The whole state, once completed: its chunks in order.
  const std::vector<std::span<const std::byte>> &parts() const {
    return parts_;
  }
  /// Bytes of state held so far.
  std::uint64_t buffered() {
    std::scoped_lock lock(mu_);
    return received_;
  }

private:
  std::mutex mu_;
  const std::uint64_t total_;
  std::uint64_t received_ = 0;
  std::vector<Bytes> frames_;                     // by chunk index
  std::vector<std::span<const std::byte>> parts_; // by chunk index
};

/// Pages the calling thread had mapped in so far (its minor faults); 0
/// unless the migrate logger prints debug lines, which show them.
long thread_faults();

/// \p d in whole microseconds, as the migrate logger prints times.
inline std::chrono::microseconds us(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d);
}

/// Whether a chunk of \p size bytes fits what \p info claims (within the
/// state, a non-zero weight); the first check a Migrate frame passes.
bool chunk_fits(const ChunkInfo &info, std::uint64_t size);

/// The transfers a destination is assembling, keyed by (sender, transfer).
class IncomingTransfers {
public:
  /// Adds a chunk to its transfer; the transfer once it is complete, else
  /// null. A chunk refused ends its transfer (the sender gives up on the
  /// error) and throws DecodeError.
  std::shared_ptr<Incoming> add(const ChunkInfo &info,
                                std::span<const std::byte> bytes, Bytes frame);
  /// Forgets the transfers from \p peer (it died: it sends no more).
  void drop_from(NodeId peer);
  /// Bytes buffered by the transfers not complete yet.
  std::uint64_t buffered();

private:
  using Key = std::pair<NodeId, std::uint64_t>;
  std::mutex mu_;
  std::map<Key, std::shared_ptr<Incoming>> transfers_;
};

} // namespace nu::detail
