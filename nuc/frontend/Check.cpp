// Reporting for nuc's checks: clang diagnostics tagged with the check's
// name, deduplicated across template instantiations; the code that runs
// inside proclets, which several checks walk.
#include "Check.hpp"

#include "Matchers.hpp"
#include "NuApi.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {

void Check::report(Finding F) {
  SourceManager &SM = ctx().getSourceManager();
  if (F.Loc.isInvalid() || SM.isInSystemHeader(SM.getSpellingLoc(F.Loc)))
    return;
  if (!Emitted.emplace(F.Loc.getRawEncoding(), F.Message).second)
    return;
  DiagnosticsEngine &DE = ctx().getDiagnostics();
  unsigned ID = DE.getCustomDiagID(F.Level, "%0 [%1]");
  {
    DiagnosticBuilder B = DE.Report(F.Loc, ID);
    B << F.Message << Name;
    for (const FixItHint &H : F.FixIts)
      B << H;
  }
  unsigned NoteID = DE.getCustomDiagID(DiagnosticsEngine::Note, "%0");
  for (const Note &N : F.Notes) {
    if (N.Loc.isInvalid())
      continue;
    DiagnosticBuilder B = DE.Report(N.Loc, NoteID);
    B << N.Text;
    for (const FixItHint &H : N.FixIts)
      B << H;
  }
}

void Check::noteInstantiation(Finding &F, const CXXRecordDecl *RD) const {
  const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(RD);
  if (!Spec || Spec->getSpecializationKind() == TSK_ExplicitSpecialization)
    return;
  std::string Name;
  llvm::raw_string_ostream OS(Name);
  Spec->getNameForDiagnostic(OS, ctx().getPrintingPolicy(), true);
  F.Notes.push_back(
      {Spec->getPointOfInstantiation(),
       "in instantiation of proclet '" + OS.str() + "' required here",
       {}});
}

std::string Check::quote(QualType T) const {
  return "'" + T.getAsString(ctx().getPrintingPolicy()) + "'";
}

void Check::matchCodeInside(MatchFinder &Finder) {
  Finder.addMatcher(matchers::procletClass(), this);
  Finder.addMatcher(matchers::runCall(), this);
}

void Check::forEachBodyInside(
    const MatchFinder::MatchResult &R,
    llvm::function_ref<void(const Stmt *, const std::string &)> F) const {
  if (const auto *RD = R.Nodes.getNodeAs<CXXRecordDecl>("proclet")) {
    if (RD->getTemplateInstantiationPattern())
      return; // instantiated bodies repeat the template's
    for (const CXXMethodDecl *M : RD->methods())
      if (const Stmt *Body = M->getBody())
        F(Body, "proclet method '" + M->getQualifiedNameAsString() + "'");
    return;
  }
  RunCall Call;
  if (!matchRunCall(R.Nodes.getNodeAs<CXXMemberCallExpr>("run"), Call))
    return;
  Closure C = resolveClosure(Call.Closure);
  const Stmt *Body = C.Lambda ? C.Lambda->getBody() : nullptr;
  if (!Body && C.Function && !C.IsMethod)
    Body = C.Function->getBody();
  if (Body)
    F(Body, "closure passed to '" + Call.Entry.str() + "'");
}

} // namespace nuc
