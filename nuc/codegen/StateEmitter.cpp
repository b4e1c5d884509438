// Saved fields (values, atomics) are written and read in declaration
// order; every nameable field is constructed before a load.
#include "StateEmitter.hpp"

#include "Schema.hpp"

namespace nuc::codegen {
namespace {

using FieldFilter = bool (*)(const ir::Field &);

// `<Call>(<Object>nu::codegen::member(<Tag>{}))` for each field \p Keep
// accepts.
std::vector<std::string> fieldCalls(const ir::ProcletClass &C,
                                    const ProcletNames &N,
                                    const std::string &Call,
                                    const std::string &Object,
                                    FieldFilter Keep) {
  std::vector<std::string> Out;
  for (size_t I = 0; I < C.Fields.size(); ++I)
    if (!N.FieldTags[I].empty() && Keep(C.Fields[I]))
      Out.push_back(Call + "(" + Object + "nu::codegen::member(" +
                    N.FieldTags[I] + "{}))");
  return Out;
}

// A static function whose parameters are named only when the body uses
// them (so that -Wunused-parameter stays quiet).
void emitFunction(const std::string &Head, const std::string &Params,
                  const std::string &Unnamed,
                  const std::vector<std::string> &Statements,
                  std::string &Out) {
  Out += "  static " + Head + "(" + (Statements.empty() ? Unnamed : Params) +
         ") {\n";
  for (const std::string &S : Statements)
    Out += "    " + S + ";\n";
  Out += "  }\n";
}

bool saved(const ir::Field &F) { return isSaved(fieldKind(F)); }
bool value(const ir::Field &F) { return fieldKind(F) == FieldKind::Value; }
bool any(const ir::Field &) { return true; }

void emitEstimateSize(const ir::ProcletClass &C, const ProcletNames &N,
                      std::string &Out) {
  std::vector<std::string> Terms =
      fieldCalls(C, N, "nu::codegen::heap_size", "self.*", value);
  Out += "  static std::size_t estimate_size(const type &";
  Out += Terms.empty() ? "" : "self";
  Out += ") {\n    return sizeof(type)";
  for (const std::string &T : Terms)
    Out += " + " + T;
  Out += ";\n  }\n";
}

void emitFieldList(const ir::ProcletClass &C, std::string &Out) {
  Out += "  static std::vector<nu::codegen::Field> fields() {\n    return {";
  for (const ir::Field &F : C.Fields)
    Out += "{" + quoted(F.Name) + ", " + quoted(F.Ty.Spelling) +
           ", nu::codegen::FieldKind::" + enumeratorName(fieldKind(F)) + "},\n";
  Out += "};\n  }\n";
}

} // namespace

void emitState(const ir::ProcletClass &C, const ProcletNames &N,
               std::string &Out) {
  emitFunction("void save", "nu::codegen::OutArchive &ar, const type &self",
               "nu::codegen::OutArchive &, const type &",
               fieldCalls(C, N, "nu::codegen::save_field", "ar, self.*", saved),
               Out);
  emitFunction("void load", "nu::codegen::InArchive &ar, type &self",
               "nu::codegen::InArchive &, type &",
               fieldCalls(C, N, "nu::codegen::load_field", "ar, self.*", saved),
               Out);
  emitFunction("void construct", "type *self", "type *",
               fieldCalls(C, N, "nu::codegen::construct_field", "self->*", any),
               Out);
  emitEstimateSize(C, N, Out);
  emitFieldList(C, Out);
}

} // namespace nuc::codegen
