// Unit tests of the IR's text form (nuc --list-proclets), from hand-built
// IR: codegen reads the same structures, so their meaning is pinned here.
#include "IRPrinter.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace nuc::ir;

namespace {

TranslationUnit sampleUnit() {
  TranslationUnit TU;
  TU.MainFile = "acc.cpp";
  ProcletClass C;
  C.Name = "app::Acc";
  C.Loc = {"acc.cpp", 3, 23};
  C.Constructors.push_back({{{"v", {"int", "int", TypeKind::Value}}}, {}});
  Method M;
  M.Name = "Add";
  M.Result = {"void", "void", TypeKind::Void};
  M.Params = {{"n", {"int", "int", TypeKind::Value}}};
  M.DeclaredIn = "app::Acc";
  C.Methods.push_back(M);
  C.Fields.push_back({"mu_",
                      {"std::mutex", "std::mutex", TypeKind::Value},
                      "app::Acc",
                      false,
                      true,
                      false,
                      false,
                      {}});
  C.Fields.push_back(
      {"n_",
       {"std::atomic<long>", "std::atomic<long>", TypeKind::Value},
       "app::Acc",
       false,
       false,
       true,
       false,
       {}});
  C.Fields.push_back({"base_",
                      {"int", "int", TypeKind::Value},
                      "app::Base",
                      true,
                      false,
                      false,
                      false,
                      {}});
  TU.Proclets.push_back(C);
  ClosureSite S;
  S.Loc = {"acc.cpp", 9, 7};
  S.Proclet = "app::Acc";
  S.Entry = "RunAsync";
  S.Params = {{"const std::string &", "std::string", TypeKind::ConstRef}};
  S.Result = {"int", "int", TypeKind::Value};
  TU.Closures.push_back(S);
  TU.Creations.push_back(
      {{"acc.cpp", 8, 12}, "app::Acc", {{"int", "int", TypeKind::Value}}});
  Aggregate A{"app::Point", {{"app", false}, {"", false}}, {}, {}};
  A.Loc = {"acc.cpp", 2, 8};
  A.Fields.push_back({"x",
                      {"int", "int", TypeKind::Value},
                      "app::Point",
                      false,
                      false,
                      false,
                      true,
                      {}});
  TU.Aggregates.push_back(A);
  return TU;
}

TEST(IRPrinter, PrintsClassesCreationsAndClosures) {
  std::ostringstream OS;
  print(sampleUnit(), OS);
  EXPECT_EQ(OS.str(), "# acc.cpp\n"
                      "proclet app::Acc at acc.cpp:3:23\n"
                      "  constructor (int v)\n"
                      "  method void Add(int n)\n"
                      "  field std::mutex mu_ [recreated]\n"
                      "  field std::atomic<long> n_ [atomic]\n"
                      "  field int base_ in app::Base [transient]\n"
                      "make_proclet<app::Acc> at acc.cpp:8:12 (int)\n"
                      "RunAsync on app::Acc at acc.cpp:9:7: lambda"
                      "(const std::string &) -> int\n"
                      "aggregate app::Point at acc.cpp:2:8 in namespace "
                      "app::(anonymous)\n"
                      "  field int x\n");
}

TEST(IRPrinter, IsDeterministic) {
  std::ostringstream A, B;
  print(sampleUnit(), A);
  print(sampleUnit(), B);
  EXPECT_EQ(A.str(), B.str());
}

TEST(IRPrinter, MarksAbstractClasses) {
  TranslationUnit TU{"a.cpp", {}, {}, {}, {}};
  ProcletClass C;
  C.Name = "Shape";
  C.Loc = {"a.cpp", 1, 2};
  C.IsAbstract = true;
  TU.Proclets.push_back(C);
  std::ostringstream OS;
  print(TU, OS);
  EXPECT_EQ(OS.str(), "# a.cpp\nproclet Shape at a.cpp:1:2 (abstract)\n");
}

TEST(IRPrinter, EmptyUnitPrintsOnlyItsName) {
  std::ostringstream OS;
  print(TranslationUnit{"empty.cpp", {}, {}, {}, {}}, OS);
  EXPECT_EQ(OS.str(), "# empty.cpp\n");
}

} // namespace
