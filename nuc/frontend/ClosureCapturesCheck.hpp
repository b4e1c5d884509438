// nu-closure-captures: a closure shipped to Run/RunAsync runs where the
// proclet lives, so it must not capture anything from the caller.
#pragma once

#include "Check.hpp"

namespace nuc {

class ClosureCapturesCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder &Finder) override;
  void run(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
};

} // namespace nuc
