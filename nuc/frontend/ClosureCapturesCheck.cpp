// nu-closure-captures: reports every capture (explicit, default or `this`)
// of a lambda that reaches Run/RunAsync or a ShardedMap operation that
// ships it, directly or through a variable.
#include "ClosureCapturesCheck.hpp"

#include "Matchers.hpp"
#include "NuApi.hpp"

#include "clang/AST/ExprCXX.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {

static std::string captureName(const LambdaCapture &Cap) {
  if (Cap.getCaptureKind() == LCK_StarThis)
    return "'*this'";
  if (Cap.capturesThis())
    return "'this'";
  if (Cap.capturesVariable())
    return "'" + Cap.getCapturedVar()->getNameAsString() + "'";
  return "a variable-length array";
}

void ClosureCapturesCheck::registerMatchers(MatchFinder &Finder) {
  Finder.addMatcher(matchers::runCall(), this);
  Finder.addMatcher(matchers::mapClosureCall(), this);
}

void ClosureCapturesCheck::run(const MatchFinder::MatchResult &R) {
  RunCall Call;
  const auto *E = R.Nodes.getNodeAs<CXXMemberCallExpr>("run");
  if (!matchRunCall(E, Call) && !matchMapClosureCall(E, Call))
    return;
  Closure C = resolveClosure(Call.Closure);
  if (!C.Lambda)
    return;
  const LambdaExpr *L = C.Lambda;
  std::string Prefix = "closure passed to '" + Call.Entry.str() + "' ";
  const std::string Fix = "; pass it as an argument instead";
  std::vector<Finding> Findings;
  if (L->getCaptureDefault() != LCD_None)
    Findings.push_back({L->getCaptureDefaultLoc(),
                        Prefix + "has a default capture '" +
                            (L->getCaptureDefault() == LCD_ByRef ? "&" : "=") +
                            "'; pass what it uses as arguments instead",
                        DiagnosticsEngine::Error,
                        {},
                        {}});
  for (const LambdaCapture &Cap : L->explicit_captures())
    Findings.push_back({Cap.getLocation(),
                        Prefix + "captures " + captureName(Cap) + Fix,
                        DiagnosticsEngine::Error,
                        {},
                        {}});
  for (Finding &F : Findings) {
    if (C.Via)
      F.Notes.push_back({Call.Closure->getExprLoc(),
                         "passed to '" + Call.Entry.str() + "' here through '" +
                             C.Via->getNameAsString() + "'",
                         {}});
    report(std::move(F));
  }
}

} // namespace nuc
