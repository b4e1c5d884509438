// Builds the intermediate representation of one translation unit from
// clang's AST: the only place that translates clang types into IR.
#pragma once

#include "IR.hpp"

#include "clang/ASTMatchers/ASTMatchFinder.h"

#include <vector>

namespace nuc {

class Serializability;

/// Collects proclet classes, Run/RunAsync sites and make_proclet sites
/// while the checks' matchers run, then turns them into IR.
class IRBuilder : public clang::ast_matchers::MatchFinder::MatchCallback {
public:
  void registerMatchers(clang::ast_matchers::MatchFinder &Finder);
  void run(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

  /// The IR of everything collected, in source order.
  ir::TranslationUnit build(clang::ASTContext &Ctx, Serializability &Types,
                            const std::string &MainFile) const;

private:
  std::vector<const clang::CXXRecordDecl *> Classes;
  std::vector<const clang::CXXMemberCallExpr *> RunCalls;
  std::vector<const clang::CallExpr *> MakeCalls;
};

} // namespace nuc
