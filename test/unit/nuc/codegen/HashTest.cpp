// Unit tests of nuc's FNV-1a 64: known vectors (the runtime's function
// must give the same ids) and the literal spelling.
#include "codegen/Hash.hpp"

#include <gtest/gtest.h>

using namespace nuc::codegen;

namespace {

TEST(Hash, KnownVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(Hash, Continues) {
  EXPECT_EQ(fnv1a64("bar", fnv1a64("foo")), fnv1a64("foobar"));
}

TEST(Hash, BytesAboveSevenBitsAreUnsigned) {
  EXPECT_EQ(fnv1a64("\xff"), (0xcbf29ce484222325ULL ^ 0xffULL) * FnvPrime);
}

TEST(Hash, HexLiteralHasSixteenDigits) {
  EXPECT_EQ(hexLiteral(0), "0x0000000000000000ULL");
  EXPECT_EQ(hexLiteral(0xcbf29ce484222325ULL), "0xcbf29ce484222325ULL");
}

} // namespace
