// Unit tests of the canonical texts behind method ids and schema hashes:
// decayed types only, so sugar does not change what goes on the wire.
#include "codegen/Schema.hpp"
#include "codegen/Hash.hpp"

#include <gtest/gtest.h>

using namespace nuc;
using namespace nuc::codegen;

namespace {

ir::Type type(const std::string &Spelling, const std::string &Decayed) {
  return {Spelling, Decayed, ir::TypeKind::Value};
}

ir::ProcletClass sample() {
  ir::ProcletClass C;
  C.Name = "kv::Store";
  ir::Field F;
  F.Name = "Mu";
  F.Ty = type("std::mutex", "std::mutex");
  F.IsRecreated = true;
  C.Fields.push_back(F);
  F = {};
  F.Name = "Data";
  F.Ty = type("Map", "std::map<int, int>");
  C.Fields.push_back(F);
  ir::Method M;
  M.Name = "Get";
  M.Result = type("const std::string &", "std::string");
  M.Params = {{"k", type("Key", "int")}, {"d", type("const Dflt &", "long")}};
  M.IsConst = true;
  M.DeclaredIn = "kv::Base";
  C.Methods.push_back(M);
  return C;
}

TEST(Schema, FieldKinds) {
  ir::Field F;
  EXPECT_EQ(fieldKind(F), FieldKind::Value);
  F.IsAtomic = true;
  EXPECT_EQ(fieldKind(F), FieldKind::Atomic);
  F.IsRecreated = true;
  EXPECT_EQ(fieldKind(F), FieldKind::Recreated);
  F.IsTransient = true;
  EXPECT_EQ(fieldKind(F), FieldKind::Transient);
  EXPECT_TRUE(isSaved(FieldKind::Value));
  EXPECT_TRUE(isSaved(FieldKind::Atomic));
  EXPECT_FALSE(isSaved(FieldKind::Recreated));
  EXPECT_FALSE(isSaved(FieldKind::Transient));
  EXPECT_STREQ(enumeratorName(FieldKind::Recreated), "Recreated");
}

TEST(Schema, CanonicalSignatureUsesDecayedTypesAndTheProcletClass) {
  ir::ProcletClass C = sample();
  EXPECT_EQ(canonicalSignature(C, C.Methods[0]),
            "std::string kv::Store::Get(int, long) const");
  EXPECT_EQ(methodId(C, C.Methods[0]),
            fnv1a64("std::string kv::Store::Get(int, long) const"));
}

TEST(Schema, SugarDoesNotChangeIds) {
  ir::ProcletClass C = sample(), D = sample();
  D.Methods[0].Params[0].Ty.Spelling = "int";
  D.Fields[1].Ty.Spelling = "std::map<int, int>";
  EXPECT_EQ(methodId(C, C.Methods[0]), methodId(D, D.Methods[0]));
  EXPECT_EQ(schemaHash(C), schemaHash(D));
}

TEST(Schema, Text) {
  EXPECT_EQ(schemaText(sample()),
            "proclet kv::Store\n"
            "field Mu std::mutex recreated\n"
            "field Data std::map<int, int> value\n"
            "method std::string kv::Store::Get(int, long) const\n");
}

TEST(Schema, HashChangesWithFieldKind) {
  ir::ProcletClass C = sample(), D = sample();
  D.Fields[1].IsTransient = true;
  EXPECT_NE(schemaHash(C), schemaHash(D));
}

} // namespace
