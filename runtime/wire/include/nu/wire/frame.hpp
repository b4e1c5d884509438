// nu's wire frame: a fixed 48-byte little-endian header and a cereal
// payload. docs/wire.md is the reference; every header is validated.
#pragma once

#include "nu/detail/archive.hpp"
#include "nu/detail/expected.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <tuple>

namespace nu::wire {

using detail::Bytes;

enum class FrameKind : std::uint8_t {
  Call = 1,        ///< invoke method `target` of proclet `proclet`
  CallClosure = 2, ///< invoke closure `target` (trampoline `aux`)
  Create = 3,      ///< construct a proclet of type `target`, ctor `aux`
  Result = 4,      ///< reply: payload is the encoded result
  Error = 5,       ///< reply: the callee threw (type name, what())
  Unavailable = 6, ///< reply: no such proclet here (payload: reason)
  Release = 7,     ///< return reference weight `aux` of `proclet`
  GrantWeight = 8, ///< request (and reply): more weight for `proclet`
  Control = 9,     ///< runtime-internal request with a typed payload
  Migrate = 10,    ///< a chunk of proclet `proclet`'s migrating state
  Move = 11,       ///< migrate `proclet` to node `target` (0: drain all)
  Hello = 12,      ///< the cluster handshake, step `request_id` (1..3)
  Replicate = 13,  ///< to a backup of `proclet`: op `target` at epoch `aux`
  GoAway = 14,     ///< the sender is leaving: send it no more requests
};
constexpr std::uint8_t kMaxFrameKind = 14;

/// A Move frame's `aux`: 0 moves (or drains); kMoveList lists what the node
/// hosts instead and moves nothing (an operator's query, `nuctl proclets`).
constexpr std::uint64_t kMoveList = 1;

/// One proclet as kMoveList's reply lists it: id, type name, estimated
/// state bytes, bytes allocated from its own heap (0: it has none), role
/// ("", "pinned", "primary of N", "backup").
using ProcletListing = std::tuple<std::uint64_t, std::string, std::uint64_t,
                                  std::uint64_t, std::string>;

/// Flags bits; unknown bits are a malformed frame.
enum FrameFlags : std::uint32_t {
  kOneWay = 1u << 0,     ///< no reply expected
  kPinned = 1u << 1,     ///< Create: the new proclet never migrates
  kForwarded = 1u << 2,  ///< request relayed by a node that lacked the proclet
  kRelocated = 1u << 3,  ///< reply to a relayed request: `target` is where
                         ///< the proclet was found
  kReplicas = 0x3u << 4, ///< Create: how many backups the proclet keeps
  kTagged = 1u << 6,     ///< a call whose payload ends with its CallTag
  kReplicated = 1u << 7, ///< a reply from a replicated proclet
  kHops = 0xFu << 8,     ///< how many times a request was forwarded
};
constexpr std::uint32_t kKnownFlags = kOneWay | kPinned | kForwarded |
                                      kRelocated | kReplicas | kTagged |
                                      kReplicated | kHops;
constexpr unsigned kReplicaShift = 4;
constexpr unsigned kHopShift = 8;
constexpr unsigned kMaxHops = 15;

constexpr std::uint16_t kFrameMagic = 0x554E; // "NU" on the wire
constexpr std::uint8_t kWireVersion = 1;
constexpr std::size_t kHeaderSize = 48;
constexpr std::uint32_t kMaxPayload = 256u << 20;

struct FrameHeader {
  FrameKind kind = FrameKind::Call;
  std::uint32_t flags = 0;
  std::uint32_t payload_size = 0;
  std::uint64_t request_id = 0;
  std::uint64_t proclet_id = 0;
  std::uint64_t target = 0;
  std::uint64_t aux = 0;
};

/// A validated frame: its header and a view of its payload.
struct FrameView {
  FrameHeader header;
  std::span<const std::byte> payload;
};

/// A buffer with room for the header: append the payload, then finish.
Bytes start_frame();
/// Writes \p header (payload_size taken from the buffer) into \p frame.
void finish_frame(Bytes &frame, FrameHeader header);

/// Validates the first kHeaderSize bytes: magic, version, kind, flags,
/// reserved bytes, payload size <= kMaxPayload.
detail::Expected<FrameHeader> parse_header(std::span<const std::byte> bytes);
/// Validates a whole frame: header, and exactly payload_size bytes after it.
detail::Expected<FrameView> parse_frame(std::span<const std::byte> bytes);

} // namespace nu::wire
