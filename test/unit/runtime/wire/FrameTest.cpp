// Tests of the frame codec: round trips, each validation failure, and
// random garbage and corruptions that must never crash the parser.
#include "nu/wire/frame.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace nu::wire {
namespace {

FrameHeader sample_header() {
  FrameHeader h;
  h.kind = FrameKind::GrantWeight;
  h.flags = kOneWay;
  h.request_id = 0x0102030405060708ull;
  h.proclet_id = 0xF1F2F3F4F5F6F7F8ull;
  h.target = 0x1122334455667788ull;
  h.aux = 0x99AABBCCDDEEFF00ull;
  return h;
}

Bytes make_frame(FrameHeader header, std::size_t payload_size) {
  Bytes frame = start_frame();
  for (std::size_t i = 0; i < payload_size; ++i)
    frame.push_back(static_cast<std::byte>(i * 7 + 3));
  finish_frame(frame, header);
  return frame;
}

std::string failure_of(const Bytes &bytes) {
  auto parsed = parse_frame(bytes);
  EXPECT_FALSE(parsed);
  return parsed ? std::string("<parsed>") : parsed.failure().message;
}

void put(Bytes &frame, std::size_t at, std::uint64_t value, int size) {
  for (int i = 0; i < size; ++i)
    frame[at + i] = static_cast<std::byte>(value >> (8 * i));
}

TEST(Frame, StartFrameIsAZeroedHeader) {
  Bytes frame = start_frame();
  ASSERT_EQ(frame.size(), kHeaderSize);
  for (auto b : frame)
    EXPECT_EQ(b, std::byte{0});
}

TEST(Frame, RoundTripsEveryField) {
  FrameHeader h = sample_header();
  Bytes frame = make_frame(h, 5);
  auto parsed = parse_frame(frame);
  ASSERT_TRUE(parsed) << parsed.failure().message;
  EXPECT_EQ(parsed->header.kind, h.kind);
  EXPECT_EQ(parsed->header.flags, h.flags);
  EXPECT_EQ(parsed->header.payload_size, 5u);
  EXPECT_EQ(parsed->header.request_id, h.request_id);
  EXPECT_EQ(parsed->header.proclet_id, h.proclet_id);
  EXPECT_EQ(parsed->header.target, h.target);
  EXPECT_EQ(parsed->header.aux, h.aux);
  ASSERT_EQ(parsed->payload.size(), 5u);
  EXPECT_EQ(parsed->payload.data(), frame.data() + kHeaderSize);
  EXPECT_EQ(parsed->payload[4], std::byte{31});
}

TEST(Frame, RoundTripsEveryKindAndAnEmptyPayload) {
  for (std::uint8_t k = 1; k <= kMaxFrameKind; ++k) {
    FrameHeader h;
    h.kind = static_cast<FrameKind>(k);
    Bytes frame = make_frame(h, 0);
    auto parsed = parse_frame(frame);
    ASSERT_TRUE(parsed) << parsed.failure().message;
    EXPECT_EQ(parsed->header.kind, h.kind);
    EXPECT_TRUE(parsed->payload.empty());
  }
}

TEST(Frame, EncodesLittleEndianAtTheDocumentedOffsets) {
  Bytes f = make_frame(sample_header(), 2);
  EXPECT_EQ(f[0], std::byte{0x4E}); // magic 0x554E
  EXPECT_EQ(f[1], std::byte{0x55});
  EXPECT_EQ(f[2], std::byte{1});     // version
  EXPECT_EQ(f[3], std::byte{8});     // kind GrantWeight
  EXPECT_EQ(f[4], std::byte{1});     // flags kOneWay
  EXPECT_EQ(f[8], std::byte{2});     // payload_size
  EXPECT_EQ(f[12], std::byte{0});    // reserved
  EXPECT_EQ(f[16], std::byte{0x08}); // request_id, low byte first
  EXPECT_EQ(f[23], std::byte{0x01});
  EXPECT_EQ(f[24], std::byte{0xF8}); // proclet_id
  EXPECT_EQ(f[32], std::byte{0x88}); // target
  EXPECT_EQ(f[47], std::byte{0x99}); // aux, high byte last
}

TEST(Frame, ParseHeaderAcceptsAHeaderWithoutItsPayload) {
  Bytes frame = make_frame(sample_header(), 100);
  auto header = parse_header(std::span(frame).first(kHeaderSize));
  ASSERT_TRUE(header) << header.failure().message;
  EXPECT_EQ(header->payload_size, 100u);
}

TEST(Frame, RejectsATruncatedHeader) {
  Bytes frame = make_frame(sample_header(), 0);
  frame.resize(20);
  EXPECT_EQ(failure_of(frame), "truncated frame: 20 of 48 header bytes");
  auto header = parse_header(frame);
  ASSERT_FALSE(header);
  EXPECT_EQ(header.failure().code, std::errc::bad_message);
  EXPECT_EQ(failure_of({}), "truncated frame: 0 of 48 header bytes");
}

TEST(Frame, RejectsBadMagic) {
  Bytes frame = make_frame(sample_header(), 0);
  put(frame, 0, 0x1234, 2);
  EXPECT_EQ(failure_of(frame), "bad magic 0x1234");
  put(frame, 0, 0x0316, 2); // what a TLS client sends first
  EXPECT_EQ(failure_of(frame), "bad magic 0x316 (a TLS handshake: the peer "
                               "uses TLS and this side does not)");
}

TEST(Frame, RejectsAnotherVersion) {
  Bytes frame = make_frame(sample_header(), 0);
  put(frame, 2, 2, 1);
  EXPECT_EQ(failure_of(frame), "unsupported wire version 2 (expected 1)");
}

TEST(Frame, RejectsUnknownKinds) {
  Bytes frame = make_frame(sample_header(), 0);
  put(frame, 3, 77, 1);
  EXPECT_EQ(failure_of(frame), "unknown frame kind 77");
  put(frame, 3, 0, 1);
  EXPECT_EQ(failure_of(frame), "unknown frame kind 0");
  put(frame, 3, kMaxFrameKind + 1, 1);
  EXPECT_EQ(failure_of(frame), "unknown frame kind 15");
}

TEST(Frame, RejectsUnknownFlags) {
  Bytes frame = make_frame(sample_header(), 0);
  put(frame, 4, 0x80000000u | kKnownFlags, 4);
  EXPECT_EQ(failure_of(frame), "unknown frame flags 0x80000000");
}

TEST(Frame, AcceptsEveryKnownFlag) {
  FrameHeader h = sample_header();
  h.flags = kKnownFlags;
  Bytes frame = make_frame(h, 0);
  auto parsed = parse_frame(frame);
  ASSERT_TRUE(parsed) << parsed.failure().message;
  EXPECT_EQ(parsed->header.flags, kKnownFlags);
}

TEST(Frame, RejectsANonZeroReservedField) {
  Bytes frame = make_frame(sample_header(), 0);
  put(frame, 12, 0x100, 4);
  EXPECT_EQ(failure_of(frame), "reserved header field is 0x100 (must be 0)");
}

TEST(Frame, RejectsAnOversizedPayload) {
  Bytes frame = make_frame(sample_header(), 0);
  put(frame, 8, 300000000, 4);
  EXPECT_EQ(failure_of(frame),
            "payload of 300000000 bytes exceeds limit of 268435456");
  auto header = parse_header(frame);
  ASSERT_FALSE(header);
  EXPECT_EQ(header.failure().code, std::errc::message_size);
  put(frame, 8, kMaxPayload, 4);
  EXPECT_TRUE(parse_header(frame));
}

TEST(Frame, RejectsAPayloadOfTheWrongSize) {
  Bytes frame = make_frame(sample_header(), 10);
  Bytes shorter(frame.begin(), frame.end() - 3);
  EXPECT_EQ(failure_of(shorter), "truncated frame: 7 of 10 payload bytes");
  frame.push_back(std::byte{0});
  frame.push_back(std::byte{0});
  EXPECT_EQ(failure_of(frame), "2 bytes after the frame's payload of 10 bytes");
}

// A successful parse must describe exactly the bytes it was given.
void expect_consistent(std::span<const std::byte> bytes) {
  auto parsed = parse_frame(bytes);
  if (!parsed) {
    EXPECT_FALSE(parsed.failure().message.empty());
    EXPECT_TRUE(parsed.failure().code);
    return;
  }
  auto k = static_cast<unsigned>(parsed->header.kind);
  EXPECT_GE(k, 1u);
  EXPECT_LE(k, kMaxFrameKind);
  EXPECT_EQ(parsed->header.flags & ~kKnownFlags, 0u);
  EXPECT_EQ(parsed->payload.size(), parsed->header.payload_size);
  EXPECT_EQ(parsed->payload.data(), bytes.data() + kHeaderSize);
  EXPECT_EQ(bytes.size(), kHeaderSize + parsed->payload.size());
}

TEST(Frame, RandomGarbageNeverCrashes) {
  std::mt19937_64 rng(0x5eed);
  for (int i = 0; i < 5000; ++i) {
    Bytes bytes(rng() % 120);
    for (auto &b : bytes)
      b = static_cast<std::byte>(rng());
    // Half the time, start with a valid magic and version to get further.
    if (i % 2 == 0 && bytes.size() >= 4) {
      put(bytes, 0, kFrameMagic, 2);
      put(bytes, 2, kWireVersion, 1);
      put(bytes, 3, 1 + rng() % kMaxFrameKind, 1);
    }
    expect_consistent(bytes);
    (void)parse_header(bytes);
  }
}

TEST(Frame, SingleByteCorruptionsNeverCrash) {
  std::mt19937_64 rng(42);
  Bytes valid = make_frame(sample_header(), 16);
  int parsed = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes bytes = valid;
    bytes[rng() % bytes.size()] ^= static_cast<std::byte>(1 + rng() % 255);
    expect_consistent(bytes);
    parsed += parse_frame(bytes) ? 1 : 0;
  }
  // Corrupting ids or the payload is undetectable: some must parse.
  EXPECT_GT(parsed, 0);
  EXPECT_LT(parsed, 5000);
}

} // namespace
} // namespace nu::wire
