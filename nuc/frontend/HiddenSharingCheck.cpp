// nu-hidden-sharing: walks the bodies of proclet methods and of closures
// shipped to Run/RunAsync for uses of mutable static-storage variables.
#include "HiddenSharingCheck.hpp"

#include "Attributes.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {
namespace {

const char *storageKind(const VarDecl *VD) {
  if (VD->getTLSKind() != VarDecl::TLS_None)
    return "thread_local variable";
  if (VD->isStaticDataMember())
    return "static data member";
  if (VD->isStaticLocal())
    return "function-local static";
  return "global variable";
}

bool isMutableGlobal(const VarDecl *VD, const SourceManager &SM) {
  if (!VD->hasGlobalStorage() || VD->isConstexpr())
    return false;
  QualType T = VD->getType().getNonReferenceType();
  if (T.isConstQualified() || isNodeLocal(VD))
    return false;
  return !SM.isInSystemHeader(VD->getCanonicalDecl()->getLocation());
}

/// Collects the first use of each mutable global in a body.
class GlobalUses : public RecursiveASTVisitor<GlobalUses> {
public:
  explicit GlobalUses(const SourceManager &SM) : SM(SM) {}

  bool VisitDeclRefExpr(DeclRefExpr *E) {
    const auto *VD = dyn_cast<VarDecl>(E->getDecl());
    if (VD && isMutableGlobal(VD, SM) && Seen.insert(VD).second)
      Uses.push_back(E);
    return true;
  }

  std::vector<const DeclRefExpr *> Uses;

private:
  const SourceManager &SM;
  llvm::SmallPtrSet<const VarDecl *, 8> Seen;
};

} // namespace

void HiddenSharingCheck::registerMatchers(MatchFinder &Finder) {
  matchCodeInside(Finder);
}

void HiddenSharingCheck::run(const MatchFinder::MatchResult &R) {
  forEachBodyInside(R, [this](const Stmt *Body, const std::string &Who) {
    checkBody(Body, Who);
  });
}

void HiddenSharingCheck::checkBody(const Stmt *Body, const std::string &Who) {
  GlobalUses Finder(ctx().getSourceManager());
  Finder.TraverseStmt(const_cast<Stmt *>(Body));
  for (const DeclRefExpr *E : Finder.Uses) {
    const auto *VD = cast<VarDecl>(E->getDecl());
    const VarDecl *First = VD->getCanonicalDecl();
    Finding F{E->getLocation(),
              Who + " uses " + storageKind(VD) + " '" + VD->getNameAsString() +
                  "', which is not migrated with the proclet",
              DiagnosticsEngine::Warning,
              {},
              {}};
    F.Notes.push_back({First->getLocation(),
                       "declared here; if one copy per node is intended, "
                       "mark it [[nu::node_local]]",
                       {FixItHint::CreateInsertion(First->getBeginLoc(),
                                                   "[[nu::node_local]] ")}});
    report(std::move(F));
  }
}

} // namespace nuc
