// Private member access without `friend`: per field a tag, a declaration
// of nu::codegen::member(tag), and the Access instantiation defining it.
#pragma once

#include "IR.hpp"
#include "Names.hpp"

#include <string>

namespace nuc::codegen {

/// The empty tag structs named in \p N.
void emitAccessTags(const ProcletNames &N, std::string &Out);

/// `constexpr auto member(<TagScope><tag>) noexcept;` per tag, to be put
/// in namespace nu::codegen.
void emitMemberDeclarations(const ProcletNames &N, const std::string &TagScope,
                            std::string &Out);

/// `template struct nu::codegen::Access<Tag, &::Owner::field>;` per field
/// of \p C, at global scope; \p TagScope qualifies the tags.
void emitAccessInstantiations(const ir::ProcletClass &C, const ProcletNames &N,
                              const std::string &TagScope, std::string &Out);

} // namespace nuc::codegen
