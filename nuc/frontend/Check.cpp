// Reporting for nuc's checks: clang diagnostics tagged with the check's
// name, deduplicated across template instantiations.
#include "Check.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"

using namespace clang;

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

} // namespace nuc
