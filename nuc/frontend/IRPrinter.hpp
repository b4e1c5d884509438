// Prints the intermediate representation as text (nuc --list-proclets).
// The output is deterministic: it depends only on the IR it is given.
#pragma once

#include "IR.hpp"

#include <iosfwd>

namespace nuc::ir {

/// Writes every proclet class, creation, closure site and aggregate of \p TU,
/// one item per line.
void print(const TranslationUnit &TU, std::ostream &OS);

} // namespace nuc::ir
