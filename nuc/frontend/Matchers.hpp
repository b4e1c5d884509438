// AST matchers shared by the checks and the IR builder.
// They select candidates cheaply; NuApi.hpp confirms the exact API.
#pragma once

#include "Attributes.hpp"

#include "clang/ASTMatchers/ASTMatchers.h"

namespace nuc::matchers {

/// The definition of a [[nu::proclet]] class or of one instantiation.
AST_MATCHER(clang::CXXRecordDecl, isProcletDefinition) {
  return Node.isThisDeclarationADefinition() && isProcletClass(&Node);
}

inline auto procletClass() {
  using namespace clang::ast_matchers;
  return cxxRecordDecl(isProcletDefinition()).bind("proclet");
}

/// Candidate `Run`/`RunAsync` calls (confirmed by nuc::matchRunCall).
inline auto runCall() {
  using namespace clang::ast_matchers;
  return cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName("Run", "RunAsync"))))
      .bind("run");
}

/// Candidate `nu::ShardedMap` calls that ship a closure (confirmed by
/// nuc::matchMapClosureCall).
inline auto mapClosureCall() {
  using namespace clang::ast_matchers;
  return cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(
                               "Apply", "ApplyAsync", "ForEach", "Reduce"))))
      .bind("run");
}

/// Candidate `make_proclet` calls (confirmed by nuc::matchMakeProclet).
inline auto makeProcletCall() {
  using namespace clang::ast_matchers;
  return callExpr(callee(functionDecl(hasName("make_proclet")))).bind("make");
}

/// Template specializations as written in the source, bound to "handle";
/// candidates for `nu::Proclet<T>` / `nu::WeakProclet<T>` (confirmed by
/// nuc::handleTarget). Instantiations of nu's own templates are skipped:
/// they spell `Proclet<T>` for every T they are used with.
inline auto writtenHandle() {
  using namespace clang::ast_matchers;
  return traverse(clang::TK_IgnoreUnlessSpelledInSource,
                  templateSpecializationTypeLoc().bind("handle"));
}

} // namespace nuc::matchers
