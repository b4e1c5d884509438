// The state serializers registered for a proclet type: save, build an
// object without its constructor, load, and get the same state back.
#include "TestProclets.hpp"

#include <gtest/gtest.h>

namespace {

TEST(State, SaveConstructLoadRoundTrip) {
  const nu::detail::ProcletType &type =
      nu::detail::proclet_type(typeid(nutest::Counter), "Counter");
  EXPECT_EQ(type.name, "nutest::Counter");
  ASSERT_EQ(type.fields.size(), 2u);
  EXPECT_EQ(type.fields[0].kind, nu::detail::FieldKind::Recreated);

  nutest::Counter original(1234);
  nu::detail::Bytes bytes;
  {
    nu::detail::OutArchive out(bytes, {});
    type.save(out, &original);
  }
  void *copy = type.construct_for_load();
  nu::detail::Decoder in(bytes, {});
  type.load(in.archive(), copy);
  in.finish();
  EXPECT_EQ(static_cast<nutest::Counter *>(copy)->Get(), 1234);
  EXPECT_GE(type.estimate_size(copy), sizeof(nutest::Counter));
  int before = nutest::counters_destroyed;
  type.destroy(copy);
  EXPECT_EQ(nutest::counters_destroyed, before + 1);
}

TEST(State, TruncatedStateIsADecodeError) {
  const nu::detail::ProcletType &type =
      nu::detail::proclet_type(typeid(nutest::Counter), "Counter");
  nu::detail::Bytes bytes(2); // an int needs 4
  void *copy = type.construct_for_load();
  nu::detail::Decoder in(bytes, {});
  EXPECT_THROW(type.load(in.archive(), copy), nu::detail::DecodeError);
  type.destroy(copy);
}

TEST(State, CorruptLengthDoesNotAllocate) {
  nu::detail::Bytes bytes(8, std::byte{0xff}); // a length of 2^64 - 1
  nu::detail::Decoder in(bytes, {});
  std::string s;
  EXPECT_THROW(in(s), nu::detail::DecodeError);
}

// An empty vector's data() may be null: loading it must not hand memcpy a
// null pointer (UBSan's nonnull check; found by fuzz_controller).
TEST(State, EmptyVectorsRoundTrip) {
  nu::detail::Bytes bytes;
  nu::detail::encode(bytes, {}, std::vector<std::uint64_t>{}, std::string{});
  std::vector<std::uint64_t> v{1, 2};
  std::string s = "x";
  nu::detail::Decoder in(bytes, {});
  in(v, s);
  in.finish();
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(s.empty());
}

} // namespace
