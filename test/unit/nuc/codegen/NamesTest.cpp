// Unit tests of identifier sanitizing and uniquing: readable, valid,
// deterministic names for tags and Spec structs.
#include "codegen/Names.hpp"

#include <gtest/gtest.h>

using namespace nuc::codegen;

namespace {

TEST(Names, SanitizeKeepsWordsAndCollapsesTheRest) {
  EXPECT_EQ(sanitize("Accumulator"), "Accumulator");
  EXPECT_EQ(sanitize("kv::Shard<int, std::string>"), "kv_Shard_int_std_string");
  EXPECT_EQ(sanitize("Grid<3, 4>::Cell"), "Grid_3_4_Cell");
  EXPECT_EQ(sanitize("_private__name_"), "private_name");
}

TEST(Names, SanitizeNeverGivesAnInvalidIdentifier) {
  EXPECT_EQ(sanitize(""), "N");
  EXPECT_EQ(sanitize("::"), "N");
  EXPECT_EQ(sanitize("3d"), "N3d");
}

TEST(Names, TableAddsSuffixesOnCollision) {
  NameTable T;
  EXPECT_EQ(T.unique("a::b"), "a_b");
  EXPECT_EQ(T.unique("a_b"), "a_b_2");
  EXPECT_EQ(T.unique("a<b>"), "a_b_3");
  EXPECT_EQ(T.unique("a_b_2"), "a_b_2_2");
  EXPECT_EQ(T.unique("c"), "c");
}

TEST(Names, ProcletNamesAreUniqueAcrossClasses) {
  NameTable T;
  nuc::ir::ProcletClass A, B;
  A.Name = "A_B";
  A.Fields.push_back({});
  A.Fields.back().Name = "C";
  B.Name = "A";
  B.Fields.push_back({});
  B.Fields.back().Name = "B_C";
  B.Fields.push_back({}); // an anonymous union: no tag
  ProcletNames NA = nameProclet(A, T), NB = nameProclet(B, T);
  EXPECT_EQ(NA.Spec, "A_B_Spec");
  EXPECT_EQ(NA.Registered, "A_B_Registered");
  EXPECT_EQ(NA.FieldTags, std::vector<std::string>{"A_B_C"});
  EXPECT_EQ(NB.FieldTags, (std::vector<std::string>{"A_B_C_2", ""}));
}

TEST(Names, GlobalAndQuoted) {
  EXPECT_EQ(globalName("ns::Point"), "::ns::Point");
  EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

} // namespace
