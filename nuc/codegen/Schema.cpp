// Canonical texts behind method ids and schema hashes. Changing any of
// them changes the ids on the wire: nodes built before and after differ.
#include "Schema.hpp"

#include "Hash.hpp"

namespace nuc::codegen {

FieldKind fieldKind(const ir::Field &F) {
  if (F.IsTransient)
    return FieldKind::Transient;
  if (F.IsRecreated)
    return FieldKind::Recreated;
  return F.IsAtomic ? FieldKind::Atomic : FieldKind::Value;
}

const char *enumeratorName(FieldKind K) {
  switch (K) {
  case FieldKind::Value:
    return "Value";
  case FieldKind::Atomic:
    return "Atomic";
  case FieldKind::Recreated:
    return "Recreated";
  case FieldKind::Transient:
    return "Transient";
  }
  return "Value";
}

bool isSaved(FieldKind K) {
  return K == FieldKind::Value || K == FieldKind::Atomic;
}

std::string canonicalSignature(const ir::ProcletClass &C, const ir::Method &M) {
  std::string Out = M.Result.Decayed + " " + C.Name + "::" + M.Name + "(";
  for (size_t I = 0; I < M.Params.size(); ++I)
    Out += (I ? ", " : "") + M.Params[I].Ty.Decayed;
  return Out + (M.IsConst ? ") const" : ")");
}

std::uint64_t methodId(const ir::ProcletClass &C, const ir::Method &M) {
  return fnv1a64(canonicalSignature(C, M));
}

// The schema text, one line per item, each ending in '\n':
//   proclet <class name>
//   field <name> <decayed type> <kind>      for each field, in order; kind
//                                           is value, atomic, recreated or
//                                           transient
//   method <canonical signature>            for each public method, in
//                                           method table order
// e.g. "proclet Acc\nfield Mu std::mutex recreated\nfield Val int value\n"
//      "method int Acc::Get()\n".
std::string schemaText(const ir::ProcletClass &C) {
  static const char *const KindWords[] = {"value", "atomic", "recreated",
                                          "transient"};
  std::string Out = "proclet " + C.Name + "\n";
  for (const ir::Field &F : C.Fields)
    Out += "field " + F.Name + " " + F.Ty.Decayed + " " +
           KindWords[static_cast<int>(fieldKind(F))] + "\n";
  for (const ir::Method &M : C.Methods)
    Out += "method " + canonicalSignature(C, M) + "\n";
  return Out;
}

std::uint64_t schemaHash(const ir::ProcletClass &C) {
  return fnv1a64(schemaText(C));
}

} // namespace nuc::codegen
