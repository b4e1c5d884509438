// The frame codec: byte-by-byte little-endian encoding of the 48-byte header
// and the validation every frame read off the wire goes through.
#include "nu/wire/frame.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <limits>
#include <string>

namespace nu::wire {
namespace {

// Header layout (docs/wire.md): offsets of each field.
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 2;
constexpr std::size_t kKindAt = 3;
constexpr std::size_t kFlagsAt = 4;
constexpr std::size_t kPayloadSizeAt = 8;
constexpr std::size_t kReservedAt = 12;
constexpr std::size_t kRequestIdAt = 16;
constexpr std::size_t kProcletIdAt = 24;
constexpr std::size_t kTargetAt = 32;
constexpr std::size_t kAuxAt = 40;
static_assert(kAuxAt + 8 == kHeaderSize);

template <class T> void store_le(std::byte *out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out[i] = static_cast<std::byte>((value >> (8 * i)) & 0xFF);
}

template <class T> T load_le(const std::byte *in) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<T>(in[i]) << (8 * i));
  return value;
}

std::string hex(std::uint64_t value) {
  char buf[16];
  auto end = std::to_chars(buf, buf + sizeof buf, value, 16).ptr;
  return "0x" + std::string(buf, end);
}

detail::Failure malformed(std::string message) {
  return {std::make_error_code(std::errc::bad_message), std::move(message)};
}

// Why \p magic is not a frame's, naming a TLS handshake's first bytes.
std::string bad_magic(std::uint16_t magic) {
  constexpr std::uint16_t kTlsHandshake = 0x0316; // bytes 0x16 0x03
  std::string text = "bad magic " + hex(magic);
  if (magic == kTlsHandshake)
    text += " (a TLS handshake: the peer uses TLS and this side does not)";
  return text;
}

// The first validation failure of a header, or an empty string.
std::string check_header(const std::byte *h) {
  auto magic = load_le<std::uint16_t>(h + kMagicAt);
  if (magic != kFrameMagic)
    return bad_magic(magic);
  auto version = load_le<std::uint8_t>(h + kVersionAt);
  if (version != kWireVersion)
    return "unsupported wire version " + std::to_string(version) +
           " (expected " + std::to_string(kWireVersion) + ")";
  auto kind = load_le<std::uint8_t>(h + kKindAt);
  if (kind < 1 || kind > kMaxFrameKind)
    return "unknown frame kind " + std::to_string(kind);
  auto flags = load_le<std::uint32_t>(h + kFlagsAt);
  if ((flags & ~kKnownFlags) != 0)
    return "unknown frame flags " + hex(flags & ~kKnownFlags);
  auto reserved = load_le<std::uint32_t>(h + kReservedAt);
  if (reserved != 0)
    return "reserved header field is " + hex(reserved) + " (must be 0)";
  return {};
}

FrameHeader decode_header(const std::byte *h) {
  FrameHeader header;
  header.kind = static_cast<FrameKind>(load_le<std::uint8_t>(h + kKindAt));
  header.flags = load_le<std::uint32_t>(h + kFlagsAt);
  header.payload_size = load_le<std::uint32_t>(h + kPayloadSizeAt);
  header.request_id = load_le<std::uint64_t>(h + kRequestIdAt);
  header.proclet_id = load_le<std::uint64_t>(h + kProcletIdAt);
  header.target = load_le<std::uint64_t>(h + kTargetAt);
  header.aux = load_le<std::uint64_t>(h + kAuxAt);
  return header;
}

} // namespace

Bytes start_frame() { return Bytes(kHeaderSize, std::byte{0}); }

void finish_frame(Bytes &frame, FrameHeader header) {
  assert(frame.size() >= kHeaderSize && "finish_frame without start_frame");
  if (frame.size() < kHeaderSize)
    frame.resize(kHeaderSize);
  // Saturate: an oversized payload stays oversized and is rejected on parse.
  auto payload = std::min<std::size_t>(
      frame.size() - kHeaderSize, std::numeric_limits<std::uint32_t>::max());
  std::byte *h = frame.data();
  store_le<std::uint16_t>(h + kMagicAt, kFrameMagic);
  store_le<std::uint8_t>(h + kVersionAt, kWireVersion);
  store_le<std::uint8_t>(h + kKindAt, static_cast<std::uint8_t>(header.kind));
  store_le<std::uint32_t>(h + kFlagsAt, header.flags);
  store_le<std::uint32_t>(h + kPayloadSizeAt,
                          static_cast<std::uint32_t>(payload));
  store_le<std::uint32_t>(h + kReservedAt, 0);
  store_le<std::uint64_t>(h + kRequestIdAt, header.request_id);
  store_le<std::uint64_t>(h + kProcletIdAt, header.proclet_id);
  store_le<std::uint64_t>(h + kTargetAt, header.target);
  store_le<std::uint64_t>(h + kAuxAt, header.aux);
}

detail::Expected<FrameHeader> parse_header(std::span<const std::byte> bytes) {
  if (bytes.size() < kHeaderSize)
    return malformed("truncated frame: " + std::to_string(bytes.size()) +
                     " of " + std::to_string(kHeaderSize) + " header bytes");
  if (auto error = check_header(bytes.data()); !error.empty())
    return malformed(std::move(error));
  FrameHeader header = decode_header(bytes.data());
  if (header.payload_size > kMaxPayload)
    return detail::Failure{std::make_error_code(std::errc::message_size),
                           "payload of " + std::to_string(header.payload_size) +
                               " bytes exceeds limit of " +
                               std::to_string(kMaxPayload)};
  return header;
}

detail::Expected<FrameView> parse_frame(std::span<const std::byte> bytes) {
  auto header = parse_header(bytes);
  if (!header)
    return header.failure();
  std::size_t have = bytes.size() - kHeaderSize;
  std::size_t want = header->payload_size;
  if (have < want)
    return malformed("truncated frame: " + std::to_string(have) + " of " +
                     std::to_string(want) + " payload bytes");
  if (have > want)
    return malformed(std::to_string(have - want) +
                     " bytes after the frame's payload of " +
                     std::to_string(want) + " bytes");
  return FrameView{*header, bytes.subspan(kHeaderSize)};
}

} // namespace nu::wire
