// Fuzzes the assembly of a migrating proclet's state: ChunkInfo records
// decoded from the input, their chunks fed to Incoming::add (Transfer.hpp).
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
// more than an input holds). Each record goes through the checks of
// Node::serve_migrate and Node::assemble: transfers are keyed by (from,
// transfer), a refused chunk ends its transfer, a completed one is
// dropped. After every chunk the transfer's buffer must be at most what
// came plus the window, and a completed state must be made of chunks that
// came, each byte once.

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

struct Transfer {
  std::shared_ptr<Incoming> incoming;
  std::uint64_t total = 0; // what its first chunk claimed
  std::uint64_t received = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks; // from, to
};

/// A completed state: the chunks taken cover [0, total), each byte once.
void check_complete(Transfer &t, std::uint64_t total) {
  check(t.incoming->state().size() == total, "completed at another size");
  std::sort(t.chunks.begin(), t.chunks.end());
  std::uint64_t at = 0;
  for (auto [from, to] : t.chunks) {
    check(from == at, "completed with overlapping chunks or a gap: bytes "
                      "that never came, or came twice");
    at = to;
  }
  check(at == total, "completed short of its total");
}

/// Node::serve_migrate's checks before assembling (the proclet type is
/// not looked up here), and a whole state in one chunk is activated
/// without an Incoming.
bool reaches_assemble(const ChunkInfo &info, std::uint64_t n) {
  if (info.offset > info.total || n > info.total - info.offset ||
      info.weight == 0)
    return false;
  return n != info.total;
}

/// Node::assemble and the chunk checks of Node::serve_migrate, for the
/// transfers of one destination.
class Destination {
public:
  void chunk(const ChunkInfo &info, std::span<const std::byte> bytes) {
    auto key = std::make_pair(info.from, info.transfer);
    Transfer &t = transfers_[key];
    if (!t.incoming) {
      t.incoming = std::make_shared<Incoming>(info.total);
      t.total = info.total;
    }
    Added added = add(t, info, bytes);
    if (added == Added::partly)
      return;
    if (added == Added::completed)
      check_complete(t, t.total);
    transfers_.erase(key); // completed, or refused: the transfer ends
  }

private:
  using Added = Incoming::Added;

  /// Incoming::add, and what must hold after it whatever it decided.
  static Added add(Transfer &t, const ChunkInfo &info,
                   std::span<const std::byte> bytes) {
    Added added = t.incoming->add(info, bytes);
    if (added != Added::refused) {
      t.received += bytes.size();
      t.chunks.emplace_back(info.offset, info.offset + bytes.size());
    }
    check(t.incoming->state().size() <=
              t.received + kMigrationWindow * kMigrationChunk,
          "the buffer grew past what came plus the window");
    check((added == Added::completed) == (t.received == t.total),
          "completed disagrees with the bytes taken");
    return added;
  }

  std::map<std::pair<nu::NodeId, std::uint64_t>, Transfer> transfers_;
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
    if (!reaches_assemble(info, n))
      continue;
    if ((sent += n) > kBytesPerInput)
      break;
    destination.chunk(info, pattern(static_cast<std::size_t>(n)));
  }
  return 0;
}
