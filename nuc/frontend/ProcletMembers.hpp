// The interface and state of a proclet class as nuc sees them: public
// methods (own and inherited) and data members (own and of every base).
#pragma once

#include "clang/AST/Type.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>

namespace clang {
class ASTContext;
class CXXMethodDecl;
class CXXRecordDecl;
class FieldDecl;
} // namespace clang

namespace nuc {

/// Public, non-static, user-declared methods callable through `Run`,
/// including those of public bases that the class does not hide.
void forEachPublicMethod(
    const clang::CXXRecordDecl *RD,
    llvm::function_ref<void(const clang::CXXMethodDecl *)> Fn);

/// Data members of the class and of all its bases, bases first.
void forEachField(const clang::CXXRecordDecl *RD,
                  llvm::function_ref<void(const clang::FieldDecl *)> Fn);

/// True for the pattern of a class template (or a partial specialization):
/// its dependent parts are checked in each instantiation instead.
bool isTemplatePattern(const clang::CXXRecordDecl *RD);

/// For a member of an implicit instantiation of a class template, the type
/// the template wrote for it. Null when \p D is not instantiated.
clang::QualType patternFieldType(const clang::FieldDecl *D);
const clang::CXXMethodDecl *patternMethod(const clang::CXXMethodDecl *M);

/// Whether a member's type \p T needs checking. In a template pattern only
/// non-dependent types are checked; in an instantiation only those that the
/// pattern (\p PatternT, null outside instantiations) wrote dependently.
inline bool needsCheck(clang::QualType T, clang::QualType PatternT) {
  return !T->isDependentType() &&
         (PatternT.isNull() || PatternT->isDependentType());
}

/// The class name as printed in messages and the IR, with template args.
std::string className(const clang::CXXRecordDecl *RD,
                      const clang::ASTContext &Ctx);

} // namespace nuc
