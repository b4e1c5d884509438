// nu-boundary-types: parameters and results of public proclet methods and
// of closures shipped to Run/RunAsync, and arguments of make_proclet.
#include "BoundaryTypesCheck.hpp"

#include "Matchers.hpp"
#include "NuApi.hpp"
#include "ProcletMembers.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {
namespace {

bool isCharPointer(QualType T) {
  return T->isPointerType() && T->getPointeeType()->isAnyCharacterType();
}

/// The obvious owning replacement for a parameter type, if there is one.
std::vector<FixItHint> paramFixIts(const ParmVarDecl *P, const Verdict &V) {
  const TypeSourceInfo *TSI = P->getTypeSourceInfo();
  if (!TSI || V.Offender != P->getOriginalType())
    return {};
  SourceRange Range = TSI->getTypeLoc().getSourceRange();
  if (V.Kind == Problem::LValueReference)
    return {FixItHint::CreateInsertion(Range.getBegin(), "const ")};
  bool StringView =
      V.Kind == Problem::View &&
      V.Offender.getAsString().find("string_view") != std::string::npos;
  if (isCharPointer(V.Offender) || StringView)
    return {FixItHint::CreateReplacement(Range, "std::string")};
  return {};
}

} // namespace

void BoundaryTypesCheck::registerMatchers(MatchFinder &Finder) {
  Finder.addMatcher(matchers::procletClass(), this);
  Finder.addMatcher(matchers::runCall(), this);
  Finder.addMatcher(matchers::makeProcletCall(), this);
}

void BoundaryTypesCheck::run(const MatchFinder::MatchResult &R) {
  if (const auto *RD = R.Nodes.getNodeAs<CXXRecordDecl>("proclet")) {
    forEachPublicMethod(RD,
                        [&](const CXXMethodDecl *M) { checkMethod(M, RD); });
    return;
  }
  RunCall Run;
  if (const auto *Call = R.Nodes.getNodeAs<CXXMemberCallExpr>("run"))
    if (matchRunCall(Call, Run))
      checkClosure(Run);
  MakeProcletCall Make;
  if (const auto *Call = R.Nodes.getNodeAs<CallExpr>("make"))
    if (matchMakeProclet(Call, Make))
      checkCreation(Make);
}

// Where the parameter types are not known (make_proclet, a generic
// closure), a string literal travels as std::string, as the runtime ships it.
static bool travelsAsString(const Expr *Arg) {
  const auto *Literal = dyn_cast<StringLiteral>(Arg->IgnoreParenImpCasts());
  return Literal && Literal->isOrdinary();
}

void BoundaryTypesCheck::checkMethod(const CXXMethodDecl *M,
                                     const CXXRecordDecl *Proclet) {
  // Inherited methods are checked once, in the class that declares them.
  const CXXRecordDecl *Owner = M->getParent();
  if (Owner != Proclet && isProcletClass(Owner))
    return;
  checkSignature(M, 0, "public method '" + M->getNameAsString() + "'", Proclet);
}

void BoundaryTypesCheck::checkSignature(const FunctionDecl *FD,
                                        unsigned FirstParam,
                                        const std::string &What,
                                        const CXXRecordDecl *Instance) {
  const auto *M = dyn_cast<CXXMethodDecl>(FD);
  const FunctionDecl *Pattern = M ? patternMethod(M) : nullptr;
  QualType Result = FD->getReturnType();
  if (needsCheck(Result, Pattern ? Pattern->getReturnType() : QualType())) {
    Verdict V = types().classifyBoundary(Result, /*IsResult=*/true);
    SourceLocation Loc = FD->getReturnTypeSourceRange().getBegin();
    if (!V.ok())
      reportVerdict(Loc.isValid() ? Loc : FD->getLocation(),
                    "result of " + What, Result, V, {}, Instance);
  }
  for (unsigned I = FirstParam; I < FD->getNumParams(); ++I) {
    const ParmVarDecl *P = FD->getParamDecl(I);
    QualType T = P->getOriginalType();
    QualType PT = Pattern && I < Pattern->getNumParams()
                      ? Pattern->getParamDecl(I)->getOriginalType()
                      : QualType();
    if (!needsCheck(T, PT))
      continue;
    Verdict V = types().classifyBoundary(T, /*IsResult=*/false);
    if (V.ok())
      continue;
    std::string Name = P->getName().empty()
                           ? "parameter " + std::to_string(I + 1)
                           : "parameter '" + P->getNameAsString() + "'";
    reportVerdict(P->getLocation(), Name + " of " + What, T, V,
                  paramFixIts(P, V), Instance);
  }
}

void BoundaryTypesCheck::checkClosure(const RunCall &Call) {
  Closure C = resolveClosure(Call.Closure);
  std::string What = "closure passed to '" + Call.Entry.str() + "'";
  if (C.Lambda) {
    const CXXMethodDecl *Op = C.Lambda->getCallOperator();
    if (!C.Lambda->isGenericLambda()) {
      checkSignature(Op, 1, What, nullptr);
      return;
    }
  } else if (C.Function && !C.IsMethod) {
    checkSignature(C.Function, 1, What, nullptr);
    return;
  } else {
    return; // a method: checked with its class
  }
  // A generic lambda: check what is actually shipped.
  for (size_t I = 0; I < Call.Args.size(); ++I) {
    if (travelsAsString(Call.Args[I]))
      continue;
    QualType T = Call.Args[I]->getType();
    Verdict V = types().classifyBoundary(T, false);
    if (!V.ok())
      reportVerdict(Call.Args[I]->getExprLoc(),
                    "argument " + std::to_string(I + 1) + " of " + What, T, V,
                    {}, nullptr);
  }
}

void BoundaryTypesCheck::checkCreation(const MakeProcletCall &Call) {
  std::string What = "'make_proclet<" +
                     Call.Proclet.getAsString(ctx().getPrintingPolicy()) + ">'";
  for (size_t I = 0; I < Call.Args.size(); ++I) {
    const Expr *Arg = Call.Args[I];
    if (travelsAsString(Arg))
      continue;
    QualType T = Arg->getType();
    Verdict V = types().classifyBoundary(T, false);
    if (!V.ok())
      reportVerdict(Arg->getExprLoc(),
                    "argument " + std::to_string(I + 1) + " of " + What, T, V,
                    {}, nullptr);
  }
}

void BoundaryTypesCheck::reportVerdict(SourceLocation Loc,
                                       const std::string &What, QualType Whole,
                                       const Verdict &V,
                                       std::vector<FixItHint> FixIts,
                                       const CXXRecordDecl *Instance) {
  std::string Reason = types().reason(V);
  if (V.Offender != Whole && !Whole->isReferenceType())
    Reason += " (in " + quote(Whole) + ")";
  Finding F{Loc,
            What + " cannot cross a proclet boundary: " + Reason,
            DiagnosticsEngine::Error,
            std::move(FixIts),
            {}};
  if (V.NoteDecl)
    F.Notes.push_back({V.NoteDecl->getLocation(), V.NoteText, {}});
  noteInstantiation(F, Instance);
  report(std::move(F));
}

} // namespace nuc
