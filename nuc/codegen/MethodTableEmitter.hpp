// The method table of a proclet: one nu::codegen::method row per public
// method, own or inherited, with its stable id and canonical signature.
#pragma once

#include "IR.hpp"

#include <string>

namespace nuc::codegen {

/// The static `methods()` function of \p C's Spec struct.
void emitMethodTable(const ir::ProcletClass &C, std::string &Out);

/// `R (::Owner::*)(P...) const`: the exact type of `&Owner::name` for \p M,
/// from the types as spelled; Owner is the class that declares \p M.
std::string memberPointerType(const ir::Method &M);

} // namespace nuc::codegen
