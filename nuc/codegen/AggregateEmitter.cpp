// Values are archived in field order; atomics by value; mutexes and
// [[nu::transient]] fields are left to their default constructor.
#include "AggregateEmitter.hpp"

#include "Names.hpp"
#include "Schema.hpp"

#include <algorithm>

namespace nuc::codegen {
namespace {

bool sameNamespaces(const ir::Aggregate &A, const ir::Aggregate &B) {
  return std::equal(A.Namespaces.begin(), A.Namespaces.end(),
                    B.Namespaces.begin(), B.Namespaces.end(),
                    [](const ir::Namespace &X, const ir::Namespace &Y) {
                      return X.Name == Y.Name && X.IsInline == Y.IsInline;
                    });
}

void openNamespaces(const ir::Aggregate &A, std::string &Out) {
  for (const ir::Namespace &NS : A.Namespaces)
    Out += std::string(NS.IsInline ? "inline " : "") + "namespace " +
           (NS.Name.empty() ? "" : NS.Name + " ") + "{\n";
}

void closeNamespaces(const ir::Aggregate &A, std::string &Out) {
  for (auto It = A.Namespaces.rbegin(); It != A.Namespaces.rend(); ++It)
    Out += "} // namespace" + (It->Name.empty() ? "" : " " + It->Name) + "\n";
}

// `value.x`, or `value.::Base::x` when a field of that name is hidden.
std::string fieldRef(const ir::Aggregate &A, const ir::Field &F) {
  bool Hidden =
      F.DeclaredIn != A.Name &&
      std::count_if(A.Fields.begin(), A.Fields.end(),
                    [&](const ir::Field &G) { return G.Name == F.Name; }) > 1;
  return "value." + (Hidden ? globalName(F.DeclaredIn) + "::" : "") + F.Name;
}

// An atomic travels as the value it holds.
std::string atomicStatement(const std::string &Ref) {
  std::string Out = "  if constexpr (Archive::is_loading::value) {\n";
  Out += "    auto v = " + Ref + ".load();\n";
  Out += "    ar(v);\n";
  Out += "    " + Ref + ".store(v);\n";
  Out += "  } else {\n";
  Out += "    ar(" + Ref + ".load());\n";
  return Out + "  }\n";
}

// The body: runs of values in one `ar(...)` each, atomics one by one.
std::string body(const ir::Aggregate &A) {
  std::string Out, Run;
  auto Flush = [&] {
    if (!Run.empty())
      Out += "  ar(" + Run + ");\n";
    Run.clear();
  };
  for (const ir::Field &F : A.Fields) {
    FieldKind K = fieldKind(F);
    if (F.Name.empty() || !isSaved(K))
      continue;
    if (K == FieldKind::Atomic) {
      Flush();
      Out += atomicStatement(fieldRef(A, F));
      continue;
    }
    Run += (Run.empty() ? "" : ", ") + fieldRef(A, F);
  }
  Flush();
  return Out;
}

void emitSerialize(const ir::Aggregate &A, std::string &Out) {
  std::string Body = body(A);
  Out += "template <class Archive> void serialize(Archive &" +
         std::string(Body.empty() ? "" : "ar") + ", " + globalName(A.Name) +
         " &" + (Body.empty() ? "" : "value") + ") {\n" + Body + "}\n";
}

} // namespace

void emitAggregates(const std::vector<ir::Aggregate> &Aggregates,
                    std::string &Out) {
  for (size_t I = 0; I < Aggregates.size(); ++I) {
    const ir::Aggregate &A = Aggregates[I];
    if (I == 0 || !sameNamespaces(Aggregates[I - 1], A))
      openNamespaces(A, Out);
    emitSerialize(A, Out);
    if (I + 1 == Aggregates.size() || !sameNamespaces(A, Aggregates[I + 1]))
      closeNamespaces(A, Out);
  }
}

} // namespace nuc::codegen
