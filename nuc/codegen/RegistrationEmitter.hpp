// The registration of one proclet class: its Spec struct (type, name,
// schema hash, state functions, method table) and the registering variable.
#pragma once

#include "IR.hpp"
#include "Names.hpp"

#include <string>

namespace nuc::codegen {

/// The Spec struct of \p C and `const bool <Registered> =
/// nu::codegen::register_proclet<Spec>();`, inside namespace nu_generated.
void emitRegistration(const ir::ProcletClass &C, const ProcletNames &N,
                      std::string &Out);

} // namespace nuc::codegen
