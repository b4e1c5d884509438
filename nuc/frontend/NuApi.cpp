// Recognition of the nu runtime API in the AST.
// Names are matched on the declaration, so aliases and `using` work.
#include "NuApi.hpp"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/StringSwitch.h"

using namespace clang;

namespace nuc {

bool isNuDecl(const NamedDecl *D, llvm::StringRef Name) {
  if (!D || !D->getIdentifier() || D->getName() != Name)
    return false;
  const DeclContext *DC = D->getDeclContext();
  while (DC && DC->isInlineNamespace())
    DC = DC->getParent();
  const auto *NS = dyn_cast_or_null<NamespaceDecl>(DC);
  return NS && NS->getIdentifier() && NS->getName() == "nu" &&
         NS->getParent()->getRedeclContext()->isTranslationUnit();
}

QualType handleTarget(QualType Handle) {
  if (Handle.isNull())
    return {};
  const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      Handle.getNonReferenceType()->getAsCXXRecordDecl());
  if (!Spec || !(isNuDecl(Spec, "Proclet") || isNuDecl(Spec, "WeakProclet")))
    return {};
  const TemplateArgumentList &Args = Spec->getTemplateArgs();
  if (Args.size() < 1 || Args[0].getKind() != TemplateArgument::Type)
    return {};
  return Args[0].getAsType();
}

static llvm::ArrayRef<const Expr *> argsFrom(const CallExpr *Call,
                                             unsigned First) {
  llvm::ArrayRef<const Expr *> All(Call->getArgs(), Call->getNumArgs());
  return First < All.size() ? All.drop_front(First)
                            : llvm::ArrayRef<const Expr *>();
}

bool matchRunCall(const CXXMemberCallExpr *Call, RunCall &Out) {
  const CXXMethodDecl *M = Call->getMethodDecl();
  if (!M || !M->getIdentifier() ||
      (M->getName() != "Run" && M->getName() != "RunAsync"))
    return false;
  QualType T = handleTarget(Call->getObjectType());
  if (T.isNull() || Call->getNumArgs() < 1)
    return false;
  Out = {Call, T, M->getName(), Call->getArg(0), argsFrom(Call, 1)};
  return true;
}

bool matchMapClosureCall(const CXXMemberCallExpr *Call, RunCall &Out) {
  const CXXMethodDecl *M = Call->getMethodDecl();
  const auto *Map = Call->getObjectType().isNull()
                        ? nullptr
                        : Call->getObjectType()->getAsCXXRecordDecl();
  if (!M || !M->getIdentifier() || !Map || !isNuDecl(Map, "ShardedMap"))
    return false;
  unsigned Index = llvm::StringSwitch<unsigned>(M->getName())
                       .Cases("Apply", "ApplyAsync", "Reduce", 1)
                       .Case("ForEach", 0)
                       .Default(~0u);
  if (Index >= Call->getNumArgs())
    return false;
  Out = {Call, QualType(), M->getName(), Call->getArg(Index),
         argsFrom(Call, Index + 1)};
  return true;
}

bool matchMakeProclet(const CallExpr *Call, MakeProcletCall &Out) {
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!FD || !isNuDecl(FD, "make_proclet"))
    return false;
  const TemplateArgumentList *TArgs = FD->getTemplateSpecializationArgs();
  if (!TArgs || TArgs->size() < 1 ||
      TArgs->get(0).getKind() != TemplateArgument::Type)
    return false;
  unsigned First = 0;
  if (Call->getNumArgs() > 0) {
    const auto *RD = Call->getArg(0)->getType()->getAsCXXRecordDecl();
    if (RD && isNuDecl(RD, "ProcletOptions"))
      First = 1;
  }
  Out = {Call, TArgs->get(0).getAsType(), argsFrom(Call, First)};
  return true;
}

} // namespace nuc

namespace nuc {

static const Expr *stripClosure(const Expr *E) {
  while (true) {
    E = E->IgnoreParenImpCasts();
    if (const auto *U = dyn_cast<UnaryOperator>(E);
        U && (U->getOpcode() == UO_Plus || U->getOpcode() == UO_AddrOf)) {
      E = U->getSubExpr();
    } else if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(E)) {
      E = M->getSubExpr();
    } else if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(E)) {
      E = B->getSubExpr();
    } else if (const auto *C = dyn_cast<CXXConstructExpr>(E);
               C && C->getNumArgs() == 1) {
      E = C->getArg(0); // copy or move of a closure object
    } else if (const auto *Conv = dyn_cast<CXXMemberCallExpr>(E);
               Conv && isa<CXXConversionDecl>(Conv->getMethodDecl())) {
      E = Conv->getImplicitObjectArgument(); // `+lambda` conversion
    } else {
      return E;
    }
  }
}

Closure resolveClosure(const Expr *E) {
  Closure Out;
  for (int Depth = 0; E && Depth < 8; ++Depth) {
    E = stripClosure(E);
    if (const auto *L = dyn_cast<LambdaExpr>(E)) {
      Out.Lambda = L;
      return Out;
    }
    const auto *Ref = dyn_cast<DeclRefExpr>(E);
    if (!Ref)
      return Out;
    if (const auto *FD = dyn_cast<FunctionDecl>(Ref->getDecl())) {
      Out.Function = FD;
      Out.IsMethod =
          isa<CXXMethodDecl>(FD) && !cast<CXXMethodDecl>(FD)->isStatic();
      return Out;
    }
    const auto *VD = dyn_cast<VarDecl>(Ref->getDecl());
    if (!VD || !VD->getInit())
      return Out;
    if (!Out.Via)
      Out.Via = VD;
    E = VD->getInit();
  }
  return Out;
}

} // namespace nuc
