// Each row casts `&::Owner::name` to its exact member pointer type, which
// picks one overload. An inherited method keeps its base's class type: a
// template argument cannot be a member pointer converted to the derived.
#include "MethodTableEmitter.hpp"

#include "Hash.hpp"
#include "Names.hpp"
#include "Schema.hpp"

namespace nuc::codegen {

std::string memberPointerType(const ir::Method &M) {
  std::string Out =
      M.Result.Spelling + " (" + globalName(M.DeclaredIn) + "::*)(";
  for (size_t I = 0; I < M.Params.size(); ++I)
    Out += (I ? ", " : "") + M.Params[I].Ty.Spelling;
  return Out + (M.IsConst ? ") const" : ")");
}

static std::string methodRow(const ir::ProcletClass &C, const ir::Method &M) {
  std::string Pointer = "static_cast<" + memberPointerType(M) + ">(&" +
                        globalName(M.DeclaredIn) + "::" + M.Name + ")";
  return "nu::codegen::method<type, " + Pointer + ">(" +
         hexLiteral(methodId(C, M)) + ", " + quoted(canonicalSignature(C, M)) +
         ")";
}

void emitMethodTable(const ir::ProcletClass &C, std::string &Out) {
  Out += "  static std::vector<nu::codegen::Method> methods() {\n    return {";
  for (const ir::Method &M : C.Methods)
    Out += "\n        " + methodRow(C, M) + ",";
  Out += C.Methods.empty() ? "};\n  }\n" : "\n    };\n  }\n";
}

} // namespace nuc::codegen
