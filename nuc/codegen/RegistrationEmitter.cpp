// A Spec struct is what nu::codegen::register_proclet reads; its variable
// registers the type before main(), once per translation unit.
#include "RegistrationEmitter.hpp"

#include "Hash.hpp"
#include "MethodTableEmitter.hpp"
#include "Schema.hpp"
#include "StateEmitter.hpp"

namespace nuc::codegen {

static std::string location(const ir::SourceLoc &L) {
  return L.File + ":" + std::to_string(L.Line) + ":" + std::to_string(L.Column);
}

/// The name the type travels by, unique in the program: a class in an
/// anonymous namespace is qualified by the file declaring it.
static std::string wireName(const ir::ProcletClass &C) {
  if (!C.IsFileLocal)
    return C.Name;
  return C.Name + " (" + C.Loc.File + ")";
}

void emitRegistration(const ir::ProcletClass &C, const ProcletNames &N,
                      std::string &Out) {
  Out += "/// Proclet " + C.Name + ", declared at " + location(C.Loc) + ".\n";
  Out += "struct " + N.Spec + " {\n";
  Out += "  using type = " + globalName(C.Name) + ";\n";
  Out += "  static constexpr std::string_view name = " + quoted(wireName(C)) +
         ";\n";
  Out += "  static constexpr std::uint64_t schema_hash = " +
         hexLiteral(schemaHash(C)) + ";\n";
  emitState(C, N, Out);
  emitMethodTable(C, Out);
  Out += "};\n";
  Out += "const bool " + N.Registered + " = nu::codegen::register_proclet<" +
         N.Spec + ">();\n";
}

} // namespace nuc::codegen
