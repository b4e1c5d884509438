// Decides whether a type can travel between proclets (or be migrated as
// state), and if not, which part of it is to blame and why.
#pragma once

#include "clang/AST/Type.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <string>

namespace clang {
class ASTContext;
class CXXRecordDecl;
class NamedDecl;
} // namespace clang

namespace nuc {

/// Why a type cannot cross a proclet boundary or be saved as state.
enum class Problem {
  None,
  RawPointer,
  Array,
  Reference,
  LValueReference, ///< non-const `T&` at a boundary: an out-parameter
  StateReference,  ///< a result that is a reference into proclet state
  MemberPointer,
  View,
  NotSerializable,
  LocalAggregate, ///< an aggregate declared in a function body
};

/// The verdict on a type; when there is a problem, the innermost type at
/// fault and, for user types, the declaration a note should point at.
struct Verdict {
  Problem Kind = Problem::None;
  clang::QualType Offender;
  const clang::NamedDecl *NoteDecl = nullptr;
  std::string NoteText;

  bool ok() const { return Kind == Problem::None; }
};

/// Where a value lives: crossing a boundary by value, or saved as state
/// (where mutexes and atomics are accepted and re-created).
enum class Use { Boundary, State };

/// Classifies types against nu's serialization rules; caches per record.
class Serializability {
public:
  explicit Serializability(clang::ASTContext &Ctx) : Ctx(Ctx) {}

  /// Classifies a value of type \p T. Dependent types are accepted: they
  /// are checked again in each instantiation.
  Verdict classify(clang::QualType T, Use U);

  /// Classifies a parameter or result type at a proclet boundary: values,
  /// `const T&` and `T&&` are fine when `T` is; non-const `T&` is not.
  Verdict classifyBoundary(clang::QualType T, bool IsResult);

  /// A phrase such as "'int *' is a raw pointer" for \p V.
  std::string reason(const Verdict &V) const;

  /// True for std::mutex and friends: state that is re-created, not saved.
  static bool isRecreated(clang::QualType T);

  /// True for `std::atomic<T>`: state saved and loaded by value.
  static bool isAtomic(clang::QualType T);

  /// True for a class in namespace std or one nested in it.
  static bool isStd(const clang::CXXRecordDecl *RD);

  /// True for a user aggregate with no cereal functions of its own, whose
  /// `serialize` nuc writes.
  bool needsGeneratedSerializer(const clang::CXXRecordDecl *RD);

private:
  Verdict classifyRecord(clang::QualType T, const clang::CXXRecordDecl *RD,
                         Use U);
  Verdict classifyStd(clang::QualType T, const clang::CXXRecordDecl *RD, Use U);
  Verdict classifyTemplateArgs(const clang::CXXRecordDecl *RD, Use U);
  Verdict classifyAggregate(const clang::CXXRecordDecl *RD, Use U);
  bool hasCerealFunctions(const clang::CXXRecordDecl *RD);

  clang::ASTContext &Ctx;
  llvm::DenseMap<std::pair<const clang::CXXRecordDecl *, int>, Verdict> Cache;
  llvm::SmallPtrSet<const clang::CXXRecordDecl *, 8> InProgress;
};

} // namespace nuc
