// nu's serialization rules: what cereal can save and load for a proclet.
// Standard library types are recognised by name; user types by their
// cereal functions or by being aggregates of serializable members.
#include "Serializability.hpp"

#include "Attributes.hpp"
#include "NuApi.hpp"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "llvm/ADT/StringSwitch.h"

using namespace clang;

namespace nuc {
namespace {

enum class StdKind {
  Unknown,
  String,
  View,
  Container, ///< serializable when its element arguments are
  Policy,    ///< allocator, comparator, hasher: not data
  Recreated, ///< mutex, condition variable
  Atomic,
  Random, ///< engines and distributions: their textual state
};

StdKind stdKind(llvm::StringRef Name) {
  return llvm::StringSwitch<StdKind>(Name)
      .Case("basic_string", StdKind::String)
      .Cases("basic_string_view", "span", "reference_wrapper", StdKind::View)
      .Cases("vector", "deque", "list", "forward_list", "array",
             StdKind::Container)
      .Cases("map", "multimap", "unordered_map", "unordered_multimap",
             StdKind::Container)
      .Cases("set", "multiset", "unordered_set", "unordered_multiset",
             StdKind::Container)
      .Cases("stack", "queue", "priority_queue", "valarray", "bitset",
             StdKind::Container)
      .Cases("pair", "tuple", "optional", "variant", "monostate",
             StdKind::Container)
      .Cases("unique_ptr", "shared_ptr", "complex", "duration", "time_point",
             StdKind::Container)
      .Cases("allocator", "less", "greater", "hash", "equal_to",
             StdKind::Policy)
      .Cases("char_traits", "default_delete", "ratio", StdKind::Policy)
      .Cases("mutex", "recursive_mutex", "timed_mutex", "recursive_timed_mutex",
             StdKind::Recreated)
      .Cases("shared_mutex", "shared_timed_mutex", "condition_variable",
             "condition_variable_any", StdKind::Recreated)
      .Case("atomic", StdKind::Atomic)
      .Cases("linear_congruential_engine", "mersenne_twister_engine",
             "subtract_with_carry_engine", "discard_block_engine",
             "independent_bits_engine", "shuffle_order_engine", StdKind::Random)
      .Cases("uniform_int_distribution", "uniform_real_distribution",
             "bernoulli_distribution", "binomial_distribution",
             "geometric_distribution", "negative_binomial_distribution",
             StdKind::Random)
      .Cases("poisson_distribution", "exponential_distribution",
             "gamma_distribution", "weibull_distribution",
             "extreme_value_distribution", "normal_distribution",
             StdKind::Random)
      .Cases("lognormal_distribution", "chi_squared_distribution",
             "cauchy_distribution", "fisher_f_distribution",
             "student_t_distribution", "discrete_distribution", StdKind::Random)
      .Cases("piecewise_constant_distribution", "piecewise_linear_distribution",
             StdKind::Random)
      .Default(StdKind::Unknown);
}

/// Declared in a function body, or in a class that is: no namespace-scope
/// code (such as a generated serializer) can name it.
bool isFunctionLocal(const CXXRecordDecl *RD) {
  for (const DeclContext *DC = RD->getDeclContext(); DC; DC = DC->getParent())
    if (DC->isFunctionOrMethod())
      return true;
  return false;
}

/// A local class cannot have the member template 'serialize' that cereal
/// calls, nor can generated code name it: it must move.
std::string moveOutOfFunction(const CXXRecordDecl *RD) {
  return "move '" + RD->getNameAsString() +
         "' out of the function (a class declared in a function body cannot "
         "have a member template such as 'serialize')";
}

bool isPlainAggregate(const CXXRecordDecl *RD) {
  return RD->isAggregate() && !RD->isUnion() && !RD->isLambda();
}

Verdict bad(Problem P, QualType T) { return {P, T, nullptr, {}}; }

StdKind stdKindOf(QualType T) {
  const auto *RD = T.isNull() ? nullptr : T->getAsCXXRecordDecl();
  return RD && Serializability::isStd(RD) ? stdKind(RD->getName())
                                          : StdKind::Unknown;
}

} // namespace

bool Serializability::isStd(const CXXRecordDecl *RD) {
  if (!RD->getIdentifier())
    return false;
  for (const DeclContext *DC = RD->getDeclContext();
       DC && !DC->isTranslationUnit(); DC = DC->getParent())
    if (DC->isStdNamespace())
      return true;
  return false;
}

bool Serializability::isRecreated(QualType T) {
  return stdKindOf(T) == StdKind::Recreated;
}

bool Serializability::isAtomic(QualType T) {
  return stdKindOf(T) == StdKind::Atomic;
}

bool Serializability::needsGeneratedSerializer(const CXXRecordDecl *RD) {
  RD = RD ? RD->getDefinition() : nullptr;
  if (!RD || isStd(RD) || isNuDecl(RD, "Proclet") ||
      isNuDecl(RD, "WeakProclet") || isProcletClass(RD))
    return false;
  return isPlainAggregate(RD) && !isFunctionLocal(RD) &&
         !hasCerealFunctions(RD);
}

Verdict Serializability::classify(QualType T, Use U) {
  if (T.isNull() || T->isDependentType() || T->isVoidType())
    return {};
  const Type *Ty = T.getCanonicalType().getTypePtr();
  if (Ty->isArithmeticType() || Ty->isEnumeralType() || Ty->isNullPtrType())
    return {};
  if (Ty->isReferenceType())
    return bad(Problem::Reference, T);
  if (Ty->isMemberPointerType())
    return bad(Problem::MemberPointer, T);
  if (Ty->isAnyPointerType() || Ty->isBlockPointerType())
    return bad(Problem::RawPointer, T);
  if (const ArrayType *AT = Ctx.getAsArrayType(T)) {
    if (U == Use::Boundary)
      return bad(Problem::Array, T);
    return classify(AT->getElementType(), U);
  }
  if (const auto *RD = Ty->getAsCXXRecordDecl())
    return classifyRecord(T, RD, U);
  return bad(Problem::NotSerializable, T);
}

Verdict Serializability::classifyBoundary(QualType T, bool IsResult) {
  if (T.isNull() || T->isDependentType())
    return {};
  if (const auto *LR = T->getAs<LValueReferenceType>()) {
    QualType Pointee = LR->getPointeeType();
    if (!Pointee.isConstQualified())
      return bad(IsResult ? Problem::StateReference : Problem::LValueReference,
                 T);
    return classify(Pointee.getUnqualifiedType(), Use::Boundary);
  }
  if (const auto *RR = T->getAs<RValueReferenceType>())
    return classify(RR->getPointeeType().getUnqualifiedType(), Use::Boundary);
  return classify(T.getUnqualifiedType(), Use::Boundary);
}

Verdict Serializability::classifyRecord(QualType T, const CXXRecordDecl *RD,
                                        Use U) {
  if (isStd(RD))
    return classifyStd(T, RD, U);
  if (!handleTarget(T).isNull())
    return {};
  RD = RD->getDefinition();
  if (!RD || InProgress.contains(RD))
    return {}; // incomplete or recursive: decided elsewhere
  auto Key = std::make_pair(RD, static_cast<int>(U));
  if (auto It = Cache.find(Key); It != Cache.end())
    return It->second;

  Verdict V;
  if (RD->isLambda()) {
    V = bad(Problem::NotSerializable, T);
  } else if (hasCerealFunctions(RD)) {
    V = {};
  } else if (isProcletClass(RD)) {
    V = {Problem::NotSerializable, T, RD,
         "proclets are passed as 'nu::Proclet<" + RD->getNameAsString() +
             ">', never by value"};
  } else if (isPlainAggregate(RD) && isFunctionLocal(RD)) {
    V = {Problem::LocalAggregate, T, RD, moveOutOfFunction(RD)};
  } else if (isPlainAggregate(RD)) {
    InProgress.insert(RD);
    V = classifyAggregate(RD, U);
    InProgress.erase(RD);
  } else if (isFunctionLocal(RD)) {
    V = {Problem::NotSerializable, T, RD,
         moveOutOfFunction(RD) + ", then add 'template <class Archive> void "
                                 "serialize(Archive &)' or make it an "
                                 "aggregate"};
  } else {
    V = {Problem::NotSerializable, T, RD,
         "add 'template <class Archive> void serialize(Archive &)' to '" +
             RD->getNameAsString() + "', or make it an aggregate"};
  }
  Cache[Key] = V;
  return V;
}

Verdict Serializability::classifyStd(QualType T, const CXXRecordDecl *RD,
                                     Use U) {
  switch (stdKind(RD->getName())) {
  case StdKind::String:
  case StdKind::Policy:
  case StdKind::Random:
    return {};
  case StdKind::View:
    return bad(Problem::View, T);
  case StdKind::Container:
    return classifyTemplateArgs(RD, U);
  case StdKind::Recreated:
    return U == Use::State ? Verdict{} : bad(Problem::NotSerializable, T);
  case StdKind::Atomic:
    return U == Use::State ? classifyTemplateArgs(RD, U)
                           : bad(Problem::NotSerializable, T);
  case StdKind::Unknown:
    break;
  }
  return bad(Problem::NotSerializable, T);
}

Verdict Serializability::classifyTemplateArgs(const CXXRecordDecl *RD, Use U) {
  const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RD);
  if (!Spec)
    return {};
  for (const TemplateArgument &A : Spec->getTemplateArgs().asArray()) {
    if (A.getKind() != TemplateArgument::Type)
      continue;
    Verdict V = classify(A.getAsType(), U);
    if (!V.ok())
      return V;
  }
  return {};
}

Verdict Serializability::classifyAggregate(const CXXRecordDecl *RD, Use U) {
  for (const CXXBaseSpecifier &B : RD->bases()) {
    Verdict V = classify(B.getType(), U);
    if (!V.ok())
      return V;
  }
  for (const FieldDecl *F : RD->fields()) {
    if (U == Use::State && isTransientField(F))
      continue;
    Verdict V = classify(F->getType(), U);
    if (V.ok())
      continue;
    if (!V.NoteDecl) {
      V.NoteDecl = F;
      V.NoteText = "'" + RD->getNameAsString() +
                   "' cannot be serialized because of this member";
    }
    return V;
  }
  return {};
}

/// A free `serialize(Archive&, RD&)` (or save/load) in RD's namespace.
static bool isFreeCerealFunction(const NamedDecl *D, const CXXRecordDecl *RD) {
  const FunctionDecl *FD = D->getAsFunction();
  if (!FD || FD->getNumParams() != 2)
    return false;
  QualType Arg = FD->getParamDecl(1)->getType().getNonReferenceType();
  const CXXRecordDecl *ArgRD = Arg->getAsCXXRecordDecl();
  if (!ArgRD) // e.g. `Shard<T>&` in a function template
    if (const auto *TST = Arg->getAs<TemplateSpecializationType>())
      if (const auto *TD = TST->getTemplateName().getAsTemplateDecl())
        ArgRD = dyn_cast_or_null<CXXRecordDecl>(TD->getTemplatedDecl());
  const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RD);
  const CXXRecordDecl *Pattern =
      Spec ? Spec->getSpecializedTemplate()->getTemplatedDecl() : nullptr;
  return ArgRD && (declaresSameEntity(ArgRD, RD) ||
                   (Pattern && declaresSameEntity(ArgRD, Pattern)));
}

bool Serializability::hasCerealFunctions(const CXXRecordDecl *RD) {
  static constexpr llvm::StringLiteral Names[] = {
      "serialize", "save", "load", "save_minimal", "load_minimal"};
  const DeclContext *NS = RD->getEnclosingNamespaceContext();
  for (llvm::StringRef Name : Names) {
    DeclarationName DN(&Ctx.Idents.get(Name));
    if (!RD->lookup(DN).empty())
      return true;
    for (const NamedDecl *D : NS->lookup(DN))
      if (isFreeCerealFunction(D, RD))
        return true;
  }
  for (const CXXBaseSpecifier &B : RD->bases())
    if (const auto *Base = B.getType()->getAsCXXRecordDecl())
      if (hasCerealFunctions(Base))
        return true;
  return false;
}

std::string Serializability::reason(const Verdict &V) const {
  std::string T = "'" + V.Offender.getAsString(Ctx.getPrintingPolicy()) + "'";
  switch (V.Kind) {
  case Problem::None:
    return T + " is serializable";
  case Problem::RawPointer:
    return T + " is a raw pointer";
  case Problem::Array:
    return "array " + T + " decays to a pointer";
  case Problem::Reference:
    return T + " is a reference";
  case Problem::LValueReference:
    return T + " is a non-const lvalue reference";
  case Problem::StateReference:
    return T + " is a reference into the proclet's state";
  case Problem::MemberPointer:
    return T + " is a pointer to member";
  case Problem::View:
    return T + " is a non-owning view";
  case Problem::NotSerializable:
    return T + " cannot be serialized";
  case Problem::LocalAggregate:
    return T + " is declared in a function body, where nuc cannot write "
               "its serializer";
  }
  return T;
}

} // namespace nuc
