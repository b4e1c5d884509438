// Fuzzes the assembly of a migrating proclet's state: ChunkInfo records
// decoded from the input, their chunks fed to a node's IncomingTransfers.
#include "migrate/Transfer.hpp"

#include "nu/detail/archive.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace {

// The input is a sequence of records, each an encoded ChunkInfo (as the
// Migrate frame's payload starts) and a uint32 chunk length; the chunk's
// bytes are that many bytes of a fixed buffer (a whole chunk is 4 MiB,
// more than an input holds). Each record goes the way Node::serve_migrate
// takes a Migrate frame: chunk_fits, then (unless the chunk is the whole
// state) IncomingTransfers::add. The harness keeps its own account of
// each transfer: after every chunk the transfer's buffer must be at most
// what came plus the window, and a completed state must be made of chunks
// that came, each byte once.

using nu::detail::ChunkInfo;
using nu::detail::Incoming;
using nu::detail::kMigrationChunk;
using nu::detail::kMigrationWindow;

constexpr std::size_t kRecords = 6;                           // per input
constexpr std::size_t kPattern = 5 * kMigrationChunk;         // longest chunk
constexpr std::uint64_t kBytesPerInput = 6 * kMigrationChunk; // all chunks

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_migration_chunk: %s\n", what);
    std::abort();
  }
}

std::span<const std::byte> pattern(std::size_t n) {
  static const std::vector<std::byte> bytes = [] {
    std::vector<std::byte> b(kPattern);
    for (std::size_t i = 0; i < b.size(); ++i)
      b[i] = static_cast<std::byte>(i * 131 + (i >> 12));
    return b;
  }();
  return std::span(bytes).first(n);
}

/// What the harness saw of one transfer.
struct Transfer {
  std::uint64_t received = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks; // from, to
};

/// A completed state: the chunks taken cover [0, total), each byte once.
void check_complete(Transfer &t, const Incoming &done, std::uint64_t total) {
  std::uint64_t size = 0;
  for (auto part : done.parts())
    size += part.size();
  check(size == total, "completed at another size");
  std::sort(t.chunks.begin(), t.chunks.end());
  std::uint64_t at = 0;
  for (auto [from, to] : t.chunks) {
    check(from == at, "completed with overlapping chunks or a gap: bytes "
                      "that never came, or came twice");
    at = to;
  }
  check(at == total, "completed short of its total");
}

/// A destination's transfers, and the harness's account of each.
class Destination {
public:
  void chunk(const ChunkInfo &info, std::span<const std::byte> bytes) {
    auto key = std::make_pair(info.from, info.transfer);
    Transfer &t = seen_[key];
    std::shared_ptr<Incoming> done;
    try {
      nu::detail::Bytes frame(bytes.begin(), bytes.end()); // as it came
      std::span<const std::byte> in(frame); // stays valid: the buffer moves
      done = transfers_.add(info, in, std::move(frame));
    } catch (const nu::detail::DecodeError &) {
      seen_.erase(key); // refused: the transfer ends
      return check_buffers();
    }
    t.received += bytes.size();
    t.chunks.emplace_back(info.offset, info.offset + bytes.size());
    check(done == nullptr || t.received == info.total,
          "completed disagrees with the bytes taken");
    if (done) {
      check_complete(t, *done, info.total);
      seen_.erase(key);
    }
    check_buffers();
  }

private:
  /// The buffers hold at most what came plus a window per transfer.
  void check_buffers() {
    std::uint64_t bound = 0;
    for (auto &[key, t] : seen_)
      bound += t.received + kMigrationWindow * kMigrationChunk;
    check(transfers_.buffered() <= bound,
          "the buffers grew past what came plus the window");
  }

  nu::detail::IncomingTransfers transfers_;
  std::map<std::pair<nu::NodeId, std::uint64_t>, Transfer> seen_;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  nu::detail::InArchive in(std::as_bytes(std::span(data, size)),
                           nu::detail::SerialContext{});
  Destination destination;
  std::uint64_t sent = 0;
  for (std::size_t r = 0; r < kRecords && in.remaining() > 0; ++r) {
    ChunkInfo info;
    std::uint32_t length = 0;
    try {
      in(info, length);
    } catch (const nu::detail::DecodeError &) {
      break; // serve_migrate answers Error; nothing is assembled
    }
    std::uint64_t n = std::min<std::uint64_t>(length, kPattern);
    if (!nu::detail::chunk_fits(info, n) || n == info.total)
      continue; // refused, or activated without a transfer
    if ((sent += n) > kBytesPerInput)
      break;
    destination.chunk(info, pattern(static_cast<std::size_t>(n)));
  }
  return 0;
}
