// nuc's code generator: from the IR of one source, the text of the unity
// translation unit that build integration compiles instead of the source.
#pragma once

#include "IR.hpp"

#include <string>

namespace nuc::codegen {

/// What the generated code says about its producer.
struct GenOptions {
  std::string Version; ///< nuc's version, stamped in the first line
};

/// The generated file for \p TU, unformatted: the header line, the source
/// itself (`#include "<MainFile>"`), aggregate serializers, then the
/// registration of every concrete proclet class. Deterministic.
std::string generate(const ir::TranslationUnit &TU, const GenOptions &Options);

/// The first line of every generated file, newline included.
std::string headerLine(const ir::TranslationUnit &TU,
                       const GenOptions &Options);

} // namespace nuc::codegen
