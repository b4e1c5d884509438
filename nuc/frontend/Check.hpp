// The base class of nuc's checks, in the manner of clang-tidy: a check
// registers AST matchers and reports findings tagged with its name.
#pragma once

#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/Basic/Diagnostic.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace clang {
class CXXRecordDecl;
}

namespace nuc {

class Serializability;

/// A note attached to a finding, with optional fix-its.
struct Note {
  clang::SourceLocation Loc;
  std::string Text;
  std::vector<clang::FixItHint> FixIts;
};

/// One diagnostic: "<Message> [<check name>]" plus notes.
struct Finding {
  clang::SourceLocation Loc;
  std::string Message;
  clang::DiagnosticsEngine::Level Level = clang::DiagnosticsEngine::Error;
  std::vector<clang::FixItHint> FixIts;
  std::vector<Note> Notes;
};

/// State shared by the checks of one translation unit.
struct CheckContext {
  clang::ASTContext &Ctx;
  Serializability &Types;
};

class Check : public clang::ast_matchers::MatchFinder::MatchCallback {
public:
  Check(llvm::StringRef Name, CheckContext &Context)
      : Name(Name), Context(Context) {}

  llvm::StringRef name() const { return Name; }

  /// Adds this check's matchers to \p Finder.
  virtual void registerMatchers(clang::ast_matchers::MatchFinder &Finder) = 0;

protected:
  /// Emits \p F unless it lies in a system header or was already emitted
  /// (template instantiations revisit the same code).
  void report(Finding F);

  /// Appends "in instantiation of proclet 'X<...>' required here" when
  /// \p RD is an implicit instantiation of a proclet class template.
  void noteInstantiation(Finding &F, const clang::CXXRecordDecl *RD) const;

  /// The type as the user reads it in a diagnostic, quoted.
  std::string quote(clang::QualType T) const;

  /// Matches the code that runs inside proclets: proclet classes, and the
  /// calls that ship closures to Run/RunAsync.
  void matchCodeInside(clang::ast_matchers::MatchFinder &Finder);
  /// For a match of matchCodeInside(): each body that runs inside a
  /// proclet (its methods', a shipped closure's) and how to name its code.
  void forEachBodyInside(
      const clang::ast_matchers::MatchFinder::MatchResult &R,
      llvm::function_ref<void(const clang::Stmt *, const std::string &)> F)
      const;

  clang::ASTContext &ctx() const { return Context.Ctx; }
  Serializability &types() const { return Context.Types; }

private:
  std::string Name;
  CheckContext &Context;
  std::set<std::pair<unsigned, std::string>> Emitted;
};

/// The checks nuc runs, one instance of each, in a fixed order.
std::vector<std::unique_ptr<Check>> createChecks(CheckContext &Context);

} // namespace nuc
