// The state half of a proclet's registration: save, load, construct,
// estimate_size and the field list, all through the access tags.
#pragma once

#include "IR.hpp"
#include "Names.hpp"

#include <string>

namespace nuc::codegen {

/// The static state functions of \p C's Spec struct.
void emitState(const ir::ProcletClass &C, const ProcletNames &N,
               std::string &Out);

} // namespace nuc::codegen
