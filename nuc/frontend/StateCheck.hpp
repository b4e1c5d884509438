// nu-state: a proclet's fields are what migration saves and restores, so
// each must be serializable or marked [[nu::transient]].
#pragma once

#include "Check.hpp"

namespace nuc {

class StateCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder &Finder) override;
  void run(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  void checkConstruction(const clang::CXXRecordDecl *RD);
  void checkField(const clang::FieldDecl *F, const clang::CXXRecordDecl *RD);
};

} // namespace nuc
