// nu-nondeterminism: walks the bodies of proclet methods and of closures
// shipped to Run/RunAsync for calls to clocks, random number sources and
// thread or process ids.
#include "NondeterminismCheck.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/StringSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {
namespace {

/// C and POSIX functions, in the global namespace or std.
const llvm::StringSet<> kFunctions = {
    "time",   "clock",  "gettimeofday", "clock_gettime", "rand",
    "rand_r", "random", "drand48",      "lrand48",       "mrand48",
    "getpid", "gettid", "pthread_self", "getrandom",     "arc4random"};

/// The clocks of std::chrono, whose now() is read.
const llvm::StringSet<> kClocks = {
    "system_clock", "steady_clock", "high_resolution_clock",
    "utc_clock",    "tai_clock",    "gps_clock",
    "file_clock"};

/// True if \p D is declared in std, or a namespace nested in it.
bool withinStd(const Decl *D) {
  for (const DeclContext *DC = D->getDeclContext(); DC; DC = DC->getParent())
    if (DC->isStdNamespace())
      return true;
  return false;
}

bool inStdOrGlobal(const FunctionDecl *FD) {
  const DeclContext *DC = FD->getDeclContext()->getRedeclContext();
  return DC->isTranslationUnit() || DC->isStdNamespace();
}

/// The name to show if \p FD is a source of nondeterminism, else "".
std::string nondeterministic(const FunctionDecl *FD) {
  if (!FD)
    return "";
  if (const auto *M = dyn_cast<CXXMethodDecl>(FD)) {
    const CXXRecordDecl *RD = M->getParent();
    if (!RD->getIdentifier() || !withinStd(RD))
      return "";
    if (isa<CXXConstructorDecl>(M) && RD->getName() == "random_device")
      return "std::random_device";
    if (M->getIdentifier() && M->getName() == "now" &&
        kClocks.contains(RD->getName()))
      return "std::chrono::" + RD->getName().str() + "::now";
    return "";
  }
  if (!FD->getIdentifier())
    return "";
  llvm::StringRef Name = FD->getName();
  if (Name == "get_id" && withinStd(FD))
    return "std::this_thread::get_id";
  if (kFunctions.contains(Name) && inStdOrGlobal(FD))
    return Name.str();
  return "";
}

/// Collects the first call of each nondeterministic function in a body.
class Calls : public RecursiveASTVisitor<Calls> {
public:
  bool VisitCallExpr(CallExpr *E) {
    add(E->getDirectCallee(), E->getBeginLoc());
    return true;
  }
  bool VisitCXXConstructExpr(CXXConstructExpr *E) {
    add(E->getConstructor(), E->getBeginLoc());
    return true;
  }

  std::vector<std::pair<SourceLocation, std::string>> Found;

private:
  void add(const FunctionDecl *FD, SourceLocation Loc) {
    std::string Name = nondeterministic(FD);
    if (!Name.empty() && Seen.insert(Name).second)
      Found.emplace_back(Loc, Name);
  }
  llvm::StringSet<> Seen;
};

} // namespace

void NondeterminismCheck::registerMatchers(MatchFinder &Finder) {
  matchCodeInside(Finder);
}

void NondeterminismCheck::run(const MatchFinder::MatchResult &R) {
  forEachBodyInside(R, [this](const Stmt *Body, const std::string &Who) {
    checkBody(Body, Who);
  });
}

void NondeterminismCheck::checkBody(const Stmt *Body, const std::string &Who) {
  Calls Finder;
  Finder.TraverseStmt(const_cast<Stmt *>(Body));
  for (const auto &[Loc, Name] : Finder.Found)
    report({Loc,
            Who + " calls '" + Name +
                "', whose result differs from run to run: the backups of a "
                "replicated proclet would not compute the same state",
            DiagnosticsEngine::Warning,
            {},
            {{Loc, "pass such a value in as an argument instead", {}}}});
}

} // namespace nuc
