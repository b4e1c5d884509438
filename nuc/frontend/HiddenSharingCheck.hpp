// nu-hidden-sharing (warning): code running inside a proclet that uses
// mutable globals or statics, whose values do not move with the proclet.
#pragma once

#include "Check.hpp"

namespace clang {
class Stmt;
}

namespace nuc {

class HiddenSharingCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder &Finder) override;
  void run(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  void checkBody(const clang::Stmt *Body, const std::string &Who);
};

} // namespace nuc
