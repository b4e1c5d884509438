// Explicit instantiations are exempt from access checking, so naming
// `&C::m` there reaches private fields, own and inherited.
#include "AccessEmitter.hpp"

namespace nuc::codegen {

void emitAccessTags(const ProcletNames &N, std::string &Out) {
  for (const std::string &Tag : N.FieldTags)
    if (!Tag.empty())
      Out += "struct " + Tag + " {};\n";
}

void emitMemberDeclarations(const ProcletNames &N, const std::string &TagScope,
                            std::string &Out) {
  for (const std::string &Tag : N.FieldTags)
    if (!Tag.empty())
      Out += "constexpr auto member(" + TagScope + Tag + ") noexcept;\n";
}

void emitAccessInstantiations(const ir::ProcletClass &C, const ProcletNames &N,
                              const std::string &TagScope, std::string &Out) {
  for (size_t I = 0; I < C.Fields.size(); ++I) {
    if (N.FieldTags[I].empty())
      continue;
    const ir::Field &F = C.Fields[I];
    Out += "template struct nu::codegen::Access<" + TagScope + N.FieldTags[I] +
           ", &" + globalName(F.DeclaredIn) + "::" + F.Name + ">;\n";
  }
}

} // namespace nuc::codegen
