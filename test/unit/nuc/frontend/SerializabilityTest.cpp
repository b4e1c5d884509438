// Unit tests of the serialization rules shared by nu-boundary-types and
// nu-state, on types declared in small snippets.
#include "frontend/Serializability.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/Tooling/Tooling.h"

#include <gtest/gtest.h>

using namespace nuc;
using namespace clang;

namespace {

/// Parses \p Code and classifies the type of variable `v`.
Verdict classifyVar(const std::string &Code, Use U = Use::Boundary) {
  std::unique_ptr<ASTUnit> AST = tooling::buildASTFromCodeWithArgs(
      Code, {"-std=c++20", "-I" NU_TEST_INPUTS,
             "-resource-dir=" NU_TEST_RESOURCE_DIR});
  EXPECT_TRUE(AST);
  ASTContext &Ctx = AST->getASTContext();
  auto Found = Ctx.getTranslationUnitDecl()->lookup(
      DeclarationName(&Ctx.Idents.get("v")));
  EXPECT_FALSE(Found.empty());
  Serializability S(Ctx);
  Verdict V = S.classify(cast<VarDecl>(Found.front())->getType(), U);
  V.NoteDecl = nullptr; // owned by the AST, which dies here
  return V;
}

TEST(Serializability, StandardTypes) {
  EXPECT_TRUE(classifyVar("#include <string>\nstd::string v;").ok());
  EXPECT_TRUE(classifyVar("#include <map>\n#include <vector>\n"
                          "std::map<int, std::vector<double>> v;")
                  .ok());
  EXPECT_TRUE(classifyVar("#include <memory>\nstd::unique_ptr<int> v;").ok());
  EXPECT_TRUE(
      classifyVar("#include <chrono>\nstd::chrono::nanoseconds v;").ok());
  EXPECT_TRUE(classifyVar("#include <variant>\n#include <string>\n"
                          "std::variant<int, std::string> v;")
                  .ok());
}

TEST(Serializability, NestedPointerIsTheOffender) {
  Verdict V = classifyVar("#include <vector>\nstd::vector<int *> v;");
  EXPECT_EQ(V.Kind, Problem::RawPointer);
  EXPECT_EQ(V.Offender.getAsString(), "int *");
}

TEST(Serializability, ViewsAndForbiddenTypes) {
  EXPECT_EQ(classifyVar("#include <string_view>\nstd::string_view v;").Kind,
            Problem::View);
  EXPECT_EQ(classifyVar("#include <functional>\nstd::function<void()> v;").Kind,
            Problem::NotSerializable);
  EXPECT_EQ(classifyVar("int (*v)(int);").Kind, Problem::RawPointer);
  EXPECT_EQ(classifyVar("struct S { int m; }; int S::*v;").Kind,
            Problem::MemberPointer);
}

TEST(Serializability, MutexOnlyAsState) {
  const char *Code = "#include <mutex>\nstd::mutex v;";
  EXPECT_TRUE(classifyVar(Code, Use::State).ok());
  EXPECT_EQ(classifyVar(Code, Use::Boundary).Kind, Problem::NotSerializable);
}

TEST(Serializability, ArraysDecayAtBoundaryButNotInState) {
  EXPECT_EQ(classifyVar("int v[4];").Kind, Problem::Array);
  EXPECT_TRUE(classifyVar("int v[4];", Use::State).ok());
}

TEST(Serializability, UserTypes) {
  EXPECT_TRUE(classifyVar("struct P { int x; double y; }; P v;").ok());
  EXPECT_EQ(classifyVar("struct P { int *x; }; P v;").Kind,
            Problem::RawPointer);
  EXPECT_EQ(classifyVar("class C { int x; public: C(); }; C v;").Kind,
            Problem::NotSerializable);
  EXPECT_TRUE(classifyVar("class C { int x; public: C();\n"
                          "template <class A> void serialize(A &); }; C v;")
                  .ok());
  EXPECT_TRUE(classifyVar("namespace n { class C { public: C(); };\n"
                          "template <class A> void save(A &, const C &); }\n"
                          "n::C v;")
                  .ok());
}

TEST(Serializability, AggregatesLocalToAFunctionCannotTravel) {
  EXPECT_EQ(classifyVar("auto f() { struct L { int x; }; return L{}; }\n"
                        "decltype(f()) v;")
                .Kind,
            Problem::LocalAggregate);
  EXPECT_TRUE(classifyVar("auto f() { struct L { int x;\n"
                          "  void serialize(int &a) { a = x; }"
                          "}; return L{}; }\n"
                          "decltype(f()) v;")
                  .ok());
}

TEST(Serializability, RecursiveAggregateTerminates) {
  EXPECT_TRUE(classifyVar("#include <vector>\n"
                          "struct Node { std::vector<Node> kids; }; Node v;")
                  .ok());
}

TEST(Serializability, ProcletHandles) {
  EXPECT_TRUE(classifyVar("#include <nu/nu.hpp>\nclass [[nu::proclet]] A {};\n"
                          "nu::Proclet<A> v;")
                  .ok());
}

} // namespace
