// The walk behind AggregateCollector: references, arrays, the element
// types of standard containers, and the fields of aggregates.
#include "AggregateCollector.hpp"

#include "Attributes.hpp"
#include "ProcletMembers.hpp"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"

using namespace clang;

namespace nuc {

void AggregateCollector::add(QualType T, Use U) {
  if (T.isNull() || T->isDependentType())
    return;
  T = T.getNonReferenceType().getCanonicalType();
  if (const ArrayType *AT = T->getAsArrayTypeUnsafe())
    return add(AT->getElementType(), U);
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (RD && Serializability::isStd(RD)) // arguments known, even if undefined
    return addTemplateArgs(RD, U);
  if (!RD || !(RD = RD->getDefinition()))
    return;
  if (!Types.needsGeneratedSerializer(RD) || !Types.classify(T, U).ok())
    return;
  if (Records.insert(RD))
    addFields(RD, U);
}

void AggregateCollector::addTemplateArgs(const CXXRecordDecl *RD, Use U) {
  const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RD);
  if (!Spec)
    return;
  for (const TemplateArgument &A : Spec->getTemplateArgs().asArray())
    if (A.getKind() == TemplateArgument::Type)
      add(A.getAsType(), U);
}

void AggregateCollector::addFields(const CXXRecordDecl *RD, Use U) {
  forEachField(RD, [&](const FieldDecl *F) {
    if (U == Use::Boundary || !isTransientField(F))
      add(F->getType(), U);
  });
}

} // namespace nuc
