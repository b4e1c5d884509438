// nu-undeclared-proclet: every T used as a proclet must carry the
// attribute; the fix-it adds it at T's definition.
#include "UndeclaredProcletCheck.hpp"

#include "Attributes.hpp"
#include "Matchers.hpp"
#include "NuApi.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {

void UndeclaredProcletCheck::registerMatchers(MatchFinder &Finder) {
  Finder.addMatcher(matchers::runCall(), this);
  Finder.addMatcher(matchers::makeProcletCall(), this);
  Finder.addMatcher(matchers::writtenHandle(), this);
}

void UndeclaredProcletCheck::run(const MatchFinder::MatchResult &R) {
  if (const auto *TL =
          R.Nodes.getNodeAs<TemplateSpecializationTypeLoc>("handle")) {
    QualType T = handleTarget(TL->getType());
    if (T.isNull())
      return;
    std::string Handle;
    llvm::raw_string_ostream OS(Handle);
    TL->getType()->getAsCXXRecordDecl()->getNameForDiagnostic(
        OS, ctx().getPrintingPolicy(), /*Qualified=*/true);
    checkTarget(TL->getTemplateNameLoc(), "'" + OS.str() + "'", T);
    return;
  }
  RunCall Run;
  if (const auto *Call = R.Nodes.getNodeAs<CXXMemberCallExpr>("run"))
    if (matchRunCall(Call, Run))
      checkTarget(Call->getExprLoc(), "'" + Run.Entry.str() + "'", Run.Proclet);
  MakeProcletCall Make;
  if (const auto *Call = R.Nodes.getNodeAs<CallExpr>("make"))
    if (matchMakeProclet(Call, Make))
      checkTarget(Call->getBeginLoc(), "'make_proclet'", Make.Proclet);
}

void UndeclaredProcletCheck::checkTarget(SourceLocation Loc,
                                         const std::string &Use, QualType T) {
  if (T->isDependentType())
    return;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (RD && isProcletClass(RD))
    return;
  Finding F{Loc,
            Use + " needs a proclet class, but " + quote(T) +
                " is not marked [[nu::proclet]]",
            DiagnosticsEngine::Error,
            {},
            {}};
  if (RD && !isa<ClassTemplateSpecializationDecl>(RD)) {
    const CXXRecordDecl *Def = RD->getDefinition() ? RD->getDefinition() : RD;
    F.Notes.push_back(
        {Def->getLocation(),
         "add [[nu::proclet]] to the class",
         {FixItHint::CreateInsertion(Def->getLocation(), "[[nu::proclet]] ")}});
  } else if (RD) {
    F.Notes.push_back(
        {RD->getLocation(), "add [[nu::proclet]] to the class template", {}});
  }
  report(std::move(F));
}

} // namespace nuc
