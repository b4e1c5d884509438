// Predicates over decls annotated by the nu:: attributes.
// Template instantiations inherit the annotation of their pattern.
#include "Attributes.hpp"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"

using namespace clang;

namespace nuc {

bool hasAnnotation(const Decl *D, llvm::StringRef Annotation) {
  for (const auto *A : D->specific_attrs<AnnotateAttr>())
    if (A->getAnnotation() == Annotation)
      return true;
  return false;
}

bool isProcletClass(const CXXRecordDecl *RD) {
  if (!RD)
    return false;
  if (hasAnnotation(RD, ProcletAnnotation))
    return true;
  if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RD))
    return hasAnnotation(Spec->getSpecializedTemplate()->getTemplatedDecl(),
                         ProcletAnnotation);
  return false;
}

bool isTransientField(const FieldDecl *FD) {
  return hasAnnotation(FD, TransientAnnotation);
}

bool isNodeLocal(const VarDecl *VD) {
  return hasAnnotation(VD->getCanonicalDecl(), NodeLocalAnnotation) ||
         hasAnnotation(VD, NodeLocalAnnotation);
}

} // namespace nuc
