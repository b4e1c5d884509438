// The AST consumer behind nuc: restricts traversal to user code (system
// headers are skipped wholesale), runs the checks, builds the IR.
#include "Frontend.hpp"

#include "Attributes.hpp"
#include "Check.hpp"
#include "IRBuilder.hpp"
#include "Matchers.hpp"
#include "NuApi.hpp"
#include "Serializability.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Sema/Sema.h"
#include "clang/Sema/SemaConsumer.h"

using namespace clang;

namespace nuc {
namespace {

/// Proclet class template specializations the code names (as handle
/// targets, in make_proclet or Run) without needing their definition.
class UsedSpecializations : public ast_matchers::MatchFinder::MatchCallback {
public:
  void run(const ast_matchers::MatchFinder::MatchResult &R) override {
    if (const auto *TL = R.Nodes.getNodeAs<TypeLoc>("handle"))
      add(handleTarget(TL->getType()), TL->getBeginLoc());
    MakeProcletCall Make;
    if (const auto *C = R.Nodes.getNodeAs<CallExpr>("make"))
      if (matchMakeProclet(C, Make))
        add(Make.Proclet, C->getBeginLoc());
  }

  std::vector<std::pair<QualType, SourceLocation>> Used;

private:
  void add(QualType T, SourceLocation Loc) {
    const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(
        T.isNull() ? nullptr : T->getAsCXXRecordDecl());
    if (Spec && !Spec->hasDefinition() && isProcletClass(Spec) &&
        !T->isDependentType())
      Used.emplace_back(T, Loc);
  }
};

class NucConsumer : public SemaConsumer {
public:
  NucConsumer(std::string MainFile, std::vector<ir::TranslationUnit> &Out)
      : MainFile(std::move(MainFile)), Out(Out) {}

  void InitializeSema(Sema &S) override { TheSema = &S; }
  void ForgetSema() override { TheSema = nullptr; }

  void HandleTranslationUnit(ASTContext &Ctx) override {
    if (Ctx.getDiagnostics().hasErrorOccurred())
      return; // clang's own errors: do not check a broken AST
    restrictToUserCode(Ctx);
    instantiateUsedProclets(Ctx);
    Serializability Types(Ctx);
    CheckContext Context{Ctx, Types};
    std::vector<std::unique_ptr<Check>> Checks = createChecks(Context);
    IRBuilder Builder;
    ast_matchers::MatchFinder Finder;
    for (const auto &C : Checks)
      C->registerMatchers(Finder);
    Builder.registerMatchers(Finder);
    Finder.matchAST(Ctx);
    if (!Ctx.getDiagnostics().hasErrorOccurred())
      Out.push_back(Builder.build(Ctx, Types, MainFile));
  }

private:
  /// Proclets live in user code; the standard library is never traversed.
  static void restrictToUserCode(ASTContext &Ctx) {
    const SourceManager &SM = Ctx.getSourceManager();
    std::vector<Decl *> Scope;
    for (Decl *D : Ctx.getTranslationUnitDecl()->decls())
      if (!SM.isInSystemHeader(D->getLocation()))
        Scope.push_back(D);
    Ctx.setTraversalScope(Scope);
  }

  /// Every proclet type the unit uses gets checked and registered, so each
  /// named instantiation of a proclet template is instantiated here.
  void instantiateUsedProclets(ASTContext &Ctx) {
    if (!TheSema)
      return;
    using namespace ast_matchers;
    UsedSpecializations Collector;
    MatchFinder Finder;
    Finder.addMatcher(matchers::writtenHandle(), &Collector);
    Finder.addMatcher(matchers::makeProcletCall(), &Collector);
    Finder.matchAST(Ctx);
    for (const auto &[T, Loc] : Collector.Used)
      (void)TheSema->isCompleteType(Loc, T);
  }

  std::string MainFile;
  std::vector<ir::TranslationUnit> &Out;
  Sema *TheSema = nullptr;
};

class NucAction : public ASTFrontendAction {
public:
  explicit NucAction(std::vector<ir::TranslationUnit> &Out) : Out(Out) {}

  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &,
                                                 StringRef File) override {
    return std::make_unique<NucConsumer>(File.str(), Out);
  }

private:
  std::vector<ir::TranslationUnit> &Out;
};

class Factory : public tooling::FrontendActionFactory {
public:
  explicit Factory(std::vector<ir::TranslationUnit> &Out) : Out(Out) {}
  std::unique_ptr<FrontendAction> create() override {
    return std::make_unique<NucAction>(Out);
  }

private:
  std::vector<ir::TranslationUnit> &Out;
};

} // namespace

std::unique_ptr<tooling::FrontendActionFactory>
newFrontendActionFactory(std::vector<ir::TranslationUnit> &Out) {
  return std::make_unique<Factory>(Out);
}

} // namespace nuc
