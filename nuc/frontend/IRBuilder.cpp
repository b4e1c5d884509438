// Translation of proclet classes and call sites into plain IR: fully
// qualified type spellings, signatures, and how each type travels.
#include "IRBuilder.hpp"

#include "AggregateCollector.hpp"
#include "Matchers.hpp"
#include "NuApi.hpp"
#include "ProcletMembers.hpp"
#include "Serializability.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/QualTypeNames.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <set>
#include <tuple>

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {
namespace {

/// \p Path relative to the working directory when inside it, so that the
/// IR does not depend on where the tree is checked out.
std::string displayPath(llvm::StringRef Path) {
  llvm::SmallString<256> Cwd;
  if (llvm::sys::fs::current_path(Cwd))
    return Path.str();
  Cwd.push_back('/');
  return Path.startswith(Cwd) ? Path.drop_front(Cwd.size()).str() : Path.str();
}

/// Converts clang entities to IR values for one translation unit.
class Translator {
public:
  Translator(ASTContext &Ctx, Serializability &Types,
             AggregateCollector &Aggregates)
      : Ctx(Ctx), Types(Types), Aggregates(Aggregates) {
    Policy.SuppressUnwrittenScope = true;
  }

  ir::SourceLoc loc(SourceLocation L) const {
    PresumedLoc P = Ctx.getSourceManager().getPresumedLoc(
        Ctx.getSourceManager().getExpansionLoc(L));
    if (P.isInvalid())
      return {};
    return {displayPath(P.getFilename()), P.getLine(), P.getColumn()};
  }

  /// Fully qualified, as written (deduced `auto` replaced by its type);
  /// canonical where clang's qualifying printer would leave a name
  /// unqualified (substituted template arguments, anonymous namespaces).
  std::string spell(QualType T) const {
    while (const auto *DT = dyn_cast<DeducedType>(T.getTypePtr()))
      T = DT->getDeducedType().withFastQualifiers(T.getLocalFastQualifiers());
    if (!needsCanonicalSpelling(T))
      return TypeName::getFullyQualifiedName(T, Ctx, Policy);
    PrintingPolicy Canonical = Policy;
    Canonical.FullyQualifiedName = true;
    Canonical.PrintCanonicalTypes = true;
    return T.getCanonicalType().getAsString(Canonical);
  }

  static bool needsCanonicalSpelling(QualType T) {
    struct Finder : RecursiveASTVisitor<Finder> {
      bool Found = false;
      bool VisitSubstTemplateTypeParmType(SubstTemplateTypeParmType *) {
        Found = true;
        return false;
      }
      bool VisitTagType(TagType *T) {
        Found = T->getDecl()->isInAnonymousNamespace();
        return !Found;
      }
    } F;
    F.TraverseType(T);
    return F.Found;
  }

  /// The type that travels: canonical, without reference or qualifiers.
  std::string decay(QualType T) const {
    return spell(
        T.getNonReferenceType().getCanonicalType().getUnqualifiedType());
  }

  ir::Type type(QualType T, bool IsResult) const {
    ir::Type Out{spell(T), decay(T), ir::TypeKind::Value};
    if (T->isVoidType())
      Out.Kind = ir::TypeKind::Void;
    else if (!Types.classifyBoundary(T, IsResult).ok())
      Out.Kind = ir::TypeKind::Illegal;
    else if (!handleTarget(T).isNull())
      Out.Kind = ir::TypeKind::Handle;
    else if (T->isLValueReferenceType())
      Out.Kind = ir::TypeKind::ConstRef;
    else if (T->isRValueReferenceType())
      Out.Kind = ir::TypeKind::RValueRef;
    if (Out.Kind != ir::TypeKind::Illegal)
      Aggregates.add(T, Use::Boundary);
    return Out;
  }

  std::vector<ir::Param> params(const FunctionDecl *FD, unsigned First) const {
    std::vector<ir::Param> Out;
    for (unsigned I = First; I < FD->getNumParams(); ++I)
      Out.push_back({FD->getParamDecl(I)->getNameAsString(),
                     type(FD->getParamDecl(I)->getType(), false)});
    return Out;
  }

  ir::Method method(const CXXMethodDecl *M) const {
    ir::Method Out{
        M->getNameAsString(), type(M->getReturnType(), true), params(M, 0),
        M->isConst(),         className(M->getParent(), Ctx), "",
        loc(M->getLocation())};
    Out.Signature =
        Out.Result.Spelling + " " + Out.DeclaredIn + "::" + Out.Name + "(";
    for (size_t I = 0; I < Out.Params.size(); ++I)
      Out.Signature += (I ? ", " : "") + Out.Params[I].Ty.Spelling;
    Out.Signature += Out.IsConst ? ") const" : ")";
    return Out;
  }

  ir::Field field(const FieldDecl *F) const {
    ir::Field Out;
    Out.Name = F->getNameAsString();
    Out.Ty = {spell(F->getType()), decay(F->getType()), ir::TypeKind::Value};
    Out.IsTransient = isTransientField(F);
    Out.IsRecreated = Serializability::isRecreated(F->getType());
    Out.IsAtomic = Serializability::isAtomic(F->getType());
    if (!Out.IsTransient && !Types.classify(F->getType(), Use::State).ok())
      Out.Ty.Kind = ir::TypeKind::Illegal;
    Out.DeclaredIn = className(cast<CXXRecordDecl>(F->getParent()), Ctx);
    Out.IsPublic = F->getAccess() == AS_public;
    Out.Loc = loc(F->getLocation());
    return Out;
  }

  ir::ProcletClass proclet(const CXXRecordDecl *RD) const {
    ir::ProcletClass Out;
    Out.Name = className(RD, Ctx);
    Out.Loc = loc(RD->getLocation());
    Out.IsTemplateInstance = isa<ClassTemplateSpecializationDecl>(RD);
    Out.IsAbstract = RD->isAbstract();
    Out.IsFileLocal = RD->isInAnonymousNamespace();
    for (const CXXBaseSpecifier &B : RD->bases())
      Out.Bases.push_back(spell(B.getType()));
    for (const CXXConstructorDecl *C : RD->ctors())
      if (C->getAccess() == AS_public && !C->isDeleted() &&
          !C->isCopyOrMoveConstructor() && !C->isImplicit())
        Out.Constructors.push_back({params(C, 0), loc(C->getLocation())});
    forEachPublicMethod(
        RD, [&](const CXXMethodDecl *M) { Out.Methods.push_back(method(M)); });
    forEachField(RD, [&](const FieldDecl *F) {
      Out.Fields.push_back(field(F));
      if (!Out.Fields.back().IsTransient)
        Aggregates.add(F->getType(), Use::State);
    });
    return Out;
  }

  ir::Aggregate aggregate(const CXXRecordDecl *RD) const {
    ir::Aggregate Out{
        className(RD, Ctx), namespaces(RD), {}, loc(RD->getLocation())};
    forEachField(RD,
                 [&](const FieldDecl *F) { Out.Fields.push_back(field(F)); });
    return Out;
  }

  // The namespaces around \p RD (and the classes it is nested in).
  static std::vector<ir::Namespace> namespaces(const CXXRecordDecl *RD) {
    std::vector<ir::Namespace> Out;
    for (const DeclContext *DC = RD->getDeclContext(); DC; DC = DC->getParent())
      if (const auto *NS = dyn_cast<NamespaceDecl>(DC))
        Out.insert(Out.begin(), {NS->getName().str(), NS->isInline()});
    return Out;
  }

  ir::ClosureSite closure(const RunCall &Call) const {
    ir::ClosureSite Out;
    Out.Loc = loc(Call.Call->getExprLoc());
    Out.Proclet = spell(Call.Proclet);
    Out.Entry = Call.Entry.str();
    Closure C = resolveClosure(Call.Closure);
    const FunctionDecl *FD = C.Function;
    if (C.Lambda && !C.Lambda->isGenericLambda())
      FD = C.Lambda->getCallOperator();
    Out.Kind = C.IsMethod   ? ir::ClosureKind::Method
               : C.Function ? ir::ClosureKind::Function
                            : ir::ClosureKind::Lambda;
    if (C.Function)
      Out.Callee = C.Function->getQualifiedNameAsString();
    if (FD) {
      for (const ir::Param &P : params(FD, C.IsMethod ? 0 : 1))
        Out.Params.push_back(P.Ty);
      Out.Result = type(FD->getReturnType(), true);
      return Out;
    }
    for (const Expr *A : Call.Args) // generic lambda: what is shipped
      Out.Params.push_back(type(A->getType(), false));
    Out.Result = type(Call.Call->getType(), true);
    return Out;
  }

  ir::Creation creation(const MakeProcletCall &Call) const {
    ir::Creation Out{loc(Call.Call->getBeginLoc()), spell(Call.Proclet), {}};
    for (const Expr *A : Call.Args)
      Out.Args.push_back(type(A->getType(), false));
    return Out;
  }

private:
  ASTContext &Ctx;
  Serializability &Types;
  AggregateCollector &Aggregates;
  PrintingPolicy Policy{Ctx.getPrintingPolicy()};
};

auto locKey(const ir::SourceLoc &L) {
  return std::tie(L.File, L.Line, L.Column);
}

} // namespace

void IRBuilder::registerMatchers(MatchFinder &Finder) {
  Finder.addMatcher(matchers::procletClass(), this);
  Finder.addMatcher(matchers::runCall(), this);
  Finder.addMatcher(matchers::makeProcletCall(), this);
}

void IRBuilder::run(const MatchFinder::MatchResult &R) {
  if (const auto *RD = R.Nodes.getNodeAs<CXXRecordDecl>("proclet")) {
    if (!isTemplatePattern(RD))
      Classes.push_back(RD);
  } else if (const auto *C = R.Nodes.getNodeAs<CXXMemberCallExpr>("run")) {
    RunCalls.push_back(C);
  } else if (const auto *C = R.Nodes.getNodeAs<CallExpr>("make")) {
    MakeCalls.push_back(C);
  }
}

ir::TranslationUnit IRBuilder::build(ASTContext &Ctx, Serializability &Types,
                                     const std::string &MainFile) const {
  AggregateCollector Aggregates(Types);
  Translator T(Ctx, Types, Aggregates);
  ir::TranslationUnit TU;
  TU.MainFile = displayPath(MainFile);
  for (const CXXRecordDecl *RD : Classes)
    TU.Proclets.push_back(T.proclet(RD));
  std::set<std::tuple<std::string, unsigned, unsigned, std::string>> Seen;
  for (const CXXMemberCallExpr *C : RunCalls) {
    RunCall Call;
    if (!matchRunCall(C, Call) || Call.Proclet->isDependentType())
      continue;
    ir::ClosureSite S = T.closure(Call);
    if (Seen.emplace(S.Loc.File, S.Loc.Line, S.Loc.Column, S.Proclet).second)
      TU.Closures.push_back(std::move(S));
  }
  for (const CallExpr *C : MakeCalls) {
    MakeProcletCall Call;
    if (matchMakeProclet(C, Call) && !Call.Proclet->isDependentType())
      TU.Creations.push_back(T.creation(Call));
  }
  for (const CXXRecordDecl *RD : Aggregates.records())
    TU.Aggregates.push_back(T.aggregate(RD));
  auto ByLocAndName = [](const auto &A, const auto &B) {
    return std::tuple_cat(locKey(A.Loc), std::tie(A.Name)) <
           std::tuple_cat(locKey(B.Loc), std::tie(B.Name));
  };
  std::stable_sort(TU.Proclets.begin(), TU.Proclets.end(), ByLocAndName);
  std::stable_sort(TU.Aggregates.begin(), TU.Aggregates.end(), ByLocAndName);
  auto ByLoc = [](const auto &A, const auto &B) {
    return locKey(A.Loc) < locKey(B.Loc);
  };
  std::stable_sort(TU.Closures.begin(), TU.Closures.end(), ByLoc);
  std::stable_sort(TU.Creations.begin(), TU.Creations.end(), ByLoc);
  return TU;
}

} // namespace nuc
