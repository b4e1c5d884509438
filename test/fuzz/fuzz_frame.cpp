// Fuzzes the frame codec every frame off the wire goes through first:
// parse_header and parse_frame on any bytes (docs/wire.md, Header).
#include "nu/wire/frame.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace {

using nu::wire::FrameHeader;

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_frame: %s\n", what);
    std::abort();
  }
}

bool same_header(const FrameHeader &a, const FrameHeader &b) {
  return a.kind == b.kind && a.flags == b.flags &&
         a.payload_size == b.payload_size && a.request_id == b.request_id &&
         a.proclet_id == b.proclet_id && a.target == b.target && a.aux == b.aux;
}

/// A header that passed: it is in range, and encoding it again gives back
/// the bytes it came from (all but payload_size, which finish_frame takes
/// from the buffer: no 256 MiB buffer per run for it).
void check_header(std::span<const std::byte> in, const FrameHeader &h) {
  check(h.payload_size <= nu::wire::kMaxPayload, "payload over the limit");
  check((h.flags & ~nu::wire::kKnownFlags) == 0, "unknown flags passed");
  auto kind = static_cast<unsigned>(h.kind);
  check(kind >= 1 && kind <= nu::wire::kMaxFrameKind, "unknown kind passed");
  nu::detail::Bytes again = nu::wire::start_frame();
  nu::wire::finish_frame(again, h);
  constexpr std::size_t kSizeAt = 8, kSizeEnd = 12; // docs/wire.md
  check(std::equal(again.begin(), again.begin() + kSizeAt, in.begin()) &&
            std::equal(again.begin() + kSizeEnd, again.end(),
                       in.begin() + kSizeEnd),
        "a header does not encode to the bytes it was parsed from");
  std::uint32_t size = 0;
  for (std::size_t i = kSizeAt; i < kSizeEnd; ++i)
    size |= std::to_integer<std::uint32_t>(in[i]) << (8 * (i - kSizeAt));
  check(size == h.payload_size, "payload_size is not little-endian");
}

/// A whole frame that passed: its header parses alone, its payload is the
/// rest of the bytes.
void check_frame(std::span<const std::byte> in, const nu::wire::FrameView &f) {
  auto header = nu::wire::parse_header(in);
  check(header.ok(), "a frame passed, its header alone did not");
  check(same_header(*header, f.header), "frame and header disagree");
  check(f.payload.size() == f.header.payload_size, "payload size");
  check(f.payload.data() == in.data() + nu::wire::kHeaderSize,
        "payload is not the bytes after the header");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size) {
  auto in = std::as_bytes(std::span(data, size));
  if (auto header = nu::wire::parse_header(in))
    check_header(in, *header);
  else
    check(!header.failure().message.empty(), "a failure without a message");
  if (auto frame = nu::wire::parse_frame(in))
    check_frame(in, *frame);
  else
    check(!frame.failure().message.empty(), "a failure without a message");
  return 0;
}
