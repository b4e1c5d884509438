// Enumeration of a proclet's methods and fields, and the mapping from a
// template instantiation's members back to what the template wrote.
#include "ProcletMembers.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"

using namespace clang;

namespace nuc {
namespace {

bool isInterfaceMethod(const CXXMethodDecl *M) {
  if (M->isImplicit() || M->isStatic() || M->isDeleted() ||
      M->getAccess() != AS_public || !M->getIdentifier())
    return false; // constructors, destructors, operators, conversions
  return !isa<CXXConstructorDecl, CXXDestructorDecl, CXXConversionDecl>(M);
}

void collectMethods(const CXXRecordDecl *RD, llvm::StringSet<> &Hidden,
                    llvm::function_ref<void(const CXXMethodDecl *)> Fn) {
  llvm::StringSet<> Declared;
  for (const CXXMethodDecl *M : RD->methods()) {
    if (!M->getIdentifier() || Hidden.contains(M->getName()))
      continue;
    Declared.insert(M->getName());
    if (isInterfaceMethod(M))
      Fn(M);
  }
  // Method templates: instantiated on demand, not part of the method table.
  for (const Decl *D : RD->decls())
    if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D))
      Declared.insert(FT->getName());
  for (const auto &Name : Declared)
    Hidden.insert(Name.getKey());
  for (const CXXBaseSpecifier &B : RD->bases()) {
    if (B.getAccessSpecifier() != AS_public)
      continue;
    if (const auto *Base = B.getType()->getAsCXXRecordDecl())
      if (Base->hasDefinition())
        collectMethods(Base->getDefinition(), Hidden, Fn);
  }
}

void collectFields(const CXXRecordDecl *RD,
                   llvm::SmallPtrSetImpl<const CXXRecordDecl *> &Seen,
                   llvm::function_ref<void(const FieldDecl *)> Fn) {
  if (!RD || !RD->hasDefinition() || !Seen.insert(RD).second)
    return;
  RD = RD->getDefinition();
  for (const CXXBaseSpecifier &B : RD->bases())
    collectFields(B.getType()->getAsCXXRecordDecl(), Seen, Fn);
  for (const FieldDecl *F : RD->fields())
    Fn(F);
}

const CXXRecordDecl *patternOf(const CXXRecordDecl *RD) {
  const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(RD);
  if (!Spec || !isTemplateInstantiation(Spec->getSpecializationKind()))
    return nullptr;
  return RD->getTemplateInstantiationPattern();
}

} // namespace

void forEachPublicMethod(const CXXRecordDecl *RD,
                         llvm::function_ref<void(const CXXMethodDecl *)> Fn) {
  llvm::StringSet<> Hidden;
  collectMethods(RD, Hidden, Fn);
}

void forEachField(const CXXRecordDecl *RD,
                  llvm::function_ref<void(const FieldDecl *)> Fn) {
  llvm::SmallPtrSet<const CXXRecordDecl *, 8> Seen;
  collectFields(RD, Seen, Fn);
}

bool isTemplatePattern(const CXXRecordDecl *RD) {
  return RD->getDescribedClassTemplate() ||
         isa<ClassTemplatePartialSpecializationDecl>(RD) ||
         RD->isDependentContext();
}

QualType patternFieldType(const FieldDecl *D) {
  const CXXRecordDecl *Pattern =
      patternOf(dyn_cast<CXXRecordDecl>(D->getParent()));
  if (!Pattern || !D->getIdentifier())
    return {};
  for (const NamedDecl *ND : Pattern->lookup(D->getDeclName()))
    if (const auto *PF = dyn_cast<FieldDecl>(ND))
      return PF->getType();
  return {};
}

const CXXMethodDecl *patternMethod(const CXXMethodDecl *M) {
  return dyn_cast_or_null<CXXMethodDecl>(
      M->getInstantiatedFromMemberFunction());
}

std::string className(const CXXRecordDecl *RD, const ASTContext &Ctx) {
  std::string Name;
  llvm::raw_string_ostream OS(Name);
  PrintingPolicy P = Ctx.getPrintingPolicy();
  P.SuppressUnwrittenScope = true;
  RD->getNameForDiagnostic(OS, P, /*Qualified=*/true);
  return OS.str();
}

} // namespace nuc
