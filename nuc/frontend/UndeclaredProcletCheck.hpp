// nu-undeclared-proclet: make_proclet<T>, Proclet<T>, WeakProclet<T> and
// Run need a T marked [[nu::proclet]] (nuc generates its tables).
#pragma once

#include "Check.hpp"

namespace nuc {

class UndeclaredProcletCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder &Finder) override;
  void run(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  void checkTarget(clang::SourceLocation Loc, const std::string &Use,
                   clang::QualType T);
};

} // namespace nuc
