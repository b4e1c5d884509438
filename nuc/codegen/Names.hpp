// Names and literals in generated code: readable, unique identifiers made
// from C++ names, globally qualified names, and string literals.
#pragma once

#include "IR.hpp"

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace nuc::codegen {

/// \p Text as a readable identifier: each run of other characters becomes
/// one '_' (`ns::Shard<int, std::string>` gives `ns_Shard_int_std_string`).
/// Never empty, never starts with '_' or a digit.
std::string sanitize(std::string_view Text);

/// Hands out identifiers, each different from all those handed out before:
/// a repeated one gets a numeric suffix (`X`, `X_2`, `X_3`...).
class NameTable {
public:
  std::string unique(std::string_view Text);

private:
  std::set<std::string, std::less<>> Used;
};

/// The identifiers generated for one proclet class.
struct ProcletNames {
  std::string Spec;       ///< the struct passed to register_proclet
  std::string Registered; ///< the variable whose initializer registers it
  /// One access tag per field, parallel to ProcletClass::Fields; empty for
  /// a field that cannot be named (an anonymous struct or union).
  std::vector<std::string> FieldTags;
};

/// Names for \p C's generated entities, drawn from \p Table.
ProcletNames nameProclet(const ir::ProcletClass &C, NameTable &Table);

/// \p QualifiedName from the global namespace: `::ns::Point`.
std::string globalName(std::string_view QualifiedName);

/// \p Text as a C++ string literal, quotes included.
std::string quoted(std::string_view Text);

} // namespace nuc::codegen
