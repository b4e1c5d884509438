// nu-state: raw pointers, references and non-serializable fields of a
// proclet class or of any of its bases, unless [[nu::transient]].
#include "StateCheck.hpp"

#include "Matchers.hpp"
#include "ProcletMembers.hpp"
#include "Serializability.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace nuc {

void StateCheck::registerMatchers(MatchFinder &Finder) {
  Finder.addMatcher(matchers::procletClass(), this);
}

void StateCheck::run(const MatchFinder::MatchResult &R) {
  const auto *RD = R.Nodes.getNodeAs<CXXRecordDecl>("proclet");
  checkConstruction(RD);
  forEachField(RD, [&](const FieldDecl *F) { checkField(F, RD); });
}

static bool hasPublicDefaultConstructor(const CXXRecordDecl *RD) {
  if (RD->needsImplicitDefaultConstructor())
    return true; // declared implicitly, public
  for (const CXXConstructorDecl *C : RD->ctors())
    if (C->isDefaultConstructor() && C->getAccess() == AS_public &&
        !C->isDeleted())
      return true;
  return false;
}

// A migrated proclet is created before its fields are loaded: with its
// public default constructor, or else field by field, which cannot give a
// polymorphic class its vtable.
void StateCheck::checkConstruction(const CXXRecordDecl *RD) {
  if (!RD->hasDefinition() || RD->isDependentContext() ||
      !RD->isPolymorphic() || hasPublicDefaultConstructor(RD))
    return;
  report({RD->getLocation(),
          "polymorphic proclet '" + className(RD, ctx()) +
              "' needs a public default constructor: a migrated proclet is "
              "created with it, then its fields are loaded",
          DiagnosticsEngine::Error,
          {},
          {}});
}

void StateCheck::checkField(const FieldDecl *F, const CXXRecordDecl *RD) {
  if (isTransientField(F) || !needsCheck(F->getType(), patternFieldType(F)))
    return;
  if (ctx().getBaseElementType(F->getType()).isConstQualified()) {
    const auto *Owner = cast<CXXRecordDecl>(F->getParent());
    Finding Out{F->getLocation(),
                "field '" + F->getNameAsString() + "' of '" +
                    className(Owner, ctx()) +
                    "' is const: a migrated proclet's fields are loaded "
                    "after it is created; drop 'const' (a private field "
                    "stays read-only), or make it 'static constexpr'",
                DiagnosticsEngine::Error,
                {},
                {}};
    noteInstantiation(Out, RD);
    return report(std::move(Out));
  }
  Verdict V = types().classify(F->getType(), Use::State);
  if (V.ok())
    return;
  const auto *Owner = cast<CXXRecordDecl>(F->getParent());
  std::string Reason = types().reason(V);
  if (V.Offender != F->getType())
    Reason += " (in " + quote(F->getType()) + ")";
  Finding Out{F->getLocation(),
              "field '" + F->getNameAsString() + "' of '" +
                  className(Owner, ctx()) +
                  "' cannot be migrated with the proclet: " + Reason,
              DiagnosticsEngine::Error,
              {},
              {}};
  if (V.NoteDecl)
    Out.Notes.push_back({V.NoteDecl->getLocation(), V.NoteText, {}});
  Out.Notes.push_back(
      {F->getBeginLoc(),
       "if it can be re-created empty after a migration, mark it "
       "[[nu::transient]]",
       {FixItHint::CreateInsertion(F->getBeginLoc(), "[[nu::transient]] ")}});
  noteInstantiation(Out, RD);
  report(std::move(Out));
}

} // namespace nuc
