// nu-nondeterminism (warning): code running inside a proclet that calls
// something whose result differs from run to run (clocks, random numbers,
// thread ids), which a replicated proclet's backups would not reproduce.
#pragma once

#include "Check.hpp"

namespace clang {
class Stmt;
}

namespace nuc {

class NondeterminismCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder &Finder) override;
  void run(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  void checkBody(const clang::Stmt *Body, const std::string &Who);
};

} // namespace nuc
