// Identifier sanitizing and uniquing for generated code. Identifiers
// depend only on the names in the IR and their order: output is stable.
#include "Names.hpp"

#include <cctype>

namespace nuc::codegen {

static bool isIdentChar(char C) {
  return std::isalnum(static_cast<unsigned char>(C)) != 0;
}

std::string sanitize(std::string_view Text) {
  std::string Out;
  for (char C : Text) {
    if (isIdentChar(C))
      Out += C;
    else if (!Out.empty() && Out.back() != '_')
      Out += '_';
  }
  while (!Out.empty() && Out.back() == '_')
    Out.pop_back();
  if (Out.empty() || std::isdigit(static_cast<unsigned char>(Out[0])))
    Out.insert(0, "N");
  return Out;
}

std::string NameTable::unique(std::string_view Text) {
  std::string Base = sanitize(Text);
  std::string Name = Base;
  for (unsigned N = 2; Used.count(Name); ++N)
    Name = Base + "_" + std::to_string(N);
  Used.insert(Name);
  return Name;
}

ProcletNames nameProclet(const ir::ProcletClass &C, NameTable &Table) {
  std::string Base = sanitize(C.Name);
  ProcletNames Out{
      Table.unique(Base + "_Spec"), Table.unique(Base + "_Registered"), {}};
  for (const ir::Field &F : C.Fields)
    Out.FieldTags.push_back(F.Name.empty() ? ""
                                           : Table.unique(Base + "_" + F.Name));
  return Out;
}

std::string globalName(std::string_view QualifiedName) {
  return "::" + std::string(QualifiedName);
}

std::string quoted(std::string_view Text) {
  std::string Out = "\"";
  for (char C : Text) {
    if (C == '"' || C == '\\')
      Out += '\\';
    Out += C;
  }
  return Out + "\"";
}

} // namespace nuc::codegen
