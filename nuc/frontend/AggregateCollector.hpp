// Finds the user aggregates nuc writes serializers for: those reached from
// boundary types and proclet state, through fields and containers.
#pragma once

#include "Serializability.hpp"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SetVector.h"

namespace clang {
class CXXRecordDecl;
}

namespace nuc {

/// Walks types the way cereal will, recording every aggregate that needs a
/// generated `serialize` (Serializability::needsGeneratedSerializer).
class AggregateCollector {
public:
  explicit AggregateCollector(Serializability &Types) : Types(Types) {}

  /// Records the aggregates reached from a value of type \p T used as \p U.
  void add(clang::QualType T, Use U);

  /// The aggregates recorded, in the order they were first reached.
  llvm::ArrayRef<const clang::CXXRecordDecl *> records() const {
    return Records.getArrayRef();
  }

private:
  void addTemplateArgs(const clang::CXXRecordDecl *RD, Use U);
  void addFields(const clang::CXXRecordDecl *RD, Use U);

  Serializability &Types;
  llvm::SetVector<const clang::CXXRecordDecl *> Records;
};

} // namespace nuc
