// nu-boundary-types: what crosses a proclet boundary must be a value that
// can be serialized -- no pointers, non-const references or views.
#pragma once

#include "Check.hpp"
#include "Serializability.hpp"

namespace clang {
class CXXMethodDecl;
class FunctionDecl;
} // namespace clang

namespace nuc {

struct MakeProcletCall;
struct RunCall;

class BoundaryTypesCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder &Finder) override;
  void run(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  void checkMethod(const clang::CXXMethodDecl *M,
                   const clang::CXXRecordDecl *Proclet);
  void checkClosure(const RunCall &Call);
  void checkCreation(const MakeProcletCall &Call);
  void checkSignature(const clang::FunctionDecl *FD, unsigned FirstParam,
                      const std::string &What,
                      const clang::CXXRecordDecl *Instance);
  void reportVerdict(clang::SourceLocation Loc, const std::string &What,
                     clang::QualType Whole, const Verdict &V,
                     std::vector<clang::FixItHint> FixIts,
                     const clang::CXXRecordDecl *Instance);
};

} // namespace nuc
