// Tests of the archives' two less common shapes: an output split into
// buffers of a bounded size (a state saved into its frames) and an input
// read from several pieces as one (a state kept in the frames it came in),
// and containers whose length lies.
#include "nu/detail/archive.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace nu::detail {
namespace {

/// The values every test writes and reads back.
struct Sample {
  std::uint64_t number = 0;
  std::string text;
  std::vector<std::uint32_t> block;
  template <class A> void serialize(A &ar) { ar(number, text, block); }
};

Sample sample() {
  Sample s{0x0102030405060708ull, "a string that crosses", {}};
  s.block.resize(100);
  std::iota(s.block.begin(), s.block.end(), 7u);
  return s;
}

TEST(Archive, AnOutputSplitsAtTheLimitAfterEachPrefix) {
  constexpr std::size_t kLimit = 40, kPrefix = 8;
  std::deque<Bytes> buffers;
  {
    OutArchive ar(buffers, SerialContext{}, kLimit, kPrefix);
    Sample s = sample();
    ar(s);
  }
  Bytes whole;
  encode(whole, SerialContext{}, sample());
  ASSERT_EQ(buffers.size(),
            (whole.size() + kLimit - kPrefix - 1) / (kLimit - kPrefix));
  Bytes joined;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    if (i + 1 < buffers.size()) {
      EXPECT_EQ(buffers[i].size(), kLimit) << "buffer " << i << " is full";
    }
    joined.insert(joined.end(), buffers[i].begin() + kPrefix, buffers[i].end());
  }
  EXPECT_EQ(joined, whole) << "the same bytes as one buffer";
}

TEST(Archive, AnInputReadsPiecesAsOneAcrossEveryBoundary) {
  Bytes whole;
  encode(whole, SerialContext{}, sample());
  // Cut anywhere, including empty pieces at both ends and in between.
  for (std::size_t cut = 0; cut <= whole.size(); cut += 3) {
    std::span<const std::byte> all(whole);
    std::vector<std::span<const std::byte>> parts{
        {}, all.first(cut), {}, all.subspan(cut), {}};
    Decoder in(parts, SerialContext{});
    Sample back;
    in(back);
    in.finish();
    EXPECT_EQ(back.number, sample().number) << "cut at " << cut;
    EXPECT_EQ(back.text, sample().text) << "cut at " << cut;
    EXPECT_EQ(back.block, sample().block) << "cut at " << cut;
  }
}

TEST(Archive, PiecesThatEndShortOrLieAboutALengthAreRefused) {
  Bytes whole;
  encode(whole, SerialContext{}, sample());
  std::span<const std::byte> all(whole);
  std::vector<std::span<const std::byte>> short_parts{
      all.first(10), all.subspan(10, whole.size() - 11)};
  Decoder in(short_parts, SerialContext{});
  Sample back;
  EXPECT_THROW(in(back), DecodeError);
  // A length past what all the pieces hold, not only the current one.
  Bytes lying;
  encode(lying, SerialContext{}, std::uint64_t{1} << 40);
  std::vector<std::span<const std::byte>> lies{std::span(lying), all};
  Decoder lied(lies, SerialContext{});
  std::vector<std::byte> bytes;
  EXPECT_THROW(lied(bytes), DecodeError);
}

TEST(Archive, TrailingBytesInALaterPieceAreFound) {
  Bytes whole;
  encode(whole, SerialContext{}, sample());
  Bytes extra(1);
  std::vector<std::span<const std::byte>> parts{std::span(whole),
                                                std::span(extra)};
  Decoder in(parts, SerialContext{});
  Sample back;
  in(back);
  EXPECT_THROW(in.finish(), DecodeError);
}

/// The bytes asked of every CountingAllocator.
std::size_t allocated = 0;

template <class T> struct CountingAllocator {
  using value_type = T;
  CountingAllocator() = default;
  template <class U> CountingAllocator(const CountingAllocator<U> &) {}
  T *allocate(std::size_t n) {
    allocated += n * sizeof(T);
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T *p, std::size_t n) { std::allocator<T>{}.deallocate(p, n); }
  bool operator==(const CountingAllocator &) const = default;
};

/// A payload of \p size bytes that starts with a length of what follows it:
/// as long as the size check allows, and no element in it decodes.
Bytes lying_length(std::uint64_t size) {
  Bytes out;
  encode(out, SerialContext{}, size - sizeof(size));
  out.resize(size, std::byte{0xff}); // a string's length of 2^64 - 1
  return out;
}

template <class Container> std::size_t bytes_to_refuse(const Bytes &payload) {
  allocated = 0;
  Decoder in(payload, SerialContext{});
  Container c;
  EXPECT_THROW(in(c), DecodeError);
  return allocated;
}

TEST(Archive, ALengthThatLiesCostsNoMoreMemoryThanThePayload) {
  constexpr std::size_t kSize = 64 * 1024;
  Bytes payload = lying_length(kSize);
  // cereal's own loads asked for sizeof(T) times the payload first.
  EXPECT_LE(
      (bytes_to_refuse<
          std::vector<std::string, CountingAllocator<std::string>>>(payload)),
      kSize);
  EXPECT_LE(
      (bytes_to_refuse<std::deque<std::string, CountingAllocator<std::string>>>(
          payload)),
      kSize);
  EXPECT_EQ((bytes_to_refuse<
                std::vector<std::uint64_t, CountingAllocator<std::uint64_t>>>(
                payload)),
            0u);
}

TEST(Archive, VectorsAndDequesRoundTrip) {
  std::vector<std::string> strings{"a", "", "three"};
  std::deque<std::uint16_t> numbers{1, 2, 65535};
  std::vector<std::byte> bytes{std::byte{0}, std::byte{0xff}};
  std::vector<double> empty;
  Bytes out;
  encode(out, SerialContext{}, strings, numbers, bytes, empty);
  Decoder in(out, SerialContext{});
  decltype(strings) strings2{"old"};
  decltype(numbers) numbers2{9};
  decltype(bytes) bytes2;
  decltype(empty) empty2{1.0};
  in(strings2, numbers2, bytes2, empty2);
  in.finish();
  EXPECT_EQ(strings2, strings);
  EXPECT_EQ(numbers2, numbers);
  EXPECT_EQ(bytes2, bytes);
  EXPECT_TRUE(empty2.empty());
}

} // namespace
} // namespace nu::detail
